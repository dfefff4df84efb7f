/* dirrpc.h -- the procedures of umldir.x as umldir serves them: on its
 * Unix socket for the monitors (UD_REGISTER, UD_SET_STATE: root), on its
 * TCP port for anyone (UD_NULL, UD_LIST, UD_GET_PORT). */
#ifndef UMLMON_DIRRPC_H
#define UMLMON_DIRRPC_H

#include "umldir.h"
#include "common/util.h"

struct loop;
struct registry;
struct rpc_server;

/* A server of umldir.x on the registry; a connection's registrations end
 * with it. */
struct rpc_server *dirrpc_server_new(struct loop *l, struct registry *reg);

/* The status of an error's code. */
ud_status ud_status_of(enum err_code code);
/* Fills a result: status and message (the old message freed). */
void ud_set(ud_result *r, ud_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
