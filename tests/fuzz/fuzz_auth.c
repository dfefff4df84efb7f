/* fuzz_auth.c -- the server's side of the handshake of a TCP connection
 * (common/auth.h, docs/PROTOCOL.md) and the sealed records after it.
 *
 * The input is a script: which keys the server has (the VM's, the
 * master's, neither), a TLS binding or none, then up to 16 steps, each
 * a hello (its version, VM and nonce from the input), a proof (raw bytes,
 * or computed with a key as a client would), a record the client sealed
 * (whole, or with one bit flipped), or raw bytes as a record. Every step
 * has an oracle: what the protocol says the server must answer, the
 * server's proof and session keys equal to the client's, a sealed record
 * opens to its message, a changed or foreign record does not. */
#include "fuzz.h"

#include <string.h>

#include "common/auth.h"

#define VM "fuzz"
#define ITERATIONS AUTH_KDF_MIN

static struct auth_key vmkey, master, other;

struct script {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct script *s)
{
	if (!s->n)
		return 0;
	s->n--;
	return *s->p++;
}

/* k bytes of the script, zeros when it ends */
static void bytes(struct script *s, uint8_t *out, size_t k)
{
	size_t m = k < s->n ? k : s->n;

	memcpy(out, s->p, m);
	memset(out + m, 0, k - m);
	s->p += m;
	s->n -= m;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err e;

	(void)argc;
	(void)argv;
	/* once: a derivation costs ITERATIONS HMACs */
	if (auth_derive("the VM's password", VM, ITERATIONS, &vmkey, &e) < 0 ||
	    auth_derive("the master password", VM, ITERATIONS, &master, &e) < 0 ||
	    auth_derive("a wrong password", VM, ITERATIONS, &other, &e) < 0)
		fuzz_die("auth_derive: %s", e.msg);
	return 0;
}

/* The handshake as the client sees it. */
struct client {
	uint8_t cnonce[AUTH_NONCE_LEN], snonce[AUTH_NONCE_LEN];
	int hello_ok;		    /* the server answered a good hello */
	const struct auth_key *key; /* of the proof it sent, if computed */
	uint8_t cp[AUTH_MAC_LEN], sp[AUTH_MAC_LEN];
	struct auth_session s;
	struct auth_dir out, in; /* client->server: sealing, opening */
	int broken;		 /* the server's stream ended */
};

static void step_hello(struct auth_server *as, struct client *c, struct script *s)
{
	enum auth_state before = as->state;
	uint8_t how = byte(s), snonce[AUTH_NONCE_LEN];
	unsigned version = AUTH_VERSION;
	char vm[80] = VM;
	struct err e;
	int r, good;

	if (how & 1) {
		uint8_t b[4];

		bytes(s, b, 4);
		version = (unsigned)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	}
	if (how & 2) {
		size_t len = byte(s) % sizeof(vm);

		bytes(s, (uint8_t *)vm, len);
		vm[len] = '\0';
	}
	bytes(s, c->cnonce, AUTH_NONCE_LEN);
	r = auth_server_hello(as, version, vm, c->cnonce, snonce, &e);
	good = before == AUTH_WANT_HELLO && version == AUTH_VERSION && !strcmp(vm, VM);
	if (good != (r == 0))
		fuzz_die("hello (state %d, version %u, vm '%s'): %d", before, version, vm,
			 r);
	if (r == 0) {
		if (as->state != AUTH_WANT_PROOF)
			fuzz_die("a good hello leaves state %d", as->state);
		memcpy(c->snonce, snonce, AUTH_NONCE_LEN);
		c->hello_ok = 1;
	} else if (as->state != AUTH_REFUSED) {
		fuzz_die("a refused hello leaves state %d", as->state);
	}
}

