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
#include "serve/rpc_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "serve/loop.h"
#include "serve/rpc_unix.h"
#include "common/rpc_wire.h"

/* Pauses of the listener while accept() fails (out of fds): the first,
 * doubled each time up to the last. */
#define ACCEPT_PAUSE_MIN_MS 50
#define ACCEPT_PAUSE_MAX_MS 1000

struct conn {
	struct rpc_server *srv;
	int fd;
	struct rpc_peer peer;
	struct rpc_in in;
	struct rpc_out out;
	struct rpc_call *pending;   /* deferred calls, the newest first */
	int npending;
	int reading;                /* records are read and dispatched */
	int dead;                   /* broken: the loop closes it */
	struct loop_timer *soon;    /* see conn_soon() */
	struct conn *next;
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

struct rpc_server {
	struct loop *loop;
	uint32_t prog, vers;
	const struct rpc_proc *procs;
	size_t nprocs;
	void *ctx;
	int lfd;
	char *path;
	struct conn *conns;
	const struct rpc_transport *transport;  /* of the listener */
	rpc_deny_fn deny;
	int stalled;                /* accept() fails; the listener pauses */
	int64_t pause_ms;
	struct loop_timer *pause;
};

static void accept_resume(struct rpc_server *s);

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
	s->lfd = -1;
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

/* Only from the loop (see the top of this file). */
static void conn_close(struct conn *c)
{
	struct rpc_server *s = c->srv;

	for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	/* a cancel callback that answers another call of ours is dropped */
	c->dead = 1;
	loop_timer_cancel(s->loop, c->soon);
	while (c->pending) {
		struct rpc_call *call = c->pending;

		unlink_pending(c, call);
		if (call->cancel)
			call->cancel(call, call->cancel_arg);
		call_free(call);
	}
	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	rpc_in_free(&c->in);
	rpc_out_free(&c->out);
	free(c);
	accept_resume(s);
}

void rpc_server_free(struct rpc_server *s)
{
	if (!s)
		return;
	if (s->lfd >= 0) {
		loop_del_fd(s->loop, s->lfd);
		close(s->lfd);
		s->lfd = -1;
		if (s->path)
			unlink(s->path);
	}
	loop_timer_cancel(s->loop, s->pause);
	while (s->conns)
		conn_close(s->conns);
	free(s->path);
	free(s);
}

static void conn_process(struct conn *c);

static void on_soon(struct loop *l, void *arg)
{
	struct conn *c = arg;

	(void)l;
	c->soon = NULL;
	if (c->dead)
		conn_close(c);
	else
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

static void conn_update_events(struct conn *c)
{
	int was = c->reading;
	uint32_t ev = 0;

	if (c->dead)
		return;
	c->reading = rpc_out_pending(&c->out) < RPC_OUT_HIGH_WATER &&
		     c->npending < RPC_MAX_DEFERRED;
	if (c->reading)
		ev |= EPOLLIN;
	if (rpc_out_pending(&c->out))
		ev |= EPOLLOUT;
	loop_mod_fd(c->srv->loop, c->fd, ev);
	if (c->reading && !was && c->in.len)
		conn_soon(c);
}

/* Queues an encoded reply and writes what the socket takes. */
static void conn_send(struct conn *c, struct rpc_msg *reply)
{
	if (rpc_out_record(&c->out, (xdrproc_t)xdr_replymsg, reply) < 0) {
		log_err("rpc: cannot encode the reply to xid %u", reply->rm_xid);
		conn_kill(c);
		return;
	}
	if (rpc_out_flush(&c->out, c->fd) < 0)
		conn_kill(c);
	else
		conn_update_events(c);
}

/* May this peer call a procedure of that policy? If not, why. */
static int peer_may(const struct rpc_peer *p, enum rpc_policy pol, char *why,
		    size_t len)
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

/* Decodes and dispatches one record. */
static void conn_dispatch(struct conn *c, const uint8_t *rec, size_t len)
{
	struct rpc_server *s = c->srv;
	char credbuf[MAX_AUTH_BYTES], verfbuf[MAX_AUTH_BYTES];
	const struct rpc_proc *proc;
	struct rpc_call *call;
	struct rpc_msg msg, reply;
	char why[160];
	XDR x;

	memset(&msg, 0, sizeof(msg));
	msg.rm_call.cb_cred.oa_base = credbuf;
	msg.rm_call.cb_verf.oa_base = verfbuf;
	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	if (!xdr_callmsg(&x, &msg) || msg.rm_direction != CALL) {
		log_warn("rpc: client (uid %d) sent a record that is not an RPC "
			 "call; closing the connection", (int)c->peer.uid);
		xdr_destroy(&x);
		conn_kill(c);
		return;
	}
	if (msg.rm_call.cb_rpcvers != RPC_MSG_VERSION) {
		memset(&reply, 0, sizeof(reply));
		reply.rm_xid = msg.rm_xid;
		reply.rm_direction = REPLY;
		reply.rm_reply.rp_stat = MSG_DENIED;
		reply.rjcted_rply.rj_stat = RPC_MISMATCH;
		reply.rjcted_rply.rj_vers.low = RPC_MSG_VERSION;
		reply.rjcted_rply.rj_vers.high = RPC_MSG_VERSION;
		xdr_destroy(&x);
		conn_send(c, &reply);
		return;
	}
	if (msg.rm_call.cb_prog != s->prog) {
		rpc_reply_accepted(&reply, msg.rm_xid, PROG_UNAVAIL, NULL, NULL);
		xdr_destroy(&x);
		conn_send(c, &reply);
		return;
	}
	if (msg.rm_call.cb_vers != s->vers) {
		rpc_reply_accepted(&reply, msg.rm_xid, PROG_MISMATCH, NULL, NULL);
		reply.acpted_rply.ar_vers.low = s->vers;
		reply.acpted_rply.ar_vers.high = s->vers;
		xdr_destroy(&x);
		conn_send(c, &reply);
		return;
	}
	proc = find_proc(s, msg.rm_call.cb_proc);
	if (!proc) {
		rpc_reply_accepted(&reply, msg.rm_xid, PROC_UNAVAIL, NULL, NULL);
		xdr_destroy(&x);
		conn_send(c, &reply);
		return;
	}
	call = xcalloc(1, sizeof(*call));
	call->conn = c;
	call->proc = proc;
	call->xid = msg.rm_xid;
	call->args = xcalloc(1, proc->argsize);
	call->res = xcalloc(1, proc->ressize);
	if (!proc->xargs(&x, call->args)) {
		log_warn("rpc: %s: arguments from uid %d do not decode",
			 proc->name, (int)c->peer.uid);
		xdr_destroy(&x);
		call_free(call);
		rpc_reply_accepted(&reply, msg.rm_xid, GARBAGE_ARGS, NULL, NULL);
		conn_send(c, &reply);
		return;
	}
	xdr_destroy(&x);
	call->next = c->pending;
	call->pprev = &c->pending;
	if (c->pending)
		c->pending->pprev = &call->next;
	c->pending = call;
	c->npending++;
	if (!peer_may(&c->peer, proc->policy, why, sizeof(why))) {
		log_warn("rpc: %s refused to uid %d: %s", proc->name,
			 (int)c->peer.uid, why);
		if (s->deny) {
			s->deny(call, call->res, why);
			rpc_call_reply(call);
		} else {
			deny_rpc(call);
		}
	} else if (proc->fn(call, call->args, call->res) == RPC_REPLY) {
		rpc_call_reply(call);
	}
	else
		conn_update_events(c);
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
		log_warn("rpc: client (uid %d) sent a record over %u bytes; "
			 "closing the connection", (int)c->peer.uid, RPC_MAX_RECORD);
		c->dead = 1;
	}
	if (c->dead)
		conn_close(c);
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
	if (events & EPOLLOUT) {
		if (rpc_out_flush(&c->out, c->fd) < 0) {
			conn_close(c);
			return;
		}
		conn_update_events(c);
	}
	/* a connection that takes no work is read only to see its end */
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    (c->reading || (events & (EPOLLHUP | EPOLLERR)))) {
		ssize_t r = rpc_in_read(&c->in, c->fd);

		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			conn_close(c);
			return;
		}
	}
	conn_process(c);
}

