/* tcp.h -- umldir's TCP sockets: a listener on a numeric address (all
 * addresses by default, IPv6 and IPv4 on one socket where the host has
 * IPv6), a connection to a monitor, and addresses as text. */
#ifndef UMLMON_TCP_H
#define UMLMON_TCP_H

#include <sys/socket.h>

#include "common/util.h"

#define TCP_ADDR_TEXT 64

/* A non-blocking listening socket on bind (NULL: all addresses) and
 * port; its fd, or -1 with e naming the address and port. */
int tcp_listen(const char *bind, int port, struct err *e);
/* The port a socket is bound to. */
int tcp_local_port(int fd);
/* A connection to addr:port begun (non-blocking; EPOLLOUT tells its
 * end, SO_ERROR its outcome); its fd, or -1 with e. An address of "all"
 * ("0.0.0.0", "::", "") is reached on loopback. */
int tcp_connect(const char *addr, unsigned port, struct err *e);
/* "192.0.2.1", "2001:db8::1" (an IPv4 address mapped into IPv6 as IPv4). */
void tcp_addr_text(const struct sockaddr_storage *sa, char *buf, size_t len);

#endif
