/* wsbench -- a console's WebSocket client in C for bench/web.sh: the
 * keystroke round trip through umlweb without a JavaScript runtime, so
 * that what umlweb adds is told apart from what the browser adds.
 *
 *   wsbench rtt N PORT VM     logs in on 127.0.0.1:PORT with the master
 *                             password ($MASTER_PW), opens VM's con1 and
 *                             times N keystrokes, each until its echo
 *
 * Prints: rtt n=N median_us=... p99_us=... max_us=... (as ttybench). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rtt.h"

static void die(const char *what)
{
	fprintf(stderr, "wsbench: %s\n", what);
	exit(1);
}

static int dial(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	/* as browsers do: a keystroke is not held back */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void send_all(int fd, const void *buf, size_t n)
{
	if (write(fd, buf, n) != (ssize_t)n)
		die("write");
}

/* An HTTP answer's head (up to the blank line) into buf. */
static void read_head(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (!strstr(buf, "\r\n\r\n")) {
		ssize_t n;

		if (len == size - 1)
			die("HTTP answer too long");
		n = read(fd, buf + len, 1);
		if (n <= 0)
			die("HTTP answer cut");
		buf[++len] = '\0';
	}
}

/* The session cookie "umlweb=..." of a login with the master password. */
static void login(int port, const char *pw, char *cookie, size_t size)
{
	char req[1024], head[8192] = "", body[512];
	const char *c;
	int fd = dial(port);

	snprintf(body, sizeof(body), "vm=&password=%s", pw);
	snprintf(req, sizeof(req), "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		 "Content-Type: application/x-www-form-urlencoded\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		 port, strlen(body), body);
	send_all(fd, req, strlen(req));
	read_head(fd, head, sizeof(head));
	c = strcasestr(head, "\r\nset-cookie: ");
	if (strncmp(head, "HTTP/1.1 200", 12) || !c)
		die("login refused");
	c += 14;
	snprintf(cookie, size, "%.*s", (int)strcspn(c, ";\r"), c);
	close(fd);
}

/* A binary frame from the client (masked, as the protocol wants). */
static void send_frame(int fd, const void *data, size_t n)
{
	unsigned char f[2 + 4 + 125];
	const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};

	f[0] = 0x82;
	f[1] = (unsigned char)(0x80 | n);
	memcpy(f + 2, mask, 4);
	for (size_t i = 0; i < n; i++)
		f[6 + i] = ((const unsigned char *)data)[i] ^ mask[i % 4];
	send_all(fd, f, 6 + n);
}

/* Reads frames until an 'o' frame holding byte c (the server's frames
 * are unmasked; short reads are kept for the next call). */
static int wait_echo(int fd, char c)
{
	static unsigned char buf[1 << 17];
	static size_t len;

	for (;;) {
		while (len >= 2) {
			size_t hl = 2, pl = buf[1] & 0x7f;

			if (pl == 126) {
				if (len < 4)
					break;
				pl = (size_t)buf[2] << 8 | buf[3];
				hl = 4;
			} else if (pl == 127) {
				die("frame too big");
			}
			if (len < hl + pl)
				break;
			int hit = pl > 1 && buf[hl] == 'o' && memchr(buf + hl + 1, c, pl - 1);

			memmove(buf, buf + hl + pl, len - hl - pl);
			len -= hl + pl;
			if (hit)
				return 0;
		}
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return -1;
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	const char keys[] = "abcdefghijklmnopqrstuvwxyz";
	char cookie[512], req[2048], head[8192] = "";
	const char *pw = getenv("MASTER_PW");
	long long *t;
	int n, port, fd;

	if (argc != 5 || strcmp(argv[1], "rtt") || !pw) {
		fprintf(stderr, "usage: MASTER_PW=... wsbench rtt N PORT VM\n");
		return 2;
	}
	n = atoi(argv[2]);
	port = atoi(argv[3]);
	if (n < 1)
		die("N must be at least 1");
	login(port, pw, cookie, sizeof(cookie));
	fd = dial(port);
	snprintf(req, sizeof(req), "GET /ws?vm=%s&chan=con1&rows=24&cols=80 HTTP/1.1\r\n"
		 "Host: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\nCookie: %s\r\n"
		 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		 "Sec-WebSocket-Protocol: umlweb-console\r\n"
		 "Sec-WebSocket-Version: 13\r\n\r\n", argv[4], port, port, cookie);
	send_all(fd, req, strlen(req));
	read_head(fd, head, sizeof(head));
	if (strncmp(head, "HTTP/1.1 101", 12))
		die("WebSocket refused");
	t = calloc((size_t)n, sizeof(*t));
	/* warm up (the screen comes first and passes here) */
	for (int i = 0; i < 20; i++) {
		char k[2] = {'i', keys[i % 26]};

		send_frame(fd, k, 2);
		if (wait_echo(fd, k[1]) < 0)
			die("warm-up echo");
	}
	for (int i = 0; i < n; i++) {
		char k[2] = {'i', keys[i % 26]};
		long long t0 = now_ns();

		send_frame(fd, k, 2);
		if (wait_echo(fd, k[1]) < 0)
			die("echo");
		t[i] = now_ns() - t0;
	}
	rtt_print(t, n);
	free(t);
	close(fd);
	return 0;
}
