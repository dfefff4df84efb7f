/* authabuse -- a hostile (and, for comparison, a correct) client of a
 * monitor's TCP port and of umldir, for remote_security.sh. It speaks the
 * protocol byte by byte (docs/PROTOCOL.md) with the project's own wire
 * and auth code, so that it can send what a correct client never would:
 * calls before the handshake, a replayed handshake, a record with one bit
 * flipped, a 2 GiB record mark, random bytes, connections that never speak
 * or speak too slowly. Each mode checks what a client can see (replies,
 * the connection's end and when) and exits 1 with the reason when the
 * server does something else.
 *
 *   authabuse [-b SRC] [-r VM] [-a AUTH_TIMEOUT_S] HOST PORT MODE ARGS...
 *
 * -b: the source address; -r: go through umldir's redirector (PORT is the
 * redirector's) to VM's monitor; -a: the server's auth_timeout (hold,
 * loris). Passwords are read from files (PWFILE), never from arguments. */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "umldir.h"
#include "umlmonctrl.h"
#include "common/authfile.h"
#include "common/names.h"
#include "common/util.h"
#include "common/rpc_wire.h"

#define STEP_MS 10000   /* a reply or the connection's end, under load */

static const char *host, *port, *src, *redir_vm;
static int auth_timeout_s = 10;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "authabuse: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* One connection: what came in, and a copy of every byte sent (for the
 * replay). */
struct conn {
	int fd;
	struct rpc_in in;
	struct rpc_out out;
	struct strbuf sent;
	uint32_t xid;
};

/* A TCP connection from src (if given) to host:port; -1 with errno. */
static int dial_fd(void)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai, *sa = NULL;
	int fd, one = 1, r;

	if ((r = getaddrinfo(host, port, &hints, &ai)))
		fail("%s port %s: %s", host, port, gai_strerror(r));
	if (src && (r = getaddrinfo(src, NULL, &hints, &sa)))
		fail("%s: %s", src, gai_strerror(r));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("socket: %s", strerror(errno));
	if (sa && bind(fd, sa->ai_addr, sa->ai_addrlen) < 0)
		fail("bind %s: %s", src, strerror(errno));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		r = errno;
		close(fd);
		fd = -1;
		errno = r;
	} else {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	freeaddrinfo(ai);
	if (sa)
		freeaddrinfo(sa);
	return fd;
}

static void conn_free(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	rpc_in_free(&c->in);
	rpc_out_free(&c->out);
	sb_free(&c->sent);
	free(c);
}

static void send_bytes(struct conn *c, const void *buf, size_t n)
{
	sb_append(&c->sent, buf, n);
	/* the server may have closed already: that shows in the reading */
	if (write_all(c->fd, buf, n) < 0 && errno != EPIPE && errno != ECONNRESET)
		fail("write: %s", strerror(errno));
}

/* Sends what out holds; flip: a bit of its record to flip first (-1:
 * none), counted from the record's first byte after its mark. */
static void send_out(struct conn *c, long flip)
{
	uint8_t *p = c->out.buf + c->out.start;
	size_t n = rpc_out_pending(&c->out);

	if (flip >= 0) {
		if ((size_t)flip / 8 + 4 >= n)
			fail("bit %ld is beyond the record (%zu bytes)", flip, n - 4);
		p[4 + flip / 8] ^= (uint8_t)(1u << (flip % 8));
	}
	send_bytes(c, p, n);
	c->out.start = c->out.len = 0;
}

static uint32_t call(struct conn *c, uint32_t prog, uint32_t vers, uint32_t proc,
		     xdrproc_t xargs, void *args, long flip)
{
	uint32_t xid = ++c->xid;

	if (rpc_out_call(&c->out, xid, prog, vers, proc, xargs, args) < 0)
		fail("cannot encode procedure %u", proc);
	send_out(c, flip);
	return xid;
}

/* The next record within ms: 1 (rec, len), 0 the server closed (FIN or
 * reset), -1 nothing within ms, -2 a record that fails its MAC or
 * sequence number, -3 an oversized record. */
static int next_record(struct conn *c, const uint8_t **rec, size_t *len, int ms)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int k = rpc_in_next(&c->in, rec, len);
		ssize_t r;

		if (k == 1)
			return 1;
		if (k == -1)
			return -3;
		if (k < 0)
			return -2;
		if (now_ms() >= end || poll(&p, 1, (int)(end - now_ms())) == 0)
			return -1;
		r = rpc_in_read(&c->in, c->fd);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return 0;
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			fail("read: %s", strerror(errno));
	}
}

