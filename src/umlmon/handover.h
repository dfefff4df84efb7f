/* handover.h -- the monitor's side of the watcher's hand-over socket
 * (umljail/jailer.c): a monitor that starts while its VM runs (its
 * predecessor was killed, crashed or re-executed itself for an upgrade)
 * gets from the watcher the kernel's pid and the consoles' pty masters,
 * and from then on the watcher's status lines on that connection. */
#ifndef UMLMON_HANDOVER_H
#define UMLMON_HANDOVER_H

#include <sys/types.h>

#include "common/util.h"

#define HANDOVER_MAX 32

struct handover {
	int fd;                /* the connection: status lines from now on */
	pid_t watcher, kernel;
	int n;
	char names[HANDOVER_MAX][16];
	int masters[HANDOVER_MAX];
};

/* Connects to the hand-over socket of the watcher with pid watcher, as
 * the watcher sees it (/proc/WATCHER/root/tmp/umlmon.handover: in its own
 * mount namespace, whatever is mounted in ours), checks the peer is that
 * pid with uid (the vmuser) and reads what it hands over, waiting at
 * most timeout_ms; the kernel it names must be its child. -1 with e
 * naming the watcher and the cause. */
int handover_fetch(pid_t watcher, uid_t uid, int timeout_ms, struct handover *h,
		   struct err *e);
/* Closes what h still holds (fd and masters not taken: set to -1). */
void handover_free(struct handover *h);

#endif
