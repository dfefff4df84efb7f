/* mconsole.c -- client of the UML management console.
 *
 * One call = one fresh datagram socket, autobound to an abstract address
 * and connected to the kernel's socket.  Connecting does two things: a
 * connected AF_UNIX datagram socket only accepts datagrams from its peer,
 * so nobody but the kernel can feed us an answer; and a stale answer of an
 * earlier call can never be taken for this one.
 *
 * Wire facts (arch/um/drivers/mconsole_user.c, checked against Debian's
 * uml_mconsole): the request is sent as the whole 524-byte struct with the
 * data NUL padded, as uml_mconsole does (the kernel reads it with
 * recvfrom() into the whole struct and only looks at len bytes).  Each
 * reply chunk is 12 + len bytes, len counting the NUL after at most 511
 * bytes of text; more == 1 on every chunk but the last; err is only set on
 * the first one. */
#include "umlmon/mconsole.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "serve/loop.h"

#define REPLY_HDR offsetof(struct mconsole_reply, data)
#define NOTIFY_HDR offsetof(struct mconsole_notify, data)
/* An answer longer than this is not something the kernel sends us. */
#define ANSWER_MAX (1 << 20)

int mconsole_encode(const char *cmd, struct mconsole_request *req)
{
	size_t n = strlen(cmd);

	memset(req, 0, sizeof(*req));
	if (n >= MCONSOLE_MAX_DATA)
		return -1;
	req->magic = MCONSOLE_MAGIC;
	req->version = MCONSOLE_VERSION;
	req->len = (uint32_t)n;
	memcpy(req->data, cmd, n);
	return 0;
}

void mconsole_collect_init(struct mconsole_collect *c)
{
	sb_init(&c->text);
	c->kernel_err = 0;
	c->nchunks = 0;
}

int mconsole_collect_feed(struct mconsole_collect *c, const void *buf,
			  size_t n, struct err *e)
{
	struct mconsole_reply hdr;
	const char *data = (const char *)buf + REPLY_HDR;
	size_t text;

	if (n < REPLY_HDR) {
		err_set(e, "malformed reply: %zu bytes, shorter than the %zu byte header",
			n, REPLY_HDR);
		return -1;
	}
	if (n > sizeof(struct mconsole_reply)) {
		err_set(e, "malformed reply: %zu bytes, longer than %zu",
			n, sizeof(struct mconsole_reply));
		return -1;
	}
	memcpy(&hdr, buf, REPLY_HDR);
	if (hdr.len > MCONSOLE_MAX_DATA) {
		err_set(e, "malformed reply: data length %u (at most %d)",
			hdr.len, MCONSOLE_MAX_DATA);
		return -1;
	}
	if (n < REPLY_HDR + hdr.len) {
		err_set(e, "malformed reply: data length %u but only %zu bytes of data",
			hdr.len, n - REPLY_HDR);
		return -1;
	}
	/* the text ends at its NUL, which len counts */
	text = strnlen(data, hdr.len);
	if (c->text.len + text > ANSWER_MAX) {
		err_set(e, "answer longer than %d bytes", ANSWER_MAX);
		return -1;
	}
	if (c->nchunks == 0)
		c->kernel_err = hdr.err != 0;
	c->nchunks++;
	if (text)
		sb_append(&c->text, data, text);
	return hdr.more ? 0 : 1;
}

void mconsole_collect_finish(struct mconsole_collect *c,
			     struct mconsole_answer *ans)
{
	ans->kernel_err = c->kernel_err;
	ans->len = c->text.len;
	ans->text = sb_steal(&c->text);
	mconsole_collect_init(c);
}

void mconsole_collect_free(struct mconsole_collect *c)
{
	sb_free(&c->text);
	mconsole_collect_init(c);
}

void mconsole_answer_free(struct mconsole_answer *a)
{
	if (!a)
		return;
	free(a->text);
	a->text = NULL;
	a->len = 0;
	a->kernel_err = 0;
}

static int autobound_socket(struct err *e)
{
	struct sockaddr_un sun;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err_sys(e, "mconsole client socket");
		return -1;
	}
	/* only the family: Linux picks a unique abstract name (autobind),
	 * which a kernel in another root and under another uid can answer */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sa_family_t)) < 0) {
		err_sys(e, "mconsole client socket: bind to an abstract address");
		close(fd);
		return -1;
	}
	return fd;
}

