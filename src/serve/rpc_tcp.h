/* rpc_tcp.h -- the TCP transport of the control RPC: the listening socket
 * (an address, or all of them on both IP versions) and who a peer is (its
 * address; it proves who it is in the handshake). */
#ifndef UMLMON_RPC_TCP_H
#define UMLMON_RPC_TCP_H

#include <stddef.h>

#include "common/util.h"
#include "serve/rpc_server.h"

/* A listening socket on bind (a numeric IPv4 or IPv6 address; NULL: all,
 * "::" dual stack, else 0.0.0.0 where the host has no IPv6) and port (0:
 * one the kernel picks); its fd. addr gets the address bound, *bound the
 * port. */
int rpc_tcp_listen(const char *bind, int port, char *addr, size_t addrlen,
		   int *bound, struct err *e);

#endif
