/* showconf.c -- the effective configuration of a VM (see showconf.h). */
#include "admin/showconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/names.h"
#include "common/netconf.h"
#include "host/vmuser.h"

static const struct table_col cols[] = {
	{"KEY", "key"},
	{"VALUE", "value"},
	{"FROM", "from"},
};

struct show {
	const struct config *cfg;
	const struct vm_conf *vm;
	struct table *t;
};

/* A key of [GLOBAL] only. */
static void global_row(struct show *s, const char *key, const char *val)
{
	table_str(s->t, key);
	table_str(s->t, val);
	table_str(s->t, config_given(s->cfg->global.keys, key) ? "GLOBAL" : "default");
}

/* A key of the VM's section only (line: of a channel, 0 for a default). */
static void vm_row(struct show *s, const char *key, const char *val)
{
	table_str(s->t, key);
	table_str(s->t, val);
	table_str(s->t, config_given(s->vm->keys, key) ? s->vm->name : "default");
}

/* A key of either: the VM's section wins over [GLOBAL]. */
static void either_row(struct show *s, const char *key, const char *val)
{
	table_str(s->t, key);
	table_str(s->t, val);
	table_str(s->t, config_given(s->vm->keys, key) ? s->vm->name :
		  config_given(s->cfg->global.keys, key) ? "GLOBAL" : "default");
}

