/* monitor_reload.c -- SIGHUP and UM_RELOAD: a monitor reads its
 * configuration file again. The VM's changed section applies at its next
 * boot (at once while it is down); a file that cannot be read, errors in
 * [GLOBAL] or in the VM's section change nothing, and the running VM is
 * left alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/names.h"
#include "host/uidalloc.h"
#include "host/vmuser.h"
#include "umlmon/monitor_int.h"

/* One key of a VM section as text, for the comparison. */
struct kv {
	char key[16];
	char *val;
};

struct kvs {
	struct kv v[64 + VM_MAX_DISKS + VM_MAX_CHANS + VM_MAX_NICS];
	int n;
};

static void put(struct kvs *k, const char *key, char *val)
{
	if (k->n >= (int)ARRAY_SIZE(k->v)) {
		free(val);
		return;
	}
	snprintf(k->v[k->n].key, sizeof(k->v[0].key), "%s", key);
	k->v[k->n++].val = val;
}

static char *size_text(uint64_t n)
{
	char buf[32];

	return xstrdup(fmt_size(n, buf, sizeof(buf)));
}

static char *nic_text(const struct nic_conf *n)
{
	return xasprintf("%s(proxy_if=%s, proxy_addr=%s, guest_addr=%s, "
			 "host_if=%s, bridge_if=%s, switch=%s, mac=%s)",
			 nic_kind_name(n->kind), n->proxy_if, n->proxy_addr, n->guest_addr,
			 n->host_if, n->bridge_if, n->sw, n->mac);
}

/* The section as key/value texts, in a fixed order. */
static void render(const struct vm_conf *vm, struct kvs *k)
{
	char key[16], user[96];

	k->n = 0;
	put(k, "vmuser", xstrdup(vmuser_text(vm, user, sizeof(user))));
	put(k, "kernel", xstrdup(vm->kernel ? vm->kernel : ""));
	put(k, "memory", size_text(vm->memory));
	for (int i = 0; i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];

		snprintf(key, sizeof(key), "ubd%d", d->index);
		put(k, key, xasprintf("%s%s%s%s%s", d->path, d->backing ? "," : "",
				      d->backing ? d->backing : "",
				      d->flags[0] ? " flags " : "", d->flags));
	}
	for (int i = 0; i < vm->nchans; i++)
		put(k, vm->chans[i].name, xstrdup(chan_mode_name(vm->chans[i].mode)));
	for (int i = 0; i < vm->nnics; i++) {
		snprintf(key, sizeof(key), "eth%d", vm->nics[i].index);
		put(k, key, nic_text(&vm->nics[i]));
	}
	put(k, "netdriver", xstrdup(vm->netdriver == NET_TUNTAP ? "tuntap" : "vector"));
	put(k, "args", xstrdup(vm->args ? vm->args : ""));
	put(k, "fastboot", xstrdup(vm->fastboot ? "yes" : "no"));
	put(k, "stop_timeout", xasprintf("%d", vm->stop_timeout));
	put(k, "log_max", size_text(vm->log_max));
	put(k, "log_keep", xasprintf("%d", vm->log_keep));
	put(k, "start", xstrdup(start_mode_name(vm->start)));
	put(k, "on_panic", xstrdup(panic_action_name(vm->on_panic)));
}

static void kvs_free(struct kvs *k)
{
	for (int i = 0; i < k->n; i++)
		free(k->v[i].val);
	k->n = 0;
}

static const struct kv *find(const struct kvs *k, const char *key)
{
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->v[i].key, key))
			return &k->v[i];
	return NULL;
}

/* "memory 64M -> 128M; ubd1 added" into out; the number of changes. */
static int changes(const struct vm_conf *a, const struct vm_conf *b,
		   struct strbuf *out)
{
	struct kvs *ka = xcalloc(1, sizeof(*ka)), *kb = xcalloc(1, sizeof(*kb));
	int n = 0;