static int adopt(struct rpc_server *s, int fd, const struct rpc_transport *t)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->srv = s;
	c->fd = fd;
	c->peer.transport = t->name;
	c->peer.uid = (uid_t)-1;
	t->identify(fd, &c->peer);
	fd_nonblock(fd);
	fd_cloexec(fd);
	if (loop_add_fd(s->loop, fd, EPOLLIN, on_conn, c) < 0) {
		close(fd);
		free(c);
		return -1;
	}
	c->reading = 1;
	c->next = s->conns;
	s->conns = c;
	return 0;
}

int rpc_server_adopt(struct rpc_server *s, int fd)
{
	return adopt(s, fd, &rpc_unix_transport);
}

static void accept_clients(struct rpc_server *s);

static void on_pause_end(struct loop *l, void *arg)
{
	struct rpc_server *s = arg;

	(void)l;
	s->pause = NULL;
	loop_mod_fd(s->loop, s->lfd, EPOLLIN);
	accept_clients(s);
}

/* accept() failed for want of file descriptors or memory: the socket stays
 * readable, so the listener leaves the loop for a pause that grows while
 * the shortage lasts, and comes back early when one of our connections
 * closes. Clients wait in the backlog meanwhile. The shortage ends when
 * the backlog is empty; it is logged once. */
