/* vmlist.c -- GET /api/vms without waiting in the loop: every VM's UM_INFO
 * asked at once, each with a deadline; the answer goes out when all have
 * answered or the deadline passed, a VM whose monitor did not answer
 * shown as such. The loop serves other browsers meanwhile. */
#include "web/web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/names.h"
#include "umlmonctrl.h"

struct entry {
	struct vmlist *l;
	char *vm;
	struct monrpc_ask *q;        /* NULL once answered */
	int ok;
	um_info info;
	char *error;
};

struct vmlist {
	struct web *w;
	struct lws *wsi;
	struct api_reply *r;
	int remote;                  /* other hosts' VMs too */
	struct entry *v;
	int n, pending;
};

/* One VM in the list: its UM_INFO, or why there is none. */
static void vm_json_of(struct web *w, struct json *j, const char *vm,
		       const um_info *info, const char *error, const char *state)
{
	json_obj_begin(j);
	json_key(j, "name");
	json_str(j, vm);
	json_key(j, "note");
	json_str(j, web_note_of(w, vm));
	if (!info) {
		json_key(j, "state");
		json_str(j, state);
		json_key(j, "error");
		json_str(j, error);
		json_obj_end(j);
		return;
	}
	json_key(j, "state");
	json_str(j, vm_state_name(info->state));
	json_key(j, "memory");
	json_int(j, (long long)info->memory);
	json_key(j, "uptime_ms");
	json_int(j, (long long)info->uptime_ms);
	json_key(j, "boot");
	json_int(j, info->boot);
	json_key(j, "disks");
	json_arr_begin(j);
	for (u_int d = 0; d < info->disks.disks_len; d++) {
		const um_disk *k = &info->disks.disks_val[d];

		json_obj_begin(j);
		json_key(j, "dev");
		json_str(j, k->dev);
		json_key(j, "flags");
		json_str(j, k->flags);
		json_key(j, "path");
		json_str(j, k->path);
		json_key(j, "backing");
		json_str(j, k->backing[0] ? k->backing : NULL);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "nics");
	json_arr_begin(j);
	for (u_int d = 0; d < info->nics.nics_len; d++) {
		const um_nic *n = &info->nics.nics_val[d];

		json_obj_begin(j);
		json_key(j, "name");
		json_str(j, n->name);
		json_key(j, "kind");
		json_str(j, n->kind);
		json_key(j, "host");
		json_str(j, n->host);
		json_key(j, "mac");
		json_str(j, n->mac[0] ? n->mac : NULL);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "chans");
	json_arr_begin(j);
	for (u_int d = 0; d < info->chans.chans_len; d++) {
		const um_chan *c = &info->chans.chans_val[d];

		if (c->mode == UM_CHAN_NULL)
			continue;
		json_obj_begin(j);
		json_key(j, "name");
		json_str(j, c->name);
		json_key(j, "mode");
		json_str(j, chan_mode_name((enum chan_mode)c->mode));
		json_key(j, "open");
		json_bool(j, c->open);
		json_key(j, "log");
		json_bool(j, c->log[0] != '\0');
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* A VM of another host (hosts_list): one quick call on the connection
 * kept to it, bounded by the remote timeout. */
static void remote_json(struct web *w, struct json *j, const char *vm)
{
	um_info info;
	struct err e;

	memset(&info, 0, sizeof(info));
	if (monrpc_call(w, vm, UM_INFO, (xdrproc_t)xdr_rpc_void, NULL,
			(xdrproc_t)xdr_um_info, &info, &e) < 0) {
		vm_json_of(w, j, vm, NULL, e.msg, "no monitor");
		return;
	}
	vm_json_of(w, j, vm, &info, NULL, NULL);
	xdr_free((xdrproc_t)xdr_um_info, (char *)&info);
}

static void vmlist_free(void *arg)
{
	struct vmlist *l = arg;

	for (int i = 0; i < l->n; i++) {
		monrpc_ask_cancel(l->v[i].q);
		xdr_free((xdrproc_t)xdr_um_info, (char *)&l->v[i].info);
		free(l->v[i].vm);
		free(l->v[i].error);
	}
	free(l->v);
	free(l);
}

/* All answered or given up: the reply, and the request may be written. */
static void finish(struct vmlist *l)
{
	struct json_buf b;

	json_buf_begin(&b);
	json_obj_begin(&b.j);
	json_key(&b.j, "vms");
	json_arr_begin(&b.j);
	for (int i = 0; i < l->n; i++) {
		struct entry *x = &l->v[i];

		vm_json_of(l->w, &b.j, x->vm, x->ok ? &x->info : NULL, x->error,
			   x->ok ? NULL : "no monitor");
	}
	if (l->remote)
		hosts_list(l->w, &b.j, remote_json);
	json_arr_end(&b.j);
	json_obj_end(&b.j);
	l->r->status = 200;
	l->r->type = "application/json";
	l->r->body = json_buf_end(&b);
	l->r->len = strlen(l->r->body);
	l->r->later = 0;
	l->r->src = NULL;
	lws_callback_on_writable(l->wsi);
	vmlist_free(l);
}

static void on_info(void *arg, void *res, const struct err *e)
{
	struct entry *x = arg;

	x->q = NULL;
	if (res) {
		/* taken: the RPC client frees what is left, zeroed */
		x->info = *(um_info *)res;
		memset(res, 0, sizeof(um_info));
		x->ok = 1;
	} else {
		x->error = xstrdup(e->msg);
	}
	if (!--x->l->pending)
		finish(x->l);
}

void vmlist_start(struct web *w, const struct session *s, struct lws *wsi,
		  struct api_reply *r)
{
	struct vmlist *l = xcalloc(1, sizeof(*l));
	struct err e;

	l->w = w;
	l->wsi = wsi;
	l->r = r;
	/* other hosts' VMs: the master password's sessions only */
	l->remote = !s->vm[0];
	l->v = xcalloc((size_t)(w->cfg->nvms ? w->cfg->nvms : 1), sizeof(*l->v));
	r->later = 1;
	r->src = l;
	r->src_free = vmlist_free;
	for (int i = 0; i < w->cfg->nvms; i++) {
		const char *vm = w->cfg->vms[i].name;

		if (session_may(s, vm))
			l->v[l->n++] = (struct entry){.l = l, .vm = xstrdup(vm)};
	}
	/* counted first: an answer cannot come before all are asked */
	l->pending = l->n + 1;
	for (int i = 0; i < l->n; i++) {
		struct entry *x = &l->v[i];

		x->q = monrpc_ask(w, x->vm, UM_INFO, (xdrproc_t)xdr_rpc_void, NULL,
				  (xdrproc_t)xdr_um_info, sizeof(um_info),
				  WEB_LIST_TIMEOUT_MS, on_info, x, &e);
		if (!x->q) {
			x->error = xstrdup(e.msg);
			l->pending--;
		}
	}
	if (!--l->pending)
		finish(l);
}
