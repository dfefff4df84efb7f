/* Unit tests of the stream transport (netio.h) with TLS, over a socket
 * pair: the handshake of both ends (the server's non-blocking, in steps),
 * the channel binding both compute alike and no other session shares,
 * records larger than a socket's buffer through partial writes and a
 * buffer that moves between a write and its retry, bytes TLS holds
 * decrypted, a clear peer, a certificate checked against a CA file and a
 * host, and the server's context refusing files that are not a
 * certificate and its key. Certificates from the openssl command. */
#include "common/ossl.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/netio.h"
#include "common/rpc_wire.h"
#include "common/tlsctx.h"
#include "testutil.h"

static char dir[] = "/tmp/umlmon-test-netio.XXXXXX";
static char crt_a[128], key_a[128], crt_b[128], key_b[128];

static void cert(const char *name, char *crt, char *key)
{
	snprintf(crt, 128, "%s/%s.crt", dir, name);
	snprintf(key, 128, "%s/%s.key", dir, name);
	assert_int_equal(test_sh("openssl req -x509 -newkey ec -pkeyopt "
				 "ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=%s "
				 "-addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s",
				 name, key, crt), 0);
}

static int setup_all(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	cert("a", crt_a, key_a);
	cert("b", crt_b, key_b);
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	test_sh("rm -rf %s", dir);
	return 0;
}

/* Both ends of one connection: s the server's, c the client's. */
struct pair {
	struct netio s, c;
	SSL_CTX *sctx, *cctx;
	const char *host;
	int crc;
	struct err ce;
};

static void *client_hs(void *arg)
{
	struct pair *p = arg;

	p->crc = netio_tls_client(&p->c, p->cctx, p->host, now_ms() + 5000, &p->ce);
	return NULL;
}

/* A TLS connection: the client's handshake in a thread, the server's in
 * steps here as the monitor's loop does it. Returns the server's
 * netio_accept result; the client's is p->crc. */
static int pair_open(struct pair *p, const char *ca, const char *host)
{
	struct err e;
	pthread_t th;
	int sv[2], r;

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fd_nonblock(sv[0]);
	fd_nonblock(sv[1]);
	netio_init(&p->s, sv[0]);
	netio_init(&p->c, sv[1]);
	p->sctx = tlsctx_server(crt_a, key_a, &e);
	assert_non_null(p->sctx);
	p->cctx = tlsctx_client(ca, &e);
	assert_non_null(p->cctx);
	p->host = host;
	assert_int_equal(netio_tls_server(&p->s, p->sctx, &e), 0);
	assert_int_equal(pthread_create(&th, NULL, client_hs, p), 0);
	while ((r = netio_accept(&p->s)) == 0) {
		struct pollfd pfd = {p->s.fd, p->s.want_write ? POLLOUT : POLLIN, 0};

		assert_true(poll(&pfd, 1, 5000) > 0);
	}
	pthread_join(th, NULL);
	return r;
}

static void pair_close(struct pair *p)
{
	netio_close(&p->s);
	netio_close(&p->c);
	tlsctx_free(p->sctx);
	tlsctx_free(p->cctx);
}

static void test_binding(void **state)
{
	uint8_t bs[AUTH_TLS_BINDING_LEN], bc[AUTH_TLS_BINDING_LEN];
	uint8_t other[AUTH_TLS_BINDING_LEN], zero[AUTH_TLS_BINDING_LEN] = {0};
	struct pair p, q;
	struct netio plain;

	(void)state;
	assert_int_equal(pair_open(&p, NULL, "127.0.0.1"), 1);
	assert_int_equal(p.crc, 0);
	assert_int_equal(SSL_version(p.s.ssl), TLS1_3_VERSION);
	assert_int_equal(netio_binding(&p.s, bs), 0);
	assert_int_equal(netio_binding(&p.c, bc), 0);
	assert_memory_equal(bs, bc, sizeof(bs));
	assert_memory_not_equal(bs, zero, sizeof(bs));
	/* another session, the same certificate: another binding */
	assert_int_equal(pair_open(&q, NULL, "127.0.0.1"), 1);
	assert_int_equal(netio_binding(&q.c, other), 0);
	assert_memory_not_equal(bs, other, sizeof(bs));
	pair_close(&q);
	pair_close(&p);
	netio_init(&plain, -1);
	assert_int_equal(netio_binding(&plain, bs), -1);
}

static bool_t xdr_blob(XDR *x, void *p)
{
	return xdr_opaque(x, p, 300000);
}

/* Records larger than the socket pair's buffers, both ways, each side
 * non-blocking: partial writes, retries after the buffer moved. */
