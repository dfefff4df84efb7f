/* tcp.c -- umldir's TCP sockets (see tcp.h). */
#include "umldir/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int listen_on(int family, const void *addr, socklen_t len, int *err)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0;

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "::" takes IPv4 too */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, addr, len) < 0 || listen(fd, 128) < 0) {
		*err = errno;
		close(fd);
		return -1;
	}
	return fd;
}

int tcp_listen(const char *bind, int port, struct err *e)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd, err = 0;

	if (!bind) {
		s6.sin6_addr = in6addr_any;
		fd = listen_on(AF_INET6, &s6, sizeof(s6), &err);
		/* a host without IPv6 */
		if (fd < 0 && (err == EAFNOSUPPORT || err == EADDRNOTAVAIL)) {
			s4.sin_addr.s_addr = htonl(INADDR_ANY);
			fd = listen_on(AF_INET, &s4, sizeof(s4), &err);
		}
	} else if (inet_pton(AF_INET, bind, &s4.sin_addr) == 1) {
		fd = listen_on(AF_INET, &s4, sizeof(s4), &err);
	} else if (inet_pton(AF_INET6, bind, &s6.sin6_addr) == 1) {
		fd = listen_on(AF_INET6, &s6, sizeof(s6), &err);
	} else {
		err_code(e, ERR_INVAL, "'%s' is not a numeric IP address", bind);
		return -1;
	}
	if (fd < 0) {
		errno = err;
		err_sys(e, "TCP port %d on %s", port, bind ? bind : "all addresses");
	}
	return fd;
}

int tcp_local_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	if (sa.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&sa)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
}

int tcp_connect(const char *addr, unsigned port, struct err *e)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct sockaddr *sa;
	socklen_t len;
	int fd, one = 1;

	if (!*addr || !strcmp(addr, "0.0.0.0")) {
		s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa = (struct sockaddr *)&s4;
		len = sizeof(s4);
	} else if (!strcmp(addr, "::")) {
		s6.sin6_addr = in6addr_loopback;
		sa = (struct sockaddr *)&s6;
		len = sizeof(s6);
	} else if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
		sa = (struct sockaddr *)&s4;
		len = sizeof(s4);
	} else if (inet_pton(AF_INET6, addr, &s6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&s6;
		len = sizeof(s6);
	} else {
		err_code(e, ERR_INVAL, "'%s' is not a numeric IP address", addr);
		return -1;
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_sys(e, "socket");
		return -1;
	}
	/* keystrokes go at once */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
		err_sys(e, "connect to %s port %u", addr, port);
		close(fd);
		return -1;
	}
	return fd;
}

void tcp_addr_text(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

	if (sa->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, (socklen_t)len);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)len);
	else if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)len);
	else
		snprintf(buf, len, "?");
}
