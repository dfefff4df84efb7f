/* web.h -- umlweb, the web console (umlweb(8)): a libwebsockets server of
 * the static front end, a JSON API on the monitors' RPC, and a WebSocket
 * per console. The daemon's main only calls these. */
#ifndef UMLMON_WEB_H
#define UMLMON_WEB_H

#include "common/config.h"
#include "common/util.h"

struct web;

/* Takes cfg. root: the front end's files. Reads, as root, the passwords'
 * keys of every VM (its own and the master's), never kept as text. */
struct web *web_new(struct config *cfg, const char *root, struct err *e);
/* Binds web_bind:web_port (TLS with web_tls_cert and web_tls_key). */
int web_listen(struct web *w, struct err *e);
/* Becomes web_user, with the group of the control sockets (ctrl_group),
 * for good. */
int web_drop(struct web *w, struct err *e);
/* Serves until SIGTERM or SIGINT. */
int web_run(struct web *w);
void web_free(struct web *w);

#endif
