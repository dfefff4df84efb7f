/* Unit tests of the RPC layer: record marking, the event-driven server with
 * deferred replies answered out of order, errors, cancellation, and a stock
 * libtirpc client (clntunix_create + clnt_call) as a peer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>
#include <cmocka.h>

#include "umlmonctrl.h"
#include "umlmon/chan.h"
#include "umlmon/ctrl.h"
#include "serve/loop.h"
#include "common/rpc_client.h"
#include "serve/rpc_server.h"
#include "common/rpc_wire.h"

#define PROG 0x20554d4cu
#define VERS 1

enum { P_ECHO = 1, P_LATER = 2, P_HOLD = 3, P_ROOT = 4 };

static struct loop *lp;
static struct rpc_server *srv;
static struct rpc_server *srv2; /* a socket anyone may use, a deny hook */
static int cancelled;

static void set_msg(um_result *r, um_status st, const char *m)
{
	r->status = st;
	r->message = strdup(m);
}

static enum rpc_outcome p_echo(struct rpc_call *c, void *args, void *res)
{
	(void)c;
	set_msg(res, UM_OK, *(char **)args);
	return RPC_REPLY;
}

static void later(struct loop *l, void *arg)
{
	(void)l;
	rpc_call_reply(arg);
}

/* answered 100 ms later: a reply after the ones behind it */
static enum rpc_outcome p_later(struct rpc_call *c, void *args, void *res)
{
	set_msg(res, UM_OK, *(char **)args);
	loop_timer_add(lp, 100, later, c);
	return RPC_DEFER;
}

static void on_cancel(struct rpc_call *c, void *arg)
{
	(void)c;
	(void)arg;
	__atomic_add_fetch(&cancelled, 1, __ATOMIC_SEQ_CST);
}

/* never answered: the client goes away first */
static enum rpc_outcome p_hold(struct rpc_call *c, void *args, void *res)
{
	(void)args;
	(void)res;
	rpc_call_on_cancel(c, on_cancel, NULL);
	return RPC_DEFER;
}

static bool_t xdr_str(XDR *x, char **s)
{
	return xdr_string(x, s, 1024);
}

static const struct rpc_proc procs[] = {
	{P_ECHO, "echo", (xdrproc_t)xdr_str, sizeof(char *),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), p_echo, RPC_READ, 0},
	{P_LATER, "later", (xdrproc_t)xdr_str, sizeof(char *),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), p_later, RPC_READ, 0},
	{P_HOLD, "hold", (xdrproc_t)xdr_rpc_void, sizeof(int),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), p_hold, RPC_READ, 0},
	{P_ROOT, "rootonly", (xdrproc_t)xdr_str, sizeof(char *),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), p_echo, RPC_ROOT, 0},
};

static void deny_res(struct rpc_call *call, void *res, const char *why)
{
	um_result *r = res;

	r->status = UM_EPERM;
	r->message = xasprintf("%s: %s", rpc_call_name(call), why);
}

static pthread_t thr;
static int wake[2];

static void on_wake(struct loop *l, int fd, uint32_t ev, void *arg)
{
	char c;

	(void)ev;
	(void)arg;
	if (read(fd, &c, 1) == 1 && c == 'q')
		loop_quit(l);
}

static void *serve(void *arg)
{
	(void)arg;
	loop_run(lp);
	return NULL;
}

static char sockpath[108], sockpath2[108];

