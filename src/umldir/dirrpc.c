/* dirrpc.c -- umldir's procedures (see dirrpc.h). */
#include "umldir/dirrpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/rpc_wire.h"
#include "serve/rpc_server.h"
#include "umldir/registry.h"

void ud_set(ud_result *r, ud_status st, const char *fmt, ...)
{
	va_list ap;

	free(r->message);
	r->status = st;
	va_start(ap, fmt);
	r->message = xvasprintf(fmt, ap);
	va_end(ap);
}

ud_status ud_status_of(enum err_code code)
{
	static const struct { enum err_code code; ud_status st; } map[] = {
		{ERR_OK, UD_OK},
		{ERR_INVAL, UD_EINVAL},
		{ERR_NOENT, UD_ENOENT},
		{ERR_PERM, UD_EPERM},
		{ERR_BUSY, UD_EBUSY},
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].code == code)
			return map[i].st;
	return UD_EIO;
}

static struct registry *reg_of(struct rpc_call *call)
{
	return rpc_call_ctx(call);
}

static enum rpc_outcome p_list(struct rpc_call *call, void *args, void *res)
{
	ud_list_res *r = res;
	const struct dir_vm *const *v;
	int n = registry_list(reg_of(call), &v);

	(void)args;
	r->vms.vms_val = xcalloc(n ? (size_t)n : 1, sizeof(ud_entry));
	r->vms.vms_len = (u_int)n;
	for (int i = 0; i < n; i++) {
		ud_entry *d = &r->vms.vms_val[i];

		d->vm = xstrdup(v[i]->vm);
		d->state = xstrdup(v[i]->state);
		d->port = v[i]->port;
		d->tls = v[i]->tls;
		d->pid = v[i]->pid;
	}
	ud_set(&r->res, UD_OK, "%d VM%s", n, n == 1 ? "" : "s");
	return RPC_REPLY;
}

static enum rpc_outcome p_get_port(struct rpc_call *call, void *args, void *res)
{
	const char *vm = *(char **)args;
	ud_port_res *r = res;
	const struct dir_vm *d;
	struct err e;

	d = registry_get(reg_of(call), vm, &e);
	if (!d) {
		ud_set(&r->res, ud_status_of(e.code), "%s", e.msg);
	} else if (!d->port) {
		ud_set(&r->res, UD_ENOTCP, "%s: its monitor does not serve TCP "
		       "(tcp = yes in umlmon(5))", vm);
	} else {
		r->port = d->port;
		r->tls = d->tls;
		ud_set(&r->res, UD_OK, "%s: port %u%s", vm, d->port,
		       d->tls ? " (TLS)" : "");
	}
	return RPC_REPLY;
}

static enum rpc_outcome p_redirect(struct rpc_call *call, void *args, void *res)
{
	(void)call;
	(void)args;
	ud_set(&((ud_port_res *)res)->res, UD_EPERM, "UD_REDIRECT is the first "
	       "call on the redirector's port (service umlredir), not on this one");
	return RPC_REPLY;
}

static enum rpc_outcome p_register(struct rpc_call *call, void *args, void *res)
{
	const struct rpc_peer *peer = rpc_call_peer(call);
	struct err e;

	if (registry_register(reg_of(call), args, rpc_call_conn(call), peer->pid,
			      &e) < 0) {
		log_warn("registration refused: %s", e.msg);
		ud_set(res, ud_status_of(e.code), "%s", e.msg);
	} else {
		ud_set(res, UD_OK, "%s: registered", ((ud_register_args *)args)->vm);
	}
	return RPC_REPLY;
}

static enum rpc_outcome p_set_state(struct rpc_call *call, void *args, void *res)
{
	const ud_state_args *a = args;
	struct err e;

	if (registry_set_state(reg_of(call), a->vm, a->state, rpc_call_conn(call),
			       &e) < 0)
		ud_set(res, ud_status_of(e.code), "%s", e.msg);
	else
		ud_set(res, UD_OK, "%s: %s", a->vm, a->state);
	return RPC_REPLY;
}

/* A row: number, name, argument and result types, handler, who may call
 * it (rpc_server.h). */
#define PROC(num, name, targ, tres, fn, policy) \
	{num, name, (xdrproc_t)xdr_##targ, sizeof(targ), \
	 (xdrproc_t)xdr_##tres, sizeof(tres), fn, policy, 0}

/* "void" arguments and results: nothing on the wire */
typedef int ud_void;
#define xdr_ud_void xdr_rpc_void

typedef char *ud_name;
static bool_t xdr_ud_name(XDR *x, ud_name *s)
{
	return xdr_string(x, s, UD_NAME_MAX);
}

static const struct rpc_proc procs[] = {
	PROC(UD_NULL, "null", ud_void, ud_void, rpc_proc_null, RPC_ANY_PEER),
	PROC(UD_LIST, "list", ud_void, ud_list_res, p_list, RPC_ANY_PEER),
	PROC(UD_GET_PORT, "get_port", ud_name, ud_port_res, p_get_port, RPC_ANY_PEER),
	PROC(UD_REDIRECT, "redirect", ud_name, ud_port_res, p_redirect, RPC_ANY_PEER),
	PROC(UD_REGISTER, "register", ud_register_args, ud_result, p_register,
	     RPC_ROOT),
	PROC(UD_SET_STATE, "set_state", ud_state_args, ud_result, p_set_state,
	     RPC_ROOT),
};

/* Every result but UD_NULL's begins with a ud_result: a refused call gets
 * UD_EPERM. */
static void deny(struct rpc_call *call, void *res, const char *why)
{
	ud_set(res, UD_EPERM, "umldir: %s: %s", rpc_call_name(call), why);
}

static void on_close(struct rpc_server *s, const void *conn)
{
	registry_drop_conn(rpc_server_ctx(s), conn);
}

struct rpc_server *dirrpc_server_new(struct loop *l, struct registry *reg)
{
	struct rpc_server *s = rpc_server_new(l, UMLDIR_PROG, UMLDIR_V1, procs,
					      ARRAY_SIZE(procs), reg);

	rpc_server_on_deny(s, deny);
	rpc_server_on_close(s, on_close);
	return s;
}
