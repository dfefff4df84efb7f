/* rpc_server.c -- ONC RPC served from the event loop, replies in any order.
 *
 * Who frees what: a connection owns its calls until each is answered or
 * cancelled. A connection is closed, and its open calls cancelled, only by
 * the loop (an event on its own socket, its timer, rpc_server_free), never
 * inside some other callback. A reply that fails there (EPIPE: the client
 * left) only marks the connection dead: replies to its other calls are
 * then dropped, and the loop closes it on a clean stack. So whoever walks
 * waiting calls (a channel's readers, the monitor's stop waiters) and
 * answers them one by one never meets a call freed behind its back. */
#include "common/ossl.h"
#include "serve/rpc_server.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/netio.h"
#include "common/ratelimit.h"
#include "common/tlsctx.h"
#include "common/rpc_wire.h"
#include "serve/loop.h"
#include "serve/rpc_tcp.h"
#include "serve/rpc_unix.h"

/* Pauses of the listener while accept() fails (out of fds): the first,
 * doubled each time up to the last. */
#define ACCEPT_PAUSE_MIN_MS 50
#define ACCEPT_PAUSE_MAX_MS 1000

/* The limits of a transport and what its connections hold now. */
struct tstate {
	struct rpc_limits lim;
	int nconns, nunauth;
	size_t queued;              /* replies not yet taken, all of them */
};

struct conn {
	struct rpc_server *srv;
	int fd;
	const struct rpc_transport *t;
	struct tstate *ts;
	struct rpc_peer peer;
	struct rpc_in in;
	struct rpc_out out;
	struct rpc_call *pending;   /* deferred calls, the newest first */
	int npending;
	int reading;                /* records are read and dispatched */
	int held;                   /* not reading: the transport's total */
	int dead;                   /* broken: the loop closes it */
	int closing;                /* closes once its replies are written */
	uint32_t events;            /* as the loop has them */
	size_t acct;                /* its bytes in ts->queued */
	struct loop_timer *soon;    /* see conn_soon() */
	struct loop_timer *auth_timer; /* the handshake's end */
	void *data;                 /* what a handler keeps for the connection */
	void (*data_free)(void *);
	int secure_pending;         /* seal with these once the reply is queued */
	uint8_t key_out[AUTH_KEY_LEN], key_in[AUTH_KEY_LEN];
	struct netio io;            /* fd, plain or TLS */
	int tls_handshake;          /* TLS first: no records until it ends */
	int wr_wants_read;          /* TLS: the last write waits to read */
	int rd_wants_write;         /* and the last read waits to write */
	int has_binding;
	uint8_t binding[AUTH_TLS_BINDING_LEN];
	struct conn *next, **pprev;
};

struct rpc_call {
	struct conn *conn;
	const struct rpc_proc *proc;
	uint32_t xid;
	void *args, *res;
	void (*cancel)(struct rpc_call *, void *);
	void *cancel_arg;
	/* on its connection's list until answered: leaves it in O(1) (a
	 * connection may hold many, answered in any order) */
	struct rpc_call *next, **pprev;
};

struct listener {
	struct rpc_server *srv;
	int fd;
	const struct rpc_transport *t;
	char *path;                 /* unix: removed when it closes */
	char addr[46];              /* tcp: the bound address */
	int port;
	char name[80];              /* for log lines */
	int stalled;                /* accept() fails; the listener pauses */
	int64_t pause_ms;
	struct loop_timer *pause;
	struct listener *next;
};

struct rpc_server {
	struct loop *loop;
	uint32_t prog, vers;
	const struct rpc_proc *procs;
	size_t nprocs;
	void *ctx;
	struct listener *listeners;
	struct conn *conns;
	int nconns;
	struct tstate ts[RPC_NTRANSPORTS];
	rpc_deny_fn deny;
	SSL_CTX *tls;               /* TCP connections speak TLS with it */
	/* lines a client causes at will: refused and dropped connections */
	struct ratelimit refusals;
	rpc_close_fn on_close;
};

static const struct rpc_transport *const transports[RPC_NTRANSPORTS] = {
	[RPC_UNIX] = &rpc_unix_transport,
	[RPC_TCP] = &rpc_tcp_transport,
	[RPC_TCP_OPEN] = &rpc_tcp_open_transport,
};

static void accept_resume(struct rpc_server *s);

void rpc_limits_default(int transport, struct rpc_limits *l)
{
	memset(l, 0, sizeof(*l));
	if (transport == RPC_TCP || transport == RPC_TCP_OPEN) {
		l->max_conns = 64;
		l->max_conns_per_peer = 16;
		l->max_unauth = 16;
		l->auth_timeout_ms = 10000;
	} else {
		l->max_conns = 512;
		l->max_conns_per_peer = 256;
		l->max_unauth = 512;
		l->auth_timeout_ms = 10000;
	}
	l->max_queued_conn = RPC_OUT_HIGH_WATER;
	l->max_queued_total = RPC_QUEUED_TOTAL;
}