static int setup(void **state)
{
	struct err e;

	(void)state;
	lp = loop_new();
	srv = rpc_server_new(lp, PROG, VERS, procs, ARRAY_SIZE(procs), NULL);
	snprintf(sockpath, sizeof(sockpath), "/tmp/umlmon-rpc-test.%d", (int)getpid());
	if (rpc_server_listen_unix(srv, sockpath, 0600, (gid_t)-1, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	srv2 = rpc_server_new(lp, PROG, VERS, procs, ARRAY_SIZE(procs), NULL);
	rpc_server_on_deny(srv2, deny_res);
	snprintf(sockpath2, sizeof(sockpath2), "/tmp/umlmon-rpc-test2.%d",
		 (int)getpid());
	if (rpc_server_listen_unix(srv2, sockpath2, 0666, (gid_t)-1, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	if (pipe(wake) < 0)
		return -1;
	loop_add_fd(lp, wake[0], EPOLLIN, on_wake, NULL);
	return pthread_create(&thr, NULL, serve, NULL);
}

static int teardown(void **state)
{
	(void)state;
	if (write(wake[1], "q", 1) != 1)
		return -1;
	pthread_join(thr, NULL);
	rpc_server_free(srv2);
	rpc_server_free(srv);
	loop_free(lp);
	/* the server removes its socket */
	return access(sockpath, F_OK) == 0 ? -1 : 0;
}

/* Each procedure's row says who may call it, checked before its handler:
 * a root-only one is refused to another user, in the result (deny hook)
 * or the RPC way (AUTH_TOOWEAK) without one, and allowed to root. */
static void policy_of_rows(void **state)
{
	int st;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rpc_client *c;
		char *arg = "x";
		um_result r;
		struct err e;
		int ok;

		/* a user who may use the socket, but is not root */
		if (getuid() == 0 && setuid(65534) < 0)
			_exit(10);
		c = rpc_client_unix(sockpath2, PROG, VERS, &e);
		if (!c)
			_exit(11);
		memset(&r, 0, sizeof(r));
		if (rpc_client_call(c, P_ROOT, (xdrproc_t)xdr_str, &arg,
				    (xdrproc_t)xdr_um_result, &r, 5000, &e) < 0)
			_exit(12);
		ok = r.status == UM_EPERM &&
		     !strcmp(r.message, "rootonly: only root may call it");
		xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
		/* an allowed procedure goes on working on the connection */
		if (rpc_client_call(c, P_ECHO, (xdrproc_t)xdr_str, &arg,
				    (xdrproc_t)xdr_um_result, &r, 5000, &e) < 0 ||
		    r.status != UM_OK)
			_exit(13);
		xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
		rpc_client_free(c);
		_exit(ok ? 0 : 14);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	if (getuid() == 0) {
		/* root gets through; without a deny hook a refusal is an RPC
		 * error, which root does not see here */
		struct rpc_client *c;
		char *arg = "y";
		um_result r;
		struct err e;

		c = rpc_client_unix(sockpath, PROG, VERS, &e);
		assert_non_null(c);
		memset(&r, 0, sizeof(r));
		assert_int_equal(rpc_client_call(c, P_ROOT, (xdrproc_t)xdr_str, &arg,
						 (xdrproc_t)xdr_um_result, &r, 5000,
						 &e), 0);
		assert_int_equal(r.status, UM_OK);
		xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
		rpc_client_free(c);
	}
}

static void record_marking(void **state)
{
	struct rpc_in in = {0};
	const uint8_t *rec;
	size_t len;
	/* "abc" in two fragments, then "xy" in one, fed byte by byte */
	const uint8_t stream[] = {0, 0, 0, 2, 'a', 'b', 0x80, 0, 0, 1, 'c',
				  0x80, 0, 0, 2, 'x', 'y'};
	int got = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(stream); i++) {
		rpc_in_push(&in, &stream[i], 1);
		while (rpc_in_next(&in, &rec, &len) == 1) {
			if (got == 0) {
				assert_int_equal(len, 3);
				assert_memory_equal(rec, "abc", 3);
			} else {
				assert_int_equal(len, 2);
				assert_memory_equal(rec, "xy", 2);
			}
			got++;
		}
	}
	assert_int_equal(got, 2);
	rpc_in_free(&in);
	/* an empty record, first on a stream (nothing allocated yet), and an
	 * empty fragment (found by fuzz_rpc: a copy of 0 bytes to NULL) */
	{
		const uint8_t empty[] = {0x80, 0, 0, 0, 0, 0, 0, 0,
					 0x80, 0, 0, 1, 'z'};

		rpc_in_push(&in, empty, sizeof(empty));
		assert_int_equal(rpc_in_next(&in, &rec, &len), 1);
		assert_int_equal(len, 0);
		assert_int_equal(rpc_in_next(&in, &rec, &len), 1);
		assert_int_equal(len, 1);
		assert_memory_equal(rec, "z", 1);
		assert_int_equal(rpc_in_next(&in, &rec, &len), 0);
	}
	/* a fragment announcing more than the limit breaks the stream */
	{
		const uint8_t big[] = {0x80, 0x7f, 0xff, 0xff};

		rpc_in_push(&in, big, 4);
		assert_int_equal(rpc_in_next(&in, &rec, &len), -1);
	}
	rpc_in_free(&in);
}

static void sync_calls_and_errors(void **state)
{
	struct rpc_client *c;
	um_result r;
	struct err e;
	char *arg = "hello";

	(void)state;
	c = rpc_client_unix(sockpath, PROG, VERS, &e);
	assert_non_null(c);
	memset(&r, 0, sizeof(r));
	assert_int_equal(rpc_client_call(c, P_ECHO, (xdrproc_t)xdr_str, &arg,
					 (xdrproc_t)xdr_um_result, &r, 2000, &e), 0);
	assert_string_equal(r.message, "hello");
	xdr_free((xdrproc_t)xdr_um_result, (char *)&r);

	/* unknown procedure */
	memset(&r, 0, sizeof(r));
	assert_int_equal(rpc_client_call(c, 99, (xdrproc_t)xdr_str, &arg,
					 (xdrproc_t)xdr_um_result, &r, 2000, &e), -1);
	assert_non_null(strstr(e.msg, "procedure unavailable"));

	/* arguments that do not decode: echo wants a string, gets nothing */
	assert_int_equal(rpc_client_call(c, P_ECHO, (xdrproc_t)xdr_rpc_void, NULL,
					 (xdrproc_t)xdr_um_result, &r, 2000, &e), -1);
	assert_non_null(strstr(e.msg, "could not decode the arguments"));

	/* the connection still works after those */
	memset(&r, 0, sizeof(r));
	assert_int_equal(rpc_client_call(c, P_ECHO, (xdrproc_t)xdr_str, &arg,
					 (xdrproc_t)xdr_um_result, &r, 2000, &e), 0);
	xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
	rpc_client_free(c);

	/* wrong program version */
	c = rpc_client_unix(sockpath, PROG, VERS + 1, &e);
	assert_non_null(c);
	assert_int_equal(rpc_client_call(c, P_ECHO, (xdrproc_t)xdr_str, &arg,
					 (xdrproc_t)xdr_um_result, &r, 2000, &e), -1);
	assert_non_null(strstr(e.msg, "version mismatch"));
	rpc_client_free(c);

	/* wrong program */
	c = rpc_client_unix(sockpath, PROG + 1, VERS, &e);
	assert_int_equal(rpc_client_call(c, P_ECHO, (xdrproc_t)xdr_str, &arg,
					 (xdrproc_t)xdr_um_result, &r, 2000, &e), -1);
	assert_non_null(strstr(e.msg, "program unavailable"));
	rpc_client_free(c);
}

struct order {
	char seen[8][16];
	int n;
};

static void on_reply(struct rpc_client *c, void *res, const char *err, void *arg)
{
	struct order *o = arg;
	um_result *r = res;

	(void)c;
	assert_null(err);
	snprintf(o->seen[o->n++], sizeof(o->seen[0]), "%s", r->message);
}

static void out_of_order(void **state)
{
	struct rpc_client *c;
	struct order o = {.n = 0};
	um_result r;
	struct err e;
	char *slow = "slow", *fast = "fast";

	(void)state;
	c = rpc_client_unix(sockpath, PROG, VERS, &e);
	assert_non_null(c);
	assert_int_equal(rpc_client_send(c, P_LATER, (xdrproc_t)xdr_str, &slow,
					 (xdrproc_t)xdr_um_result, sizeof(um_result),
					 on_reply, &o, &e), 0);
	assert_int_equal(rpc_client_send(c, P_ECHO, (xdrproc_t)xdr_str, &fast,
					 (xdrproc_t)xdr_um_result, sizeof(um_result),
					 on_reply, &o, &e), 0);
	/* a blocking call behind them: its answer comes before the slow one */
	memset(&r, 0, sizeof(r));
	assert_int_equal(rpc_client_call(c, P_ECHO, (xdrproc_t)xdr_str, &fast,
					 (xdrproc_t)xdr_um_result, &r, 2000, &e), 0);
	xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
	assert_int_equal(o.n, 1);
	assert_string_equal(o.seen[0], "fast");
	assert_int_equal(rpc_client_inflight(c), 1);
	/* wait for the slow one */
	for (int i = 0; i < 100 && o.n < 2; i++) {
		usleep(10000);
		rpc_client_input(c, &e);
	}
	assert_int_equal(o.n, 2);
	assert_string_equal(o.seen[1], "slow");
	rpc_client_free(c);
}

static void cancel_on_close(void **state)
{
	struct rpc_client *c;
	um_result r;
	struct err e;

	(void)state;
	c = rpc_client_unix(sockpath, PROG, VERS, &e);
	assert_non_null(c);
	memset(&r, 0, sizeof(r));
	/* held forever: the call times out on our side */
	assert_int_equal(rpc_client_call(c, P_HOLD, (xdrproc_t)xdr_rpc_void, NULL,
					 (xdrproc_t)xdr_um_result, &r, 200, &e), -1);
	assert_non_null(strstr(e.msg, "no answer from the monitor in 200 ms"));
	assert_int_equal(__atomic_load_n(&cancelled, __ATOMIC_SEQ_CST), 0);
	rpc_client_free(c);
	for (int i = 0; i < 100 && !__atomic_load_n(&cancelled, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	assert_int_equal(__atomic_load_n(&cancelled, __ATOMIC_SEQ_CST), 1);
}

/* libtirpc's own client talks to our server. */
static void tirpc_peer(void **state)
{
	struct sockaddr_un sa;
	struct timeval tv = {5, 0};
	CLIENT *cl;
	int sock = RPC_ANYSOCK;
	um_result r;
	char *arg = "from libtirpc";

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, sockpath);
	cl = clntunix_create(&sa, PROG, VERS, &sock, 0, 0);
	assert_non_null(cl);
	memset(&r, 0, sizeof(r));
	assert_int_equal(clnt_call(cl, P_ECHO, (xdrproc_t)xdr_str, (char *)&arg,
				   (xdrproc_t)xdr_um_result, (char *)&r, tv), RPC_SUCCESS);
	assert_string_equal(r.message, "from libtirpc");
	xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
	/* and a deferred one */
	memset(&r, 0, sizeof(r));
	assert_int_equal(clnt_call(cl, P_LATER, (xdrproc_t)xdr_str, (char *)&arg,
				   (xdrproc_t)xdr_um_result, (char *)&r, tv), RPC_SUCCESS);
	assert_string_equal(r.message, "from libtirpc");
	xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
	assert_int_equal(clnt_call(cl, 77, (xdrproc_t)xdr_str, (char *)&arg,
				   (xdrproc_t)xdr_um_result, (char *)&r, tv),
			 RPC_PROCUNAVAIL);
	clnt_destroy(cl);
}

static void stale_socket(void **state)
{
	struct loop *l2 = loop_new();
	struct rpc_server *s2 = rpc_server_new(l2, PROG, VERS, procs, 3, NULL);
	struct err e;

	(void)state;
	/* a live server's socket is not taken over */
	assert_int_equal(rpc_server_listen_unix(s2, sockpath, 0600, (gid_t)-1, &e), -1);
	assert_non_null(strstr(e.msg, "another process is serving"));
	rpc_server_free(s2);
	loop_free(l2);
	/* the first server still answers */
	{
		struct rpc_client *c = rpc_client_unix(sockpath, PROG, VERS, &e);
		um_result r;
		char *arg = "still";

		assert_non_null(c);
		memset(&r, 0, sizeof(r));
		assert_int_equal(rpc_client_call(c, P_ECHO, (xdrproc_t)xdr_str, &arg,
						 (xdrproc_t)xdr_um_result, &r, 2000, &e), 0);
		xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
		rpc_client_free(c);
	}
}

/* ---- abuse: the server driven turn by turn on this thread ------------
 * A socketpair is the client; a channel and a list of parked calls stand
 * for the monitor's waiters. Calls are recorded in a table the test owns,
 * so a walk that meets a call its server already cancelled is seen as a
 * failed assertion in any build, not only as an ASan report. */
enum { Q_ECHO = 1, Q_READ = 2, Q_PARK = 3, Q_BIG = 4 };

enum qstate { Q_NONE, Q_PARKED, Q_REPLIED, Q_CANCELLED };

struct qcall {
	struct chan_waiter w;   /* Q_READ: waits on tch */
	struct rpc_call *call;
	enum qstate state;
	int bad;                /* woken or cancelled when not parked */
};

#define NQ 4096
static struct qcall qc[NQ];
static int nq;
static struct loop *tl;
static struct rpc_server *tsrv;
static struct chan *tch;
static int sv[2];

static void q_cancel(struct rpc_call *call, void *arg)
{
	struct qcall *q = arg;

	(void)call;
	if (q->state != Q_PARKED)
		q->bad++;
	q->state = Q_CANCELLED;
	if (q->w.cb)
		chan_unwait(tch, &q->w);
}

static void q_reply(struct qcall *q)
{
	if (q->state != Q_PARKED) {
		q->bad++;
		return;
	}
	q->state = Q_REPLIED;
	set_msg(rpc_call_res(q->call), UM_OK, "done");
	rpc_call_reply(q->call);
}

static void q_wake(struct chan_waiter *w, int closed)
{
	(void)closed;
	q_reply((struct qcall *)w);
}

static struct qcall *q_park(struct rpc_call *call)
{
	struct qcall *q = &qc[nq++];

	assert_true(nq <= NQ);
	memset(q, 0, sizeof(*q));
	q->call = call;
	q->state = Q_PARKED;
	rpc_call_on_cancel(call, q_cancel, q);
	return q;
}

/* parked until output on tch, like a console read */
static enum rpc_outcome q_read(struct rpc_call *c, void *args, void *res)
{
	struct qcall *q = q_park(c);

	(void)args;
	(void)res;
	q->w.cb = q_wake;
	chan_wait(tch, &q->w);
	return RPC_DEFER;
}

/* parked until the test finishes it, like a stop */
static enum rpc_outcome q_hold(struct rpc_call *c, void *args, void *res)
{
	(void)args;
	(void)res;
	q_park(c);
	return RPC_DEFER;
}

/* 64 KiB of answer to a call of a few bytes */
static enum rpc_outcome q_big(struct rpc_call *c, void *args, void *res)
{
	um_read_res *r = res;

	(void)c;
	(void)args;
	r->data.data_len = UM_DATA_MAX;
	r->data.data_val = calloc(1, UM_DATA_MAX);
	set_msg(&r->res, UM_OK, "big");
	return RPC_REPLY;
}

static const struct rpc_proc qprocs[] = {
	{Q_ECHO, "echo", (xdrproc_t)xdr_str, sizeof(char *),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), p_echo, RPC_READ, 0},
	{Q_READ, "read", (xdrproc_t)xdr_rpc_void, sizeof(int),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), q_read, RPC_READ, 0},
	{Q_PARK, "park", (xdrproc_t)xdr_rpc_void, sizeof(int),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), q_hold, RPC_READ, 0},
	{Q_BIG, "big", (xdrproc_t)xdr_rpc_void, sizeof(int),
	 (xdrproc_t)xdr_um_read_res, sizeof(um_read_res), q_big, RPC_READ, 0},
};

static void q_setup(void)
{
	struct chan_opts o = {.ring_size = 4096};
	struct err e;

	nq = 0;
	tl = loop_new();
	tsrv = rpc_server_new(tl, PROG, VERS, qprocs, ARRAY_SIZE(qprocs), NULL);
	tch = chan_new(tl, "con1", CHAN_PTY, &o, &e);
	assert_non_null(tch);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(rpc_server_adopt(tsrv, sv[0]), 0);
}

static void q_teardown(void)
{
	if (sv[1] >= 0)
		close(sv[1]);
	rpc_server_free(tsrv);
	chan_free(tch);
	loop_free(tl);
	for (int i = 0; i < nq; i++)
		assert_int_equal(qc[i].bad, 0);
}

static void quit_now(struct loop *l, void *arg)
{
	(void)arg;
	loop_quit(l);
}

/* One turn of the loop: whatever is ready now, then the due timers. */
static void turn(void)
{
	loop_timer_add(tl, 0, quit_now, NULL);
	loop_run(tl);
}

/* Appends a call to out: what a client pipelines. */
static void put_call(struct rpc_out *out, uint32_t xid, uint32_t proc,
		     xdrproc_t xargs, void *args)
{
	assert_int_equal(rpc_out_call(out, xid, PROG, VERS, proc, xargs, args), 0);
}

static void send_calls(int n, uint32_t proc)
{
	struct rpc_out out = {0};

	for (int i = 0; i < n; i++)
		put_call(&out, (uint32_t)i + 1, proc, (xdrproc_t)xdr_rpc_void, NULL);
	assert_int_equal(write_all(sv[1], out.buf, out.len), (ssize_t)out.len);
	rpc_out_free(&out);
}

static int count(enum qstate st)
{
	int n = 0;

	for (int i = 0; i < nq; i++)
		n += qc[i].state == st;
	return n;
}

/* Two console reads parked; the client goes away (how) before the output
 * comes; the output wakes both: the first reply fails, and the second
 * call must still be whole when the walk reaches it. */
static void wake_walk_after(int how)
{
	q_setup();
	send_calls(2, Q_READ);
	turn();
	assert_int_equal(count(Q_PARKED), 2);
	assert_int_equal(chan_nwaiters(tch), 2);
	if (how == SHUT_RDWR) {
		close(sv[1]);
		sv[1] = -1;
	} else {
		assert_int_equal(shutdown(sv[1], how), 0);
	}
	chan_output(tch, "x", 1);
	/* each call ended once; none was met by the walk after its end */
	assert_int_equal(count(Q_REPLIED) + count(Q_CANCELLED), 2);
	for (int i = 0; i < nq; i++)
		assert_int_equal(qc[i].bad, 0);
	assert_int_equal(chan_nwaiters(tch), 0);
	/* the loop closes the broken connection */
	turn();
	assert_int_equal(rpc_server_nconns(tsrv), 0);
	q_teardown();
}

static void reply_fails_in_wake_walk(void **state)
{
	(void)state;
	wake_walk_after(SHUT_RDWR); /* closed */
	wake_walk_after(SHUT_RD);   /* still connected, reads no more */
}

/* Two calls parked in a list (like two stops); an event walks the list
 * and answers each, the way the monitor's waiters are finished; the client
 * shut its reading side, so the first reply fails with EPIPE. */
static void reply_fails_in_finish_walk(void **state)
{
	struct qcall *walk[2];

	(void)state;
	q_setup();
	send_calls(2, Q_PARK);
	turn();
	assert_int_equal(count(Q_PARKED), 2);
	assert_int_equal(shutdown(sv[1], SHUT_RD), 0);
	walk[0] = &qc[0];
	walk[1] = &qc[1];
	for (int i = 0; i < 2; i++)
		q_reply(walk[i]);
	assert_int_equal(qc[0].bad + qc[1].bad, 0);
	assert_int_equal(count(Q_REPLIED), 2);
	turn();
	assert_int_equal(rpc_server_nconns(tsrv), 0);
	q_teardown();
}

/* Reads the replies that have come on the client end (non-blocking) into
 * in; returns how many records were added to xids. */
static int take_replies(struct rpc_in *in, uint32_t *xids, int max)
{
	const uint8_t *rec;
	size_t len;
	int n = 0;

	while (rpc_in_read(in, sv[1]) > 0)
		;
	while (n < max && rpc_in_next(in, &rec, &len) == 1) {
		uint32_t xid;

		assert_true(len >= 4);
		memcpy(&xid, rec, 4);
		xids[n++] = ntohl(xid);
	}
	return n;
}

/* Turns the loop and collects replies until n have come (or nothing moves
 * for a long time); asserts they answer xids 1..n in that order. */
static void expect_replies(int n)
{
	struct rpc_in in = {0};
	uint32_t *xids = calloc((size_t)n, sizeof(*xids));
	int got = 0, idle = 0;

	fd_nonblock(sv[1]);
	while (got < n && idle < 1000) {
		int k;

		turn();
		k = take_replies(&in, xids + got, n - got);
		got += k;
		idle = k ? 0 : idle + 1;
	}
	assert_int_equal(got, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(xids[i], (uint32_t)i + 1);
	free(xids);
	rpc_in_free(&in);
}

/* Pipelining is allowed: a thousand calls in one write are all answered,
 * in order; calls that wait for their answer are taken RPC_MAX_DEFERRED
 * at a time, the rest once earlier ones are answered. */
static void many_pipelined_calls(void **state)
{
	struct rpc_out out = {0};
	char *hi = "hi";

	(void)state;
	q_setup();
	for (int i = 0; i < 1000; i++)
		put_call(&out, (uint32_t)i + 1, Q_ECHO, (xdrproc_t)xdr_str, &hi);
	assert_int_equal(write_all(sv[1], out.buf, out.len), (ssize_t)out.len);
	rpc_out_free(&out);
	expect_replies(1000);
	q_teardown();

	q_setup();
	send_calls(200, Q_PARK);
	for (int done = 0; done < 200;) {
		int parked;

		for (int i = 0; i < 5; i++)
			turn();
		parked = count(Q_PARKED);
		assert_int_equal(parked, 200 - done < RPC_MAX_DEFERRED ?
				 200 - done : RPC_MAX_DEFERRED);
		for (int i = 0; i < nq; i++)
			if (qc[i].state == Q_PARKED)
				q_reply(&qc[i]);
		done += parked;
	}
	assert_int_equal(count(Q_REPLIED), 200);
	expect_replies(200);
	q_teardown();
}

/* A client that sends calls and never reads: the server stops reading it
 * once its replies pass the high-water mark, instead of answering all
 * that it sent (here 2000 calls of 64 KiB answers, 128 MiB). */
static void client_never_reads(void **state)
{
	size_t queued = 0;

	(void)state;
	q_setup();
	send_calls(2000, Q_BIG);
	for (int i = 0; i < 50; i++) {
		turn();
		if (rpc_server_queued(tsrv) > queued)
			queued = rpc_server_queued(tsrv);
	}
	assert_true(queued >= RPC_OUT_HIGH_WATER - 100000);
	assert_true(queued <= RPC_OUT_HIGH_WATER + UM_DATA_MAX + 1024);
	/* it still gets every answer once it reads */
	expect_replies(2000);
	assert_int_equal(rpc_server_queued(tsrv), 0);
	q_teardown();
}

/* A client that goes away in the middle of a record: its waiting call is
 * cancelled once, nothing of the half record is run, others are served. */
static void client_vanishes_mid_record(void **state)
{
	struct rpc_out out = {0};
	char *hi = "hi";

	(void)state;
	for (int cut = 2; cut <= 20; cut += 18) {
		q_setup();
		send_calls(1, Q_READ);
		turn();
		assert_int_equal(chan_nwaiters(tch), 1);
		put_call(&out, 7, Q_ECHO, (xdrproc_t)xdr_str, &hi);
		assert_int_equal(write_all(sv[1], out.buf, (size_t)cut), cut);
		out.len = 0;
		turn();
		assert_int_equal(rpc_server_nconns(tsrv), 1);
		close(sv[1]);
		sv[1] = -1;
		turn();
		assert_int_equal(rpc_server_nconns(tsrv), 0);
		assert_int_equal(count(Q_CANCELLED), 1);
		assert_int_equal(chan_nwaiters(tch), 0);
		chan_output(tch, "late", 4);
		/* a new client is served */
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(rpc_server_adopt(tsrv, sv[0]), 0);
		put_call(&out, 1, Q_ECHO, (xdrproc_t)xdr_str, &hi);
		assert_int_equal(write_all(sv[1], out.buf, out.len), (ssize_t)out.len);
		out.len = 0;
		expect_replies(1);
		q_teardown();
	}
	rpc_out_free(&out);
}

/* Through an fd opened before: there may be none to spare. */
static int count_lines(int fd, const char *text)
{
	static char buf[1 << 16];
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);
	int n = 0;

	buf[len > 0 ? len : 0] = '\0';
	for (char *p = buf; (p = strstr(p, text)); p += strlen(text))
		n++;
	return n;
}

static void run_for(int ms)
{
	loop_timer_add(tl, ms, quit_now, NULL);
	loop_run(tl);
}

static int64_t cpu_ms(const struct rusage *r)
{
	return (int64_t)(r->ru_utime.tv_sec + r->ru_stime.tv_sec) * 1000 +
	       (r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1000;
}

static void connect_clients(const char *path, int *fds, int n)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	strcpy(sa.sun_path, path);
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
}

/* Out of file descriptors, accept() fails while the socket stays readable:
 * the server must not spin on it nor log each try, must serve the clients
 * that waited once descriptors are free again, and log the next shortage
 * again. */
static void accept_out_of_fds(void **state)
{
	char path[108], logpath[] = "/tmp/umlmon-rpc-log.XXXXXX";
	const char *said = "cannot accept clients: Too many open files";
	int clients[12], logfd, saved_err;
	struct rlimit orig, low;
	struct rusage r0, r1;
	struct err e;

	(void)state;
	q_setup();
	snprintf(path, sizeof(path), "/tmp/umlmon-rpc-emfile.%d", (int)getpid());
	assert_int_equal(rpc_server_listen_unix(tsrv, path, 0600, (gid_t)-1, &e), 0);
	/* the server's messages go to a file for a while */
	logfd = mkstemp(logpath);
	assert_true(logfd >= 0);
	saved_err = dup(2);
	dup2(logfd, 2);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &orig), 0);
	for (int episode = 1; episode <= 2; episode++) {
		int top;

		connect_clients(path, clients, 12);
		/* room for two more descriptors */
		top = dup(0);
		close(top);
		low = orig;
		low.rlim_cur = (rlim_t)top + 2;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
		turn();
		assert_int_equal(rpc_server_nconns(tsrv), 2 + 1); /* and sv[0] */
		/* some rounds of pauses and tries: one line, no spinning */
		assert_int_equal(getrusage(RUSAGE_THREAD, &r0), 0);
		run_for(400);
		assert_int_equal(getrusage(RUSAGE_THREAD, &r1), 0);
		assert_true(cpu_ms(&r1) - cpu_ms(&r0) < 50);
		assert_int_equal(rpc_server_nconns(tsrv), 3);
		assert_int_equal(count_lines(logfd, said), episode);
		/* the clients leave: those that waited are taken, seen gone */
		for (int i = 0; i < 12; i++)
			close(clients[i]);
		for (int i = 0; i < 200; i++)
			turn();
		assert_int_equal(rpc_server_nconns(tsrv), 1);
		assert_int_equal(count_lines(logfd, said), episode);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &orig), 0);
	}
	dup2(saved_err, 2);
	close(saved_err);
	close(logfd);
	unlink(logpath);
	/* and a new client is served at once */
	close(sv[1]);
	connect_clients(path, &sv[1], 1);
	send_calls(1, Q_READ);
	for (int i = 0; i < 100 && !chan_nwaiters(tch); i++)
		turn();
	assert_int_equal(chan_nwaiters(tch), 1);
	chan_output(tch, "x", 1);
	expect_replies(1);
	q_teardown();
}

