/* watch_cmds.c -- umlwatch's commands that are calls to the monitor: info,
 * start, stop, reboot, wait, pause ..., screen, log, mconsole, disk. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/diskargs.h"
#include "common/names.h"
#include "common/rpc_client.h"
#include "umlwatch/term.h"
#include "client/vminfo.h"
#include "umlwatch/watch_int.h"

#define READ_WAIT_MS 30000

static int call_ms(struct watch *w, uint32_t proc, xdrproc_t xa, void *a,
		   xdrproc_t xr, void *r, int timeout_ms)
{
	struct err e;

	if (rpc_client_call(w->rpc, proc, xa, a, xr, r, timeout_ms, &e) < 0) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, e.msg);
		return -1;
	}
	return 0;
}

int watch_call(struct watch *w, uint32_t proc, xdrproc_t xa, void *a,
	       xdrproc_t xr, void *r)
{
	return call_ms(w, proc, xa, a, xr, r, -1);
}

int watch_report(const um_result *r)
{
	if (r->status == UM_OK) {
		if (r->message && *r->message && strcmp(r->message, "ok"))
			printf("%s\n", r->message);
		return WATCH_OK;
	}
	fprintf(stderr, "umlwatch: %s\n", r->message ? r->message : "failed");
	return WATCH_FAILED;
}

static int simple_ms(struct watch *w, uint32_t proc, xdrproc_t xa, void *a,
		     int timeout_ms)
{
	um_result r;
	int rc;

	memset(&r, 0, sizeof(r));
	if (call_ms(w, proc, xa, a, (xdrproc_t)xdr_um_result, &r, timeout_ms) < 0)
		return WATCH_NOMON;
	rc = watch_report(&r);
	xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
	return rc;
}

int watch_simple(struct watch *w, uint32_t proc, xdrproc_t xa, void *a)
{
	return simple_ms(w, proc, xa, a, -1);
}

/* -1: no answer (e says why); -2: the monitor refused (e has its
 * message, which names the VM). */
static int get_info(struct watch *w, um_info *r, int timeout_ms, struct err *e)
{
	memset(r, 0, sizeof(*r));
	if (rpc_client_call(w->rpc, UM_INFO, NOARGS, (xdrproc_t)xdr_um_info, r,
			    timeout_ms, e) < 0) {
		memset(r, 0, sizeof(*r));
		return -1;
	}
	if (r->res.status != UM_OK) {
		err_set(e, "%s", r->res.message);
		xdr_free((xdrproc_t)xdr_um_info, (char *)r);
		return -2;
	}
	return 0;
}

char **watch_channel_names(struct watch *w, int timeout_ms, struct err *e)
{
	um_info r;
	char **names;

	if (get_info(w, &r, timeout_ms, e) < 0)
		return NULL;
	names = xcalloc(r.chans.chans_len + 1, sizeof(*names));
	for (u_int i = 0; i < r.chans.chans_len; i++)
		names[i] = xstrdup(r.chans.chans_val[i].name);
	xdr_free((xdrproc_t)xdr_um_info, (char *)&r);
	return names;
}

void watch_free_names(char **names)
{
	for (char **n = names; n && *n; n++)
		free(*n);
	free(names);
}

int watch_cmd_info(void *ctx, const struct cmd_call *s)
{
	struct watch *w = ctx;
	struct vminfo v;
	um_info r;
	struct err e;

	switch (get_info(w, &r, -1, &e)) {
	case -1:
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, e.msg);
		return WATCH_NOMON;
	case -2:
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		return WATCH_FAILED;
	}
	vminfo_fields(&r, &v);
	if (s->flag)
		vminfo_print_json(stdout, &v);
	else
		vminfo_print_text(stdout, &v);
	vminfo_free(&v);
	xdr_free((xdrproc_t)xdr_um_info, (char *)&r);
	return WATCH_OK;
}

/* ---- stop and halt: their steps as they happen ---------------------- */

struct stepped_wait {
	int done;
	um_status status;
	char *message;
	char *error;
};

static void on_stepped_reply(struct rpc_client *c, void *res, const char *err,
			     void *arg)
{
	struct stepped_wait *sw = arg;
	um_result *r = res;

	(void)c;
	sw->done = 1;
	if (err) {
		sw->error = xstrdup(err);
		return;
	}
	sw->status = r->status;
	sw->message = xstrdup(r->message ? r->message : "");
}

