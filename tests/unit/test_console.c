/* Unit tests of the console engine (console.c) without a terminal: the
 * test is the monitor at the other end of a socket pair and reads the
 * calls the engine makes as they are on the wire (rpc_wire.c), then
 * answers them. One read in flight that follows the offsets, the typed
 * bytes as writes, the window size, the escape menu, each end, and the
 * web console's seek and hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "umlmonctrl.h"
#include "client/console.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"

/* the monitor's end */
struct peer {
	int fd;
	struct rpc_in in;
};

/* what the engine gave its front end */
struct front {
	char out[256];
	size_t nout;
	char notes[1024];
	int refuse;             /* output cannot be shown */
};

static int show(void *arg, const void *buf, size_t n)
{
	struct front *f = arg;

	if (f->refuse)
		return -1;
	assert_true(f->nout + n < sizeof(f->out));
	memcpy(f->out + f->nout, buf, n);
	f->nout += n;
	return 0;
}

static void note(void *arg, const char *text)
{
	struct front *f = arg;

	strncat(f->notes, text, sizeof(f->notes) - strlen(f->notes) - 1);
}

/* The next call on the wire: its procedure must be proc; its arguments
 * are decoded into a (free them with xdr_free). Returns its xid. */
static uint32_t next_call(struct peer *p, uint32_t proc, xdrproc_t xa, void *a)
{
	const uint8_t *rec;
	size_t len;
	struct rpc_msg m;
	XDR x;
	int r;

	while ((r = rpc_in_next(&p->in, &rec, &len)) == 0) {
		struct pollfd pfd = {p->fd, POLLIN, 0};

		if (poll(&pfd, 1, 5000) != 1)
			fail_msg("no call %u within 5 s", proc);
		assert_true(rpc_in_read(&p->in, p->fd) > 0);
	}
	assert_int_equal(r, 1);
	memset(&m, 0, sizeof(m));
	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	assert_true(xdr_callmsg(&x, &m));
	if (m.rm_call.cb_proc != proc)
		fail_msg("call of procedure %u, expected %u", (unsigned)m.rm_call.cb_proc,
			 proc);
	assert_true(xa(&x, a));
	return m.rm_xid;
}

/* No call is waiting on the wire. */
static void no_call(struct peer *p)
{
	struct pollfd pfd = {p->fd, POLLIN, 0};
	const uint8_t *rec;
	size_t len;

	assert_int_equal(rpc_in_next(&p->in, &rec, &len), 0);
	assert_int_equal(poll(&pfd, 1, 0), 0);
}

static void reply(struct peer *p, uint32_t xid, xdrproc_t xr, void *res)
{
	struct rpc_out out;
	struct rpc_msg m;

	memset(&out, 0, sizeof(out));
	rpc_reply_accepted(&m, xid, SUCCESS, xr, res);
	assert_int_equal(rpc_out_record(&out, (xdrproc_t)xdr_replymsg, &m), 0);
	while (rpc_out_flush(&out, p->fd) > 0)
		;
	rpc_out_free(&out);
}

static void reply_result(struct peer *p, uint32_t xid, um_status st, const char *msg)
{
	um_result r = {st, (char *)msg};

	reply(p, xid, (xdrproc_t)xdr_um_result, &r);
}

/* Answers the next read with data at offset (status st), after checking
 * that it asks for what follows want. */
static void answer_read(struct peer *p, uint64_t want, uint64_t offset,
			const char *data, um_status st, const char *msg)
{
	um_read_args a;
	um_read_res r;
	uint32_t xid;

	memset(&a, 0, sizeof(a));
	xid = next_call(p, UM_CONSOLE_READ, (xdrproc_t)xdr_um_read_args, &a);
	assert_string_equal(a.chan, "con1");
	assert_int_equal(a.offset, want);
	xdr_free((xdrproc_t)xdr_um_read_args, (char *)&a);
	memset(&r, 0, sizeof(r));
	r.res.status = st;
	r.res.message = (char *)msg;
	r.offset = offset;
	r.data.data_len = (u_int)strlen(data);
	r.data.data_val = (char *)data;
	reply(p, xid, (xdrproc_t)xdr_um_read_res, &r);
}