void rpc_server_set_limits(struct rpc_server *s, int transport,
			   const struct rpc_limits *l)
{
	struct rpc_limits d, *to = &s->ts[transport].lim;

	rpc_limits_default(transport, &d);
	to->max_conns = l->max_conns > 0 ? l->max_conns : d.max_conns;
	to->max_conns_per_peer = l->max_conns_per_peer > 0 ?
				 l->max_conns_per_peer : d.max_conns_per_peer;
	to->max_unauth = l->max_unauth > 0 ? l->max_unauth : d.max_unauth;
	to->auth_timeout_ms = l->auth_timeout_ms > 0 ? l->auth_timeout_ms :
			      d.auth_timeout_ms;
	to->max_queued_conn = l->max_queued_conn ? l->max_queued_conn :
			      d.max_queued_conn;
	to->max_queued_total = l->max_queued_total ? l->max_queued_total :
			       d.max_queued_total;
}

const char *rpc_peer_text(const struct rpc_peer *p, char *buf, size_t len)
{
	if (p->addr[0])
		snprintf(buf, len, "%s port %d", p->addr, p->port);
	else if (p->pid)
		snprintf(buf, len, "uid %d pid %d", (int)p->uid, (int)p->pid);
	else
		snprintf(buf, len, "uid %d", (int)p->uid);
	return buf;
}

/* A line about a client that the client can cause at will. */
static void log_refusal(struct rpc_server *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void log_refusal(struct rpc_server *s, const char *fmt, ...)
{
	uint64_t held;
	char line[300];
	va_list ap;

	if (!ratelimit_ok(&s->refusals, now_ms(), &held))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (held)
		log_warn("rpc: %s (and %llu more such lines not logged)", line,
			 (unsigned long long)held);
	else
		log_warn("rpc: %s", line);
}

struct rpc_server *rpc_server_new(struct loop *l, uint32_t prog, uint32_t vers,
				  const struct rpc_proc *procs, size_t nprocs,
				  void *ctx)
{
	struct rpc_server *s = xcalloc(1, sizeof(*s));

	s->loop = l;
	s->prog = prog;
	s->vers = vers;
	s->procs = procs;
	s->nprocs = nprocs;
	s->ctx = ctx;
	for (int i = 0; i < RPC_NTRANSPORTS; i++)
		rpc_limits_default(i, &s->ts[i].lim);
	s->refusals = (struct ratelimit)RATELIMIT_INIT(20, 10000);
	return s;
}

static void call_free(struct rpc_call *c)
{
	if (c->args) {
		xdr_free(c->proc->xargs, c->args);
		free(c->args);
	}
	if (c->res) {
		xdr_free(c->proc->xres, c->res);
		free(c->res);
	}
	free(c);
}

/* A deferred call leaves its connection's list: it is answered or
 * refused. */
static void unlink_pending(struct conn *c, struct rpc_call *call)
{
	if (!call->pprev)
		return;
	*call->pprev = call->next;
	if (call->next)
		call->next->pprev = call->pprev;
	call->next = NULL;
	call->pprev = NULL;
	c->npending--;
}

static void queued_account(struct tstate *ts, struct rpc_server *s, size_t was,
			   size_t n);

/* Only from the loop (see the top of this file). */
static void conn_close(struct conn *c)
{
	struct rpc_server *s = c->srv;

	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	s->nconns--;
	c->ts->nconns--;
	if (c->t->needs_auth && !c->peer.authenticated)
		c->ts->nunauth--;
	/* a cancel callback that answers another call of ours is dropped */
	c->dead = 1;
	loop_timer_cancel(s->loop, c->soon);
	loop_timer_cancel(s->loop, c->auth_timer);
	while (c->pending) {
		struct rpc_call *call = c->pending;

		unlink_pending(c, call);
		if (call->cancel)
			call->cancel(call, call->cancel_arg);
		call_free(call);
	}
	if (s->on_close)
		s->on_close(s, c);
	if (c->data_free)
		c->data_free(c->data);
	explicit_bzero(c->key_out, sizeof(c->key_out));
	explicit_bzero(c->key_in, sizeof(c->key_in));
	loop_del_fd(s->loop, c->fd);
	netio_close(&c->io);
	rpc_in_free(&c->in);
	rpc_out_free(&c->out);
	queued_account(c->ts, s, c->acct, 0);
	free(c);
	accept_resume(s);
}

void rpc_server_free(struct rpc_server *s)
{
	if (!s)
		return;
	while (s->listeners) {
		struct listener *li = s->listeners;

		s->listeners = li->next;
		loop_del_fd(s->loop, li->fd);
		close(li->fd);
		if (li->path)
			unlink(li->path);
		loop_timer_cancel(s->loop, li->pause);
		free(li->path);
		free(li);
	}
	while (s->conns)
		conn_close(s->conns);
	tlsctx_free(s->tls);
	free(s);
}

static void conn_process(struct conn *c);
static void conn_update_events(struct conn *c);

static void on_soon(struct loop *l, void *arg)
{
	struct conn *c = arg;

	(void)l;
	c->soon = NULL;
	if (c->dead) {
		conn_close(c);
		return;
	}
	conn_update_events(c);
	conn_process(c);
}

/* Has the loop look at c again, after the callback running now: to close
 * it when it broke, or to dispatch records it held back while it was full. */
static void conn_soon(struct conn *c)
{
	if (!c->soon)
		c->soon = loop_timer_add(c->srv->loop, 0, on_soon, c);
}

static void conn_kill(struct conn *c)
{
	c->dead = 1;
	conn_soon(c);
}

/* The connection's replies now take n bytes of its transport's total.
 * When the total falls below its limit, the connections it held are
 * looked at again (from the loop). */
static void queued_account(struct tstate *ts, struct rpc_server *s, size_t was,
			   size_t n)
{
	int over = ts->queued >= ts->lim.max_queued_total;

	ts->queued = ts->queued - was + n;
	if (!over || ts->queued >= ts->lim.max_queued_total)
		return;
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->held && c->ts == ts)
			conn_soon(c);
}

