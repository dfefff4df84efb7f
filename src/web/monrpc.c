/* monrpc.c -- the monitors' RPC from umlweb: quick calls on a fresh
 * connection, and connections that stay (consoles, actions that wait)
 * watched by the server's own loop: libwebsockets adopts a duplicate of
 * the socket as a "raw file", whose readiness comes back here and goes
 * to the RPC client. */
#include "web/web_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/paths.h"
#include "umlmonctrl.h"

struct monrpc {
	struct web *w;
	struct rpc_client *rpc;
	struct lws *wsi;             /* the adopted duplicate, or NULL */
	void (*on_event)(void *arg, const char *why);
	void *arg;
	int lost;
};

enum err_code monrpc_err(um_status s)
{
	static const enum err_code map[] = {
		[UM_OK] = ERR_OK, [UM_EINVAL] = ERR_INVAL, [UM_ESTATE] = ERR_STATE,
		[UM_ENOENT] = ERR_NOENT, [UM_EIO] = ERR_IO,
		[UM_ETIMEDOUT] = ERR_TIMEDOUT, [UM_EPERM] = ERR_PERM,
		[UM_ECLOSED] = ERR_CLOSED, [UM_EBUSY] = ERR_BUSY,
		[UM_EKERNEL] = ERR_KERNEL, [UM_EUNSAFE] = ERR_UNSAFE,
		[UM_ENOMEM] = ERR_NOMEM, [UM_ESHARED] = ERR_SHARED,
	};

	return (unsigned)s < ARRAY_SIZE(map) ? map[s] : ERR_IO;
}

/* A connection to a local monitor's control socket that does not wait:
 * a monitor that takes no connections (stopped, hung) has filled its
 * queue, and a blocking connect would stall the loop. */
static struct rpc_client *connect_local(struct web *w, const char *vm,
					struct err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *path = vm_ctrl_path(w->cfg->global.vardir, vm);
	int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		err_code(e, ERR_INVAL, "%s: monitor: %s: socket path too long", vm, path);
		goto fail;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err_sys(e, "%s: monitor: socket", vm);
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys(e, "%s: monitor: %s", vm, path);
		/* a full queue: there, but not answering; else not there */
		e->code = errno == EAGAIN ? ERR_TIMEDOUT : ERR_CLOSED;
		goto fail;
	}
	free(path);
	return rpc_client_fd(fd, UMLMONCTRL_PROG, UMLMONCTRL_V1);
fail:
	if (fd >= 0)
		close(fd);
	free(path);
	return NULL;
}

static struct rpc_client *connect_vm(struct web *w, const char *vm, struct err *e)
{
	return hosts_is_remote(vm) ? hosts_connect(w, vm, e) : connect_local(w, vm, e);
}

int monrpc_call(struct web *w, const char *vm, uint32_t proc, xdrproc_t xa,
		void *a, xdrproc_t xr, void *r, struct err *e)
{
	struct rpc_client *c;
	int ret;

	if (hosts_is_remote(vm)) {
		/* the connection kept: a new one costs a handshake */
		c = hosts_kept(w, vm, e);
		if (!c)
			return -1;
		ret = rpc_client_call(c, proc, xa, a, xr, r, WEB_RPC_TIMEOUT_MS, e);
		if (ret < 0) {
			hosts_drop(w, vm);
			err_prefix(e, "%s: monitor", vm);
		}
		return ret;
	}
	c = connect_vm(w, vm, e);
	if (!c)
		return -1;
	ret = rpc_client_call(c, proc, xa, a, xr, r, WEB_RPC_TIMEOUT_MS, e);
	if (ret < 0)
		err_prefix(e, "%s: monitor", vm);
	rpc_client_free(c);
	return ret;
}

static void lost(struct monrpc *m, const char *why)
{
	if (m->lost)
		return;
	m->lost = 1;
	if (m->on_event)
		m->on_event(m->arg, why);
}

struct monrpc *monrpc_open(struct web *w, const char *vm,
			   void (*on_event)(void *arg, const char *why), void *arg,
			   struct err *e)
{
	struct monrpc *m;
	lws_sock_file_fd_type fd;

	m = xcalloc(1, sizeof(*m));
	m->w = w;
	m->on_event = on_event;
	m->arg = arg;
	m->rpc = connect_vm(w, vm, e);
	if (!m->rpc) {
		free(m);
		return NULL;
	}
	/* libwebsockets closes what it adopted: it gets a duplicate, the
	 * RPC client keeps its own descriptor */
	fd.filefd = fcntl(rpc_client_sockfd(m->rpc), F_DUPFD_CLOEXEC, 3);
	if (fd.filefd < 0) {
		err_sys(e, "%s: monitor connection", vm);
		rpc_client_free(m->rpc);
		free(m);
		return NULL;
	}
	m->wsi = lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, fd,
					    WEB_PROTO_RPC, NULL);
	if (!m->wsi) {
		err_code(e, ERR_IO, "%s: monitor connection: not watched "
			 "(libwebsockets refused it)", vm);
		rpc_client_free(m->rpc);
		free(m);
		return NULL;
	}
	lws_set_opaque_user_data(m->wsi, m);
	return m;
}

