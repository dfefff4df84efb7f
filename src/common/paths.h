/* paths.h -- where the files of a VM are, on the host and inside its
 * jail: the one place their names are made.
 *
 *   VARDIR/VM/             vmdir
 *   VARDIR/VM/ctrl         the control socket
 *   VARDIR/VM/log/         console logs and monitor.log
 *   VARDIR/VM/jail/        the VM's root: disks/, tmp/, shared/
 *   VARDIR/VM/run-state    what a new monitor needs of the running boot
 *   VARDIR/VM/snapshots/   its snapshots (disk/snapshot.h)
 *   RUNDIR/VM.pid          the monitor's pid file
 *   SHARED/disks/, SHARED/locks/
 *   VARDIR/umldir/         umldir's: its socket "sock" and umldir.log
 *   RUNDIR/umldir.pid      its pid file
 * Inside the jail the kernel has uml_dir=/tmp (its mconsole socket is
 * /tmp/VM/mconsole) and sends notifications to /tmp/umlmon.notify; the
 * watcher hands the pty masters over on /tmp/umlmon.handover. */
#ifndef UMLMON_PATHS_H
#define UMLMON_PATHS_H

#include "common/util.h"

/* Inside the jail. */
#define JAIL_UML_DIR "/tmp"
#define JAIL_NOTIFY_SOCKET "/tmp/umlmon.notify"
#define JAIL_HANDOVER_SOCKET "/tmp/umlmon.handover"

struct vm_paths {
	char *vmdir;
	char *ctrl;
	char *logdir;
	char *monitor_log;
	char *root;          /* the jail */
	char *disks;         /* root/disks */
	char *tmp;           /* root/tmp */
	char *shared_mnt;    /* root/shared */
	char *mconsole;      /* the kernel's mconsole socket, seen from the host */
	char *notify;        /* the monitor's notification socket, likewise */
	char *runstate;      /* VARDIR/VM/run-state (root's, 0600) */
	char *pidfile;       /* NULL without a rundir */
	char *shared;        /* [GLOBAL] shared */
	char *shared_disks;
	char *locks;
};

/* rundir may be NULL. -1 with e if a socket's path is too long for a Unix
 * socket address (the VM name or vardir must be shorter). */
int vm_paths_init(struct vm_paths *p, const char *vardir, const char *shared,
		  const char *rundir, const char *vm, struct err *e);
void vm_paths_free(struct vm_paths *p);

/* Single paths, malloc'd, for callers that need no more: the control
 * socket VARDIR/VM/ctrl, the pid file RUNDIR/VM.pid, the VM's disks
 * VARDIR/VM/jail/disks. */
char *vm_ctrl_path(const char *vardir, const char *vm);
char *vm_pid_path(const char *rundir, const char *vm);
char *vm_disks_path(const char *vardir, const char *vm);
/* VARDIR/VM/snapshots: root's, out of the guest's reach. */
char *vm_snapshots_path(const char *vardir, const char *vm);
/* SHARED/disks and SHARED/locks. */
char *shared_disks_path(const char *shared);
char *shared_locks_path(const char *shared);
/* umldir(8): its directory VARDIR/umldir (owned by its user), the
 * monitors' socket VARDIR/umldir/sock in it, its log there, its pid file
 * RUNDIR/umldir.pid. "umldir" is no VM's name (config_valid_name). */
char *umldir_dir_path(const char *vardir);
char *umldir_sock_path(const char *vardir);
char *umldir_log_path(const char *vardir);
char *umldir_pid_path(const char *rundir);
/* The VM's disks relative to its vmdir. */
#define VM_REL_DISKS "jail/disks"

#endif
