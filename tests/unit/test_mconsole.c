/* Unit tests of the mconsole client: request encoding, reply chunks,
 * malformed datagrams, notifications, and blocking and asynchronous calls
 * against a fake kernel (a forked child with a datagram socket on a temp
 * path that answers like arch/um/drivers/mconsole_user.c does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "serve/loop.h"
#include "umlmon/mconsole.h"

#define HDR offsetof(struct mconsole_reply, data)

static char tmpdir[64];
static char sockpath[128];
static char longdir[512];
static char longpath[600];
static pid_t peer, longpeer;

/* ---- the fake kernel ------------------------------------------------- */

static void peer_send(int fd, const struct sockaddr_un *to, socklen_t tolen,
		      uint32_t err, uint32_t more, const char *text, size_t n)
{
	struct mconsole_reply r;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.more = more;
	memcpy(r.data, text, n);
	r.data[n] = '\0';
	r.len = (uint32_t)n + 1;
	/* like the kernel: the header plus len bytes; a client that went away
	 * (a cancelled call) is ignored, as the kernel ignores it */
	if (sendto(fd, &r, HDR + r.len, 0, (const struct sockaddr *)to, tolen) < 0 &&
	    errno != ECONNREFUSED && errno != ENOENT)
		_exit(3);
}

/* Sends text in chunks of at most 511 bytes, as the kernel does. */
static void peer_reply(int fd, const struct sockaddr_un *to, socklen_t tolen,
		       uint32_t err, const char *text)
{
	size_t total = strlen(text);

	do {
		size_t n = total < MCONSOLE_MAX_DATA - 1 ? total : MCONSOLE_MAX_DATA - 1;

		peer_send(fd, to, tolen, err, n < total, text, n);
		err = 0;
		text += n;
		total -= n;
	} while (total > 0);
}

static char long_text[2048];

static void make_long_text(void)
{
	memset(long_text, 'a', 511);
	memset(long_text + 511, 'b', 511);
	strcpy(long_text + 1022, "tail");
}