/* The calling thread's own network namespace, opened once: where
 * mconsole_socket() returns to. */
static int own_netns(struct err *e)
{
	static int fd = -1;

	if (fd < 0) {
		fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			err_sys(e, "mconsole client socket: open the monitor's "
				"network namespace (/proc/thread-self/ns/net)");
	}
	return fd;
}

int mconsole_socket(int netns, struct err *e)
{
	int own, fd;

	if (netns < 0)
		return autobound_socket(e);
	own = own_netns(e);
	if (own < 0)
		return -1;
	if (setns(netns, CLONE_NEWNET) < 0) {
		err_sys(e, "mconsole client socket: enter the kernel's network "
			"namespace");
		return -1;
	}
	fd = autobound_socket(e);
	/* the monitor's taps, switches and clients are all in its own: it
	 * cannot go on in the kernel's */
	if (setns(own, CLONE_NEWNET) < 0) {
		log_err("mconsole client socket: return to the monitor's "
			"network namespace: %s", strerror(errno));
		die(1, "mconsole client socket: return to the monitor's network "
		    "namespace: %s", strerror(errno));
	}
	return fd;
}

/* Fills the address of the kernel's socket.  sun_path holds 107 bytes; a
 * longer path is reached through /proc/self/fd/N/NAME with N an O_PATH fd
 * of its directory, returned in *dirfd for the caller to close after use. */
static int kernel_addr(const char *path, struct sockaddr_un *sun,
		       socklen_t *len, int *dirfd, struct err *e)
{
	size_t n = strlen(path);
	const char *name;
	char *dir;
	int r;

	*dirfd = -1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n == 0) {
		err_set(e, "mconsole: empty socket path");
		return -1;
	}
	if (n < sizeof(sun->sun_path)) {
		memcpy(sun->sun_path, path, n + 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
		return 0;
	}
	name = strrchr(path, '/');
	if (!name || !name[1]) {
		err_set(e, "mconsole %s: socket path too long (%zu bytes, at most %zu)",
			path, n, sizeof(sun->sun_path) - 1);
		return -1;
	}
	dir = xmalloc((size_t)(name - path) + 2);
	if (name == path) {
		strcpy(dir, "/");
	} else {
		memcpy(dir, path, (size_t)(name - path));
		dir[name - path] = '\0';
	}
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0) {
		err_sys(e, "mconsole %s: directory %s", path, dir);
		free(dir);
		return -1;
	}
	free(dir);
	r = snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d/%s",
		     *dirfd, name + 1);
	if (r < 0 || (size_t)r >= sizeof(sun->sun_path)) {
		err_set(e, "mconsole %s: socket name too long (%zu bytes)",
			path, strlen(name + 1));
		close(*dirfd);
		*dirfd = -1;
		return -1;
	}
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)r + 1);
	return 0;
}

/* Sends cmd to path: connects fd to it first when do_connect. */
static int send_cmd(int fd, const char *path, const char *cmd, int do_connect,
		    struct err *e)
{
	struct mconsole_request req;
	struct sockaddr_un sun;
	socklen_t slen;
	int dirfd, rc = -1;
	ssize_t w;

	if (mconsole_encode(cmd, &req) < 0) {
		err_set(e, "mconsole %s: command too long (%zu bytes, at most %d)",
			path, strlen(cmd), MCONSOLE_MAX_DATA - 1);
		return -1;
	}
	if (kernel_addr(path, &sun, &slen, &dirfd, e) < 0)
		return -1;
	if (do_connect && connect(fd, (struct sockaddr *)&sun, slen) < 0) {
		err_sys(e, "mconsole %s: connect", path);
		goto out;
	}
	do {
		if (do_connect)
			w = send(fd, &req, sizeof(req), 0);
		else
			w = sendto(fd, &req, sizeof(req), 0,
				   (struct sockaddr *)&sun, slen);
	} while (w < 0 && errno == EINTR);
	if (w < 0) {
		if (errno == EAGAIN)
			err_set(e, "mconsole %s: send '%.64s': the kernel's queue is "
				"full (it is not reading)", path, cmd);
		else
			err_sys(e, "mconsole %s: send '%.64s'", path, cmd);
		goto out;
	}
	if ((size_t)w != sizeof(req)) {
		err_set(e, "mconsole %s: send '%.64s': short send (%zd of %zu bytes)",
			path, cmd, w, sizeof(req));
		goto out;
	}
	rc = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

int mconsole_send(int fd, const char *path, const char *cmd, struct err *e)
{
	return send_cmd(fd, path, cmd, 0, e);
}

static void no_answer(struct err *e, const char *path, const char *cmd,
		      int timeout_ms, int nchunks)
{
	if (nchunks)
		err_code(e, ERR_TIMEDOUT, "mconsole: no answer from %s in %d ms to "
			 "'%.64s' (%d chunks came, the last one announced more)",
			 path, timeout_ms, cmd, nchunks);
	else
		err_code(e, ERR_TIMEDOUT, "mconsole: no answer from %s in %d ms to "
			 "'%.64s'", path, timeout_ms, cmd);
}

/* Reads one datagram into buf. 1: got n bytes; 0: nothing queued; -1: e. */
static int recv_one(int fd, const char *path, struct mconsole_reply *buf,
		    size_t *n, struct err *e)
{
	ssize_t r;

	do {
		/* MSG_TRUNC: the real size, so that an oversized datagram is
		 * seen as such and not cut to look like a valid one */
		r = recv(fd, buf, sizeof(*buf), MSG_TRUNC | MSG_DONTWAIT);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN)
			return 0;
		err_sys(e, "mconsole %s: receive", path);
		return -1;
	}
	*n = (size_t)r;
	return 1;
}

