/* remotebench -- the client side of bench/remote.sh, with the client code
 * umlwatch uses (rpc_client, client/remote.c).
 *
 *   remotebench null-unix SOCK N
 *       N null calls, one at a time, on a monitor's Unix socket
 *   remotebench null-tcp HOST PORT VM N [redir]
 *       the same on an authenticated TCP connection, found through
 *       umldir's get_port (PORT: umldir's) or through the redirector
 *       (PORT: the redirector's); the password from $UMLWATCH_PASSWORD
 *   remotebench handshakes HOST PORT VM N [redir]
 *       N connections, each through umldir (or the redirector) and the
 *       whole handshake, as umlwatch makes them (key derivation included)
 *   remotebench derive VM ITERATIONS N
 *       the client's key derivation alone, N times
 *   remotebench source NAME DIRSOCK
 *       a stand-in for a monitor: registers NAME with umldir (root, its
 *       Unix socket) on all addresses and a port of its own, then writes zeros
 *       to every connection until the peer leaves; and echoes what it
 *       reads on a second port; prints "ready PORT echo PORT"
 *   remotebench pingpong HOST PORT N
 *       N one-byte round trips to that echo port: what TCP on the link
 *       costs, with no RPC
 *   remotebench pull HOST PORT MIB [NAME]
 *       reads MIB MiB from HOST:PORT (the source directly, or with NAME
 *       through the redirector at PORT): raw bytes on the splice path
 *
 * The timed modes print one line: "NAME n=N per_s=... median_us=...
 * p99_us=..." or "pull bytes=... ns=... mib_s=...". */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/remote.h"
#include "common/auth.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "common/util.h"
#include "umldir.h"
#include "umlmonctrl.h"

#define STEP_MS 30000

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "remotebench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Prints the figure of n timed steps (t: each one's ns; total: all). */
static void report(const char *name, long long *t, int n, long long total)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_ll);
	printf("%s n=%d per_s=%.0f median_us=%.1f p99_us=%.1f\n", name, n,
	       n / (total / 1e9), t[n / 2] / 1000.0, t[(int)(n * 0.99)] / 1000.0);
}

static const char *password(void)
{
	const char *pw = getenv("UMLWATCH_PASSWORD");

	if (!pw || !*pw)
		die("$UMLWATCH_PASSWORD is not set");
	return pw;
}

static struct rpc_client *open_remote(const char *h, const char *port,
				      const char *vm, int redir)
{
	struct remote_target t = {.port = atoi(port), .redir = redir,
				  .timeout_ms = STEP_MS};
	struct rpc_client *c;
	struct err e;

	snprintf(t.host, sizeof(t.host), "%s", h);
	c = remote_open(&t, vm, password(), &e);
	if (!c)
		die("%s", e.msg);
	return c;
}

static void null_calls(const char *name, struct rpc_client *c, int n)
{
	long long *t = xcalloc((size_t)n, sizeof(*t)), t0;
	struct err e;

	/* warm up */
	for (int i = 0; i < 100; i++)
		if (rpc_client_call(c, UM_NULL, (xdrproc_t)xdr_rpc_void, NULL,
				    (xdrproc_t)xdr_rpc_void, NULL, STEP_MS, &e) < 0)
			die("null call: %s", e.msg);
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		long long s = now_ns();

		if (rpc_client_call(c, UM_NULL, (xdrproc_t)xdr_rpc_void, NULL,
				    (xdrproc_t)xdr_rpc_void, NULL, STEP_MS, &e) < 0)
			die("null call: %s", e.msg);
		t[i] = now_ns() - s;
	}
	report(name, t, n, now_ns() - t0);
	free(t);
}

static void handshakes(const char *h, const char *port, const char *vm, int n,
		       int redir)
{
	long long *t = xcalloc((size_t)n, sizeof(*t)), t0 = now_ns();

	for (int i = 0; i < n; i++) {
		long long s = now_ns();

		rpc_client_free(open_remote(h, port, vm, redir));
		t[i] = now_ns() - s;
	}
	report(redir ? "handshakes-redir" : "handshakes", t, n, now_ns() - t0);
	free(t);
}

