/* netio.h -- a connected stream, plain or inside TLS: read(2)/write(2)
 * semantics for both, so that the record layer (rpc_wire) and the server's
 * loop do not care which. Include common/ossl.h before it when using the
 * SSL object. */
#ifndef UMLMON_NETIO_H
#define UMLMON_NETIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

struct ssl_st;
struct ssl_ctx_st;

struct netio {
	int fd;
	struct ssl_st *ssl;     /* NULL: plain */
	/* the last read or write stopped (EAGAIN) until the socket can be
	 * written (want_write) or read (want_read): TLS may have to write to
	 * read and to read to write */
	int want_read, want_write;
	size_t retry_len;       /* a write to retry with this length (OpenSSL
	                           wants the same bytes again) */
	int failed;             /* a TLS error ended it */
	char reason[160];       /* the last TLS error, OpenSSL's words */
};

/* A plain stream on fd. */
void netio_init(struct netio *io, int fd);
/* read(2): bytes read, 0 at the end, -1 with errno (EAGAIN: come back
 * when want_read/want_write says; EPROTO: a TLS error, see reason). */
ssize_t netio_read(struct netio *io, void *buf, size_t n);
/* write(2), the same way. */
ssize_t netio_write(struct netio *io, const void *buf, size_t n);
/* Bytes TLS has decrypted but not yet returned: epoll does not see them. */
size_t netio_pending(const struct netio *io);
/* Frees TLS (without a close_notify) and closes the fd. */
void netio_close(struct netio *io);

/* TLS on io's fd, server side (ctx's settings; the handshake still to do
 * with netio_accept). -1 (e) if OpenSSL cannot make the session. */
int netio_tls_server(struct netio *io, struct ssl_ctx_st *ctx, struct err *e);
/* One step of the server's handshake on a non-blocking socket: 1 done, 0
 * again when want_read/want_write says, -1 failed (reason). */
int netio_accept(struct netio *io);
/* The client's handshake on io's fd, blocking until deadline (now_ms()
 * time). A ctx that verifies (tlsctx_client with a CA) also checks that
 * the certificate is host's (a name or a numeric address). -1 (e:
 * ERR_TIMEDOUT; ERR_PERM for a certificate that does not verify; else
 * ERR_IO with OpenSSL's reason). */
int netio_tls_client(struct netio *io, struct ssl_ctx_st *ctx, const char *host,
		     int64_t deadline, struct err *e);
/* The channel binding of the TLS session (docs/PROTOCOL.md, "TLS and its
 * channel binding"): AUTH_TLS_BINDING_LEN bytes. -1 without TLS. */
int netio_binding(const struct netio *io, uint8_t *out);

#endif
