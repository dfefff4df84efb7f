/* rpc_client.c -- pipelined ONC RPC calls over a stream socket. */
#include "common/ossl.h"
#include "common/rpc_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "common/netio.h"
#include "common/rpc_wire.h"
#include "common/tlsctx.h"

struct pending {
	uint32_t xid;
	xdrproc_t xres;
	size_t ressize;
	rpc_reply_cb cb;
	void *arg;
	/* for a blocking call: where to put the result */
	void *sync_res;
	int *sync_done;
	struct err *sync_err;
	struct pending *next;
};

struct rpc_client {
	int fd;
	struct netio io;        /* fd, plain or TLS */
	int rd_wants_write;     /* TLS: the last read waits to write */
	uint32_t prog, vers, xid;
	struct rpc_in in;
	struct rpc_out out;
	struct pending *pending;
};

struct rpc_client *rpc_client_fd(int fd, uint32_t prog, uint32_t vers)
{
	struct rpc_client *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	netio_init(&c->io, fd);
	c->prog = prog;
	c->vers = vers;
	c->xid = (uint32_t)getpid() ^ (uint32_t)now_ms() << 12;
	fd_nonblock(fd);
	fd_cloexec(fd);
	return c;
}

struct rpc_client *rpc_client_unix(const char *path, uint32_t prog,
				   uint32_t vers, struct err *e)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		err_set(e, "%s: socket path too long", path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_sys(e, "socket");
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys(e, "%s", path);
		close(fd);
		return NULL;
	}
	return rpc_client_fd(fd, prog, vers);
}

/* A non-blocking connect to one address, done within the deadline. */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		struct pollfd pfd = {fd, POLLOUT, 0};
		int left, r;

		if (errno != EINPROGRESS)
			goto fail;
		do {
			left = (int)(deadline - now_ms());
			r = poll(&pfd, 1, left > 0 ? left : 0);
		} while (r < 0 && errno == EINTR);
		if (r == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			goto fail;
		if (soerr) {
			errno = soerr;
			goto fail;
		}
	}
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

struct rpc_client *rpc_client_tcp(const char *host, int port, int timeout_ms,
				  uint32_t prog, uint32_t vers, struct err *e)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV};
	int64_t deadline = now_ms() + timeout_ms;
	struct addrinfo *res, *ai;
	char svc[16];
	int fd = -1, r, one = 1;

	snprintf(svc, sizeof(svc), "%d", port);
	r = getaddrinfo(host, svc, &hints, &res);
	if (r) {
		err_code(e, ERR_NOENT, "%s: %s", host, gai_strerror(r));
		return NULL;
	}
	errno = ECONNREFUSED;
	for (ai = res; ai && fd < 0 && now_ms() < deadline; ai = ai->ai_next)
		fd = connect_one(ai, deadline);
	freeaddrinfo(res);
	if (fd < 0) {
		err_sys(e, "%s port %d", host, port);
		if (errno == ETIMEDOUT)
			e->code = ERR_TIMEDOUT;
		return NULL;
	}
	/* calls are small and answered one by one: no Nagle delay */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return rpc_client_fd(fd, prog, vers);
}

void rpc_client_seal(struct rpc_client *c, const uint8_t *out_key,
		     const uint8_t *in_key)
{
	rpc_out_seal(&c->out, out_key);
	rpc_in_seal(&c->in, in_key);
}

int rpc_client_start_tls(struct rpc_client *c, const char *ca,
			 const char *host, int timeout_ms, struct err *e)
{
	SSL_CTX *ctx;
	int r;

	if (c->io.ssl || c->in.len || rpc_out_pending(&c->out) || c->pending) {
		/* TLS begins at a record boundary with nothing in flight */
		err_code(e, ERR_STATE, "TLS: the connection is not idle");
		return -1;
	}
	ctx = tlsctx_client(ca, e);
	if (!ctx)
		return -1;
	r = netio_tls_client(&c->io, ctx, host, now_ms() + timeout_ms, e);
	tlsctx_free(ctx);
	return r;
}

int rpc_client_tls_binding(const struct rpc_client *c, uint8_t *out)
{
	return netio_binding(&c->io, out);
}

