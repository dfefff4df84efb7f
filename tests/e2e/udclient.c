/* udclient -- a client of umldir for remote_umldir.sh: its RPC port
 * (list, get-port), the monitors' socket (a fake monitor that registers
 * itself, optionally an echo server behind the port it registers), the
 * redirector (a UD_REDIRECT alone, with pipelined calls behind it, a bulk
 * echo with a half-close), raw abuse (garbage, a 2 GiB record mark,
 * a connection that never speaks) that must end in a close, and a real
 * monitor's port reached directly or through the redirector (the
 * handshake's first call answered by the monitor, any other call first
 * closed unanswered). Each mode
 * exits 1 with the reason when umldir fails it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "umldir.h"
#include "umlmonctrl.h"
#include "common/auth.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "common/util.h"

#define WAIT_MS 10000

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "udclient: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static const char *status_name(ud_status st)
{
	static const char *names[] = {"UD_OK", "UD_EINVAL", "UD_ENOENT", "UD_EPERM",
				      "UD_EIO", "UD_EBUSY", "UD_ENOTCP"};

	return (unsigned)st < ARRAY_SIZE(names) ? names[st] : "UD_?";
}

static int tcp_to(const char *host, const char *port)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	int fd, one = 1;

	s4.sin_port = s6.sin6_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, host, &s4.sin_addr) == 1) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&s4, sizeof(s4)) == 0)
			goto ok;
	} else if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1) {
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&s6, sizeof(s6)) == 0)
			goto ok;
	} else {
		fail("%s: not a numeric address", host);
	}
	fail("%s port %s: %s", host, port, strerror(errno));
ok:
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int unix_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail("%s: %s", path, strerror(errno));
	return fd;
}

static struct rpc_client *client(int fd)
{
	return rpc_client_fd(fd, UMLDIR_PROG, UMLDIR_V1);
}

static void call(struct rpc_client *c, uint32_t proc, xdrproc_t xa, void *a,
		 xdrproc_t xr, void *r)
{
	struct err e;

	if (rpc_client_call(c, proc, xa, a, xr, r, WAIT_MS, &e) < 0)
		fail("procedure %u: %s", proc, e.msg);
}

static int do_list(char **av)
{
	struct rpc_client *c = client(tcp_to(av[0], av[1]));
	ud_list_res r;

	memset(&r, 0, sizeof(r));
	call(c, UD_LIST, (xdrproc_t)xdr_rpc_void, NULL, (xdrproc_t)xdr_ud_list_res, &r);
	if (r.res.status != UD_OK)
		fail("list: %s: %s", status_name(r.res.status), r.res.message);
	for (u_int i = 0; i < r.vms.vms_len; i++) {
		ud_entry *d = &r.vms.vms_val[i];

		printf("%s %s %u %s %d\n", d->vm, d->state, d->port,
		       d->tls ? "tls" : "plain", d->pid);
	}
	xdr_free((xdrproc_t)xdr_ud_list_res, (char *)&r);
	rpc_client_free(c);
	return 0;
}

static int print_port_res(const ud_port_res *r)
{
	if (r->res.status != UD_OK) {
		printf("%s: %s\n", status_name(r->res.status), r->res.message);
		return 1;
	}
	printf("port %u %s\n", r->port, r->tls ? "tls" : "plain");
	return 0;
}

static int do_get_port(char **av)
{
	struct rpc_client *c = client(tcp_to(av[0], av[1]));
	ud_port_res r;
	int rc;

	memset(&r, 0, sizeof(r));
	call(c, UD_GET_PORT, (xdrproc_t)xdr_wrapstring, &av[2],
	     (xdrproc_t)xdr_ud_port_res, &r);
	rc = print_port_res(&r);
	xdr_free((xdrproc_t)xdr_ud_port_res, (char *)&r);
	rpc_client_free(c);
	return rc;
}

/* Registers VM as this process on fd (the monitors' socket, or for the
 * test of a refusal the TCP port); the result's status (printed) and the
 * connection that holds the registration. */
