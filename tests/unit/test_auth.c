/* Unit tests of the authentication (auth.h) and sealed records
 * (rpc_wire.h): the key, T, the proofs and session keys against an
 * independent computation (auth_vectors.py), the server's handshake in
 * every wrong order and with every wrong key, sealed records that are
 * changed, replayed, reordered or cut, and password files by their
 * mode, type and owner. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/authfile.h"
#include "common/rpc_wire.h"
#include "testutil.h"
#include "umldir.h"
#include "umlmonctrl.h"

/* The vectors' inputs (tests/unit/auth_vectors.py). */
#define VM "vm1"
#define PASSWORD "correct horse battery"
#define MASTER "master password 1"
#define ITER 10000

static void hex(const char *h, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(h), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void assert_hex(const uint8_t *got, const char *want)
{
	uint8_t w[512];
	size_t n = strlen(want) / 2;

	assert_true(n <= sizeof(w));
	hex(want, w, n);
	if (memcmp(got, w, n) != 0) {
		char g[1025];

		for (size_t i = 0; i < n; i++)
			sprintf(g + 2 * i, "%02x", got[i]);
		fail_msg("got %s, expected %s", g, want);
	}
}

static void nonces(uint8_t cn[AUTH_NONCE_LEN], uint8_t sn[AUTH_NONCE_LEN])
{
	for (int i = 0; i < AUTH_NONCE_LEN; i++) {
		cn[i] = (uint8_t)i;
		sn[i] = (uint8_t)(0xa0 + i);
	}
}

static struct auth_key derived(const char *pw, const char *vm)
{
	struct auth_key k;
	struct err e;

	if (auth_derive(pw, vm, ITER, &k, &e) < 0)
		fail_msg("derive: %s", e.msg);
	return k;
}

/* PBKDF2-HMAC-SHA256 against Python's hashlib.pbkdf2_hmac (auth_vectors.py):
 * the salt is the VM's name, so one master password gives each VM its own
 * key; iterations out of range are refused. */
static void kdf(void **state)
{
	struct auth_key k = derived(PASSWORD, VM);
	struct err e;

	(void)state;
	assert_hex(k.k, "51d3e0001c29e8bf3386c2c34410a4f8a637f726b7c50e5ce58bcc2c4b341132");
	k = derived(MASTER, VM);
	assert_hex(k.k, "d4eae8e792bcb2359bb8fab19c64419c1d6b67748611e5c4dfe7c9800cc3f22b");
	k = derived(MASTER, "vm2");
	assert_hex(k.k, "e298e48a12c95ef1062ad4513a18db24c9fcb5206082328cdd556ecba4113e0f");
	assert_int_equal(auth_derive(PASSWORD, VM, AUTH_KDF_MIN - 1, &k, &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	assert_int_equal(auth_derive(PASSWORD, VM, AUTH_KDF_MAX + 1, &k, &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	assert_int_equal(auth_derive(PASSWORD, VM, 0, &k, &e), -1);
}

/* Proofs and session keys against Python's hmac (auth_vectors.py),
 * without TLS and with a channel binding. */
static void proofs(void **state)
{
	static const struct {
		int tls;
		const char *cp, *sp, *c2s, *s2c, *master_cp;
	} v[] = {
		{0, "4e2e02cbe4c3f9faa558c63ea77be0abb4e017c172e34e2c4770e8d37002df29",
		 "dc673b0d16fd1643a98ce9fef84692da6a9a7b54deab1c30c9b9e124ef99765c",
		 "e1ee8912d170b294e577dd9058763c49783dbcc15cecd7925cc7d41a5243e0f0",
		 "67e83e15e0774b356f4eb82df26f881c52745a22d08f5a15dd89649e3c8793b4",
		 "59356126fdcb1dc8bd63939527702168c9284e409ce6a64ddae559f1bfb00e48"},
		{1, "e38f209732cb0e781b73084d07d39fe7193241e3410bb594d456b3dcebf60d23",
		 "46b6c72b71e46112f4ca3379facbbffe6524d72827009c5fcff1df5c3146bf83",
		 "b10375be81440ac9bb117c6a8d98d443f626419b14ed499c2b02046c35b0b6fe",
		 "0c05eaae7514f48832b496fe61796ff9b62b3b041085b79dc0b5164b6f1a139c",
		 "4e6102a02b558f9e34ca6fad4b7217db78401b6c8bd95da2d41de940bed34b8a"},
	};
	struct auth_key k = derived(PASSWORD, VM), m = derived(MASTER, VM);
	uint8_t cn[AUTH_NONCE_LEN], sn[AUTH_NONCE_LEN], bind[AUTH_TLS_BINDING_LEN];
	uint8_t cp[AUTH_MAC_LEN], sp[AUTH_MAC_LEN];
	struct auth_session s;

	(void)state;
	nonces(cn, sn);
	for (int i = 0; i < AUTH_TLS_BINDING_LEN; i++)
		bind[i] = (uint8_t)(0x40 + i);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		const uint8_t *b = v[i].tls ? bind : NULL;
		size_t bl = v[i].tls ? sizeof(bind) : 0;

		auth_compute(&k, VM, cn, sn, ITER, b, bl, cp, sp, &s);
		assert_hex(cp, v[i].cp);
		assert_hex(sp, v[i].sp);
		assert_hex(s.c2s, v[i].c2s);
		assert_hex(s.s2c, v[i].s2c);
		auth_compute(&m, VM, cn, sn, ITER, b, bl, cp, sp, &s);
		assert_hex(cp, v[i].master_cp);
	}
}

/* What a client computes from the server's challenge. */
struct client {
	uint8_t cn[AUTH_NONCE_LEN], sn[AUTH_NONCE_LEN];
	uint8_t cp[AUTH_MAC_LEN], sp[AUTH_MAC_LEN];
	struct auth_session s;
};

/* A hello to as (which must accept it), then the client's proof with k. */
static void hello(struct auth_server *as, struct client *c,
		  const struct auth_key *k)
{
	struct err e;

	auth_random(c->cn, sizeof(c->cn));
	if (auth_server_hello(as, AUTH_VERSION, VM, c->cn, c->sn, &e) < 0)
		fail_msg("hello: %s", e.msg);
	assert_int_equal(as->state, AUTH_WANT_PROOF);
	auth_compute(k, VM, c->cn, c->sn, ITER, NULL, 0, c->cp, c->sp, &c->s);
}

static const uint8_t zero[AUTH_MAC_LEN];

/* Proves c's proof to as; 0 and the server's proof and session checked
 * against the client's, or -1 with a zero proof and ERR_PERM. */
static int prove(struct auth_server *as, const struct client *c)
{
	uint8_t sp[AUTH_MAC_LEN];
	struct auth_session s;
	struct err e;

	if (auth_server_prove(as, c->cp, sp, &s, &e) < 0) {
		assert_int_equal(as->state, AUTH_REFUSED);
		assert_memory_equal(sp, zero, sizeof(sp));
		assert_int_equal(e.code, ERR_PERM);
		assert_non_null(strstr(e.msg, VM));
		return -1;
	}
	assert_int_equal(as->state, AUTH_DONE);
	assert_true(auth_equal(sp, c->sp, sizeof(sp)));
	assert_memory_equal(&s, &c->s, sizeof(s));
	return 0;
}

static void refused_hello(unsigned version, const char *vm, enum err_code code)
{
	struct auth_key k = derived(PASSWORD, VM);
	uint8_t cn[AUTH_NONCE_LEN] = {0}, sn[AUTH_NONCE_LEN];
	struct auth_server as;
	struct err e;

	auth_server_init(&as, VM, &k, NULL, ITER, NULL, 0);
	assert_int_equal(auth_server_hello(&as, version, vm, cn, sn, &e), -1);
	assert_int_equal(e.code, code);
	assert_int_equal(as.state, AUTH_REFUSED);
	/* nothing more after a refusal */
	assert_int_equal(auth_server_hello(&as, AUTH_VERSION, VM, cn, sn, &e), -1);
}

static void server_handshake(void **state)
{
	struct auth_key k = derived(PASSWORD, VM), m = derived(MASTER, VM);
	struct auth_key wrong = derived("not the password", VM);
	struct auth_key m2 = derived(MASTER, "vm2"), k2 = derived(PASSWORD, "vm2");
	uint8_t sn[AUTH_NONCE_LEN], sp[AUTH_MAC_LEN];
	struct auth_server as;
	struct auth_session s;
	struct client c, old;
	struct err e;

	(void)state;
	refused_hello(2, VM, ERR_INVAL);
	refused_hello(0, VM, ERR_INVAL);
	refused_hello(AUTH_VERSION, "vm2", ERR_NOENT);
	refused_hello(AUTH_VERSION, "", ERR_NOENT);
	refused_hello(AUTH_VERSION, "vm1x", ERR_NOENT);

	/* the VM's password */
	auth_server_init(&as, VM, &k, &m, ITER, NULL, 0);
	hello(&as, &c, &k);
	assert_int_equal(prove(&as, &c), 0);
	assert_int_equal(as.by_master, 0);
	/* a second proof, or a hello, after the handshake */
	assert_int_equal(auth_server_prove(&as, c.cp, sp, &s, &e), -1);
	assert_int_equal(as.state, AUTH_REFUSED);
	old = c;

	/* the master password, for the same VM */
	auth_server_init(&as, VM, &k, &m, ITER, NULL, 0);
	hello(&as, &c, &m);
	assert_int_equal(prove(&as, &c), 0);
	assert_int_equal(as.by_master, 1);
	/* a master password alone (no VM password) */
	auth_server_init(&as, VM, NULL, &m, ITER, NULL, 0);
	hello(&as, &c, &m);
	assert_int_equal(prove(&as, &c), 0);
	assert_int_equal(as.by_master, 1);

	/* a wrong password; vm2's password; the master's key of vm2 */
	const struct auth_key *bad[] = {&wrong, &k2, &m2};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		auth_server_init(&as, VM, &k, &m, ITER, NULL, 0);
		hello(&as, &c, bad[i]);
		assert_int_equal(prove(&as, &c), -1);
	}
	/* no key at all on the server: nothing matches */
	auth_server_init(&as, VM, NULL, NULL, ITER, NULL, 0);
	hello(&as, &c, &k);
	assert_int_equal(prove(&as, &c), -1);

	/* a replayed handshake: the same hello and the proof of an earlier
	 * session meet a fresh server nonce */
	auth_server_init(&as, VM, &k, &m, ITER, NULL, 0);
	assert_int_equal(auth_server_hello(&as, AUTH_VERSION, VM, old.cn, sn, &e), 0);
	assert_memory_not_equal(sn, old.sn, sizeof(sn));
	assert_int_equal(prove(&as, &old), -1);

	/* a second hello */
	auth_server_init(&as, VM, &k, &m, ITER, NULL, 0);
	hello(&as, &c, &k);
	assert_int_equal(auth_server_hello(&as, AUTH_VERSION, VM, c.cn, sn, &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	assert_int_equal(as.state, AUTH_REFUSED);
	assert_int_equal(auth_server_prove(&as, c.cp, sp, &s, &e), -1);

	/* a proof before the hello */
	auth_server_init(&as, VM, &k, &m, ITER, NULL, 0);
	assert_int_equal(auth_server_prove(&as, c.cp, sp, &s, &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	assert_int_equal(as.state, AUTH_REFUSED);
	assert_memory_equal(sp, zero, sizeof(sp));

	/* with a TLS binding, a proof made without it (or with another) fails */
	uint8_t bind[AUTH_TLS_BINDING_LEN];
	auth_random(bind, sizeof(bind));
	auth_server_init(&as, VM, &k, &m, ITER, bind, sizeof(bind));
	hello(&as, &c, &k);
	assert_int_equal(prove(&as, &c), -1);
	auth_server_init(&as, VM, &k, &m, ITER, bind, sizeof(bind));
	hello(&as, &c, &k);
	auth_compute(&k, VM, c.cn, c.sn, ITER, bind, sizeof(bind), c.cp, c.sp, &c.s);
	assert_int_equal(prove(&as, &c), 0);
}

/* auth_seal against Python (auth_vectors.py); then open what it sealed. */
static void seal_vectors(void **state)
{
	struct auth_dir out = {.seq = 0}, in = {.seq = 0};
	uint8_t rec[5 + AUTH_SEAL_OVERHEAD];
	const uint8_t *msg;
	size_t n;

	(void)state;
	hex("e1ee8912d170b294e577dd9058763c49783dbcc15cecd7925cc7d41a5243e0f0",
	    out.key, AUTH_KEY_LEN);
	memcpy(in.key, out.key, AUTH_KEY_LEN);
	auth_seal(&out, (const uint8_t *)"hello", 5, rec);
	assert_hex(rec, "000000000000000068656c6c6fb946d6d3a26735bdf3a0abb8e40570"
		   "398ae25d6f30fede662197984209ff3110");
	assert_int_equal(auth_open(&in, rec, sizeof(rec), &msg, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(msg, "hello", 5);
	auth_seal(&out, NULL, 0, rec);
	assert_hex(rec, "000000000000000198aed25184390704a9c7060ce36744d52b180f0d"
		   "5f55638ce70b501d4ca2cb61");
	assert_int_equal(auth_open(&in, rec, AUTH_SEAL_OVERHEAD, &msg, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(in.seq, 2);
}

static const uint8_t key_c2s[AUTH_KEY_LEN] = {1, 2, 3};
static const uint8_t key_s2c[AUTH_KEY_LEN] = {3, 2, 1};

/* Appends the string s as one record. */
static void put(struct rpc_out *out, const char *s)
{
	char *p = (char *)s;

	assert_int_equal(rpc_out_record(out, (xdrproc_t)xdr_wrapstring, &p), 0);
}

/* The next record of in is the string want. */
static void get(struct rpc_in *in, const char *want)
{
	const uint8_t *rec;
	char *got = NULL;
	size_t len;
	XDR x;

	assert_int_equal(rpc_in_next(in, &rec, &len), 1);
	xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
	assert_true(xdr_wrapstring(&x, &got));
	assert_int_equal(xdr_getpos(&x), len);
	xdr_destroy(&x);
	assert_string_equal(got, want);
	free(got);
}

/* The bytes of out's records, then out emptied. */
static void move(struct rpc_out *out, struct rpc_in *in)
{
	rpc_in_push(in, out->buf + out->start, rpc_out_pending(out));
	out->start = out->len = 0;
}

/* The records after rpc_out_seal are sealed and come out of an rpc_in
 * sealed with the same key; a clear record before them (the reply to
 * UM_AUTH_PROVE) stays clear, also when the sealed ones arrived with it in
 * one read. */
static void seal_round_trip(void **state)
{
	struct rpc_out out = {0};
	struct rpc_in in = {0};
	const uint8_t *rec;
	size_t len, clear;

	(void)state;
	put(&out, "the clear reply");
	clear = rpc_out_pending(&out);
	rpc_out_seal(&out, key_c2s);
	put(&out, "first");
	put(&out, "");
	put(&out, "third");
	/* each sealed record: 4-byte mark, seq, message, MAC; one fragment */
	uint32_t hdr;
	memcpy(&hdr, out.buf + clear, 4);
	hdr = ntohl(hdr);
	assert_true(hdr & 0x80000000u);
	assert_int_equal(hdr & 0x7fffffffu, 4 + 8 + AUTH_SEAL_OVERHEAD);
	assert_memory_equal(out.buf + clear + 4, "\0\0\0\0\0\0\0\0", 8);
	move(&out, &in);
	get(&in, "the clear reply");
	rpc_in_seal(&in, key_c2s);
	get(&in, "first");
	get(&in, "");
	get(&in, "third");
	assert_int_equal(rpc_in_next(&in, &rec, &len), 0);
	/* byte by byte */
	for (int i = 0; i < 3; i++)
		put(&out, "slowly");
	for (size_t i = out.start; i < out.len; i++)
		rpc_in_push(&in, out.buf + i, 1);
	out.start = out.len = 0;
	for (int i = 0; i < 3; i++)
		get(&in, "slowly");
	assert_int_equal(in.seal.seq, 6);
	assert_int_equal(out.seal.seq, 6);
	rpc_in_free(&in);
	rpc_out_free(&out);
}

/* A stream of sealed records with the string "record N" each, its
 * records' offsets in out->buf in at[]. */
static void sealed_stream(struct rpc_out *out, const uint8_t key[AUTH_KEY_LEN],
			  int n, size_t *at)
{
	char s[32];

	memset(out, 0, sizeof(*out));
	rpc_out_seal(out, key);
	for (int i = 0; i < n; i++) {
		at[i] = out->len;
		snprintf(s, sizeof(s), "record %d", i);
		put(out, s);
	}
	at[n] = out->len;
}

/* in, sealed with key, gets the bytes; then rpc_in_next answers want
 * after `good` good records. */
static void stream_ends(const uint8_t *bytes, size_t len,
			const uint8_t key[AUTH_KEY_LEN], int good, int want)
{
	struct rpc_in in = {0};
	const uint8_t *rec;
	size_t rl;

	rpc_in_seal(&in, key);
	rpc_in_push(&in, bytes, len);
	for (int i = 0; i < good; i++)
		assert_int_equal(rpc_in_next(&in, &rec, &rl), 1);
	assert_int_equal(rpc_in_next(&in, &rec, &rl), want);
	rpc_in_free(&in);
}

/* Every bit of a sealed record (sequence number, message, MAC) matters;
 * a record replayed, reordered, dropped, cut short, or sealed with the
 * other direction's key breaks the stream. */
static void seal_refused(void **state)
{
	struct rpc_out out;
	size_t at[4], r1;
	uint8_t *b;

	(void)state;
	sealed_stream(&out, key_c2s, 3, at);
	b = out.buf;
	r1 = at[2] - at[1];
	stream_ends(b, at[3], key_c2s, 3, 0);
	/* the other direction's key */
	stream_ends(b, at[3], key_s2c, 0, -2);
	/* a flipped bit anywhere after the record mark of record 1 */
	for (size_t i = at[1] + 4; i < at[2]; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			b[i] ^= (uint8_t)(1u << bit);
			stream_ends(b, at[3], key_c2s, 1, -2);
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* record 0 replayed in place of record 1 */
	uint8_t *replay = malloc(at[3] + at[1]);
	memcpy(replay, b, at[1]);
	memcpy(replay + at[1], b, at[1]);
	stream_ends(replay, 2 * at[1], key_c2s, 1, -2);
	free(replay);
	/* records 1 and 0 swapped */
	uint8_t *swap = malloc(at[2]);
	memcpy(swap, b + at[1], r1);
	memcpy(swap + r1, b, at[1]);
	stream_ends(swap, at[2], key_c2s, 0, -2);
	/* record 1 dropped */
	uint8_t *drop = malloc(at[3]);
	memcpy(drop, b, at[1]);
	memcpy(drop + at[1], b + at[2], at[3] - at[2]);
	stream_ends(drop, at[1] + at[3] - at[2], key_c2s, 1, -2);
	free(drop);
	free(swap);
	/* shorter than a sequence number and a MAC: 0, 8 and 39 bytes */
	static const size_t shortlen[] = {0, 8, AUTH_SEAL_OVERHEAD - 1};
	for (size_t i = 0; i < ARRAY_SIZE(shortlen); i++) {
		uint8_t rec[4 + AUTH_SEAL_OVERHEAD] = {0};
		uint32_t hdr = htonl(0x80000000u | (uint32_t)shortlen[i]);

		memcpy(rec, &hdr, 4);
		stream_ends(rec, 4 + shortlen[i], key_c2s, 0, -2);
	}
	/* a clear record on a sealed stream */
	struct rpc_out clear = {0};
	put(&clear, "not sealed but long enough to hold a seq and a MAC .....");
	stream_ends(clear.buf, clear.len, key_c2s, 0, -2);
	rpc_out_free(&clear);
	rpc_out_free(&out);
}

/* The bytes of out (then emptied) are want, in hex. */
static void assert_stream(struct rpc_out *out, const char *want)
{
	assert_int_equal(2 * rpc_out_pending(out), strlen(want));
	assert_hex(out->buf + out->start, want);
	out->start = out->len = 0;
}

/* out gets a call and then holds the bytes want. */
static void call_is(struct rpc_out *out, uint32_t xid, uint32_t prog,
		    uint32_t proc, xdrproc_t xargs, void *args, const char *want)
{
	assert_int_equal(rpc_out_call(out, xid, prog, 1, proc, xargs, args), 0);
	assert_stream(out, want);
}

/* out gets a successful reply and then holds the bytes want. */
static void reply_is(struct rpc_out *out, uint32_t xid, xdrproc_t xres,
		     void *res, const char *want)
{
	struct rpc_msg r;

	rpc_reply_accepted(&r, xid, SUCCESS, xres, res);
	assert_int_equal(rpc_out_record(out, (xdrproc_t)xdr_replymsg, &r), 0);
	assert_stream(out, want);
}

/* docs/PROTOCOL.md's worked example, as umlmon's encoders write it: the
 * same bytes as Python's (auth_vectors.py) and the document's. */
static void worked_example(void **state)
{
	struct auth_key k = derived(PASSWORD, VM);
	struct rpc_out c2s = {0}, s2c = {0}, dir = {0};
	uint8_t cn[AUTH_NONCE_LEN], sn[AUTH_NONCE_LEN];
	uint8_t cp[AUTH_MAC_LEN], sp[AUTH_MAC_LEN];
	struct auth_session ses;
	char *vm = VM;

	(void)state;
	nonces(cn, sn);
	auth_compute(&k, VM, cn, sn, ITER, NULL, 0, cp, sp, &ses);
	um_auth_hello h = {.auth_version = UM_AUTH_VERSION, .vm = VM};
	memcpy(h.cnonce, cn, sizeof(h.cnonce));
	call_is(&c2s, 1, UMLMONCTRL_PROG, UM_AUTH_HELLO,
		(xdrproc_t)xdr_um_auth_hello, &h,
		"8000005400000001000000000000000220554d4c0000000100000016"
		"000000000000000000000000000000000000000100000003766d3100"
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b"
		"1c1d1e1f");
	um_auth_challenge ch = {.res = {UM_OK, ""}, .auth_version = UM_AUTH_VERSION,
				.kdf_iterations = ITER};
	memcpy(ch.snonce, sn, sizeof(ch.snonce));
	reply_is(&s2c, 1, (xdrproc_t)xdr_um_auth_challenge, &ch,
		 "80000048000000010000000100000000000000000000000000000000"
		 "00000000000000000000000100002710a0a1a2a3a4a5a6a7a8a9aaab"
		 "acadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
	um_auth_proof p;
	memcpy(p.proof, cp, sizeof(p.proof));
	call_is(&c2s, 2, UMLMONCTRL_PROG, UM_AUTH_PROVE,
		(xdrproc_t)xdr_um_auth_proof, &p,
		"8000004800000002000000000000000220554d4c0000000100000017"
		"000000000000000000000000000000004e2e02cbe4c3f9faa558c63e"
		"a77be0abb4e017c172e34e2c4770e8d37002df29");
	um_auth_result ar = {.res = {UM_OK, ""}};
	memcpy(ar.proof, sp, sizeof(ar.proof));
	reply_is(&s2c, 2, (xdrproc_t)xdr_um_auth_result, &ar,
		 "80000040000000020000000100000000000000000000000000000000"
		 "0000000000000000dc673b0d16fd1643a98ce9fef84692da6a9a7b54"
		 "deab1c30c9b9e124ef99765c");
	rpc_out_seal(&c2s, ses.c2s);
	rpc_out_seal(&s2c, ses.s2c);
	call_is(&c2s, 3, UMLMONCTRL_PROG, UM_NULL, NULL, NULL,
		"80000050000000000000000000000003000000000000000220554d4c"
		"000000010000000000000000000000000000000000000000bf89a4e5"
		"a634d571b856b733ae0efcb01da8af0ff715f6094344b72bcab32e99");
	reply_is(&s2c, 3, (xdrproc_t)xdr_rpc_void, NULL,
		 "80000040000000000000000000000003000000010000000000000000"
		 "00000000000000001412a77f442006c160bca49375f49830b8d54917"
		 "f27995ed784a04193adc6ff4");
	call_is(&dir, 1, UMLDIR_PROG, UD_REDIRECT, (xdrproc_t)xdr_wrapstring, &vm,
		"8000003000000001000000000000000220554d440000000100000003"
		"0000000000000000000000000000000000000003766d3100");
	ud_port_res pr = {.res = {UD_OK, ""}, .port = 40123, .tls = FALSE};
	reply_is(&dir, 1, (xdrproc_t)xdr_ud_port_res, &pr,
		 "80000028000000010000000100000000000000000000000000000000"
		 "000000000000000000009cbb00000000");
	rpc_out_free(&c2s);
	rpc_out_free(&s2c);
	rpc_out_free(&dir);
}

struct blob {
	char *p;
	u_int n;
};

static bool_t xdr_blob(XDR *x, struct blob *b)
{
	return xdr_opaque(x, b->p, b->n);
}

/* RPC_MAX_RECORD counts a sealed record's sequence number and MAC: the
 * largest message fits sealed at exactly the limit, 4 bytes more do not
 * (but still do in clear). */
static void seal_limit(void **state)
{
	struct blob big = {.n = RPC_MAX_RECORD - AUTH_SEAL_OVERHEAD};
	struct rpc_out out = {0};
	struct rpc_in in = {0};
	const uint8_t *rec;
	size_t len;

	(void)state;
	big.p = calloc(1, RPC_MAX_RECORD);
	big.p[0] = 'x';
	rpc_out_seal(&out, key_s2c);
	assert_int_equal(rpc_out_record(&out, (xdrproc_t)xdr_blob, &big), 0);
	assert_int_equal(rpc_out_pending(&out), 4 + RPC_MAX_RECORD);
	rpc_in_seal(&in, key_s2c);
	move(&out, &in);
	assert_int_equal(rpc_in_next(&in, &rec, &len), 1);
	assert_int_equal(len, big.n);
	assert_int_equal(rec[0], 'x');
	big.n += 4;
	assert_int_equal(rpc_out_record(&out, (xdrproc_t)xdr_blob, &big), -1);
	assert_int_equal(rpc_out_pending(&out), 0);
	assert_int_equal(out.seal.seq, 1);
	struct rpc_out plain = {0};
	assert_int_equal(rpc_out_record(&plain, (xdrproc_t)xdr_blob, &big), 0);
	rpc_out_free(&plain);
	free(big.p);
	rpc_in_free(&in);
	rpc_out_free(&out);
}

static char tmpdir[] = "/tmp/umlmon-test-auth-XXXXXX";

static int setup_dir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	return test_sh("rm -rf '%s'", tmpdir);
}

/* A file in the test's directory with the content and the mode. */
static char *pwfile(const char *name, const char *content, size_t n, mode_t mode)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *f;

	unlink(p);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

static void password_ok(const char *content, size_t n, const char *want)
{
	char *p = pwfile("ok", content, n, 0600);
	struct err e;
	char *pw = auth_password_file(p, getuid(), &e);

	if (!pw)
		fail_msg("%s", e.msg);
	assert_string_equal(pw, want);
	auth_wipe_free(pw);
	/* no owner asked for */
	pw = auth_password_file(p, (uid_t)-1, &e);
	assert_non_null(pw);
	auth_wipe_free(pw);
	free(p);
}

/* Refused with code and a message that names the file (and says want). */
static void password_refused(const char *p, uid_t owner, enum err_code code,
			     const char *want)
{
	struct err e;

	assert_null(auth_password_file(p, owner, &e));
	assert_int_equal(e.code, code);
	if (!strstr(e.msg, p) || (want && !strstr(e.msg, want)))
		fail_msg("said '%s', expected the path and '%s'", e.msg, want);
}

static void password_files(void **state)
{
	static const struct { mode_t mode; const char *says; } modes[] = {
		{0644, "readable by group or others (mode 0644); chmod 600"},
		{0640, "readable by group or others (mode 0640)"},
		{0604, "readable by group or others (mode 0604)"},
		{0620, "writable by group or others (mode 0620)"},
		{0666, "readable and writable by group or others (mode 0666)"},
		{0610, "executable by group or others (mode 0610)"},
	};
	char *p;

	(void)state;
	password_ok("secret password\n", 16, "secret password");
	password_ok("secret password", 15, "secret password");
	password_ok("secret password\r\n", 17, "secret password");
	password_ok("secret password\nsecond line\n", 28, "secret password");
	password_ok(" spaces kept \n", 14, " spaces kept ");
	p = pwfile("ok", "x", 1, 0400);
	password_refused(p, getuid() + 1, ERR_PERM, "owned by uid");
	free(p);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		p = pwfile("mode", "secret password\n", 16, modes[i].mode);
		password_refused(p, getuid(), ERR_PERM, modes[i].says);
		free(p);
	}
	p = pwfile("empty", "", 0, 0600);
	password_refused(p, getuid(), ERR_INVAL, "empty");
	free(p);
	p = pwfile("newline", "\n", 1, 0600);
	password_refused(p, getuid(), ERR_INVAL, "empty");
	free(p);
	p = pwfile("nul", "ab\0cd\n", 6, 0600);
	password_refused(p, getuid(), ERR_INVAL, "NUL");
	free(p);
	char *longer = malloc(2000);
	memset(longer, 'a', 2000);
	p = pwfile("long", longer, 2000, 0600);
	password_refused(p, getuid(), ERR_INVAL, "longer than");
	free(p);
	free(longer);
	p = xasprintf("%s/dir", tmpdir);
	assert_int_equal(mkdir(p, 0700), 0);
	password_refused(p, getuid(), ERR_INVAL, "not a regular file (a directory)");
	free(p);
	password_refused("/dev/null", (uid_t)-1, ERR_INVAL, "not a regular file");
	p = xasprintf("%s/missing", tmpdir);
	password_refused(p, getuid(), ERR_NOENT, NULL);
	free(p);
	/* a key file is no password (umlwatch must not send its text) */
	p = pwfile("keys", "umlmon-key-1 vm1 10000 00\n", 25, 0600);
	password_refused(p, getuid(), ERR_INVAL, "holds derived keys");
	free(p);
}

/* The lines of umladmin password --master, from Python's hashlib
 * (auth_vectors.py, "key line"). */
#define LINE1 "umlmon-key-1 vm1 100000 " \
	"f8aa62f267f6239b4742297a38c6a81e39b8ecbd1376079f9e03ffc189e4aa90\n"
#define LINE2 "umlmon-key-1 vm2 100000 " \
	"3c2bc872bee9e622a1a276ec314f778d514c6b3745d78e7c6cb51677bfb0de38\n"

/* The key of vm from a file with content at iterations, as derived. */
static void key_ok(const char *content, const char *vm, unsigned iter,
		   const char *pw)
{
	char *p = pwfile("key", content, strlen(content), 0600);
	struct auth_key got, want;
	struct err e;

	if (auth_key_file(p, getuid(), vm, iter, &got, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(auth_derive(pw, vm, iter, &want, &e), 0);
	assert_memory_equal(got.k, want.k, AUTH_KEY_LEN);
	free(p);
}

/* Refused with code, naming the file and saying want. */
static void key_refused(const char *content, const char *vm, unsigned iter,
			enum err_code code, const char *want)
{
	char *p = pwfile("key", content, strlen(content), 0600);
	struct auth_key k;
	struct err e;

	assert_int_equal(auth_key_file(p, getuid(), vm, iter, &k, &e), -1);
	assert_int_equal(e.code, code);
	if (!strstr(e.msg, p) || !strstr(e.msg, want))
		fail_msg("said '%s', expected the path and '%s'", e.msg, want);
	free(p);
}

static void key_files(void **state)
{
	static const struct { const char *line, *says; } bad[] = {
		{"umlmon-key-1 vm1 100000\n", "line 1: not 'umlmon-key-1 VM ITERATIONS HEX'"},
		{"umlmon-key-1 vm1 100000 ab cd\n", "not 'umlmon-key-1"},
		{"umlmon-key-1 vm1 9999 " "f8aa62f267f6239b4742297a38c6a81e39b8ecbd1376079f9e03ffc189e4aa90\n",
		 "ITERATIONS is not a number in [10000, 10000000]"},
		{"umlmon-key-1 vm1 1e5 " "f8aa62f267f6239b4742297a38c6a81e39b8ecbd1376079f9e03ffc189e4aa90\n",
		 "ITERATIONS is not a number"},
		{"umlmon-key-1 vm1 -100000 " "f8aa62f267f6239b4742297a38c6a81e39b8ecbd1376079f9e03ffc189e4aa90\n",
		 "ITERATIONS is not a number"},
		{"umlmon-key-1 vm1 100000 " "F8AA62F267F6239B4742297A38C6A81E39B8ECBD1376079F9E03FFC189E4AA90\n",
		 "HEX is not 64 lowercase hex digits"},
		{"umlmon-key-1 vm1 100000 " "f8aa62f267f6239b4742297a38c6a81e39b8ecbd1376079f9e03ffc189e4aa9\n",
		 "HEX is not 64 lowercase hex digits"},
		{"umlmon-key-1 vm1 100000 " "f8aa62f267f6239b4742297a38c6a81e39b8ecbd1376079f9e03ffc189e4aa9g\n",
		 "HEX is not 64 lowercase hex digits"},
		{LINE2 "the password\n", "line 2: not 'umlmon-key-1"},
		{LINE1 LINE2 LINE1, "line 3: a second line for vm1"},
	};
	struct auth_key k;
	struct err e;
	char *line;

	(void)state;
	/* written as Python derives it */
	assert_int_equal(auth_derive(MASTER, "vm1", 100000, &k, &e), 0);
	line = auth_key_line("vm1", 100000, &k);
	assert_string_equal(line, LINE1);
	auth_wipe_free(line);
	assert_int_equal(auth_derive(MASTER, "vm2", 100000, &k, &e), 0);
	line = auth_key_line("vm2", 100000, &k);
	assert_string_equal(line, LINE2);
	auth_wipe_free(line);

	/* read: each VM its own line; CRLF and blank lines pass */
	key_ok(LINE1 LINE2, "vm1", 100000, MASTER);
	key_ok(LINE1 LINE2, "vm2", 100000, MASTER);
	key_ok(LINE2 "\n" LINE1, "vm1", 100000, MASTER);
	key_ok("umlmon-key-1 vm2 100000 "
	       "3c2bc872bee9e622a1a276ec314f778d514c6b3745d78e7c6cb51677bfb0de38\r\n",
	       "vm2", 100000, MASTER);
	/* a password file's key is derived, as before */
	key_ok(PASSWORD "\n", "vm1", 10000, PASSWORD);
	key_ok("umlmon-key-12 is a password\n", "vm1", 10000,
	       "umlmon-key-12 is a password");

	key_refused(LINE1 LINE2, "vm3", 100000, ERR_NOENT, "no key for vm3");
	key_refused(LINE1, "vm1", 200000, ERR_INVAL, "vm1's key is derived for "
		    "100000 iterations, kdf_iterations is 200000");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		key_refused(bad[i].line, "vm1", 100000, ERR_INVAL, bad[i].says);
	/* the checks of a password file hold for a key file */
	{
		char *p = pwfile("key", LINE1, strlen(LINE1), 0640);

		assert_int_equal(auth_key_file(p, getuid(), "vm1", 100000, &k, &e), -1);
		assert_int_equal(e.code, ERR_PERM);
		assert_int_equal(auth_key_file(p, getuid() + 1, "vm1", 100000, &k, &e), -1);
		assert_int_equal(e.code, ERR_PERM);
		free(p);
	}
	/* too large to be a key file */
	{
		size_t n = 300 * 1024;
		char *big = malloc(n + 1);

		for (size_t i = 0; i < n; i += strlen(LINE2))
			memcpy(big + i, LINE2, n - i < strlen(LINE2) ? n - i : strlen(LINE2));
		big[n] = '\0';
		key_refused(big, "vm2", 100000, ERR_INVAL, "a key file larger than");
		free(big);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kdf),
		cmocka_unit_test(proofs),
		cmocka_unit_test(server_handshake),
		cmocka_unit_test(seal_vectors),
		cmocka_unit_test(seal_round_trip),
		cmocka_unit_test(seal_refused),
		cmocka_unit_test(seal_limit),
		cmocka_unit_test(worked_example),
		cmocka_unit_test(password_files),
		cmocka_unit_test(key_files),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
