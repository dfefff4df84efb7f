/* ctrl_auth.c -- the handshake of a TCP connection (UM_AUTH_HELLO,
 * UM_AUTH_PROVE; docs/PROTOCOL.md): the server's side, one state per
 * connection. A failure ends the connection after its reply. */
#include "umlmon/ctrl_auth.h"

#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "common/log.h"
#include "common/authkeys.h"
#include "umlmon/monitor.h"
#include "umlmonctrl.h"

static void set_status(um_result *r, um_status st, const struct err *e)
{
	r->status = st;
	r->message = xstrdup(e ? e->msg : "");
}

static um_status status_of(const struct err *e)
{
	switch (e->code) {
	case ERR_NOENT: return UM_ENOENT;
	case ERR_INVAL: return UM_EINVAL;
	default: return UM_EPERM;
	}
}

/* A connection's handshake with its own copy of the keys: a reload
 * between the hello and the proof cannot leave it checking a proof
 * against a key that was cleared. */
struct conn_auth {
	struct auth_server as;
	struct auth_key vm, master;
};

static void conn_auth_free(void *p)
{
	if (p)
		explicit_bzero(p, sizeof(struct conn_auth));
	free(p);
}

/* The connection's handshake, made at its first hello. */
static struct auth_server *state_of(struct rpc_call *call, int create)
{
	struct conn_auth *ca = rpc_call_conn_data(call);
	struct monitor *m = rpc_call_ctx(call);
	const uint8_t *binding = rpc_call_tls_binding(call);
	const struct mon_keys *k;

	if (ca || !create)
		return ca ? &ca->as : NULL;
	k = monitor_keys(m);
	ca = xcalloc(1, sizeof(*ca));
	ca->vm = k->vm;
	ca->master = k->master;
	auth_server_init(&ca->as, monitor_name(m), k->has_vm ? &ca->vm : NULL,
			 k->has_master ? &ca->master : NULL, k->iterations,
			 binding, binding ? AUTH_TLS_BINDING_LEN : 0);
	rpc_call_set_conn_data(call, ca, conn_auth_free);
	return &ca->as;
}

enum rpc_outcome ctrl_auth_hello(struct rpc_call *call, void *args, void *res)
{
	const um_auth_hello *h = args;
	um_auth_challenge *c = res;
	struct auth_server *as = state_of(call, 1);
	struct err e;

	if (auth_server_hello(as, h->auth_version, h->vm, (const uint8_t *)h->cnonce,
			      (uint8_t *)c->snonce, &e) < 0) {
		log_warn("tcp: %s: handshake refused: %s",
			 rpc_call_peer(call)->addr, e.msg);
		set_status(&c->res, status_of(&e), &e);
		rpc_call_end_conn(call);
		return RPC_REPLY;
	}
	c->auth_version = UM_AUTH_VERSION;
	c->kdf_iterations = as->iterations;
	set_status(&c->res, UM_OK, NULL);
	return RPC_REPLY;
}

enum rpc_outcome ctrl_auth_prove(struct rpc_call *call, void *args, void *res)
{
	const um_auth_proof *p = args;
	um_auth_result *r = res;
	struct auth_server *as = state_of(call, 0);
	struct auth_session s;
	struct err e;

	if (!as || as->state != AUTH_WANT_PROOF) {
		/* a proof without a hello: nothing to check it against */
		err_code(&e, ERR_PERM, "%s: a proof before the hello",
			 monitor_name(rpc_call_ctx(call)));
		log_warn("tcp: %s: %s; connection closed", rpc_call_peer(call)->addr,
			 e.msg);
		set_status(&r->res, UM_EPERM, &e);
		rpc_call_end_conn(call);
		return RPC_REPLY;
	}
	if (auth_server_prove(as, (const uint8_t *)p->proof, (uint8_t *)r->proof,
			      &s, &e) < 0) {
		log_warn("tcp: %s: %s", rpc_call_peer(call)->addr, e.msg);
		set_status(&r->res, UM_EPERM, &e);
		memset(r->proof, 0, sizeof(r->proof));
		rpc_call_end_conn(call);
		return RPC_REPLY;
	}
	log_info("tcp: %s: authenticated%s", rpc_call_peer(call)->addr,
		 as->by_master ? " with the master password" : "");
	set_status(&r->res, UM_OK, NULL);
	/* this reply goes out in clear; everything after it is sealed */
	rpc_call_secure(call, s.s2c, s.c2s, as->by_master ? "master" : "password");
	explicit_bzero(&s, sizeof(s));
	return RPC_REPLY;
}