/* The loop's timers: those due at the same time run in the order they
 * were added, earlier ones first; cancelled ones never run; 100000 pending
 * (parked reads hold one each) are added and cancelled in any order in
 * O(log n) each (a sorted list took 16 s to add 80000). */
#define NTIMERS 100000
static int fired[NTIMERS], nfired;
static int64_t due_of[NTIMERS], lo[NTIMERS], hi[NTIMERS];

static void on_tick(struct loop *l, void *arg)
{
	(void)l;
	fired[nfired++] = (int)(intptr_t)arg;
}

static void timers_heap(void **state)
{
	struct loop *l = loop_new();
	struct loop_timer **t = calloc(NTIMERS, sizeof(*t));
	struct rusage r0, r1;

	(void)state;
	nfired = 0;
	assert_int_equal(getrusage(RUSAGE_THREAD, &r0), 0);
	for (int i = 0; i < NTIMERS; i++) {
		/* a few distinct times, many equal */
		int64_t d = (int64_t)((i * 7919) % 5) * 20;

		due_of[i] = d;
		lo[i] = now_ms() + d;
		t[i] = loop_timer_add(l, d, on_tick, (void *)(intptr_t)i);
		hi[i] = now_ms() + d;
	}
	/* the newest first, every other one */
	for (int i = NTIMERS - 1; i >= 0; i -= 2) {
		loop_timer_cancel(l, t[i]);
		t[i] = NULL;
	}
	assert_int_equal(getrusage(RUSAGE_THREAD, &r1), 0);
	assert_true(cpu_ms(&r1) - cpu_ms(&r0) < 2000);
	/* due after all of them */
	loop_timer_add(l, 150, quit_now, NULL);
	loop_run(l);
	assert_int_equal(nfired, NTIMERS / 2);
	for (int i = 0; i < nfired; i++)
		assert_true(fired[i] % 2 == 0);
	for (int i = 1; i < nfired; i++) {
		int a = fired[i - 1], b = fired[i];

		/* a's due (between lo and hi: the clock runs while they
		 * are added) is not after b's */
		if (due_of[a] == due_of[b])
			assert_true(a < b);
		else
			assert_true(lo[a] <= hi[b]);
	}
	free(t);
	loop_free(l);
}