/* The reply to xid, decoded into res; 0 if the connection ended instead. */
static int reply(struct conn *c, uint32_t xid, xdrproc_t xres, void *res,
		 const char *what)
{
	const uint8_t *rec;
	struct rpc_msg m;
	size_t len;
	XDR x;
	int k = next_record(c, &rec, &len, STEP_MS);

	if (k == 0)
		return 0;
	if (k == -1)
		fail("%s: no reply and no end within %d ms", what, STEP_MS);
	if (k < 0)
		fail("%s: the server's record is %s", what,
		     k == -2 ? "broken (MAC or sequence number)" : "oversized");
	memset(&m, 0, sizeof(m));
	m.acpted_rply.ar_results.where = res;
	m.acpted_rply.ar_results.proc = xres;
	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	if (!xdr_replymsg(&x, &m))
		fail("%s: the reply does not decode", what);
	xdr_destroy(&x);
	if (m.rm_xid != xid)
		fail("%s: the reply answers xid %u, not %u", what, m.rm_xid, xid);
	if (m.rm_reply.rp_stat != MSG_ACCEPTED || m.acpted_rply.ar_stat != SUCCESS)
		fail("%s: %s", what, rpc_reply_error(&m));
	return 1;
}

/* The server must end the connection without sending anything more. */
static void expect_end(struct conn *c, const char *what)
{
	const uint8_t *rec;
	size_t len;
	int k = next_record(c, &rec, &len, STEP_MS);

	if (k == 1)
		fail("%s: the server answered (%zu bytes) instead of closing", what, len);
	if (k == -1)
		fail("%s: the connection is still open after %d ms", what, STEP_MS);
	if (k != 0)
		fail("%s: the server sent a bad record instead of closing", what);
	if (c->in.len)
		fail("%s: the server sent %zu bytes before closing", what, c->in.len);
}

/* Through the redirector: its answer, then the monitor's connection. */
static void redirect(struct conn *c)
{
	ud_port_res pr;
	char *vm = (char *)redir_vm;
	uint32_t xid = call(c, UMLDIR_PROG, UMLDIR_V1, UD_REDIRECT,
			    (xdrproc_t)xdr_wrapstring, &vm, -1);

	memset(&pr, 0, sizeof(pr));
	if (!reply(c, xid, (xdrproc_t)xdr_ud_port_res, &pr, "UD_REDIRECT"))
		fail("UD_REDIRECT %s: the redirector closed the connection", vm);
	if (pr.res.status != UD_OK)
		fail("UD_REDIRECT %s: status %d: %s", vm, pr.res.status, pr.res.message);
	xdr_free((xdrproc_t)xdr_ud_port_res, (char *)&pr);
}

static struct conn *dial(void)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	sb_init(&c->sent);
	c->fd = dial_fd();
	if (c->fd < 0)
		fail("connect to %s port %s: %s", host, port, strerror(errno));
	if (redir_vm) {
		redirect(c);
		/* the redirector's record is not the monitor's: a replay and
		 * the xids start after it */
		sb_free(&c->sent);
		sb_init(&c->sent);
		c->xid = 0;
	}
	return c;
}

static char *password(const char *file)
{
	struct err e;
	char *pw = auth_password_file(file, (uid_t)-1, &e);

	if (!pw)
		fail("%s", e.msg);
	return pw;
}

/* A handshake; returns the server's status for the step that decided
 * (UM_OK: authenticated, the connection sealed), or -1 if the server
 * closed without a reply. last: the server's message. */
struct hs {
	const char *vm;
	const char *pwfile;
	unsigned version;
	int hello_status, prove_status;
	char msg[UM_MSG_MAX + 1];
	uint8_t snonce[AUTH_NONCE_LEN];
	struct auth_session s;
};

