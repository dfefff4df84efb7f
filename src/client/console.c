/* console.c -- a console attached through a monitor, without a terminal
 * (see console.h). */
#include "client/console.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "umlmonctrl.h"

#define READ_WAIT_MS 30000

struct console {
	struct rpc_client *rpc;
	struct console_io io;
	char *chan;
	uint64_t offset;
	int writable;
	int escape;             /* the escape key, or CONSOLE_ESCAPE_NONE */
	char escname[16];
	char *notice;
	enum console_end end;
	char *message;
	int writes_pending;
	int closing;            /* being freed: callbacks are cancellations */
	int menu;               /* 1: after the escape key, 2: after "s" */
	int held;               /* the front end takes no more output now */
	int deferred;           /* a read waits for the hold to end */
};

/* "[umlwatch: TEXT]" on a line of its own; nl: after a line end (the
 * guest's output may have left the cursor anywhere) */
static void note(struct console *c, int nl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct console *c, int nl, const char *fmt, ...)
{
	char text[1300], msg[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(text, sizeof(text), "%s[%s: %s]\r\n", nl ? "\r\n" : "", c->io.name,
		 msg);
	c->io.note(c->io.arg, text);
}

/* The first end counts. */
static void end(struct console *c, enum console_end why, const char *message)
{
	if (c->end)
		return;
	c->end = why;
	c->message = message ? xstrdup(message) : NULL;
}

static void send_read(struct console *c);

static void on_read(struct rpc_client *rpc, void *res, const char *err, void *arg)
{
	struct console *c = arg;
	um_read_res *r = res;
	char *lost;

	(void)rpc;
	if (c->closing)
		return;
	if (err) {
		lost = xasprintf("connection to the monitor lost: %s", err);
		end(c, CONSOLE_LOST, lost);
		free(lost);
		return;
	}
	if (r->data.data_len) {
		if (c->io.output(c->io.arg, r->data.data_val, r->data.data_len) < 0) {
			end(c, CONSOLE_UNSHOWN, NULL);
			return;
		}
		c->offset = r->offset + r->data.data_len;
	}
	if (r->res.status == UM_ECLOSED)
		end(c, CONSOLE_CLOSED, r->res.message);
	else if (r->res.status != UM_OK)
		end(c, CONSOLE_REFUSED, r->res.message);
	else if (c->held)
		c->deferred = 1;
	else
		send_read(c);
}

static void send_read(struct console *c)
{
	um_read_args a;
	struct err e;

	a.chan = c->chan;
	a.offset = c->offset;
	a.max = UM_DATA_MAX;
	a.wait_ms = READ_WAIT_MS;
	if (rpc_client_send(c->rpc, UM_CONSOLE_READ, (xdrproc_t)xdr_um_read_args, &a,
			    (xdrproc_t)xdr_um_read_res, sizeof(um_read_res), on_read,
			    c, &e) < 0)
		end(c, CONSOLE_LOST, e.msg);
}

static void on_write(struct rpc_client *rpc, void *res, const char *err, void *arg)
{
	struct console *c = arg;
	um_result *r = res;

	(void)rpc;
	c->writes_pending--;
	if (c->closing)
		return;
	if (err || r->status != UM_OK)
		note(c, 1, "%s", err ? err : r->message);
}

/* A call whose answer matters only if it failed. */
static void send_call(struct console *c, uint32_t proc, xdrproc_t xa, void *a)
{
	struct err e;

	if (rpc_client_send(c->rpc, proc, xa, a, (xdrproc_t)xdr_um_result,
			    sizeof(um_result), on_write, c, &e) < 0) {
		end(c, CONSOLE_LOST, e.msg);
		return;
	}
	c->writes_pending++;
}

static void send_input(struct console *c, const char *buf, size_t n)
{
	um_write_args a;

	if (!n || !c->writable)
		return;
	a.chan = c->chan;
	a.data.data_len = (u_int)n;
	a.data.data_val = (char *)buf;
	send_call(c, UM_CONSOLE_WRITE, (xdrproc_t)xdr_um_write_args, &a);
}

void console_winsize(struct console *c, unsigned rows, unsigned cols)
{
	um_winsize_args a;

	if (!c->writable || !rows || !cols)
		return;
	a.chan = c->chan;
	a.rows = rows;
	a.cols = cols;
	send_call(c, UM_CONSOLE_WINSIZE, (xdrproc_t)xdr_um_winsize_args, &a);
}

static void send_sysrq(struct console *c, char key)
{
	char k[2] = {key, 0}, *kp = k;

	send_call(c, UM_SYSRQ, (xdrproc_t)xdr_wrapstring, &kp);
}

/* The escape menu: the key typed after the escape key. */
static void menu_key(struct console *c, char key)
{
	char esc = (char)c->escape;

	if (c->menu == 2) {
		c->menu = 0;
		send_sysrq(c, key);
		note(c, 0, "SysRq sent");
		return;
	}
	c->menu = 0;
	if ((unsigned char)key == c->escape) {
		send_input(c, &esc, 1);
		return;
	}
	switch (key) {
	case 'q':
	case '.':
		end(c, CONSOLE_LEFT, NULL);
		break;
	case 's':
	case 'b':
		c->menu = 2;
		note(c, 0, "SysRq key? (h lists them in the console log)");
		break;
	default:
		note(c, 0, "continuing");
		break;
	}
}

void console_input(struct console *c, const void *data, size_t n)
{
	const char *buf = data;
	size_t off = 0;

	while (off < n && !c->end) {
		const char *esc = NULL;

		if (c->menu) {
			menu_key(c, buf[off++]);
			continue;
		}
		if (c->escape != CONSOLE_ESCAPE_NONE)
			esc = memchr(buf + off, c->escape, n - off);
		if (!esc) {
			send_input(c, buf + off, n - off);
			return;
		}
		send_input(c, buf + off, (size_t)(esc - (buf + off)));
		off = (size_t)(esc - buf) + 1;
		c->menu = 1;
		note(c, 1, "q quit, s KEY SysRq (a break), %s sends %s, other keys "
		     "continue", c->escname, c->escname);
	}
}

/* The console of an opening's answer; the caller has checked its status. */
static struct console *console_new(struct rpc_client *rpc, const char *chan,
				   int escape, const struct console_io *io,
				   const um_open_res *or)
{
	struct console *c = xcalloc(1, sizeof(*c));

	c->rpc = rpc;
	c->io = *io;
	c->chan = xstrdup(chan);
	c->offset = or->offset;
	c->writable = or->writable;
	c->escape = escape;
	console_escape_name(escape, c->escname, sizeof(c->escname));
	if (strcmp(or->res.message, "ok"))
		c->notice = xstrdup(or->res.message);
	return c;
}

int console_open(struct rpc_client *rpc, const char *chan, int readonly,
		 int escape, const struct console_io *io, struct console **out,
		 struct err *e)
{
	um_open_args oa;
	um_open_res or;

	*out = NULL;
	oa.chan = (char *)chan;
	oa.readonly = readonly;
	memset(&or, 0, sizeof(or));
	if (rpc_client_call(rpc, UM_CONSOLE_OPEN, (xdrproc_t)xdr_um_open_args, &oa,
			    (xdrproc_t)xdr_um_open_res, &or, -1, e) < 0)
		return -1;
	if (or.res.status != UM_OK) {
		err_code(e, (enum err_code)or.res.status, "%s", or.res.message);
		xdr_free((xdrproc_t)xdr_um_open_res, (char *)&or);
		return -2;
	}
	*out = console_new(rpc, chan, escape, io, &or);
	xdr_free((xdrproc_t)xdr_um_open_res, (char *)&or);
	return 0;
}

struct console_opening {
	struct rpc_client *rpc;
	char *chan;
	int escape;
	struct console_io io;
	console_opened_fn opened;    /* NULL: cancelled */
	void *arg;
};

static void on_open(struct rpc_client *rpc, void *res, const char *err, void *arg)
{
	struct console_opening *o = arg;
	um_open_res *or = res;
	struct err e;

	(void)rpc;
	if (!o->opened) {
		/* cancelled */
	} else if (err) {
		err_code(&e, ERR_CLOSED, "%s", err);
		o->opened(o->arg, NULL, -1, &e);
	} else if (or->res.status != UM_OK) {
		err_code(&e, (enum err_code)or->res.status, "%s", or->res.message);
		o->opened(o->arg, NULL, -2, &e);
	} else {
		o->opened(o->arg, console_new(o->rpc, o->chan, o->escape, &o->io, or),
			  0, NULL);
	}
	free(o->chan);
	free(o);
}

struct console_opening *console_open_send(struct rpc_client *rpc, const char *chan,
					  int readonly, int escape,
					  const struct console_io *io,
					  console_opened_fn opened, void *arg,
					  struct err *e)
{
	struct console_opening *o = xcalloc(1, sizeof(*o));
	int inflight = rpc_client_inflight(rpc);
	um_open_args oa;

	o->rpc = rpc;
	o->chan = xstrdup(chan);
	o->escape = escape;
	o->io = *io;
	o->opened = opened;
	o->arg = arg;
	oa.chan = (char *)chan;
	oa.readonly = readonly;
	if (rpc_client_send(rpc, UM_CONSOLE_OPEN, (xdrproc_t)xdr_um_open_args, &oa,
			    (xdrproc_t)xdr_um_open_res, sizeof(um_open_res), on_open,
			    o, e) < 0) {
		/* a call queued but not written gets its callback (a
		 * cancellation) when rpc is freed */
		if (rpc_client_inflight(rpc) > inflight) {
			o->opened = NULL;
		} else {
			free(o->chan);
			free(o);
		}
		return NULL;
	}
	return o;
}

void console_open_cancel(struct console_opening *o)
{
	if (o)
		o->opened = NULL;
}

const char *console_notice(const struct console *c)
{
	return c->notice;
}

int console_writable(const struct console *c)
{
	return c->writable;
}

void console_seek(struct console *c, uint64_t offset)
{
	c->offset = offset;
}

void console_hold(struct console *c, int hold)
{
	c->held = hold;
	if (!hold && c->deferred && !c->end) {
		c->deferred = 0;
		send_read(c);
	}
}

void console_start(struct console *c)
{
	send_read(c);
}

int console_fd(const struct console *c)
{
	return rpc_client_sockfd(c->rpc);
}

int console_want_write(const struct console *c)
{
	return rpc_client_want_write(c->rpc);
}

void console_ready(struct console *c, int readable, int writable)
{
	struct err e;

	if (writable && rpc_client_flush(c->rpc, &e) < 0)
		end(c, CONSOLE_LOST, e.msg);
	else if (readable && rpc_client_input(c->rpc, &e) < 0)
		end(c, CONSOLE_LOST, e.msg);
}

int console_writes_pending(const struct console *c)
{
	return c->writes_pending;
}

enum console_end console_ended(const struct console *c)
{
	return c->end;
}

const char *console_message(const struct console *c)
{
	return c->message;
}

void console_free(struct console *c)
{
	if (!c)
		return;
	/* the calls in flight are cancelled with the connection */
	c->closing = 1;
	rpc_client_free(c->rpc);
	free(c->chan);
	free(c->notice);
	free(c->message);
	free(c);
}

const char *console_escape_name(int key, char *buf, size_t n)
{
	if (key == CONSOLE_ESCAPE_NONE)
		snprintf(buf, n, "none");
	else
		snprintf(buf, n, "Ctrl-%c", key == 0x7f ? '?' : key | 0x40);
	return buf;
}