/* ---- the dispatch table of the monitor against rpc/umlmonctrl.x ------
 * Every procedure of the IDL has its row, with the XDR routines of its
 * types; a string argument is decoded to the bound the IDL gives it, not
 * one byte more. */
static const struct {
	const char *type;
	xdrproc_t fn;
} xdr_of[] = {
	{"void", (xdrproc_t)xdr_rpc_void},
#define T(name) {#name, (xdrproc_t)xdr_##name}
	T(um_result), T(um_info), T(um_stop_args), T(um_text_res),
	T(um_device_args), T(um_device_remove_args),
	T(um_open_args), T(um_open_res), T(um_read_args), T(um_read_res),
	T(um_write_args), T(um_winsize_args), T(um_screen_res), T(um_log_args),
	T(um_log_res), T(um_disk_args), T(um_disk_res), T(um_progress_res),
	T(um_wait_args), T(um_auth_hello), T(um_auth_challenge),
	T(um_auth_proof), T(um_auth_result), T(um_snapshot_res),
#undef T
};

static xdrproc_t xdr_named(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(xdr_of); i++)
		if (!strcmp(xdr_of[i].type, type))
			return xdr_of[i].fn;
	fail_msg("no XDR routine known for the IDL type %s", type);
	return NULL;
}

/* Does fn decode a string of n bytes? */
static int decodes_string(xdrproc_t fn, size_t n)
{
	char *str = malloc(n + 1), *out = NULL, buf[8192];
	XDR x;
	int ok;

	memset(str, 'k', n);
	str[n] = '\0';
	xdrmem_create(&x, buf, sizeof(buf), XDR_ENCODE);
	assert_true(xdr_string(&x, &str, (u_int)n));
	xdr_destroy(&x);
	xdrmem_create(&x, buf, sizeof(buf), XDR_DECODE);
	ok = fn(&x, &out);
	xdr_destroy(&x);
	if (ok)
		xdr_free((xdrproc_t)xdr_wrapstring, (char *)&out);
	free(str);
	return ok;
}

