/* rpc_tcp.h -- the TCP transport of the control RPC: the listening socket
 * (an address, or all of them on both IP versions) and who a peer is (its
 * address; it proves who it is in the handshake). */
#ifndef UMLMON_RPC_TCP_H
#define UMLMON_RPC_TCP_H

#include <stddef.h>
#include <sys/socket.h>

#include "common/util.h"
#include "serve/rpc_server.h"

/* A listening socket on bind (a numeric IPv4 or IPv6 address; NULL: all,
 * "::" dual stack, else 0.0.0.0 where the host has no IPv6) and port (0:
 * one the kernel picks); its fd. addr gets the address bound, *bound the
 * port. */
int rpc_tcp_listen(const char *bind, int port, char *addr, size_t addrlen,
		   int *bound, struct err *e);
/* The text of an address ("192.0.2.1", "2001:db8::1"; an IPv4 client of
 * a dual-stack socket as the IPv4 address it is, not "::ffff:192.0.2.1")
 * and its port. */
void rpc_tcp_addr_text(const struct sockaddr_storage *ss, char *buf,
		       size_t len, int *port);

#endif
