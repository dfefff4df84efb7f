/* rpc_server.h -- an ONC RPC server inside the daemon's event loop.
 *
 * libtirpc's svc_run() answers each call before it reads the next one, so a
 * console read that waits for guest output would stall every other client.
 * This server decodes and encodes with libtirpc's XDR routines but owns the
 * sockets: a handler either answers at once or keeps the call and answers
 * later (RPC_DEFER), while the loop goes on serving everyone else.
 * See docs/ARCHITECTURE.md. */
#ifndef UMLMON_RPC_SERVER_H
#define UMLMON_RPC_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <rpc/rpc.h>

#include "common/auth.h"
#include "common/util.h"

struct loop;
struct rpc_server;
struct rpc_call;

/* A connection whose replies pile up beyond this is not read from, nor are
 * the records it sent already dispatched, until it takes them: one slow
 * client costs memory only up to here (the default of max_queued_conn). */
#define RPC_OUT_HIGH_WATER (1u << 20)
/* All connections of a transport together (the default of
 * max_queued_total): beyond it, a connection with replies waiting is not
 * read; one that takes its replies is still served. */
#define RPC_QUEUED_TOTAL (16u << 20)
/* Nor is one with this many calls waiting for their answer (each may hold
 * a timer and a waiter until it is answered). */
#define RPC_MAX_DEFERRED 64

enum rpc_outcome {
	RPC_REPLY = 0, /* encode res and send it now */
	RPC_DEFER = 1, /* the handler keeps the call; see rpc_call_reply() */
};

typedef enum rpc_outcome (*rpc_handler)(struct rpc_call *call, void *args,
					 void *res);

/* Who is calling: the transport the connection came by, and what the
 * peer is and has proved. Checked against each procedure's policy once,
 * before its handler runs. */
struct rpc_peer {
	const char *transport;  /* "unix", "tcp" */
	uid_t uid;              /* (uid_t)-1 if unknown (always on TCP) */
	pid_t pid;              /* 0 if unknown */
	char addr[46];          /* tcp: "192.0.2.1", "::1"; unix: "" */
	int port;               /* tcp: the peer's port */
	int authenticated;      /* unix: by the socket's permissions; tcp: by
	                           the handshake (rpc_call_set_authenticated) */
	int readonly;           /* may only call RPC_READ procedures */
	char who[32];           /* tcp: whose password it proved, or "" */
};

/* "uid 1000 pid 42" or "192.0.2.1 port 40000", for log lines. */
const char *rpc_peer_text(const struct rpc_peer *p, char *buf, size_t len);

/* Who may call a procedure (a row of the dispatch table, as in OpenSSH's
 * monitor table). */
enum rpc_policy {
	RPC_ANY_PEER = 0,  /* anyone connected, before authentication too */
	RPC_READ,          /* authenticated; it only reads (read-only peers too) */
	RPC_CONTROL,       /* authenticated, not read-only: it changes the VM */
	RPC_ROOT,          /* root on a local transport */
	RPC_AUTH,          /* the handshake: only before authentication, on a
	                      transport that needs it */
};

struct rpc_proc {
	uint32_t num;
	const char *name;
	xdrproc_t xargs;
	size_t argsize;
	xdrproc_t xres;
	size_t ressize;
	rpc_handler fn;
	enum rpc_policy policy;
	long data;         /* for the handler (rpc_call_data) */
};

/* A transport of the control RPC, in the spirit of Redis's connection
 * types: who the peer of a connection is, whether it must authenticate
 * and what makes two connections the same peer (for the limits). */
enum { RPC_UNIX = 0, RPC_TCP, RPC_TCP_OPEN, RPC_NTRANSPORTS };
struct rpc_transport {
	const char *name;
	int id;                 /* RPC_UNIX, RPC_TCP, RPC_TCP_OPEN */
	/* Its first calls must be RPC_AUTH ones: any other call before the
	 * handshake ends closes the connection without a reply, and so does
	 * a handshake call after it. */
	int needs_auth;
	void (*identify)(int fd, struct rpc_peer *p);
	int (*same_peer)(const struct rpc_peer *a, const struct rpc_peer *b);
};
extern const struct rpc_transport rpc_unix_transport;
extern const struct rpc_transport rpc_tcp_transport;
extern const struct rpc_transport rpc_tcp_open_transport;

/* What the connections of one transport may cost. A connection over a
 * limit is accepted and closed at once (logged, rate-limited). A field
 * 0: its default (rpc_limits_default). */
struct rpc_limits {
	int max_conns;            /* at once */
	int max_conns_per_peer;   /* from one peer: a uid on Unix, an address
	                             on TCP */
	int max_unauth;           /* not yet authenticated (needs_auth) */
	int auth_timeout_ms;      /* an unauthenticated connection is closed
	                             after it (needs_auth) */
	size_t max_queued_conn;   /* replies not taken by one connection */
	size_t max_queued_total;  /* by all of them */
};

/* The defaults of a transport: unix 512 connections, 256 per uid; tcp and
 * tcp-open as
 * umlmon(5)'s max_clients (64), max_clients_per_peer (16),
 * max_unauthenticated (16), auth_timeout (10 s); queues
 * RPC_OUT_HIGH_WATER and RPC_QUEUED_TOTAL. */
void rpc_limits_default(int transport, struct rpc_limits *l);

/* The handler of a program's NULL procedure (number 0): no arguments, no
 * results, an answer. */
enum rpc_outcome rpc_proc_null(struct rpc_call *call, void *args, void *res);