static void peer_main(int fd)
{
	for (;;) {
		struct mconsole_request req;
		struct sockaddr_un from;
		socklen_t flen = sizeof(from);
		char why[160] = "";
		ssize_t n;

		memset(&req, 0, sizeof(req));
		n = recvfrom(fd, &req, sizeof(req), 0, (struct sockaddr *)&from, &flen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			_exit(2);
		/* what uml_mconsole sends, and what the kernel checks */
		if ((size_t)n != sizeof(req))
			snprintf(why, sizeof(why), "size %zd", n);
		else if (req.magic != MCONSOLE_MAGIC || req.version != MCONSOLE_VERSION)
			snprintf(why, sizeof(why), "magic %x version %u", req.magic,
				 req.version);
		else if (req.len >= MCONSOLE_MAX_DATA ||
			 strnlen(req.data, MCONSOLE_MAX_DATA) != req.len)
			snprintf(why, sizeof(why), "len %u", req.len);
		else if (flen <= sizeof(sa_family_t) || from.sun_path[0] != '\0')
			snprintf(why, sizeof(why), "not an abstract sender");
		if (*why) {
			char msg[200];

			snprintf(msg, sizeof(msg), "BAD REQUEST: %s", why);
			peer_reply(fd, &from, flen, 1, msg);
			continue;
		}
		if (!strcmp(req.data, "version")) {
			peer_reply(fd, &from, flen, 0, "OK fake 6.1");
		} else if (!strcmp(req.data, "long")) {
			peer_reply(fd, &from, flen, 0, long_text);
		} else if (!strcmp(req.data, "empty")) {
			peer_reply(fd, &from, flen, 0, "");
		} else if (!strcmp(req.data, "silent")) {
			/* a sick kernel */
		} else if (!strcmp(req.data, "half")) {
			peer_send(fd, &from, flen, 0, 1, "first", 5);
		} else if (!strcmp(req.data, "bad")) {
			struct mconsole_reply r;

			memset(&r, 0, sizeof(r));
			r.len = 600;
			sendto(fd, &r, sizeof(r), 0, (struct sockaddr *)&from, flen);
		} else if (!strcmp(req.data, "slow")) {
			usleep(100 * 1000);
			peer_reply(fd, &from, flen, 0, "OK slow");
		} else {
			peer_reply(fd, &from, flen, 1, "Unknown command");
		}
	}
}

/* Binds a datagram socket at path (through its directory's O_PATH fd when
 * the path is too long for sun_path) and forks the fake kernel on it. */
static pid_t spawn_peer(const char *path)
{
	struct sockaddr_un sun;
	const char *slash = strrchr(path, '/');
	char dir[600];
	int fd, dfd;
	pid_t pid;

	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d/%s", dfd,
		 slash + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(dfd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		peer_main(fd);
	close(fd);
	return pid;
}

static void stop_peer(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static int setup(void **state)
{
	(void)state;
	make_long_text();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/umlmon-test-mc.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(sockpath, sizeof(sockpath), "%s/mconsole", tmpdir);
	peer = spawn_peer(sockpath);
	/* a path longer than sun_path's 108 bytes */
	snprintf(longdir, sizeof(longdir), "%s/%0120d", tmpdir, 0);
	if (mkdir(longdir, 0700) < 0)
		return -1;
	snprintf(longpath, sizeof(longpath), "%s/mconsole", longdir);
	longpeer = spawn_peer(longpath);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_peer(peer);
	stop_peer(longpeer);
	unlink(sockpath);
	unlink(longpath);
	rmdir(longdir);
	rmdir(tmpdir);
	return 0;
}

/* ---- encoding and parsing -------------------------------------------- */

static void encode_limits(void **state)
{
	struct mconsole_request req;
	char cmd[MCONSOLE_MAX_DATA + 1];

	(void)state;
	assert_int_equal(mconsole_encode("version", &req), 0);
	assert_int_equal(req.magic, 0xcafebabe);
	assert_int_equal(req.version, 2);
	assert_int_equal(req.len, 7);
	assert_memory_equal(req.data, "version", 8);
	for (size_t i = 7; i < sizeof(req.data); i++)
		assert_int_equal(req.data[i], 0);
	/* 511 bytes fit (the kernel wants len < 512), 512 do not */
	memset(cmd, 'x', MCONSOLE_MAX_DATA - 1);
	cmd[MCONSOLE_MAX_DATA - 1] = '\0';
	assert_int_equal(mconsole_encode(cmd, &req), 0);
	assert_int_equal(req.len, 511);
	assert_int_equal(req.data[511], 0);
	memset(cmd, 'x', MCONSOLE_MAX_DATA);
	cmd[MCONSOLE_MAX_DATA] = '\0';
	assert_int_equal(mconsole_encode(cmd, &req), -1);
	assert_int_equal(mconsole_encode("", &req), 0);
	assert_int_equal(req.len, 0);
	assert_int_equal(sizeof(req), 524);
	assert_int_equal(sizeof(struct mconsole_reply), 524);
	assert_int_equal(sizeof(struct mconsole_notify), 528);
}

/* A reply datagram as the kernel builds it; returns its size. */
static size_t mk_reply(void *buf, uint32_t err, uint32_t more, const char *text)
{
	struct mconsole_reply r;
	size_t n = strlen(text);

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.more = more;
	memcpy(r.data, text, n + 1);
	r.len = (uint32_t)n + 1;
	memcpy(buf, &r, HDR + r.len);
	return HDR + r.len;
}

static void collect_one(void **state)
{
	struct mconsole_collect c;
	struct mconsole_answer a;
	char buf[sizeof(struct mconsole_reply)];
	struct err e;
	size_t n = mk_reply(buf, 0, 0, "OK Linux 6.1.0");

	(void)state;
	assert_int_equal(n, 12 + 15);
	mconsole_collect_init(&c);
	assert_int_equal(mconsole_collect_feed(&c, buf, n, &e), 1);
	assert_int_equal(c.nchunks, 1);
	mconsole_collect_finish(&c, &a);
	assert_int_equal(a.kernel_err, 0);
	assert_string_equal(a.text, "OK Linux 6.1.0");
	assert_int_equal(a.len, 14);
	/* finish resets the collector for another answer */
	assert_int_equal(c.nchunks, 0);
	assert_int_equal(c.text.len, 0);
	mconsole_answer_free(&a);
	mconsole_collect_free(&c);
}

static void collect_chunks(void **state)
{
	struct mconsole_collect c;
	struct mconsole_answer a;
	char buf[sizeof(struct mconsole_reply)];
	char part[512];
	struct err e;
	size_t n;

	(void)state;
	mconsole_collect_init(&c);
	memset(part, 'a', 511);
	part[511] = '\0';
	n = mk_reply(buf, 0, 1, part);
	assert_int_equal(n, 524);
	assert_int_equal(mconsole_collect_feed(&c, buf, n, &e), 0);
	memset(part, 'b', 511);
	n = mk_reply(buf, 0, 1, part);
	assert_int_equal(mconsole_collect_feed(&c, buf, n, &e), 0);
	n = mk_reply(buf, 0, 0, "tail");
	assert_int_equal(mconsole_collect_feed(&c, buf, n, &e), 1);
	assert_int_equal(c.nchunks, 3);
	mconsole_collect_finish(&c, &a);
	assert_int_equal(a.len, 1026);
	assert_int_equal(strlen(a.text), 1026);
	assert_int_equal(a.text[0], 'a');
	assert_int_equal(a.text[510], 'a');
	assert_int_equal(a.text[511], 'b');
	assert_string_equal(a.text + 1022, "tail");
	mconsole_answer_free(&a);
	assert_null(a.text);
	mconsole_collect_free(&c);
}

static void collect_err(void **state)
{
	struct mconsole_collect c;
	struct mconsole_answer a;
	char buf[sizeof(struct mconsole_reply)];
	struct err e;
	size_t n;

	(void)state;
	/* err in the first chunk counts for the whole answer */
	mconsole_collect_init(&c);
	n = mk_reply(buf, 1, 1, "Unknown ");
	assert_int_equal(mconsole_collect_feed(&c, buf, n, &e), 0);
	n = mk_reply(buf, 0, 0, "command");
	assert_int_equal(mconsole_collect_feed(&c, buf, n, &e), 1);
	mconsole_collect_finish(&c, &a);
	assert_int_equal(a.kernel_err, 1);
	assert_string_equal(a.text, "Unknown command");
	mconsole_answer_free(&a);
	/* ... and only in the first one */
	n = mk_reply(buf, 0, 1, "fine ");
	assert_int_equal(mconsole_collect_feed(&c, buf, n, &e), 0);
	n = mk_reply(buf, 1, 0, "so far");
	assert_int_equal(mconsole_collect_feed(&c, buf, n, &e), 1);
	mconsole_collect_finish(&c, &a);
	assert_int_equal(a.kernel_err, 0);
	assert_string_equal(a.text, "fine so far");
	mconsole_answer_free(&a);
	/* an empty answer is one chunk of just the NUL */
	n = mk_reply(buf, 0, 0, "");
	assert_int_equal(n, 13);
	assert_int_equal(mconsole_collect_feed(&c, buf, n, &e), 1);
	mconsole_collect_finish(&c, &a);
	assert_string_equal(a.text, "");
	assert_int_equal(a.len, 0);
	mconsole_answer_free(&a);
	mconsole_collect_free(&c);
}

static void collect_malformed(void **state)
{
	struct mconsole_collect c;
	struct mconsole_reply r;
	char big[600];
	struct err e;

	(void)state;
	mconsole_collect_init(&c);
	memset(&r, 0, sizeof(r));
	/* shorter than the header */
	assert_int_equal(mconsole_collect_feed(&c, &r, 5, &e), -1);
	assert_non_null(strstr(e.msg, "5 bytes"));
	/* len beyond the 512 bytes of data */
	r.len = 600;
	assert_int_equal(mconsole_collect_feed(&c, &r, sizeof(r), &e), -1);
	assert_non_null(strstr(e.msg, "600"));
	r.len = 513;
	assert_int_equal(mconsole_collect_feed(&c, &r, sizeof(r), &e), -1);
	/* len larger than what came */
	r.len = 100;
	assert_int_equal(mconsole_collect_feed(&c, &r, HDR + 50, &e), -1);
	assert_non_null(strstr(e.msg, "100"));
	/* a datagram longer than any reply */
	memset(big, 0, sizeof(big));
	assert_int_equal(mconsole_collect_feed(&c, big, sizeof(big), &e), -1);
	assert_non_null(strstr(e.msg, "600 bytes"));
	/* none of that was taken as a chunk */
	assert_int_equal(c.nchunks, 0);
	/* the exact maximum is fine */
	r.len = 512;
	memset(r.data, 'z', 511);
	r.data[511] = '\0';
	assert_int_equal(mconsole_collect_feed(&c, &r, sizeof(r), &e), 1);
	assert_int_equal(c.text.len, 511);
	mconsole_collect_free(&c);
}

static void notify_parse(void **state)
{
	struct mconsole_notify n, out;
	const char *p = "/tmp/uml/vm1/mconsole";
	struct err e;
	size_t hdr = offsetof(struct mconsole_notify, data);

	(void)state;
	memset(&n, 0, sizeof(n));
	n.magic = MCONSOLE_MAGIC;
	n.version = MCONSOLE_VERSION;
	n.type = MCONSOLE_NOTIFY_SOCKET;
	n.len = (uint32_t)strlen(p) + 1;
	memcpy(n.data, p, n.len);
	/* the kernel sends the header plus len bytes */
	assert_int_equal(mconsole_notify_parse(&n, hdr + n.len, &out, &e), 0);
	assert_int_equal(out.type, MCONSOLE_NOTIFY_SOCKET);
	assert_string_equal(out.data, p);
	/* a user notification: the bytes written, without a NUL */
	n.type = MCONSOLE_NOTIFY_USER;
	n.len = 5;
	memcpy(n.data, "helloXXXX", 9);
	assert_int_equal(mconsole_notify_parse(&n, hdr + 5, &out, &e), 0);
	assert_int_equal(out.type, MCONSOLE_NOTIFY_USER);
	assert_int_equal(out.len, 5);
	assert_string_equal(out.data, "hello");
	/* 512 bytes without a NUL still give a C string */
	n.len = 512;
	memset(n.data, 'p', 512);
	assert_int_equal(mconsole_notify_parse(&n, sizeof(n), &out, &e), 0);
	assert_int_equal(strlen(out.data), 511);
	/* bad magic */
	n.len = 5;
	n.magic = 0xdeadbeef;
	assert_int_equal(mconsole_notify_parse(&n, hdr + 5, &out, &e), -1);
	assert_non_null(strstr(e.msg, "magic 0xdeadbeef"));
	n.magic = MCONSOLE_MAGIC;
	/* bad version */
	n.version = 1;
	assert_int_equal(mconsole_notify_parse(&n, hdr + 5, &out, &e), -1);
	assert_non_null(strstr(e.msg, "version 1"));
	n.version = MCONSOLE_VERSION;
	/* short */
	assert_int_equal(mconsole_notify_parse(&n, 10, &out, &e), -1);
	assert_non_null(strstr(e.msg, "10 bytes"));
	/* len beyond the data, or beyond what came */
	n.len = 513;
	assert_int_equal(mconsole_notify_parse(&n, sizeof(n), &out, &e), -1);
	n.len = 40;
	assert_int_equal(mconsole_notify_parse(&n, hdr + 20, &out, &e), -1);
}

/* ---- blocking calls against the fake kernel -------------------------- */

static void call_version(void **state)
{
	struct mconsole_answer a;
	struct err e;

	(void)state;
	assert_int_equal(mconsole_call(sockpath, "version", 2000, &a, &e), 0);
	assert_int_equal(a.kernel_err, 0);
	assert_string_equal(a.text, "OK fake 6.1");
	mconsole_answer_free(&a);
	assert_int_equal(mconsole_call(sockpath, "empty", 2000, &a, &e), 0);
	assert_string_equal(a.text, "");
	mconsole_answer_free(&a);
}

static void call_long(void **state)
{
	struct mconsole_answer a;
	struct err e;

	(void)state;
	assert_int_equal(mconsole_call(sockpath, "long", 2000, &a, &e), 0);
	assert_int_equal(a.kernel_err, 0);
	assert_int_equal(a.len, 1026);
	assert_string_equal(a.text, long_text);
	mconsole_answer_free(&a);
}

static void call_kernel_err(void **state)
{
	struct mconsole_answer a;
	struct err e;

	(void)state;
	assert_int_equal(mconsole_call(sockpath, "frobnicate", 2000, &a, &e), 0);
	assert_int_equal(a.kernel_err, 1);
	assert_string_equal(a.text, "Unknown command");
	mconsole_answer_free(&a);
}

static void call_timeout(void **state)
{
	struct mconsole_answer a;
	struct err e;
	int64_t t0 = now_ms(), dt;

	(void)state;
	assert_int_equal(mconsole_call(sockpath, "silent", 300, &a, &e), -1);
	dt = now_ms() - t0;
	assert_true(dt >= 300);
	assert_true(dt < 1300);
	assert_non_null(strstr(e.msg, sockpath));
	assert_non_null(strstr(e.msg, "no answer"));
	assert_non_null(strstr(e.msg, "300 ms"));
	assert_null(a.text);
	/* an answer cut short after its first chunk */
	assert_int_equal(mconsole_call(sockpath, "half", 200, &a, &e), -1);
	assert_non_null(strstr(e.msg, sockpath));
	assert_non_null(strstr(e.msg, "no answer"));
	assert_non_null(strstr(e.msg, "1 chunks"));
	/* a slow answer within the timeout is fine */
	assert_int_equal(mconsole_call(sockpath, "slow", 2000, &a, &e), 0);
	assert_string_equal(a.text, "OK slow");
	mconsole_answer_free(&a);
}

static void call_errors(void **state)
{
	struct mconsole_answer a;
	char path[256], cmd[MCONSOLE_MAX_DATA + 1];
	struct err e;
	int64_t t0;

	(void)state;
	/* no socket there */
	snprintf(path, sizeof(path), "%s/nothing", tmpdir);
	t0 = now_ms();
	assert_int_equal(mconsole_call(path, "version", 2000, &a, &e), -1);
	assert_true(now_ms() - t0 < 500);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, "No such file"));
	/* a file that is no socket */
	assert_int_equal(mconsole_call(tmpdir, "version", 2000, &a, &e), -1);
	assert_non_null(strstr(e.msg, tmpdir));
	/* a malformed answer */
	assert_int_equal(mconsole_call(sockpath, "bad", 2000, &a, &e), -1);
	assert_non_null(strstr(e.msg, sockpath));
	assert_non_null(strstr(e.msg, "malformed"));
	/* a command that does not fit */
	memset(cmd, 'x', MCONSOLE_MAX_DATA);
	cmd[MCONSOLE_MAX_DATA] = '\0';
	assert_int_equal(mconsole_call(sockpath, cmd, 2000, &a, &e), -1);
	assert_non_null(strstr(e.msg, "too long"));
	assert_non_null(strstr(e.msg, sockpath));
	/* 511 bytes do fit, the peer checks the request and says unknown */
	cmd[MCONSOLE_MAX_DATA - 1] = '\0';
	assert_int_equal(mconsole_call(sockpath, cmd, 2000, &a, &e), 0);
	assert_int_equal(a.kernel_err, 1);
	assert_string_equal(a.text, "Unknown command");
	mconsole_answer_free(&a);
}

static void call_long_path(void **state)
{
	struct mconsole_answer a;
	struct sockaddr_un sun;
	struct err e;

	(void)state;
	assert_true(strlen(longpath) >= sizeof(sun.sun_path));
	assert_int_equal(mconsole_call(longpath, "version", 2000, &a, &e), 0);
	assert_string_equal(a.text, "OK fake 6.1");
	mconsole_answer_free(&a);
}

static void send_unconnected(void **state)
{
	struct mconsole_reply r;
	struct err e;
	int fd = mconsole_socket(-1, &e);
	ssize_t n;
	int tries = 0;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(mconsole_send(fd, sockpath, "version", &e), 0);
	do {
		n = recv(fd, &r, sizeof(r), 0);
		if (n < 0)
			usleep(10 * 1000);
	} while (n < 0 && errno == EAGAIN && ++tries < 200);
	assert_int_equal(n, HDR + strlen("OK fake 6.1") + 1);
	assert_int_equal(r.len, strlen("OK fake 6.1") + 1);
	assert_string_equal(r.data, "OK fake 6.1");
	close(fd);
}

/* ---- asynchronous calls ---------------------------------------------- */

struct result {
	int calls;
	int kernel_err;
	char text[2048];
	char error[1024];
	struct mconsole_op *self;  /* cancelled from inside its callback */
};

static int pending;
static struct loop *cur_loop;

static void on_done(const struct mconsole_answer *ans, const struct err *error,
		    void *arg)
{
	struct result *r = arg;

	r->calls++;
	if (ans) {
		r->kernel_err = ans->kernel_err;
		snprintf(r->text, sizeof(r->text), "%s", ans->text);
	}
	if (error)
		snprintf(r->error, sizeof(r->error), "%s", error->msg);
	if (r->self)
		mconsole_async_cancel(r->self); /* must be harmless */
	if (--pending == 0)
		loop_quit(cur_loop);
}

static void on_guard(struct loop *l, void *arg)
{
	/* a timer that fired is freed by the loop: forget it */
	*(struct loop_timer **)arg = NULL;
	loop_quit(l);
}

/* Runs the loop until all pending calls ended, at most ms. */
static void run_loop(struct loop *l, int ms)
{
	struct loop_timer *guard = NULL;

	guard = loop_timer_add(l, ms, on_guard, &guard);
	cur_loop = l;
	if (pending > 0)
		loop_run(l);
	loop_timer_cancel(l, guard);
}

static void async_answers(void **state)
{
	struct loop *l = loop_new();
	struct result rv, rl, rk;

	(void)state;
	memset(&rv, 0, sizeof(rv));
	memset(&rl, 0, sizeof(rl));
	memset(&rk, 0, sizeof(rk));
	pending = 3;
	assert_non_null(mconsole_async(l, sockpath, -1, "version", 2000, on_done, &rv));
	assert_non_null(mconsole_async(l, sockpath, -1, "long", 2000, on_done, &rl));
	assert_non_null(mconsole_async(l, sockpath, -1, "nope", 2000, on_done, &rk));
	/* never from inside mconsole_async() */
	assert_int_equal(rv.calls + rl.calls + rk.calls, 0);
	run_loop(l, 5000);
	assert_int_equal(rv.calls, 1);
	assert_int_equal(rl.calls, 1);
	assert_int_equal(rk.calls, 1);
	assert_string_equal(rv.error, "");
	assert_string_equal(rv.text, "OK fake 6.1");
	assert_string_equal(rl.text, long_text);
	assert_int_equal(rl.kernel_err, 0);
	assert_int_equal(rk.kernel_err, 1);
	assert_string_equal(rk.text, "Unknown command");
	loop_free(l);
}

static void async_timeout(void **state)
{
	struct loop *l = loop_new();
	struct result r;
	int64_t t0 = now_ms(), dt;

	(void)state;
	memset(&r, 0, sizeof(r));
	pending = 1;
	assert_non_null(mconsole_async(l, sockpath, -1, "silent", 200, on_done, &r));
	run_loop(l, 5000);
	dt = now_ms() - t0;
	assert_int_equal(r.calls, 1);
	assert_true(dt >= 200);
	assert_true(dt < 1200);
	assert_non_null(strstr(r.error, "no answer"));
	assert_non_null(strstr(r.error, sockpath));
	assert_non_null(strstr(r.error, "200 ms"));
	loop_free(l);
}

static void async_failure(void **state)
{
	struct loop *l = loop_new();
	struct result r, rbad, rlong;
	char path[256], cmd[MCONSOLE_MAX_DATA + 1];

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&rbad, 0, sizeof(rbad));
	memset(&rlong, 0, sizeof(rlong));
	snprintf(path, sizeof(path), "%s/nothing", tmpdir);
	memset(cmd, 'x', MCONSOLE_MAX_DATA);
	cmd[MCONSOLE_MAX_DATA] = '\0';
	pending = 3;
	assert_non_null(mconsole_async(l, path, -1, "version", 2000, on_done, &r));
	assert_non_null(mconsole_async(l, sockpath, -1, "bad", 2000, on_done, &rbad));
	assert_non_null(mconsole_async(l, sockpath, -1, cmd, 2000, on_done, &rlong));
	/* the immediate failures too are reported from the loop */
	assert_int_equal(r.calls, 0);
	assert_int_equal(rlong.calls, 0);
	run_loop(l, 5000);
	assert_int_equal(r.calls, 1);
	assert_non_null(strstr(r.error, path));
	assert_non_null(strstr(r.error, "No such file"));
	assert_int_equal(rbad.calls, 1);
	assert_non_null(strstr(rbad.error, "malformed"));
	assert_int_equal(rlong.calls, 1);
	assert_non_null(strstr(rlong.error, "too long"));
	loop_free(l);
}