static int handshake(struct conn *c, struct hs *h)
{
	um_auth_hello hello;
	um_auth_challenge ch;
	um_auth_proof pf;
	um_auth_result ar;
	uint8_t cproof[AUTH_MAC_LEN], sproof[AUTH_MAC_LEN];
	struct auth_key key;
	struct err e;
	uint32_t xid;
	char *pw;
	int r;

	memset(&hello, 0, sizeof(hello));
	memset(&ch, 0, sizeof(ch));
	memset(&ar, 0, sizeof(ar));
	hello.auth_version = h->version ? h->version : UM_AUTH_VERSION;
	hello.vm = (char *)h->vm;
	auth_random((uint8_t *)hello.cnonce, sizeof(hello.cnonce));
	xid = call(c, UMLMONCTRL_PROG, UMLMONCTRL_V1, UM_AUTH_HELLO,
		   (xdrproc_t)xdr_um_auth_hello, &hello, -1);
	if (!reply(c, xid, (xdrproc_t)xdr_um_auth_challenge, &ch, "UM_AUTH_HELLO"))
		return h->hello_status = -1;
	h->hello_status = ch.res.status;
	snprintf(h->msg, sizeof(h->msg), "%s", ch.res.message);
	memcpy(h->snonce, ch.snonce, sizeof(h->snonce));
	if (ch.res.status != UM_OK) {
		xdr_free((xdrproc_t)xdr_um_auth_challenge, (char *)&ch);
		return ch.res.status;
	}
	if (!h->pwfile)
		fail("%s: the hello was accepted", h->vm);
	if (ch.kdf_iterations < AUTH_KDF_MIN || ch.kdf_iterations > AUTH_KDF_MAX)
		fail("the server asks for %u iterations", ch.kdf_iterations);
	pw = password(h->pwfile);
	if (auth_derive(pw, h->vm, ch.kdf_iterations, &key, &e) < 0)
		fail("%s", e.msg);
	auth_wipe_free(pw);
	auth_compute(&key, h->vm, (uint8_t *)hello.cnonce, (uint8_t *)ch.snonce,
		     ch.kdf_iterations, NULL, 0, cproof, sproof, &h->s);
	xdr_free((xdrproc_t)xdr_um_auth_challenge, (char *)&ch);
	memcpy(pf.proof, cproof, sizeof(pf.proof));
	xid = call(c, UMLMONCTRL_PROG, UMLMONCTRL_V1, UM_AUTH_PROVE,
		   (xdrproc_t)xdr_um_auth_proof, &pf, -1);
	if (!reply(c, xid, (xdrproc_t)xdr_um_auth_result, &ar, "UM_AUTH_PROVE"))
		return h->prove_status = -1;
	h->prove_status = r = ar.res.status;
	snprintf(h->msg, sizeof(h->msg), "%s", ar.res.message);
	if (r == UM_OK) {
		if (!auth_equal(ar.proof, sproof, AUTH_MAC_LEN))
			fail("%s: the server's proof is wrong", h->vm);
		rpc_out_seal(&c->out, h->s.c2s);
		rpc_in_seal(&c->in, h->s.s2c);
	} else {
		static const uint8_t zero[AUTH_MAC_LEN];

		if (memcmp(ar.proof, zero, sizeof(zero)))
			fail("%s: a refused proof came with a server proof", h->vm);
	}
	xdr_free((xdrproc_t)xdr_um_auth_result, (char *)&ar);
	return r;
}

/* UM_INFO on an authenticated connection: the VM's state. */
static const char *info_state(struct conn *c, const char *what)
{
	static char state[32];
	um_info info;
	uint32_t xid = call(c, UMLMONCTRL_PROG, UMLMONCTRL_V1, UM_INFO,
			    (xdrproc_t)xdr_rpc_void, NULL, -1);

	memset(&info, 0, sizeof(info));
	if (!reply(c, xid, (xdrproc_t)xdr_um_info, &info, what))
		fail("%s: the monitor closed the connection instead of UM_INFO", what);
	snprintf(state, sizeof(state), "%s", vm_state_name(info.state));
	xdr_free((xdrproc_t)xdr_um_info, (char *)&info);
	return state;
}

/* A correct client: handshake, then UM_INFO, sealed. */
static void login(const char *vm, const char *pwfile)
{
	struct hs h = {.vm = vm, .pwfile = pwfile};
	struct conn *c = dial();
	int64_t t0 = now_ms();
	int r = handshake(c, &h);

	if (r != UM_OK)
		fail("%s: login refused (status %d): %s", vm, r, h.msg);
	printf("%s: authenticated in %" PRId64 " ms, state %s\n", vm,
	       now_ms() - t0, info_state(c, "UM_INFO"));
	conn_free(c);
}

/* A handshake the server must refuse with status want at step ("hello"
 * or "prove"), then close. */