static int register_on(int fd, const char *vm, unsigned port, int *fdp)
{
	struct rpc_client *c = client(fd);
	ud_register_args a = {(char *)vm, "running", "127.0.0.1", port, 0, getpid()};
	ud_result r;
	int rc;

	memset(&r, 0, sizeof(r));
	call(c, UD_REGISTER, (xdrproc_t)xdr_ud_register_args, &a,
	     (xdrproc_t)xdr_ud_result, &r);
	rc = r.status == UD_OK ? 0 : 1;
	if (rc)
		printf("%s: %s\n", status_name(r.status), r.message);
	xdr_free((xdrproc_t)xdr_ud_result, (char *)&r);
	/* the registration lasts as long as the connection: kept open */
	*fdp = dup(rpc_client_sockfd(c));
	rpc_client_free(c);
	return rc;
}

/* Until stdin ends (the test's pipe closes). */
static void wait_stdin(void)
{
	char b;

	while (read(0, &b, 1) > 0)
		;
}

static int do_register(char **av)
{
	int fd;

	if (register_on(unix_to(av[0]), av[1], (unsigned)atoi(av[2]), &fd))
		return 1;
	printf("registered\n");
	fflush(stdout);
	wait_stdin();
	close(fd);
	return 0;
}

static int do_register_tcp(char **av)
{
	int fd, rc = register_on(tcp_to(av[0], av[1]), av[2], 7301, &fd);

	close(fd);
	return rc;
}

/* Echoes one connection: what comes goes back; its end of file is passed
 * back as ours (shutdown) once all went back. */
static void echo_conn(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)n) < 0)
			break;
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static int do_echo(char **av)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), reg;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 16) < 0 || getsockname(lfd, (struct sockaddr *)&sa, &len) < 0)
		fail("echo listener: %s", strerror(errno));
	if (register_on(unix_to(av[0]), av[1], ntohs(sa.sin_port), &reg))
		return 1;
	printf("registered %u\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = {{0, POLLIN, 0}, {lfd, POLLIN, 0}};
		char b;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
		if (p[0].revents && read(0, &b, 1) <= 0)
			break;
		if (p[1].revents & POLLIN) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (cfd >= 0)
				echo_conn(cfd);
		}
	}
	close(reg);
	return 0;
}

/* Reads whole records from fd into in until one is there; -1 at the end
 * of the stream. */
static int next_record(int fd, struct rpc_in *in, const uint8_t **rec, size_t *len)
{
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		int k = rpc_in_next(in, rec, len);

		if (k < 0)
			fail("an oversized record");
		if (k == 1)
			return 0;
		if (poll(&p, 1, WAIT_MS) <= 0)
			fail("no answer within %d ms", WAIT_MS);
		if (rpc_in_read(in, fd) <= 0)
			return -1;
	}
}

/* Decodes the reply to the call xid into r: 0, or -1 (printed) when the
 * call was refused the RPC way. */
static int decode_reply(const uint8_t *rec, size_t len, uint32_t xid,
			xdrproc_t xr, void *r)
{
	char verf[MAX_AUTH_BYTES];
	struct rpc_msg m;
	XDR x;
	int ok;

	memset(&m, 0, sizeof(m));
	m.acpted_rply.ar_verf.oa_base = verf;
	m.acpted_rply.ar_results.where = r;
	m.acpted_rply.ar_results.proc = xr;
	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	ok = xdr_replymsg(&x, &m);
	xdr_destroy(&x);
	if (!ok)
		fail("a reply that does not decode");
	if (m.rm_xid != xid)
		fail("the reply to call %u came for call %u", xid, m.rm_xid);
	if (m.rm_reply.rp_stat != MSG_ACCEPTED || m.acpted_rply.ar_stat != SUCCESS) {
		printf("refused: %s\n", rpc_reply_error(&m));
		return -1;
	}
	return 0;
}

/* Connects to the redirector and asks for VM, with n UD_LIST calls (to
 * umldir's own port, which a fake monitor registered) sent in the same
 * write. The answer's status; the connection in *fdp, in. */
