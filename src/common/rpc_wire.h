/* rpc_wire.h -- ONC RPC on a stream: record marking (RFC 5531 section 11)
 * and the encoding of calls and replies with libtirpc's XDR routines.
 * Shared by the event-driven server and the client. */
#ifndef UMLMON_RPC_WIRE_H
#define UMLMON_RPC_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <rpc/rpc.h>

#include "common/auth.h"
#include "common/netio.h"

/* Larger records are refused: nothing in the interface comes close. A
 * sealed record's limit counts its sequence number and MAC. */
#define RPC_MAX_RECORD (1u << 20)

/* Bytes read from a stream, cut into records. */
struct rpc_in {
	uint8_t *buf;     /* raw bytes not yet consumed */
	size_t len, cap;
	uint8_t *rec;     /* the record being assembled */
	size_t reclen, reccap;
	int rec_done;     /* rec holds a whole record */
	int sealed;       /* records are opened with seal (rpc_in_seal) */
	struct auth_dir seal;
};

/* Bytes waiting to be written. */
struct rpc_out {
	uint8_t *buf;
	size_t start, len, cap;
	int sealed;       /* records are sealed with seal (rpc_out_seal) */
	struct auth_dir seal;
};

void rpc_in_free(struct rpc_in *in);
/* Reads what the fd has (non-blocking). Returns bytes read, 0 at EOF, -1 on
 * error (EAGAIN when nothing was there). */
ssize_t rpc_in_read(struct rpc_in *in, int fd);
/* The same from a stream, plain or TLS: what TLS holds decrypted is taken
 * too (epoll does not see it). */
ssize_t rpc_in_read_io(struct rpc_in *in, struct netio *io);
/* Appends bytes (for tests and for transports that read elsewhere). */
void rpc_in_push(struct rpc_in *in, const void *data, size_t n);
/* Next whole record: 1 (rec/len valid until the next call), 0 if more
 * bytes are needed, -1 if the stream is broken (record too large), -2 if a
 * sealed record does not open (wrong sequence number, bad MAC, too short:
 * close the connection). */
int rpc_in_next(struct rpc_in *in, const uint8_t **rec, size_t *len);
/* Records that rpc_in_next returns from now on must be sealed with key
 * (docs/PROTOCOL.md, "Sealed records"); their sequence numbers start at 0.
 * Bytes already read but not yet returned as records count as after. */
void rpc_in_seal(struct rpc_in *in, const uint8_t key[AUTH_KEY_LEN]);

void rpc_out_free(struct rpc_out *out);
/* Appends obj encoded by fn as one record. -1 if encoding failed. */
int rpc_out_record(struct rpc_out *out, xdrproc_t fn, void *obj);
/* Writes what it can. 0 when all is written, 1 if bytes remain (EAGAIN),
 * -1 on error. */
int rpc_out_flush(struct rpc_out *out, int fd);
int rpc_out_flush_io(struct rpc_out *out, struct netio *io);
size_t rpc_out_pending(const struct rpc_out *out);
/* Records appended from now on are sealed with key, sequence numbers from
 * 0; those appended before stay as they are. */
void rpc_out_seal(struct rpc_out *out, const uint8_t key[AUTH_KEY_LEN]);

/* Appends a call (no credentials) as one record. -1 if encoding failed. */
int rpc_out_call(struct rpc_out *out, uint32_t xid, uint32_t prog, uint32_t vers,
		 uint32_t proc, xdrproc_t xargs, void *args);

/* Encodes and decodes nothing: for procedures without arguments or
 * results (libtirpc's xdr_void has no parameters, which newer compilers
 * refuse to cast). */
bool_t xdr_rpc_void(XDR *x, void *p);

/* Fills a reply to xid: accepted with stat (SUCCESS: with res). */
void rpc_reply_accepted(struct rpc_msg *m, uint32_t xid, enum accept_stat stat,
			xdrproc_t xres, void *res);

/* The refusal of a call for another RPC version than 2, another program
 * than prog or another version of it (RFC 5531: RPC_MISMATCH,
 * PROG_UNAVAIL, PROG_MISMATCH with the versions served): fills reply and
 * returns 1; 0 when the call is for prog and vers. */
int rpc_reply_unserved(const struct rpc_msg *call, uint32_t prog, uint32_t vers,
		       struct rpc_msg *reply);

/* Text of a reply that is not SUCCESS. */
const char *rpc_reply_error(const struct rpc_msg *m);

#endif
