/* xdrfuzz.h -- fuzzing the XDR routines of an interface (rpc/NAME.x): a
 * table of its types, one input decoded as one of them. */
#ifndef UMLMON_XDRFUZZ_H
#define UMLMON_XDRFUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <rpc/rpc.h>

struct xdr_case {
	const char *name;
	xdrproc_t fn;
	size_t size;
};

#define XDR_CASE(type) {#type, (xdrproc_t)xdr_##type, sizeof(type)}

/* The first byte picks a row (its low 7 bits, modulo n); the rest is the
 * encoded value, decoded as the server decodes arguments, or, with the
 * byte's high bit, a whole reply message carrying it, as the client
 * decodes results. A value that decodes is encoded again, and that
 * encoding must decode and encode to the same bytes. Everything is freed
 * with xdr_free, on failure too (as the server does). */
void xdrfuzz_one(const struct xdr_case *cases, size_t n, const uint8_t *data,
		 size_t size);

#endif