static int redirect(char **av, int n, int *fdp, struct rpc_in *in)
{
	struct rpc_out out = {0};
	const uint8_t *rec;
	ud_port_res r;
	size_t len;
	int fd = tcp_to(av[0], av[1]), rc;

	rpc_out_call(&out, 1, UMLDIR_PROG, UMLDIR_V1, UD_REDIRECT,
		     (xdrproc_t)xdr_wrapstring, &av[2]);
	for (int i = 0; i < n; i++)
		rpc_out_call(&out, 100 + i, UMLDIR_PROG, UMLDIR_V1, UD_LIST,
			     (xdrproc_t)xdr_rpc_void, NULL);
	if (write_all(fd, out.buf + out.start, out.len - out.start) < 0)
		fail("write: %s", strerror(errno));
	rpc_out_free(&out);
	if (next_record(fd, in, &rec, &len) < 0) {
		printf("closed without an answer\n");
		exit(1);
	}
	memset(&r, 0, sizeof(r));
	if (decode_reply(rec, len, 1, (xdrproc_t)xdr_ud_port_res, &r) < 0)
		exit(1);
	rc = print_port_res(&r);
	xdr_free((xdrproc_t)xdr_ud_port_res, (char *)&r);
	*fdp = fd;
	return rc;
}

static int do_redirect(char **av)
{
	struct rpc_in in = {0};
	int fd, rc = redirect(av, 0, &fd, &in);

	close(fd);
	rpc_in_free(&in);
	return rc;
}

static int do_redirect_rpc(char **av)
{
	struct rpc_in in = {0};
	int n = atoi(av[3]), fd, vms = -1;

	if (redirect(av, n, &fd, &in))
		return 1;
	for (int i = 0; i < n; i++) {
		const uint8_t *rec;
		size_t len;
		ud_list_res r;

		if (next_record(fd, &in, &rec, &len) < 0)
			fail("the connection ended after %d of %d replies", i, n);
		memset(&r, 0, sizeof(r));
		if (decode_reply(rec, len, 100 + (uint32_t)i,
				 (xdrproc_t)xdr_ud_list_res, &r) < 0)
			return 1;
		if (vms < 0)
			vms = (int)r.vms.vms_len;
		xdr_free((xdrproc_t)xdr_ud_list_res, (char *)&r);
	}
	printf("%d replies through the redirector, listing %d VMs\n", n, vms);
	close(fd);
	rpc_in_free(&in);
	return 0;
}

/* The byte at offset i of the stream. */
static uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

/* Sends total bytes on fd while it reads them back, then its end of
 * file, and reads to the end: the echo must be whole and in order. */
static int bulk(int fd, uint64_t total, const char *how)
{
	uint64_t sent = 0, got = 0;
	int64_t t0 = now_ms(), ms;
	uint8_t buf[65536];

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (sent < total)
			p.events |= POLLOUT;
		if (poll(&p, 1, WAIT_MS) <= 0)
			fail("stalled after %llu bytes sent, %llu echoed",
			     (unsigned long long)sent, (unsigned long long)got);
		if (p.revents & POLLOUT) {
			size_t k = total - sent < sizeof(buf) ? total - sent : sizeof(buf);

			for (size_t i = 0; i < k; i++)
				buf[i] = pattern(sent + i);
			n = send(fd, buf, k, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				fail("send: %s", strerror(errno));
			if (n > 0)
				sent += (uint64_t)n;
			/* our end of file, passed on to the echo server */
			if (sent == total && shutdown(fd, SHUT_WR) < 0)
				fail("shutdown: %s", strerror(errno));
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0)
				break;
			if (n < 0 && errno != EAGAIN)
				fail("recv after %llu bytes: %s",
				     (unsigned long long)got, strerror(errno));
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] != pattern(got + (uint64_t)i))
					fail("byte %llu differs",
					     (unsigned long long)(got + (uint64_t)i));
			if (n > 0)
				got += (uint64_t)n;
		}
	}
	if (got != total)
		fail("%llu bytes came back of %llu", (unsigned long long)got,
		     (unsigned long long)total);
	ms = now_ms() - t0;
	printf("echoed %llu bytes both ways %s in %lld ms (%.1f MB/s), end of "
	       "file passed on\n", (unsigned long long)total, how, (long long)ms,
	       ms ? (double)total / 1e3 / (double)ms : 0.0);
	close(fd);
	return 0;
}

