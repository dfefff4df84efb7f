/* monitor.c -- the daemon of one VM: its life (new, run, free), its
 * signals, the channels, the waiters of operations, and the mconsole
 * commands clients ask for. Starting and the boot's I/O are in
 * monitor_boot.c, the stop in monitor_stop.c, reloads in
 * monitor_reload.c. */
#include "umlmon/monitor_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "common/log.h"
#include "common/mcpolicy.h"
#include "common/names.h"
#include "common/paths.h"
#include "common/tlsctx.h"
#include "host/uidalloc.h"
#include "host/vmuser.h"
#include "umlmon/ctrl.h"
#include "umlmon/dirlink.h"
#include "umlmon/diskjob.h"
#include "umlmon/logw.h"
#include "serve/loop.h"
#include "umlmon/mconsole.h"
#include "serve/rpc_server.h"

/* An mconsole call made for a client. */
struct mon_req {
	struct monitor *m;
	struct mconsole_op *op;
	mon_done_cb cb;       /* NULL once the client is gone */
	void *arg;
	int then;             /* um_state to enter on success, or -1 */
	char said[128];       /* the answer on success ("" : the kernel's) */
	char cmd[80];         /* for the timeout's message */
	struct mon_req *next;
};

/* How long a client's mconsole call may wait for the kernel: a hung or
 * stopped kernel never answers (umlmon(8) MCONSOLE). */
#define MC_CALL_TIMEOUT_MS 5000

void add_waiter(struct mon_waiter **list, mon_done_cb cb, void *arg)
{
	struct mon_waiter *w = xcalloc(1, sizeof(*w));

	w->cb = cb;
	w->arg = arg;
	w->next = *list;
	*list = w;
}

/* Marks where a finish_waiters() walk begins; never called. */
static void walk_mark(struct monitor *m, um_status st, const char *msg, void *arg)
{
	(void)m;
	(void)st;
	(void)msg;
	(void)arg;
}

/* The waiters stay on the list until their turn, so that monitor_forget()
 * from a callback (its client went away) still finds them. A mark put at
 * the head splits the list: waiters that callbacks add go in front of it
 * and wait for the next event; behind it are the ones to finish now (and
 * the mark of a walk this one runs inside, which is skipped). */
void finish_waiters(struct monitor *m, struct mon_waiter **list,
			   um_status st, const char *msg)
{
	struct mon_waiter mark = {.cb = walk_mark, .next = *list}, **pp, *w;

	mark.arg = &mark;
	*list = &mark;
	for (;;) {
		for (pp = &mark.next; *pp && (*pp)->cb == walk_mark; pp = &(*pp)->next)
			;
		if (!(w = *pp))
			break;
		*pp = w->next;
		if (w->cb)
			w->cb(m, st, msg, w->arg);
		free(w);
	}
	for (pp = list; *pp != &mark; pp = &(*pp)->next)
		;
	*pp = mark.next;
}

static void forget_in(struct mon_waiter *list, void *arg)
{
	for (; list; list = list->next)
		if (list->arg == arg)
			list->cb = NULL;
}

void monitor_forget(struct monitor *m, void *arg)
{
	forget_in(m->op.start_waiters, arg);
	forget_in(m->op.stop_waiters, arg);
	forget_in(m->op.ready_waiters, arg);
	forget_in(m->op.reboot_waiters, arg);
	for (struct mon_req *r = m->op.reqs; r; r = r->next)
		if (r->arg == arg)
			r->cb = NULL;
	monitor_hot_forget(m, arg);
	monitor_snapshot_forget(m, arg);
	if (m->op.disk_job && m->op.disk_arg == arg) {
		/* its client went away: the operation is not wanted any more */
		m->op.disk_cb = NULL;
		diskjob_cancel(m->op.disk_job);
	}
}

void monitor_set_state(struct monitor *m, um_state st)
{
	if (m->state == st)
		return;
	m->state = st;
	dirlink_state(m->dirlink, vm_state_name(st));
	/* a new monitor finds it paused (monitor_attach.c) */
	if ((st == UM_PAUSED || st == UM_RUNNING) && m->b.kernel)
		runstate_write(m);
}

void monitor_chan_list(const struct monitor *m, struct strbuf *names)
{
	for (int i = 0; i < m->nchans; i++)
		sb_printf(names, "%s%s", i ? ", " : "", m->chans[i]->name);
}

