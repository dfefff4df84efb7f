/* auth.c -- the key of a password, the handshake's proofs and session
 * keys, the server's side of the handshake, sealed records
 * (docs/PROTOCOL.md); password and key files are authfile.c's. OpenSSL's
 * libcrypto does the cryptography. */
/* first: see ossl.h */
#include "common/ossl.h"

#include "common/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The protocol's name: in the salt of the key and at the head of T. */
#define AUTH_PROTO "umlmon-auth-1"

int auth_derive(const char *password, const char *vm, unsigned iterations,
		struct auth_key *out, struct err *e)
{
	char *salt;
	int ok;

	if (iterations < AUTH_KDF_MIN || iterations > AUTH_KDF_MAX) {
		err_code(e, ERR_INVAL, "%s: %u key derivation iterations are out "
			 "of range [%u, %u]", vm, iterations, AUTH_KDF_MIN,
			 AUTH_KDF_MAX);
		return -1;
	}
	salt = xasprintf(AUTH_PROTO ":%s", vm);
	ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password),
			       (const unsigned char *)salt, (int)strlen(salt),
			       (int)iterations, EVP_sha256(), AUTH_KEY_LEN, out->k);
	free(salt);
	if (!ok) {
		err_code(e, ERR_IO, "%s: the key derivation failed (OpenSSL)", vm);
		return -1;
	}
	return 0;
}

void auth_random(uint8_t *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) != 1) {
		fprintf(stderr, "umlmon: the random generator failed (OpenSSL "
			"RAND_bytes); cannot go on\n");
		abort();
	}
}

void auth_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

