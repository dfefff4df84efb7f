/* monitor.h -- the monitor of one VM, as its users see it: the RPC
 * procedures (ctrl.c), umlmon's main and nothing else call these. Its
 * state (monitor_int.h) is the monitor's own: the configuration, one boot,
 * and the operation in progress.
 *
 * Operations that take time answer through a callback: each function
 * returns -1 with e (its code says why) when the operation is refused at
 * once, and otherwise calls cb later, exactly once, from the loop. */
#ifndef UMLMON_MONITOR_H
#define UMLMON_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "umlmonctrl.h"
#include "common/config.h"
#include "common/util.h"

struct chan;
struct diskjob_args;
struct loop;
struct monitor;
struct mon_keys;
struct vm_paths;

/* The end of an operation: status UM_OK or the error, msg the text (for
 * mconsole passthrough, the kernel's answer). */
typedef void (*mon_done_cb)(struct monitor *m, um_status st, const char *msg,
			    void *arg);

/* Sets up everything but the control socket. The monitor owns cfg from
 * then on (a reload replaces it), also when this fails. If the VM still
 * runs (its monitor was killed, or upgraded: this image was executed by
 * -upgrade), it re-attaches to it (monitor_attach.c), or fails saying
 * why it cannot. */
struct monitor *monitor_new(struct config *cfg, const char *name, int upgraded,
			    struct err *e);
/* It re-attached to a VM that ran on. */
int monitor_reattached(const struct monitor *m);
/* Where its program is (readlink of /proc/self/exe at its start) and its
 * arguments: -upgrade (SIGUSR2) executes them again. Kept, not copied. */
void monitor_set_program(struct monitor *m, const char *exe, char **argv);
/* Removes what a boot left on the host when its monitor died (mounts
 * under the jail, taps, proxy ARP entries, its cgroup), unless it
 * re-attached to a VM that runs (then it logs that); logs what it
 * removes. */
void monitor_clean_left(struct monitor *m);
/* Serves the control RPC on VARDIR/VM/ctrl, and with tcp = yes on an
 * anonymous TCP port too (tcp_bind, or all addresses). */
int monitor_listen(struct monitor *m, struct err *e);
/* The TCP port and the address it is bound to ("::", "0.0.0.0", or
 * tcp_bind), for umldir: 0 and "" without TCP. */
int monitor_tcp_port(const struct monitor *m);
const char *monitor_tcp_addr(const struct monitor *m);
/* Its TCP port speaks TLS. */
int monitor_tcp_tls(const struct monitor *m);
/* Runs the loop until the monitor is told to quit (SIGTERM, SIGINT) and
 * the VM is down. */
int monitor_run(struct monitor *m);
/* Unmounts, closes and removes the control socket; frees the
 * configuration. */
void monitor_free(struct monitor *m);

/* What a client may have done to the VM, through one entry point. */
enum mon_action {
	MON_START,      /* answered once the kernel runs */
	MON_STOP,       /* Ctrl-Alt-Del, then the escalation; once it ended */
	MON_HALT,       /* mconsole halt, then signals; once it ended */
	MON_REBOOT,     /* a stop, then a start in a fresh jail */
	MON_CTRLALTDEL,
	MON_SYSRQ,
	MON_PAUSE,      /* mconsole stop */
	MON_RESUME,     /* mconsole go */
};

struct mon_request {
	enum mon_action action;
	int timeout;          /* MON_STOP, MON_REBOOT: seconds, < 0: configured */
	const char *key;      /* MON_SYSRQ */
};

/* A device plugged into or out of the running VM (UM_DEVICE_ADD,
 * UM_DEVICE_REMOVE; monitor_hotplug.c). */
struct mon_device {
	um_dev_kind kind;
	const char *name;     /* ubd1, con3, eth1, mem */
	const char *spec;     /* as the configuration's value ("" to remove) */
	int keep;             /* also in the configuration file */
};
int monitor_device_add(struct monitor *m, const struct mon_device *d,
		       mon_done_cb cb, void *arg, struct err *e);
int monitor_device_remove(struct monitor *m, const struct mon_device *d,
			  mon_done_cb cb, void *arg, struct err *e);

/* The steps of the running or the last stop, one a line, each with its
 * time ("" before the first stop). */