/* Reads and dispatches while the connection's replies, and all of its
 * transport's, stay under their limits: a client that does not read its
 * replies stops being served, not only read, while others go on. */
static void conn_update_events(struct conn *c)
{
	struct tstate *ts = c->ts;
	size_t out = rpc_out_pending(&c->out);
	int was = c->reading;
	uint32_t ev = 0;

	if (c->dead)
		return;
	if (out != c->acct) {
		size_t old = c->acct;

		c->acct = out;
		queued_account(ts, c->srv, old, out);
	}
	if (c->closing && !out && !c->npending) {
		conn_kill(c);
		return;
	}
	c->held = out && ts->queued >= ts->lim.max_queued_total;
	c->reading = !c->closing && out < ts->lim.max_queued_conn &&
		     c->npending < RPC_MAX_DEFERRED && !c->held;
	if (c->tls_handshake)
		ev = c->io.want_write ? EPOLLOUT : EPOLLIN;
	else {
		if (c->reading || (out && c->wr_wants_read))
			ev |= EPOLLIN;
		if (out || (c->reading && c->rd_wants_write))
			ev |= EPOLLOUT;
	}
	if (ev != c->events) {
		loop_mod_fd(c->srv->loop, c->fd, ev);
		c->events = ev;
	}
	if (c->reading && !was && c->in.len)
		conn_soon(c);
}

/* Writes what the socket takes: rpc_out_flush's result. */
static int conn_flush(struct conn *c)
{
	int r = rpc_out_flush_io(&c->out, &c->io);

	c->wr_wants_read = r > 0 && c->io.want_read;
	return r;
}

/* Reads what the socket has: rpc_in_read's result. */
static ssize_t conn_read(struct conn *c)
{
	ssize_t r = rpc_in_read_io(&c->in, &c->io);

	c->rd_wants_write = r < 0 && errno == EAGAIN && c->io.want_write;
	return r;
}

/* Queues an encoded reply and writes what the socket takes. */
static void conn_send(struct conn *c, struct rpc_msg *reply)
{
	if (rpc_out_record(&c->out, (xdrproc_t)xdr_replymsg, reply) < 0) {
		log_err("rpc: cannot encode the reply to xid %u", reply->rm_xid);
		conn_kill(c);
		return;
	}
	if (conn_flush(c) < 0)
		conn_kill(c);
	else
		conn_update_events(c);
}

/* May this peer call a procedure of that policy? If not, why. */
static int peer_may(const struct rpc_peer *p, const struct rpc_transport *t,
		    enum rpc_policy pol, char *why, size_t len)
{
	switch (pol) {
	case RPC_ANY_PEER:
		return 1;
	case RPC_READ:
	case RPC_CONTROL:
		if (!p->authenticated) {
			snprintf(why, len, "not authenticated");
			return 0;
		}
		if (pol == RPC_CONTROL && p->readonly) {
			snprintf(why, len, "a read-only client may not change the VM");
			return 0;
		}
		return 1;
	case RPC_ROOT:
		if (p->uid == 0 && !strcmp(p->transport, "unix"))
			return 1;
		snprintf(why, len, "only root may call it");
		return 0;
	case RPC_AUTH:
		/* after it, a transport that needs it closes the connection;
		 * one without it (tcp-open) has no handshake to call */
		if (t->needs_auth && !p->authenticated)
			return 1;
		snprintf(why, len, "only in the handshake of a TCP connection");
		return 0;
	}
	snprintf(why, len, "unknown policy");
	return 0;
}

/* The ONC RPC refusal of a call, for servers without a deny hook. */
static void deny_rpc(struct rpc_call *call)
{
	struct conn *c = call->conn;
	struct rpc_msg reply;

	unlink_pending(c, call);
	memset(&reply, 0, sizeof(reply));
	reply.rm_xid = call->xid;
	reply.rm_direction = REPLY;
	reply.rm_reply.rp_stat = MSG_DENIED;
	reply.rjcted_rply.rj_stat = AUTH_ERROR;
	reply.rjcted_rply.rj_why = AUTH_TOOWEAK;
	call_free(call);
	if (!c->dead)
		conn_send(c, &reply);
}