static void ctrl_table_matches_idl(void **state)
{
	char path[4096], line[512];
	const struct rpc_proc *procs_of_ctrl;
	size_t nrows, seen = 0;
	int in_prog = 0;
	FILE *f;

	(void)state;
	procs_of_ctrl = ctrl_procs(&nrows);
	snprintf(path, sizeof(path), "%s/rpc/umlmonctrl.x", getenv("UMLMON_SRC"));
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char res[64], name[64], arg[64];
		const struct rpc_proc *row = NULL;
		unsigned num;

		if (strstr(line, "program UMLMONCTRL_PROG"))
			in_prog = 1;
		if (!in_prog || sscanf(line, " %63s %63[A-Z_](%63[^)]) = %u;", res,
				       name, arg, &num) != 4)
			continue;
		for (size_t i = 0; i < nrows; i++)
			if (procs_of_ctrl[i].num == num)
				row = &procs_of_ctrl[i];
		if (!row)
			fail_msg("%s (%u) has no row in ctrl.c", name, num);
		seen++;
		if (row->xres != xdr_named(res))
			fail_msg("%s: the result is not decoded as %s", name, res);
		if (!strncmp(arg, "string<", 7)) {
			size_t bound = strstr(arg, "UM_NAME_MAX") ? UM_NAME_MAX :
				       strstr(arg, "UM_MSG_MAX") ? UM_MSG_MAX : 0;

			if (!bound)
				fail_msg("%s: unknown bound in %s", name, arg);
			if (!decodes_string(row->xargs, bound) ||
			    decodes_string(row->xargs, bound + 1))
				fail_msg("%s: its argument is not decoded to %s", name, arg);
		} else if (row->xargs != xdr_named(arg)) {
			fail_msg("%s: the argument is not decoded as %s", name, arg);
		}
		/* the handshake is callable only before authentication */
		assert_int_equal(row->policy == RPC_AUTH,
				 num == UM_AUTH_HELLO || num == UM_AUTH_PROVE);
	}
	fclose(f);
	assert_int_equal(seen, nrows);
	assert_true(seen >= 24);
}

