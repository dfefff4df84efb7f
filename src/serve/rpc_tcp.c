/* rpc_tcp.c -- the TCP transport of the control RPC. */
#include "serve/rpc_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void rpc_tcp_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len,
		       int *port)
{
	buf[0] = '\0';
	*port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)len);
		*port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf,
				  (socklen_t)len);
		else
			inet_ntop(AF_INET6, &sin6->sin6_addr, buf, (socklen_t)len);
		*port = ntohs(sin6->sin6_port);
	}
}

/* Anyone may connect: the peer is its address until the handshake. */
static void tcp_identify(int fd, struct rpc_peer *p)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	int one = 1;

	if (getpeername(fd, (struct sockaddr *)&ss, &slen) == 0)
		rpc_tcp_addr_text(&ss, p->addr, sizeof(p->addr), &p->port);
	if (!p->addr[0])
		snprintf(p->addr, sizeof(p->addr), "?");
	/* calls and replies are small records: no Nagle delay on a round trip */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p->authenticated = 0;
	p->readonly = 1;
}

/* One address's connections count together. */
static int tcp_same_peer(const struct rpc_peer *a, const struct rpc_peer *b)
{
	return !strcmp(a->addr, b->addr);
}

const struct rpc_transport rpc_tcp_transport = {
	.name = "tcp",
	.id = RPC_TCP,
	.needs_auth = 1,
	.identify = tcp_identify,
	.same_peer = tcp_same_peer,
};

/* A public service (umldir's port): anyone may call what the policies of
 * its procedures allow to every peer; there is no handshake. */
const struct rpc_transport rpc_tcp_open_transport = {
	.name = "tcp-open",
	.id = RPC_TCP_OPEN,
	.needs_auth = 0,
	.identify = tcp_identify,
	.same_peer = tcp_same_peer,
};

/* Binds and listens: 0, or -1 with errno. */
static int try_listen(int family, const void *sa, socklen_t salen, int *fdp)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, zero = 0, saved;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" takes IPv4 clients too, whatever net.ipv6.bindv6only says */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, salen) == 0 && listen(fd, 128) == 0) {
		*fdp = fd;
		return 0;
	}
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int rpc_tcp_listen(const char *bind, int port, char *addr, size_t addrlen,
		   int *bound, struct err *e)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	const char *want = bind ? bind : "::";
	int fd = -1, r;

	if (port < 0 || port > 65535) {
		err_code(e, ERR_INVAL, "tcp: port %d out of range", port);
		return -1;
	}
	sin6.sin6_port = htons((uint16_t)port);
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET6, want, &sin6.sin6_addr) == 1) {
		r = try_listen(AF_INET6, &sin6, sizeof(sin6), &fd);
		/* a host without IPv6: all addresses are its IPv4 ones */
		if (r < 0 && !bind && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
			sin.sin_addr.s_addr = htonl(INADDR_ANY);
			want = "0.0.0.0";
			r = try_listen(AF_INET, &sin, sizeof(sin), &fd);
		}
	} else if (inet_pton(AF_INET, want, &sin.sin_addr) == 1) {
		r = try_listen(AF_INET, &sin, sizeof(sin), &fd);
	} else {
		err_code(e, ERR_INVAL, "tcp: '%s' is not a numeric IPv4 or IPv6 "
			 "address", want);
		return -1;
	}
	if (r < 0) {
		err_sys(e, "tcp: cannot listen on %s port %d", want, port);
		return -1;
	}
	snprintf(addr, addrlen, "%s", want);
	*bound = port;
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0) {
		char text[46];

		rpc_tcp_addr_text(&ss, text, sizeof(text), bound);
		if (bind)
			snprintf(addr, addrlen, "%s", text);
	}
	return fd;
}