static void refused(const char *vm, const char *pwfile, const char *step,
		    int want, unsigned version)
{
	struct hs h = {.vm = vm, .pwfile = pwfile, .version = version};
	struct conn *c = dial();
	int r = handshake(c, &h);
	int at_hello = h.hello_status != UM_OK;

	if (r == UM_OK)
		fail("%s: authenticated; expected a refusal at %s", vm, step);
	if (r == -1)
		fail("%s: closed without a reply at %s", vm, at_hello ? "hello" : "prove");
	if (strcmp(step, at_hello ? "hello" : "prove"))
		fail("%s: refused at %s, expected at %s: %s", vm,
		     at_hello ? "hello" : "prove", step, h.msg);
	if (r != want)
		fail("%s: status %d, expected %d: %s", vm, r, want, h.msg);
	if (!at_hello && !strstr(h.msg, vm))
		fail("%s: the refusal does not name the VM: '%s'", vm, h.msg);
	expect_end(c, "after the refusal");
	printf("refused at %s (status %d): %s; connection closed\n", step, r, h.msg);
	conn_free(c);
}

/* Calls before the handshake: each on its own connection, closed without
 * a reply. */
static void noauth(void)
{
	static const struct {
		uint32_t proc;
		const char *name;
	} calls[] = {
		{UM_NULL, "UM_NULL"},
		{UM_INFO, "UM_INFO"},
		{UM_START, "UM_START"},
	};

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct conn *c = dial();

		call(c, UMLMONCTRL_PROG, UMLMONCTRL_V1, calls[i].proc,
		     (xdrproc_t)xdr_rpc_void, NULL, -1);
		expect_end(c, calls[i].name);
		printf("%s before the handshake: closed, no reply\n", calls[i].name);
		conn_free(c);
	}
}

/* Two hellos: the second ends the connection. */
static void hello_twice(const char *vm)
{
	um_auth_hello hello = {.auth_version = UM_AUTH_VERSION, .vm = (char *)vm};
	um_auth_challenge ch;
	struct conn *c = dial();
	uint32_t xid;

	for (int i = 0; i < 2; i++) {
		auth_random((uint8_t *)hello.cnonce, sizeof(hello.cnonce));
		xid = call(c, UMLMONCTRL_PROG, UMLMONCTRL_V1, UM_AUTH_HELLO,
			   (xdrproc_t)xdr_um_auth_hello, &hello, -1);
		if (i)
			break;
		memset(&ch, 0, sizeof(ch));
		if (!reply(c, xid, (xdrproc_t)xdr_um_auth_challenge, &ch, "hello"))
			fail("the first hello got no reply");
		if (ch.res.status != UM_OK)
			fail("the first hello: %s", ch.res.message);
		xdr_free((xdrproc_t)xdr_um_auth_challenge, (char *)&ch);
	}
	/* a refusal may come first; then the end */
	memset(&ch, 0, sizeof(ch));
	if (reply(c, xid, (xdrproc_t)xdr_um_auth_challenge, &ch, "second hello")) {
		if (ch.res.status == UM_OK)
			fail("a second hello was answered UM_OK");
		printf("second hello refused: %s\n", ch.res.message);
		xdr_free((xdrproc_t)xdr_um_auth_challenge, (char *)&ch);
		expect_end(c, "after the second hello");
	}
	printf("a second hello: connection closed\n");
	conn_free(c);
}

/* The bytes of a good client's session (hello, proof, a sealed UM_INFO),
 * sent again on a new connection: the server's fresh nonce makes the old
 * proof wrong, and the sealed call is never answered. */
static void replay(const char *vm, const char *pwfile)
{
	struct hs h = {.vm = vm, .pwfile = pwfile};
	struct conn *c = dial(), *d;
	struct strbuf bytes;
	um_auth_challenge ch;
	um_auth_result ar;
	int r;

	if (handshake(c, &h) != UM_OK)
		fail("%s: the good session was refused: %s", vm, h.msg);
	info_state(c, "UM_INFO of the good session");
	sb_init(&bytes);
	sb_append(&bytes, c->sent.buf, c->sent.len);
	conn_free(c);

	d = dial();
	send_bytes(d, bytes.buf, bytes.len);
	/* the hello is answered (with a new nonce), the proof refused */
	memset(&ch, 0, sizeof(ch));
	if (!reply(d, 1, (xdrproc_t)xdr_um_auth_challenge, &ch, "replayed hello"))
		fail("the replayed hello got no reply");
	if (ch.res.status != UM_OK)
		fail("the replayed hello: %s", ch.res.message);
	if (!memcmp(ch.snonce, h.snonce, sizeof(h.snonce)))
		fail("the server sent the same nonce twice");
	xdr_free((xdrproc_t)xdr_um_auth_challenge, (char *)&ch);
	memset(&ar, 0, sizeof(ar));
	r = reply(d, 2, (xdrproc_t)xdr_um_auth_result, &ar, "replayed proof");
	if (r) {
		if (ar.res.status == UM_OK)
			fail("the replayed proof was accepted");
		printf("replayed proof refused: %s\n", ar.res.message);
		xdr_free((xdrproc_t)xdr_um_auth_result, (char *)&ar);
	}
	expect_end(d, "after the replayed proof");
	printf("replayed handshake (%zu bytes): refused, connection closed\n",
	       bytes.len);
	sb_free(&bytes);
	conn_free(d);
}

