/* jailmsg.h -- what the monitor tells the jail helper (umljail): the jail,
 * the vmuser, the host name, the kernel's rlimits, whether to put the
 * seccomp filter on it, the cgroup.procs files to join, whether it gets a
 * network namespace of its own, the kernel's argv and environment, how
 * many descriptors it gets, the channels whose pty masters the watcher
 * keeps and the socket it hands them over on. The monitor writes it into a sealed memfd that
 * the helper reads as its fd 0; the rest of the helper's descriptors have
 * a fixed layout (JAIL_FD_*).
 *
 * The format leaves no room for confusion: a magic line with the
 * version, then each field in a fixed order, a number as 4 bytes
 * (little-endian; a limit as 8), a string as its length in 4 bytes and its bytes (no NUL
 * inside). A message that does not end exactly after its last field, or
 * whose counts or lengths are out of bounds, is refused as a whole. */
#ifndef UMLMON_JAILMSG_H
#define UMLMON_JAILMSG_H

#include <stddef.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/util.h"

#define JAILMSG_MAGIC "umljail 4\n"
/* the helper's descriptors at its exec */
#define JAIL_FD_MSG 0      /* this message */
#define JAIL_FD_STATUS 1   /* the status pipe to the monitor */
#define JAIL_FD_NULL 2     /* /dev/null */
#define JAIL_FD_KERNEL 3   /* the kernel's fd i is the helper's 3 + i; the
			    * masters the watcher keeps follow them */
/* bounds the helper holds a message to */
#define JAILMSG_MAX (1u << 20)
#define JAILMSG_MAX_FDS 128
#define JAILMSG_MAX_ARGS 1024
#define JAILMSG_MAX_CGROUPS 8
#define JAILMSG_MAX_KEEP 32     /* pty masters the watcher keeps */
#define JAILMSG_NAME_MAX 15     /* a kept master's channel name */

struct jail_msg {
	char *root;         /* the jail's root on the host */
	uid_t uid;          /* the vmuser; never 0 */
	gid_t gid;
	char *hostname;     /* "": keep the helper's */
	uint64_t limits[LIMIT_COUNT]; /* by enum vm_limit, as 8 bytes each;
				       * UMLMON_LIMIT_INFINITY: unlimited */
	int seccomp;        /* 1: the filter (umljail/seccomp.c), 0: none */
	int ncgroups;       /* cgroup.procs files the helper joins first */
	char **cgroups;     /* NULL-terminated; absolute paths */
	int own_net;        /* 1: a network namespace of its own (the VM has
			     * no interface), 0: the monitor's */
	int nfds;           /* the kernel's descriptors, at least 3 */
	int nkeep;          /* pty masters the watcher holds for the kernel's
			     * life (the helper's fds 3 + nfds + i), so that
			     * the kernel's consoles outlive the monitor */
	char **keep;        /* NULL-terminated: their channel names (a word
			     * of at most JAILMSG_NAME_MAX letters and digits) */
	char *handover;     /* "": none; else the Unix socket, inside the
			     * jail, on which the watcher hands the kernel's
			     * pid and the masters to a new monitor */
	int argc;           /* at least 1: argv[0] is the kernel in the jail */
	char **argv;        /* NULL-terminated */
	int envc;
	char **envp;        /* NULL-terminated */
	char *fail;         /* "": none; else a step a helper built for tests
			     * fails on purpose (umljail refuses the message) */
};

/* The message as bytes (free with free()). -1 if a field is out of the
 * bounds above. */
int jailmsg_encode(const struct jail_msg *m, char **buf, size_t *len,
		   struct err *e);
/* Reads a message; m gets copies (jailmsg_free). -1 with e saying what
 * is wrong with it. */
int jailmsg_decode(const char *buf, size_t len, struct jail_msg *m,
		   struct err *e);
void jailmsg_free(struct jail_msg *m);

#endif
