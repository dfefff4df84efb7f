/* redir.h -- umldir's redirector (the service umlredir): a client names a
 * VM in the first record of its connection (a UD_REDIRECT call); umldir
 * connects to that VM's monitor, answers, and from then on passes the
 * bytes both ways with splice(2), the client's half-close included. */
#ifndef UMLMON_REDIR_H
#define UMLMON_REDIR_H

#include "common/util.h"

struct loop;
struct registry;
struct redir;

/* The first record: at most this long, in one fragment. */
#define REDIR_FIRST_MAX 4096

struct redir_limits {
	int max_conns;           /* connections at once */
	int max_conns_per_peer;  /* of those, from one address */
	int max_unauth;          /* of those, not yet passed on to a monitor */
	int first_timeout_ms;    /* from accept to the monitor's connection */
};

/* Serves the listening socket lfd (takes it). */
struct redir *redir_new(struct loop *l, struct registry *reg, int lfd,
			const struct redir_limits *lim);
/* Closes the listener and every connection. */
void redir_free(struct redir *r);
int redir_nconns(const struct redir *r);

#endif