void rpc_client_reprogram(struct rpc_client *c, uint32_t prog, uint32_t vers)
{
	c->prog = prog;
	c->vers = vers;
}

/* A read or write failed: errno's words, or TLS's. */
static void io_error(const struct rpc_client *c, struct err *e, const char *what)
{
	if (errno == EPROTO && c->io.reason[0])
		err_code(e, ERR_IO, "%s: TLS: %s", what, c->io.reason);
	else
		err_sys(e, "%s", what);
}

static void fail_all(struct rpc_client *c, const char *why)
{
	while (c->pending) {
		struct pending *p = c->pending;

		c->pending = p->next;
		if (p->sync_done) {
			*p->sync_done = -1;
			/* the blocking call's own error already says why (and
			 * its code); formatting it into itself would blank it */
			if (p->sync_err->msg != why)
				err_set(p->sync_err, "%s", why);
		} else if (p->cb) {
			p->cb(c, NULL, why, p->arg);
		}
		free(p);
	}
}

void rpc_client_free(struct rpc_client *c)
{
	if (!c)
		return;
	fail_all(c, "connection closed");
	netio_close(&c->io);
	rpc_in_free(&c->in);
	rpc_out_free(&c->out);
	free(c);
}

int rpc_client_sockfd(const struct rpc_client *c)
{
	return c->fd;
}

