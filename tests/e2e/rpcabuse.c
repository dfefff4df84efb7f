/* rpcabuse -- a hostile client of a monitor's control socket, for
 * core_rpc_abuse.sh: clients that leave while calls of theirs wait, that
 * pipeline many calls, that never read their replies, that stop in the
 * middle of a record, and many connections held open. Each mode checks
 * what a client can see (answers, the connection's end, the readers of
 * con1 in UM_INFO) and exits 1 with the reason when the monitor fails. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "umlmonctrl.h"
#include "common/util.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"

/* A console read that waits for output beyond this offset is parked
 * whatever the guest printed meanwhile; any output wakes it. */
#define FAR_AHEAD (UINT64_C(1) << 62)

static const char *sock;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rpcabuse: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int connect_ctrl(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail("%s: %s", sock, strerror(errno));
	return fd;
}

static void put(struct rpc_out *out, uint32_t xid, uint32_t proc,
		xdrproc_t xargs, void *args)
{
	if (rpc_out_call(out, xid, UMLMONCTRL_PROG, UMLMONCTRL_V1, proc, xargs,
			 args) < 0)
		fail("cannot encode procedure %u", proc);
}

static void put_read(struct rpc_out *out, uint32_t xid, uint64_t offset,
		     uint32_t max, uint32_t wait_ms)
{
	um_read_args a = {.chan = "con1", .offset = offset, .max = max,
			  .wait_ms = wait_ms};

	put(out, xid, UM_CONSOLE_READ, (xdrproc_t)xdr_um_read_args, &a);
}

static void send_out(int fd, struct rpc_out *out)
{
	if (write_all(fd, out->buf, out->len) != (ssize_t)out->len)
		fail("write: %s", strerror(errno));
	out->len = 0;
}

/* Until the monitor closes fd (POLLHUP). */
static int wait_hup(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = 0};
	int64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (poll(&p, 1, (int)(end - now_ms())) > 0 && (p.revents & POLLHUP))
			return 0;
	}
	return -1;
}

/* A call on a fresh connection, answered within ms. */
static int ping(int ms, struct err *e)
{
	struct rpc_client *c = rpc_client_fd(connect_ctrl(), UMLMONCTRL_PROG,
					     UMLMONCTRL_V1);
	int nothing = 0;
	int r = rpc_client_call(c, UM_NULL, (xdrproc_t)xdr_rpc_void, NULL,
				(xdrproc_t)xdr_rpc_void, &nothing, ms, e);

	rpc_client_free(c);
	return r;
}

/* Clients waiting on con1's output, as UM_INFO tells. */
static int readers(void)
{
	struct rpc_client *c = rpc_client_fd(connect_ctrl(), UMLMONCTRL_PROG,
					     UMLMONCTRL_V1);
	um_info info;
	struct err e;
	int n = -1;

	memset(&info, 0, sizeof(info));
	if (rpc_client_call(c, UM_INFO, (xdrproc_t)xdr_rpc_void, NULL,
			    (xdrproc_t)xdr_um_info, &info, 60000, &e) < 0)
		fail("info: %s", e.msg);
	for (u_int i = 0; i < info.chans.chans_len; i++)
		if (!strcmp(info.chans.chans_val[i].name, "con1"))
			n = info.chans.chans_val[i].readers;
	xdr_free((xdrproc_t)xdr_um_info, (char *)&info);
	rpc_client_free(c);
	if (n < 0)
		fail("the VM has no con1");
	return n;
}

/* Waits until con1 has want readers: the monitor saw the calls, or
 * dropped those of clients that are gone. */
static void wait_readers(int want, const char *what)
{
	int n = -1;

	for (int i = 0; i < 600; i++) {
		if ((n = readers()) == want)
			return;
		usleep(50000);
	}
	fail("%s: con1 has %d waiting readers after 30 s, expected %d", what, n,
	     want);
}

/* Two parked console reads; the client then shuts its reading side
 * (how = SHUT_RD: the replies fail with EPIPE) or closes at once. */
