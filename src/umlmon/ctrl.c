/* ctrl.c -- the procedures of umlmonctrl.x on the monitor's side: the
 * dispatch table (each row says who may call it) and thin handlers that
 * decode, call the monitor (monitor.h) or a channel (chan.h), and answer
 * now or when the operation ends. It does not see the monitor's state. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/names.h"
#include "umlmon/diskjob.h"
#include "umlmon/logw.h"
#include "serve/loop.h"
#include "umlmon/chan.h"
#include "umlmon/ctrl.h"
#include "umlmon/ctrl_auth.h"
#include "umlmon/monitor.h"
#include "serve/rpc_server.h"
#include "common/rpc_wire.h"
#include "umlmon/screen.h"

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
	r->message = xvasprintf(fmt, ap);
	va_end(ap);
}

/* The codes of struct err are the statuses of the protocol. */
_Static_assert(ERR_OK == (int)UM_OK && ERR_INVAL == (int)UM_EINVAL &&
	       ERR_STATE == (int)UM_ESTATE && ERR_NOENT == (int)UM_ENOENT &&
	       ERR_IO == (int)UM_EIO && ERR_TIMEDOUT == (int)UM_ETIMEDOUT &&
	       ERR_PERM == (int)UM_EPERM && ERR_CLOSED == (int)UM_ECLOSED &&
	       ERR_BUSY == (int)UM_EBUSY && ERR_KERNEL == (int)UM_EKERNEL &&
	       ERR_UNSAFE == (int)UM_EUNSAFE &&
	       ERR_NOMEM == (int)UM_ENOMEM &&
	       ERR_SHARED == (int)UM_ESHARED,
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

	if (st == UM_OK) {
		set_res(&res->res, st, "ok");
		res->text = xstrdup(msg);
	} else if (st == UM_EKERNEL) {
		set_res(&res->res, st, "%s: mconsole: %s", monitor_name(m), msg);
		res->text = xstrdup("");
	} else {
		/* the monitor's own failure: it names the VM and the command */
		set_res(&res->res, st, "%s", msg);
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

static enum rpc_outcome p_info(struct rpc_call *call, void *args, void *res)
{
	um_info *r = res;

	(void)args;
	monitor_info(rpc_call_ctx(call), r);
	set_res(&r->res, UM_OK, "ok");
	return RPC_REPLY;
}

/* The procedures that are one action on the VM (the row's data): start,
 * stop, halt, reboot, ctrlaltdel, sysrq, pause, resume. */
static enum rpc_outcome p_action(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	struct mon_request r = {.action = (enum mon_action)rpc_call_data(call),
				.timeout = -1};
	struct err e;

	if (r.action == MON_STOP || r.action == MON_REBOOT)
		r.timeout = ((um_stop_args *)args)->timeout;
	else if (r.action == MON_SYSRQ)
		r.key = *(char **)args;
	return deferred(call, res, monitor_do(m, &r, done_result, call, &e), &e);
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

static enum rpc_outcome p_stop_steps(struct rpc_call *call, void *args, void *res)
{
	um_text_res *r = res;

	(void)args;
	r->text = xstrdup(monitor_stop_steps(rpc_call_ctx(call)));
	set_res(&r->res, UM_OK, "ok");
	return RPC_REPLY;
}

/* ---- consoles -------------------------------------------------------- */

static struct chan *find_chan(struct monitor *m, const char *name, um_result *res)
{
	struct chan *ch = monitor_chan(m, name);

	if (!ch) {
		struct strbuf names;

		sb_init(&names);
		monitor_chan_list(m, &names);
		set_res(res, UM_ENOENT, "%s: no channel '%s' (channels: %s)",
			monitor_name(m), name, names.buf ? names.buf : "none");
		sb_free(&names);
		return NULL;
	}
	if (ch->mode == CHAN_NULL) {
		set_res(res, UM_ENOENT, "%s: %s is not connected (null in the "
			"configuration)", monitor_name(m), name);
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
	if (!chan_is_open(ch) && monitor_state(m) != UM_STARTING)
		set_res(&r->res, UM_ECLOSED, "%s: %s is not connected: the VM is %s",
			monitor_name(m), ch->name, vm_state_name(monitor_state(m)));
	else if (!a->readonly && ch->mode == CHAN_LOG)
		set_res(&r->res, UM_OK, "%s: %s is log-only: watching without "
			"input%s", monitor_name(m), ch->name, monitor_state(m) == UM_PAUSED ?
			"; the VM is paused: nothing will show until it is "
			"resumed (-resume)" : "");
	else if (monitor_state(m) == UM_PAUSED)
		set_res(&r->res, UM_OK, "%s: the VM is paused: nothing will show "
			"and input waits until it is resumed (-resume)", monitor_name(m));
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

	loop_timer_cancel(monitor_loop(rw->m), rw->timer);
	fill_read(ch, r, rw->w.offset, rw->max);
	if (closed && r->data.data_len == 0)
		set_res(&r->res, UM_ECLOSED, "%s: %s closed: the VM stopped",
			monitor_name(rw->m), ch->name);
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
	loop_timer_cancel(monitor_loop(rw->m), rw->timer);
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
	if (!chan_is_open(ch) && !(monitor_state(m) == UM_STARTING)) {
		/* nothing more will come until the next start: the client may
		 * wait across a restart by asking again */
		fill_read(ch, r, a->offset, max);
		set_res(&r->res, UM_ECLOSED, "%s: %s closed: the VM is %s",
			monitor_name(m), ch->name, vm_state_name(monitor_state(m)));
		return RPC_REPLY;
	}
	rw = xcalloc(1, sizeof(*rw));
	rw->w.offset = a->offset;
	rw->w.cb = on_read_wake;
	rw->call = call;
	rw->m = m;
	rw->max = max;
	rw->timer = loop_timer_add(monitor_loop(m), a->wait_ms > READ_WAIT_MAX_MS ?
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
			monitor_name(m), ch->name);
		return RPC_REPLY;
	}
	if (chan_write(ch, a->data.data_val, a->data.data_len, &e) < 0) {
		set_res(res, chan_is_open(ch) ? UM_EBUSY : UM_ECLOSED, "%s: %s",
			monitor_name(m), e.msg);
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
			monitor_name(m), e.msg);
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
		r->ansi = xstrdup("");
		return RPC_REPLY;
	}
	r->text = screen_text(chan_screen(ch), &row, &col);
	r->ansi = screen_ansi(chan_screen(ch));
	if (strlen(r->ansi) > UM_SCREEN_MAX)
		r->ansi[0] = '\0';
	r->head = ch->head;
	screen_size(ch->screen, &rows, &cols);
	r->rows = (u_int)rows;
	r->cols = (u_int)cols;
	r->cursor_row = (u_int)row;
	r->cursor_col = (u_int)col;
	{
		int boot, live;
		time_t ended;

		monitor_boot_shown(m, &boot, &live, &ended);
		r->boot = boot;
		r->live = live;
		r->ended = ended;
	}
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
		set_res(&r->res, UM_ENOENT, "%s: %s has no log", monitor_name(m), ch->name);
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
			set_res(&r->res, UM_EIO, "%s: log %s: %s", monitor_name(m),
				ch->logpath, strerror(errno));
			return RPC_REPLY;
		}
		if (size - a->offset < max)
			max = (uint32_t)(size - a->offset);
		n = pread(fd, r->data.data_val, max, (off_t)a->offset);
		close(fd);
		if (n < 0) {
			set_res(&r->res, UM_EIO, "%s: log %s: %s", monitor_name(m),
				ch->logpath, strerror(errno));
			return RPC_REPLY;
		}
	}
	r->data.data_len = (u_int)n;
	set_res(&r->res, UM_OK, "ok");
	return RPC_REPLY;
}

