/* tcp.h -- umldir's connection to a monitor's TCP port (its listeners are
 * rpc_tcp's, see serve/rpc_tcp.h). */
#ifndef UMLMON_TCP_H
#define UMLMON_TCP_H

#include "common/util.h"

/* A connection to addr:port begun (non-blocking; EPOLLOUT tells its
 * end, SO_ERROR its outcome); its fd, or -1 with e. An address of "all"
 * ("0.0.0.0", "::", "") is reached on loopback. */
int tcp_connect(const char *addr, unsigned port, struct err *e);

#endif