const char *monitor_stop_steps(const struct monitor *m);
int monitor_do(struct monitor *m, const struct mon_request *r, mon_done_cb cb,
	       void *arg, struct err *e);
/* The start of umlmon's main (start = boot): as MON_START. */
int monitor_start(struct monitor *m, mon_done_cb cb, void *arg, struct err *e);
/* mconsole passthrough of the harmless commands (mcpolicy.h). */
int monitor_mconsole(struct monitor *m, const char *cmd, mon_done_cb cb,
		     void *arg, struct err *e);
/* cb runs once the running guest is up: its ready notice through
 * /proc/mconsole, or a login prompt on con1; with UM_ESTATE if the kernel
 * ends first. Timeouts are the caller's (monitor_forget). */
int monitor_wait_ready(struct monitor *m, mon_done_cb cb, void *arg,
		       struct err *e);
/* Re-reads the configuration file. The VM's changed section applies now
 * if the VM is down, else when this boot ends; an unreadable file or an
 * invalid section changes nothing. text gets the report, one line per
 * finding. -1 with e when nothing was applied. */
int monitor_reload(struct monitor *m, struct strbuf *text, struct err *e);
/* Drops every pending callback for arg (its client went away); a disk
 * operation it started is cancelled. */
void monitor_forget(struct monitor *m, void *arg);

/* A disk operation (disk.h) in a thread of the monitor, one at a time.
 * cb gets e NULL on success, and the report. */
typedef void (*mon_disk_cb)(struct monitor *m, const struct err *e,
			    const char *text, void *arg);
int monitor_disk(struct monitor *m, const struct diskjob_args *a, mon_disk_cb cb,
		 void *arg, struct err *e);
/* The operation running ("copy /disks/a.dsk") and its progress; -1 with
 * e (ERR_NOENT) when none runs. */
int monitor_disk_progress(struct monitor *m, char *what, size_t len,
			  uint64_t *done, uint64_t *total, struct err *e);
/* Asks the operation to stop (it ends "interrupted"). */
int monitor_disk_cancel(struct monitor *m, char *what, size_t len, struct err *e);

/* Snapshots (monitor_snapshot.c, disk/snapshot.h). Taking one answers
 * cb with e NULL on success, the report and the guest's pause (-1: it
 * was not running). A restore needs the VM down and answers as a disk
 * operation does; the list and a delete are done at once. */
typedef void (*mon_snap_cb)(struct monitor *m, const struct err *e,
			    const char *text, int64_t pause_ms, void *arg);
int monitor_snapshot(struct monitor *m, const char *name, mon_snap_cb cb,
		     void *arg, struct err *e);
int monitor_snapshot_list(struct monitor *m, struct strbuf *text, struct err *e);
int monitor_snapshot_restore(struct monitor *m, const char *name, mon_disk_cb cb,
			     void *arg, struct err *e);
int monitor_snapshot_delete(struct monitor *m, const char *name,
			    struct strbuf *text, struct err *e);

/* What the monitor tells about itself and the VM. */
const char *monitor_name(const struct monitor *m);
/* The keys TCP clients authenticate with (common/authkeys.h). */
const struct mon_keys *monitor_keys(const struct monitor *m);
um_state monitor_state(const struct monitor *m);
struct loop *monitor_loop(const struct monitor *m);
const struct vm_conf *monitor_vm(const struct monitor *m);
const struct vm_paths *monitor_paths(const struct monitor *m);
/* ms since this boot started, and after how many the guest was up (0:
 * not yet) */
int64_t monitor_boot_ms(const struct monitor *m);
int64_t monitor_ready_ms(const struct monitor *m);
/* The boot a channel's screen shows: its number (0: none yet), whether
 * it runs now, and when it ended (0 while it runs). */
void monitor_boot_shown(const struct monitor *m, int *boot, int *live,
			time_t *ended);
/* The configuration, state and last exit, for UM_INFO. */
void monitor_info(struct monitor *m, um_info *r);

struct chan *monitor_chan(struct monitor *m, const char *name);
/* "con0, con1, ssl0" */
void monitor_chan_list(const struct monitor *m, struct strbuf *names);
/* Clients reading chan: its readers less the monitor's own watches. */
int monitor_chan_readers(const struct monitor *m, const struct chan *ch);

#endif
