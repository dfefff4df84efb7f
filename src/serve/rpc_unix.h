/* rpc_unix.h -- the Unix socket transport of the control RPC: the
 * listening socket (a stale one replaced, a live one refused) and who a
 * peer is (its credentials). */
#ifndef UMLMON_RPC_UNIX_H
#define UMLMON_RPC_UNIX_H

#include <sys/types.h>

#include "common/util.h"
#include "serve/rpc_server.h"

/* A listening socket at path, mode and group as given; its fd. A live
 * socket at path is an error (some other daemon serves it); a stale one
 * is replaced. */
int rpc_unix_listen(const char *path, mode_t mode, gid_t gid, struct err *e);

#endif
