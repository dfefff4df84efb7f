/* tlsctx.h -- the TLS settings of both ends (docs/PROTOCOL.md, "TLS and
 * its channel binding"): TLS 1.3 only, no session tickets or resumption
 * (a connection lives long and the binding wants one full handshake). */
#ifndef UMLMON_TLSCTX_H
#define UMLMON_TLSCTX_H

#include <stddef.h>

#include "common/util.h"

struct ssl_ctx_st;

/* A monitor's: its certificate and key (PEM files). -1 (e names the file
 * and the cause) if one cannot be read or the key is not the
 * certificate's. */
struct ssl_ctx_st *tlsctx_server(const char *cert, const char *key,
				 struct err *e);
/* A client's: with ca (a PEM file), the server's certificate must verify
 * against it; without, it is not checked (the handshake's binding does
 * that job). */
struct ssl_ctx_st *tlsctx_client(const char *ca, struct err *e);
/* OpenSSL's reason for the failure just seen (the first error of its
 * queue: the cause, "no start line", not what it caused, "PEM lib"; errno's
 * words when the queue is empty), the queue emptied. */
const char *tlsctx_reason(char *buf, size_t len);
/* Takes a reference (for who keeps it beside the owner). */
void tlsctx_ref(struct ssl_ctx_st *ctx);
void tlsctx_free(struct ssl_ctx_st *ctx);

#endif