/* The bytes of the next write. */
static void expect_write(struct peer *p, const char *bytes, size_t n,
			 um_status st, const char *msg)
{
	um_write_args a;
	uint32_t xid;

	memset(&a, 0, sizeof(a));
	xid = next_call(p, UM_CONSOLE_WRITE, (xdrproc_t)xdr_um_write_args, &a);
	assert_string_equal(a.chan, "con1");
	assert_int_equal(a.data.data_len, n);
	assert_memory_equal(a.data.data_val, bytes, n);
	xdr_free((xdrproc_t)xdr_um_write_args, (char *)&a);
	reply_result(p, xid, st, msg);
}

/* ---- opening: the monitor answers in a thread, as the call waits ---- */

struct opening {
	struct peer *p;
	int readonly;           /* asked for */
	um_open_res res;        /* the answer */
};

static void *answer_open(void *arg)
{
	struct opening *o = arg;
	um_open_args a;
	uint32_t xid;

	memset(&a, 0, sizeof(a));
	xid = next_call(o->p, UM_CONSOLE_OPEN, (xdrproc_t)xdr_um_open_args, &a);
	o->readonly = a.readonly;
	xdr_free((xdrproc_t)xdr_um_open_args, (char *)&a);
	reply(o->p, xid, (xdrproc_t)xdr_um_open_res, &o->res);
	return NULL;
}

struct fixture {
	struct peer p;
	struct rpc_client *rpc;
	struct front f;
	struct console_io io;
	struct console *c;
};

/* Opens con1 with the monitor's answer (status, message, writable). */
static int open_con(struct fixture *x, int readonly, int escape, um_status st,
		    const char *msg, int writable, struct err *e)
{
	struct opening o;
	pthread_t t;
	int sv[2], rc;

	memset(x, 0, sizeof(*x));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	x->p.fd = sv[1];
	x->rpc = rpc_client_fd(sv[0], UMLMONCTRL_PROG, UMLMONCTRL_V1);
	x->io = (struct console_io){show, note, &x->f, "test"};
	memset(&o, 0, sizeof(o));
	o.p = &x->p;
	o.res.res.status = st;
	o.res.res.message = (char *)msg;
	o.res.offset = 100;
	o.res.writable = writable;
	assert_int_equal(pthread_create(&t, NULL, answer_open, &o), 0);
	rc = console_open(x->rpc, "con1", readonly, escape, &x->io, &x->c, e);
	pthread_join(t, NULL);
	assert_int_equal(o.readonly, readonly);
	return rc;
}

static void close_con(struct fixture *x)
{
	if (x->c)
		console_free(x->c);
	else
		rpc_client_free(x->rpc);
	close(x->p.fd);
	rpc_in_free(&x->p.in);
}

/* What the socket brought: replies, to their callbacks. */
static void ready(struct fixture *x)
{
	console_ready(x->c, 1, 0);
}

static void output_follows_offsets(void **state)
{
	struct fixture x;
	um_winsize_args ws;
	struct err e;
	uint32_t xid;

	(void)state;
	assert_int_equal(open_con(&x, 0, 0x1d, UM_OK, "ok", 1, &e), 0);
	assert_null(console_notice(x.c));
	assert_true(console_writable(x.c));
	console_winsize(x.c, 24, 80);
	memset(&ws, 0, sizeof(ws));
	xid = next_call(&x.p, UM_CONSOLE_WINSIZE, (xdrproc_t)xdr_um_winsize_args, &ws);
	assert_int_equal(ws.rows, 24);
	assert_int_equal(ws.cols, 80);
	xdr_free((xdrproc_t)xdr_um_winsize_args, (char *)&ws);
	reply_result(&x.p, xid, UM_OK, "ok");
	/* one read at a time, from the offset of the opening */
	console_start(x.c);
	answer_read(&x.p, 100, 100, "hello", UM_OK, "ok");
	no_call(&x.p);
	ready(&x);
	assert_int_equal(x.f.nout, 5);
	assert_memory_equal(x.f.out, "hello", 5);
	/* the next read asks for what follows; a client that fell behind
	 * learns from the reply's offset where the data starts */
	answer_read(&x.p, 105, 300, " world", UM_OK, "ok");
	no_call(&x.p);
	ready(&x);
	answer_read(&x.p, 306, 306, "", UM_OK, "ok");
	ready(&x);
	assert_int_equal(x.f.nout, 11);
	assert_memory_equal(x.f.out, "hello world", 11);
	assert_int_equal(console_ended(x.c), CONSOLE_ATTACHED);
	assert_string_equal(x.f.notes, "");
	/* the VM stops: the last output, then the end with the monitor's words */
	answer_read(&x.p, 306, 306, "bye", UM_ECLOSED, "vm1 con1: the VM stopped");
	ready(&x);
	assert_int_equal(console_ended(x.c), CONSOLE_CLOSED);
	assert_string_equal(console_message(x.c), "vm1 con1: the VM stopped");
	assert_int_equal(x.f.nout, 14);
	no_call(&x.p);
	close_con(&x);
}