static void reads(int tries, int how)
{
	struct rpc_out out = {0};
	int64_t t0 = now_ms();

	for (int i = 0; i < tries; i++) {
		int fd = connect_ctrl();

		put_read(&out, 1, FAR_AHEAD, 4096, 60000);
		put_read(&out, 2, FAR_AHEAD, 4096, 60000);
		send_out(fd, &out);
		if (how == SHUT_RD) {
			shutdown(fd, SHUT_RD);
			if (wait_hup(fd, 60000) < 0)
				fail("try %d: the monitor kept the connection whose "
				     "replies failed for 60 s", i + 1);
		}
		close(fd);
	}
	wait_readers(0, "after the clients left");
	printf("%d tries in %" PRId64 " ms\n", tries, now_ms() - t0);
	rpc_out_free(&out);
}

/* Two calls that are answered when the VM has stopped, then SHUT_RD. */
static void two_stops(void)
{
	struct rpc_out out = {0};
	um_stop_args a = {.timeout = -1};
	int fd = connect_ctrl();

	put(&out, 1, UM_STOP, (xdrproc_t)xdr_um_stop_args, &a);
	put(&out, 2, UM_STOP, (xdrproc_t)xdr_um_stop_args, &a);
	send_out(fd, &out);
	shutdown(fd, SHUT_RD);
	if (wait_hup(fd, 120000) < 0)
		fail("the monitor did not close the connection of the two stops "
		     "in 120 s");
	close(fd);
	rpc_out_free(&out);
	printf("the monitor closed the connection\n");
}

/* Reads n replies from fd; they must answer xids 1..n in order, with
 * SUCCESS. Writes what is left of out meanwhile. */
static void expect_replies(int fd, struct rpc_out *out, int n)
{
	struct rpc_in in = {0};
	int got = 0;

	fd_nonblock(fd);
	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		const uint8_t *rec;
		size_t len;
		ssize_t r;

		if (rpc_out_pending(out))
			p.events |= POLLOUT;
		if (poll(&p, 1, 60000) <= 0)
			fail("no reply for 60 s after %d of %d", got, n);
		if ((p.revents & POLLOUT) && rpc_out_flush(out, fd) < 0)
			fail("write: %s", strerror(errno));
		r = rpc_in_read(&in, fd);
		if (r == 0 || (r < 0 && errno != EAGAIN))
			fail("the monitor closed the connection after %d of %d replies",
			     got, n);
		while (rpc_in_next(&in, &rec, &len) == 1) {
			struct rpc_msg m;
			XDR x;

			memset(&m, 0, sizeof(m));
			m.acpted_rply.ar_results.proc = (xdrproc_t)xdr_rpc_void;
			xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
			if (!xdr_replymsg(&x, &m))
				fail("reply %d does not decode", got + 1);
			xdr_destroy(&x);
			if (m.rm_xid != (uint32_t)got + 1)
				fail("reply %d answers xid %u", got + 1, m.rm_xid);
			if (m.rm_reply.rp_stat != MSG_ACCEPTED ||
			    m.acpted_rply.ar_stat != SUCCESS)
				fail("reply %d: %s", got + 1, rpc_reply_error(&m));
			got++;
		}
	}
	rpc_in_free(&in);
}

/* n calls of four kinds in one write. */
static void pipeline(int n)
{
	struct rpc_out out = {0};
	um_open_args oa = {.chan = "con1", .readonly = TRUE};
	int fd = connect_ctrl();

	for (int i = 1; i <= n; i++) {
		switch (i % 4) {
		case 0: put(&out, (uint32_t)i, UM_NULL, (xdrproc_t)xdr_rpc_void, NULL); break;
		case 1: put(&out, (uint32_t)i, UM_INFO, (xdrproc_t)xdr_rpc_void, NULL); break;
		case 2: put_read(&out, (uint32_t)i, 0, 64, 0); break;
		case 3: put(&out, (uint32_t)i, UM_CONSOLE_OPEN,
			    (xdrproc_t)xdr_um_open_args, &oa); break;
		}
	}
	expect_replies(fd, &out, n);
	close(fd);
	rpc_out_free(&out);
	printf("%d pipelined calls answered in order\n", n);
}

static long rss_kb(const char *pid)
{
	char path[64], *text, *p;
	size_t len;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	text = read_file(path, 1 << 16, &len);
	if (text && (p = strstr(text, "VmRSS:")))
		kb = strtol(p + 6, NULL, 10);
	free(text);
	return kb;
}

/* Writes what it can of each client's calls until none has had room
 * for a second: the monitor has stopped reading them all. Returns the
 * bytes it took. */
