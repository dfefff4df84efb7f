/* monitor_int.h -- the state of a monitor, for its own files only
 * (monitor.c, monitor_boot.c, monitor_stop.c, monitor_reload.c,
 * monitor_info.c). It is split by lifetime: the monitor's own (its loop,
 * the configuration, the channels), one boot of the VM (struct vm_boot:
 * what the kernel and its watcher hold, made afresh by each start), and
 * the operation in progress (struct mon_op: the stop, the waiters, the
 * disk job). */
#ifndef UMLMON_MONITOR_INT_H
#define UMLMON_MONITOR_INT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/authkeys.h"
#include "umlmon/monitor.h"
#include "common/ratelimit.h"
#include "umlmon/chan.h"
#include "disk/disklock.h"
#include "host/cgroup.h"
#include "host/jail.h"
#include "net/vmnet.h"

struct diskjob;
struct dirlink;
struct loop_timer;
struct mconsole_op;
struct mon_hot;
struct mon_req;
struct mon_snap;
struct restore_job;
struct rpc_server;

struct mon_waiter {
	mon_done_cb cb;
	void *arg;
	struct mon_waiter *next;
};

struct vm_exit {
	int valid;
	int code, signal;
	int requested;
	time_t ended;
	char reason[512];
};

enum stop_stage {
	STAGE_NONE = 0,
	STAGE_CAD,      /* Ctrl-Alt-Del sent, waiting for the guest */
	STAGE_SYNC,     /* sysrq s */
	STAGE_UMOUNT,   /* sysrq u */
	STAGE_HALT,     /* mconsole halt */
	STAGE_TERM,     /* SIGTERM to the kernel (UML halts) */
	STAGE_KILL,     /* SIGKILL */
};

/* One boot: set up by the start, torn down when the kernel ends; what
 * -info tells of the last start (command line, MACs) stays until the
 * next. A monitor that re-attaches rebuilds it (monitor_attach.c). */
struct vm_boot {
	pid_t watcher, kernel;
	int adopted;                /* the watcher was handed over, not
				     * started: maybe not our child */
	int kernel_pidfd;           /* an adopted kernel whose watcher ended
				     * without telling its end, or -1 */
	int status_fd;              /* the watcher's status pipe, or its
				     * hand-over connection */
	struct strbuf status_in;
	int notify_fd;              /* mconsole notifications */
	int mc_fd;                  /* the kernel's mconsole socket (O_PATH) */
	char mc_path[64];           /* its name for sendto: /proc/self/fd/N */
	int kernel_netns;           /* the kernel's own network namespace, where
				     * mconsole client sockets are made; -1:
				     * the monitor's */
	time_t started;
	int64_t started_ms;
	int64_t ready_ms;           /* the guest was up after this many ms */
	int exit_seen;
	int panicked;
	char panic[256];            /* the last panic text */
	char *cmdline;
	struct vmnet net;           /* the host side of the interfaces */
	char macs[VM_MAX_NICS][18];
	struct disklocks locks;     /* the images of this boot */
	struct chan *login_chan;    /* con1, watched for a login prompt */
	struct chan_waiter login_watch;
	struct chan *panic_chan;    /* con0 while the kernel starts */
	struct chan_waiter panic_watch;
	/* hot-plug (monitor_hotplug.c) */
	struct mon_hot *hot;        /* the one in progress, or NULL */
	int hot_changed;            /* m->vm is not the file's: read again at
				     * the boot's end */
	uint64_t mem_unplugged;     /* bytes -mem took from the guest */
	struct strbuf hotplug;      /* "ubd1 added (kept); eth1 removed" */
};

/* What is being done to the VM and who waits for it. */
struct mon_op {
	enum stop_stage stage;
	enum stop_stage stage_max;
	int stop_timeout;
	int64_t stop_deadline;      /* end of the ctrl-alt-del grace */
	struct loop_timer *stop_timer;
	struct mconsole_op *stop_op;
	int64_t stop_start_ms;      /* when this stop began */
	int mc_silent;              /* a stop's mconsole call went unanswered */
	int unanswered;             /* the step that ends did so unanswered */
	char steps[1024];           /* the stop's steps so far, one a line */
	int restart;                /* a client asked for a reboot */
	int rebooting;              /* the guest rebooted */
	struct mon_waiter *start_waiters;
	struct mon_waiter *stop_waiters;
	struct mon_waiter *ready_waiters;
	struct mon_waiter *reboot_waiters;
	struct mon_req *reqs;       /* mconsole calls on behalf of clients */
	struct diskjob *disk_job;   /* the running disk operation, or NULL */
	mon_disk_cb disk_cb;        /* its caller, until it goes away */
	void *disk_arg;
	struct mon_snap *snap;      /* a snapshot being taken, or NULL */
	struct restore_job *restore; /* a snapshot being restored, or NULL */
};

struct monitor {
	/* the monitor's own */
	struct loop *loop;
	struct rpc_server *rpc;
	struct dirlink *dirlink;    /* the registration with umldir */
	struct logw *logw;
	sigset_t orig_mask;
	int quitting;
	struct ratelimit notify_limit;  /* log lines of notifications */

	/* the configuration; a reload's waits in pending for the next boot,
	 * pending_note says what changes */
	struct config *cfg;
	struct vm_conf *vm;
	struct jail jail;
	struct cgroup cg;           /* the VM's, per boot (host/cgroup.h) */
	struct cgroup_stats cg_end; /* its figures when the last boot ended */
	struct config *pending;
	char *pending_note;
	struct mon_keys keys;       /* of TCP clients; a reload sets them at once */
	const char *self_exe;       /* the path it was started from (-upgrade
				     * executes it again) */
	char **argv;                /* its arguments, for the same */
	int upgraded;               /* this image was executed by -upgrade */
	int keep_boot;              /* monitor_free leaves the running boot */
	int64_t image_started_ms;   /* Unix time (ms) this program image began */
	time_t reattached;          /* when it re-attached to a running VM, or 0 */
	char reattach_how[128];     /* "monitor restart, pid N" */
	char reattach_note[256];    /* for the log, once it is open */

