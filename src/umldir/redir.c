/* redir.c -- the redirector (see redir.h).
 *
 * A connection goes through these states:
 *   FIRST    its first record is read, exactly (header, then body): bytes
 *            the client sent after it stay in the socket and are the first
 *            to be passed on;
 *   CONNECT  the monitor's TCP port is being connected to;
 *   SPLICE   the answer is sent and the bytes go both ways, each way
 *            through a pipe with splice(2): socket -> pipe -> socket, no
 *            copy in user space. An end of file is passed on as a
 *            shutdown(SHUT_WR); the connection ends once both ways did;
 *   LINGER   refused: the answer is sent, our side shut, and what the
 *            client still sends is read and dropped until it closes, so
 *            that the answer is not lost to a reset.
 * A deadline runs from accept until SPLICE; FIRST, CONNECT and LINGER
 * count as not yet authenticated (max_unauth). */
#include "umldir/redir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "umldir.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "common/rpc_wire.h"
#include "serve/loop.h"
#include "serve/rpc_tcp.h"
#include "umldir/dirrpc.h"
#include "umldir/registry.h"
#include "umldir/tcp.h"

/* A listener that cannot accept (out of fds) pauses this long. */
#define ACCEPT_PAUSE_MS 100
/* What LINGER reads and drops at most. */
#define LINGER_MAX (64u << 10)

enum rstate { R_FIRST, R_CONNECT, R_SPLICE, R_LINGER };

/* One way: from -> pipe -> to. */
struct pump {
	int pipe[2];
	size_t inpipe;     /* bytes in the pipe */
	size_t cap;        /* the pipe's size */
	int full;          /* the pipe takes no more (its slots are used) */
	int eof;           /* from ended */
	int shut;          /* to was shut for writing */
	uint64_t total;
};

struct rconn {
	struct redir *r;
	enum rstate st;
	int cfd, mfd;            /* the client, the monitor */
	uint32_t cev, mev;       /* events the loop has for them (0: none) */
	char peer[INET6_ADDRSTRLEN];
	char vm[UD_NAME_MAX + 1];
	uint8_t first[4 + REDIR_FIRST_MAX];
	size_t have, need;
	uint32_t xid;
	size_t lingered;
	struct loop_timer *deadline;
	struct pump up, down;    /* client to monitor, monitor to client */
	struct rconn *next;
};

struct redir {
	struct loop *loop;
	struct registry *reg;
	int lfd;
	struct rpc_limits lim;
	struct rconn *conns;
	int nconns, nunauth;
	struct loop_timer *pause;
	struct ratelimit say;    /* log lines clients cause */
};

static void conn_event(struct loop *l, int fd, uint32_t events, void *arg);

/* A line a client can cause at will: rate-limited. */
static void say(struct redir *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct redir *r, const char *fmt, ...)
{
	uint64_t held;
	char buf[512];
	va_list ap;

	if (!ratelimit_ok(&r->say, now_ms(), &held))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (held)
		log_warn("redirector: %s (and %llu more lines not logged)", buf,
			 (unsigned long long)held);
	else
		log_warn("redirector: %s", buf);
}

static int unauth(const struct rconn *c)
{
	return c->st != R_SPLICE;
}

static void pump_close(struct pump *p)
{
	for (int i = 0; i < 2; i++)
		if (p->pipe[i] >= 0)
			close(p->pipe[i]);
	p->pipe[0] = p->pipe[1] = -1;
}

