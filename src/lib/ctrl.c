/* ctrl.c -- the procedures of umlmonctrl.x on the monitor's side: decode,
 * call into monitor.c or chan.c, answer now or when the operation ends. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/names.h"
#include "cmdline.h"
#include "diskjob.h"
#include "logw.h"
#include "loop.h"
#include "monitor.h"
#include "rpc_server.h"
#include "rpc_wire.h"
#include "screen.h"

/* The longest a console read may be held. */
#define READ_WAIT_MAX_MS 60000

static void set_res(um_result *r, um_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_res(um_result *r, um_status st, const char *fmt, ...)
{
	va_list ap;

	free(r->message);
	r->status = st;
	va_start(ap, fmt);
	if (vasprintf(&r->message, fmt, ap) < 0)
		r->message = xstrdup("out of memory");
	va_end(ap);
}

/* The codes of struct err are the statuses of the protocol. */
_Static_assert(ERR_OK == (int)UM_OK && ERR_INVAL == (int)UM_EINVAL &&
	       ERR_STATE == (int)UM_ESTATE && ERR_NOENT == (int)UM_ENOENT &&
	       ERR_IO == (int)UM_EIO && ERR_TIMEDOUT == (int)UM_ETIMEDOUT &&
	       ERR_PERM == (int)UM_EPERM && ERR_CLOSED == (int)UM_ECLOSED &&
	       ERR_BUSY == (int)UM_EBUSY && ERR_KERNEL == (int)UM_EKERNEL,
	       "enum err_code and um_status differ");

static void cancel_call(struct rpc_call *call, void *arg)
{
	monitor_forget(arg, call);
}

static void done_result(struct monitor *m, um_status st, const char *msg, void *arg)
{
	struct rpc_call *call = arg;

	(void)m;
	set_res(rpc_call_res(call), st, "%s", msg);
	rpc_call_reply(call);
}

static void done_text(struct monitor *m, um_status st, const char *msg, void *arg)
{
	struct rpc_call *call = arg;
	um_text_res *res = rpc_call_res(call);

	(void)m;
	if (st == UM_OK) {
		set_res(&res->res, st, "ok");
		res->text = xstrdup(msg);
	} else {
		set_res(&res->res, st, "%s: mconsole: %s", m->vm->name, msg);
		res->text = xstrdup("");
	}
	rpc_call_reply(call);
}

/* Starts a deferred operation, or answers its refusal at once. */
static enum rpc_outcome deferred(struct rpc_call *call, um_result *res, int r,
				 const struct err *e)
{
	if (r < 0) {
		set_res(res, (um_status)e->code, "%s", e->msg);
		return RPC_REPLY;
	}
	rpc_call_on_cancel(call, cancel_call, rpc_call_ctx(call));
	return RPC_DEFER;
}

static enum rpc_outcome p_null(struct rpc_call *call, void *args, void *res)
{
	(void)call;
	(void)args;
	(void)res;
	return RPC_REPLY;
}

static void fill_info(struct monitor *m, um_info *r)
{
	struct vm_conf *vm = m->vm;
	const struct vm_exit *x = &m->last_exit;

	set_res(&r->res, UM_OK, "ok");
	r->name = xstrdup(vm->name);
	r->state = m->state;
	r->monitor_pid = (int)getpid();
	r->watcher_pid = (int)m->watcher;
	r->kernel_pid = (int)m->kernel;
	r->started = m->state == UM_STOPPED || m->state == UM_CRASHED ? 0 : m->started;
	r->uptime_ms = r->started ? (u_quad_t)(now_ms() - m->started_ms) : 0;
	r->vmuser = xstrdup(vm->vmuser);
	r->kernel = xstrdup(vm->kernel);
	r->memory = vm->memory;
	r->vardir = xstrdup(m->jail.p.vmdir);
	r->jail = xstrdup(m->jail.p.root);
	if (m->cmdline) {
		r->cmdline = xstrdup(m->cmdline);
	} else {
		struct cmdline cl;
		struct err e;

		if (cmdline_build(vm, NULL, &cl, &e) == 0) {
			r->cmdline = xstrdup(cl.text);
			cmdline_free(&cl);
		} else {
			r->cmdline = xstrdup(e.msg);
		}
	}
	r->stop_timeout = vm->stop_timeout;
	r->disks.disks_len = (u_int)vm->ndisks;
	r->disks.disks_val = xcalloc((size_t)vm->ndisks, sizeof(um_disk));
	for (int i = 0; i < vm->ndisks; i++) {
		um_disk *d = &r->disks.disks_val[i];

		d->dev = xasprintf("ubd%d", vm->disks[i].index);
		d->flags = xstrdup(vm->disks[i].flags);
		d->path = xstrdup(vm->disks[i].path);
		d->backing = xstrdup(vm->disks[i].backing ? vm->disks[i].backing : "");
	}
	r->nics.nics_len = (u_int)vm->nnics;
	r->nics.nics_val = xcalloc((size_t)vm->nnics, sizeof(um_nic));
	for (int i = 0; i < vm->nnics; i++) {
		const struct nic_conf *n = &vm->nics[i];
		um_nic *u = &r->nics.nics_val[i];
		char gif[16];

		u->name = xasprintf("eth%d", n->index);
		u->kind = xstrdup(nic_kind_name(n->kind));
		if (n->kind == NIC_HOST_TO_HOST)
			u->host = xasprintf("tap %s %s peer %s%s%s", n->proxy_if,
					    n->proxy_addr, n->guest_addr,
					    n->host_if[0] ? ", proxy ARP on " : "",
					    n->host_if);
		else if (n->kind == NIC_BRIDGED)
			u->host = xasprintf("tap %s on bridge %s", n->proxy_if,
					    n->bridge_if);
		else
			u->host = xasprintf("switch %s", n->sw);
		cmdline_guest_if(vm, i, gif, sizeof(gif));
		u->guest_if = xstrdup(gif);
		u->mac = xstrdup(m->macs[i]);
	}
	r->chans.chans_len = (u_int)m->nchans;
	r->chans.chans_val = xcalloc((size_t)m->nchans, sizeof(um_chan));
	for (int i = 0; i < m->nchans; i++) {
		struct chan *ch = m->chans[i];
		um_chan *c = &r->chans.chans_val[i];

		c->name = xstrdup(ch->name);
		c->mode = (um_chan_mode)ch->mode;
		c->log = xstrdup(ch->logpath ? ch->logpath : "");
		c->head = ch->head;
		/* clients only: not the monitor's own watches */
		c->readers = chan_nwaiters(ch) - (m->login_chan == ch) -
			     (m->panic_chan == ch);
		c->open = chan_is_open(ch);
	}
	r->last_exit.valid = x->valid;
	r->last_exit.code = x->code;
	r->last_exit.signal = x->signal;
	r->last_exit.requested = x->requested;
	r->last_exit.ended = x->ended;
	r->last_exit.reason = xstrdup(x->reason);
	r->boot = m->boot;
	r->ready_ms = m->ready_ms > 0 && r->started ? (u_quad_t)m->ready_ms : 0;
	r->pending = xstrdup(m->pending_note ? m->pending_note : "");
}

static enum rpc_outcome p_info(struct rpc_call *call, void *args, void *res)
{
	(void)args;
	fill_info(rpc_call_ctx(call), res);
	return RPC_REPLY;
}

static enum rpc_outcome p_start(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	struct err e;

	(void)args;
	return deferred(call, res, monitor_start(m, done_result, call, &e), &e);
}

static enum rpc_outcome p_stop(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_stop_args *a = args;
	struct err e;

	return deferred(call, res, monitor_stop(m, a->timeout, done_result, call, &e), &e);
}

static enum rpc_outcome p_halt(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	struct err e;

	(void)args;
	return deferred(call, res, monitor_halt(m, done_result, call, &e), &e);
}

static enum rpc_outcome p_cad(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	struct err e;

	(void)args;
	return deferred(call, res, monitor_ctrlaltdel(m, done_result, call, &e), &e);
}

static enum rpc_outcome p_sysrq(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	char **key = args;
	struct err e;

	return deferred(call, res, monitor_sysrq(m, *key, done_result, call, &e), &e);
}

static enum rpc_outcome p_pause(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	struct err e;

	(void)args;
	return deferred(call, res, monitor_pause(m, done_result, call, &e), &e);
}

static enum rpc_outcome p_resume(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	struct err e;

	(void)args;
	return deferred(call, res, monitor_resume(m, done_result, call, &e), &e);
}

static enum rpc_outcome p_mconsole(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_text_res *r = res;
	char **cmd = args;
	struct err e;

	if (monitor_mconsole(m, *cmd, done_text, call, &e) < 0) {
		set_res(&r->res, (um_status)e.code, "%s", e.msg);
		r->text = xstrdup("");
		return RPC_REPLY;
	}
	rpc_call_on_cancel(call, cancel_call, m);
	return RPC_DEFER;
}

/* ---- consoles -------------------------------------------------------- */

static struct chan *find_chan(struct monitor *m, const char *name, um_result *res)
{
	struct chan *ch = monitor_chan(m, name);

	if (!ch) {
		struct strbuf names;

		sb_init(&names);
		for (int i = 0; i < m->nchans; i++)
			sb_printf(&names, "%s%s", i ? ", " : "", m->chans[i]->name);
		set_res(res, UM_ENOENT, "%s: no channel '%s' (channels: %s)",
			m->vm->name, name, names.buf ? names.buf : "none");
		sb_free(&names);
		return NULL;
	}
	if (ch->mode == CHAN_NULL) {
		set_res(res, UM_ENOENT, "%s: %s is not connected (null in the "
			"configuration)", m->vm->name, name);
		return NULL;
	}
	return ch;
}

static enum rpc_outcome p_open(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_open_args *a = args;
	um_open_res *r = res;
	struct chan *ch = find_chan(m, a->chan, &r->res);

	if (!ch)
		return RPC_REPLY;
	r->offset = chan_attach_offset(ch);
	r->head = ch->head;
	r->tail = chan_tail(ch);
	r->writable = !a->readonly && ch->mode == CHAN_PTY;
	if (!chan_is_open(ch) && m->state != UM_STARTING)
		set_res(&r->res, UM_ECLOSED, "%s: %s is not connected: the VM is %s",
			m->vm->name, ch->name, vm_state_name(m->state));
	else if (!a->readonly && ch->mode == CHAN_LOG)
		set_res(&r->res, UM_OK, "%s: %s is log-only: watching without "
			"input%s", m->vm->name, ch->name, m->state == UM_PAUSED ?
			"; the VM is paused: nothing will show until it is "
			"resumed (-resume)" : "");
	else if (m->state == UM_PAUSED)
		set_res(&r->res, UM_OK, "%s: the VM is paused: nothing will show "
			"and input waits until it is resumed (-resume)", m->vm->name);
	else
		set_res(&r->res, UM_OK, "ok");
	return RPC_REPLY;
}

struct read_wait {
	struct chan_waiter w;
	struct rpc_call *call;
	struct monitor *m;
	struct loop_timer *timer;
	uint32_t max;
};

static void fill_read(struct chan *ch, um_read_res *r, uint64_t offset, uint32_t max)
{
	r->data.data_val = xmalloc(max ? max : 1);
	r->data.data_len = (u_int)chan_read(ch, &offset, r->data.data_val, max);
	r->offset = offset;
	set_res(&r->res, UM_OK, "ok");
}

static void read_done(struct read_wait *rw, int closed)
{
	struct chan *ch = rw->w.ch;
	um_read_res *r = rpc_call_res(rw->call);

	loop_timer_cancel(rw->m->loop, rw->timer);
	fill_read(ch, r, rw->w.offset, rw->max);
	if (closed && r->data.data_len == 0)
		set_res(&r->res, UM_ECLOSED, "%s: %s closed: the VM stopped",
			rw->m->vm->name, ch->name);
	rpc_call_reply(rw->call);
	free(rw);
}

static void on_read_wake(struct chan_waiter *w, int closed)
{
	read_done((struct read_wait *)w, closed);
}

static void on_read_timeout(struct loop *l, void *arg)
{
	struct read_wait *rw = arg;

	(void)l;
	rw->timer = NULL;
	chan_unwait(rw->w.ch, &rw->w);
	read_done(rw, 0);
}

static void on_read_cancel(struct rpc_call *call, void *arg)
{
	struct read_wait *rw = arg;

	(void)call;
	chan_unwait(rw->w.ch, &rw->w);
	loop_timer_cancel(rw->m->loop, rw->timer);
	free(rw);
}

static enum rpc_outcome p_read(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_read_args *a = args;
	um_read_res *r = res;
	struct chan *ch = find_chan(m, a->chan, &r->res);
	uint32_t max = a->max > UM_DATA_MAX ? UM_DATA_MAX : a->max;
	struct read_wait *rw;

	if (!ch) {
		r->data.data_val = xstrdup("");
		return RPC_REPLY;
	}
	if (a->offset < ch->head || a->wait_ms == 0 || max == 0) {
		fill_read(ch, r, a->offset, max);
		return RPC_REPLY;
	}
	if (!chan_is_open(ch) && !(m->state == UM_STARTING)) {
		/* nothing more will come until the next start: the client may
		 * wait across a restart by asking again */
		fill_read(ch, r, a->offset, max);
		set_res(&r->res, UM_ECLOSED, "%s: %s closed: the VM is %s",
			m->vm->name, ch->name, vm_state_name(m->state));
		return RPC_REPLY;
	}
	rw = xcalloc(1, sizeof(*rw));
	rw->w.offset = a->offset;
	rw->w.cb = on_read_wake;
	rw->call = call;
	rw->m = m;
	rw->max = max;
	rw->timer = loop_timer_add(m->loop, a->wait_ms > READ_WAIT_MAX_MS ?
				   READ_WAIT_MAX_MS : a->wait_ms, on_read_timeout, rw);
	chan_wait(ch, &rw->w);
	rpc_call_on_cancel(call, on_read_cancel, rw);
	return RPC_DEFER;
}

static enum rpc_outcome p_write(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_write_args *a = args;
	struct chan *ch = find_chan(m, a->chan, res);
	struct err e;

	if (!ch)
		return RPC_REPLY;
	if (ch->mode != CHAN_PTY) {
		set_res(res, UM_EPERM, "%s: %s is log-only: input is not accepted",
			m->vm->name, ch->name);
		return RPC_REPLY;
	}
	if (chan_write(ch, a->data.data_val, a->data.data_len, &e) < 0) {
		set_res(res, chan_is_open(ch) ? UM_EBUSY : UM_ECLOSED, "%s: %s",
			m->vm->name, e.msg);
		return RPC_REPLY;
	}
	set_res(res, UM_OK, "ok");
	return RPC_REPLY;
}

static enum rpc_outcome p_winsize(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_winsize_args *a = args;
	struct chan *ch = find_chan(m, a->chan, res);
	struct err e;

	if (!ch)
		return RPC_REPLY;
	if (chan_winsize(ch, a->rows, a->cols, &e) < 0) {
		set_res(res, chan_is_open(ch) ? UM_EINVAL : UM_ECLOSED, "%s: %s",
			m->vm->name, e.msg);
		return RPC_REPLY;
	}
	set_res(res, UM_OK, "ok");
	return RPC_REPLY;
}

static enum rpc_outcome p_screen(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_screen_res *r = res;
	struct chan *ch = find_chan(m, *(char **)args, &r->res);
	int row, col, rows, cols;

	if (!ch) {
		r->text = xstrdup("");
		return RPC_REPLY;
	}
	r->text = screen_text(chan_screen(ch), &row, &col);
	screen_size(ch->screen, &rows, &cols);
	r->rows = (u_int)rows;
	r->cols = (u_int)cols;
	r->cursor_row = (u_int)row;
	r->cursor_col = (u_int)col;
	r->boot = m->boot;
	r->live = m->boot && m->watcher && m->state != UM_CRASHED;
	r->ended = !r->live && m->last_exit.valid ? m->last_exit.ended : 0;
	set_res(&r->res, UM_OK, "ok");
	return RPC_REPLY;
}

static enum rpc_outcome p_log_read(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_log_args *a = args;
	um_log_res *r = res;
	struct chan *ch = find_chan(m, a->chan, &r->res);
	uint32_t max = a->max > UM_DATA_MAX ? UM_DATA_MAX : a->max;
	uint64_t size, tag;
	ssize_t n = 0;
	int fd;

	r->data.data_val = xmalloc(max ? max : 1);
	if (!ch)
		return RPC_REPLY;
	if (!ch->log) {
		set_res(&r->res, UM_ENOENT, "%s: %s has no log", m->vm->name, ch->name);
		return RPC_REPLY;
	}
	/* only what the writer has finished: size and tag agree */
	logw_position(ch->logw, ch->log, &size, &tag);
	r->size = size;
	/* nothing of this run in the file yet: follow from its first byte */
	r->head = tag;
	r->offset = a->offset;
	if (a->offset < size && max) {
		fd = open(ch->logpath, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			set_res(&r->res, UM_EIO, "%s: log %s: %s", m->vm->name,
				ch->logpath, strerror(errno));
			return RPC_REPLY;
		}
		if (size - a->offset < max)
			max = (uint32_t)(size - a->offset);
		n = pread(fd, r->data.data_val, max, (off_t)a->offset);
		close(fd);
		if (n < 0) {
			set_res(&r->res, UM_EIO, "%s: log %s: %s", m->vm->name,
				ch->logpath, strerror(errno));
			return RPC_REPLY;
		}
	}
	r->data.data_len = (u_int)n;
	set_res(&r->res, UM_OK, "ok");
	return RPC_REPLY;
}

/* ---- disks ----------------------------------------------------------- */

static void disk_done(struct diskjob *j, int rc, const struct err *e,
		      const char *text, void *arg)
{
	struct monitor *m = arg;
	struct rpc_call *call = m->disk_call;
	um_disk_res *r;

	(void)j;
	m->disk_job = NULL;
	m->disk_call = NULL;
	if (rc < 0)
		log_info("%s: disk: %s", m->vm->name, e->msg);
	if (!call)
		return; /* its client went away */
	r = rpc_call_res(call);
	if (rc < 0)
		set_res(&r->res, (um_status)e->code, "%s", e->msg);
	else
		set_res(&r->res, UM_OK, "ok");
	free(r->text);
	r->text = xstrdup(text);
	rpc_call_reply(call);
}

static void disk_cancel(struct rpc_call *call, void *arg)
{
	struct monitor *m = arg;

	(void)call;
	m->disk_call = NULL;
	if (m->disk_job)
		diskjob_cancel(m->disk_job);
}

/* Does the operation change something in /shared/disks? */
static int changes_shared(const um_disk_args *a)
{
	int in_shared = !strncmp(a->path, "/shared/", 8);
	int out_shared = a->other && !strncmp(a->other, "/shared/", 8);

	switch (a->op) {
	case UM_DISK_INFO:
	case UM_DISK_CHECK:
		return 0;
	case UM_DISK_COPY:
		return out_shared;
	case UM_DISK_MERGE:
		/* in place writes the backing file, which may be shared */
		return in_shared || out_shared || !a->other || !*a->other;
	case UM_DISK_CREATE:
	case UM_DISK_DELETE:
	case UM_DISK_RESIZE:
	default:
		return in_shared;
	}
}

static enum rpc_outcome p_disk(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_disk_args *a = args;
	um_disk_res *r = res;
	struct diskjob_args ja = {a->op, a->path, a->other, a->size};
	struct err e;

	r->text = xstrdup("");
	if (m->disk_job) {
		set_res(&r->res, UM_EBUSY, "%s: a disk operation is running (%s)",
			m->vm->name, diskjob_what(m->disk_job));
		return RPC_REPLY;
	}
	if (changes_shared(a) && rpc_call_uid(call) != 0) {
		set_res(&r->res, UM_EPERM, "%s: only root changes /shared/disks "
			"(the merge in place writes the backing file)", a->path);
		return RPC_REPLY;
	}
	m->disk_job = diskjob_start(m->loop, m->cfg, m->vm->name, &ja, disk_done,
				    m, &e);
	if (!m->disk_job) {
		set_res(&r->res, UM_EIO, "%s", e.msg);
		return RPC_REPLY;
	}
	m->disk_call = call;
	rpc_call_on_cancel(call, disk_cancel, m);
	return RPC_DEFER;
}

static enum rpc_outcome p_disk_progress(struct rpc_call *call, void *args,
					void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_progress_res *r = res;
	uint64_t done, total;

	(void)args;
	if (!m->disk_job) {
		r->what = xstrdup("");
		set_res(&r->res, UM_ENOENT, "%s: no disk operation is running",
			m->vm->name);
		return RPC_REPLY;
	}
	diskjob_progress(m->disk_job, &done, &total);
	r->what = xstrdup(diskjob_what(m->disk_job));
	r->done = done;
	r->total = total;
	set_res(&r->res, UM_OK, "ok");
	return RPC_REPLY;
}

static enum rpc_outcome p_disk_cancel(struct rpc_call *call, void *args,
				      void *res)
{
	struct monitor *m = rpc_call_ctx(call);

	(void)args;
	if (!m->disk_job) {
		set_res(res, UM_ENOENT, "%s: no disk operation is running",
			m->vm->name);
		return RPC_REPLY;
	}
	diskjob_cancel(m->disk_job);
	set_res(res, UM_OK, "%s: cancelling %s", m->vm->name,
		diskjob_what(m->disk_job));
	return RPC_REPLY;
}

static enum rpc_outcome p_reboot(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_stop_args *a = args;
	struct err e;

	return deferred(call, res, monitor_reboot(m, a->timeout, done_result, call,
						  &e), &e);
}

/* A UM_WAIT in progress: its own timeout. */
struct ready_wait {
	struct rpc_call *call;
	struct monitor *m;
	struct loop_timer *timer;
};

static void ready_done(struct monitor *m, um_status st, const char *msg, void *arg)
{
	struct ready_wait *w = arg;

	(void)m;
	loop_timer_cancel(w->m->loop, w->timer);
	set_res(rpc_call_res(w->call), st, "%s", msg);
	rpc_call_reply(w->call);
	free(w);
}

static void on_ready_timeout(struct loop *l, void *arg)
{
	struct ready_wait *w = arg;
	struct monitor *m = w->m;

	(void)l;
	monitor_forget(m, w);
	set_res(rpc_call_res(w->call), UM_ETIMEDOUT, "%s: not up after %.1f s "
		"(state %s; no ready notice nor login prompt on con1 yet)",
		m->vm->name, (double)(now_ms() - m->started_ms) / 1000.0,
		vm_state_name(m->state));
	rpc_call_reply(w->call);
	free(w);
}

static void on_ready_cancel(struct rpc_call *call, void *arg)
{
	struct ready_wait *w = arg;

	(void)call;
	monitor_forget(w->m, w);
	loop_timer_cancel(w->m->loop, w->timer);
	free(w);
}

static enum rpc_outcome p_wait(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_wait_args *a = args;
	struct ready_wait *w;
	struct err e;

	if (m->ready_ms && (m->state == UM_RUNNING || m->state == UM_PAUSED)) {
		set_res(res, UM_OK, "%s: up %.1f s after the start", m->vm->name,
			(double)m->ready_ms / 1000.0);
		return RPC_REPLY;
	}
	w = xcalloc(1, sizeof(*w));
	w->call = call;
	w->m = m;
	if (monitor_wait_ready(m, ready_done, w, &e) < 0) {
		free(w);
		set_res(res, (um_status)e.code, "%s", e.msg);
		return RPC_REPLY;
	}
	w->timer = loop_timer_add(m->loop, a->timeout_ms, on_ready_timeout, w);
	rpc_call_on_cancel(call, on_ready_cancel, w);
	return RPC_DEFER;
}

static enum rpc_outcome p_reload(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	struct strbuf text;
	struct err e;

	(void)args;
	if (rpc_call_uid(call) != 0) {
		set_res(res, UM_EPERM, "%s: only root reloads the configuration",
			m->vm->name);
		return RPC_REPLY;
	}
	sb_init(&text);
	if (monitor_reload(m, &text, &e) < 0)
		set_res(res, UM_EINVAL, "%s%s", text.buf ? text.buf : "", e.msg);
	else
		set_res(res, UM_OK, "%.*s", text.len ? (int)text.len - 1 : 0,
			text.buf ? text.buf : "");
	sb_free(&text);
	return RPC_REPLY;
}

#define PROC(num, name, targ, tres, fn) \
	{num, name, (xdrproc_t)xdr_##targ, sizeof(targ), \
	 (xdrproc_t)xdr_##tres, sizeof(tres), fn}

/* "void" arguments and results: nothing on the wire */
typedef int um_void;
#define xdr_um_void xdr_rpc_void

typedef char *string_arg;
static bool_t xdr_string_arg(XDR *x, string_arg *s)
{
	return xdr_string(x, s, UM_MSG_MAX);
}

static const struct rpc_proc procs[] = {
	PROC(UM_NULL, "null", um_void, um_void, p_null),
	PROC(UM_INFO, "info", um_void, um_info, p_info),
	PROC(UM_START, "start", um_void, um_result, p_start),
	PROC(UM_STOP, "stop", um_stop_args, um_result, p_stop),
	PROC(UM_HALT, "halt", um_void, um_result, p_halt),
	PROC(UM_CTRLALTDEL, "ctrlaltdel", um_void, um_result, p_cad),
	PROC(UM_SYSRQ, "sysrq", string_arg, um_result, p_sysrq),
	PROC(UM_PAUSE, "pause", um_void, um_result, p_pause),
	PROC(UM_RESUME, "resume", um_void, um_result, p_resume),
	PROC(UM_MCONSOLE, "mconsole", string_arg, um_text_res, p_mconsole),
	PROC(UM_CONSOLE_OPEN, "console_open", um_open_args, um_open_res, p_open),
	PROC(UM_CONSOLE_READ, "console_read", um_read_args, um_read_res, p_read),
	PROC(UM_CONSOLE_WRITE, "console_write", um_write_args, um_result, p_write),
	PROC(UM_CONSOLE_WINSIZE, "console_winsize", um_winsize_args, um_result,
	     p_winsize),
	PROC(UM_CONSOLE_SCREEN, "console_screen", string_arg, um_screen_res, p_screen),
	PROC(UM_LOG_READ, "log_read", um_log_args, um_log_res, p_log_read),
	PROC(UM_DISK, "disk", um_disk_args, um_disk_res, p_disk),
	PROC(UM_DISK_PROGRESS, "disk_progress", um_void, um_progress_res,
	     p_disk_progress),
	PROC(UM_DISK_CANCEL, "disk_cancel", um_void, um_result, p_disk_cancel),
	PROC(UM_REBOOT, "reboot", um_stop_args, um_result, p_reboot),
	PROC(UM_WAIT, "wait", um_wait_args, um_result, p_wait),
	PROC(UM_RELOAD, "reload", um_void, um_result, p_reload),
};

int monitor_listen(struct monitor *m, struct err *e)
{
	gid_t gid = m->cfg->global.ctrl_group ? m->cfg->global.ctrl_gid : (gid_t)-1;

	m->rpc = rpc_server_new(m->loop, UMLMONCTRL_PROG, UMLMONCTRL_V1, procs,
				ARRAY_SIZE(procs), m);
	return rpc_server_listen_unix(m->rpc, m->jail.p.ctrl,
				      m->cfg->global.ctrl_group ? 0660 : 0600, gid, e);
}