int mconsole_call(const char *path, const char *cmd, int timeout_ms,
		  struct mconsole_answer *ans, struct err *e)
{
	struct mconsole_collect c;
	struct mconsole_reply buf;
	int64_t deadline;
	int fd, rc = -1;

	ans->kernel_err = 0;
	ans->text = NULL;
	ans->len = 0;
	if (timeout_ms < 0)
		timeout_ms = 0;
	fd = mconsole_socket(-1, e);
	if (fd < 0)
		return -1;
	mconsole_collect_init(&c);
	if (send_cmd(fd, path, cmd, 1, e) < 0)
		goto out;
	deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		struct err fe;
		size_t n;
		int r;

		r = poll(&p, 1, left > 0 ? (int)left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(e, "mconsole %s: poll", path);
			goto out;
		}
		if (r == 0) {
			no_answer(e, path, cmd, timeout_ms, c.nchunks);
			goto out;
		}
		r = recv_one(fd, path, &buf, &n, e);
		if (r < 0)
			goto out;
		if (r == 0)
			continue;
		r = mconsole_collect_feed(&c, &buf, n, &fe);
		if (r < 0) {
			err_set(e, "mconsole %s: %s", path, fe.msg);
			goto out;
		}
		if (r == 1) {
			mconsole_collect_finish(&c, ans);
			rc = 0;
			goto out;
		}
	}
out:
	mconsole_collect_free(&c);
	close(fd);
	return rc;
}

int mconsole_notify_parse(const void *buf, size_t n, struct mconsole_notify *out,
			  struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (n < NOTIFY_HDR) {
		err_set(e, "malformed notification: %zu bytes, shorter than the "
			"%zu byte header", n, NOTIFY_HDR);
		return -1;
	}
	if (n > sizeof(*out)) {
		err_set(e, "malformed notification: %zu bytes, longer than %zu",
			n, sizeof(*out));
		return -1;
	}
	memcpy(out, buf, NOTIFY_HDR);
	if (out->magic != MCONSOLE_MAGIC) {
		err_set(e, "malformed notification: magic 0x%08x (expected 0x%08x)",
			out->magic, MCONSOLE_MAGIC);
		return -1;
	}
	if (out->version != MCONSOLE_VERSION) {
		err_set(e, "malformed notification: version %u (expected %d)",
			out->version, MCONSOLE_VERSION);
		return -1;
	}
	if (out->len > MCONSOLE_MAX_DATA) {
		err_set(e, "malformed notification: data length %u (at most %d)",
			out->len, MCONSOLE_MAX_DATA);
		return -1;
	}
	if (n < NOTIFY_HDR + out->len) {
		err_set(e, "malformed notification: data length %u but only %zu "
			"bytes of data", out->len, n - NOTIFY_HDR);
		return -1;
	}
	memcpy(out->data, (const char *)buf + NOTIFY_HDR, out->len);
	/* the kernel counts a NUL in len for its own texts, not for what the
	 * guest wrote to /proc/mconsole; a full 512 bytes loses the last one */
	out->data[MCONSOLE_MAX_DATA - 1] = '\0';
	return 0;
}

