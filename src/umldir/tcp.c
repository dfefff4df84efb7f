/* tcp.c -- umldir's connection to a monitor (see tcp.h). */
#include "umldir/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