void auth_wipe_free(char *secret)
{
	if (!secret)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

int auth_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void hmac(const uint8_t key[AUTH_KEY_LEN], const uint8_t *data,
		 size_t n, uint8_t out[AUTH_MAC_LEN])
{
	unsigned int len = AUTH_MAC_LEN;

	/* fails only without memory or SHA-256: nothing safe to go on with */
	if (!HMAC(EVP_sha256(), key, AUTH_KEY_LEN, data, n, out, &len) ||
	    len != AUTH_MAC_LEN) {
		fprintf(stderr, "umlmon: HMAC-SHA256 failed (OpenSSL); cannot go on\n");
		abort();
	}
}

/* The labels of what auth_compute derives, in its order. */
static const char *const labels[] = {
	"client proof", "server proof", "client to server", "server to client",
};
#define LABEL_MAX 16

void auth_compute(const struct auth_key *k, const char *vm,
		  const uint8_t cnonce[AUTH_NONCE_LEN],
		  const uint8_t snonce[AUTH_NONCE_LEN], unsigned iterations,
		  const uint8_t *binding, size_t bindlen,
		  uint8_t client_proof[AUTH_MAC_LEN],
		  uint8_t server_proof[AUTH_MAC_LEN], struct auth_session *s)
{
	size_t vmlen = strlen(vm), protolen = strlen(AUTH_PROTO), tlen;
	uint8_t *outs[] = {client_proof, server_proof, s->c2s, s->s2c};
	uint8_t *buf, *t, *p;

	if (!binding)
		bindlen = 0;
	tlen = protolen + 4 + vmlen + 2 * AUTH_NONCE_LEN + 4 + 4 + bindlen;
	buf = xmalloc(LABEL_MAX + tlen);
	t = p = buf + LABEL_MAX;
	/* T, after room for the longest label */
	memcpy(p, AUTH_PROTO, protolen);
	p += protolen;
	put_be32(p, (uint32_t)vmlen);
	p += 4;
	memcpy(p, vm, vmlen);
	p += vmlen;
	memcpy(p, cnonce, AUTH_NONCE_LEN);
	p += AUTH_NONCE_LEN;
	memcpy(p, snonce, AUTH_NONCE_LEN);
	p += AUTH_NONCE_LEN;
	put_be32(p, iterations);
	p += 4;
	put_be32(p, (uint32_t)bindlen);
	p += 4;
	if (bindlen)
		memcpy(p, binding, bindlen);
	/* each: HMAC(K, label || T), the label right before T */
	for (size_t i = 0; i < ARRAY_SIZE(labels); i++) {
		size_t ll = strlen(labels[i]);

		memcpy(t - ll, labels[i], ll);
		hmac(k->k, t - ll, ll + tlen, outs[i]);
	}
	OPENSSL_cleanse(buf, LABEL_MAX + tlen);
	free(buf);
}

void auth_server_init(struct auth_server *as, const char *vm,
		      const struct auth_key *vmkey, const struct auth_key *master,
		      unsigned iterations, const uint8_t *binding, size_t bindlen)
{
	memset(as, 0, sizeof(*as));
	as->state = AUTH_WANT_HELLO;
	snprintf(as->vm, sizeof(as->vm), "%s", vm);
	as->vmkey = vmkey;
	as->master = master;
	as->iterations = iterations;
	if (binding && bindlen) {
		if (bindlen > sizeof(as->binding))
			bindlen = sizeof(as->binding);
		memcpy(as->binding, binding, bindlen);
		as->bindlen = bindlen;
	}
}

int auth_server_hello(struct auth_server *as, unsigned version, const char *vm,
		      const uint8_t cnonce[AUTH_NONCE_LEN],
		      uint8_t snonce[AUTH_NONCE_LEN], struct err *e)
{
	if (as->state != AUTH_WANT_HELLO) {
		err_code(e, ERR_INVAL, "%s: a hello after the hello", as->vm);
		goto fail;
	}
	if (version != AUTH_VERSION) {
		err_code(e, ERR_INVAL, "%s: authentication version %u (this "
			 "monitor speaks %d)", as->vm, version, AUTH_VERSION);
		goto fail;
	}
	if (strcmp(vm, as->vm) != 0) {
		err_code(e, ERR_NOENT, "%.64s: this monitor serves %s", vm, as->vm);
		goto fail;
	}
	memcpy(as->cnonce, cnonce, AUTH_NONCE_LEN);
	auth_random(as->snonce, AUTH_NONCE_LEN);
	memcpy(snonce, as->snonce, AUTH_NONCE_LEN);
	as->state = AUTH_WANT_PROOF;
	return 0;
fail:
	as->state = AUTH_REFUSED;
	return -1;
}

/* Proofs and session of one key; a missing key gets a random one, so that
 * the work (and time) is the same and nothing can match it. */
struct candidate {
	uint8_t cp[AUTH_MAC_LEN], sp[AUTH_MAC_LEN];
	struct auth_session s;
};

static void candidate(const struct auth_server *as, const struct auth_key *k,
		      struct candidate *c)
{
	struct auth_key none;

	if (!k) {
		auth_random(none.k, sizeof(none.k));
		k = &none;
	}
	auth_compute(k, as->vm, as->cnonce, as->snonce, as->iterations,
		     as->binding, as->bindlen, c->cp, c->sp, &c->s);
	OPENSSL_cleanse(&none, sizeof(none));
}

int auth_server_prove(struct auth_server *as,
		      const uint8_t client_proof[AUTH_MAC_LEN],
		      uint8_t server_proof[AUTH_MAC_LEN], struct auth_session *s,
		      struct err *e)
{
	struct candidate c[2];
	int vm_ok, master_ok;

	memset(server_proof, 0, AUTH_MAC_LEN);
	if (as->state != AUTH_WANT_PROOF) {
		err_code(e, ERR_INVAL, "%s: a proof %s", as->vm,
			 as->state == AUTH_WANT_HELLO ? "before the hello" :
			 "after the handshake");
		as->state = AUTH_REFUSED;
		return -1;
	}
	candidate(as, as->vmkey, &c[0]);
	candidate(as, as->master, &c[1]);
	/* both compared, always: the time does not tell which key matched */
	vm_ok = auth_equal(client_proof, c[0].cp, AUTH_MAC_LEN);
	master_ok = auth_equal(client_proof, c[1].cp, AUTH_MAC_LEN);
	if (vm_ok || master_ok) {
		const struct candidate *w = vm_ok ? &c[0] : &c[1];

		memcpy(server_proof, w->sp, AUTH_MAC_LEN);
		*s = w->s;
		as->by_master = !vm_ok;
		as->state = AUTH_DONE;
	} else {
		err_code(e, ERR_PERM, "%s: wrong password", as->vm);
		as->state = AUTH_REFUSED;
	}
	OPENSSL_cleanse(c, sizeof(c));
	/* the nonces are spent: a proof is good for one handshake */
	OPENSSL_cleanse(as->snonce, sizeof(as->snonce));
	return as->state == AUTH_DONE ? 0 : -1;
}

void auth_seal(struct auth_dir *d, const uint8_t *msg, size_t n, uint8_t *out)
{
	/* msg may already sit in place, right after the sequence number */
	if (msg != out + AUTH_SEQ_LEN)
		memmove(out + AUTH_SEQ_LEN, msg, n);
	put_be64(out, d->seq);
	hmac(d->key, out, AUTH_SEQ_LEN + n, out + AUTH_SEQ_LEN + n);
	d->seq++;
}

int auth_open(struct auth_dir *d, const uint8_t *rec, size_t len,
	      const uint8_t **msg, size_t *n)
{
	uint8_t mac[AUTH_MAC_LEN];
	size_t body;
	int ok;

	if (len < AUTH_SEAL_OVERHEAD)
		return -1;
	body = len - AUTH_MAC_LEN;
	if (get_be64(rec) != d->seq)
		return -1;
	hmac(d->key, rec, body, mac);
	ok = auth_equal(mac, rec + body, AUTH_MAC_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	if (!ok)
		return -1;
	d->seq++;
	*msg = rec + AUTH_SEQ_LEN;
	*n = body - AUTH_SEQ_LEN;
	return 0;
}