static void vm_rowf(struct show *s, void (*row)(struct show *, const char *,
						const char *),
		    const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void vm_rowf(struct show *s, void (*row)(struct show *, const char *,
						const char *),
		    const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	v = xvasprintf(fmt, ap);
	va_end(ap);
	row(s, key, v);
	free(v);
}

static void nic_value(const struct nic_conf *n, char *buf, size_t len)
{
	struct strbuf sb;

	sb_init(&sb);
	switch (n->kind) {
	case NIC_HOST_TO_HOST:
		sb_printf(&sb, "proxy_if=%s, proxy_addr=%s, guest_addr=%s", n->proxy_if,
			  n->proxy_addr, n->guest_addr);
		if (n->host_if[0])
			sb_printf(&sb, ", host_if=%s", n->host_if);
		break;
	case NIC_BRIDGED:
		sb_printf(&sb, "bridge_if=%s, proxy_if=%s", n->bridge_if, n->proxy_if);
		if (n->guest_addr[0])
			sb_printf(&sb, ", guest_addr=%s", n->guest_addr);
		break;
	case NIC_SWITCHED:
		sb_printf(&sb, "switch=%s", n->sw);
		if (n->guest_addr[0])
			sb_printf(&sb, ", guest_addr=%s", n->guest_addr);
		break;
	}
	if (n->mac[0])
		sb_printf(&sb, ", mac=%s", n->mac);
	snprintf(buf, len, "%s(%s)", nic_kind_name(n->kind), sb.buf ? sb.buf : "");
	sb_free(&sb);
}

static const char *secret(const char *p)
{
	return p ? "(set)" : NULL;
}

/* A size limit as umlmon(5) writes it. */
static const char *limit_size(uint64_t v, char *buf, size_t len)
{
	if (v == UMLMON_LIMIT_INFINITY)
		return "unlimited";
	return v ? fmt_size(v, buf, len) : "0";
}

void showconf_table(const struct config *cfg, const struct vm_conf *vm,
		    struct table *t)
{
	const struct global_conf *g = &cfg->global;
	const struct remote_conf *r = &vm->remote;
	struct show s = {cfg, vm, t};
	char key[32], buf[512], lo[18], hi[18];

	table_init(t, cols, (int)ARRAY_SIZE(cols));
	/* [GLOBAL]'s, as they apply to this VM */
	global_row(&s, "vardir", g->vardir);
	global_row(&s, "shared", g->shared);
	global_row(&s, "rundir", g->rundir);
	global_row(&s, "ctrl_group", g->ctrl_group);
	mac_format(g->mac_lo, lo);
	mac_format(g->mac_hi, hi);
	vm_rowf(&s, global_row, "mac_pool", "%s-%s", lo, hi);
	global_row(&s, "master_password", secret(g->master_password));
	global_row(&s, "master_password_file", g->master_password_file);
	vm_rowf(&s, global_row, "umldir_port", "%d", g->umldir_port);
	vm_rowf(&s, global_row, "umlredir_port", "%d", g->umlredir_port);
	global_row(&s, "umldir_bind", g->umldir_bind);
	global_row(&s, "umldir_user", g->umldir_user);
	global_row(&s, "web_bind", g->web_bind);
	vm_rowf(&s, global_row, "web_port", "%d", g->web_port);
	global_row(&s, "web_user", g->web_user);
	global_row(&s, "web_remote", g->web_remote);
	global_row(&s, "web_tls_cert", g->web_tls_cert);
	global_row(&s, "web_tls_key", g->web_tls_key);
	global_row(&s, "host_reserve", limit_size(g->host_reserve, buf, sizeof(buf)));
	vm_rowf(&s, global_row, "start_concurrency", "%d", g->start_concurrency);
	vm_rowf(&s, global_row, "vm_uid_range", "%u-%u", (unsigned)g->uid_first,
		(unsigned)g->uid_last);
	global_row(&s, "cgroup_parent", g->cgroup_parent);
	/* the VM's own */
	vm_row(&s, "vmuser", vmuser_text(vm, buf, sizeof(buf)));
	either_row(&s, "vmuser_shared", vm->vmuser_shared ? "yes" : "no");
	vm_row(&s, "kernel", vm->kernel);
	vm_row(&s, "memory", fmt_size(vm->memory, buf, sizeof(buf)));
	for (int i = 0; i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];

		snprintf(key, sizeof(key), "ubd%d%s", d->index, d->flags);
		vm_rowf(&s, vm_row, key, "%s%s%s", d->path, d->backing ? "," : "",
			d->backing ? d->backing : "");
	}
	for (int i = 0; i < vm->nchans; i++)
		vm_row(&s, vm->chans[i].name, chan_mode_name(vm->chans[i].mode));
	for (int i = 0; i < vm->nnics; i++) {
		snprintf(key, sizeof(key), "eth%d", vm->nics[i].index);
		nic_value(&vm->nics[i], buf, sizeof(buf));
		vm_row(&s, key, buf);
	}
	vm_row(&s, "netdriver", vm->netdriver == NET_TUNTAP ? "tuntap" : "vector");
	vm_row(&s, "args", vm->args);
	vm_rowf(&s, vm_row, "stop_timeout", "%d", vm->stop_timeout);
	vm_row(&s, "log_max", vm->log_max ? fmt_size(vm->log_max, buf, sizeof(buf)) : "0");
	vm_rowf(&s, vm_row, "log_keep", "%d", vm->log_keep);
	vm_row(&s, "start", start_mode_name(vm->start));
	vm_row(&s, "on_panic", panic_action_name(vm->on_panic));
	vm_row(&s, "password", secret(vm->password));
	vm_row(&s, "password_file", vm->password_file);
	/* remote: the VM's section, else [GLOBAL], else the default */
	either_row(&s, "tcp", r->tcp ? "yes" : "no");
	either_row(&s, "tcp_bind", r->tcp_bind);
	either_row(&s, "tls_cert", r->tls_cert);
	either_row(&s, "tls_key", r->tls_key);
	vm_rowf(&s, either_row, "max_clients", "%d", r->max_clients);
	vm_rowf(&s, either_row, "max_clients_per_peer", "%d", r->max_clients_per_peer);
	vm_rowf(&s, either_row, "max_unauthenticated", "%d", r->max_unauth);
	vm_rowf(&s, either_row, "auth_timeout", "%d", r->auth_timeout);
	vm_rowf(&s, either_row, "kdf_iterations", "%d", r->kdf_iterations);
	/* the kernel's rlimits, likewise */
	vm_rowf(&s, either_row, "limit_nofile", "%llu",
		(unsigned long long)vm->limits.v[LIMIT_NOFILE]);
	vm_rowf(&s, either_row, "limit_nproc", "%llu",
		(unsigned long long)vm->limits.v[LIMIT_NPROC]);
	either_row(&s, "limit_core", limit_size(vm->limits.v[LIMIT_CORE], buf,
						sizeof(buf)));
	either_row(&s, "limit_memlock", limit_size(vm->limits.v[LIMIT_MEMLOCK],
						   buf, sizeof(buf)));
	either_row(&s, "seccomp", vm->seccomp ? "yes" : "no");
	either_row(&s, "fastboot", vm->fastboot ? "yes" : "no");
	/* its cgroup's, likewise */
	either_row(&s, "memory_allowance",
		   fmt_size(vm->cgroup.v[CG_MEM_ALLOWANCE], buf, sizeof(buf)));
	vm_rowf(&s, either_row, "cpu_weight", "%llu",
		(unsigned long long)vm->cgroup.v[CG_CPU_WEIGHT]);
	if (vm->cgroup.v[CG_CPU_QUOTA])
		vm_rowf(&s, either_row, "cpu_quota", "%llu",
			(unsigned long long)vm->cgroup.v[CG_CPU_QUOTA]);
	else
		either_row(&s, "cpu_quota", "none");
	vm_rowf(&s, either_row, "pids_max", "%llu",
		(unsigned long long)vm->cgroup.v[CG_PIDS_MAX]);
	vm_rowf(&s, either_row, "io_weight", "%llu",
		(unsigned long long)vm->cgroup.v[CG_IO_WEIGHT]);
}
