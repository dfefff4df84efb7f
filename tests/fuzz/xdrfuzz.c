/* xdrfuzz.c -- one input through an interface's XDR routines (xdrfuzz.h). */
#include "xdrfuzz.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "common/rpc_wire.h"

/* Encodes obj; NULL if it does not encode. */
static char *encode(const struct xdr_case *c, void *obj, u_int *len)
{
	u_int n = (u_int)xdr_sizeof(c->fn, obj);
	char *buf = malloc(n ? n : 1);
	XDR x;

	if (!buf)
		fuzz_die("out of memory");
	xdrmem_create(&x, buf, n, XDR_ENCODE);
	if (!c->fn(&x, obj)) {
		xdr_destroy(&x);
		free(buf);
		return NULL;
	}
	*len = xdr_getpos(&x);
	xdr_destroy(&x);
	return buf;
}

static void *decode(const struct xdr_case *c, const void *buf, u_int len, int *ok)
{
	void *obj = calloc(1, c->size);
	XDR x;

	if (!obj)
		fuzz_die("out of memory");
	xdrmem_create(&x, (char *)buf, len, XDR_DECODE);
	*ok = c->fn(&x, obj);
	xdr_destroy(&x);
	return obj;
}

static void drop(const struct xdr_case *c, void *obj)
{
	xdr_free(c->fn, obj);
	free(obj);
}

/* What was decoded encodes, and comes back the same. */
static void round_trip(const struct xdr_case *c, void *obj)
{
	u_int len1, len2;
	char *enc1 = encode(c, obj, &len1), *enc2;
	void *again;
	int ok;

	if (!enc1)
		fuzz_die("%s: a decoded value does not encode", c->name);
	again = decode(c, enc1, len1, &ok);
	if (!ok)
		fuzz_die("%s: its own encoding does not decode", c->name);
	enc2 = encode(c, again, &len2);
	if (!enc2 || len1 != len2 || memcmp(enc1, enc2, len1))
		fuzz_die("%s: decode and encode do not round-trip", c->name);
	free(enc1);
	free(enc2);
	drop(c, again);
}

/* As rpc_client.c reads a reply. */
static void reply(const struct xdr_case *c, const uint8_t *data, size_t size)
{
	char verfbuf[MAX_AUTH_BYTES];
	void *res = calloc(1, c->size);
	struct rpc_msg m;
	XDR x;

	if (!res)
		fuzz_die("out of memory");
	memset(&m, 0, sizeof(m));
	m.acpted_rply.ar_verf.oa_base = verfbuf;
	m.acpted_rply.ar_results.where = res;
	m.acpted_rply.ar_results.proc = c->fn;
	xdrmem_create(&x, (char *)data, (u_int)size, XDR_DECODE);
	if (xdr_replymsg(&x, &m)) {
		if (m.rm_reply.rp_stat == MSG_ACCEPTED &&
		    m.acpted_rply.ar_stat == SUCCESS)
			round_trip(c, res);
		else if (!rpc_reply_error(&m))
			fuzz_die("%s: a refusal without a text", c->name);
	}
	xdr_destroy(&x);
	drop(c, res);
}

void xdrfuzz_one(const struct xdr_case *cases, size_t n, const uint8_t *data, size_t size)
{
	const struct xdr_case *c;
	void *obj;
	int ok;

	if (size < 1 || size > RPC_MAX_RECORD)
		return;
	c = &cases[(data[0] & 0x7f) % n];
	if (data[0] & 0x80) {
		reply(c, data + 1, size - 1);
		return;
	}
	obj = decode(c, data + 1, (u_int)(size - 1), &ok);
	if (ok)
		round_trip(c, obj);
	drop(c, obj);
}
