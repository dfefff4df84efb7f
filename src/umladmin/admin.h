/* admin.h -- host and VM administration behind umladmin(8). */
#ifndef UMLMON_ADMIN_H
#define UMLMON_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "umlmonctrl.h"
#include "common/config.h"
#include "common/util.h"

/* Creates vardir and the shared dir (kernels/, disks/) and installs the
 * kernel file (symlinks resolved) as SHARED/kernels/linux. */
int admin_setup(const struct config *cfg, const char *kernel, struct err *e);

/* Where mkimage builds a VM's ubd0 (a .dsk in /disks): the directory,
 * opened beneath the jail without following a symlink (the guest writes
 * /disks), the image's name in it, its host path (for messages) and the
 * vmuser who must own it. Creates the VM's jail layout; refuses while a
 * process of the VM lives in its jail. */
struct admin_image {
	int dirfd;
	const char *name;      /* in path */
	char *path;
	uid_t uid;
	gid_t gid;
};
int admin_image_target(struct config *cfg, const char *vm,
		       struct admin_image *t, struct err *e);
void admin_image_free(struct admin_image *t);

/* What a VM's monitor says of it, or why nobody can say. */
struct admin_status {
	char state[32];        /* the monitor's ("running" ...), "no monitor",
				* or "unknown" (why says why) */
	int monitor;           /* a monitor answered */
	int denied;            /* its socket is not ours to use */
	pid_t orphan;          /* no monitor, but this process (the kernel or
				* its watcher) lives in the VM's jail */
	char why[256];
	/* what the monitor said, if it answered */
	um_state vmstate;
	pid_t monitor_pid, kernel_pid;
	uint64_t uptime_ms;    /* 0 unless running */
	char pending[512];     /* changes waiting for the next boot, or "" */
};
void admin_vm_status(const struct config *cfg, const struct vm_conf *vm,
		     struct admin_status *st);
/* The monitor answered and its VM is starting, running or paused. */
int admin_vm_up(const struct admin_status *st);

#endif