static size_t send_until_stalled(const int *fds, struct rpc_out *outs, int k)
{
	struct pollfd *p = xcalloc((size_t)k, sizeof(*p));
	size_t sent = 0;

	for (int i = 0; i < k; i++) {
		fd_nonblock(fds[i]);
		p[i].fd = fds[i];
	}
	for (;;) {
		int left = 0;

		for (int i = 0; i < k; i++) {
			size_t before = rpc_out_pending(&outs[i]);

			if (rpc_out_flush(&outs[i], fds[i]) < 0)
				fail("write: %s", strerror(errno));
			sent += before - rpc_out_pending(&outs[i]);
			p[i].events = rpc_out_pending(&outs[i]) ? POLLOUT : 0;
			left += rpc_out_pending(&outs[i]) != 0;
		}
		if (!left || poll(p, (nfds_t)k, 1000) == 0)
			break;
	}
	free(p);
	return sent;
}

/* k clients each send n console reads of 64 KiB each (a few bytes asked,
 * a lot answered) while never reading: the monitor must stop taking them,
 * go on serving others, and still answer every one once the clients
 * read. */
static void no_read(int n, const char *pid, int k)
{
	struct rpc_out *outs = xcalloc((size_t)k, sizeof(*outs));
	int *fds = xcalloc((size_t)k, sizeof(*fds));
	long rss0 = pid ? rss_kb(pid) : -1;
	size_t sent, total = 0;
	struct err e;

	for (int c = 0; c < k; c++) {
		fds[c] = connect_ctrl();
		for (int i = 1; i <= n; i++)
			put_read(&outs[c], (uint32_t)i, 0, UM_DATA_MAX, 0);
		total += outs[c].len;
	}
	sent = send_until_stalled(fds, outs, k);
	printf("the monitor took %zu of %zu bytes of calls from %d clients "
	       "before it stopped reading\n", sent, total, k);
	if (pid)
		printf("its memory grew by %ld KiB\n", rss_kb(pid) - rss0);
	if (ping(10000, &e) < 0)
		fail("another client is not served while %d do not read: %s", k,
		     e.msg);
	for (int c = 0; c < k; c++) {
		expect_replies(fds[c], &outs[c], n);
		close(fds[c]);
		rpc_out_free(&outs[c]);
	}
	free(outs);
	free(fds);
	printf("all %d answered once read\n", n * k);
}

/* n console reads parked on con1 (RPC_MAX_DEFERRED per connection), then
 * every client leaves at once: prints how long the monitor took to park
 * them and to drop them. */
static void park(int n)
{
	int per = 64, k = (n + per - 1) / per, base = readers();
	int *fds = xcalloc((size_t)k, sizeof(*fds));
	struct rpc_out out = {0};
	int64_t t0 = now_ms(), t1;

	for (int c = 0, left = n; c < k; c++, left -= per) {
		fds[c] = connect_ctrl();
		for (int i = 1; i <= (left < per ? left : per); i++)
			put_read(&out, (uint32_t)i, FAR_AHEAD, 4096, 60000);
		send_out(fds[c], &out);
	}
	wait_readers(base + n, "the parked reads");
	t1 = now_ms();
	printf("%d reads parked on %d connections in %" PRId64 " ms\n", n, k,
	       t1 - t0);
	/* the newest first: each is found last in every list */
	for (int c = k - 1; c >= 0; c--)
		close(fds[c]);
	wait_readers(base, "after the clients left");
	printf("dropped them in %" PRId64 " ms\n", now_ms() - t1);
	free(fds);
	rpc_out_free(&out);
}

/* A parked read, then half a record, then gone. */
static void half_record(void)
{
	struct rpc_out out = {0};
	int fd = connect_ctrl(), base = readers();

	put_read(&out, 1, FAR_AHEAD, 4096, 60000);
	send_out(fd, &out);
	wait_readers(base + 1, "the parked read");
	put_read(&out, 2, 0, 4096, 0);
	if (write_all(fd, out.buf, out.len / 2) < 0)
		fail("write: %s", strerror(errno));
	close(fd);
	wait_readers(base, "after the client left in the middle of a record");
	rpc_out_free(&out);
	printf("the parked read of the client that left was dropped\n");
}