static void step_prove(struct auth_server *as, struct client *c, struct script *s)
{
	static const struct auth_key *keys[] = {&vmkey, &master, &other};
	enum auth_state before = as->state;
	uint8_t how = byte(s), sp[AUTH_MAC_LEN];
	struct auth_session session;
	const struct auth_key *key = NULL;
	struct err e;
	int r, good;

	if (how & 1) {
		key = keys[(how >> 1) % 3];
		auth_compute(key, VM, c->cnonce, c->snonce, ITERATIONS,
			     as->bindlen ? as->binding : NULL, as->bindlen, c->cp, c->sp,
			     &c->s);
	} else {
		bytes(s, c->cp, AUTH_MAC_LEN);
	}
	r = auth_server_prove(as, c->cp, sp, &session, &e);
	good = before == AUTH_WANT_PROOF && key &&
	       ((key == &vmkey && as->vmkey) || (key == &master && as->master));
	/* raw bytes that happen to be the proof: as good, never seen */
	if (r == 0 && !key)
		return;
	if (good != (r == 0))
		fuzz_die("proof (state %d, key %d): %d", before,
			 key ? (int)(key - keys[0]) : -1, r);
	if (r < 0) {
		if (as->state != AUTH_REFUSED)
			fuzz_die("a refused proof leaves state %d", as->state);
		for (size_t i = 0; i < AUTH_MAC_LEN; i++)
			if (sp[i])
				fuzz_die("a refused proof gets a server proof");
		return;
	}
	if (!auth_equal(sp, c->sp, AUTH_MAC_LEN) ||
	    memcmp(&session, &c->s, sizeof(session)))
		fuzz_die("the server's proof or session is not the client's");
	if (as->by_master != (key == &master))
		fuzz_die("by_master %d for key %d", as->by_master, (int)(key - keys[0]));
	c->key = key;
	memcpy(c->out.key, c->s.c2s, AUTH_KEY_LEN);
	c->out.seq = 0;
	memcpy(c->in.key, c->s.c2s, AUTH_KEY_LEN);
	c->in.seq = 0;
}

/* A record the client seals; the server opens it. */
static void step_sealed(struct auth_server *as, struct client *c, struct script *s)
{
	uint8_t how = byte(s), msg[256], rec[256 + AUTH_SEAL_OVERHEAD];
	size_t n = byte(s), got_n;
	const uint8_t *got;
	int r, flip = how & 1;

	if (as->state != AUTH_DONE || c->broken)
		return;
	bytes(s, msg, n);
	auth_seal(&c->out, msg, n, rec);
	if (flip) {
		size_t bit = (size_t)byte(s) << 8 | byte(s);

		bit %= (n + AUTH_SEAL_OVERHEAD) * 8;
		rec[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	r = auth_open(&c->in, rec, n + AUTH_SEAL_OVERHEAD, &got, &got_n);
	if (flip) {
		if (r == 0)
			fuzz_die("a record with a flipped bit opened");
		c->broken = 1;
		return;
	}
	if (r < 0 || got_n != n || memcmp(got, msg, n))
		fuzz_die("a sealed record of %zu bytes did not open to itself", n);
}

/* Bytes of the input as a record: never opens (a MAC from nothing). */
static void step_raw(struct auth_server *as, struct client *c, struct script *s)
{
	uint8_t rec[300];
	size_t n = byte(s) + (size_t)(byte(s) % 45), got_n;
	const uint8_t *got;

	if (as->state != AUTH_DONE || c->broken)
		return;
	if (n > sizeof(rec))
		n = sizeof(rec);
	bytes(s, rec, n);
	if (auth_open(&c->in, rec, n, &got, &got_n) == 0)
		fuzz_die("raw bytes opened as a sealed record");
	c->broken = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script s = {data, size};
	uint8_t setup = byte(&s), binding[AUTH_TLS_BINDING_LEN];
	struct auth_server as;
	struct client c;

	memset(&c, 0, sizeof(c));
	if (setup & 4)
		bytes(&s, binding, sizeof(binding));
	auth_server_init(&as, VM, (setup & 1) ? &vmkey : NULL,
			 (setup & 2) ? &master : NULL, ITERATIONS,
			 (setup & 4) ? binding : NULL, (setup & 4) ? sizeof(binding) : 0);
	for (int i = 0; i < 16 && s.n; i++) {
		switch (byte(&s) % 4) {
		case 0:
			step_hello(&as, &c, &s);
			break;
		case 1:
			step_prove(&as, &c, &s);
			break;
		case 2:
			step_sealed(&as, &c, &s);
			break;
		case 3:
			step_raw(&as, &c, &s);
			break;
		}
	}
	return 0;
}