static struct pending *queue(struct rpc_client *c, uint32_t proc,
			     xdrproc_t xargs, void *args, struct err *e)
{
	struct pending *p;

	if (rpc_out_call(&c->out, ++c->xid, c->prog, c->vers, proc, xargs, args) < 0) {
		err_set(e, "cannot encode the arguments of procedure %u", proc);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->xid = c->xid;
	p->next = c->pending;
	c->pending = p;
	return p;
}

int rpc_client_send(struct rpc_client *c, uint32_t proc, xdrproc_t xargs,
		    void *args, xdrproc_t xres, size_t ressize,
		    rpc_reply_cb cb, void *arg, struct err *e)
{
	struct pending *p = queue(c, proc, xargs, args, e);

	if (!p)
		return -1;
	p->xres = xres;
	p->ressize = ressize;
	p->cb = cb;
	p->arg = arg;
	return rpc_client_flush(c, e) < 0 ? -1 : 0;
}

int rpc_client_flush(struct rpc_client *c, struct err *e)
{
	int r = rpc_out_flush_io(&c->out, &c->io);

	if (r < 0)
		io_error(c, e, "write to the monitor");
	else if (c->rd_wants_write && rpc_client_input(c, e) < 0)
		return -1;
	return r;
}

int rpc_client_want_write(const struct rpc_client *c)
{
	return rpc_out_pending(&c->out) > 0 || c->rd_wants_write;
}

int rpc_client_inflight(const struct rpc_client *c)
{
	int n = 0;

	for (const struct pending *p = c->pending; p; p = p->next)
		n++;
	return n;
}

/* Decodes one reply record and completes its call. */
static void complete(struct rpc_client *c, const uint8_t *rec, size_t len)
{
	struct pending *p = NULL, **pp;
	char verfbuf[MAX_AUTH_BYTES];
	struct rpc_msg m;
	uint32_t xid;
	void *res;
	XDR x;
	int ok;

	if (len < 4)
		return;
	memcpy(&xid, rec, 4);
	xid = ntohl(xid);
	for (pp = &c->pending; *pp; pp = &(*pp)->next) {
		if ((*pp)->xid == xid) {
			p = *pp;
			*pp = p->next;
			break;
		}
	}
	if (!p)
		return; /* a reply to nobody: ignore */
	res = p->sync_res ? p->sync_res : xcalloc(1, p->ressize);
	memset(&m, 0, sizeof(m));
	m.acpted_rply.ar_verf.oa_base = verfbuf;
	m.acpted_rply.ar_results.where = res;
	m.acpted_rply.ar_results.proc = p->xres;
	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	ok = xdr_replymsg(&x, &m);
	xdr_destroy(&x);
	if (p->sync_done) {
		if (!ok)
			err_set(p->sync_err, "the monitor's reply does not decode");
		else if (m.rm_reply.rp_stat != MSG_ACCEPTED ||
			 m.acpted_rply.ar_stat != SUCCESS)
			err_set(p->sync_err, "the monitor refused the call: %s",
				rpc_reply_error(&m));
		*p->sync_done = (ok && m.rm_reply.rp_stat == MSG_ACCEPTED &&
				 m.acpted_rply.ar_stat == SUCCESS) ? 1 : -1;
	} else {
		const char *why = NULL;

		if (!ok)
			why = "the monitor's reply does not decode";
		else if (m.rm_reply.rp_stat != MSG_ACCEPTED ||
			 m.acpted_rply.ar_stat != SUCCESS)
			why = rpc_reply_error(&m);
		if (p->cb)
			p->cb(c, why ? NULL : res, why, p->arg);
		xdr_free(p->xres, res);
		free(res);
	}
	free(p);
}

int rpc_client_input(struct rpc_client *c, struct err *e)
{
	const uint8_t *rec;
	size_t len;
	ssize_t r;
	int k;

	/* a write that waited to read goes on first */
	if (rpc_out_pending(&c->out) && c->io.want_read &&
	    rpc_out_flush_io(&c->out, &c->io) < 0) {
		io_error(c, e, "write to the monitor");
		fail_all(c, e->msg);
		return -1;
	}
	r = rpc_in_read_io(&c->in, &c->io);
	c->rd_wants_write = r < 0 && errno == EAGAIN && c->io.want_write;
	if (r == 0) {
		err_set(e, "the monitor closed the connection");
		fail_all(c, e->msg);
		return -1;
	}
	if (r < 0 && errno != EAGAIN) {
		io_error(c, e, "read from the monitor");
		fail_all(c, e->msg);
		return -1;
	}
	while ((k = rpc_in_next(&c->in, &rec, &len)) == 1)
		complete(c, rec, len);
	if (k == -2) {
		err_code(e, ERR_PERM, "a record from the server failed its MAC or "
			 "sequence check (tampered with?); connection closed");
		fail_all(c, e->msg);
		return -1;
	}
	if (k < 0) {
		/* a TLS record (an alert, a server hello) read as ours */
		if (!c->io.ssl && c->in.len >= 2 && c->in.buf[1] == 3 &&
		    (c->in.buf[0] == 0x15 || c->in.buf[0] == 0x16))
			err_set(e, "the monitor answers in TLS: its "
				 "port speaks TLS");
		else
			err_set(e, "the monitor sent an oversized record");
		fail_all(c, e->msg);
		return -1;
	}
	return 0;
}

int rpc_client_call(struct rpc_client *c, uint32_t proc, xdrproc_t xargs,
		    void *args, xdrproc_t xres, void *res, int timeout_ms,
		    struct err *e)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	struct pending *p = queue(c, proc, xargs, args, e);
	int done = 0;

	if (!p)
		return -1;
	p->xres = xres;
	p->sync_res = res;
	p->sync_done = &done;
	p->sync_err = e;
	while (!done) {
		struct pollfd pfd = {c->fd, POLLIN, 0};
		int wait = -1;

		if (rpc_out_pending(&c->out)) {
			if (rpc_out_flush_io(&c->out, &c->io) < 0) {
				io_error(c, e, "write to the monitor");
				fail_all(c, e->msg);
				return -1;
			}
			if (rpc_out_pending(&c->out) && !c->io.want_read)
				pfd.events |= POLLOUT;
		}
		if (c->rd_wants_write)
			pfd.events |= POLLOUT;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				/* forget the call; a late reply is ignored */
				for (struct pending **pp = &c->pending; *pp; pp = &(*pp)->next) {
					if (*pp == p) {
						*pp = p->next;
						free(p);
						break;
					}
				}
				err_set(e, "no answer from the monitor in %d ms", timeout_ms);
				return -1;
			}
			wait = (int)left;
		}
		if (poll(&pfd, 1, wait) < 0) {
			if (errno == EINTR)
				continue;
			err_sys(e, "poll");
			return -1;
		}
		if (((pfd.revents & (POLLIN | POLLHUP | POLLERR)) ||
		     (c->rd_wants_write && (pfd.revents & POLLOUT))) &&
		    rpc_client_input(c, e) < 0)
			return -1;
	}
	return done > 0 ? 0 : -1;
}
