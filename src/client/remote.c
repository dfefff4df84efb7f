/* remote.c -- the way to a monitor on another host: umldir, the
 * redirector, the handshake (docs/PROTOCOL.md). */
#include "client/remote.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "common/config.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "umlmonctrl.h"

int remote_parse_host(const char *s, struct remote_target *t, struct err *e)
{
	const char *colon = strrchr(s, ':'), *end = s + strlen(s);
	long port;

	t->port = 0;
	if (s[0] == '[') {
		/* [V6] or [V6]:PORT */
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':')) {
			err_code(e, ERR_INVAL, "'%s': expected [ADDRESS] or [ADDRESS]:PORT", s);
			return -1;
		}
		snprintf(t->host, sizeof(t->host), "%.*s", (int)(close - s - 1), s + 1);
		colon = close[1] ? close + 1 : NULL;
	} else if (colon && strchr(s, ':') != colon) {
		/* a bare IPv6 address: its colons are not a port */
		colon = NULL;
		snprintf(t->host, sizeof(t->host), "%s", s);
	} else {
		snprintf(t->host, sizeof(t->host), "%.*s",
			 (int)((colon ? colon : end) - s), s);
	}
	if (!t->host[0] || strlen(t->host) >= sizeof(t->host) - 1) {
		err_code(e, ERR_INVAL, "'%s': no host name", s);
		return -1;
	}
	if (colon) {
		if (parse_long(colon + 1, 1, 65535, &port) < 0) {
			err_code(e, ERR_INVAL, "'%s': '%s' is not a port (1 to 65535)",
				 s, colon + 1);
			return -1;
		}
		t->port = (int)port;
	}
	return 0;
}

int remote_default_port(int redir)
{
	struct servent *se = getservbyname(redir ? "umlredir" : "umldir", "tcp");

	if (se)
		return ntohs((uint16_t)se->s_port);
	return redir ? UMLMON_DEFAULT_UMLREDIR_PORT : UMLMON_DEFAULT_UMLDIR_PORT;
}

static int port_of(const struct remote_target *t)
{
	return t->port ? t->port : remote_default_port(t->redir);
}

/* The code of umldir's answer as ours. */
static enum err_code ud_code(ud_status s)
{
	switch (s) {
	case UD_OK: return ERR_OK;
	case UD_EINVAL: return ERR_INVAL;
	case UD_ENOENT: return ERR_NOENT;
	case UD_EPERM: return ERR_PERM;
	case UD_EBUSY: return ERR_BUSY;
	case UD_ENOTCP: return ERR_STATE;
	case UD_EIO: break;
	}
	return ERR_IO;
}

static struct rpc_client *dir_connect(const struct remote_target *t, int redir,
				      struct err *e)
{
	struct rpc_client *c = rpc_client_tcp(t->host, port_of(t), t->timeout_ms,
					      UMLDIR_PROG, UMLDIR_V1, e);

	if (!c)
		err_prefix(e, "%s", redir ? "umldir's redirector" : "umldir");
	return c;
}

int remote_list(const struct remote_target *t, ud_list_res *out, struct err *e)
{
	struct rpc_client *c = dir_connect(t, 0, e);
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (!c)
		return -1;
	if (rpc_client_call(c, UD_LIST, (xdrproc_t)xdr_rpc_void, NULL,
			    (xdrproc_t)xdr_ud_list_res, out, t->timeout_ms, e) < 0) {
		err_prefix(e, "umldir at %s", t->host);
	} else if (out->res.status != UD_OK) {
		err_code(e, ud_code(out->res.status), "umldir at %s: %s", t->host,
			 out->res.message);
		remote_list_free(out);
	} else {
		r = 0;
	}
	rpc_client_free(c);
	return r;
}

void remote_list_free(ud_list_res *l)
{
	xdr_free((xdrproc_t)xdr_ud_list_res, (char *)l);
	memset(l, 0, sizeof(*l));
}

/* TLS on c when the monitor speaks it or the user asks for it (a CA to
 * verify with: without TLS there is nothing to verify, so no clear
 * connection then). Frees c on failure. */
static struct rpc_client *maybe_tls(struct rpc_client *c,
				    const struct remote_target *t, int tls,
				    const char *vm, struct err *e)
{
	if (!tls && !t->tls && !t->tls_ca)
		return c;
	if (rpc_client_start_tls(c, t->tls_ca, t->host, t->timeout_ms, e) < 0) {
		/* TLS the user asked for, and umldir did not announce */
		err_prefix(e, "%s's monitor at %s%s", vm, t->host,
			   tls || e->code == ERR_PERM ? "" : " (does it speak TLS?)");
		rpc_client_free(c);
		return NULL;
	}
	return c;
}

/* A connection to the monitor's own port. */
static struct rpc_client *monitor_at(const struct remote_target *t, int port,
				     int tls, const char *vm, struct err *e)
{
	struct rpc_client *c = rpc_client_tcp(t->host, port, t->timeout_ms,
					      UMLMONCTRL_PROG, UMLMONCTRL_V1, e);

	if (!c) {
		err_prefix(e, "%s's monitor", vm);
		return NULL;
	}
	return maybe_tls(c, t, tls, vm, e);
}

/* A monitor's connection: by its port from umldir, or through the
 * redirector (which answers UD_REDIRECT and then carries the bytes). */
