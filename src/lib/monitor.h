/* monitor.h -- the monitor of one VM: its state machine (stopped, starting,
 * running, paused, stopping, crashed), the boot through the jailed watcher,
 * the escalating stop, the channels, and the event loop that runs it all.
 * The RPC procedures (ctrl.c) are thin calls into this. */
#ifndef UMLMON_MONITOR_H
#define UMLMON_MONITOR_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "umlmonctrl.h"
#include "../common/config.h"
#include "../common/ratelimit.h"
#include "../common/util.h"
#include "chan.h"
#include "disklock.h"
#include "jail.h"
#include "vmnet.h"

struct diskjob;
struct loop;
struct loop_timer;
struct mconsole_op;
struct rpc_server;
struct monitor;

/* The end of an operation: status UM_OK or the error, msg the text (for
 * mconsole passthrough, the kernel's answer). */
typedef void (*mon_done_cb)(struct monitor *m, um_status st, const char *msg,
			    void *arg);

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

struct monitor {
	struct loop *loop;
	struct config *cfg;
	struct vm_conf *vm;
	struct jail jail;
	struct rpc_server *rpc;
	struct logw *logw;
	struct chan *chans[VM_MAX_CHANS];   /* index as in vm->chans */
	int nchans;
	sigset_t orig_mask;

	um_state state;
	pid_t watcher, kernel;
	int status_fd;
	struct strbuf status_in;
	int notify_fd;
	int mc_fd;              /* the kernel's mconsole socket (O_PATH), or -1 */
	char mc_path[64];       /* its name for sendto: /proc/self/fd/N */
	time_t started;
	int64_t started_ms;
	int exit_seen;
	char *cmdline;
	char panic[256];        /* last panic notification of this boot */
	struct vm_exit last_exit;

	enum stop_stage stage;
	enum stop_stage stage_max;
	int stop_timeout;
	int64_t stop_deadline;  /* end of the ctrl-alt-del grace */
	struct loop_timer *stop_timer;
	struct mconsole_op *stop_op;
	struct mon_waiter *start_waiters;
	struct mon_waiter *stop_waiters;
	struct mon_req *reqs;   /* mconsole calls on behalf of clients */
	int quitting;
	int rebooting;          /* the guest rebooted: start afresh once down */
	struct vmnet net;           /* the host side of this boot's interfaces */
	char macs[VM_MAX_NICS][18]; /* of the interfaces, from the last start */
	struct diskjob *disk_job;   /* the running disk operation, or NULL */
	struct rpc_call *disk_call; /* its caller, until it goes away */

	int boot;                   /* boots since the monitor started */
	int64_t ready_ms;           /* this boot's guest is up after this
				       many ms; 0: not yet */
	struct mon_waiter *ready_waiters;
	struct chan *login_chan;    /* watched for a login prompt, or NULL */
	struct chan_waiter login_watch;
	struct chan *panic_chan;    /* con0 while the kernel starts, or NULL */
	struct chan_waiter panic_watch;
	int restart;                /* a client asked for a reboot: start
				       again once the kernel has ended */
	struct mon_waiter *reboot_waiters;
	int panicked;               /* this boot's kernel panicked */
	/* The configuration read by the last reload while the VM ran: it
	 * applies when this boot ends (NULL: none). What changes is told in
	 * pending_note. */
	struct config *pending;
	char *pending_note;
	struct ratelimit notify_limit; /* log lines of notifications */
	struct disklocks boot_locks;   /* the images of this boot */
};


/* Sets up everything but the control socket. The monitor owns cfg from
 * then on (a reload replaces it), also when this fails. */
struct monitor *monitor_new(struct config *cfg, const char *name, struct err *e);
/* Serves the control RPC on VARDIR/VM/ctrl. */
int monitor_listen(struct monitor *m, struct err *e);
/* Runs the loop until the monitor is told to quit (SIGTERM, SIGINT) and
 * the VM is down. */
int monitor_run(struct monitor *m);
/* Unmounts, closes and removes the control socket; frees the
 * configuration. */
void monitor_free(struct monitor *m);

/* Each returns -1 with e when refused at once; otherwise cb runs later. */
int monitor_start(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
int monitor_stop(struct monitor *m, int timeout, mon_done_cb cb, void *arg,
		 struct err *e);
int monitor_halt(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
int monitor_pause(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
int monitor_resume(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
int monitor_ctrlaltdel(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
int monitor_sysrq(struct monitor *m, const char *key, mon_done_cb cb, void *arg,
		  struct err *e);
/* mconsole passthrough of the harmless commands. */
int monitor_mconsole(struct monitor *m, const char *cmd, mon_done_cb cb,
		     void *arg, struct err *e);
/* Stops the VM as monitor_stop() does, then boots it again in a fresh
 * jail; cb runs once the new kernel runs (or with why it could not). */
int monitor_reboot(struct monitor *m, int timeout, mon_done_cb cb, void *arg,
		   struct err *e);
/* cb runs once the running guest is up: its ready notice through
 * /proc/mconsole, or a login prompt on con1 (at once if it already is);
 * with UM_ESTATE if the kernel ends first. Timeouts are the caller's
 * (monitor_forget). */
int monitor_wait_ready(struct monitor *m, mon_done_cb cb, void *arg,
		       struct err *e);
/* Re-reads the configuration file. The VM's changed section applies now
 * if the VM is down, else when this boot ends; an unreadable file or an
 * invalid section changes nothing. text gets the report, one line per
 * finding. -1 with e when nothing was applied. */
int monitor_reload(struct monitor *m, struct strbuf *text, struct err *e);
/* Drops every pending callback for arg (its client went away). */
void monitor_forget(struct monitor *m, void *arg);

struct chan *monitor_chan(struct monitor *m, const char *name);

/* For monitor_reload.c: the channels of m->vm (see monitor.c), and the
 * pending configuration put in place (the VM is down). */
int monitor_make_chans(struct monitor *m, struct err *e);
void monitor_apply_pending(struct monitor *m);

#endif