static void derive(const char *vm, unsigned iterations, int n)
{
	long long *t = xcalloc((size_t)n, sizeof(*t)), t0 = now_ns();
	struct auth_key k;
	struct err e;

	for (int i = 0; i < n; i++) {
		long long s = now_ns();

		if (auth_derive("a password of a VM", vm, iterations, &k, &e) < 0)
			die("%s", e.msg);
		t[i] = now_ns() - s;
	}
	report("derive", t, n, now_ns() - t0);
	free(t);
}

/* Writes zeros until the peer leaves. */
static void feed(int fd)
{
	static char buf[1 << 18];

	for (;;) {
		ssize_t w = write(fd, buf, sizeof(buf));

		if (w < 0 && errno != EINTR)
			break;
	}
	close(fd);
}

/* Sends back what it reads until the peer leaves. */
static void echo(int fd)
{
	char buf[4096];
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)r) < 0)
			break;
	close(fd);
}

/* A listening socket on all addresses, any port; *port: which. */
static int listen_any(unsigned *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_ANY)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 64) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("listen: %s", strerror(errno));
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Serves each connection of the two listeners with its function, in a
 * process of its own that ends with the peer (or with us). */
static void serve(int lfd, void (*fn)(int), int efd, void (*efn)(int))
{
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		struct pollfd p[2] = {{lfd, POLLIN, 0}, {efd, POLLIN, 0}};
		int one = 1;

		if (poll(p, 2, -1) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			int fd;

			if (!(p[i].revents & POLLIN) ||
			    (fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
				continue;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			if (fork() == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				(i ? efn : fn)(fd);
				_exit(0);
			}
			close(fd);
		}
	}
}

static void source(const char *name, const char *dirsock)
{
	ud_register_args a;
	struct rpc_client *c;
	ud_result r;
	struct err e;
	unsigned port, eport;
	/* all addresses, as a monitor without tcp_bind */
	int lfd = listen_any(&port), efd = listen_any(&eport);

	c = rpc_client_unix(dirsock, UMLDIR_PROG, UMLDIR_V1, &e);
	if (!c)
		die("%s", e.msg);
	memset(&a, 0, sizeof(a));
	a.vm = (char *)name;
	a.state = "running";
	a.addr = "0.0.0.0";
	a.port = port;
	a.pid = getpid();
	memset(&r, 0, sizeof(r));
	if (rpc_client_call(c, UD_REGISTER, (xdrproc_t)xdr_ud_register_args, &a,
			    (xdrproc_t)xdr_ud_result, &r, STEP_MS, &e) < 0)
		die("register: %s", e.msg);
	if (r.status != UD_OK)
		die("register: %s", r.message);
	xdr_free((xdrproc_t)xdr_ud_result, (char *)&r);
	printf("ready %u echo %u\n", port, eport);
	fflush(stdout);
	/* the registration lasts as long as c: kept open until killed */
	serve(lfd, feed, efd, echo);
}

/* A TCP connection to an IPv4 address, without Nagle's delay. */
static int tcp_connect(const char *h, const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	sa.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, h, &sa.sin_addr) != 1)
		die("%s: not an IPv4 address", h);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("%s port %s: %s", h, port, strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* The baseline of a round trip: n bytes sent one at a time to an echo
 * server over TCP, each waited for. */
static void pingpong(const char *h, const char *port, int n)
{
	long long *t = xcalloc((size_t)n, sizeof(*t)), t0;
	int fd = tcp_connect(h, port);
	char b = 'x';

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		long long s = now_ns();

		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
			die("echo: %s", strerror(errno));
		t[i] = now_ns() - s;
	}
	report("pingpong", t, n, now_ns() - t0);
	close(fd);
	free(t);
}

