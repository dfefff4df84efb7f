/* vmlist.c -- the rows of umladmin list (see vmlist.h). */
#include "admin/vmlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umldir.h"
#include "common/nameidx.h"
#include "common/names.h"
#include "common/paths.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "umladmin/admin.h"

/* The columns: the text's heads and the JSON's keys (spec11.md fixes
 * name, start, state, monitor_pid, memory, disks, uptime, tcp_port). */
static const struct table_col cols[] = {
	{"VM", "name"},
	{"STATE", "state"},
	{"MEMORY", "memory"},
	{"START", "start"},
	{"UPTIME", "uptime"},
	{"MONITOR", "monitor_pid"},
	{"TCP", "tcp_port"},
	{"DISKS", "disks"},
	{"NOTES", "notes"},
};

/* What umldir knows of the monitors (their TCP ports), asked on its Unix
 * socket; NULL when it does not run. */
static ud_list_res *dir_list(const struct config *cfg)
{
	char *sock = umldir_sock_path(cfg->global.vardir);
	ud_list_res *l = xcalloc(1, sizeof(*l));
	struct rpc_client *c;
	struct err e;

	c = rpc_client_unix(sock, UMLDIR_PROG, UMLDIR_V1, &e);
	free(sock);
	if (c && rpc_client_call(c, UD_LIST, (xdrproc_t)xdr_rpc_void, NULL,
				 (xdrproc_t)xdr_ud_list_res, l, 2000, &e) == 0 &&
	    l->res.status == UD_OK) {
		rpc_client_free(c);
		return l;
	}
	rpc_client_free(c);
	xdr_free((xdrproc_t)xdr_ud_list_res, (char *)l);
	free(l);
	return NULL;
}

/* umldir's entry of vm, through an index of its list (one walk per VM
 * would make the table quadratic in the VMs). */
static const ud_entry *dir_entry(const ud_list_res *l, struct nameidx *x,
				 const char *vm)
{
	int i;

	if (!l)
		return NULL;
	if (!x->n)
		for (u_int k = 0; k < l->vms.vms_len; k++)
			nameidx_put(x, l->vms.vms_val[k].vm, (int)k);
	i = nameidx_get(x, vm);
	return i >= 0 ? &l->vms.vms_val[i] : NULL;
}

static void disks_cell(struct table *t, const struct vm_conf *vm)
{
	char *d[VM_MAX_DISKS];

	for (int k = 0; k < vm->ndisks; k++) {
		const struct disk_conf *c = &vm->disks[k];

		d[k] = xasprintf("ubd%d%s=%s%s%s", c->index, c->flags, c->path,
				 c->backing ? "," : "", c->backing ? c->backing : "");
	}
	table_list(t, d, vm->ndisks, " ");
	for (int k = 0; k < vm->ndisks; k++)
		free(d[k]);
}

int vmlist_table(const struct config *cfg, struct table *t)
{
	ud_list_res *dir = dir_list(cfg);
	struct nameidx byvm = {0};
	int unknown = 0;

	table_init(t, cols, (int)ARRAY_SIZE(cols));
	for (int i = 0; i < cfg->nvms; i++) {
		const struct vm_conf *vm = &cfg->vms[i];
		const ud_entry *de = dir_entry(dir, &byvm, vm->name);
		struct admin_status st;
		struct strbuf notes;
		char buf[64];

		admin_vm_status(cfg, vm, &st);
		sb_init(&notes);
		if (st.why[0])
			sb_printf(&notes, "%s", st.why);
		if (st.orphan) {
			/* the VM runs; only its monitor is gone */
			snprintf(st.state, sizeof(st.state), "running");
			sb_printf(&notes, "%sno monitor: pid %d runs in its jail",
				  notes.len ? "; " : "", (int)st.orphan);
		}
		if (vm->nerrors)
			sb_printf(&notes, "%s%d config error%s (umladmin check)",
				  notes.len ? "; " : "", vm->nerrors,
				  vm->nerrors == 1 ? "" : "s");
		if (st.pending[0])
			sb_printf(&notes, "%sat the next boot: %s", notes.len ? "; " : "",
				  st.pending);
		unknown += !strcmp(st.state, "unknown");

		table_str(t, vm->name);
		table_str(t, st.state);
		table_num(t, (long long)vm->memory, fmt_size(vm->memory, buf, sizeof(buf)));
		table_str(t, start_mode_name(vm->start));
		if (st.monitor && st.uptime_ms) {
			unsigned long long s = st.uptime_ms / 1000;

			snprintf(buf, sizeof(buf), "%llu:%02llu:%02llu", s / 3600,
				 s / 60 % 60, s % 60);
			table_num(t, (long long)s, buf);
		} else {
			table_null(t);
		}
		if (st.monitor)
			table_num(t, st.monitor_pid, NULL);
		else
			table_null(t);
		if (de && de->port)
			table_num(t, de->port, NULL);
		else
			table_null(t);
		disks_cell(t, vm);
		table_str(t, notes.len ? notes.buf : NULL);
		sb_free(&notes);
	}
	nameidx_free(&byvm);
	if (dir) {
		xdr_free((xdrproc_t)xdr_ud_list_res, (char *)dir);
		free(dir);
	}
	return unknown;
}