static void test_records(void **state)
{
	static uint8_t blob[300000], got[300000];
	struct rpc_out out = {0}, back = {0};
	struct rpc_in in = {0}, cin = {0};
	const uint8_t *rec;
	size_t len;
	struct pair p;
	int nrec = 0, nback = 0, appended = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(pair_open(&p, crt_a, "127.0.0.1"), 1);
	assert_int_equal(p.crc, 0);
	assert_int_equal(rpc_out_record(&out, (xdrproc_t)xdr_blob, blob), 0);
	for (int round = 0; round < 10000 && (nrec < 3 || nback < 3); round++) {
		int r = rpc_out_flush_io(&out, &p.c);

		assert_true(r >= 0);
		/* more records while a write waits: rpc_out moves its bytes */
		if (r == 1 && appended < 2) {
			assert_int_equal(rpc_out_record(&out, (xdrproc_t)xdr_blob, blob), 0);
			appended++;
		} else if (r == 0 && appended < 2) {
			assert_int_equal(rpc_out_record(&out, (xdrproc_t)xdr_blob, blob), 0);
			appended++;
		}
		if (rpc_in_read_io(&in, &p.s) < 0)
			assert_int_equal(errno, EAGAIN);
		while (rpc_in_next(&in, &rec, &len) == 1) {
			XDR x;

			xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
			assert_true(xdr_blob(&x, got));
			xdr_destroy(&x);
			assert_memory_equal(got, blob, sizeof(blob));
			nrec++;
			assert_int_equal(rpc_out_record(&back, (xdrproc_t)xdr_blob, blob), 0);
		}
		assert_true(rpc_out_flush_io(&back, &p.s) >= 0);
		if (rpc_in_read_io(&cin, &p.c) < 0)
			assert_int_equal(errno, EAGAIN);
		while (rpc_in_next(&cin, &rec, &len) == 1)
			nback++;
	}
	assert_int_equal(nrec, 3);
	assert_int_equal(nback, 3);
	rpc_in_free(&in);
	rpc_in_free(&cin);
	rpc_out_free(&out);
	rpc_out_free(&back);
	pair_close(&p);
}

/* What TLS decrypted but a short read did not take: epoll would not
 * report it; rpc_in_read_io takes it all. */
static void test_pending(void **state)
{
	struct rpc_out out = {0};
	struct rpc_in in = {0};
	struct pollfd pfd;
	const uint8_t *rec;
	size_t len;
	uint8_t first[4];
	struct pair p;

	(void)state;
	assert_int_equal(pair_open(&p, NULL, "127.0.0.1"), 1);
	/* a record that fits one TLS record */
	assert_int_equal(rpc_out_call(&out, 1, 2, 3, 4, NULL, NULL), 0);
	assert_int_equal(rpc_out_flush_io(&out, &p.c), 0);
	pfd = (struct pollfd){p.s.fd, POLLIN, 0};
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(netio_read(&p.s, first, 4), 4);
	assert_true(netio_pending(&p.s) > 0);
	rpc_in_push(&in, first, 4);
	assert_true(rpc_in_read_io(&in, &p.s) > 0);
	assert_int_equal(netio_pending(&p.s), 0);
	assert_int_equal(rpc_in_next(&in, &rec, &len), 1);
	assert_int_equal(len, 40);
	rpc_in_free(&in);
	rpc_out_free(&out);
	pair_close(&p);
}

/* A client that speaks in clear to a TLS server: the handshake fails with
 * OpenSSL's reason, not a hang. */
static void test_clear_peer(void **state)
{
	static const char call[] = "\x80\x00\x00\x28not TLS at all, an RPC record";
	struct err e;
	SSL_CTX *ctx = tlsctx_server(crt_a, key_a, &e);
	struct netio s;
	int sv[2], r;

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fd_nonblock(sv[0]);
	netio_init(&s, sv[0]);
	assert_int_equal(netio_tls_server(&s, ctx, &e), 0);
	assert_int_equal(netio_accept(&s), 0);
	assert_true(s.want_read);
	assert_int_equal(write(sv[1], call, sizeof(call) - 1), (ssize_t)sizeof(call) - 1);
	r = netio_accept(&s);
	assert_int_equal(r, -1);
	assert_true(s.failed);
	assert_true(s.reason[0] != '\0');
	netio_close(&s);
	close(sv[1]);
	tlsctx_free(ctx);
}

/* A CA file: the certificate must be the CA's and for the host. */
static void test_verify(void **state)
{
	struct pair p;

	(void)state;
	assert_int_equal(pair_open(&p, crt_b, "127.0.0.1"), -1);
	assert_int_equal(p.crc, -1);
	assert_int_equal(p.ce.code, ERR_PERM);
	assert_non_null(strstr(p.ce.msg, "does not verify"));
	pair_close(&p);
	assert_int_equal(pair_open(&p, crt_a, "192.0.2.9"), -1);
	assert_int_equal(p.ce.code, ERR_PERM);
	pair_close(&p);
	assert_int_equal(pair_open(&p, crt_a, "127.0.0.1"), 1);
	assert_int_equal(p.crc, 0);
	pair_close(&p);
}

static void test_server_files(void **state)
{
	char missing[160];
	struct err e;

	(void)state;
	assert_null(tlsctx_server(crt_a, key_b, &e));
	assert_int_equal(e.code, ERR_INVAL);
	assert_non_null(strstr(e.msg, "not the key of tls_cert"));
	assert_non_null(strstr(e.msg, key_b));
	snprintf(missing, sizeof(missing), "%s/missing.crt", dir);
	assert_null(tlsctx_server(missing, key_a, &e));
	assert_non_null(strstr(e.msg, missing));
	assert_null(tlsctx_server(key_a, key_a, &e));
	assert_non_null(strstr(e.msg, "tls_cert"));
	assert_null(tlsctx_client(missing, &e));
	assert_non_null(strstr(e.msg, missing));
	/* nothing left in OpenSSL's queue for the next one to misread */
	assert_int_equal(ERR_peek_error(), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binding),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_clear_peer),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_server_files),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