/* After a good handshake, a sealed UM_INFO with one bit flipped (in the
 * sequence number, the message, the MAC): closed, no reply. Then a record
 * sent twice (the second has an old sequence number) and one that skips
 * a number. */
static void flip(const char *vm, const char *pwfile)
{
	static const struct {
		const char *where;
		long bit;   /* from the record's start; < 0 from its end */
	} flips[] = {
		{"the sequence number", 7 * 8 + 0},
		{"the message", (AUTH_SEQ_LEN + 5) * 8 + 3},
		{"the MAC", -1},
	};

	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		struct hs h = {.vm = vm, .pwfile = pwfile};
		struct conn *c = dial();
		long bit = flips[i].bit;

		if (handshake(c, &h) != UM_OK)
			fail("%s: refused: %s", vm, h.msg);
		if (rpc_out_call(&c->out, ++c->xid, UMLMONCTRL_PROG, UMLMONCTRL_V1,
				 UM_INFO, (xdrproc_t)xdr_rpc_void, NULL) < 0)
			fail("encode");
		if (bit < 0)
			bit = (long)(rpc_out_pending(&c->out) - 4) * 8 - 1;
		send_out(c, bit);
		expect_end(c, flips[i].where);
		printf("a bit of %s flipped: closed, no reply\n", flips[i].where);
		conn_free(c);
	}
	{
		struct hs h = {.vm = vm, .pwfile = pwfile};
		struct conn *c = dial();
		size_t n;
		uint8_t *rec;

		if (handshake(c, &h) != UM_OK)
			fail("%s: refused: %s", vm, h.msg);
		if (rpc_out_call(&c->out, ++c->xid, UMLMONCTRL_PROG, UMLMONCTRL_V1,
				 UM_NULL, (xdrproc_t)xdr_rpc_void, NULL) < 0)
			fail("encode");
		n = rpc_out_pending(&c->out);
		rec = xmalloc(n);
		memcpy(rec, c->out.buf + c->out.start, n);
		send_out(c, -1);
		if (!reply(c, c->xid, (xdrproc_t)xdr_rpc_void, NULL, "UM_NULL"))
			fail("the sealed UM_NULL was not answered");
		send_bytes(c, rec, n);
		expect_end(c, "a sealed record sent twice");
		printf("a sealed record sent twice: the first answered, then closed\n");
		free(rec);
		conn_free(c);
	}
	{
		struct hs h = {.vm = vm, .pwfile = pwfile};
		struct conn *c = dial();
		struct rpc_out skip = {0};

		if (handshake(c, &h) != UM_OK)
			fail("%s: refused: %s", vm, h.msg);
		/* number 0 is dropped: the server sees number 1 first */
		rpc_out_seal(&skip, h.s.c2s);
		rpc_out_call(&skip, 1, UMLMONCTRL_PROG, UMLMONCTRL_V1, UM_NULL,
			     (xdrproc_t)xdr_rpc_void, NULL);
		rpc_out_call(&skip, 2, UMLMONCTRL_PROG, UMLMONCTRL_V1, UM_NULL,
			     (xdrproc_t)xdr_rpc_void, NULL);
		{
			/* both records are the same size: send the second alone */
			size_t one = rpc_out_pending(&skip) / 2;

			send_bytes(c, skip.buf + skip.start + one, one);
		}
		expect_end(c, "a sealed record that skips a number");
		printf("a sealed record that skips a number: closed, no reply\n");
		rpc_out_free(&skip);
		conn_free(c);
	}
}