/* ---- asynchronous calls ---------------------------------------------- */

struct mconsole_op {
	struct loop *loop;
	int fd;
	int added;                /* fd is in the loop */
	char *path, *cmd;
	int timeout_ms;
	struct loop_timer *timer; /* the timeout, or the failure report */
	struct mconsole_collect col;
	mconsole_cb cb;
	void *arg;
	struct err error;         /* a failure waiting for its report */
	int in_cb;
};

static void op_release(struct mconsole_op *op)
{
	if (op->added)
		loop_del_fd(op->loop, op->fd);
	if (op->fd >= 0)
		close(op->fd);
	loop_timer_cancel(op->loop, op->timer);
	mconsole_collect_free(&op->col);
	free(op->path);
	free(op->cmd);
	free(op);
}

/* Reports the result and frees op. */
static void op_finish(struct mconsole_op *op, const struct mconsole_answer *ans,
		      const struct err *error)
{
	if (op->added)
		loop_del_fd(op->loop, op->fd);
	op->added = 0;
	if (op->fd >= 0)
		close(op->fd);
	op->fd = -1;
	loop_timer_cancel(op->loop, op->timer);
	op->timer = NULL;
	op->in_cb = 1;
	op->cb(ans, error, op->arg);
	op_release(op);
}

static void on_reply(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct mconsole_op *op = arg;
	struct mconsole_reply buf;
	struct mconsole_answer ans;
	struct err e, fe;
	size_t n;
	int r;

	(void)l;
	(void)fd;
	for (;;) {
		r = recv_one(op->fd, op->path, &buf, &n, &e);
		if (r < 0) {
			op_finish(op, NULL, &e);
			return;
		}
		if (r == 0)
			break;
		r = mconsole_collect_feed(&op->col, &buf, n, &fe);
		if (r < 0) {
			err_set(&e, "mconsole %s: %s", op->path, fe.msg);
			op_finish(op, NULL, &e);
			return;
		}
		if (r == 1) {
			mconsole_collect_finish(&op->col, &ans);
			op_finish(op, &ans, NULL);
			mconsole_answer_free(&ans);
			return;
		}
	}
	if (events & (EPOLLERR | EPOLLHUP)) {
		err_set(&e, "mconsole %s: the socket failed while waiting for "
			"the answer to '%.64s'", op->path, op->cmd);
		op_finish(op, NULL, &e);
	}
}

static void on_timeout(struct loop *l, void *arg)
{
	struct mconsole_op *op = arg;
	struct err e;

	(void)l;
	op->timer = NULL; /* the loop frees it */
	no_answer(&e, op->path, op->cmd, op->timeout_ms, op->col.nchunks);
	op_finish(op, NULL, &e);
}

static void on_failed(struct loop *l, void *arg)
{
	struct mconsole_op *op = arg;

	(void)l;
	op->timer = NULL;
	op_finish(op, NULL, &op->error);
}

struct mconsole_op *mconsole_async(struct loop *l, const char *path, int netns,
				   const char *cmd, int timeout_ms,
				   mconsole_cb cb, void *arg)
{
	struct mconsole_op *op = xcalloc(1, sizeof(*op));
	struct err e;

	op->loop = l;
	op->fd = -1;
	op->path = xstrdup(path);
	op->cmd = xstrdup(cmd);
	op->timeout_ms = timeout_ms < 0 ? 0 : timeout_ms;
	op->cb = cb;
	op->arg = arg;
	mconsole_collect_init(&op->col);

	op->fd = mconsole_socket(netns, &e);
	if (op->fd < 0)
		goto fail;
	if (send_cmd(op->fd, path, cmd, 1, &e) < 0)
		goto fail;
	if (loop_add_fd(l, op->fd, EPOLLIN, on_reply, op) < 0) {
		err_sys(&e, "mconsole %s: event loop", path);
		goto fail;
	}
	op->added = 1;
	op->timer = loop_timer_add(l, op->timeout_ms, on_timeout, op);
	return op;
fail:
	/* reported from the loop, never from inside this call */
	if (op->fd >= 0)
		close(op->fd);
	op->fd = -1;
	op->error = e;
	op->timer = loop_timer_add(l, 0, on_failed, op);
	return op;
}

void mconsole_async_cancel(struct mconsole_op *op)
{
	if (!op)
		return;
	/* from inside its own callback: op goes when the callback returns */
	if (op->in_cb)
		return;
	op_release(op);
}