/* n connections, each with a call sent, held until stdin ends. */
static void hold(int n)
{
	struct rpc_out out = {0};
	int *fds = xcalloc((size_t)n, sizeof(*fds));
	char buf[64];

	for (int i = 0; i < n; i++) {
		fds[i] = connect_ctrl();
		put(&out, 1, UM_NULL, (xdrproc_t)xdr_rpc_void, NULL);
		send_out(fds[i], &out);
	}
	printf("holding %d connections\n", n);
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	rpc_out_free(&out);
}

/* A bad sysrq key is a bad argument (UM_EINVAL), whatever the VM's
 * state: prints the status and the message. */
static void sysrq_status(const char *key)
{
	struct rpc_client *c;
	struct err e;
	um_result r;

	c = rpc_client_unix(sock, UMLMONCTRL_PROG, UMLMONCTRL_V1, &e);
	if (!c)
		fail("%s", e.msg);
	memset(&r, 0, sizeof(r));
	if (rpc_client_call(c, UM_SYSRQ, (xdrproc_t)xdr_wrapstring, &key,
			    (xdrproc_t)xdr_um_result, &r, 10000, &e) < 0)
		fail("sysrq: %s", e.msg);
	printf("status %d: %s\n", (int)r.status, r.message);
	xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
	rpc_client_free(c);
}

static int tcp_port;

static int connect_tcp(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_port = htons((uint16_t)tcp_port);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fail("127.0.0.1 port %d: %s", tcp_port, strerror(errno));
	return fd;
}

/* Reads fd until the monitor closes it, within ms: the bytes it sent
 * before (-1: still open). */
static ssize_t bytes_until_eof(int fd, int ms)
{
	int64_t end = now_ms() + ms;
	ssize_t got = 0;

	fd_nonblock(fd);
	while (now_ms() < end) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char buf[4096];
		ssize_t r;

		if (poll(&p, 1, (int)(end - now_ms())) <= 0)
			continue;
		r = read(fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return got;
		if (r > 0)
			got += r;
	}
	return -1;
}

/* A call (with its reply) on a fresh Unix connection: the reply's
 * record, decoded as far as its header. */
static void raw_reply(const void *rec, size_t len, struct rpc_msg *m)
{
	struct rpc_in in = {0};
	const uint8_t *r;
	size_t rlen;
	int fd = connect_ctrl();
	XDR x;

	if (write_all(fd, rec, len) != (ssize_t)len)
		fail("write: %s", strerror(errno));
	while (rpc_in_next(&in, &r, &rlen) != 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 10000) <= 0 || rpc_in_read(&in, fd) <= 0)
			fail("no reply from the monitor");
	}
	memset(m, 0, sizeof(*m));
	m->acpted_rply.ar_results.proc = (xdrproc_t)xdr_rpc_void;
	xdrmem_create(&x, (char *)r, (u_int)rlen, XDR_DECODE);
	if (!xdr_replymsg(&x, m))
		fail("the reply does not decode");
	xdr_destroy(&x);
	rpc_in_free(&in);
	close(fd);
}

/* The TCP port of a monitor before authentication, and what the Unix
 * socket answers to calls out of bounds: a call before the handshake is
 * not answered, a hello that names another VM is refused and ends the
 * connection, held connections beyond max_unauthenticated are closed
 * at once, the others after auth_timeout; the monitor serves on. */