	/* the VM */
	um_state state;
	int boots;                  /* since the monitor started */
	struct vm_exit last_exit;
	struct chan *chans[VM_MAX_CHANS];   /* index as in vm->chans */
	int nchans;
	struct vm_boot b;
	struct mon_op op;
};

static inline int is_up(const struct monitor *m)
{
	return m->state == UM_STARTING || m->state == UM_RUNNING ||
	       m->state == UM_PAUSED || m->state == UM_STOPPING;
}

/* monitor.c */
/* The state changes (umldir is told). */
void monitor_set_state(struct monitor *m, um_state st);
void add_waiter(struct mon_waiter **list, mon_done_cb cb, void *arg);
/* The stop's last step ("SIGKILL: ended after 6.1 s") and the steps so
 * far, for the stop's answer; when the kernel ended during a stop. */
void stop_ended(struct monitor *m);
void finish_waiters(struct monitor *m, struct mon_waiter **list, um_status st,
		    const char *msg);
int monitor_make_chans(struct monitor *m, struct err *e);
/* The TCP port's TLS from vm's tls_cert and tls_key, for the connections
 * accepted from now on; -1 (e names the file) leaves it as it was. */
int monitor_tls_load(struct monitor *m, const struct vm_conf *vm, struct err *e);
int monitor_pause(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
int monitor_resume(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
int monitor_ctrlaltdel(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
int monitor_sysrq(struct monitor *m, const char *key, mon_done_cb cb, void *arg,
		  struct err *e);

/* An mconsole command of the monitor's own for a client's operation:
 * cb gets the kernel's answer (UM_EKERNEL with its text if it refused). */
int monitor_request(struct monitor *m, const char *cmd, mon_done_cb cb, void *arg,
		    struct err *e);

/* monitor_hotplug.c: the client of arg went away (its answer is
 * dropped; the operation ends as the kernel says). */
void monitor_hot_forget(struct monitor *m, void *arg);
/* A new channel name (spec: its mode, pty or log) of the running boot,
 * on a pty of the jail's own devpts: its slave's name in the jail
 * (/dev/pts/N) in slave. monitor_drop_chan takes it out again. */
int monitor_add_chan(struct monitor *m, const char *name, const char *spec,
		     char *slave, size_t len, struct err *e);
void monitor_drop_chan(struct monitor *m, const char *name);
/* The boot's hot-plug record reset (a new boot), and at its end the file
 * read again if the running VM was changed. */
void hotplug_boot_begins(struct monitor *m);
void hotplug_boot_ended(struct monitor *m);
/* The hot-plug in progress forgotten (its mconsole request was dropped:
 * the monitor exits or executes itself again). */
void hotplug_drop(struct monitor *m);
/* The end of the disk job (diskjob_done_cb, arg the monitor): its
 * caller (op.disk_cb) is told. */
void monitor_disk_done(struct diskjob *j, int rc, const struct err *e,
		       const char *text, void *arg);

/* monitor_boot.c */
void mon_on_sigchld(struct loop *l, int sig, void *arg);
/* A boot handed over by its watcher (m->b has the pids and the status
 * connection): the notification socket bound again, the mconsole socket
 * and the kernel's network namespace opened; state running, or starting
 * if the kernel's mconsole is not up yet. -1 with e. */
int boot_adopt(struct monitor *m, struct err *e);
void teardown(struct monitor *m);
void stop_login_watch(struct monitor *m);
void stop_panic_watch(struct monitor *m);

/* monitor_stop.c */
void stop_enter(struct monitor *m, enum stop_stage s);
void stop_cancel(struct monitor *m);
int begin_stop(struct monitor *m, enum stop_stage first, int timeout,
	       mon_done_cb cb, void *arg, struct err *e);
int monitor_stop(struct monitor *m, int timeout, mon_done_cb cb, void *arg,
		 struct err *e);
int monitor_halt(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
int monitor_reboot(struct monitor *m, int timeout, mon_done_cb cb, void *arg,
		   struct err *e);

/* monitor_attach.c: the VM's kernel still runs (pid left lives in the
 * jail): take it over from its watcher. -1 with e if it cannot be (the
 * watcher is gone, its mounts are in another namespace...). */
int monitor_attach(struct monitor *m, pid_t left, struct err *e);
/* SIGUSR2 (umlmon -upgrade): the monitor executes its program again, in
 * place, which re-attaches; refused (logged) during a start, stop,
 * reboot, disk operation or snapshot. Returns only if it did not happen. */
void monitor_upgrade(struct monitor *m);
/* The registration with umldir and the clients' mconsole calls ended (the
 * monitor exits or executes itself again). */
void monitor_drop_links(struct monitor *m);
/* The facts of the running boot a new monitor needs, in VARDIR/VM/
 * run-state (root's, 0600), written when they change (kernel pid, the
 * guest up, paused); removed at the boot's end. */
void runstate_write(struct monitor *m);
void runstate_remove(struct monitor *m);

/* monitor_snapshot.c: a client went away (a snapshot goes on: the guest
 * must resume); the monitor exits (its disk job was aborted). */
void monitor_snapshot_forget(struct monitor *m, void *arg);
void monitor_snapshot_abort(struct monitor *m);

/* monitor_reload.c: the pending configuration put in place (the VM is
 * down) */
void monitor_apply_pending(struct monitor *m);

#endif