/* Prints the stop's steps beyond the first *shown bytes. 0: the monitor
 * does not tell them (an older one): ask no more. */
static int show_steps(struct watch *w, struct strbuf *shown)
{
	um_text_res t;
	struct err e;
	int ok;

	memset(&t, 0, sizeof(t));
	ok = rpc_client_call(w->rpc, UM_STOP_STEPS, NOARGS,
			     (xdrproc_t)xdr_um_text_res, &t, -1, &e) == 0 &&
	     t.res.status == UM_OK && t.text;
	if (ok && strlen(t.text) > shown->len) {
		fputs(t.text + shown->len, stdout);
		fflush(stdout);
		sb_puts(shown, t.text + shown->len);
	}
	xdr_free((xdrproc_t)xdr_um_text_res, (char *)&t);
	return ok;
}

/* A stop or halt: the call waits until the VM is down, and meanwhile
 * the steps of its escalation show as they happen (UM_STOP_STEPS); the
 * answer repeats them, so only what is new of it is printed. */
static int stepped(struct watch *w, uint32_t proc, xdrproc_t xa, void *a)
{
	struct stepped_wait sw;
	struct err e;
	struct strbuf shown;
	int asking = 1, rc;
	int64_t next = now_ms() + 250;
	um_result r;

	memset(&sw, 0, sizeof(sw));
	sb_init(&shown);
	if (rpc_client_send(w->rpc, proc, xa, a, (xdrproc_t)xdr_um_result,
			    sizeof(um_result), on_stepped_reply, &sw, &e) < 0) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, e.msg);
		return WATCH_NOMON;
	}
	while (!sw.done) {
		struct pollfd pfd = {rpc_client_sockfd(w->rpc), POLLIN, 0};
		int64_t left = next - now_ms();

		if (rpc_client_flush(w->rpc, &e) < 0) {
			sw.error = xstrdup(e.msg);
			break;
		}
		if (rpc_client_want_write(w->rpc))
			pfd.events |= POLLOUT;
		/* the reply wakes the poll; its timeout paces the steps' query */
		if (poll(&pfd, 1, asking ? (int)(left > 0 ? left : 0) : -1) > 0 &&
		    (pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    rpc_client_input(w->rpc, &e) < 0 && !sw.done) {
			sw.error = xstrdup(e.msg);
			break;
		}
		if (!sw.done && asking && now_ms() >= next) {
			next = now_ms() + 250;
			asking = show_steps(w, &shown);
		}
	}
	if (sw.error) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, sw.error);
		free(sw.error);
		sb_free(&shown);
		return WATCH_NOMON;
	}
	r.status = sw.status;
	r.message = sw.message;
	/* the answer begins with the steps shown already */
	if (shown.len && !strncmp(r.message, shown.buf, shown.len))
		r.message += shown.len;
	rc = watch_report(&r);
	free(sw.message);
	sb_free(&shown);
	return rc;
}

int watch_cmd_call(void *ctx, const struct cmd_call *c)
{
	const struct watch_proc *p = c->cmd->data;
	struct watch *w = ctx;
	um_stop_args stop;
	um_wait_args wait;
	char *word;

	switch (p->arg) {
	case WATCH_ARG_TIMEOUT:
		stop.timeout = (int)c->num;
		if (p->proc == UM_STOP)
			return stepped(w, p->proc, (xdrproc_t)xdr_um_stop_args, &stop);
		return watch_simple(w, p->proc, (xdrproc_t)xdr_um_stop_args, &stop);
	case WATCH_ARG_WAIT:
		wait.timeout_ms = (u_int)c->num * 1000;
		/* the monitor answers at its timeout; ours only guards
		 * against a monitor that never does */
		return simple_ms(w, p->proc, (xdrproc_t)xdr_um_wait_args, &wait,
				 (int)c->num * 1000 + 30000);
	case WATCH_ARG_WORD:
		word = c->argv[0];
		return watch_simple(w, p->proc, (xdrproc_t)xdr_wrapstring, &word);
	case WATCH_ARG_NONE:
		if (p->proc == UM_HALT)
			return stepped(w, p->proc, NOARGS);
		break;
	}
	return watch_simple(w, p->proc, NOARGS);
}