	render(a, ka);
	render(b, kb);
	for (int i = 0; i < ka->n; i++) {
		const struct kv *o = &ka->v[i], *nw = find(kb, o->key);

		if (!nw)
			sb_printf(out, "%s%s removed", n++ ? "; " : "", o->key);
		else if (strcmp(o->val, nw->val))
			sb_printf(out, "%s%s %s -> %s", n++ ? "; " : "", o->key,
				  *o->val ? o->val : "\"\"", *nw->val ? nw->val : "\"\"");
	}
	for (int i = 0; i < kb->n; i++)
		if (!find(ka, kb->v[i].key))
			sb_printf(out, "%s%s = %s added", n++ ? "; " : "", kb->v[i].key,
				  kb->v[i].val);
	kvs_free(ka);
	kvs_free(kb);
	free(ka);
	free(kb);
	return n;
}

/* Puts n in place: the VM is down, or its section did not change. */
static int apply(struct monitor *m, struct config *n, struct err *e)
{
	struct config *old = m->cfg;
	struct vm_conf *oldvm = m->vm;
	struct jail j;

	if (jail_init(&j, n, config_vm(n, oldvm->name), e) < 0)
		return -1;
	m->cfg = n;
	m->vm = config_vm(n, oldvm->name);
	if (monitor_make_chans(m, e) < 0) {
		m->cfg = old;
		m->vm = oldvm;
		jail_free(&j);
		return -1;
	}
	/* nothing is mounted while the VM is down; the paths and the user
	 * may have changed */
	j.tmp_mounted = m->jail.tmp_mounted;
	j.shared_mounted = m->jail.shared_mounted;
	jail_free(&m->jail);
	m->jail = j;
	/* a disk job has its own copy (diskjob_start) */
	config_free(old);
	return 0;
}

void monitor_apply_pending(struct monitor *m)
{
	struct config *n = m->pending;
	struct err e;

	m->pending = NULL;
	if (apply(m, n, &e) < 0) {
		log_err("%s: the new configuration could not be put in place: %s; "
			"the VM keeps the one it had", m->vm->name, e.msg);
		config_free(n);
	} else {
		log_info("%s: configuration of the reload in place (%s)", m->vm->name,
			 m->pending_note ? m->pending_note : "");
	}
	free(m->pending_note);
	m->pending_note = NULL;
}

/* The certificate and key of the TCP port are read again for the next
 * connections (a renewed certificate needs no restart); files that do not
 * load leave the port with those it has. TLS on or off waits for the
 * next start: umldir announced the port as it is. */
static void reload_tls(struct monitor *m, const struct vm_conf *vm,
		       struct strbuf *text)
{
	const char *name = vm->name;
	int had = monitor_tcp_tls(m), want = vm->remote.tls_cert != NULL;
	struct err e;

	if (!monitor_tcp_port(m))
		return;
	if (had != want) {
		sb_printf(text, "%s: TLS %s: applies at the next start of the "
			  "monitor\n", name, want ? "added" : "removed");
		log_info("%s: reload: TLS %s: applies at the next start of the "
			 "monitor", name, want ? "added" : "removed");
	} else if (had && monitor_tls_load(m, vm, &e) < 0) {
		sb_printf(text, "%s: reload: %s; the TCP port keeps the "
			  "certificate it has\n", name, e.msg);
		log_warn("%s: reload: %s; the TCP port keeps the certificate it "
			 "has", name, e.msg);
	} else if (had) {
		log_info("%s: reload: TLS certificate %s for the next connections",
			 name, vm->remote.tls_cert);
	}
}

static int is_down(const struct monitor *m)
{
	return (m->state == UM_STOPPED || m->state == UM_CRASHED) && !m->b.watcher;
}