/* ---- disks ----------------------------------------------------------- */

/* An operation's end in a result with a report: e NULL on success. */
static void set_report(um_result *res, char **report, const struct err *e,
		       const char *text)
{
	if (e)
		set_res(res, (um_status)e->code, "%s", e->msg);
	else
		set_res(res, UM_OK, "ok");
	free(*report);
	*report = xstrdup(text);
}

static void disk_done(struct monitor *m, const struct err *e, const char *text,
		      void *arg)
{
	struct rpc_call *call = arg;
	um_disk_res *r = rpc_call_res(call);

	(void)m;
	set_report(&r->res, &r->text, e, text);
	rpc_call_reply(call);
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
	/* a policy of the arguments, not of the procedure */
	if (changes_shared(a) && rpc_call_peer(call)->uid != 0) {
		set_res(&r->res, UM_EPERM, "%s: only root changes /shared/disks "
			"(the merge in place writes the backing file)", a->path);
		return RPC_REPLY;
	}
	if (monitor_disk(m, &ja, disk_done, call, &e) < 0) {
		set_res(&r->res, (um_status)e.code, "%s", e.msg);
		return RPC_REPLY;
	}
	rpc_call_on_cancel(call, cancel_call, m);
	return RPC_DEFER;
}

static enum rpc_outcome p_disk_progress(struct rpc_call *call, void *args,
					void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_progress_res *r = res;
	char what[300];
	uint64_t done, total;
	struct err e;

	(void)args;
	if (monitor_disk_progress(m, what, sizeof(what), &done, &total, &e) < 0) {
		r->what = xstrdup("");
		set_res(&r->res, (um_status)e.code, "%s", e.msg);
		return RPC_REPLY;
	}
	r->what = xstrdup(what);
	r->done = done;
	r->total = total;
	set_res(&r->res, UM_OK, "ok");
	return RPC_REPLY;
}