static const struct rpc_proc *find_proc(struct rpc_server *s, uint32_t num)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].num == num)
			return &s->procs[i];
	return NULL;
}

/* Ends a connection without a reply: what an unauthenticated client sent
 * is not answered. */
static void conn_drop(struct conn *c, const char *why, const struct rpc_proc *p)
{
	char peer[80];

	log_refusal(c->srv, "%s %s: %s%s%s; closing the connection",
		    c->t->name, rpc_peer_text(&c->peer, peer, sizeof(peer)), why,
		    p ? ": " : "", p ? p->name : "");
	conn_kill(c);
}

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/* RFC 5531: a call of another RPC version is answered RPC_MISMATCH (2 to
 * 2). libtirpc's xdr_callmsg refuses such a call before anything of it is
 * returned, so its header (xid, direction, rpcvers) is read here. 1 if
 * the record was such a call. */
static int rpc_version_mismatch(struct conn *c, const uint8_t *rec, size_t len,
				int preauth)
{
	struct rpc_msg reply;

	if (len < 12 || be32_at(rec + 4) != CALL ||
	    be32_at(rec + 8) == RPC_MSG_VERSION)
		return 0;
	if (preauth) {
		conn_drop(c, "a call of another RPC version before authentication", NULL);
		return 1;
	}
	memset(&reply, 0, sizeof(reply));
	reply.rm_xid = be32_at(rec);
	reply.rm_direction = REPLY;
	reply.rm_reply.rp_stat = MSG_DENIED;
	reply.rjcted_rply.rj_stat = RPC_MISMATCH;
	reply.rjcted_rply.rj_vers.low = RPC_MSG_VERSION;
	reply.rjcted_rply.rj_vers.high = RPC_MSG_VERSION;
	conn_send(c, &reply);
	return 1;
}

/* An error answered the RPC way, or, before authentication, the end. */
static void conn_reject(struct conn *c, uint32_t xid, enum accept_stat stat,
			int preauth, const char *why, const struct rpc_proc *proc)
{
	struct rpc_msg reply;

	if (preauth) {
		conn_drop(c, why, proc);
		return;
	}
	rpc_reply_accepted(&reply, xid, stat, NULL, NULL);
	if (stat == PROG_MISMATCH) {
		reply.acpted_rply.ar_vers.low = c->srv->vers;
		reply.acpted_rply.ar_vers.high = c->srv->vers;
	}
	conn_send(c, &reply);
}

/* Decodes and dispatches one record. */
static void conn_dispatch(struct conn *c, const uint8_t *rec, size_t len)
{
	struct rpc_server *s = c->srv;
	char credbuf[MAX_AUTH_BYTES], verfbuf[MAX_AUTH_BYTES];
	int preauth = c->t->needs_auth && !c->peer.authenticated;
	const struct rpc_proc *proc;
	struct rpc_call *call;
	struct rpc_msg msg;
	char why[160], peer[80];
	XDR x;

	if (rpc_version_mismatch(c, rec, len, preauth))
		return;
	memset(&msg, 0, sizeof(msg));
	msg.rm_call.cb_cred.oa_base = credbuf;
	msg.rm_call.cb_verf.oa_base = verfbuf;
	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	if (!xdr_callmsg(&x, &msg) || msg.rm_direction != CALL) {
		xdr_destroy(&x);
		conn_drop(c, "a record that is not an RPC call", NULL);
		return;
	}
	if (msg.rm_call.cb_prog != s->prog) {
		xdr_destroy(&x);
		conn_reject(c, msg.rm_xid, PROG_UNAVAIL, preauth,
			    "a call of another program", NULL);
		return;
	}
	if (msg.rm_call.cb_vers != s->vers) {
		xdr_destroy(&x);
		conn_reject(c, msg.rm_xid, PROG_MISMATCH, preauth,
			    "a call of another program version", NULL);
		return;
	}
	proc = find_proc(s, msg.rm_call.cb_proc);
	if (!proc) {
		xdr_destroy(&x);
		conn_reject(c, msg.rm_xid, PROC_UNAVAIL, preauth,
			    "a call of an unknown procedure", NULL);
		return;
	}
	if (preauth && proc->policy != RPC_AUTH) {
		xdr_destroy(&x);
		conn_drop(c, "a call before authentication", proc);
		return;
	}
	if (!preauth && c->t->needs_auth && proc->policy == RPC_AUTH) {
		xdr_destroy(&x);
		conn_drop(c, "a handshake call after authentication", proc);
		return;
	}
	call = xcalloc(1, sizeof(*call));
	call->conn = c;
	call->proc = proc;
	call->xid = msg.rm_xid;
	call->args = xcalloc(1, proc->argsize);
	call->res = xcalloc(1, proc->ressize);
	if (!proc->xargs(&x, call->args)) {
		xdr_destroy(&x);
		call_free(call);
		if (!preauth)
			log_warn("rpc: %s: arguments from %s do not decode",
				 proc->name, rpc_peer_text(&c->peer, peer, sizeof(peer)));
		conn_reject(c, msg.rm_xid, GARBAGE_ARGS, preauth,
			    "arguments that do not decode", proc);
		return;
	}
	xdr_destroy(&x);
	call->next = c->pending;
	call->pprev = &c->pending;
	if (c->pending)
		c->pending->pprev = &call->next;
	c->pending = call;
	c->npending++;
	if (!peer_may(&c->peer, c->t, proc->policy, why, sizeof(why))) {
		log_warn("rpc: %s refused to %s: %s", proc->name,
			 rpc_peer_text(&c->peer, peer, sizeof(peer)), why);
		if (s->deny) {
			s->deny(call, call->res, why);
			rpc_call_reply(call);
		} else {
			deny_rpc(call);
		}
	} else if (proc->fn(call, call->args, call->res) == RPC_REPLY) {
		rpc_call_reply(call);
	} else {
		conn_update_events(c);
	}
}