int monitor_reload(struct monitor *m, struct strbuf *text, struct err *e)
{
	char name[VM_NAME_MAX + 1], path[4096];
	struct config *n;
	struct vm_conf *vm;
	struct strbuf what;
	int bad = 0, nchanged;

	/* copies: the old configuration may be gone before we have said all */
	snprintf(name, sizeof(name), "%s", m->vm->name);
	snprintf(path, sizeof(path), "%s", m->cfg->path);
	n = config_load(path, e);
	if (!n) {
		char msg[sizeof(e->msg)];

		snprintf(msg, sizeof(msg), "%s: reload: %.900s; nothing changed", name,
			 e->msg);
		memcpy(e->msg, msg, sizeof(msg));
		return -1;
	}
	vm = config_vm(n, name);
	for (int i = 0; i < n->nerrors; i++) {
		const char *sec = n->error_sections[i];

		if (!*sec || !strcmp(sec, "GLOBAL") || !strcmp(sec, name)) {
			sb_printf(text, "%s\n", n->errors[i]);
			bad++;
		}
	}
	if (bad) {
		err_set(e, "%s: reload: %d error%s in %s; nothing changed (the VM "
			"keeps the configuration it has)", name, bad,
			bad > 1 ? "s" : "", path);
		goto refuse;
	}
	if (!vm) {
		err_set(e, "%s: reload: no [%s] section in %s any more; nothing "
			"changed (stop the monitor to retire the VM)", name, name, path);
		goto refuse;
	}
	if (strcmp(n->global.vardir, m->cfg->global.vardir) ||
	    strcmp(n->global.rundir, m->cfg->global.rundir)) {
		err_set(e, "%s: reload: vardir or rundir changed in %s; a monitor "
			"keeps its directories: restart it to move the VM; nothing "
			"changed", name, path);
		goto refuse;
	}
	/* the processes of a shared uid are looked at by the next start */
	if (uidalloc_resolve(n, name, e) < 0 || vmuser_check(n, vm, NULL, e) < 0) {
		err_prefix(e, "%s: reload", name);
		sb_printf(text, "%s; nothing changed\n", e->msg);
		goto refuse;
	}
	{
		/* passwords serve the next handshake: they need no boot */
		struct mon_keys nk;

		if (mon_keys_load(n, vm, &nk, e) < 0) {
			err_prefix(e, "%s: reload", name);
			sb_printf(text, "%s; nothing changed\n", e->msg);
			goto refuse;
		}
		m->keys = nk;
		mon_keys_clear(&nk);
	}
	reload_tls(m, vm, text);
	if (strcmp(n->global.shared, m->cfg->global.shared) && !is_down(m)) {
		/* the jail's bind mount comes from there */
		sb_printf(text, "%s: shared changed: applies at the next boot\n", name);
	}
	sb_init(&what);
	nchanged = changes(m->vm, vm, &what);
	if (!nchanged && strcmp(n->global.shared, m->cfg->global.shared) == 0) {
		/* the section is the same: the new file serves at once (the
		 * other sections are read by disk operations and MACs) */
		sb_printf(text, "%s: reloaded %s: no change for this VM\n", name, path);
		if (m->pending) {
			/* a change read before was taken back */
			config_free(m->pending);
			m->pending = NULL;
			free(m->pending_note);
			m->pending_note = NULL;
		}
		m->vm = vm;
		config_free(m->cfg);
		m->cfg = n;
		sb_free(&what);
		return 0;
	}
	if (is_down(m)) {
		if (apply(m, n, e) < 0) {
			sb_free(&what);
			goto refuse;
		}
		config_free(m->pending);
		m->pending = NULL;
		free(m->pending_note);
		m->pending_note = NULL;
		sb_printf(text, "%s: reloaded %s: %s\n", name, path,
			  what.buf ? what.buf : "the shared directory");
		log_info("%s: reloaded %s: %s", name, path,
			 what.buf ? what.buf : "the shared directory");
	} else {
		config_free(m->pending);
		m->pending = n;
		free(m->pending_note);
		m->pending_note = xstrdup(what.buf ? what.buf : "the shared directory");
		sb_printf(text, "%s: reloaded %s; applies at the next boot: %s\n",
			  name, path, m->pending_note);
		log_info("%s: reloaded %s; applies at the next boot: %s", name, path,
			 m->pending_note);
	}
	sb_free(&what);
	return 0;
refuse:
	config_free(n);
	return -1;
}