/* Fills res (its leading um_result-like status) for a call the policy
 * refused; without one, the server answers the RPC way (AUTH_TOOWEAK). */
typedef void (*rpc_deny_fn)(struct rpc_call *call, void *res, const char *why);

struct rpc_server *rpc_server_new(struct loop *l, uint32_t prog, uint32_t vers,
				  const struct rpc_proc *procs, size_t nprocs,
				  void *ctx);
/* Stops listening, drops every connection (pending calls are cancelled)
 * and removes the socket file. */
void rpc_server_free(struct rpc_server *s);
void rpc_server_on_deny(struct rpc_server *s, rpc_deny_fn fn);

/* Listens on a Unix stream socket. A live socket at path is an error (some
 * other daemon serves it); a stale one is replaced. */
int rpc_server_listen_unix(struct rpc_server *s, const char *path, mode_t mode,
			   gid_t gid, struct err *e);
/* Listens on TCP: bind is a numeric address, or NULL for all ("::",
 * dual stack, or 0.0.0.0 where the host has no IPv6); port 0: one the
 * kernel picks. A server may listen on both transports, and on several
 * addresses. */
int rpc_server_listen_tcp(struct rpc_server *s, const char *bind, int port,
			  struct err *e);
/* The same for a public service (transport "tcp-open", RPC_TCP_OPEN): no
 * handshake; its peers call what RPC_ANY_PEER allows (umldir's port). */
int rpc_server_listen_tcp_open(struct rpc_server *s, const char *bind,
			       int port, struct err *e);
/* TCP connections accepted from now on speak TLS with ctx (its settings:
 * common/tlsctx.h), from the first byte; NULL: in clear. The server takes
 * a reference; connections keep the context they began with. */
struct ssl_ctx_st;
void rpc_server_set_tls(struct rpc_server *s, struct ssl_ctx_st *ctx);
int rpc_server_has_tls(const struct rpc_server *s);
/* The port and address of the first TCP listener (either kind): 0 and ""
 * if none. */
int rpc_server_tcp_port(const struct rpc_server *s);
const char *rpc_server_tcp_addr(const struct rpc_server *s);
/* The limits of a transport's connections (RPC_UNIX, RPC_TCP); they apply
 * to connections accepted from then on. */
void rpc_server_set_limits(struct rpc_server *s, int transport,
			   const struct rpc_limits *l);
/* Serves an already connected stream socket of the transport (takes the
 * fd); the limits on connections are not checked. */
int rpc_server_adopt(struct rpc_server *s, int fd);
int rpc_server_adopt_as(struct rpc_server *s, int fd, int transport);
int rpc_server_nconns(const struct rpc_server *s);
/* Bytes of replies not yet taken by the clients, all connections. */
size_t rpc_server_queued(const struct rpc_server *s);

void *rpc_server_ctx(const struct rpc_server *s);
void *rpc_call_ctx(const struct rpc_call *c);
void *rpc_call_res(const struct rpc_call *c);
const char *rpc_call_name(const struct rpc_call *c);
const struct rpc_peer *rpc_call_peer(const struct rpc_call *c);
/* The data of the call's procedure row. */
long rpc_call_data(const struct rpc_call *c);

/* The handshake proved who the peer is: it may call procedures of its
 * rights (readonly: RPC_READ only), and its handshake timer stops. who:
 * whose password ("vm1", "master"), for logs. */
void rpc_call_set_authenticated(struct rpc_call *c, int readonly,
				const char *who);
/* The connection closes once this call's reply is written (a refused
 * handshake); nothing it sent after the call is dispatched. */
void rpc_call_end_conn(struct rpc_call *c);
/* The handshake succeeded: the peer is authenticated as who, this call's
 * reply goes out in clear and every record after it is sealed, outgoing
 * with out_key and incoming with in_key (docs/PROTOCOL.md). */
void rpc_call_secure(struct rpc_call *c, const uint8_t out_key[AUTH_KEY_LEN],
		     const uint8_t in_key[AUTH_KEY_LEN], const char *who);
/* What a handler keeps for the rest of the connection (the handshake's
 * state); data_free is called on it when the connection closes or the
 * data is replaced. */
void *rpc_call_conn_data(const struct rpc_call *c);
void rpc_call_set_conn_data(struct rpc_call *c, void *data,
			    void (*data_free)(void *));
/* The TLS channel binding of the call's connection (AUTH_TLS_BINDING_LEN
 * bytes), or NULL without TLS. */
const uint8_t *rpc_call_tls_binding(const struct rpc_call *c);

/* The connection a call came on, as an identity to compare, never to
 * follow: it names that connection until the server's close hook has run
 * for it. */
const void *rpc_call_conn(const struct rpc_call *c);
/* fn runs from the loop for each connection that closes, with its
 * identity: for what a peer holds as long as it is connected (a
 * monitor's registration with umldir). */
typedef void (*rpc_close_fn)(struct rpc_server *s, const void *conn);
void rpc_server_on_close(struct rpc_server *s, rpc_close_fn fn);

/* Sends the deferred reply in rpc_call_res() and frees the call. Safe from
 * any callback: if the client is gone, the reply is dropped; the other
 * calls of that client are not touched here (see rpc_call_on_cancel). */
void rpc_call_reply(struct rpc_call *c);
/* Called instead of a reply when the client goes away first; the call is
 * freed after it returns. Cancellations run from the loop itself, when it
 * closes the connection, never from inside another callback: a walk over
 * waiting calls that replies to one never sees another one cancelled. */
void rpc_call_on_cancel(struct rpc_call *c, void (*fn)(struct rpc_call *, void *),
			void *arg);

#endif
