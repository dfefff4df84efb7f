/* update.c -- umladmin update (see update.h). */
#include "admin/update.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin/monctl.h"
#include "common/names.h"
#include "common/paths.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"

static const struct table_col cols[] = {
	{"VM", "name"},
	{"ACTION", "action"},
	{"DETAIL", "detail"},
};

/* What a monitor said of its VM before the update. */
struct vm_upd {
	const char *name;
	const struct vm_conf *vm;  /* NULL: not in the configuration */
	int monitor;               /* its monitor answered */
	um_state state;
	pid_t pid;
	char *before;              /* its section as the monitor has it */
};

/* The parts of a VM's section a monitor shows in UM_INFO, as one text:
 * what changed in it changed in the section. */
static char *fingerprint(const um_info *r)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "%s|%s|%llu|%d", r->vmuser, r->kernel,
		  (unsigned long long)r->memory, r->stop_timeout);
	for (u_int i = 0; i < r->disks.disks_len; i++) {
		const um_disk *d = &r->disks.disks_val[i];

		sb_printf(&sb, "|%s%s=%s,%s", d->dev, d->flags, d->path, d->backing);
	}
	for (u_int i = 0; i < r->nics.nics_len; i++) {
		const um_nic *n = &r->nics.nics_val[i];

		sb_printf(&sb, "|%s=%s:%s", n->name, n->kind, n->host);
	}
	for (u_int i = 0; i < r->chans.chans_len; i++)
		sb_printf(&sb, "|%s=%d", r->chans.chans_val[i].name,
			  (int)r->chans.chans_val[i].mode);
	return sb_steal(&sb);
}

/* Asks the monitor of name; 0 and what it said, or -1 if none answers. */
static int probe(const struct config *cfg, const char *name, struct vm_upd *u,
		 char **pending)
{
	char *sock = vm_ctrl_path(cfg->global.vardir, name);
	struct rpc_client *c;
	struct err e;
	um_info info;
	int r = -1;

	c = rpc_client_unix(sock, UMLMONCTRL_PROG, UMLMONCTRL_V1, &e);
	free(sock);
	memset(&info, 0, sizeof(info));
	if (c && rpc_client_call(c, UM_INFO, (xdrproc_t)xdr_rpc_void, NULL,
				 (xdrproc_t)xdr_um_info, &info, 5000, &e) == 0) {
		if (info.res.status == UM_OK) {
			u->monitor = 1;
			u->state = info.state;
			u->pid = info.monitor_pid;
			free(u->before);
			u->before = fingerprint(&info);
			if (pending)
				*pending = xstrdup(info.pending ? info.pending : "");
			r = 0;
		}
		xdr_free((xdrproc_t)xdr_um_info, (char *)&info);
	}
	rpc_client_free(c);
	return r;
}

static int is_idle(um_state s)
{
	return s == UM_STOPPED || s == UM_CRASHED;
}

/* The monitors under vardir whose VM the configuration lacks: the
 * directories with a control socket. */