/* Dispatches the records read so far while the connection takes work;
 * closes it if it broke. From the loop only. */
static void conn_process(struct conn *c)
{
	const uint8_t *rec;
	size_t len;
	int k = 0;

	while (!c->dead && c->reading && (k = rpc_in_next(&c->in, &rec, &len)) == 1)
		conn_dispatch(c, rec, len);
	if (k < 0) {
		char peer[80];

		if (k == -2)
			log_refusal(c->srv, "%s %s sent a sealed record that does "
				    "not open (forged, replayed or cut); closing the "
				    "connection", c->t->name,
				    rpc_peer_text(&c->peer, peer, sizeof(peer)));
		else
			log_refusal(c->srv, "%s %s sent a record over %u bytes; "
				    "closing the connection", c->t->name,
				    rpc_peer_text(&c->peer, peer, sizeof(peer)),
				    RPC_MAX_RECORD);
		c->dead = 1;
	}
	if (c->dead)
		conn_close(c);
}

/* One step of the TLS handshake that a TCP connection of a server with
 * TLS starts with (within the handshake's time, as one not yet
 * authenticated). 1: done, records may come; 0: not yet, or failed and
 * closed. */
static int conn_tls_step(struct conn *c)
{
	char peer[80];
	int r = netio_accept(&c->io);

	if (r < 0) {
		log_refusal(c->srv, "%s %s: TLS handshake failed: %s; closing the "
			    "connection", c->t->name,
			    rpc_peer_text(&c->peer, peer, sizeof(peer)), c->io.reason);
		conn_close(c);
		return 0;
	}
	if (r == 0) {
		conn_update_events(c);
		return 0;
	}
	c->tls_handshake = 0;
	if (netio_binding(&c->io, c->binding) == 0)
		c->has_binding = 1;
	else {
		/* without its binding the handshake could be relayed */
		log_refusal(c->srv, "%s %s: no TLS channel binding; closing the "
			    "connection", c->t->name,
			    rpc_peer_text(&c->peer, peer, sizeof(peer)));
		conn_close(c);
		return 0;
	}
	conn_update_events(c);
	return 1;
}

static void on_conn(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;

	(void)l;
	(void)fd;
	if (c->dead) {
		conn_close(c);
		return;
	}
	if (c->tls_handshake && !conn_tls_step(c))
		return;
	if ((events & EPOLLOUT) || (c->wr_wants_read && (events & EPOLLIN))) {
		if (conn_flush(c) < 0) {
			conn_close(c);
			return;
		}
		conn_update_events(c);
		if (c->dead) {
			conn_close(c);
			return;
		}
	}
	/* a connection that takes no work is read only to see its end; what
	 * it holds unread is bounded: one fragment (at most RPC_MAX_RECORD)
	 * and what one read adds, as whole records are taken as they come */
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR) ||
	     (c->rd_wants_write && (events & EPOLLOUT))) &&
	    (c->reading || (events & (EPOLLHUP | EPOLLERR)))) {
		ssize_t r = conn_read(c);

		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			conn_close(c);
			return;
		}
	}
	conn_process(c);
}

static void on_auth_timeout(struct loop *l, void *arg)
{
	struct conn *c = arg;
	char peer[80];

	(void)l;
	c->auth_timer = NULL;
	log_refusal(c->srv, "%s %s: not authenticated within %d ms; closing the "
		    "connection", c->t->name, rpc_peer_text(&c->peer, peer, sizeof(peer)),
		    c->ts->lim.auth_timeout_ms);
	conn_close(c);
}