static void tcp_checks(int port, int held, int max_unauth)
{
	struct rpc_out out = {0};
	um_auth_hello h = {.auth_version = 1, .vm = "notvm1"};
	int *fds = xcalloc((size_t)held, sizeof(*fds)), fd, closed = 0;
	struct rpc_msg m;
	ssize_t n;
	struct err e;

	tcp_port = port;
	fd = connect_tcp();
	put(&out, 1, UM_NULL, (xdrproc_t)xdr_rpc_void, NULL);
	send_out(fd, &out);
	if ((n = bytes_until_eof(fd, 10000)) != 0)
		fail("a call before authentication: %s", n < 0 ? "the connection "
		     "stays open" : "answered");
	close(fd);
	printf("a call before authentication: closed unanswered\n");
	fd = connect_tcp();
	put(&out, 1, UM_AUTH_HELLO, (xdrproc_t)xdr_um_auth_hello, &h);
	send_out(fd, &out);
	if ((n = bytes_until_eof(fd, 10000)) <= 0)
		fail("a hello for another VM: %s", n < 0 ? "the connection stays "
		     "open" : "closed unanswered");
	close(fd);
	printf("a hello for another VM: answered (%zd bytes), then closed\n", n);
	/* connections that never speak */
	for (int i = 0; i < held; i++)
		fds[i] = connect_tcp();
	for (int i = 0; i < held; i++)
		closed += bytes_until_eof(fds[i], i < max_unauth ? 200 : 5000) == 0;
	if (closed != held - max_unauth)
		fail("%d of %d connections that never speak closed at once, "
		     "expected %d", closed, held, held - max_unauth);
	printf("%d connections beyond max_unauthenticated closed at once\n",
	       closed);
	if (ping(10000, &e) < 0)
		fail("the Unix socket is not served: %s", e.msg);
	for (int i = 0; i < max_unauth; i++)
		if (bytes_until_eof(fds[i], 60000) != 0)
			fail("a connection that never speaks is still open after "
			     "60 s");
	printf("the others closed after auth_timeout\n");
	for (int i = 0; i < held; i++)
		close(fds[i]);
	free(fds);
	/* RFC 5531: RPC version 3 gets RPC_MISMATCH */
	{
		uint8_t rec[] = {0x80, 0, 0, 40, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3,
				 0x20, 0x55, 0x4d, 0x4c, 0, 0, 0, 1, 0, 0, 0, 0,
				 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

		raw_reply(rec, sizeof(rec), &m);
		if (m.rm_xid != 7 || m.rm_reply.rp_stat != MSG_DENIED ||
		    m.rjcted_rply.rj_stat != RPC_MISMATCH ||
		    m.rjcted_rply.rj_vers.low != 2 || m.rjcted_rply.rj_vers.high != 2)
			fail("RPC version 3: not the RPC_MISMATCH reply");
		printf("RPC version 3: RPC_MISMATCH 2..2\n");
	}
	/* a sysrq key of 65 bytes is over the IDL's bound */
	{
		char key[UM_NAME_MAX + 2];
		char *k = key;

		memset(key, 'a', sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		put(&out, 9, UM_SYSRQ, (xdrproc_t)xdr_wrapstring, &k);
		raw_reply(out.buf, out.len, &m);
		out.len = 0;
		if (m.rm_reply.rp_stat != MSG_ACCEPTED ||
		    m.acpted_rply.ar_stat != GARBAGE_ARGS)
			fail("a sysrq key of %d bytes was taken", UM_NAME_MAX + 1);
		printf("a sysrq key of %d bytes: GARBAGE_ARGS\n", UM_NAME_MAX + 1);
	}
	rpc_out_free(&out);
}

int main(int argc, char **argv)
{
	const char *mode;
	int n;

	if (argc < 3) {
		fprintf(stderr, "usage: rpcabuse SOCKET reads-shutrd|reads-close|"
			"pipeline|no-read|hold|park N [PID|- [CLIENTS]] | two-stops | half-record | "
			"sysrq KEY | tcp PORT HELD MAX_UNAUTH\n");
		return 2;
	}
	sock = argv[1];
	mode = argv[2];
	n = argc > 3 ? atoi(argv[3]) : 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "reads-shutrd"))
		reads(n, SHUT_RD);
	else if (!strcmp(mode, "reads-close"))
		reads(n, SHUT_RDWR);
	else if (!strcmp(mode, "two-stops"))
		two_stops();
	else if (!strcmp(mode, "pipeline"))
		pipeline(n);
	else if (!strcmp(mode, "no-read"))
		no_read(n, argc > 4 && strcmp(argv[4], "-") ? argv[4] : NULL,
			argc > 5 ? atoi(argv[5]) : 1);
	else if (!strcmp(mode, "park"))
		park(n);
	else if (!strcmp(mode, "half-record"))
		half_record();
	else if (!strcmp(mode, "hold"))
		hold(n);
	else if (!strcmp(mode, "tcp") && argc > 5)
		tcp_checks(n, atoi(argv[4]), atoi(argv[5]));
	else if (!strcmp(mode, "sysrq") && argc > 3)
		sysrq_status(argv[3]);
	else
		fail("unknown mode '%s'", mode);
	return 0;
}