int watch_cmd_mconsole(void *ctx, const struct cmd_call *s)
{
	struct watch *w = ctx;
	struct strbuf cmd;
	um_text_res r;
	char *text;
	int rc;

	sb_init(&cmd);
	for (int i = 0; i < s->argc; i++)
		sb_printf(&cmd, "%s%s", i ? " " : "", s->argv[i]);
	text = sb_steal(&cmd);
	memset(&r, 0, sizeof(r));
	if (watch_call(w, UM_MCONSOLE, (xdrproc_t)xdr_wrapstring, &text,
		       (xdrproc_t)xdr_um_text_res, &r) < 0) {
		free(text);
		return WATCH_NOMON;
	}
	free(text);
	rc = watch_report(&r.res);
	if (rc == WATCH_OK && r.text)
		printf("%s%s", r.text,
		       *r.text && r.text[strlen(r.text) - 1] == '\n' ? "" : "\n");
	xdr_free((xdrproc_t)xdr_um_text_res, (char *)&r);
	return rc;
}

/* Says on stderr why a screen is not the live one. */
static void screen_note(struct watch *w, const char *chan, const um_screen_res *r)
{
	char when[64];
	um_info info;
	struct err e;

	if (r->live)
		return;
	if (!r->boot) {
		fprintf(stderr, "umlwatch: %s %s: the VM has not run since its monitor "
			"started; the screen is blank\n", w->vm, chan);
		return;
	}
	if (get_info(w, &info, -1, &e) < 0) {
		fprintf(stderr, "umlwatch: %s %s: this screen is from boot %d, which "
			"is not running\n", w->vm, chan, r->boot);
		return;
	}
	if (r->ended) {
		vminfo_time(r->ended, when, sizeof(when));
		fprintf(stderr, "umlwatch: %s %s: the VM is %s; this screen is from "
			"boot %d, which ended at %s\n", w->vm, chan,
			vm_state_name(info.state), r->boot, when);
	} else {
		fprintf(stderr, "umlwatch: %s %s: the VM is %s; this screen is from "
			"boot %d, which is not running\n", w->vm, chan,
			vm_state_name(info.state), r->boot);
	}
	xdr_free((xdrproc_t)xdr_um_info, (char *)&info);
}

int watch_cmd_screen(void *ctx, const struct cmd_call *s)
{
	struct watch *w = ctx;
	um_screen_res r;
	int rc;

	memset(&r, 0, sizeof(r));
	if (watch_call(w, UM_CONSOLE_SCREEN, (xdrproc_t)xdr_wrapstring, &s->argv[0],
		       (xdrproc_t)xdr_um_screen_res, &r) < 0)
		return WATCH_NOMON;
	rc = watch_report(&r.res);
	if (rc == WATCH_OK) {
		printf("%s\n", r.text);
		fflush(stdout);
		screen_note(w, s->argv[0], &r);
	}
	xdr_free((xdrproc_t)xdr_um_screen_res, (char *)&r);
	return rc;
}

/* Prints new output of a channel from offset on, across VM restarts,
 * until interrupted. */
static int follow(struct watch *w, char *chan, uint64_t offset)
{
	for (;;) {
		um_read_args a = {.chan = chan, .offset = offset, .max = UM_DATA_MAX,
				  .wait_ms = READ_WAIT_MS};
		um_read_res r;

		memset(&r, 0, sizeof(r));
		if (watch_call(w, UM_CONSOLE_READ, (xdrproc_t)xdr_um_read_args, &a,
			       (xdrproc_t)xdr_um_read_res, &r) < 0)
			return WATCH_NOMON;
		if (r.data.data_len) {
			if (term_write(STDOUT_FILENO, r.data.data_val, r.data.data_len) < 0) {
				xdr_free((xdrproc_t)xdr_um_read_res, (char *)&r);
				return WATCH_FAILED;
			}
			offset = r.offset + r.data.data_len;
		}
		if (r.res.status == UM_ECLOSED && !r.data.data_len)
			sleep(1); /* stopped: wait for the next start */
		else if (r.res.status != UM_OK && r.res.status != UM_ECLOSED) {
			int rc = watch_report(&r.res);

			xdr_free((xdrproc_t)xdr_um_read_res, (char *)&r);
			return rc;
		}
		xdr_free((xdrproc_t)xdr_um_read_res, (char *)&r);
	}
}