static void typed_and_escape_menu(void **state)
{
	struct fixture x;
	um_read_args ra;
	struct err e;
	char *key;
	uint32_t xid;

	(void)state;
	assert_int_equal(open_con(&x, 0, 0x1d, UM_OK, "ok", 1, &e), 0);
	console_start(x.c);
	/* typed bytes are pipelined writes, the read stays in flight */
	console_input(x.c, "ls\r", 3);
	console_input(x.c, "pwd\r", 4);
	assert_int_equal(console_writes_pending(x.c), 2);
	answer_read(&x.p, 100, 100, "", UM_OK, "ok"); /* the first read */
	expect_write(&x.p, "ls\r", 3, UM_OK, "ok");
	expect_write(&x.p, "pwd\r", 4, UM_OK, "ok");
	ready(&x);
	assert_int_equal(console_writes_pending(x.c), 0);
	/* a refused write is noted on a line of its own */
	console_input(x.c, "x", 1);
	answer_read(&x.p, 100, 100, "", UM_OK, "ok");
	expect_write(&x.p, "x", 1, UM_EBUSY, "vm1 con1: the guest reads no input");
	ready(&x);
	assert_string_equal(x.f.notes,
			    "\r\n[test: vm1 con1: the guest reads no input]\r\n");
	x.f.notes[0] = '\0';
	/* the escape key: what came before it goes, then the menu */
	console_input(x.c, "ab\x1d", 3);
	assert_string_equal(x.f.notes, "\r\n[test: q quit, s KEY SysRq (a break), "
			    "Ctrl-] sends Ctrl-], other keys continue]\r\n");
	answer_read(&x.p, 100, 100, "", UM_OK, "ok");
	expect_write(&x.p, "ab", 2, UM_OK, "ok");
	ready(&x);
	/* the escape key twice sends it */
	console_input(x.c, "\x1d", 1);
	answer_read(&x.p, 100, 100, "", UM_OK, "ok");
	expect_write(&x.p, "\x1d", 1, UM_OK, "ok");
	ready(&x);
	/* s then a key: SysRq, also when they come in pieces */
	x.f.notes[0] = '\0';
	console_input(x.c, "\x1d", 1);
	console_input(x.c, "s", 1);
	console_input(x.c, "h", 1);
	assert_non_null(strstr(x.f.notes, "[test: SysRq key? (h lists them in the "
			       "console log)]\r\n[test: SysRq sent]\r\n"));
	answer_read(&x.p, 100, 100, "", UM_OK, "ok");
	key = NULL;
	xid = next_call(&x.p, UM_SYSRQ, (xdrproc_t)xdr_wrapstring, &key);
	assert_string_equal(key, "h");
	xdr_free((xdrproc_t)xdr_wrapstring, (char *)&key);
	reply_result(&x.p, xid, UM_OK, "ok");
	ready(&x);
	/* another key continues, and goes nowhere: only the read that
	 * followed the last answer is on the wire */
	x.f.notes[0] = '\0';
	console_input(x.c, "\x1dz", 2);
	assert_non_null(strstr(x.f.notes, "[test: continuing]\r\n"));
	memset(&ra, 0, sizeof(ra));
	next_call(&x.p, UM_CONSOLE_READ, (xdrproc_t)xdr_um_read_args, &ra);
	xdr_free((xdrproc_t)xdr_um_read_args, (char *)&ra);
	no_call(&x.p);
	/* q leaves; what follows it is not sent */
	console_input(x.c, "cd\x1dqrest", 9);
	assert_int_equal(console_ended(x.c), CONSOLE_LEFT);
	assert_null(console_message(x.c));
	expect_write(&x.p, "cd", 2, UM_OK, "ok");
	no_call(&x.p);
	close_con(&x);
}