static void conn_end(struct rconn *c)
{
	struct redir *r = c->r;

	for (struct rconn **pp = &r->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	r->nconns--;
	if (unauth(c))
		r->nunauth--;
	if (c->st == R_SPLICE)
		log_debug("redirector: %s: %s: ended (%llu bytes to the monitor, "
			  "%llu back)", c->peer, c->vm,
			  (unsigned long long)c->up.total,
			  (unsigned long long)c->down.total);
	loop_timer_cancel(r->loop, c->deadline);
	if (c->cev)
		loop_del_fd(r->loop, c->cfd);
	if (c->mev)
		loop_del_fd(r->loop, c->mfd);
	close(c->cfd);
	if (c->mfd >= 0)
		close(c->mfd);
	pump_close(&c->up);
	pump_close(&c->down);
	free(c);
}

/* Gives the loop the events wanted for fd (none: it leaves the loop, so
 * that a hang-up it cannot act on yet does not wake it without end). */
static int want(struct rconn *c, int fd, uint32_t *cur, uint32_t ev)
{
	struct loop *l = c->r->loop;

	if (ev == *cur)
		return 0;
	if (!ev)
		loop_del_fd(l, fd);
	else if (!*cur && loop_add_fd(l, fd, ev, conn_event, c) < 0)
		return -1;
	else if (*cur)
		loop_mod_fd(l, fd, ev);
	*cur = ev;
	return 0;
}

/* Sends one encoded reply, whole: it is small and the socket new, so
 * less than all of it means the client is not taking it. */
static int send_reply(struct rconn *c, struct rpc_msg *m)
{
	struct rpc_out out = {0};
	int rc = -1;

	if (rpc_out_record(&out, (xdrproc_t)xdr_replymsg, m) == 0)
		rc = rpc_out_flush(&out, c->cfd) == 0 ? 0 : -1;
	rpc_out_free(&out);
	return rc;
}

/* Answers UD_REDIRECT with res. */
static int send_port_res(struct rconn *c, ud_port_res *res)
{
	struct rpc_msg m;

	rpc_reply_accepted(&m, c->xid, SUCCESS, (xdrproc_t)xdr_ud_port_res, res);
	return send_reply(c, &m);
}

/* Refused with an answer: LINGER until the client closes. */
static void refuse(struct rconn *c, ud_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct rconn *c, ud_status st, const char *fmt, ...)
{
	ud_port_res res;
	va_list ap;
	char msg[UD_MSG_MAX];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say(c->r, "%s: %s", c->peer, msg);
	memset(&res, 0, sizeof(res));
	res.res.status = st;
	res.res.message = msg;
	if (c->mfd >= 0) {
		if (c->mev)
			loop_del_fd(c->r->loop, c->mfd);
		c->mev = 0;
		close(c->mfd);
		c->mfd = -1;
	}
	if (send_port_res(c, &res) < 0 || shutdown(c->cfd, SHUT_WR) < 0 ||
	    want(c, c->cfd, &c->cev, EPOLLIN) < 0) {
		conn_end(c);
		return;
	}
	c->st = R_LINGER;
}

/* ---- SPLICE ---------------------------------------------------------- */

/* Moves what it can from -> pipe -> to. -1 if a socket failed. */
static int pump_run(struct pump *p, int from, int to)
{
	for (;;) {
		int moved = 0;
		ssize_t n;

		if (!p->eof && !p->full && p->inpipe < p->cap) {
			n = splice(from, NULL, p->pipe[1], NULL, p->cap - p->inpipe,
				   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
			if (n > 0) {
				p->inpipe += (size_t)n;
				moved = 1;
			} else if (n == 0) {
				p->eof = 1;
			} else if (errno == EAGAIN) {
				int avail = 0;

				/* data there but no room: the pipe's slots are
				 * taken by small packets */
				if (p->inpipe && ioctl(from, FIONREAD, &avail) == 0 &&
				    avail > 0)
					p->full = 1;
			} else if (errno != EINTR) {
				return -1;
			}
		}
		if (p->inpipe) {
			n = splice(p->pipe[0], NULL, to, NULL, p->inpipe,
				   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
			if (n > 0) {
				p->inpipe -= (size_t)n;
				p->total += (uint64_t)n;
				p->full = 0;
				moved = 1;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (p->eof && !p->inpipe && !p->shut) {
			/* the half-close passed on */
			if (shutdown(to, SHUT_WR) < 0 && errno != ENOTCONN)
				return -1;
			p->shut = 1;
		}
		if (!moved)
			return 0;
	}
}

static uint32_t reads(const struct pump *p)
{
	return !p->eof && !p->full && p->inpipe < p->cap ? EPOLLIN : 0;
}

static uint32_t writes(const struct pump *p)
{
	return p->inpipe ? EPOLLOUT : 0;
}

static void splice_run(struct rconn *c)
{
	if (pump_run(&c->up, c->cfd, c->mfd) < 0 ||
	    pump_run(&c->down, c->mfd, c->cfd) < 0 ||
	    (c->up.shut && c->down.shut)) {
		conn_end(c);
		return;
	}
	if (want(c, c->cfd, &c->cev, reads(&c->up) | writes(&c->down)) < 0 ||
	    want(c, c->mfd, &c->mev, reads(&c->down) | writes(&c->up)) < 0)
		conn_end(c);
}

static int pump_init(struct pump *p)
{
	int sz;

	memset(p, 0, sizeof(*p));
	if (pipe2(p->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		p->pipe[0] = p->pipe[1] = -1;
		return -1;
	}
	sz = fcntl(p->pipe[0], F_GETPIPE_SZ);
	p->cap = sz > 0 ? (size_t)sz : 65536;
	return 0;
}

/* ---- CONNECT --------------------------------------------------------- */

static void connected(struct rconn *c)
{
	const struct dir_vm *d;
	ud_port_res res;
	socklen_t len = sizeof(int);
	int err = 0;
	struct err e;

	if (getsockopt(c->mfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	d = registry_get(c->r->reg, c->vm, &e);
	if (err) {
		refuse(c, UD_EIO, "%s: cannot reach its monitor (port %u): %s",
		       c->vm, d ? d->port : 0, strerror(err));
		return;
	}
	if (!d) {
		refuse(c, ud_status_of(e.code), "%s", e.msg);
		return;
	}
	if (pump_init(&c->up) < 0 || pump_init(&c->down) < 0) {
		refuse(c, UD_EIO, "%s: no pipe: %s", c->vm, strerror(errno));
		return;
	}
	memset(&res, 0, sizeof(res));
	res.port = d->port;
	res.tls = d->tls;
	res.res.message = c->vm;
	if (send_port_res(c, &res) < 0) {
		say(c->r, "%s: %s: the client does not take the answer", c->peer,
		    c->vm);
		conn_end(c);
		return;
	}
	loop_timer_cancel(c->r->loop, c->deadline);
	c->deadline = NULL;
	c->r->nunauth--;
	c->st = R_SPLICE;
	log_debug("redirector: %s: to %s (monitor port %u)", c->peer, c->vm, d->port);
	splice_run(c);
}

static void start_connect(struct rconn *c)
{
	const struct dir_vm *d;
	struct err e;

	d = registry_get(c->r->reg, c->vm, &e);
	if (!d) {
		refuse(c, ud_status_of(e.code), "%s", e.msg);
		return;
	}
	if (!d->port) {
		refuse(c, UD_ENOTCP, "%s: its monitor does not serve TCP", c->vm);
		return;
	}
	c->mfd = tcp_connect(d->addr, d->port, &e);
	if (c->mfd < 0) {
		refuse(c, UD_EIO, "%s: %s", c->vm, e.msg);
		return;
	}
	c->st = R_CONNECT;
	/* the client's next bytes wait in its socket */
	if (want(c, c->cfd, &c->cev, 0) < 0 || want(c, c->mfd, &c->mev, EPOLLOUT) < 0)
		conn_end(c);
}

/* ---- FIRST ----------------------------------------------------------- */

/* Decodes the first record: 1 a UD_REDIRECT (vm set), 0 another call
 * (refused with an RPC error sent here), -1 not an RPC call. */
static int first_call(struct rconn *c)
{
	char credbuf[MAX_AUTH_BYTES], verfbuf[MAX_AUTH_BYTES];
	struct rpc_msg msg, reply;
	char *vm = c->vm;
	int ok;
	XDR x;

	memset(&msg, 0, sizeof(msg));
	msg.rm_call.cb_cred.oa_base = credbuf;
	msg.rm_call.cb_verf.oa_base = verfbuf;
	xdrmem_create(&x, (char *)c->first + 4, (u_int)(c->have - 4), XDR_DECODE);
	ok = xdr_callmsg(&x, &msg) && msg.rm_direction == CALL;
	if (!ok) {
		xdr_destroy(&x);
		return -1;
	}
	c->xid = msg.rm_xid;
	if (!rpc_reply_unserved(&msg, UMLDIR_PROG, UMLDIR_V1, &reply)) {
		if (msg.rm_call.cb_proc != UD_REDIRECT) {
			rpc_reply_accepted(&reply, msg.rm_xid, PROC_UNAVAIL, NULL, NULL);
		} else if (!xdr_string(&x, &vm, UD_NAME_MAX)) {
			rpc_reply_accepted(&reply, msg.rm_xid, GARBAGE_ARGS, NULL, NULL);
		} else {
			xdr_destroy(&x);
			return 1;
		}
	}
	xdr_destroy(&x);
	say(c->r, "%s: the first call is not UD_REDIRECT (program %u version "
	    "%u procedure %u); refused", c->peer, msg.rm_call.cb_prog,
	    msg.rm_call.cb_vers, msg.rm_call.cb_proc);
	if (send_reply(c, &reply) < 0 || shutdown(c->cfd, SHUT_WR) < 0) {
		conn_end(c);
		return 0;
	}
	c->st = R_LINGER;
	return 0;
}

static void first_read(struct rconn *c)
{
	for (;;) {
		ssize_t n = read(c->cfd, c->first + c->have, c->need - c->have);
		uint32_t hdr;

		if (n == 0) {
			conn_end(c);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_end(c);
			return;
		}
		c->have += (size_t)n;
		if (c->have < c->need)
			continue;
		if (c->need > 4)
			break;
		memcpy(&hdr, c->first, 4);
		hdr = ntohl(hdr);
		/* one fragment, at most REDIR_FIRST_MAX */
		if (!(hdr & 0x80000000u) || (hdr & 0x7fffffffu) > REDIR_FIRST_MAX ||
		    (hdr & 0x7fffffffu) == 0) {
			say(c->r, "%s: the first record (mark 0x%08x) is not one "
			    "fragment of 1 to %d bytes; closed", c->peer, hdr,
			    REDIR_FIRST_MAX);
			conn_end(c);
			return;
		}
		c->need = 4 + (hdr & 0x7fffffffu);
	}
	switch (first_call(c)) {
	case 1:
		start_connect(c);
		return;
	case -1:
		say(c->r, "%s: the first record is not an RPC call; closed", c->peer);
		conn_end(c);
		return;
	}
}

/* LINGER: drops what comes until the client closes. */
static void linger_read(struct rconn *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(c->cfd, buf, sizeof(buf))) > 0) {
		c->lingered += (size_t)n;
		if (c->lingered > LINGER_MAX)
			break;
	}
	if (n == 0 || c->lingered > LINGER_MAX || (errno != EAGAIN && errno != EINTR))
		conn_end(c);
}

static void conn_event(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct rconn *c = arg;

	(void)l;
	switch (c->st) {
	case R_FIRST:
		first_read(c);
		break;
	case R_CONNECT:
		if (fd == c->mfd)
			connected(c);
		break;
	case R_LINGER:
		linger_read(c);
		break;
	case R_SPLICE:
		if (events & EPOLLERR) {
			int err = 0;
			socklen_t len = sizeof(err);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err) {
				log_debug("redirector: %s: %s: %s", c->peer, c->vm,
					  strerror(err));
				conn_end(c);
				break;
			}
		}
		splice_run(c);
		break;
	}
}

static void on_deadline(struct loop *l, void *arg)
{
	struct rconn *c = arg;

	(void)l;
	c->deadline = NULL;
	if (c->st != R_LINGER)
		say(c->r, "%s: no UD_REDIRECT to a reachable monitor within %d ms; "
		    "closed", c->peer, c->r->lim.auth_timeout_ms);
	conn_end(c);
}

/* ---- the listener ---------------------------------------------------- */

static int peer_conns(const struct redir *r, const char *peer)
{
	int n = 0;

	for (const struct rconn *c = r->conns; c; c = c->next)
		n += !strcmp(c->peer, peer);
	return n;
}

/* Which limit a new connection from peer is over, or NULL. */
static const char *over_limit(const struct redir *r, const char *peer)
{
	if (r->nconns >= r->lim.max_conns)
		return "connections at once (max_clients)";
	if (r->nunauth >= r->lim.max_unauth)
		return "connections not yet passed on (max_unauthenticated)";
	if (peer_conns(r, peer) >= r->lim.max_conns_per_peer)
		return "connections from that address (max_clients_per_peer)";
	return NULL;
}

static void adopt(struct redir *r, int fd, const struct sockaddr_storage *sa)
{
	struct rconn *c;
	char peer[INET6_ADDRSTRLEN];
	const char *over;
	int one = 1, port;

	rpc_tcp_addr_text(sa, peer, sizeof(peer), &port);
	over = over_limit(r, peer);
	if (over) {
		say(r, "%s: refused: too many %s", peer, over);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->r = r;
	c->st = R_FIRST;
	c->cfd = fd;
	c->mfd = -1;
	c->up.pipe[0] = c->up.pipe[1] = c->down.pipe[0] = c->down.pipe[1] = -1;
	c->need = 4;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	if (want(c, fd, &c->cev, EPOLLIN) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->deadline = loop_timer_add(r->loop, r->lim.auth_timeout_ms, on_deadline, c);
	c->next = r->conns;
	r->conns = c;
	r->nconns++;
	r->nunauth++;
}

static void on_listen(struct loop *l, int fd, uint32_t events, void *arg);

static void on_pause_end(struct loop *l, void *arg)
{
	struct redir *r = arg;

	r->pause = NULL;
	loop_mod_fd(l, r->lfd, EPOLLIN);
}

static void on_listen(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct redir *r = arg;

	(void)events;
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int cfd = accept4(fd, (struct sockaddr *)&sa, &len,
				  SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			adopt(r, cfd, &sa);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN) {
			/* out of descriptors: clients wait in the backlog */
			say(r, "cannot accept clients: %s", strerror(errno));
			loop_mod_fd(l, fd, 0);
			r->pause = loop_timer_add(l, ACCEPT_PAUSE_MS, on_pause_end, r);
		}
		return;
	}
}

struct redir *redir_new(struct loop *l, struct registry *reg, int lfd,
			const struct rpc_limits *lim)
{
	struct redir *r = xcalloc(1, sizeof(*r));

	r->loop = l;
	r->reg = reg;
	r->lfd = lfd;
	r->lim = *lim;
	r->say = (struct ratelimit)RATELIMIT_INIT(20, 1000);
	if (loop_add_fd(l, lfd, EPOLLIN, on_listen, r) < 0) {
		close(lfd);
		free(r);
		return NULL;
	}
	return r;
}

void redir_free(struct redir *r)
{
	if (!r)
		return;
	while (r->conns)
		conn_end(r->conns);
	loop_timer_cancel(r->loop, r->pause);
	loop_del_fd(r->loop, r->lfd);
	close(r->lfd);
	free(r);
}

int redir_nconns(const struct redir *r)
{
	return r->nconns;
}