static int removed_vms(const struct config *cfg, struct vm_upd **u, int n)
{
	DIR *d = opendir(cfg->global.vardir);
	struct dirent *de;
	struct err e;

	if (!d)
		return n;
	while ((de = readdir(d))) {
		char *sock;
		struct stat st;
		int known;

		if (de->d_name[0] == '.' || config_valid_name(de->d_name, &e) < 0)
			continue;
		known = config_vm((struct config *)cfg, de->d_name) != NULL;
		sock = vm_ctrl_path(cfg->global.vardir, de->d_name);
		if (!known && stat(sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
			*u = xrealloc(*u, sizeof(**u) * (size_t)(n + 1));
			memset(&(*u)[n], 0, sizeof(**u));
			(*u)[n++].name = xstrdup(de->d_name);
		}
		free(sock);
	}
	closedir(d);
	return n;
}

static void row(struct table *t, const char *vm, const char *action,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void row(struct table *t, const char *vm, const char *action,
		const char *fmt, ...)
{
	va_list ap;
	char *detail;

	va_start(ap, fmt);
	detail = xvasprintf(fmt, ap);
	va_end(ap);
	table_str(t, vm);
	table_str(t, action);
	table_str(t, detail);
	free(detail);
}

/* Ends an idle monitor (its VM is not running). */
static int end_monitor(struct table *t, const struct vm_upd *u, const char *why)
{
	struct err e;

	if (monctl_end_monitor(u->name, u->pid, 60 * 1000, &e) < 0) {
		row(t, u->name, "failed", "%s", e.msg);
		return 1;
	}
	row(t, u->name, "ended", "%s: its monitor (pid %d) ended", why, (int)u->pid);
	return 0;
}

int update_run(const struct config *cfg, struct table *t)
{
	struct vm_upd *u = xcalloc((size_t)cfg->nvms + 1, sizeof(*u));
	struct monctl_result *r;
	int n = cfg->nvms, nreload = 0, failed = 0;

	table_init(t, cols, (int)ARRAY_SIZE(cols));
	for (int i = 0; i < cfg->nvms; i++) {
		u[i].name = xstrdup(cfg->vms[i].name);
		u[i].vm = &cfg->vms[i];
	}
	n = removed_vms(cfg, &u, n);
	r = xcalloc((size_t)n + 1, sizeof(*r));
	for (int i = 0; i < n; i++) {
		probe(cfg, u[i].name, &u[i], NULL);
		if (u[i].monitor && u[i].vm && !u[i].vm->nerrors &&
		    u[i].vm->start != START_OFF)
			r[nreload++].vm = u[i].name;
	}
	/* what can apply now applies (passwords; an idle VM's section) */
	monctl_call_all(cfg, r, nreload, UM_RELOAD, (xdrproc_t)xdr_rpc_void, NULL,
			30 * 1000);
	for (int i = 0; i < n; i++) {
		struct vm_upd *v = &u[i];
		const struct monctl_result *rr = NULL;
		struct err e;

		for (int k = 0; k < nreload; k++)
			if (!strcmp(r[k].vm, v->name))
				rr = &r[k];
		if (!v->vm || v->vm->start == START_OFF) {
			const char *why = v->vm ? "start = off" : "removed from the configuration";

			if (!v->monitor)
				row(t, v->name, "none", "%s; no monitor", why);
			else if (is_idle(v->state))
				failed += end_monitor(t, v, why);
			else
				row(t, v->name, "left running", "%s, but the VM is %s: "
				    "its monitor stays (stop the VM, then update again)",
				    why, vm_state_name(v->state));
		} else if (v->vm->nerrors) {
			row(t, v->name, "failed", "%d error%s in its section (umladmin "
			    "check); left as it is", v->vm->nerrors,
			    v->vm->nerrors == 1 ? "" : "s");
			failed++;
		} else if (!v->monitor) {
			if (monctl_start_monitor(cfg->path, v->name, &e) < 0) {
				row(t, v->name, "failed", "%s", e.msg);
				failed++;
			} else {
				row(t, v->name, "started", "monitor started%s",
				    v->vm->start == START_BOOT ? "; it boots the VM (start = boot)"
							       : "");
			}
		} else if (is_idle(v->state)) {
			char *before = v->before ? xstrdup(v->before) : NULL;
			int changed;

			probe(cfg, v->name, v, NULL);
			changed = !rr || !rr->answered || rr->status != UM_OK ||
				  !before || !v->before || strcmp(before, v->before);
			free(before);
			if (!changed) {
				row(t, v->name, "unchanged", "%s", vm_state_name(v->state));
			} else if (monctl_end_monitor(v->name, v->pid, 60 * 1000, &e) < 0 ||
				   monctl_start_monitor(cfg->path, v->name, &e) < 0) {
				row(t, v->name, "failed", "%s", e.msg);
				failed++;
			} else {
				row(t, v->name, "restarted", "its section changed: monitor "
				    "restarted");
			}
		} else {
			char *pending = NULL;

			if (rr && rr->answered && rr->status != UM_OK) {
				row(t, v->name, "failed", "%s", rr->msg);
				failed++;
			} else if (probe(cfg, v->name, v, &pending) == 0 && *pending) {
				row(t, v->name, "needs restart", "%s; at its next boot: %s",
				    vm_state_name(v->state), pending);
			} else {
				row(t, v->name, "unchanged", "%s", vm_state_name(v->state));
			}
			free(pending);
		}
	}
	for (int i = 0; i < n; i++) {
		free((char *)u[i].name);
		free(u[i].before);
	}
	free(u);
	free(r);
	return failed;
}