/* Without an escape key, or read-only. */
static void no_escape_and_readonly(void **state)
{
	struct fixture x;
	struct err e;

	(void)state;
	assert_int_equal(open_con(&x, 0, CONSOLE_ESCAPE_NONE, UM_OK, "ok", 1, &e), 0);
	console_input(x.c, "a\x1dq", 3);
	expect_write(&x.p, "a\x1dq", 3, UM_OK, "ok");
	assert_int_equal(console_ended(x.c), CONSOLE_ATTACHED);
	close_con(&x);

	/* the monitor says why the console is read-only: nothing is sent
	 * but the reads; the escape menu still leaves */
	assert_int_equal(open_con(&x, 1, 0x1d, UM_OK, "vm1 con1: log-only channel", 0,
				  &e), 0);
	assert_string_equal(console_notice(x.c), "vm1 con1: log-only channel");
	assert_false(console_writable(x.c));
	console_winsize(x.c, 24, 80);
	console_input(x.c, "ls\r", 3);
	assert_int_equal(console_writes_pending(x.c), 0);
	no_call(&x.p);
	console_input(x.c, "\x1dq", 2);
	assert_int_equal(console_ended(x.c), CONSOLE_LEFT);
	close_con(&x);
}

static void ends(void **state)
{
	struct fixture x;
	struct err e;

	(void)state;
	/* the monitor refuses the opening: its message and code */
	assert_int_equal(open_con(&x, 0, 0x1d, UM_ENOENT, "vm1: no channel 'con1'", 0,
				  &e), -2);
	assert_string_equal(e.msg, "vm1: no channel 'con1'");
	assert_int_equal(e.code, ERR_NOENT);
	assert_null(x.c);
	close_con(&x);

	/* a read refused */
	assert_int_equal(open_con(&x, 0, 0x1d, UM_OK, "ok", 1, &e), 0);
	console_start(x.c);
	answer_read(&x.p, 100, 100, "", UM_EINVAL, "vm1 con1: bad read");
	ready(&x);
	assert_int_equal(console_ended(x.c), CONSOLE_REFUSED);
	assert_string_equal(console_message(x.c), "vm1 con1: bad read");
	close_con(&x);

	/* output that cannot be shown */
	assert_int_equal(open_con(&x, 0, 0x1d, UM_OK, "ok", 1, &e), 0);
	x.f.refuse = 1;
	console_start(x.c);
	answer_read(&x.p, 100, 100, "data", UM_OK, "ok");
	ready(&x);
	assert_int_equal(console_ended(x.c), CONSOLE_UNSHOWN);
	no_call(&x.p);
	close_con(&x);

	/* the monitor goes away */
	assert_int_equal(open_con(&x, 0, 0x1d, UM_OK, "ok", 1, &e), 0);
	console_start(x.c);
	answer_read(&x.p, 100, 100, "", UM_OK, "ok");
	ready(&x);
	shutdown(x.p.fd, SHUT_RDWR);
	ready(&x);
	assert_int_equal(console_ended(x.c), CONSOLE_LOST);
	assert_non_null(strstr(console_message(x.c), "connection to the monitor lost"));
	close_con(&x);
}

/* The web console's seek and hold: reads start where it says, and a
 * hold lets the read in flight answer but sends no next one until the
 * hold ends. */
static void seek_and_hold(void **state)
{
	struct fixture x;
	struct err e;

	(void)state;
	assert_int_equal(open_con(&x, 0, CONSOLE_ESCAPE_NONE, UM_OK, "ok", 1, &e), 0);
	console_seek(x.c, 150);
	console_start(x.c);
	answer_read(&x.p, 150, 150, "abc", UM_OK, "ok");
	console_hold(x.c, 1);
	ready(&x);
	assert_int_equal(x.f.nout, 3);
	/* held: no read on the wire */
	no_call(&x.p);
	console_hold(x.c, 1);
	no_call(&x.p);
	/* released: the next read, from where the output stopped */
	console_hold(x.c, 0);
	answer_read(&x.p, 153, 153, "d", UM_OK, "ok");
	ready(&x);
	assert_int_equal(x.f.nout, 4);
	/* a hold and its end between two answers change nothing */
	console_hold(x.c, 1);
	console_hold(x.c, 0);
	answer_read(&x.p, 154, 154, "", UM_OK, "ok");
	no_call(&x.p);
	close_con(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(output_follows_offsets),
		cmocka_unit_test(typed_and_escape_menu),
		cmocka_unit_test(no_escape_and_readonly),
		cmocka_unit_test(ends),
		cmocka_unit_test(seek_and_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