int watch_cmd_log(void *ctx, const struct cmd_call *s)
{
	struct watch *w = ctx;
	uint64_t offset = 0, head = 0;

	for (;;) {
		um_log_args a = {.chan = s->argv[0], .offset = offset, .max = UM_DATA_MAX};
		um_log_res r;
		int rc;

		memset(&r, 0, sizeof(r));
		if (watch_call(w, UM_LOG_READ, (xdrproc_t)xdr_um_log_args, &a,
			       (xdrproc_t)xdr_um_log_res, &r) < 0)
			return WATCH_NOMON;
		rc = watch_report(&r.res);
		if (rc == WATCH_OK && r.data.data_len &&
		    term_write(STDOUT_FILENO, r.data.data_val, r.data.data_len) < 0)
			rc = WATCH_FAILED;
		offset = r.offset + r.data.data_len;
		head = r.head;
		if (rc != WATCH_OK || !r.data.data_len || offset >= r.size) {
			xdr_free((xdrproc_t)xdr_um_log_res, (char *)&r);
			if (rc != WATCH_OK)
				return rc;
			break;
		}
		xdr_free((xdrproc_t)xdr_um_log_res, (char *)&r);
	}
	fflush(stdout);
	return s->flag ? follow(w, s->argv[0], head) : WATCH_OK;
}

/* ---- disks ----------------------------------------------------------- */

struct disk_wait {
	int done;
	um_disk_res res;
	char *error;
};

static void on_disk_reply(struct rpc_client *c, void *res, const char *err,
			  void *arg)
{
	struct disk_wait *dw = arg;
	um_disk_res *r = res;

	(void)c;
	dw->done = 1;
	if (err) {
		dw->error = xstrdup(err);
		return;
	}
	/* keep the strings: the client frees res after we return */
	dw->res.res.status = r->res.status;
	dw->res.res.message = xstrdup(r->res.message ? r->res.message : "");
	dw->res.text = xstrdup(r->text ? r->text : "");
}

static volatile sig_atomic_t disk_interrupted;

static void on_disk_sigint(int sig)
{
	(void)sig;
	disk_interrupted = 1;
}

/* Shows the operation's progress on the terminal's status line. */
static void show_progress(struct watch *w, int *shown)
{
	um_progress_res p;
	char a[32], b[32];

	memset(&p, 0, sizeof(p));
	if (watch_call(w, UM_DISK_PROGRESS, NOARGS, (xdrproc_t)xdr_um_progress_res,
		       &p) == 0 && p.res.status == UM_OK && p.total) {
		fprintf(stderr, "\r%s: %3d%% (%s of %s) ", p.what,
			(int)(100.0 * (double)p.done / (double)p.total),
			fmt_size(p.done, a, sizeof(a)), fmt_size(p.total, b, sizeof(b)));
		*shown = 1;
	}
	xdr_free((xdrproc_t)xdr_um_progress_res, (char *)&p);
}