static void pull(const char *h, const char *port, long mib, const char *name)
{
	static char buf[1 << 18];
	uint64_t want = (uint64_t)mib << 20, got = 0;
	long long t0;
	int fd = tcp_connect(h, port);

	t0 = now_ns();
	if (name) {
		/* the redirector's answer; what follows it is the source's */
		struct rpc_out out = {0};
		struct rpc_in in = {0};
		const uint8_t *rec;
		size_t len;
		ud_port_res pr;
		struct rpc_msg m;
		char *vm = (char *)name;
		XDR x;
		int k;

		if (rpc_out_call(&out, 1, UMLDIR_PROG, UMLDIR_V1, UD_REDIRECT,
				 (xdrproc_t)xdr_wrapstring, &vm) < 0 ||
		    write_all(fd, out.buf, out.len) < 0)
			die("UD_REDIRECT: %s", strerror(errno));
		while ((k = rpc_in_next(&in, &rec, &len)) == 0)
			if (rpc_in_read(&in, fd) <= 0)
				die("the redirector closed the connection");
		if (k < 0)
			die("the redirector's reply is broken");
		memset(&m, 0, sizeof(m));
		memset(&pr, 0, sizeof(pr));
		m.acpted_rply.ar_results.where = (caddr_t)&pr;
		m.acpted_rply.ar_results.proc = (xdrproc_t)xdr_ud_port_res;
		xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
		if (!xdr_replymsg(&x, &m) || pr.res.status != UD_OK)
			die("UD_REDIRECT %s: %s", name, pr.res.message ? pr.res.message : "bad reply");
		xdr_destroy(&x);
		xdr_free((xdrproc_t)xdr_ud_port_res, (char *)&pr);
		got = in.len;
		rpc_in_free(&in);
		rpc_out_free(&out);
	}
	while (got < want) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0)
			die("read after %llu bytes: %s", (unsigned long long)got,
			    r ? strerror(errno) : "end of stream");
		got += (uint64_t)r;
	}
	{
		long long ns = now_ns() - t0;

		printf("pull bytes=%llu ns=%lld mib_s=%.1f\n", (unsigned long long)got,
		       ns, got / (ns / 1e9) / 1048576.0);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	struct err e;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "null-unix") && argc == 4) {
		struct rpc_client *c = rpc_client_unix(argv[2], UMLMONCTRL_PROG,
						       UMLMONCTRL_V1, &e);

		if (!c)
			die("%s", e.msg);
		null_calls("null-unix", c, atoi(argv[3]));
		rpc_client_free(c);
	} else if (!strcmp(m, "null-tcp") && (argc == 6 || argc == 7)) {
		int redir = argc == 7 && !strcmp(argv[6], "redir");
		struct rpc_client *c = open_remote(argv[2], argv[3], argv[4], redir);

		null_calls(redir ? "null-redir" : "null-tcp", c, atoi(argv[5]));
		rpc_client_free(c);
	} else if (!strcmp(m, "handshakes") && (argc == 6 || argc == 7)) {
		handshakes(argv[2], argv[3], argv[4], atoi(argv[5]),
			   argc == 7 && !strcmp(argv[6], "redir"));
	} else if (!strcmp(m, "derive") && argc == 5) {
		derive(argv[2], (unsigned)atoi(argv[3]), atoi(argv[4]));
	} else if (!strcmp(m, "source") && argc == 4) {
		source(argv[2], argv[3]);
	} else if (!strcmp(m, "pingpong") && argc == 5) {
		pingpong(argv[2], argv[3], atoi(argv[4]));
	} else if (!strcmp(m, "pull") && (argc == 5 || argc == 6)) {
		pull(argv[2], argv[3], atol(argv[4]), argc == 6 ? argv[5] : NULL);
	} else {
		fprintf(stderr, "usage: remotebench null-unix SOCK N | null-tcp HOST PORT VM N [redir]\n"
			"       | handshakes HOST PORT VM N [redir] | derive VM ITERATIONS N\n"
			"       | source NAME DIRSOCK | pull HOST PORT MIB [NAME]\n"
			"       | pingpong HOST PORT N\n");
		return 2;
	}
	return 0;
}