static int do_redirect_echo(char **av)
{
	struct rpc_in in = {0};
	int fd;

	if (redirect(av, 0, &fd, &in))
		return 1;
	if (in.len)
		fail("%zu bytes behind the answer before anything was sent", in.len);
	rpc_in_free(&in);
	return bulk(fd, strtoull(av[3], NULL, 10), "through the redirector");
}

/* The same straight to the echo server's port, for comparison. */
static int do_direct_echo(char **av)
{
	return bulk(tcp_to(av[0], av[1]), strtoull(av[2], NULL, 10), "directly");
}

/* Sends what mode says and waits for umldir to close the connection. */
static int do_raw(char **av)
{
	int fd = tcp_to(av[0], av[1]);
	const char *mode = av[2];
	uint8_t buf[4096];
	int64_t t0;
	size_t got = 0;

	if (!strcmp(mode, "garbage")) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(i * 7 + 3);
		/* a mark of one fragment of 1000 bytes, then no RPC call */
		buf[0] = 0x80, buf[1] = 0, buf[2] = 0x03, buf[3] = 0xe8;
		write_all(fd, buf, 1004);
	} else if (!strcmp(mode, "bigmark")) {
		/* a record of 2 GiB - 1, its last fragment */
		static const uint8_t mark[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};

		write_all(fd, mark, sizeof(mark));
	} else if (!strcmp(mode, "fragment")) {
		/* a first fragment that is not the last */
		static const uint8_t mark[] = {0x00, 0x00, 0x00, 0x10};

		write_all(fd, mark, sizeof(mark));
	} else if (strcmp(mode, "silent")) {
		fail("unknown raw mode '%s'", mode);
	}
	t0 = now_ms();
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, WAIT_MS) <= 0)
			fail("%s: still open after %d ms", mode, WAIT_MS);
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0)
			fail("read: %s", strerror(errno));
		got += (size_t)n;
	}
	printf("%s: closed after %lld ms (%zu bytes of answer)\n", mode,
	       (long long)(now_ms() - t0), got);
	close(fd);
	return 0;
}

/* The monitor's side of a connection (direct, or through the
 * redirector): until it closes; the bytes it sent. */
static size_t until_eof(int fd, struct rpc_in *in)
{
	const uint8_t *rec;
	size_t len, got = 0;

	while (next_record(fd, in, &rec, &len) == 0)
		got += len;
	return got;
}

/* A monitor's TCP port: the first record is UM_AUTH_HELLO (version 1,
 * vm, 32 random bytes). Its answer must be the monitor's (umldir serves
 * another program: it would refuse the call the RPC way), a challenge
 * for this call: UM_OK (version 1, iterations in the bounds a client
 * accepts; the connection stays open) or UM_EPERM with a reason (the
 * connection then closes). */
static int hello_on(int fd, struct rpc_in *in, const char *vm)
{
	struct rpc_out out = {0};
	um_auth_hello h = {.auth_version = UM_AUTH_VERSION, .vm = (char *)vm};
	um_auth_challenge c;
	const uint8_t *rec;
	size_t len;
	int rc = 0;

	if (getentropy(h.cnonce, sizeof(h.cnonce)) < 0)
		fail("getentropy: %s", strerror(errno));
	rpc_out_call(&out, 0x48454c4f, UMLMONCTRL_PROG, UMLMONCTRL_V1, UM_AUTH_HELLO,
		     (xdrproc_t)xdr_um_auth_hello, &h);
	if (write_all(fd, out.buf + out.start, out.len - out.start) < 0)
		fail("write: %s", strerror(errno));
	rpc_out_free(&out);
	if (next_record(fd, in, &rec, &len) < 0)
		fail("hello: closed without an answer");
	memset(&c, 0, sizeof(c));
	if (decode_reply(rec, len, 0x48454c4f, (xdrproc_t)xdr_um_auth_challenge,
			 &c) < 0)
		fail("hello: not answered by a monitor");
	if (c.res.status == UM_OK) {
		if (c.auth_version != UM_AUTH_VERSION ||
		    c.kdf_iterations < AUTH_KDF_MIN || c.kdf_iterations > AUTH_KDF_MAX)
			fail("hello: a challenge of version %u, %u iterations",
			     c.auth_version, c.kdf_iterations);
		printf("hello: UM_OK, version %u, %u iterations\n",
		       c.auth_version, c.kdf_iterations);
	} else if (c.res.status == UM_EPERM && c.res.message[0]) {
		printf("hello: UM_EPERM: %s\n", c.res.message);
		if (until_eof(fd, in))
			fail("hello: more after the refusal");
	} else {
		printf("hello: status %d: %s\n", (int)c.res.status, c.res.message);
		rc = 1;
	}
	xdr_free((xdrproc_t)xdr_um_auth_challenge, (char *)&c);
	return rc;
}