static void accept_stall(struct rpc_server *s, int errnum)
{
	if (!s->stalled) {
		struct rlimit rl;
		char lim[32] = "?";

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
			snprintf(lim, sizeof(lim), "%llu", (unsigned long long)rl.rlim_cur);
		log_warn("rpc: %s: cannot accept clients: %s (open file limit %s, "
			 "%d clients connected); new clients wait until "
			 "descriptors are free", s->path, strerror(errnum), lim,
			 rpc_server_nconns(s));
		s->stalled = 1;
		s->pause_ms = ACCEPT_PAUSE_MIN_MS;
	} else if (s->pause_ms < ACCEPT_PAUSE_MAX_MS) {
		s->pause_ms *= 2;
		if (s->pause_ms > ACCEPT_PAUSE_MAX_MS)
			s->pause_ms = ACCEPT_PAUSE_MAX_MS;
	}
	loop_mod_fd(s->loop, s->lfd, 0);
	loop_timer_cancel(s->loop, s->pause);
	s->pause = loop_timer_add(s->loop, s->pause_ms, on_pause_end, s);
}

/* A descriptor was freed: end the pause, from the loop. */
static void accept_resume(struct rpc_server *s)
{
	if (!s->pause || s->lfd < 0)
		return;
	loop_timer_cancel(s->loop, s->pause);
	s->pause = loop_timer_add(s->loop, 0, on_pause_end, s);
}

static void accept_clients(struct rpc_server *s)
{
	for (;;) {
		int cfd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd >= 0) {
			adopt(s, cfd, s->transport);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN) {
			accept_stall(s, errno);
			return;
		}
		if (s->stalled)
			log_debug("rpc: %s: accepting clients again", s->path);
		s->stalled = 0;
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

int rpc_server_listen_unix(struct rpc_server *s, const char *path, mode_t mode,
			   gid_t gid, struct err *e)
{
	int fd = rpc_unix_listen(path, mode, gid, e);

	if (fd < 0)
		return -1;
	if (loop_add_fd(s->loop, fd, EPOLLIN, on_listen, s) < 0) {
		err_sys(e, "%s", path);
		unlink(path);
		close(fd);
		return -1;
	}
	s->lfd = fd;
	s->path = xstrdup(path);
	s->transport = &rpc_unix_transport;
	return 0;
}

int rpc_server_nconns(const struct rpc_server *s)
{
	int n = 0;

	for (const struct conn *c = s->conns; c; c = c->next)
		n++;
	return n;
}

size_t rpc_server_queued(const struct rpc_server *s)
{
	size_t n = 0;

	for (const struct conn *c = s->conns; c; c = c->next)
		n += rpc_out_pending(&c->out);
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
	call_free(call);
	if (rpc_out_flush(&c->out, c->fd) < 0)
		conn_kill(c);
	else
		conn_update_events(c);
}

void rpc_call_on_cancel(struct rpc_call *c, void (*fn)(struct rpc_call *, void *),
			void *arg)
{
	c->cancel = fn;
	c->cancel_arg = arg;
}
