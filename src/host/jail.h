/* jail.h -- the chroot jail of a VM on the host side (layout, tmpfs and
 * shared bind mount) and the jailed child that runs the kernel. What the
 * kernel will open in it is checked before a boot by precheck.h.
 *
 *   VARDIR/VM/            vmdir   (root, 0755)
 *   VARDIR/VM/ctrl        control socket
 *   VARDIR/VM/log/        console logs, monitor log
 *   VARDIR/VM/jail/       root of the VM (root, 0755)
 *       disks/            the VM's own images (owned by the vmuser)
 *       tmp/              tmpfs of memory size + margin, per boot
 *       shared/           tmpfs of root's, read-only, per boot: only what
 *                         the VM uses of the shared dir, each file bound
 *                         on its name
 *       lib/, lib64/      the kernel's libraries, copied from the host
 */
#ifndef UMLMON_JAIL_H
#define UMLMON_JAIL_H

#include <signal.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/paths.h"
#include "common/util.h"

/* tmpfs = memory + this (the kernel's memory file plus its sockets). */
#define JAIL_TMP_MARGIN (32ULL << 20)

struct jail {
	struct vm_paths p;
	uid_t uid;
	gid_t gid;
	int tmp_mounted;
	int shared_mounted;
};

/* Computes the paths; -1 if one is too long for a socket address. */
int jail_init(struct jail *j, const struct config *cfg, const struct vm_conf *vm,
	      struct err *e);
void jail_free(struct jail *j);

/* Creates the directories (idempotent). */
int jail_layout(struct jail *j, struct err *e);
/* Mounts the tmpfs on tmp, and on shared a read-only tmpfs with only
 * what the VM uses of the shared dir, each bound on its name: the kernel,
 * the disks (read-write those the VM writes) and their configured backing
 * files, the files of extra (NULL-terminated, /shared/... paths: backing
 * files named in COW headers), mount points for its switches. A file
 * that is not there is left out for the checks before the boot to name;
 * a disk the VM writes must be there, reached without a symlink. */
int jail_mount(struct jail *j, const struct vm_conf *vm, const char *const *extra,
	       struct err *e);
/* Binds the directory of each switch of vm (there once the network is
 * up) read-only on its mount point in shared. */
int jail_share_switches(struct jail *j, const struct vm_conf *vm, struct err *e);
/* Unmounts what jail_mount mounted; logs what it cannot. 0 if all gone. */
int jail_unmount(struct jail *j);
/* Is path a mount point right now (per /proc/self/mountinfo)? */
int jail_is_mountpoint(const char *path);

/* A process whose root is this jail (a kernel or watcher left by a monitor
 * that died), or 0. */
pid_t jail_find_process(const struct jail *j);
/* Going up from pid, a process of the jail, the last one whose parent
 * is not in the jail: the watcher, or, if the watcher is gone, the
 * kernel (reparented); 0 if pid is not in the jail. */
pid_t jail_top_process(const struct jail *j, pid_t pid);

/* Opens path as seen from inside the jail: symlinks and ".." cannot lead
 * out of it (openat2 RESOLVE_IN_ROOT). flags as for open(2). */
int jail_open(const struct jail *j, const char *path, int flags, struct err *e);

/* What the jailed child needs. */
struct jail_exec {
	const char *hostname;
	const struct limits_conf *limits; /* the kernel's rlimits */
	int seccomp;           /* 1: the seccomp filter on the kernel */
	char *const *cgroups;  /* cgroup.procs files to join first (NULL-
				* terminated), or NULL */
	int own_net;           /* 1: a network namespace of its own */
	char *const *argv;     /* argv[0]: the kernel inside the jail */
	char *const *envp;
	int nfds;              /* the kernel gets src[i] as fd i */
	const int *src;
	int nkeep;             /* the watcher holds keep[i], a channel's pty
				* master named keep_names[i], while the
				* kernel lives */
	const int *keep;
	char *const *keep_names;
	const char *handover;  /* the watcher's hand-over socket inside the
				* jail (JAIL_HANDOVER_SOCKET), or NULL */
	int status_fd;         /* write end of the pipe to the monitor */
	sigset_t sigmask;      /* to restore in the child */
	/* for tests only; NULL in the monitor: another helper program, and
	 * a step for it to fail (a helper built for tests does; umljail
	 * refuses the start) */
	const char *helper;
	const char *fail_step;
};

/* Executes the jail helper, umljail (installed in LIBEXECDIR/umlmon, or
 * next to the running monitor), with a message of what x says (jailmsg.h)
 * and exactly the descriptors it needs. It becomes the watcher: it runs
 * its named steps (its cgroup joined; a new session; new mount, PID, IPC,
 * UTS, cgroup and time namespaces, and a network namespace with x->own_net;
 * / made private; the jail bound onto itself; pivot_root into it, the old
 * root detached; the host name; the rlimits; the vmuser with no
 * supplementary groups and no capabilities; no_new_privs; the seccomp
 * filter unless x->seccomp is 0; all of it
 * verified), forks the kernel (PID 1 of the namespace) and reports on
 * status_fd, one line each:
 *   "kernel PID"   the kernel was executed (host pid)
 *   "error TEXT"   the start failed; TEXT is "STEP: [OBJECT: ]cause"
 *   "exit STATUS"  the kernel ended (wait status, decimal)
 * It holds the masters of x->keep for the kernel's life, and hands them
 * over on x->handover to a monitor that connects (handover.h).
 * Returns the watcher's pid, or -1 if the helper could not be executed. */
pid_t jail_spawn(const struct jail *j, const struct jail_exec *x, struct err *e);

#endif