/* A record mark of 2 GiB (before the handshake, or after it with vm). */
static void bigmark(const char *vm, const char *pwfile)
{
	static const uint8_t mark[4] = {0xff, 0xff, 0xff, 0xff};
	struct conn *c = dial();

	if (vm) {
		struct hs h = {.vm = vm, .pwfile = pwfile};

		if (handshake(c, &h) != UM_OK)
			fail("%s: refused: %s", vm, h.msg);
	}
	send_bytes(c, mark, sizeof(mark));
	/* and some of it, as a sender of 2 GiB would */
	{
		uint8_t junk[4096];

		memset(junk, 'A', sizeof(junk));
		send_bytes(c, junk, sizeof(junk));
	}
	expect_end(c, "a 2 GiB record mark");
	printf("a 2 GiB record mark%s: closed\n", vm ? " after the handshake" : "");
	conn_free(c);
}

/* n random bytes: closed, no reply. */
static void random_bytes(size_t n)
{
	uint8_t *buf = xmalloc(n);
	struct conn *c = dial();

	auth_random(buf, n);
	/* a small mark would let the server wait for the rest; a random one
	 * is almost always large, but make sure the garbage is a record */
	if (n >= 4) {
		uint32_t mark = htonl(0x80000000u | (uint32_t)(n - 4));

		memcpy(buf, &mark, 4);
	}
	send_bytes(c, buf, n);
	expect_end(c, "random bytes");
	printf("%zu random bytes: closed, no reply\n", n);
	free(buf);
	conn_free(c);
}

/* Waits until the server has closed want of the n connections (or until
 * deadline); returns how many it closed; closed_at[i] is when. */
static int wait_closes(const int *fds, int64_t *closed_at, int n, int want,
		       int64_t deadline)
{
	struct pollfd *p = xcalloc((size_t)n, sizeof(*p));
	int closed = 0;

	for (int i = 0; i < n; i++)
		closed += closed_at[i] != 0;
	while (closed < want && now_ms() < deadline) {
		int k = 0;

		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){.fd = closed_at[i] ? -1 : fds[i],
					       .events = POLLIN};
		k = poll(p, (nfds_t)n, (int)(deadline - now_ms()));
		for (int i = 0; k > 0 && i < n; i++) {
			char b[256];

			if (!p[i].revents)
				continue;
			if (read(fds[i], b, sizeof(b)) > 0)
				fail("connection %d got bytes it never asked for", i);
			closed_at[i] = now_ms();
			closed++;
		}
	}
	free(p);
	return closed;
}

/* n connections that never speak. Those over the server's limits must be
 * closed at once, keep of them stay until auth_timeout; meanwhile (with
 * other_src) a correct client from another address is served. */
static void hold(int n, int keep, const char *other_src, const char *vm,
		 const char *pwfile)
{
	int *fds = xcalloc((size_t)n, sizeof(*fds));
	int64_t *at = xcalloc((size_t)n, sizeof(*at));
	int64_t *closed_at = xcalloc((size_t)n, sizeof(*closed_at));
	char *held = xcalloc((size_t)n, 1);
	int64_t slow = 0, t0, tmo = auth_timeout_s * 1000;
	int closed, refused = 0;

	t0 = now_ms();
	for (int i = 0; i < n; i++) {
		fds[i] = dial_fd();
		at[i] = now_ms();
		if (fds[i] < 0) {
			/* refused by a full backlog: closed at once as well */
			if (errno != ECONNREFUSED && errno != ECONNRESET)
				fail("connection %d: %s", i, strerror(errno));
			closed_at[i] = at[i];
			refused++;
		}
	}
	printf("%d connections in %" PRId64 " ms (%d refused at connect)\n", n,
	       now_ms() - t0, refused);
	/* those over the limits go long before the handshake timeout */
	closed = wait_closes(fds, closed_at, n, n - keep, now_ms() + tmo / 2);
	if (closed < n - keep)
		fail("%d of %d connections closed within %" PRId64 " ms; expected %d "
		     "(the rest over the limits)", closed, n, tmo / 2, n - keep);
	for (int i = 0; i < n; i++)
		if (closed_at[i] && closed_at[i] - at[i] > slow)
			slow = closed_at[i] - at[i];
	/* and the others are still open */
	closed = wait_closes(fds, closed_at, n, n, now_ms() + 100);
	if (closed != n - keep)
		fail("%d connections closed, expected %d to stay open for now", closed,
		     n - keep);
	for (int i = 0; i < n; i++)
		held[i] = !closed_at[i];
	printf("%d closed at once (the slowest after %" PRId64 " ms), %d held\n",
	       n - keep, slow, keep);
	fflush(stdout);
	if (other_src) {
		const char *mine = src;

		src = other_src;
		login(vm, pwfile);
		src = mine;
	}
	/* the held ones are closed at auth_timeout, not much later */
	closed = wait_closes(fds, closed_at, n, n, t0 + tmo + 20000);
	if (closed != n)
		fail("%d of %d held connections still open %d s after the handshake "
		     "timeout", n - closed, keep, 20);
	slow = 0;
	for (int i = 0; i < n; i++) {
		int64_t d = closed_at[i] - at[i];

		if (!held[i])
			continue;
		if (d < tmo - 500)
			fail("a held connection closed after %" PRId64 " ms, before the "
			     "handshake timeout (%" PRId64 " ms)", d, tmo);
		if (d > slow)
			slow = d;
	}
	printf("the %d held connections closed, the last after %" PRId64 " ms "
	       "(auth_timeout %d s)\n", keep, slow, auth_timeout_s);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(at);
	free(closed_at);
	free(held);
}