int watch_cmd_disk(void *ctx, const struct cmd_call *s)
{
	struct watch *w = ctx;
	struct diskjob_args op;
	um_disk_args a;
	struct disk_wait dw;
	struct sigaction sa, old;
	struct err e;
	int shown = 0, cancelled = 0, rc;
	int64_t next = now_ms() + 500;

	/* checked before the run */
	if (diskjob_parse(s->argc, s->argv, &op, &e) < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		return WATCH_USAGE;
	}
	memset(&a, 0, sizeof(a));
	a.op = op.op;
	a.path = (char *)op.path;
	a.other = (char *)op.other;
	a.size = op.size;
	memset(&dw, 0, sizeof(dw));
	if (rpc_client_send(w->rpc, UM_DISK, (xdrproc_t)xdr_um_disk_args, &a,
			    (xdrproc_t)xdr_um_disk_res, sizeof(um_disk_res),
			    on_disk_reply, &dw, &e) < 0) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, e.msg);
		return WATCH_NOMON;
	}
	/* Ctrl-C asks the monitor to stop the operation */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_disk_sigint;
	sigaction(SIGINT, &sa, &old);
	disk_interrupted = 0;
	while (!dw.done) {
		struct pollfd pfd = {rpc_client_sockfd(w->rpc), POLLIN, 0};

		if (rpc_client_flush(w->rpc, &e) < 0)
			break;
		if (rpc_client_want_write(w->rpc))
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, 200) > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    rpc_client_input(w->rpc, &e) < 0 && !dw.done) {
			dw.error = xstrdup(e.msg);
			break;
		}
		if (disk_interrupted && !cancelled && !dw.done) {
			cancelled = 1;
			fprintf(stderr, "\numlwatch: interrupting the disk operation\n");
			watch_simple(w, UM_DISK_CANCEL, NOARGS);
		}
		if (!dw.done && isatty(STDERR_FILENO) && now_ms() >= next &&
		    (a.op == UM_DISK_COPY || a.op == UM_DISK_MERGE)) {
			next = now_ms() + 500;
			show_progress(w, &shown);
		}
	}
	sigaction(SIGINT, &old, NULL);
	if (shown)
		fprintf(stderr, "\r\033[K");
	if (dw.error) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, dw.error);
		free(dw.error);
		return WATCH_NOMON;
	}
	if (!dw.done) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, e.msg);
		return WATCH_NOMON;
	}
	rc = watch_report(&dw.res.res);
	if (rc == WATCH_OK) {
		fputs(dw.res.text, stdout);
		term_note_output(dw.res.text, strlen(dw.res.text));
	}
	free(dw.res.res.message);
	free(dw.res.text);
	return rc;
}

int watch_cmd_device(void *ctx, const struct cmd_call *c)
{
	const struct watch_dev *d = c->cmd->data;
	struct watch *w = ctx;
	char *arg = xstrdup(c->argv[0]), *eq = strchr(arg, '=');
	int rc;

	if (eq)
		*eq++ = '\0';
	if (d->add) {
		um_device_args a = {(um_dev_kind)d->kind, arg, eq ? eq : "", c->flag};

		/* -add-con takes a serial line too */
		if (d->kind == UM_DEV_CON && !strncmp(arg, "ssl", 3))
			a.kind = UM_DEV_SSL;
		if (d->kind == UM_DEV_MEM) {
			a.name = "mem";
			a.spec = c->argv[0];
		}
		rc = watch_simple(w, UM_DEVICE_ADD, (xdrproc_t)xdr_um_device_args, &a);
	} else {
		um_device_remove_args a = {(um_dev_kind)d->kind, arg, c->flag};

		rc = watch_simple(w, UM_DEVICE_REMOVE,
				  (xdrproc_t)xdr_um_device_remove_args, &a);
	}
	free(arg);
	return rc;
}

/* ---- snapshots ---------------------------------------------------------- */

/* The results of the snapshot calls: each begins with a result and a
 * report, which is all that is shown. */
union report_res {
	um_text_res text;
	um_snapshot_res snap;
	um_disk_res disk;
};
_Static_assert(offsetof(um_snapshot_res, text) == offsetof(um_text_res, text) &&
	       offsetof(um_disk_res, text) == offsetof(um_text_res, text),
	       "the report is not where um_text_res has it");

/* The row's call (its argument: the name, if it takes one), its report
 * printed. */
int watch_cmd_report(void *ctx, const struct cmd_call *s)
{
	const struct watch_proc *p = s->cmd->data;
	static const xdrproc_t res_xdr[] = {
		[UM_SNAPSHOT_CREATE] = (xdrproc_t)xdr_um_snapshot_res,
		[UM_SNAPSHOT_LIST] = (xdrproc_t)xdr_um_text_res,
		[UM_SNAPSHOT_RESTORE] = (xdrproc_t)xdr_um_disk_res,
	};
	struct watch *w = ctx;
	union report_res r;
	char *name = s->argc ? s->argv[0] : NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	if (p->arg == WATCH_ARG_WORD ?
	    watch_call(w, p->proc, (xdrproc_t)xdr_wrapstring, &name,
		       res_xdr[p->proc], &r) < 0 :
	    watch_call(w, p->proc, NOARGS, res_xdr[p->proc], &r) < 0)
		return WATCH_NOMON;
	rc = watch_report(&r.text.res);
	if (rc == WATCH_OK) {
		fputs(r.text.text, stdout);
		term_note_output(r.text.text, strlen(r.text.text));
	}
	xdr_free(res_xdr[p->proc], (char *)&r);
	return rc;
}
