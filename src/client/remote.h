/* remote.h -- a client's way to a monitor on another host: umldir tells the
 * port (or its redirector carries the connection), then the handshake of
 * docs/PROTOCOL.md, after which the connection is an ordinary control
 * connection whose records are sealed. umlwatch VM@HOST and the web
 * console use it. */
#ifndef UMLMON_REMOTE_H
#define UMLMON_REMOTE_H

#include "common/util.h"
#include "umldir.h"

struct rpc_client;

/* Where: HOST, HOST:PORT, [V6]:PORT or a bare IPv6 address. The port is
 * umldir's (or with redir, its redirector's); 0: the default (config). */
struct remote_target {
	char host[256];
	int port;
	int redir;        /* through the redirector instead of get_port */
	int timeout_ms;   /* to connect and for each step of the handshake */
	int tls;          /* TLS whatever umldir says the monitor speaks */
	const char *tls_ca; /* verify the monitor's certificate against this
	                       PEM file (TLS then, whatever umldir says) */
};

/* Parses "HOST[:PORT]" into t (the port stays 0 when not given). */
int remote_parse_host(const char *s, struct remote_target *t, struct err *e);
/* The default ports (a configuration's, /etc/services', or 7301/7302). */
int remote_default_port(int redir);

/* Connects to VM's monitor at t and authenticates with password; the
 * connection is sealed when this returns. e->code: ERR_NOENT (no such VM
 * there), ERR_PERM (wrong password, or a server that does not know it),
 * ERR_TIMEDOUT, ERR_IO. */
struct rpc_client *remote_open(const struct remote_target *t, const char *vm,
			       const char *password, struct err *e);

/* The same at a monitor's own port, known without umldir (tls: it
 * speaks TLS; t->tls and t->tls_ca force it too). */
struct rpc_client *remote_open_port(const struct remote_target *t, int port,
				    int tls, const char *vm, const char *password,
				    struct err *e);

/* Authenticates on a connection to VM's monitor (the handshake alone,
 * bound to its TLS session if it has one). */
int remote_handshake(struct rpc_client *c, const char *vm,
		     const char *password, int timeout_ms, struct err *e);

/* umldir's list of the host's VMs; free with remote_list_free. */
int remote_list(const struct remote_target *t, ud_list_res *out,
		struct err *e);
void remote_list_free(ud_list_res *l);

#endif