static struct rpc_client *monitor_connect(const struct remote_target *t,
					  const char *vm, struct err *e)
{
	ud_port_res pr;
	struct rpc_client *c;
	char *name = (char *)vm;
	int port, tls;

	c = dir_connect(t, t->redir, e);
	if (!c)
		return NULL;
	memset(&pr, 0, sizeof(pr));
	if (rpc_client_call(c, t->redir ? UD_REDIRECT : UD_GET_PORT,
			    (xdrproc_t)xdr_wrapstring, &name,
			    (xdrproc_t)xdr_ud_port_res, &pr, t->timeout_ms, e) < 0) {
		err_prefix(e, "%s@%s", vm, t->host);
		rpc_client_free(c);
		return NULL;
	}
	if (pr.res.status != UD_OK) {
		err_code(e, ud_code(pr.res.status), "umldir at %s: %s", t->host,
			 pr.res.message);
		xdr_free((xdrproc_t)xdr_ud_port_res, (char *)&pr);
		rpc_client_free(c);
		return NULL;
	}
	port = (int)pr.port;
	tls = pr.tls;
	xdr_free((xdrproc_t)xdr_ud_port_res, (char *)&pr);
	if (t->redir) {
		/* the same connection, now the monitor's: TLS end to end */
		rpc_client_reprogram(c, UMLMONCTRL_PROG, UMLMONCTRL_V1);
		return maybe_tls(c, t, tls, vm, e);
	}
	rpc_client_free(c);
	return monitor_at(t, port, tls, vm, e);
}

int remote_handshake(struct rpc_client *c, const char *vm, const char *password,
		     int timeout_ms, struct err *e)
{
	um_auth_hello hello;
	um_auth_challenge ch;
	um_auth_proof pf;
	um_auth_result ar;
	uint8_t cproof[AUTH_MAC_LEN], sproof[AUTH_MAC_LEN];
	uint8_t binding[AUTH_TLS_BINDING_LEN];
	int bound = rpc_client_tls_binding(c, binding) == 0;
	struct auth_session sess;
	struct auth_key key;
	int r = -1;

	memset(&hello, 0, sizeof(hello));
	memset(&ch, 0, sizeof(ch));
	memset(&ar, 0, sizeof(ar));
	hello.auth_version = UM_AUTH_VERSION;
	hello.vm = (char *)vm;
	auth_random((uint8_t *)hello.cnonce, sizeof(hello.cnonce));
	if (rpc_client_call(c, UM_AUTH_HELLO, (xdrproc_t)xdr_um_auth_hello, &hello,
			    (xdrproc_t)xdr_um_auth_challenge, &ch, timeout_ms, e) < 0) {
		err_prefix(e, "%s: handshake", vm);
		return -1;
	}
	if (ch.res.status != UM_OK) {
		/* the monitor's message names the VM already */
		err_code(e, ch.res.status == UM_ENOENT ? ERR_NOENT : ERR_PERM,
			 "%s", ch.res.message);
		goto out;
	}
	if (ch.auth_version != UM_AUTH_VERSION ||
	    ch.kdf_iterations < AUTH_KDF_MIN || ch.kdf_iterations > AUTH_KDF_MAX) {
		/* a server that asks for a cheap key helps whoever guesses */
		err_code(e, ERR_PERM, "%s: the server asks for version %u, %u key "
			 "iterations (expected version %d, %d to %d); not a monitor "
			 "to trust", vm, ch.auth_version, ch.kdf_iterations,
			 UM_AUTH_VERSION, AUTH_KDF_MIN, AUTH_KDF_MAX);
		goto out;
	}
	if (auth_derive(password, vm, ch.kdf_iterations, &key, e) < 0)
		goto out;
	auth_compute(&key, vm, (uint8_t *)hello.cnonce, (uint8_t *)ch.snonce,
		     ch.kdf_iterations, bound ? binding : NULL,
		     bound ? sizeof(binding) : 0, cproof, sproof, &sess);
	memcpy(pf.proof, cproof, sizeof(pf.proof));
	if (rpc_client_call(c, UM_AUTH_PROVE, (xdrproc_t)xdr_um_auth_proof, &pf,
			    (xdrproc_t)xdr_um_auth_result, &ar, timeout_ms, e) < 0) {
		err_prefix(e, "%s: handshake", vm);
		goto out;
	}
	if (ar.res.status != UM_OK) {
		err_code(e, ERR_PERM, "%s", ar.res.message);
		goto out;
	}
	if (!auth_equal(ar.proof, sproof, AUTH_MAC_LEN)) {
		err_code(e, ERR_PERM, "%s: the server does not know the password "
			 "(not %s's monitor?); nothing sent", vm, vm);
		goto out;
	}
	rpc_client_seal(c, sess.c2s, sess.s2c);
	r = 0;
out:
	explicit_bzero(&key, sizeof(key));
	explicit_bzero(&sess, sizeof(sess));
	xdr_free((xdrproc_t)xdr_um_auth_challenge, (char *)&ch);
	xdr_free((xdrproc_t)xdr_um_auth_result, (char *)&ar);
	return r;
}

/* The handshake on c (NULL: connecting failed, e set); frees c if it
 * fails. */
static struct rpc_client *authenticate(struct rpc_client *c,
				       const struct remote_target *t,
				       const char *vm, const char *password,
				       struct err *e)
{
	if (!c)
		return NULL;
	if (remote_handshake(c, vm, password, t->timeout_ms, e) < 0) {
		rpc_client_free(c);
		return NULL;
	}
	return c;
}

struct rpc_client *remote_open(const struct remote_target *t, const char *vm,
			       const char *password, struct err *e)
{
	return authenticate(monitor_connect(t, vm, e), t, vm, password, e);
}

struct rpc_client *remote_open_port(const struct remote_target *t, int port,
				    int tls, const char *vm, const char *password,
				    struct err *e)
{
	return authenticate(monitor_at(t, port, tls, vm, e), t, vm, password, e);
}