static struct conn *conn_new(struct rpc_server *s, int fd,
			     const struct rpc_transport *t,
			     const struct rpc_peer *peer)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->srv = s;
	c->fd = fd;
	c->t = t;
	c->ts = &s->ts[t->id];
	c->peer = *peer;
	fd_nonblock(fd);
	fd_cloexec(fd);
	netio_init(&c->io, fd);
	if (t->id == RPC_TCP && s->tls) {
		struct err e;

		/* TLS from the first byte: nothing in clear */
		if (netio_tls_server(&c->io, s->tls, &e) < 0) {
			log_err("rpc: %s: %s", t->name, e.msg);
			close(fd);
			free(c);
			return NULL;
		}
		c->tls_handshake = 1;
	}
	if (loop_add_fd(s->loop, fd, EPOLLIN, on_conn, c) < 0) {
		netio_close(&c->io);
		free(c);
		return NULL;
	}
	c->events = EPOLLIN;
	c->reading = 1;
	c->next = s->conns;
	c->pprev = &s->conns;
	if (s->conns)
		s->conns->pprev = &c->next;
	s->conns = c;
	s->nconns++;
	c->ts->nconns++;
	if (t->needs_auth && !c->peer.authenticated) {
		c->ts->nunauth++;
		c->auth_timer = loop_timer_add(s->loop, c->ts->lim.auth_timeout_ms,
					       on_auth_timeout, c);
	}
	return c;
}

static void identify(int fd, const struct rpc_transport *t, struct rpc_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->transport = t->name;
	p->uid = (uid_t)-1;
	t->identify(fd, p);
}

int rpc_server_adopt_as(struct rpc_server *s, int fd, int transport)
{
	const struct rpc_transport *t = transports[transport];
	struct rpc_peer p;

	identify(fd, t, &p);
	return conn_new(s, fd, t, &p) ? 0 : -1;
}

int rpc_server_adopt(struct rpc_server *s, int fd)
{
	return rpc_server_adopt_as(s, fd, RPC_UNIX);
}

/* Why a new connection is over a limit of its transport, or NULL. */
static const char *over_limit(struct rpc_server *s, const struct rpc_transport *t,
			      const struct rpc_peer *p, char *why, size_t len)
{
	struct tstate *ts = &s->ts[t->id];
	int same = 0;

	if (ts->nconns >= ts->lim.max_conns) {
		snprintf(why, len, "%d connections already (max_clients)",
			 ts->nconns);
		return why;
	}
	if (t->needs_auth && ts->nunauth >= ts->lim.max_unauth) {
		snprintf(why, len, "%d connections not yet authenticated already "
			 "(max_unauthenticated)", ts->nunauth);
		return why;
	}
	for (const struct conn *c = s->conns; c; c = c->next)
		same += c->t == t && t->same_peer(&c->peer, p);
	if (same >= ts->lim.max_conns_per_peer) {
		snprintf(why, len, "%d connections from this peer already "
			 "(max_clients_per_peer)", same);
		return why;
	}
	return NULL;
}

/* Closes the connections of the transport (of peer p, if not NULL) whose
 * client has hung up but whose end the loop has not yet seen: a client
 * that closes each connection before it opens the next is not refused
 * because the events of its closes come after that of its new connection.
 * From the loop (a listener's event); only on the way to a refusal. */
static void reap_hung_up(struct rpc_server *s, const struct rpc_transport *t,
			 const struct rpc_peer *p)
{
	struct pollfd *pf = xcalloc((size_t)s->nconns + 1, sizeof(*pf));
	struct conn **cs = xcalloc((size_t)s->nconns + 1, sizeof(*cs));
	nfds_t n = 0;

	for (struct conn *c = s->conns; c; c = c->next) {
		if (c->t != t || (p && !t->same_peer(&c->peer, p)))
			continue;
		pf[n].fd = c->fd;
		cs[n++] = c;
	}
	/* POLLHUP, not POLLRDHUP: a client that only shut its writing side
	 * still waits for its answers */
	if (poll(pf, n, 0) > 0)
		for (nfds_t i = 0; i < n; i++)
			if (pf[i].revents & (POLLHUP | POLLERR))
				conn_close(cs[i]);
	free(pf);
	free(cs);
}

/* A connection over a limit is accepted and closed at once: left in the
 * backlog, it would hold the listener's queue for those within. */
static void accept_one(struct listener *li, int fd)
{
	struct rpc_server *s = li->srv;
	struct rpc_peer p;
	char why[120], peer[80];

	identify(fd, li->t, &p);
	if (over_limit(s, li->t, &p, why, sizeof(why)))
		reap_hung_up(s, li->t, s->ts[li->t->id].nconns >=
			     s->ts[li->t->id].lim.max_conns ? NULL : &p);
	if (over_limit(s, li->t, &p, why, sizeof(why))) {
		log_refusal(s, "%s: %s refused: %s", li->name,
			    rpc_peer_text(&p, peer, sizeof(peer)), why);
		close(fd);
		return;
	}
	conn_new(s, fd, li->t, &p);
}

static void accept_clients(struct listener *li);

static void on_pause_end(struct loop *l, void *arg)
{
	struct listener *li = arg;

	(void)l;
	li->pause = NULL;
	loop_mod_fd(li->srv->loop, li->fd, EPOLLIN);
	accept_clients(li);
}

