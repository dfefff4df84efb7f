/* dirlink.c -- the monitor's registration with umldir (see dirlink.h). */
#include "umlmon/dirlink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "umldir.h"
#include "common/log.h"
#include "common/rpc_client.h"
#include "serve/loop.h"

/* umldir absent or gone: the next try after this long */
#define DIRLINK_RETRY_MS 1000

struct dirlink {
	struct loop *loop;
	char *sock;
	char *vm, *addr;
	unsigned port;
	int tls;
	char state[UD_NAME_MAX + 1];
	struct rpc_client *c;       /* connected, or NULL */
	struct loop_timer *retry;
	int registered;
	int refused;                /* umldir said no: try again later */
	char said[256];             /* the last failure logged, not again */
};

static void try_connect(struct loop *l, void *arg);

/* Logs a failure once, until things change. */
static void note(struct dirlink *d, const char *fmt, const char *what)
{
	char buf[sizeof(d->said)];

	snprintf(buf, sizeof(buf), fmt, what);
	if (strcmp(buf, d->said)) {
		log_info("%s: umldir: %s", d->vm, buf);
		snprintf(d->said, sizeof(d->said), "%s", buf);
	}
}

static void retry_later(struct dirlink *d)
{
	if (d->c) {
		loop_del_fd(d->loop, rpc_client_sockfd(d->c));
		rpc_client_free(d->c);
		d->c = NULL;
	}
	d->registered = 0;
	d->refused = 0;
	if (!d->retry)
		d->retry = loop_timer_add(d->loop, DIRLINK_RETRY_MS, try_connect, d);
}

static void update_events(struct dirlink *d)
{
	loop_mod_fd(d->loop, rpc_client_sockfd(d->c),
		    EPOLLIN | (rpc_client_want_write(d->c) ? EPOLLOUT : 0));
}

static void on_registered(struct rpc_client *c, void *res, const char *err,
			  void *arg)
{
	struct dirlink *d = arg;
	ud_result *r = res;

	(void)c;
	if (err)
		return; /* the connection's end is seen by on_fd */
	if (r->status != UD_OK) {
		note(d, "registration refused: %s", r->message);
		d->refused = 1;
		return;
	}
	d->registered = 1;
	d->said[0] = '\0';
	log_info("%s: registered with umldir", d->vm);
}

static void on_state_set(struct rpc_client *c, void *res, const char *err,
			 void *arg)
{
	struct dirlink *d = arg;
	ud_result *r = res;

	(void)c;
	if (!err && r->status != UD_OK)
		log_warn("%s: umldir: state not taken: %s", d->vm, r->message);
}

static void on_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct dirlink *d = arg;
	struct err e;

	(void)l;
	(void)fd;
	if ((events & EPOLLOUT) && rpc_client_flush(d->c, &e) < 0) {
		note(d, "%s", e.msg);
		retry_later(d);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    rpc_client_input(d->c, &e) < 0) {
		if (d->registered)
			log_info("%s: umldir went away (%s); registering again "
				 "when it is back", d->vm, e.msg);
		retry_later(d);
		return;
	}
	if (d->refused) {
		retry_later(d);
		return;
	}
	update_events(d);
}

static void try_connect(struct loop *l, void *arg)
{
	struct dirlink *d = arg;
	ud_register_args a = {d->vm, d->state, d->addr, d->port, d->tls, getpid()};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct err e;
	int fd;

	(void)l;
	d->retry = NULL;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* not there (yet): quietly, and again soon */
		if (errno != ENOENT && errno != ECONNREFUSED)
			note(d, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		retry_later(d);
		return;
	}
	d->c = rpc_client_fd(fd, UMLDIR_PROG, UMLDIR_V1);
	if (loop_add_fd(d->loop, fd, EPOLLIN, on_fd, d) < 0) {
		rpc_client_free(d->c);
		d->c = NULL;
		retry_later(d);
		return;
	}
	if (rpc_client_send(d->c, UD_REGISTER, (xdrproc_t)xdr_ud_register_args, &a,
			    (xdrproc_t)xdr_ud_result, sizeof(ud_result),
			    on_registered, d, &e) < 0) {
		note(d, "%s", e.msg);
		retry_later(d);
		return;
	}
	update_events(d);
}

struct dirlink *dirlink_new(struct loop *l, const char *sock,
			    const struct dirlink_reg *reg, const char *state)
{
	struct dirlink *d = xcalloc(1, sizeof(*d));

	d->loop = l;
	d->sock = xstrdup(sock);
	d->vm = xstrdup(reg->vm);
	d->addr = xstrdup(reg->addr ? reg->addr : "");
	d->port = reg->port;
	d->tls = reg->tls;
	snprintf(d->state, sizeof(d->state), "%s", state);
	try_connect(l, d);
	return d;
}

void dirlink_state(struct dirlink *d, const char *state)
{
	ud_state_args a;
	struct err e;

	if (!d || !strcmp(d->state, state))
		return;
	snprintf(d->state, sizeof(d->state), "%s", state);
	a.vm = d->vm;
	a.state = d->state;
	/* without a connection the next registration carries it */
	if (!d->c)
		return;
	if (rpc_client_send(d->c, UD_SET_STATE, (xdrproc_t)xdr_ud_state_args, &a,
			    (xdrproc_t)xdr_ud_result, sizeof(ud_result),
			    on_state_set, d, &e) < 0) {
		note(d, "%s", e.msg);
		retry_later(d);
		return;
	}
	update_events(d);
}

void dirlink_free(struct dirlink *d)
{
	if (!d)
		return;
	loop_timer_cancel(d->loop, d->retry);
	if (d->c) {
		loop_del_fd(d->loop, rpc_client_sockfd(d->c));
		rpc_client_free(d->c);
	}
	free(d->sock);
	free(d->vm);
	free(d->addr);
	free(d);
}
