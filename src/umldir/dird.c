/* dird.c -- the daemon umldir (see dird.h). */
#include "umldir/dird.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/paths.h"
#include "serve/loop.h"
#include "serve/rpc_server.h"
#include "serve/rpc_tcp.h"
#include "umldir/dirrpc.h"
#include "serve/privdrop.h"
#include "umldir/redir.h"
#include "umldir/registry.h"

struct dird {
	struct config *cfg;
	struct loop *loop;
	struct registry *reg;
	struct rpc_server *local;   /* the monitors, on the Unix socket */
	struct rpc_server *net;     /* anyone, on the umldir port */
	struct redir *redir;
	char *dir, *sock, *logpath;
	int dirfd;
	uid_t uid;
	gid_t gid;
};

static void on_quit(struct loop *l, int sig, void *arg)
{
	(void)arg;
	log_info("signal %d: exiting", sig);
	loop_quit(l);
}

/* Not the end of umldir (a terminal that closes, a reload by habit). */
static void on_hup(struct loop *l, int sig, void *arg)
{
	(void)l;
	(void)arg;
	log_info("signal %d: ignored (umldir reads its configuration when it "
		 "starts)", sig);
}

struct dird *dird_new(struct config *cfg, struct err *e)
{
	struct dird *d = xcalloc(1, sizeof(*d));

	d->cfg = cfg;
	d->dirfd = -1;
	d->dir = umldir_dir_path(cfg->global.vardir);
	d->sock = umldir_sock_path(cfg->global.vardir);
	d->logpath = umldir_log_path(cfg->global.vardir);
	if (privdrop_lookup(cfg->global.umldir_user, &d->uid, &d->gid, e) < 0) {
		err_prefix(e, "umldir_user");
		goto fail;
	}
	d->loop = loop_new();
	if (!d->loop) {
		err_sys(e, "epoll");
		goto fail;
	}
	if (loop_signal(d->loop, SIGTERM, on_quit, d) < 0 ||
	    loop_signal(d->loop, SIGINT, on_quit, d) < 0 ||
	    loop_signal(d->loop, SIGHUP, on_hup, d) < 0) {
		err_sys(e, "signalfd");
		goto fail;
	}
	signal(SIGPIPE, SIG_IGN);
	d->reg = registry_new();
	d->local = dirrpc_server_new(d->loop, d->reg);
	d->net = dirrpc_server_new(d->loop, d->reg);
	return d;
fail:
	dird_free(d);
	return NULL;
}

/* VARDIR/umldir, root's while root works in it (the log, the socket are
 * made there): a directory, not a link to one. */
static int own_dir(struct dird *d, struct err *e)
{
	struct stat st;

	if (mkdir_p(d->cfg->global.vardir, 0755) < 0 ||
	    (mkdir(d->dir, 0755) < 0 && errno != EEXIST)) {
		err_sys(e, "%s", d->dir);
		return -1;
	}
	d->dirfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dirfd < 0 || fstat(d->dirfd, &st) < 0 || fchown(d->dirfd, 0, 0) < 0 ||
	    fchmod(d->dirfd, 0755) < 0) {
		err_sys(e, "%s", d->dir);
		return -1;
	}
	return 0;
}

int dird_listen(struct dird *d, int keep_stderr, struct err *e)
{
	const struct global_conf *g = &d->cfg->global;
	const struct remote_conf *rc = &g->remote;
	/* [GLOBAL]'s limits, for both ports; the queues keep their defaults */
	struct rpc_limits lim;
	char addr[46];
	int lfd, port;

	if (own_dir(d, e) < 0)
		return -1;
	if (log_to_file(d->logpath, keep_stderr, UMLMON_DEFAULT_LOG_MAX,
			UMLMON_DEFAULT_LOG_KEEP) < 0)
		log_warn("%s: %s", d->logpath, strerror(errno));
	if (rpc_server_listen_unix(d->local, d->sock, 0600, (gid_t)-1, e) < 0)
		return -1;
	/* anyone may ask there (no handshake); UD_REGISTER and UD_SET_STATE
	 * are root's on the Unix socket only */
	rpc_limits_default(RPC_TCP_OPEN, &lim);
	lim.max_conns = rc->max_clients;
	lim.max_conns_per_peer = rc->max_clients_per_peer;
	lim.max_unauth = rc->max_unauth;
	lim.auth_timeout_ms = rc->auth_timeout * 1000;
	rpc_server_set_limits(d->net, RPC_TCP_OPEN, &lim);
	if (rpc_server_listen_tcp_open(d->net, g->umldir_bind, g->umldir_port,
				       e) < 0) {
		err_prefix(e, "umldir port");
		return -1;
	}
	lfd = rpc_tcp_listen(g->umldir_bind, g->umlredir_port, addr,
			     sizeof(addr), &port, e);
	if (lfd < 0) {
		err_prefix(e, "umlredir port");
		return -1;
	}
	d->redir = redir_new(d->loop, d->reg, lfd, &lim);
	if (!d->redir) {
		err_sys(e, "umlredir port");
		return -1;
	}
	/* the directory is its user's from now on: it removes the socket
	 * and rotates the log as that user */
	if (fchown(d->dirfd, d->uid, d->gid) < 0) {
		err_sys(e, "%s", d->dir);
		return -1;
	}
	log_info("listening: monitors on %s, umldir on %s port %d, umlredir "
		 "on port %d", d->sock, rpc_server_tcp_addr(d->net),
		 rpc_server_tcp_port(d->net), port);
	return 0;
}

int dird_drop(struct dird *d, struct err *e)
{
	if (privdrop(d->cfg->global.umldir_user, d->uid, d->gid, e) < 0)
		return -1;
	log_info("running as %s (uid %d)", d->cfg->global.umldir_user, (int)d->uid);
	return 0;
}

int dird_run(struct dird *d)
{
	return loop_run(d->loop);
}

void dird_free(struct dird *d)
{
	if (!d)
		return;
	redir_free(d->redir);
	rpc_server_free(d->local);
	rpc_server_free(d->net);
	registry_free(d->reg);
	loop_free(d->loop);
	if (d->dirfd >= 0)
		close(d->dirfd);
	config_free(d->cfg);
	free(d->dir);
	free(d->sock);
	free(d->logpath);
	free(d);
}