/* ---- TCP, authentication and limits: a server on 127.0.0.1, driven turn
 * by turn on this thread. "hello" authenticates with the argument "good"
 * and ends the connection after its answer otherwise. */
enum { A_HELLO = 5, A_PEER = 6, A_ANY = 7 };

static char last_peer[80];

static enum rpc_outcome a_hello(struct rpc_call *c, void *args, void *res)
{
	if (!strcmp(*(char **)args, "good")) {
		rpc_call_set_authenticated(c, 0, "tester");
		set_msg(res, UM_OK, "welcome");
	} else {
		set_msg(res, UM_EPERM, "wrong password");
		rpc_call_end_conn(c);
	}
	return RPC_REPLY;
}

static enum rpc_outcome a_peer(struct rpc_call *c, void *args, void *res)
{
	(void)args;
	rpc_peer_text(rpc_call_peer(c), last_peer, sizeof(last_peer));
	set_msg(res, UM_OK, rpc_call_peer(c)->who);
	return RPC_REPLY;
}

static const struct rpc_proc aprocs[] = {
	{Q_ECHO, "echo", (xdrproc_t)xdr_str, sizeof(char *),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), p_echo, RPC_READ, 0},
	{Q_BIG, "big", (xdrproc_t)xdr_rpc_void, sizeof(int),
	 (xdrproc_t)xdr_um_read_res, sizeof(um_read_res), q_big, RPC_READ, 0},
	{A_HELLO, "hello", (xdrproc_t)xdr_str, sizeof(char *),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), a_hello, RPC_AUTH, 0},
	{A_PEER, "peer", (xdrproc_t)xdr_rpc_void, sizeof(int),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), a_peer, RPC_CONTROL, 0},
	{A_ANY, "any", (xdrproc_t)xdr_rpc_void, sizeof(int),
	 (xdrproc_t)xdr_um_result, sizeof(um_result), a_peer, RPC_ANY_PEER, 0},
};

static int tport;

static void a_setup(const struct rpc_limits *lim, const char *bind)
{
	struct err e;

	tl = loop_new();
	tsrv = rpc_server_new(tl, PROG, VERS, aprocs, ARRAY_SIZE(aprocs), NULL);
	rpc_server_on_deny(tsrv, deny_res);
	if (lim)
		rpc_server_set_limits(tsrv, RPC_TCP, lim);
	if (rpc_server_listen_tcp(tsrv, bind, 0, &e) < 0)
		fail_msg("%s", e.msg);
	tport = rpc_server_tcp_port(tsrv);
	assert_true(tport > 0);
}

static void a_teardown(void)
{
	rpc_server_free(tsrv);
	loop_free(tl);
}

/* A connection to the server from address from (bound as the source). */
static int tcp_to(const char *from)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (from) {
		struct sockaddr_in src = {.sin_family = AF_INET};

		inet_pton(AF_INET, from, &src.sin_addr);
		assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	}
	sa.sin_port = htons((uint16_t)tport);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_str_call(int fd, uint32_t xid, uint32_t proc, const char *arg)
{
	struct rpc_out out = {0};
	char *a = (char *)arg;

	if (arg)
		put_call(&out, xid, proc, (xdrproc_t)xdr_str, &a);
	else
		put_call(&out, xid, proc, (xdrproc_t)xdr_rpc_void, NULL);
	assert_int_equal(write_all(fd, out.buf, out.len), (ssize_t)out.len);
	rpc_out_free(&out);
}

/* What the client end sees after some turns of the server: 'c' closed with
 * nothing before, 'o' open with nothing to read, 'd' data. */
static char peer_sees(int fd)
{
	char b;
	ssize_t r;

	for (int i = 0; i < 20; i++)
		turn();
	r = recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);
	if (r == 0)
		return 'c';
	if (r < 0)
		return errno == EAGAIN ? 'o' : 'c';
	return 'd';
}

/* The next reply on fd (after turns of the server): its status, message
 * in msg. */
static int reply_of(int fd, struct rpc_in *in, char *msg, size_t len)
{
	const uint8_t *rec;
	size_t rlen;

	fd_nonblock(fd);
	for (int i = 0; i < 1000; i++) {
		struct rpc_msg m;
		um_result r;
		XDR x;

		turn();
		rpc_in_read(in, fd);
		if (rpc_in_next(in, &rec, &rlen) != 1)
			continue;
		memset(&m, 0, sizeof(m));
		memset(&r, 0, sizeof(r));
		m.acpted_rply.ar_results.proc = (xdrproc_t)xdr_um_result;
		m.acpted_rply.ar_results.where = (caddr_t)&r;
		xdrmem_create(&x, (char *)rec, (u_int)rlen, XDR_DECODE);
		assert_true(xdr_replymsg(&x, &m));
		xdr_destroy(&x);
		if (m.rm_reply.rp_stat != MSG_ACCEPTED || m.acpted_rply.ar_stat != SUCCESS)
			return -1;
		snprintf(msg, len, "%s", r.message);
		xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
		return (int)r.status;
	}
	fail_msg("no reply");
	return -1;
}