static void async_cancel(void **state)
{
	struct loop *l = loop_new();
	struct result r1, r2, r3, r4;
	struct mconsole_op *op1, *op2, *op3;
	char path[256];

	(void)state;
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	memset(&r3, 0, sizeof(r3));
	memset(&r4, 0, sizeof(r4));
	snprintf(path, sizeof(path), "%s/nothing", tmpdir);
	pending = 1;
	op1 = mconsole_async(l, sockpath, -1, "version", 2000, on_done, &r1);
	op2 = mconsole_async(l, sockpath, -1, "silent", 100, on_done, &r2);
	op3 = mconsole_async(l, path, -1, "version", 2000, on_done, &r3);
	/* cancelled at once: the answer, the timeout and the failure report
	 * never reach a callback */
	mconsole_async_cancel(op1);
	mconsole_async_cancel(op2);
	mconsole_async_cancel(op3);
	mconsole_async_cancel(NULL);
	/* one that cancels itself from inside its callback */
	r4.self = mconsole_async(l, sockpath, -1, "slow", 2000, on_done, &r4);
	run_loop(l, 5000);
	assert_int_equal(r4.calls, 1);
	assert_string_equal(r4.text, "OK slow");
	/* give the cancelled ones time to have fired */
	pending = 1;
	run_loop(l, 300);
	assert_int_equal(r1.calls, 0);
	assert_int_equal(r2.calls, 0);
	assert_int_equal(r3.calls, 0);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_limits),
		cmocka_unit_test(collect_one),
		cmocka_unit_test(collect_chunks),
		cmocka_unit_test(collect_err),
		cmocka_unit_test(collect_malformed),
		cmocka_unit_test(notify_parse),
		cmocka_unit_test(call_version),
		cmocka_unit_test(call_long),
		cmocka_unit_test(call_kernel_err),
		cmocka_unit_test(call_timeout),
		cmocka_unit_test(call_errors),
		cmocka_unit_test(call_long_path),
		cmocka_unit_test(send_unconnected),
		cmocka_unit_test(async_answers),
		cmocka_unit_test(async_timeout),
		cmocka_unit_test(async_failure),
		cmocka_unit_test(async_cancel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
