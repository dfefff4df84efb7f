/* rpc_client.h -- an ONC RPC client on a stream socket that can keep many
 * calls in flight (replies are matched by xid), for umlwatch's console
 * streaming, and that also makes plain blocking calls. */
#ifndef UMLMON_RPC_CLIENT_H
#define UMLMON_RPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <rpc/rpc.h>

#include "common/util.h"

struct rpc_client;

/* res is the decoded result (NULL when err is set); the client frees it
 * with xdr_free after the callback returns. */
typedef void (*rpc_reply_cb)(struct rpc_client *c, void *res,
			     const char *err, void *arg);

struct rpc_client *rpc_client_unix(const char *path, uint32_t prog,
				   uint32_t vers, struct err *e);
/* A TCP connection to host (a name or a numeric address) and port, made
 * within timeout_ms. */
struct rpc_client *rpc_client_tcp(const char *host, int port, int timeout_ms,
				  uint32_t prog, uint32_t vers, struct err *e);
/* From now on every record sent is sealed with out_key and every record
 * received must open with in_key (common/auth.h, docs/PROTOCOL.md). */
void rpc_client_seal(struct rpc_client *c, const uint8_t *out_key,
		     const uint8_t *in_key);
/* TLS on the connection (docs/PROTOCOL.md, "TLS and its channel
 * binding"), before anything else is sent on it or after umldir's
 * redirector answered: the handshake within timeout_ms. ca: verify the
 * server's certificate (for host) against this PEM file; NULL: not
 * checked. -1: e (ERR_PERM: a certificate that does not verify). */
int rpc_client_start_tls(struct rpc_client *c, const char *ca,
			 const char *host, int timeout_ms, struct err *e);
/* The channel binding of its TLS session (AUTH_TLS_BINDING_LEN bytes);
 * -1 without TLS. */
int rpc_client_tls_binding(const struct rpc_client *c, uint8_t *out);
/* The same connection now talks to another program (after umldir's
 * redirector handed it on). */
void rpc_client_reprogram(struct rpc_client *c, uint32_t prog, uint32_t vers);
/* Takes a connected stream socket. */
struct rpc_client *rpc_client_fd(int fd, uint32_t prog, uint32_t vers);
/* Pending callbacks get "connection closed". */
void rpc_client_free(struct rpc_client *c);
int rpc_client_sockfd(const struct rpc_client *c);

/* Blocking call; other replies that arrive meanwhile go to their callbacks.
 * timeout_ms < 0 waits forever. res must be zeroed; free it with xdr_free. */
int rpc_client_call(struct rpc_client *c, uint32_t proc, xdrproc_t xargs,
		    void *args, xdrproc_t xres, void *res, int timeout_ms,
		    struct err *e);

/* Queues a call; cb runs from rpc_client_input(). */
int rpc_client_send(struct rpc_client *c, uint32_t proc, xdrproc_t xargs,
		    void *args, xdrproc_t xres, size_t ressize,
		    rpc_reply_cb cb, void *arg, struct err *e);
/* Reads what the socket has and runs callbacks. -1 when the connection is
 * gone (e says why). */
int rpc_client_input(struct rpc_client *c, struct err *e);
/* Writes queued calls. 1 if bytes remain (wait for POLLOUT), -1 on error. */
int rpc_client_flush(struct rpc_client *c, struct err *e);
int rpc_client_want_write(const struct rpc_client *c);
int rpc_client_inflight(const struct rpc_client *c);

#endif
