/* hosts.c -- the VMs of other hosts in umlweb (web_remote in umlmon(5)):
 * their names are VM@HOST, HOST as configured; umldir of HOST lists them,
 * and their monitors are reached through it with the master password
 * (client/remote.c, the handshake of docs/PROTOCOL.md). Only a session
 * of the master password sees them. The quick calls of the VM list go
 * over one connection kept per VM: a handshake costs a key derivation. */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/authfile.h"
#include "common/log.h"

#define REMOTE_TIMEOUT_MS 3000

struct web_host {
	char *spec;                  /* as configured: "10.0.0.2", "h:7301" */
	struct remote_target t;
};

struct kept {
	char *vm;                    /* VM@HOST */
	struct rpc_client *c;
};

int hosts_init(struct web *w, struct err *e)
{
	const struct global_conf *g = &w->cfg->global;
	char *list, *save = NULL;

	if (!g->web_remote)
		return 0;
	list = xstrdup(g->web_remote);
	for (char *h = strtok_r(list, " \t,", &save); h; h = strtok_r(NULL, " \t,", &save)) {
		struct web_host *x;

		w->hosts = xrealloc(w->hosts, (size_t)(w->nhosts + 1) * sizeof(*w->hosts));
		x = &w->hosts[w->nhosts];
		memset(x, 0, sizeof(*x));
		if (remote_parse_host(h, &x->t, e) < 0) {
			err_prefix(e, "web_remote");
			free(list);
			return -1;
		}
		x->spec = xstrdup(h);
		x->t.timeout_ms = REMOTE_TIMEOUT_MS;
		w->nhosts++;
	}
	free(list);
	/* the handshake derives a key per VM from the password itself */
	if (g->master_password) {
		w->master_pw = xstrdup(g->master_password);
	} else if (g->master_password_file) {
		w->master_pw = auth_password_file(g->master_password_file, 0, e);
		if (!w->master_pw) {
			err_prefix(e, "web_remote needs the master password itself "
				   "(master_password, or a master_password_file that holds "
				   "the password, not its keys)");
			return -1;
		}
	} else {
		err_code(e, ERR_INVAL, "web_remote needs the master password "
			 "(master_password or master_password_file)");
		return -1;
	}
	/* a host with no VM of its own checks the login against this */
	if (auth_derive(w->master_pw, WEB_LOGIN_SALT, UMLMON_DEFAULT_KDF_ITERATIONS,
			&w->login_key, e) < 0)
		return -1;
	w->has_login_key = 1;
	return 0;
}

void hosts_free(struct web *w)
{
	for (int i = 0; i < w->nhosts; i++)
		free(w->hosts[i].spec);
	free(w->hosts);
	for (int i = 0; i < w->nkept; i++) {
		rpc_client_free(w->kept[i].c);
		free(w->kept[i].vm);
	}
	free(w->kept);
	auth_wipe_free(w->master_pw);
	auth_wipe(&w->login_key, sizeof(w->login_key));
}

/* The host of "VM@HOST" among those configured, and the VM's name. */
static struct web_host *host_of(const struct web *w, const char *vm, char *name,
				size_t n)
{
	const char *at = strchr(vm, '@');
	struct err e;

	if (!at || (size_t)(at - vm) >= n)
		return NULL;
	snprintf(name, n, "%.*s", (int)(at - vm), vm);
	if (config_valid_name(name, &e) < 0)
		return NULL;
	for (int i = 0; i < w->nhosts; i++)
		if (!strcmp(w->hosts[i].spec, at + 1))
			return &w->hosts[i];
	return NULL;
}

int hosts_is_remote(const char *vm)
{
	return strchr(vm, '@') != NULL;
}

int web_vm_known(const struct web *w, const struct session *s, const char *vm)
{
	char name[65];

	if (!hosts_is_remote(vm))
		return web_vm_index(w, vm) >= 0 && session_may(s, vm);
	return !s->vm[0] && host_of(w, vm, name, sizeof(name)) != NULL;
}

struct rpc_client *hosts_connect(struct web *w, const char *vm, struct err *e)
{
	struct web_host *h;
	struct rpc_client *c;
	char name[65];

	h = host_of(w, vm, name, sizeof(name));
	if (!h) {
		err_code(e, ERR_NOENT, "%s: no such VM", vm);
		return NULL;
	}
	c = remote_open(&h->t, name, w->master_pw, e);
	if (!c)
		err_prefix(e, "%s", vm);
	return c;
}

struct rpc_client *hosts_kept(struct web *w, const char *vm, struct err *e)
{
	struct rpc_client *c;

	for (int i = 0; i < w->nkept; i++)
		if (!strcmp(w->kept[i].vm, vm))
			return w->kept[i].c;
	c = hosts_connect(w, vm, e);
	if (!c)
		return NULL;
	w->kept = xrealloc(w->kept, (size_t)(w->nkept + 1) * sizeof(*w->kept));
	w->kept[w->nkept].vm = xstrdup(vm);
	w->kept[w->nkept].c = c;
	w->nkept++;
	return c;
}

void hosts_drop(struct web *w, const char *vm)
{
	for (int i = 0; i < w->nkept; i++) {
		if (strcmp(w->kept[i].vm, vm))
			continue;
		rpc_client_free(w->kept[i].c);
		free(w->kept[i].vm);
		w->kept[i] = w->kept[--w->nkept];
		return;
	}
}

void hosts_list(struct web *w, struct json *j,
		void (*one)(struct web *w, struct json *j, const char *vm))
{
	for (int i = 0; i < w->nhosts; i++) {
		ud_list_res l;
		struct err e;

		memset(&l, 0, sizeof(l));
		if (remote_list(&w->hosts[i].t, &l, &e) < 0) {
			log_warn("web_remote %s: %s", w->hosts[i].spec, e.msg);
			continue;
		}
		for (u_int k = 0; k < l.vms.vms_len; k++) {
			char *vm = xasprintf("%s@%s", l.vms.vms_val[k].vm, w->hosts[i].spec);

			/* a VM without TCP cannot be reached from here */
			if (l.vms.vms_val[k].port)
				one(w, j, vm);
			free(vm);
		}
		remote_list_free(&l);
	}
}