/* accept() failed for want of file descriptors or memory: the socket stays
 * readable, so the listener leaves the loop for a pause that grows while
 * the shortage lasts, and comes back early when one of our connections
 * closes. Clients wait in the backlog meanwhile. The shortage ends when
 * the backlog is empty; it is logged once. */
static void accept_stall(struct listener *li, int errnum)
{
	struct rpc_server *s = li->srv;

	if (!li->stalled) {
		struct rlimit rl;
		char lim[32] = "?";

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
			snprintf(lim, sizeof(lim), "%llu", (unsigned long long)rl.rlim_cur);
		log_warn("rpc: %s: cannot accept clients: %s (open file limit %s, "
			 "%d clients connected); new clients wait until "
			 "descriptors are free", li->name, strerror(errnum), lim,
			 rpc_server_nconns(s));
		li->stalled = 1;
		li->pause_ms = ACCEPT_PAUSE_MIN_MS;
	} else if (li->pause_ms < ACCEPT_PAUSE_MAX_MS) {
		li->pause_ms *= 2;
		if (li->pause_ms > ACCEPT_PAUSE_MAX_MS)
			li->pause_ms = ACCEPT_PAUSE_MAX_MS;
	}
	loop_mod_fd(s->loop, li->fd, 0);
	loop_timer_cancel(s->loop, li->pause);
	li->pause = loop_timer_add(s->loop, li->pause_ms, on_pause_end, li);
}

/* A descriptor was freed: end the pauses, from the loop. */
static void accept_resume(struct rpc_server *s)
{
	for (struct listener *li = s->listeners; li; li = li->next) {
		if (!li->pause)
			continue;
		loop_timer_cancel(s->loop, li->pause);
		li->pause = loop_timer_add(s->loop, 0, on_pause_end, li);
	}
}