static enum rpc_outcome p_disk_cancel(struct rpc_call *call, void *args,
				      void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	char what[300];
	struct err e;

	(void)args;
	if (monitor_disk_cancel(m, what, sizeof(what), &e) < 0)
		set_res(res, (um_status)e.code, "%s", e.msg);
	else
		set_res(res, UM_OK, "%s: cancelling %s", monitor_name(m), what);
	return RPC_REPLY;
}

/* ---- snapshots --------------------------------------------------------- */

static void snap_done(struct monitor *m, const struct err *e, const char *text,
		      int64_t pause_ms, void *arg)
{
	struct rpc_call *call = arg;
	um_snapshot_res *r = rpc_call_res(call);

	(void)m;
	set_report(&r->res, &r->text, e, text);
	r->pause_ms = pause_ms;
	rpc_call_reply(call);
}

static enum rpc_outcome p_snapshot(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_snapshot_res *r = res;
	struct err e;

	r->text = xstrdup("");
	r->pause_ms = -1;
	if (monitor_snapshot(m, *(char **)args, snap_done, call, &e) < 0) {
		set_res(&r->res, (um_status)e.code, "%s", e.msg);
		return RPC_REPLY;
	}
	rpc_call_on_cancel(call, cancel_call, m);
	return RPC_DEFER;
}

static enum rpc_outcome p_snapshot_list(struct rpc_call *call, void *args,
					void *res)
{
	um_text_res *r = res;
	struct strbuf text;
	struct err e;

	(void)args;
	sb_init(&text);
	if (monitor_snapshot_list(rpc_call_ctx(call), &text, &e) < 0)
		set_res(&r->res, (um_status)e.code, "%s", e.msg);
	else
		set_res(&r->res, UM_OK, "ok");
	r->text = xstrdup(text.buf ? text.buf : "");
	sb_free(&text);
	return RPC_REPLY;
}

static enum rpc_outcome p_snapshot_restore(struct rpc_call *call, void *args,
					   void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_disk_res *r = res;
	struct err e;

	r->text = xstrdup("");
	if (monitor_snapshot_restore(m, *(char **)args, disk_done, call, &e) < 0) {
		set_res(&r->res, (um_status)e.code, "%s", e.msg);
		return RPC_REPLY;
	}
	rpc_call_on_cancel(call, cancel_call, m);
	return RPC_DEFER;
}

static enum rpc_outcome p_snapshot_delete(struct rpc_call *call, void *args,
					  void *res)
{
	struct strbuf text;
	struct err e;

	sb_init(&text);
	if (monitor_snapshot_delete(rpc_call_ctx(call), *(char **)args, &text,
				    &e) < 0)
		set_res(res, (um_status)e.code, "%s", e.msg);
	else
		set_res(res, UM_OK, "%.*s", text.len ? (int)text.len - 1 : 0,
			text.buf ? text.buf : "");
	sb_free(&text);
	return RPC_REPLY;
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
	loop_timer_cancel(monitor_loop(w->m), w->timer);
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
		monitor_name(m), (double)monitor_boot_ms(m) / 1000.0,
		vm_state_name(monitor_state(m)));
	rpc_call_reply(w->call);
	free(w);
}