/* Any other call first closes the connection without an answer. */
static int null_first_on(int fd, struct rpc_in *in)
{
	struct rpc_out out = {0};
	size_t got;

	rpc_out_call(&out, 7, UMLMONCTRL_PROG, UMLMONCTRL_V1, UM_NULL,
		     (xdrproc_t)xdr_rpc_void, NULL);
	if (write_all(fd, out.buf + out.start, out.len - out.start) < 0)
		fail("write: %s", strerror(errno));
	rpc_out_free(&out);
	got = until_eof(fd, in);
	if (got)
		fail("a call before the handshake: answered (%zu bytes)", got);
	printf("a call before the handshake: closed unanswered\n");
	return 0;
}

/* Direct (HOST PORT VM) or through the redirector (HOST PORT VM, the
 * redirector's port): a connection to VM's monitor. */
static int monitor_conn(char **av, int redirected, struct rpc_in *in)
{
	int fd;

	if (!redirected)
		return tcp_to(av[0], av[1]);
	if (redirect(av, 0, &fd, in))
		exit(1);
	return fd;
}

static int monitor_mode(char **av, int redirected,
			int (*fn)(int fd, struct rpc_in *in, const char *vm))
{
	struct rpc_in in = {0};
	int fd = monitor_conn(av, redirected, &in), rc = fn(fd, &in, av[2]);

	close(fd);
	rpc_in_free(&in);
	return rc;
}

static int null_first_vm(int fd, struct rpc_in *in, const char *vm)
{
	(void)vm;
	return null_first_on(fd, in);
}

static int do_hello(char **av)
{
	return monitor_mode(av, 0, hello_on);
}

static int do_redirect_hello(char **av)
{
	return monitor_mode(av, 1, hello_on);
}

static int do_null_first(char **av)
{
	return monitor_mode(av, 0, null_first_vm);
}

static int do_redirect_null_first(char **av)
{
	return monitor_mode(av, 1, null_first_vm);
}

static const struct {
	const char *name;
	int nargs;
	int (*fn)(char **av);
	const char *usage;
} modes[] = {
	{"list", 2, do_list, "HOST PORT"},
	{"get-port", 3, do_get_port, "HOST PORT VM"},
	{"register", 3, do_register, "SOCK VM PORT (until stdin ends)"},
	{"register-tcp", 3, do_register_tcp, "HOST PORT VM (refused: root's)"},
	{"echo", 2, do_echo, "SOCK VM (an echo server as VM's monitor, until stdin ends)"},
	{"redirect", 3, do_redirect, "HOST PORT VM"},
	{"redirect-rpc", 4, do_redirect_rpc, "HOST PORT VM N"},
	{"redirect-echo", 4, do_redirect_echo, "HOST PORT VM BYTES"},
	{"direct-echo", 3, do_direct_echo, "HOST PORT BYTES"},
	{"raw", 3, do_raw, "HOST PORT garbage|bigmark|fragment|silent"},
	{"hello", 3, do_hello, "HOST PORT VM (a monitor's port)"},
	{"redirect-hello", 3, do_redirect_hello, "HOST PORT VM"},
	{"null-first", 3, do_null_first, "HOST PORT VM (a monitor's port)"},
	{"redirect-null-first", 3, do_redirect_null_first, "HOST PORT VM"},
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < ARRAY_SIZE(modes); i++)
		if (!strcmp(argv[1], modes[i].name) && argc - 2 == modes[i].nargs)
			return modes[i].fn(argv + 2);
	fprintf(stderr, "usage:\n");
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		fprintf(stderr, "  udclient %s %s\n", modes[i].name, modes[i].usage);
	return 2;
}
