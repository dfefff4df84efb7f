/* ctrl_auth.h -- the handlers of the handshake procedures (ctrl.c's table,
 * policy RPC_AUTH). */
#ifndef UMLMON_CTRL_AUTH_H
#define UMLMON_CTRL_AUTH_H

#include "serve/rpc_server.h"

enum rpc_outcome ctrl_auth_hello(struct rpc_call *call, void *args, void *res);
enum rpc_outcome ctrl_auth_prove(struct rpc_call *call, void *args, void *res);

#endif
