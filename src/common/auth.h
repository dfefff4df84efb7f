/* auth.h -- the authentication of a TCP connection to a monitor and the
 * MAC on every record after it (docs/PROTOCOL.md is the specification).
 *
 * Mutual: the client and the server each send a fresh nonce; both derive
 * a key from the password (PBKDF2-HMAC-SHA256, salted with the VM's name)
 * and prove they know it with an HMAC over everything exchanged (and the
 * TLS session, when there is one). The client proves first; the server's
 * proof tells the client it reached a server that knows the password, so
 * the client sends nothing else to one that does not. Then each direction
 * has its own session key, and every record a sequence number and a MAC.
 * All comparisons of secrets are constant-time (CRYPTO_memcmp). */
#ifndef UMLMON_AUTH_H
#define UMLMON_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

#define AUTH_VERSION 1
#define AUTH_KEY_LEN 32
#define AUTH_NONCE_LEN 32
#define AUTH_MAC_LEN 32
#define AUTH_SEQ_LEN 8
/* Bytes a sealed record adds to its message: sequence number and MAC. */
#define AUTH_SEAL_OVERHEAD (AUTH_SEQ_LEN + AUTH_MAC_LEN)
/* A client refuses a server that asks for fewer or more iterations. */
#define AUTH_KDF_MIN 10000
#define AUTH_KDF_MAX 10000000
/* The TLS exporter label of the channel binding. */
#define AUTH_TLS_LABEL "EXPORTER-umlmon-auth-1"
#define AUTH_TLS_BINDING_LEN 32

struct auth_key {
	uint8_t k[AUTH_KEY_LEN];
};

/* The key of a password for a VM: PBKDF2-HMAC-SHA256(password, salt =
 * "umlmon-auth-1:" VM, iterations). -1 (ERR_INVAL) for iterations outside
 * [AUTH_KDF_MIN, AUTH_KDF_MAX]: so a client refuses a server that asks
 * for too few (a cheap dictionary attack) or too many (a hang). */
int auth_derive(const char *password, const char *vm, unsigned iterations,
		struct auth_key *out, struct err *e);

/* Fresh random bytes (OpenSSL's RAND_bytes); aborts if the generator
 * fails: nothing may go on without them. */
void auth_random(uint8_t *buf, size_t n);

/* Clears a secret's bytes (in a way the compiler keeps). */
void auth_wipe(void *p, size_t n);
/* Clears a secret string's bytes, then frees it (NULL: nothing). */
void auth_wipe_free(char *secret);

/* Constant-time: 1 if equal. */
int auth_equal(const void *a, const void *b, size_t n);

/* The two keys of a session, one per direction. */
struct auth_session {
	uint8_t c2s[AUTH_KEY_LEN];
	uint8_t s2c[AUTH_KEY_LEN];
};

/* What both sides compute from one handshake: the proofs and the session
 * keys (docs/PROTOCOL.md, "Proofs"). binding: the TLS exporter bytes, or
 * NULL/0 without TLS. */
void auth_compute(const struct auth_key *k, const char *vm,
		  const uint8_t cnonce[AUTH_NONCE_LEN],
		  const uint8_t snonce[AUTH_NONCE_LEN], unsigned iterations,
		  const uint8_t *binding, size_t bindlen,
		  uint8_t client_proof[AUTH_MAC_LEN],
		  uint8_t server_proof[AUTH_MAC_LEN], struct auth_session *s);

/* The server's side of one connection's handshake. */
enum auth_state {
	AUTH_WANT_HELLO = 0,
	AUTH_WANT_PROOF,
	AUTH_DONE,
	AUTH_REFUSED,    /* the connection must close (not AUTH_FAILED:
			 * libtirpc has that name) */
};

struct auth_server {
	enum auth_state state;
	char vm[65];
	const struct auth_key *vmkey;     /* NULL: the VM has no password */
	const struct auth_key *master;    /* NULL: no master password */
	unsigned iterations;
	uint8_t cnonce[AUTH_NONCE_LEN], snonce[AUTH_NONCE_LEN];
	uint8_t binding[AUTH_TLS_BINDING_LEN];
	size_t bindlen;
	int by_master;                    /* proved with the master password */
};

void auth_server_init(struct auth_server *as, const char *vm,
		      const struct auth_key *vmkey, const struct auth_key *master,
		      unsigned iterations, const uint8_t *binding, size_t bindlen);
/* The client's hello: fills snonce. -1 (state AUTH_REFUSED, e: code and
 * cause) for a wrong version, another VM, a second hello. */
int auth_server_hello(struct auth_server *as, unsigned version, const char *vm,
		      const uint8_t cnonce[AUTH_NONCE_LEN],
		      uint8_t snonce[AUTH_NONCE_LEN], struct err *e);
/* The client's proof: checked against the VM's key and the master key
 * (both, always: the time does not tell which matched). 0: proved, with
 * the server's proof and the session; -1: wrong password (AUTH_REFUSED;
 * e: ERR_PERM, naming the VM). */
int auth_server_prove(struct auth_server *as,
		      const uint8_t client_proof[AUTH_MAC_LEN],
		      uint8_t server_proof[AUTH_MAC_LEN], struct auth_session *s,
		      struct err *e);

/* One direction of a sealed stream: its key and the next sequence number. */
struct auth_dir {
	uint8_t key[AUTH_KEY_LEN];
	uint64_t seq;
};

/* Seals msg into out (n + AUTH_SEAL_OVERHEAD bytes): sequence number,
 * msg, MAC; then counts the record. msg may already be in place at
 * out + AUTH_SEQ_LEN (rpc_wire encodes it there). */
void auth_seal(struct auth_dir *d, const uint8_t *msg, size_t n, uint8_t *out);
/* Opens a sealed record in place: 0 and *msg, *n the message if its
 * sequence number is the one expected and its MAC is right; -1 else (the
 * stream is broken: close it). */
int auth_open(struct auth_dir *d, const uint8_t *rec, size_t len,
	      const uint8_t **msg, size_t *n);

#endif