static void tcp_handshake_first(void **state)
{
	struct rpc_in in = {0};
	char msg[200];
	int fd;
	struct err e;

	(void)state;
	a_setup(NULL, NULL);
	/* all addresses, both IP versions where the host has them */
	assert_true(!strcmp(rpc_server_tcp_addr(tsrv), "::") ||
		    !strcmp(rpc_server_tcp_addr(tsrv), "0.0.0.0"));
	/* a call before the handshake: closed, no answer */
	fd = tcp_to(NULL);
	send_str_call(fd, 1, Q_ECHO, "hi");
	assert_int_equal(peer_sees(fd), 'c');
	close(fd);
	/* nor one of another RPC version, nor garbage */
	fd = tcp_to(NULL);
	{
		uint8_t rec[] = {0x80, 0, 0, 40, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 3,
				 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

		assert_int_equal(write_all(fd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	}
	assert_int_equal(peer_sees(fd), 'c');
	close(fd);
	fd = tcp_to(NULL);
	assert_int_equal(write_all(fd, "\x80\0\0\x08garbage!", 12), 12);
	assert_int_equal(peer_sees(fd), 'c');
	close(fd);
	/* a refused handshake is answered, then the connection ends */
	fd = tcp_to(NULL);
	send_str_call(fd, 1, A_HELLO, "bad");
	assert_int_equal(reply_of(fd, &in, msg, sizeof(msg)), UM_EPERM);
	assert_int_equal(peer_sees(fd), 'c');
	close(fd);
	rpc_in_free(&in);
	/* the handshake, then calls by the rights it gave */
	fd = tcp_to(NULL);
	send_str_call(fd, 1, A_HELLO, "good");
	assert_int_equal(reply_of(fd, &in, msg, sizeof(msg)), UM_OK);
	send_str_call(fd, 2, A_PEER, NULL);
	assert_int_equal(reply_of(fd, &in, msg, sizeof(msg)), UM_OK);
	assert_string_equal(msg, "tester");
	assert_non_null(strstr(last_peer, "127.0.0.1 port "));
	/* a second handshake: closed */
	send_str_call(fd, 3, A_HELLO, "good");
	assert_int_equal(peer_sees(fd), 'c');
	close(fd);
	rpc_in_free(&in);
	assert_int_equal(rpc_server_nconns(tsrv), 0);
	/* a bind address that is not one */
	assert_int_equal(rpc_server_listen_tcp(tsrv, "localhost", 0, &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	a_teardown();
}

/* A connection that does not authenticate in time is closed; one that
 * did stays. */
static void tcp_handshake_timeout(void **state)
{
	struct rpc_limits lim = {.auth_timeout_ms = 200};
	struct rpc_in in = {0};
	char msg[200];
	int idle, slow, good;
	int64_t t0;

	(void)state;
	a_setup(&lim, "127.0.0.1");
	assert_string_equal(rpc_server_tcp_addr(tsrv), "127.0.0.1");
	t0 = now_ms();
	idle = tcp_to(NULL);
	good = tcp_to(NULL);
	slow = tcp_to(NULL);
	send_str_call(good, 1, A_HELLO, "good");
	assert_int_equal(reply_of(good, &in, msg, sizeof(msg)), UM_OK);
	/* half a record: still not authenticated */
	assert_int_equal(write_all(slow, "\x80\0\0\x40", 4), 4);
	assert_int_equal(peer_sees(idle), 'o');
	run_for(300);
	assert_int_equal(peer_sees(idle), 'c');
	assert_int_equal(peer_sees(slow), 'c');
	assert_int_equal(peer_sees(good), 'o');
	assert_true(now_ms() - t0 >= 200);
	close(idle);
	close(slow);
	close(good);
	rpc_in_free(&in);
	a_teardown();
}

/* tcp-open (umldir's port): no handshake; anyone calls RPC_ANY_PEER
 * procedures and is refused the others, RPC_AUTH too, with an answer; no
 * handshake timeout; its own limits. */
static void tcp_open(void **state)
{
	struct rpc_limits lim = {.max_conns_per_peer = 2, .auth_timeout_ms = 100};
	struct rpc_in in = {0};
	char msg[200];
	int fd, fd2, over;
	struct err e;

	(void)state;
	tl = loop_new();
	tsrv = rpc_server_new(tl, PROG, VERS, aprocs, ARRAY_SIZE(aprocs), NULL);
	rpc_server_on_deny(tsrv, deny_res);
	rpc_server_set_limits(tsrv, RPC_TCP_OPEN, &lim);
	if (rpc_server_listen_tcp_open(tsrv, "127.0.0.1", 0, &e) < 0)
		fail_msg("%s", e.msg);
	tport = rpc_server_tcp_port(tsrv);
	assert_true(tport > 0);
	assert_string_equal(rpc_server_tcp_addr(tsrv), "127.0.0.1");
	fd = tcp_to(NULL);
	send_str_call(fd, 1, A_ANY, NULL);
	assert_int_equal(reply_of(fd, &in, msg, sizeof(msg)), UM_OK);
	assert_non_null(strstr(last_peer, "127.0.0.1 port "));
	send_str_call(fd, 2, Q_ECHO, "hi");
	assert_int_equal(reply_of(fd, &in, msg, sizeof(msg)), UM_EPERM);
	send_str_call(fd, 3, A_HELLO, "good");
	assert_int_equal(reply_of(fd, &in, msg, sizeof(msg)), UM_EPERM);
	send_str_call(fd, 4, A_PEER, NULL);
	assert_int_equal(reply_of(fd, &in, msg, sizeof(msg)), UM_EPERM);
	/* silent, past auth_timeout: still served */
	fd2 = tcp_to(NULL);
	run_for(200);
	assert_int_equal(peer_sees(fd2), 'o');
	/* a third from the same address: over max_clients_per_peer */
	over = tcp_to(NULL);
	assert_int_equal(peer_sees(over), 'c');
	send_str_call(fd2, 1, A_ANY, NULL);
	rpc_in_free(&in);
	memset(&in, 0, sizeof(in));
	assert_int_equal(reply_of(fd2, &in, msg, sizeof(msg)), UM_OK);
	close(over);
	close(fd2);
	close(fd);
	rpc_in_free(&in);
	a_teardown();
}

/* Over a limit, a new connection is closed at once; those within go on. */
static void tcp_limits(void **state)
{
	struct rpc_limits lim = {.max_conns = 6, .max_conns_per_peer = 3,
				 .max_unauth = 4};
	struct rpc_in in = {0};
	char msg[200];
	int fd[8];

	(void)state;
	a_setup(&lim, NULL);
	/* per address: 3 from 127.0.0.1, the 4th refused, one from
	 * 127.0.0.2 taken */
	for (int i = 0; i < 4; i++)
		fd[i] = tcp_to("127.0.0.1");
	fd[4] = tcp_to("127.0.0.2");
	for (int i = 0; i < 3; i++)
		assert_int_equal(peer_sees(fd[i]), 'o');
	assert_int_equal(peer_sees(fd[3]), 'c');
	assert_int_equal(peer_sees(fd[4]), 'o');
	close(fd[3]);
	/* 4 not authenticated: a 5th is refused whoever it is */
	fd[5] = tcp_to("127.0.0.3");
	assert_int_equal(peer_sees(fd[5]), 'c');
	close(fd[5]);
	/* one authenticates: room again for one not authenticated */
	send_str_call(fd[0], 1, A_HELLO, "good");
	assert_int_equal(reply_of(fd[0], &in, msg, sizeof(msg)), UM_OK);
	fd[5] = tcp_to("127.0.0.3");
	assert_int_equal(peer_sees(fd[5]), 'o');
	send_str_call(fd[5], 1, A_HELLO, "good");
	rpc_in_free(&in);
	assert_int_equal(reply_of(fd[5], &in, msg, sizeof(msg)), UM_OK);
	/* 5 now: one more is the 6th, the 7th is over max_conns */
	fd[6] = tcp_to("127.0.0.4");
	fd[7] = tcp_to("127.0.0.5");
	assert_int_equal(peer_sees(fd[6]), 'o');
	assert_int_equal(peer_sees(fd[7]), 'c');
	assert_int_equal(rpc_server_nconns(tsrv), 6);
	for (int i = 0; i < 8; i++)
		if (i != 3)
			close(fd[i]);
	rpc_in_free(&in);
	a_teardown();
}

/* On Unix, one user's connections are limited (and root's are, too). */
static void unix_limit_per_uid(void **state)
{
	struct rpc_limits lim = {.max_conns_per_peer = 2};
	char path[108];
	int fds[3];
	struct err e;

	(void)state;
	q_setup();
	rpc_server_set_limits(tsrv, RPC_UNIX, &lim);
	snprintf(path, sizeof(path), "/tmp/umlmon-rpc-uid.%d", (int)getpid());
	assert_int_equal(rpc_server_listen_unix(tsrv, path, 0600, (gid_t)-1, &e), 0);
	/* sv[0] was adopted: one of ours already */
	connect_clients(path, fds, 2);
	assert_int_equal(peer_sees(fds[0]), 'o');
	assert_int_equal(peer_sees(fds[1]), 'c');
	close(fds[1]);
	/* one closes and, before the server has turned, another comes: it
	 * is not refused for the one that is gone */
	for (int i = 0; i < 20; i++) {
		close(fds[0]);
		connect_clients(path, &fds[0], 1);
		assert_int_equal(peer_sees(fds[0]), 'o');
	}
	close(fds[0]);
	q_teardown();
	assert_int_equal(access(path, F_OK), -1);
}

/* RFC 5531: a call of RPC version 3 gets RPC_MISMATCH (2, 2) with its
 * xid, and the connection goes on. */
static void rpc_version_mismatch(void **state)
{
	uint8_t rec[] = {0x80, 0, 0, 40, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 3,
			 0x20, 0x55, 0x4d, 0x4c, 0, 0, 0, 1, 0, 0, 0, 1,
			 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	struct rpc_in in = {0};
	const uint8_t *r;
	size_t len;
	struct rpc_msg m;
	XDR x;

	(void)state;
	q_setup();
	assert_int_equal(write_all(sv[1], rec, sizeof(rec)), (ssize_t)sizeof(rec));
	fd_nonblock(sv[1]);
	for (int i = 0; i < 100 && rpc_in_next(&in, &r, &len) != 1; i++) {
		turn();
		rpc_in_read(&in, sv[1]);
	}
	memset(&m, 0, sizeof(m));
	xdrmem_create(&x, (char *)r, (u_int)len, XDR_DECODE);
	assert_true(xdr_replymsg(&x, &m));
	xdr_destroy(&x);
	assert_int_equal(m.rm_xid, 0x1234);
	assert_int_equal(m.rm_reply.rp_stat, MSG_DENIED);
	assert_int_equal(m.rjcted_rply.rj_stat, RPC_MISMATCH);
	assert_int_equal(m.rjcted_rply.rj_vers.low, 2);
	assert_int_equal(m.rjcted_rply.rj_vers.high, 2);
	rpc_in_free(&in);
	/* still served */
	{
		char *hi = "hi";
		struct rpc_out out = {0};

		put_call(&out, 1, Q_ECHO, (xdrproc_t)xdr_str, &hi);
		assert_int_equal(write_all(sv[1], out.buf, out.len), (ssize_t)out.len);
		rpc_out_free(&out);
		expect_replies(1);
	}
	q_teardown();
}

/* Clients that never read: beyond the transport's total, those holding
 * replies are not served; one that reads is; the total stays near its
 * limit; each gets all its answers once it reads. */
static void queued_total_holds(void **state)
{
	struct rpc_limits lim = {.max_queued_conn = 1u << 20,
				 .max_queued_total = 2u << 20};
	char path[108];
	int fds[4];
	size_t most = 0;
	struct rpc_out out = {0};
	struct err e;

	(void)state;
	q_setup();
	rpc_server_set_limits(tsrv, RPC_UNIX, &lim);
	snprintf(path, sizeof(path), "/tmp/umlmon-rpc-total.%d", (int)getpid());
	assert_int_equal(rpc_server_listen_unix(tsrv, path, 0600, (gid_t)-1, &e), 0);
	connect_clients(path, fds, 4);
	for (int i = 0; i < 300; i++)
		put_call(&out, (uint32_t)i + 1, Q_BIG, (xdrproc_t)xdr_rpc_void, NULL);
	for (int c = 0; c < 4; c++)
		assert_int_equal(write_all(fds[c], out.buf, out.len), (ssize_t)out.len);
	rpc_out_free(&out);
	for (int i = 0; i < 100; i++) {
		turn();
		if (rpc_server_queued(tsrv) > most)
			most = rpc_server_queued(tsrv);
	}
	/* 4 x 300 x 64 KiB were asked; the socket buffers take some */
	assert_true(most >= (2u << 20) - 100000);
	assert_true(most <= (2u << 20) + 4 * (UM_DATA_MAX + 1024));
	/* another client is served meanwhile */
	{
		char *hi = "hi";

		put_call(&out, 1, Q_ECHO, (xdrproc_t)xdr_str, &hi);
		assert_int_equal(write_all(sv[1], out.buf, out.len), (ssize_t)out.len);
		rpc_out_free(&out);
		expect_replies(1);
	}
	/* and each gets its 300 answers once it reads */
	for (int c = 0; c < 4; c++) {
		int keep = sv[1];

		sv[1] = fds[c];
		expect_replies(300);
		sv[1] = keep;
		close(fds[c]);
	}
	q_teardown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_marking),
		cmocka_unit_test(policy_of_rows),
		cmocka_unit_test(sync_calls_and_errors),
		cmocka_unit_test(out_of_order),
		cmocka_unit_test(cancel_on_close),
		cmocka_unit_test(tirpc_peer),
		cmocka_unit_test(stale_socket),
		cmocka_unit_test(reply_fails_in_wake_walk),
		cmocka_unit_test(reply_fails_in_finish_walk),
		cmocka_unit_test(many_pipelined_calls),
		cmocka_unit_test(client_never_reads),
		cmocka_unit_test(client_vanishes_mid_record),
		cmocka_unit_test(accept_out_of_fds),
		cmocka_unit_test(timers_heap),
		cmocka_unit_test(ctrl_table_matches_idl),
		cmocka_unit_test(tcp_handshake_first),
		cmocka_unit_test(tcp_handshake_timeout),
		cmocka_unit_test(tcp_limits),
		cmocka_unit_test(tcp_open),
		cmocka_unit_test(unix_limit_per_uid),
		cmocka_unit_test(rpc_version_mismatch),
		cmocka_unit_test(queued_total_holds),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