/* n slow-loris clients: each sends a hello one byte at a time, a byte
 * every interval ms, so that it would take longer than auth_timeout.
 * They must all be closed by the server within auth_timeout (and a few
 * seconds of load), never later. */
static void loris(int n, int interval)
{
	um_auth_hello hello = {.auth_version = UM_AUTH_VERSION, .vm = "loris"};
	struct rpc_out out = {0};
	int *fds = xcalloc((size_t)n, sizeof(*fds));
	int64_t *closed_at = xcalloc((size_t)n, sizeof(*closed_at));
	int64_t t0 = now_ms(), tmo = auth_timeout_s * 1000, last = 0;
	size_t pos = 0, len;
	int closed = 0;

	if (redir_vm)
		fail("loris talks to the port itself (no -r)");
	/* the redirector's first record or the monitor's hello: any
	 * record, too slow */
	if (rpc_out_call(&out, 1, UMLMONCTRL_PROG, UMLMONCTRL_V1, UM_AUTH_HELLO,
			 (xdrproc_t)xdr_um_auth_hello, &hello) < 0)
		fail("encode");
	len = rpc_out_pending(&out);
	if ((int64_t)len * interval <= tmo)
		fail("a hello of %zu bytes at one per %d ms is faster than the "
		     "timeout", len, interval);
	for (int i = 0; i < n; i++)
		if ((fds[i] = dial_fd()) < 0)
			fail("connection %d: %s", i, strerror(errno));
	while (closed < n && now_ms() < t0 + tmo + 20000) {
		for (int i = 0; i < n && pos < len; i++)
			if (!closed_at[i] && send(fds[i], out.buf + pos, 1, MSG_NOSIGNAL) < 0)
				closed_at[i] = now_ms(), closed++;
		pos++;
		/* the attacker's pace, not a wait for the server */
		closed = wait_closes(fds, closed_at, n, n, now_ms() + interval);
	}
	if (closed < n)
		fail("%d of %d slow clients still open %d s after the handshake "
		     "timeout", n - closed, n, 20);
	for (int i = 0; i < n; i++) {
		if (closed_at[i] - t0 < tmo - 500)
			fail("a slow client was closed after %" PRId64 " ms, before the "
			     "timeout (%" PRId64 " ms)", closed_at[i] - t0, tmo);
		if (closed_at[i] - t0 > last)
			last = closed_at[i] - t0;
		close(fds[i]);
	}
	printf("%d slow clients (a byte per %d ms) closed, the last after %" PRId64
	       " ms (auth_timeout %d s), %zu of %zu bytes sent\n", n, interval, last,
	       auth_timeout_s, pos < len ? pos : len, len);
	rpc_out_free(&out);
	free(fds);
	free(closed_at);
}

/* umldir's list (its own port), as a correct client of umldir. */
static void udlist(void)
{
	ud_list_res l;
	struct conn *c = dial();
	uint32_t xid = call(c, UMLDIR_PROG, UMLDIR_V1, UD_LIST,
			    (xdrproc_t)xdr_rpc_void, NULL, -1);

	memset(&l, 0, sizeof(l));
	if (!reply(c, xid, (xdrproc_t)xdr_ud_list_res, &l, "UD_LIST"))
		fail("umldir closed the connection instead of UD_LIST");
	if (l.res.status != UD_OK)
		fail("UD_LIST: %s", l.res.message);
	for (u_int i = 0; i < l.vms.vms_len; i++)
		printf("%s %s %u\n", l.vms.vms_val[i].vm, l.vms.vms_val[i].state,
		       l.vms.vms_val[i].port);
	xdr_free((xdrproc_t)xdr_ud_list_res, (char *)&l);
	conn_free(c);
}