struct chan *monitor_chan(struct monitor *m, const char *name)
{
	for (int i = 0; i < m->nchans; i++)
		if (m->chans[i] && !strcmp(m->chans[i]->name, name))
			return m->chans[i];
	return NULL;
}

static void on_req(const struct mconsole_answer *ans, const struct err *error,
		   void *arg)
{
	struct mon_req *r = arg;
	struct monitor *m = r->m;
	um_status st = UM_OK;
	const char *msg;
	char buf[1200];

	for (struct mon_req **pp = &m->op.reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	if (error && error->code == ERR_TIMEDOUT) {
		st = UM_ETIMEDOUT;
		snprintf(buf, sizeof(buf), "%s: mconsole '%s': no answer in %.1f s "
			 "(the kernel is hung or stopped)", m->vm->name, r->cmd,
			 MC_CALL_TIMEOUT_MS / 1000.0);
		msg = buf;
		log_warn("%s", msg);
	} else if (error) {
		st = (um_status)error->code;
		snprintf(buf, sizeof(buf), "%s: %s", m->vm->name, error->msg);
		msg = buf;
	} else {
		msg = ans->text;
		if (ans->kernel_err)
			st = UM_EKERNEL;
		else if (r->said[0])
			msg = r->said;
		if (!ans->kernel_err && r->then >= 0 && is_up(m) &&
		    m->state != UM_STOPPING)
			monitor_set_state(m, (um_state)r->then);
	}
	if (r->cb)
		r->cb(m, st, msg, r->arg);
	free(r);
}

/* An mconsole command for a client; said (may be NULL) is its answer on
 * success instead of the kernel's text. */
static int request(struct monitor *m, const char *cmd, int then, const char *said,
		   mon_done_cb cb, void *arg, struct err *e)
{
	struct mon_req *r;

	if (m->state == UM_STARTING) {
		err_code(e, ERR_STATE, "%s: still booting (its mconsole is not up yet)",
			 m->vm->name);
		return -1;
	}
	if (m->state != UM_RUNNING && m->state != UM_PAUSED) {
		err_code(e, ERR_STATE, "%s: not running (state %s)", m->vm->name,
			 vm_state_name(m->state));
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	r->m = m;
	r->cb = cb;
	r->arg = arg;
	r->then = then;
	snprintf(r->cmd, sizeof(r->cmd), "%s", cmd);
	if (said)
		snprintf(r->said, sizeof(r->said), "%s: %s", m->vm->name, said);
	r->next = m->op.reqs;
	m->op.reqs = r;
	r->op = mconsole_async(m->loop, m->b.mc_path, m->b.kernel_netns, cmd,
			       MC_CALL_TIMEOUT_MS, on_req, r);
	return 0;
}

int monitor_request(struct monitor *m, const char *cmd, mon_done_cb cb, void *arg,
		    struct err *e)
{
	return request(m, cmd, -1, NULL, cb, arg, e);
}

/* A snapshot stops and resumes the guest itself: a client's go in its
 * pause would let the guest write during the copy, a client's stop would
 * be undone by the snapshot's go. */
static int no_snapshot(const struct monitor *m, const char *what, struct err *e)
{
	if (!m->op.snap)
		return 0;
	err_code(e, ERR_BUSY, "%s: cannot %s: a snapshot is being taken (the "
		 "guest runs on when it ends)", m->vm->name, what);
	return -1;
}

int monitor_pause(struct monitor *m, mon_done_cb cb, void *arg, struct err *e)
{
	if (no_snapshot(m, "pause", e) < 0)
		return -1;
	if (m->state == UM_PAUSED) {
		err_code(e, ERR_STATE, "%s: already paused", m->vm->name);
		return -1;
	}
	return request(m, "stop", UM_PAUSED, "paused (mconsole stop; -resume "
		       "continues it)", cb, arg, e);
}

int monitor_resume(struct monitor *m, mon_done_cb cb, void *arg, struct err *e)
{
	if (no_snapshot(m, "resume", e) < 0)
		return -1;
	if (m->state == UM_RUNNING) {
		err_code(e, ERR_STATE, "%s: not paused", m->vm->name);
		return -1;
	}
	return request(m, "go", UM_RUNNING, "resumed (running again)", cb, arg, e);
}

int monitor_ctrlaltdel(struct monitor *m, mon_done_cb cb, void *arg, struct err *e)
{
	return request(m, "cad", -1, "ctrl-alt-del sent", cb, arg, e);
}

int monitor_sysrq(struct monitor *m, const char *key, mon_done_cb cb, void *arg,
		  struct err *e)
{
	char cmd[16], said[64];

	if (mcpolicy_check_sysrq(key, e) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "sysrq %s", key);
	snprintf(said, sizeof(said), "sysrq %s sent (its effect shows in the "
		 "console log)", key);
	return request(m, cmd, -1, said, cb, arg, e);
}

int monitor_do(struct monitor *m, const struct mon_request *r, mon_done_cb cb,
	       void *arg, struct err *e)
{
	switch (r->action) {
	case MON_START: return monitor_start(m, cb, arg, e);
	case MON_STOP: return monitor_stop(m, r->timeout, cb, arg, e);
	case MON_HALT: return monitor_halt(m, cb, arg, e);
	case MON_REBOOT: return monitor_reboot(m, r->timeout, cb, arg, e);
	case MON_CTRLALTDEL: return monitor_ctrlaltdel(m, cb, arg, e);
	case MON_SYSRQ: return monitor_sysrq(m, r->key ? r->key : "", cb, arg, e);
	case MON_PAUSE: return monitor_pause(m, cb, arg, e);
	case MON_RESUME: return monitor_resume(m, cb, arg, e);
	}
	err_code(e, ERR_INVAL, "%s: unknown action %d", m->vm->name, (int)r->action);
	return -1;
}

/* ---- disk operations ------------------------------------------------- */

void monitor_disk_done(struct diskjob *j, int rc, const struct err *e,
		       const char *text, void *arg)
{
	struct monitor *m = arg;
	mon_disk_cb cb = m->op.disk_cb;
	void *cbarg = m->op.disk_arg;

	(void)j;
	m->op.disk_job = NULL;
	m->op.disk_cb = NULL;
	m->op.disk_arg = NULL;
	if (rc < 0)
		log_info("%s: disk: %s", m->vm->name, e->msg);
	if (cb)
		cb(m, rc < 0 ? e : NULL, text, cbarg);
}

int monitor_disk(struct monitor *m, const struct diskjob_args *a, mon_disk_cb cb,
		 void *arg, struct err *e)
{
	if (m->op.disk_job) {
		err_code(e, ERR_BUSY, "%s: a disk operation is running (%s)",
			 m->vm->name, diskjob_what(m->op.disk_job));
		return -1;
	}
	if (m->op.snap) {
		err_code(e, ERR_BUSY, "%s: a snapshot is being taken", m->vm->name);
		return -1;
	}
	m->op.disk_job = diskjob_start(m->loop, m->cfg, m->vm->name, a,
				       monitor_disk_done, m, e);
	if (!m->op.disk_job)
		return -1;
	m->op.disk_cb = cb;
	m->op.disk_arg = arg;
	return 0;
}

static int no_disk_job(const struct monitor *m, struct err *e)
{
	if (m->op.disk_job)
		return 0;
	err_code(e, ERR_NOENT, "%s: no disk operation is running", m->vm->name);
	return -1;
}

int monitor_disk_progress(struct monitor *m, char *what, size_t len,
			  uint64_t *done, uint64_t *total, struct err *e)
{
	if (no_disk_job(m, e) < 0)
		return -1;
	snprintf(what, len, "%s", diskjob_what(m->op.disk_job));
	diskjob_progress(m->op.disk_job, done, total);
	return 0;
}

int monitor_disk_cancel(struct monitor *m, char *what, size_t len, struct err *e)
{
	if (no_disk_job(m, e) < 0)
		return -1;
	snprintf(what, len, "%s", diskjob_what(m->op.disk_job));
	diskjob_cancel(m->op.disk_job);
	return 0;
}

int monitor_mconsole(struct monitor *m, const char *cmd, mon_done_cb cb,
		     void *arg, struct err *e)
{
	if (mcpolicy_check_passthrough(cmd, e) < 0)
		return -1;
	return request(m, cmd, -1, NULL, cb, arg, e);
}

/* ---- the daemon ------------------------------------------------------ */

/* The channels of the configuration: kept where name, mode and log
 * settings are the same (their output offsets go on), made anew where
 * they are not, dropped where the configuration has them no more. Only
 * while the VM is down. On failure nothing changes. */
/* A channel's pty stayed empty after output: a SIGIO makes the kernel look
 * whether it can write the console output it holds (see chan.c). The pid
 * is the kernel's while exit_seen is not set, as for the stop's SIGTERM. */
static void kick_kernel(struct chan *ch, void *arg)
{
	struct monitor *m = arg;

	(void)ch;
	if (m->b.kernel && !m->b.exit_seen)
		kill(m->b.kernel, SIGIO);
}

int monitor_make_chans(struct monitor *m, struct err *e)
{
	const struct vm_conf *vm = m->vm;
	struct chan *made[VM_MAX_CHANS];
	int kept[VM_MAX_CHANS] = {0}; /* of m->chans: still wanted */
	int fresh[VM_MAX_CHANS] = {0};

	for (int i = 0; i < vm->nchans; i++) {
		struct chan_opts o = {.logdir = m->jail.p.logdir, .logw = m->logw,
				      .log_max = vm->log_max, .log_keep = vm->log_keep,
				      .drained = kick_kernel, .drained_arg = m};

		made[i] = NULL;
		for (int k = 0; k < m->nchans && !made[i]; k++) {
			if (!kept[k] && !strcmp(m->chans[k]->name, vm->chans[i].name) &&
			    m->chans[k]->mode == vm->chans[i].mode &&
			    chan_log_same(m->chans[k], &o)) {
				made[i] = m->chans[k];
				kept[k] = 1;
			}
		}
		if (made[i])
			continue;
		made[i] = chan_new(m->loop, vm->chans[i].name, vm->chans[i].mode,
				   &o, e);
		if (!made[i]) {
			for (int k = 0; k < i; k++)
				if (fresh[k])
					chan_free(made[k]);
			return -1;
		}
		fresh[i] = 1;
	}
	for (int k = 0; k < m->nchans; k++)
		if (!kept[k])
			chan_free(m->chans[k]);
	memcpy(m->chans, made, sizeof(made[0]) * (size_t)vm->nchans);
	m->nchans = vm->nchans;
	return 0;
}

static void on_quit(struct loop *l, int sig, void *arg)
{
	struct monitor *m = arg;
	struct err e;

	if (!is_up(m) && !m->b.watcher) {
		log_info("%s: signal %d: exiting", m->vm->name, sig);
		loop_quit(l);
		return;
	}
	if (m->quitting) {
		log_info("%s: signal %d again: halting the VM now", m->vm->name, sig);
		if (m->op.stage < STAGE_HALT)
			stop_enter(m, is_up(m) ? STAGE_HALT : STAGE_KILL);
		return;
	}
	m->quitting = 1;
	log_info("%s: signal %d: stopping the VM, then exiting", m->vm->name, sig);
	if (m->state != UM_STOPPING && begin_stop(m, STAGE_CAD, -1, NULL, NULL, &e) < 0)
		loop_quit(l);
}

static void on_upgrade(struct loop *l, int sig, void *arg)
{
	(void)l;
	(void)sig;
	monitor_upgrade(arg);
}

static void on_hup(struct loop *l, int sig, void *arg)
{
	struct monitor *m = arg;
	struct strbuf text;
	struct err e;

	(void)l;
	(void)sig;
	sb_init(&text);
	if (monitor_reload(m, &text, &e) < 0)
		log_err("SIGHUP: %s", e.msg);
	for (char *line = text.buf, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		log_info("SIGHUP: %.*s", (int)(nl - line), line);
	}
	sb_free(&text);
}

struct monitor *monitor_new(struct config *cfg, const char *name, int upgraded,
			    struct err *e)
{
	struct monitor *m = xcalloc(1, sizeof(*m));
	struct vm_conf *vm = config_vm(cfg, name);
	pid_t left = 0;

	m->cfg = cfg;
	if (!vm) {
		err_set(e, "%s: unknown VM (no [%s] section in %s)", name, name,
			cfg->path);
		config_free(cfg);
		free(m);
		return NULL;
	}
	m->vm = vm;
	/* a user of its own (vmuser = auto): allocated here, kept in
	 * VARDIR/uids */
	if (uidalloc_resolve(cfg, vm->name, e) < 0 ||
	    mon_keys_load(cfg, vm, &m->keys, e) < 0) {
		config_free(cfg);
		free(m);
		return NULL;
	}
	m->b.status_fd = -1;
	m->b.kernel_pidfd = -1;
	m->b.notify_fd = -1;
	m->b.mc_fd = -1;
	m->b.kernel_netns = -1;
	m->state = UM_STOPPED;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		m->image_started_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	m->notify_limit = (struct ratelimit)RATELIMIT_INIT(10, 1000);
	sb_init(&m->b.status_in);
	sigprocmask(SIG_SETMASK, NULL, &m->orig_mask);
	m->loop = loop_new();
	if (!m->loop) {
		err_sys(e, "epoll");
		config_free(cfg);
		free(m);
		return NULL;
	}
	if (jail_init(&m->jail, cfg, vm, e) < 0 || jail_layout(&m->jail, e) < 0)
		goto fail;
	/* a VM left running by a monitor that died (or re-executed itself)
	 * keeps its jail: this monitor takes it over (monitor_attach.c) */
	left = jail_find_process(&m->jail);
	if (!left && vmuser_check(cfg, vm, m->jail.p.root, e) < 0)
		goto fail;
	/* a cgroup left by a monitor that died is removed by the next start
	 * before it makes a fresh one; a running boot's is adopted */
	if (cgroup_init(&m->cg, cfg->global.cgroup_parent, vm->name, e) < 0) {
		err_prefix(e, "%s", vm->name);
		goto fail_keep_boot;
	}
	m->logw = logw_new(e);
	if (!m->logw)
		goto fail_keep_boot;
	if (monitor_make_chans(m, e) < 0)
		goto fail_keep_boot;
	if (loop_signal(m->loop, SIGCHLD, mon_on_sigchld, m) < 0 ||
	    loop_signal(m->loop, SIGTERM, on_quit, m) < 0 ||
	    loop_signal(m->loop, SIGINT, on_quit, m) < 0 ||
	    loop_signal(m->loop, SIGHUP, on_hup, m) < 0 ||
	    loop_signal(m->loop, SIGUSR2, on_upgrade, m) < 0) {
		err_sys(e, "signalfd");
		goto fail_keep_boot;
	}
	signal(SIGPIPE, SIG_IGN);
	m->upgraded = upgraded;
	if (left && monitor_attach(m, left, e) < 0)
		goto fail_keep_boot;
	/* orphans of the jailed child (the kernel, if the child dies) come to
	 * us, so that their end is seen */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return m;
fail:
	monitor_free(m);
	return NULL;
fail_keep_boot:
	/* a VM that runs keeps what its boot holds */
	m->keep_boot = left != 0;
	monitor_free(m);
	return NULL;
}

int monitor_reattached(const struct monitor *m)
{
	return m->reattached != 0;
}

void monitor_set_program(struct monitor *m, const char *exe, char **argv)
{
	m->self_exe = exe;
	m->argv = argv;
}

void monitor_clean_left(struct monitor *m)
{
	struct err e;

	if (m->reattached) {
		/* they are the running boot's */
		log_info("%s: %s", m->vm->name, m->reattach_note);
		return;
	}
	/* no process of an earlier run lives (monitor_new checked): its
	 * mounts, taps, proxy entries and cgroup are ours to remove */
	jail_unmount(&m->jail);
	vmnet_reap(m->vm);
	if (cgroup_remove(&m->cg, &e) < 0)
		log_warn("%s: %s", m->vm->name, e.msg);
}

void monitor_drop_links(struct monitor *m)
{
	dirlink_free(m->dirlink);
	m->dirlink = NULL;
	while (m->op.reqs) {
		struct mon_req *r = m->op.reqs;

		m->op.reqs = r->next;
		mconsole_async_cancel(r->op);
		free(r);
	}
	/* its request is gone with them */
	hotplug_drop(m);
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	rpc_server_free(m->rpc);
	m->rpc = NULL;
	if (m->op.disk_job)
		diskjob_abort(m->op.disk_job);
	m->op.disk_job = NULL;
	monitor_snapshot_abort(m);
	monitor_drop_links(m);
	stop_login_watch(m);
	stop_panic_watch(m);
	finish_waiters(m, &m->op.start_waiters, UM_ECLOSED, "the monitor is exiting");
	finish_waiters(m, &m->op.stop_waiters, UM_ECLOSED, "the monitor is exiting");
	finish_waiters(m, &m->op.ready_waiters, UM_ECLOSED, "the monitor is exiting");
	finish_waiters(m, &m->op.reboot_waiters, UM_ECLOSED, "the monitor is exiting");
	if (!m->keep_boot)
		teardown(m);
	/* the watcher exits right after it reported the kernel's end */
	for (int i = 0; !m->keep_boot && m->b.watcher > 0 && i < 200; i++) {
		if (waitpid(m->b.watcher, NULL, WNOHANG) != 0)
			m->b.watcher = 0;
		else
			usleep(10000);
	}
	for (int i = 0; i < m->nchans; i++)
		chan_free(m->chans[i]);
	logw_free(m->logw);
	free(m->b.cmdline);
	sb_free(&m->b.hotplug);
	jail_free(&m->jail);
	cgroup_free(&m->cg);
	loop_free(m->loop);
	disklocks_free(&m->b.locks);
	config_free(m->pending);
	free(m->pending_note);
	config_free(m->cfg);
	mon_keys_clear(&m->keys);
	free(m);
}

int monitor_tls_load(struct monitor *m, const struct vm_conf *vm, struct err *e)
{
	struct ssl_ctx_st *ctx = tlsctx_server(vm->remote.tls_cert,
					       vm->remote.tls_key, e);

	if (!ctx)
		return -1;
	rpc_server_set_tls(m->rpc, ctx);
	tlsctx_free(ctx);
	return 0;
}

/* umldir is told where the monitor serves TCP (port 0: it does not) and
 * follows the VM's state from then on. */
static void monitor_dirlink_start(struct monitor *m)
{
	struct dirlink_reg reg = {
		.vm = m->vm->name,
		.addr = monitor_tcp_addr(m),
		.port = (unsigned)monitor_tcp_port(m),
		.tls = monitor_tcp_tls(m),
	};
	char *dirsock = umldir_sock_path(m->cfg->global.vardir);

	m->dirlink = dirlink_new(m->loop, dirsock, &reg, vm_state_name(m->state));
	free(dirsock);
}

int monitor_listen(struct monitor *m, struct err *e)
{
	const struct global_conf *g = &m->cfg->global;
	const struct remote_conf *r = &m->vm->remote;
	struct rpc_limits lim = {0};

	m->rpc = ctrl_server_new(m->loop, m);
	if (rpc_server_listen_unix(m->rpc, m->jail.p.ctrl,
				   g->ctrl_group ? 0660 : 0600,
				   g->ctrl_group ? g->ctrl_gid : (gid_t)-1, e) < 0)
		return -1;
	if (r->tcp) {
		/* the queues keep their defaults (0) */
		lim.max_conns = r->max_clients;
		lim.max_conns_per_peer = r->max_clients_per_peer;
		lim.max_unauth = r->max_unauth;
		lim.auth_timeout_ms = r->auth_timeout * 1000;
		rpc_server_set_limits(m->rpc, RPC_TCP, &lim);
		/* a certificate that does not load: no start, rather than a
		 * port in clear that clients were told speaks TLS */
		if (r->tls_cert && monitor_tls_load(m, m->vm, e) < 0) {
			err_prefix(e, "%s", m->vm->name);
			return -1;
		}
		if (rpc_server_listen_tcp(m->rpc, r->tcp_bind, 0, e) < 0) {
			err_prefix(e, "%s", m->vm->name);
			return -1;
		}
		log_info("%s: tcp: listening on %s port %d%s", m->vm->name,
			 rpc_server_tcp_addr(m->rpc), rpc_server_tcp_port(m->rpc),
			 r->tls_cert ? " (TLS)" : "");
	}
	monitor_dirlink_start(m);
	return 0;
}

int monitor_tcp_port(const struct monitor *m)
{
	return m->rpc ? rpc_server_tcp_port(m->rpc) : 0;
}

int monitor_tcp_tls(const struct monitor *m)
{
	return m->rpc && rpc_server_has_tls(m->rpc);
}

const char *monitor_tcp_addr(const struct monitor *m)
{
	return m->rpc ? rpc_server_tcp_addr(m->rpc) : "";
}

int monitor_run(struct monitor *m)
{
	return loop_run(m->loop);
}