static void accept_clients(struct listener *li)
{
	for (;;) {
		int cfd = accept4(li->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd >= 0) {
			accept_one(li, cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN) {
			accept_stall(li, errno);
			return;
		}
		if (li->stalled)
			log_debug("rpc: %s: accepting clients again", li->name);
		li->stalled = 0;
		return;
	}
}

static void on_listen(struct loop *l, int fd, uint32_t events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	accept_clients(arg);
}

/* Serves the listening socket fd (taken; closed on failure). */
static struct listener *listener_add(struct rpc_server *s, int fd,
				     const struct rpc_transport *t, struct err *e)
{
	struct listener *li = xcalloc(1, sizeof(*li)), **pp;

	li->srv = s;
	li->fd = fd;
	li->t = t;
	if (loop_add_fd(s->loop, fd, EPOLLIN, on_listen, li) < 0) {
		err_sys(e, "epoll");
		close(fd);
		free(li);
		return NULL;
	}
	/* in the order they were added: the first TCP one is announced */
	for (pp = &s->listeners; *pp; pp = &(*pp)->next)
		;
	*pp = li;
	return li;
}

int rpc_server_listen_unix(struct rpc_server *s, const char *path, mode_t mode,
			   gid_t gid, struct err *e)
{
	int fd = rpc_unix_listen(path, mode, gid, e);
	struct listener *li;

	if (fd < 0)
		return -1;
	li = listener_add(s, fd, &rpc_unix_transport, e);
	if (!li) {
		err_prefix(e, "%s", path);
		unlink(path);
		return -1;
	}
	li->path = xstrdup(path);
	snprintf(li->name, sizeof(li->name), "%s", path);
	return 0;
}

static int listen_tcp(struct rpc_server *s, const char *bind, int port,
		      const struct rpc_transport *t, struct err *e)
{
	char addr[46];
	int bound;
	int fd = rpc_tcp_listen(bind, port, addr, sizeof(addr), &bound, e);
	struct listener *li;

	if (fd < 0)
		return -1;
	li = listener_add(s, fd, t, e);
	if (!li) {
		err_prefix(e, "%s %s port %d", t->name, addr, bound);
		return -1;
	}
	snprintf(li->addr, sizeof(li->addr), "%s", addr);
	li->port = bound;
	snprintf(li->name, sizeof(li->name), "%s %s port %d", t->name, addr,
		 bound);
	return 0;
}

int rpc_server_listen_tcp(struct rpc_server *s, const char *bind, int port,
			  struct err *e)
{
	return listen_tcp(s, bind, port, &rpc_tcp_transport, e);
}

int rpc_server_listen_tcp_open(struct rpc_server *s, const char *bind,
			       int port, struct err *e)
{
	return listen_tcp(s, bind, port, &rpc_tcp_open_transport, e);
}

static const struct listener *first_tcp(const struct rpc_server *s)
{
	for (const struct listener *li = s->listeners; li; li = li->next)
		if (li->t != &rpc_unix_transport)
			return li;
	return NULL;
}

int rpc_server_tcp_port(const struct rpc_server *s)
{
	const struct listener *li = first_tcp(s);

	return li ? li->port : 0;
}

const char *rpc_server_tcp_addr(const struct rpc_server *s)
{
	const struct listener *li = first_tcp(s);

	return li ? li->addr : "";
}

int rpc_server_nconns(const struct rpc_server *s)
{
	return s->nconns;
}

size_t rpc_server_queued(const struct rpc_server *s)
{
	size_t n = 0;

	for (int i = 0; i < RPC_NTRANSPORTS; i++)
		n += s->ts[i].queued;
	return n;
}

void *rpc_server_ctx(const struct rpc_server *s)
{
	return s->ctx;
}

void *rpc_call_ctx(const struct rpc_call *c)
{
	return c->conn->srv->ctx;
}

void *rpc_call_res(const struct rpc_call *c)
{
	return c->res;
}

const char *rpc_call_name(const struct rpc_call *c)
{
	return c->proc->name;
}

const struct rpc_peer *rpc_call_peer(const struct rpc_call *c)
{
	return &c->conn->peer;
}

long rpc_call_data(const struct rpc_call *c)
{
	return c->proc->data;
}

void rpc_server_on_deny(struct rpc_server *s, rpc_deny_fn fn)
{
	s->deny = fn;
}

const void *rpc_call_conn(const struct rpc_call *c)
{
	return c->conn;
}

enum rpc_outcome rpc_proc_null(struct rpc_call *call, void *args, void *res)
{
	(void)call;
	(void)args;
	(void)res;
	return RPC_REPLY;
}

void rpc_server_on_close(struct rpc_server *s, rpc_close_fn fn)
{
	s->on_close = fn;
}

void rpc_call_reply(struct rpc_call *call)
{
	struct conn *c = call->conn;
	struct rpc_msg reply;

	unlink_pending(c, call);
	if (c->dead) {
		/* its client is gone: the answer goes nowhere */
		call_free(call);
		return;
	}
	rpc_reply_accepted(&reply, call->xid, SUCCESS, call->proc->xres, call->res);
	if (rpc_out_record(&c->out, (xdrproc_t)xdr_replymsg, &reply) < 0) {
		/* a result that cannot be encoded is a bug in a handler; the
		 * client still gets an answer */
		log_err("rpc: %s: cannot encode the result", call->proc->name);
		rpc_reply_accepted(&reply, call->xid, SYSTEM_ERR, NULL, NULL);
		rpc_out_record(&c->out, (xdrproc_t)xdr_replymsg, &reply);
	}
	if (c->secure_pending) {
		/* the reply that ends the handshake went out in clear; every
		 * record after it, both ways, is sealed */
		rpc_out_seal(&c->out, c->key_out);
		rpc_in_seal(&c->in, c->key_in);
		explicit_bzero(c->key_out, sizeof(c->key_out));
		explicit_bzero(c->key_in, sizeof(c->key_in));
		c->secure_pending = 0;
	}
	call_free(call);
	if (conn_flush(c) < 0)
		conn_kill(c);
	else
		conn_update_events(c);
}

void rpc_call_set_authenticated(struct rpc_call *call, int readonly,
				const char *who)
{
	struct conn *c = call->conn;

	if (c->peer.authenticated)
		return;
	c->peer.authenticated = 1;
	c->peer.readonly = readonly;
	snprintf(c->peer.who, sizeof(c->peer.who), "%s", who ? who : "");
	if (c->t->needs_auth)
		c->ts->nunauth--;
	loop_timer_cancel(c->srv->loop, c->auth_timer);
	c->auth_timer = NULL;
}

void rpc_call_end_conn(struct rpc_call *call)
{
	call->conn->closing = 1;
}

void rpc_call_secure(struct rpc_call *call, const uint8_t out_key[AUTH_KEY_LEN],
		     const uint8_t in_key[AUTH_KEY_LEN], const char *who)
{
	struct conn *c = call->conn;

	rpc_call_set_authenticated(call, 0, who);
	memcpy(c->key_out, out_key, AUTH_KEY_LEN);
	memcpy(c->key_in, in_key, AUTH_KEY_LEN);
	c->secure_pending = 1;
}

void *rpc_call_conn_data(const struct rpc_call *call)
{
	return call->conn->data;
}

void rpc_call_set_conn_data(struct rpc_call *call, void *data,
			    void (*data_free)(void *))
{
	struct conn *c = call->conn;

	if (c->data_free)
		c->data_free(c->data);
	c->data = data;
	c->data_free = data_free;
}

const uint8_t *rpc_call_tls_binding(const struct rpc_call *call)
{
	return call->conn->has_binding ? call->conn->binding : NULL;
}

void rpc_server_set_tls(struct rpc_server *s, struct ssl_ctx_st *ctx)
{
	tlsctx_ref(ctx);
	tlsctx_free(s->tls);
	s->tls = ctx;
}

int rpc_server_has_tls(const struct rpc_server *s)
{
	return s->tls != NULL;
}

void rpc_call_on_cancel(struct rpc_call *c, void (*fn)(struct rpc_call *, void *),
			void *arg)
{
	c->cancel = fn;
	c->cancel_arg = arg;
}