static void on_ready_cancel(struct rpc_call *call, void *arg)
{
	struct ready_wait *w = arg;

	(void)call;
	monitor_forget(w->m, w);
	loop_timer_cancel(monitor_loop(w->m), w->timer);
	free(w);
}

static enum rpc_outcome p_wait(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	um_wait_args *a = args;
	struct ready_wait *w;
	struct err e;

	if (monitor_ready_ms(m) && (monitor_state(m) == UM_RUNNING ||
				     monitor_state(m) == UM_PAUSED)) {
		set_res(res, UM_OK, "%s: up %.1f s after the start", monitor_name(m),
			(double)monitor_ready_ms(m) / 1000.0);
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
	w->timer = loop_timer_add(monitor_loop(m), a->timeout_ms, on_ready_timeout, w);
	rpc_call_on_cancel(call, on_ready_cancel, w);
	return RPC_DEFER;
}

/* ---- hot-plug ------------------------------------------------------- */

static enum rpc_outcome p_device_add(struct rpc_call *call, void *args, void *res)
{
	um_device_args *a = args;
	struct mon_device d = {a->kind, a->name, a->spec, a->keep};
	struct err e;

	return deferred(call, res, monitor_device_add(rpc_call_ctx(call), &d,
						      done_result, call, &e), &e);
}

static enum rpc_outcome p_device_remove(struct rpc_call *call, void *args,
					void *res)
{
	um_device_remove_args *a = args;
	struct mon_device d = {a->kind, a->name, "", a->keep};
	struct err e;

	return deferred(call, res, monitor_device_remove(rpc_call_ctx(call), &d,
							 done_result, call, &e), &e);
}

static enum rpc_outcome p_reload(struct rpc_call *call, void *args, void *res)
{
	struct monitor *m = rpc_call_ctx(call);
	struct strbuf text;
	struct err e;

	(void)args;
	sb_init(&text);
	if (monitor_reload(m, &text, &e) < 0)
		set_res(res, UM_EINVAL, "%s%s", text.buf ? text.buf : "", e.msg);
	else
		set_res(res, UM_OK, "%.*s", text.len ? (int)text.len - 1 : 0,
			text.buf ? text.buf : "");
	sb_free(&text);
	return RPC_REPLY;
}

/* A row: number, name, argument and result types, handler, who may call
 * it (rpc_server.h), the handler's data. */
#define PROC(num, name, targ, tres, fn, policy, data) \
	{num, name, (xdrproc_t)xdr_##targ, sizeof(targ), \
	 (xdrproc_t)xdr_##tres, sizeof(tres), fn, policy, data}

/* "void" arguments and results: nothing on the wire */
typedef int um_void;
#define xdr_um_void xdr_rpc_void

/* the string arguments, each to the bound the IDL gives it */
typedef char *name_arg;
static bool_t xdr_name_arg(XDR *x, name_arg *s)
{
	return xdr_string(x, s, UM_NAME_MAX);
}

typedef char *msg_arg;
static bool_t xdr_msg_arg(XDR *x, msg_arg *s)
{
	return xdr_string(x, s, UM_MSG_MAX);
}

static const struct rpc_proc procs[] = {
	PROC(UM_NULL, "null", um_void, um_void, rpc_proc_null, RPC_ANY_PEER, 0),
	PROC(UM_INFO, "info", um_void, um_info, p_info, RPC_READ, 0),
	PROC(UM_START, "start", um_void, um_result, p_action, RPC_CONTROL, MON_START),
	PROC(UM_STOP, "stop", um_stop_args, um_result, p_action, RPC_CONTROL, MON_STOP),
	PROC(UM_HALT, "halt", um_void, um_result, p_action, RPC_CONTROL, MON_HALT),
	PROC(UM_CTRLALTDEL, "ctrlaltdel", um_void, um_result, p_action, RPC_CONTROL,
	     MON_CTRLALTDEL),
	PROC(UM_SYSRQ, "sysrq", name_arg, um_result, p_action, RPC_CONTROL,
	     MON_SYSRQ),
	PROC(UM_PAUSE, "pause", um_void, um_result, p_action, RPC_CONTROL, MON_PAUSE),
	PROC(UM_RESUME, "resume", um_void, um_result, p_action, RPC_CONTROL,
	     MON_RESUME),
	/* config and remove plug devices in and out */
	PROC(UM_MCONSOLE, "mconsole", msg_arg, um_text_res, p_mconsole,
	     RPC_CONTROL, 0),
	PROC(UM_CONSOLE_OPEN, "console_open", um_open_args, um_open_res, p_open,
	     RPC_READ, 0),
	PROC(UM_CONSOLE_READ, "console_read", um_read_args, um_read_res, p_read,
	     RPC_READ, 0),
	PROC(UM_CONSOLE_WRITE, "console_write", um_write_args, um_result, p_write,
	     RPC_CONTROL, 0),
	PROC(UM_CONSOLE_WINSIZE, "console_winsize", um_winsize_args, um_result,
	     p_winsize, RPC_CONTROL, 0),
	PROC(UM_CONSOLE_SCREEN, "console_screen", name_arg, um_screen_res,
	     p_screen, RPC_READ, 0),
	PROC(UM_LOG_READ, "log_read", um_log_args, um_log_res, p_log_read, RPC_READ, 0),
	/* and root only for what changes /shared/disks (p_disk) */
	PROC(UM_DISK, "disk", um_disk_args, um_disk_res, p_disk, RPC_CONTROL, 0),
	PROC(UM_DISK_PROGRESS, "disk_progress", um_void, um_progress_res,
	     p_disk_progress, RPC_READ, 0),
	PROC(UM_DISK_CANCEL, "disk_cancel", um_void, um_result, p_disk_cancel,
	     RPC_CONTROL, 0),
	PROC(UM_REBOOT, "reboot", um_stop_args, um_result, p_action, RPC_CONTROL,
	     MON_REBOOT),
	PROC(UM_WAIT, "wait", um_wait_args, um_result, p_wait, RPC_READ, 0),
	PROC(UM_RELOAD, "reload", um_void, um_result, p_reload, RPC_ROOT, 0),
	PROC(UM_STOP_STEPS, "stop_steps", um_void, um_text_res, p_stop_steps,
	     RPC_READ, 0),
	PROC(UM_DEVICE_ADD, "device_add", um_device_args, um_result, p_device_add,
	     RPC_CONTROL, 0),
	PROC(UM_DEVICE_REMOVE, "device_remove", um_device_remove_args, um_result,
	     p_device_remove, RPC_CONTROL, 0),
	/* snapshots: the owner's and the master's, as the disks are */
	PROC(UM_SNAPSHOT_CREATE, "snapshot_create", name_arg, um_snapshot_res,
	     p_snapshot, RPC_CONTROL, 0),
	PROC(UM_SNAPSHOT_LIST, "snapshot_list", um_void, um_text_res,
	     p_snapshot_list, RPC_CONTROL, 0),
	PROC(UM_SNAPSHOT_RESTORE, "snapshot_restore", name_arg, um_disk_res,
	     p_snapshot_restore, RPC_CONTROL, 0),
	PROC(UM_SNAPSHOT_DELETE, "snapshot_delete", name_arg, um_result,
	     p_snapshot_delete, RPC_CONTROL, 0),
	PROC(UM_AUTH_HELLO, "auth_hello", um_auth_hello, um_auth_challenge,
	     ctrl_auth_hello, RPC_AUTH, 0),
	PROC(UM_AUTH_PROVE, "auth_prove", um_auth_proof, um_auth_result,
	     ctrl_auth_prove, RPC_AUTH, 0),
};

const struct rpc_proc *ctrl_procs(size_t *n)
{
	*n = ARRAY_SIZE(procs);
	return procs;
}

/* Every result begins with its status: a refused call gets UM_EPERM. */
static void deny(struct rpc_call *call, void *res, const char *why)
{
	set_res(res, UM_EPERM, "%s: %s: %s", monitor_name(rpc_call_ctx(call)),
		rpc_call_name(call), why);
}

struct rpc_server *ctrl_server_new(struct loop *l, struct monitor *m)
{
	struct rpc_server *s = rpc_server_new(l, UMLMONCTRL_PROG, UMLMONCTRL_V1,
					      procs, ARRAY_SIZE(procs), m);

	rpc_server_on_deny(s, deny);
	return s;
}