/* n connections that hold a server with three bytes of a record mark
 * each; meanwhile a client from other_src must get umldir's list. */
static void crowd(int n, const char *other_src)
{
	static const uint8_t part[3] = {0x80, 0, 0};
	int *fds = xcalloc((size_t)n, sizeof(*fds));
	int64_t *closed_at = xcalloc((size_t)n, sizeof(*closed_at));
	const char *mine = src;
	int64_t t0;
	int closed = 0;

	for (int i = 0; i < n; i++) {
		if ((fds[i] = dial_fd()) < 0) {
			if (errno != ECONNREFUSED && errno != ECONNRESET)
				fail("connection %d: %s", i, strerror(errno));
			closed_at[i] = now_ms();
			continue;
		}
		if (send(fds[i], part, sizeof(part), MSG_NOSIGNAL) < 0)
			closed_at[i] = now_ms();
	}
	t0 = now_ms();
	src = other_src;
	udlist();
	src = mine;
	closed = wait_closes(fds, closed_at, n, n, now_ms() + 100);
	printf("with %d connections holding it (%d of them closed by the server), "
	       "another address got the list in %" PRId64 " ms\n", n, closed,
	       now_ms() - t0);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(closed_at);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: authabuse [-b SRC] [-r VM] [-a AUTH_TIMEOUT_S] HOST PORT MODE ARGS\n"
		"  login VM PWFILE | wrong VM PWFILE | otherhello VM | badversion VM\n"
		"  noauth | hello-twice VM | replay VM PWFILE | flip VM PWFILE\n"
		"  bigmark [VM PWFILE] | random N | hold N KEEP [SRC2 VM PWFILE]\n"
		"  loris N INTERVAL_MS | udlist | crowd N SRC2\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode;
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "-b"))
			src = argv[i + 1];
		else if (!strcmp(argv[i], "-r"))
			redir_vm = argv[i + 1];
		else if (!strcmp(argv[i], "-a"))
			auth_timeout_s = atoi(argv[i + 1]);
		else
			usage();
	}
	if (argc - i < 3)
		usage();
	host = argv[i];
	port = argv[i + 1];
	mode = argv[i + 2];
	argv += i + 3;
	argc -= i + 3;
#define NEED(k) do { if (argc < (k)) usage(); } while (0)
	if (!strcmp(mode, "login")) {
		NEED(2);
		login(argv[0], argv[1]);
	} else if (!strcmp(mode, "wrong")) {
		NEED(2);
		refused(argv[0], argv[1], "prove", UM_EPERM, 0);
	} else if (!strcmp(mode, "otherhello")) {
		NEED(1);
		refused(argv[0], NULL, "hello", UM_ENOENT, 0);
	} else if (!strcmp(mode, "badversion")) {
		NEED(1);
		refused(argv[0], NULL, "hello", UM_EINVAL, UM_AUTH_VERSION + 1);
	} else if (!strcmp(mode, "noauth")) {
		noauth();
	} else if (!strcmp(mode, "hello-twice")) {
		NEED(1);
		hello_twice(argv[0]);
	} else if (!strcmp(mode, "replay")) {
		NEED(2);
		replay(argv[0], argv[1]);
	} else if (!strcmp(mode, "flip")) {
		NEED(2);
		flip(argv[0], argv[1]);
	} else if (!strcmp(mode, "bigmark")) {
		bigmark(argc >= 2 ? argv[0] : NULL, argc >= 2 ? argv[1] : NULL);
	} else if (!strcmp(mode, "random")) {
		NEED(1);
		random_bytes((size_t)atol(argv[0]));
	} else if (!strcmp(mode, "hold")) {
		NEED(2);
		hold(atoi(argv[0]), atoi(argv[1]), argc >= 5 ? argv[2] : NULL,
		     argc >= 5 ? argv[3] : NULL, argc >= 5 ? argv[4] : NULL);
	} else if (!strcmp(mode, "loris")) {
		NEED(2);
		loris(atoi(argv[0]), atoi(argv[1]));
	} else if (!strcmp(mode, "udlist")) {
		udlist();
	} else if (!strcmp(mode, "crowd")) {
		NEED(2);
		crowd(atoi(argv[0]), argv[1]);
	} else {
		usage();
	}
	return 0;
}