struct rpc_client *monrpc_client(struct monrpc *m)
{
	return m->rpc;
}

void monrpc_flush(struct monrpc *m)
{
	struct err e;
	int r;

	if (m->lost)
		return;
	r = rpc_client_flush(m->rpc, &e);
	if (r < 0)
		lost(m, e.msg);
	else if (r > 0 && m->wsi)
		lws_callback_on_writable(m->wsi);
}

void monrpc_close(struct monrpc *m, int free_rpc)
{
	if (!m)
		return;
	if (m->wsi) {
		lws_set_opaque_user_data(m->wsi, NULL);
		lws_set_timeout(m->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
				LWS_TO_KILL_ASYNC);
	}
	m->lost = 1;
	if (free_rpc)
		rpc_client_free(m->rpc);
	free(m);
}

int monrpc_callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct monrpc *m = lws_get_opaque_user_data(wsi);
	struct err e;

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (!m)
			return -1;
		if (rpc_client_input(m->rpc, &e) < 0) {
			lost(m, e.msg);
			return 0;
		}
		monrpc_flush(m);
		if (!m->lost && m->on_event)
			m->on_event(m->arg, NULL);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (m)
			monrpc_flush(m);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (!m)
			return 0;
		m->wsi = NULL;
		/* what is left to read, then the end */
		if (rpc_client_input(m->rpc, &e) < 0)
			lost(m, e.msg);
		else
			lost(m, "connection closed");
		return 0;
	default:
		return 0;
	}
}

/* --- one call that the loop does not wait for --- */

struct monrpc_ask {
	struct web *w;
	struct monrpc *m;
	char *vm;                    /* named in its errors */
	monrpc_done done;            /* NULL once called or cancelled */
	void *arg;
	int timeout_ms;
	lws_sorted_usec_list_t sul;  /* the deadline, then the freeing */
};

static void ask_free(lws_sorted_usec_list_t *sul)
{
	struct monrpc_ask *q = lws_container_of(sul, struct monrpc_ask, sul);

	/* the call in flight, if any, is cancelled with the connection */
	monrpc_close(q->m, 1);
	free(q->vm);
	free(q);
}

/* Calls done once; the rest is freed from the loop, not from inside the
 * connection's callback. */
static void ask_end(struct monrpc_ask *q, void *res, const struct err *e)
{
	monrpc_done done = q->done;

	q->done = NULL;
	lws_sul_schedule(q->w->ctx, 0, &q->sul, ask_free, 1);
	if (done)
		done(q->arg, res, e);
}

static void ask_reply(struct rpc_client *c, void *res, const char *why, void *arg)
{
	struct monrpc_ask *q = arg;
	struct err e;

	(void)c;
	if (!q->done)
		return;
	if (why)
		err_code(&e, ERR_CLOSED, "%s: monitor: %s", q->vm, why);
	ask_end(q, why ? NULL : res, why ? &e : NULL);
}

static void ask_event(void *arg, const char *why)
{
	struct monrpc_ask *q = arg;
	struct err e;

	if (!why || !q->done)
		return;
	err_code(&e, ERR_CLOSED, "%s: monitor: %s", q->vm, why);
	ask_end(q, NULL, &e);
}

static void ask_deadline(lws_sorted_usec_list_t *sul)
{
	struct monrpc_ask *q = lws_container_of(sul, struct monrpc_ask, sul);
	struct err e;

	err_code(&e, ERR_TIMEDOUT, "%s: monitor not answering (nothing in %d ms)",
		 q->vm, q->timeout_ms);
	ask_end(q, NULL, &e);
}

struct monrpc_ask *monrpc_ask(struct web *w, const char *vm, uint32_t proc,
			      xdrproc_t xa, void *a, xdrproc_t xr, size_t rsize,
			      int timeout_ms, monrpc_done done, void *arg,
			      struct err *e)
{
	struct monrpc_ask *q = xcalloc(1, sizeof(*q));

	q->w = w;
	q->vm = xstrdup(vm);
	q->done = done;
	q->arg = arg;
	q->timeout_ms = timeout_ms;
	q->m = monrpc_open(w, vm, ask_event, q, e);
	if (!q->m) {
		free(q->vm);
		free(q);
		return NULL;
	}
	if (rpc_client_send(monrpc_client(q->m), proc, xa, a, xr, rsize, ask_reply,
			    q, e) < 0) {
		err_prefix(e, "%s: monitor", vm);
		/* a call queued but not written is cancelled with the
		 * connection: its callback must not end q */
		q->done = NULL;
		monrpc_close(q->m, 1);
		free(q->vm);
		free(q);
		return NULL;
	}
	monrpc_flush(q->m);
	lws_sul_schedule(w->ctx, 0, &q->sul, ask_deadline,
			 (lws_usec_t)timeout_ms * LWS_US_PER_MS);
	return q;
}

void monrpc_ask_cancel(struct monrpc_ask *q)
{
	if (!q || !q->done)
		return;
	q->done = NULL;
	lws_sul_schedule(q->w->ctx, 0, &q->sul, ask_free, 1);
}
