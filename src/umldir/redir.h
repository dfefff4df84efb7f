/* redir.h -- umldir's redirector (the service umlredir): a client names a
 * VM in the first record of its connection (a UD_REDIRECT call); umldir
 * connects to that VM's monitor, answers, and from then on passes the
 * bytes both ways with splice(2), the client's half-close included. */
#ifndef UMLMON_REDIR_H
#define UMLMON_REDIR_H

#include "common/util.h"
#include "serve/rpc_server.h"

struct loop;
struct registry;
struct redir;

/* The first record: at most this long, in one fragment. */
#define REDIR_FIRST_MAX 4096

/* Serves the listening socket lfd (takes it) within lim: max_conns at
 * once, max_conns_per_peer from one address, max_unauth not yet passed on
 * to a monitor, auth_timeout_ms from accept to the monitor's connection
 * (the queues are the pipes', not counted). */
struct redir *redir_new(struct loop *l, struct registry *reg, int lfd,
			const struct rpc_limits *lim);
/* Closes the listener and every connection. */
void redir_free(struct redir *r);
int redir_nconns(const struct redir *r);

#endif
