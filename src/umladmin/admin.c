/* admin.c -- host and VM administration behind umladmin(8). */
#include "umladmin/admin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "umlmonctrl.h"
#include "common/names.h"
#include "common/paths.h"
#include "disk/disk.h"
#include "host/hostnet_query.h"
#include "host/jail.h"
#include "disk/precheck.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "host/tmpfile.h"

int admin_setup(const struct config *cfg, const char *kernel, struct err *e)
{
	const char *dirs[] = {"", "/kernels", "/disks"};
	char real[PATH_MAX], *dst;
	int r;

	if (mkdir_p(cfg->global.vardir, 0755) < 0) {
		err_sys(e, "%s", cfg->global.vardir);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = xasprintf("%s%s", cfg->global.shared, dirs[i]);

		r = mkdir_p(d, 0755);
		if (r < 0)
			err_sys(e, "%s", d);
		free(d);
		if (r < 0)
			return -1;
	}
	if (!realpath(kernel, real)) {
		err_sys(e, "kernel %s", kernel);
		return -1;
	}
	dst = xasprintf("%s/kernels/linux", cfg->global.shared);
	r = copy_file_atomic(real, dst, 0755, e);
	free(dst);
	return r;
}

int admin_image_target(const struct config *cfg, const char *name,
		       struct admin_image *t, struct err *e)
{
	struct vm_conf *vm = config_vm((struct config *)cfg, name);
	const struct disk_conf *d = NULL;
	struct jail j;
	char *rel;
	pid_t left;

	memset(t, 0, sizeof(*t));
	t->dirfd = -1;
	if (!vm) {
		err_set(e, "%s: unknown VM (no [%s] section in %s)", name, name,
			cfg->path);
		return -1;
	}
	if (!vm->vmuser) {
		err_set(e, "%s: no vmuser in %s", name, cfg->path);
		return -1;
	}
	for (int i = 0; i < vm->ndisks; i++)
		if (vm->disks[i].index == 0)
			d = &vm->disks[i];
	if (!d || d->backing || strncmp(d->path, "/disks/", 7) ||
	    strcmp(strrchr(d->path, '.'), ".dsk")) {
		err_set(e, "%s: ubd0 must be a flat image in /disks (e.g. ubd0 = "
			"/disks/root.dsk) to build it here", name);
		return -1;
	}
	if (jail_init(&j, cfg, vm, e) < 0 || jail_layout(&j, e) < 0) {
		jail_free(&j);
		return -1;
	}
	if ((left = jail_find_process(&j))) {
		err_set(e, "%s: runs (pid %d lives in its jail %s); stop it before "
			"building its image", name, (int)left, j.p.root);
		jail_free(&j);
		return -1;
	}
	/* "disks" or "disks/sub": the directory part of ubd0 in the jail */
	rel = xasprintf("%.*s", (int)(strrchr(d->path, '/') - d->path - 1),
			d->path + 1);
	t->path = xasprintf("%s%s", j.p.root, d->path);
	t->name = strrchr(t->path, '/') + 1;
	t->dirfd = tmpfile_dir(j.p.root, rel, t->path, e);
	free(rel);
	jail_free(&j);
	if (t->dirfd < 0) {
		admin_image_free(t);
		return -1;
	}
	t->uid = vm->uid;
	t->gid = vm->gid;
	return 0;
}

void admin_image_free(struct admin_image *t)
{
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->path);
	memset(t, 0, sizeof(*t));
	t->dirfd = -1;
}

/* ---- state ---------------------------------------------------------- */

void admin_vm_status(const struct config *cfg, const struct vm_conf *vm,
		     struct admin_status *st)
{
	char *sock = vm_ctrl_path(cfg->global.vardir, vm->name);
	struct rpc_client *c;
	struct jail j;
	struct err e;
	um_info info;
	int saved;

	memset(st, 0, sizeof(*st));
	c = rpc_client_unix(sock, UMLMONCTRL_PROG, UMLMONCTRL_V1, &e);
	saved = errno;
	if (c) {
		memset(&info, 0, sizeof(info));
		if (rpc_client_call(c, UM_INFO, (xdrproc_t)xdr_rpc_void, NULL,
				    (xdrproc_t)xdr_um_info, &info, 2000, &e) == 0) {
			snprintf(st->state, sizeof(st->state), "%s",
				 vm_state_name(info.state));
			st->monitor = 1;
			st->vmstate = info.state;
			st->monitor_pid = info.monitor_pid;
			st->kernel_pid = info.kernel_pid;
			st->uptime_ms = info.uptime_ms;
			snprintf(st->pending, sizeof(st->pending), "%s",
				 info.pending ? info.pending : "");
			xdr_free((xdrproc_t)xdr_um_info, (char *)&info);
		} else {
			snprintf(st->state, sizeof(st->state), "unknown");
			snprintf(st->why, sizeof(st->why), "the monitor does not "
				 "answer: %.200s", e.msg);
		}
		rpc_client_free(c);
	} else if (saved == EACCES || saved == EPERM) {
		snprintf(st->state, sizeof(st->state), "unknown");
		snprintf(st->why, sizeof(st->why), "permission denied (%.200s)", sock);
		st->denied = 1;
	} else if (saved == ENOENT || saved == ECONNREFUSED) {
		/* no socket, or one that nobody listens on any more */
		snprintf(st->state, sizeof(st->state), "no monitor");
	} else {
		snprintf(st->state, sizeof(st->state), "unknown");
		snprintf(st->why, sizeof(st->why), "%.200s", e.msg);
	}
	free(sock);
	if (st->monitor || st->denied)
		return;
	/* a kernel whose monitor died (SIGKILL) runs on in its jail */
	if (jail_init(&j, cfg, vm, &e) == 0)
		st->orphan = jail_find_process(&j);
	jail_free(&j);
}

/* ---- checks ---------------------------------------------------------- */

struct check {
	const struct config *cfg;
	admin_finding_cb cb;
	void *arg;
	int errors;
	uint64_t mem_total, mem_avail; /* bytes; 0: unknown */
};

static void report(struct check *c, enum admin_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct check *c, enum admin_level level, const char *fmt, ...)
{
	char text[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (level == ADMIN_ERROR)
		c->errors++;
	c->cb(c->arg, level, text);
}

/* "23.4 GiB" */
static const char *human(uint64_t bytes, char *buf, size_t n)
{
	if (bytes >= (1ULL << 30))
		snprintf(buf, n, "%.1f GiB", (double)bytes / (double)(1ULL << 30));
	else
		snprintf(buf, n, "%llu MiB", (unsigned long long)(bytes >> 20));
	return buf;
}

static void check_kernel(struct check *c, const struct vm_conf *vm)
{
	char *host = NULL;
	struct stat st;
	struct err e;
	int r = -1;

	if (!strncmp(vm->kernel, "/shared/", 8)) {
		/* the shared dir is bound on /shared only while a VM runs */
		host = xasprintf("%s%s", c->cfg->global.shared, vm->kernel + 7);
		r = stat(host, &st);
	} else {
		struct jail j;
		int fd = -1;

		if (jail_init(&j, c->cfg, vm, &e) == 0) {
			host = xasprintf("%s%s", j.p.root, vm->kernel);
			fd = jail_open(&j, vm->kernel, O_PATH, &e);
		} else {
			host = xasprintf("%s", vm->kernel);
		}
		jail_free(&j);
		if (fd >= 0) {
			r = fstat(fd, &st);
			close(fd);
		}
	}
	if (r < 0 && errno == ENOENT)
		report(c, ADMIN_ERROR, "%s: kernel %s: not found (%s); install one "
		       "with 'umladmin setup'", vm->name, vm->kernel, host);
	else if (r < 0)
		report(c, ADMIN_ERROR, "%s: kernel %s: %s (%s)", vm->name,
		       vm->kernel, strerror(errno), host);
	else if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXOTH))
		report(c, ADMIN_ERROR, "%s: kernel %s: not an executable file the "
		       "vmuser may run (%s, mode %04o)", vm->name, vm->kernel, host,
		       (unsigned)(st.st_mode & 07777));
	free(host);
}

/* Each disk on its own through the start's own check, so that every bad
 * disk is named, not only the first. */
static void check_disks(struct check *c, const struct vm_conf *vm)
{
	struct vm_conf *one = xmalloc(sizeof(*one));
	struct disk_ctx dc;
	struct err e;

	if (disk_ctx_init(&dc, c->cfg, vm->name, &e) < 0) {
		report(c, ADMIN_ERROR, "%s: %s", vm->name, e.msg);
		free(one);
		return;
	}
	for (int i = 0; i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];
		struct stat st;

		*one = *vm;
		one->ndisks = 1;
		one->disks[0] = *d;
		if (!strncmp(d->path, "/disks/", 7) && stat(dc.disks, &st) < 0 &&
		    errno == ENOENT) {
			/* a VM that never started: its start makes the jail */
			if (!d->backing) {
				report(c, ADMIN_ERROR, "%s: ubd%d: %s: no such disk (%s "
				       "does not exist)", vm->name, d->index, d->path,
				       dc.disks);
				continue;
			}
		} else if (precheck_disks(&dc, one, &e) < 0) {
			report(c, ADMIN_ERROR, "%s: %s", vm->name, e.msg);
			continue;
		}
		/* a missing COW is made by the kernel, over a backing file
		 * that must be there */
		if (d->backing && disk_check(&dc, d->backing, NULL, &e) < 0)
			report(c, ADMIN_ERROR, "%s: ubd%d: backing file: %s", vm->name,
			       d->index, e.msg);
	}
	disk_ctx_free(&dc);
	free(one);
}

/* The kernel maps its memory from a sparse file in the jail's tmpfs: a
 * start never fails for want of memory, the guest does when it touches
 * more than the host can give. */
static void check_memory(struct check *c, const struct vm_conf *vm)
{
	char a[32], b[32];

	if (c->mem_total && vm->memory > c->mem_total)
		report(c, ADMIN_WARNING, "%s: memory %s is more than the host has "
		       "(%s): the guest fails when it uses more", vm->name,
		       human(vm->memory, a, sizeof(a)), human(c->mem_total, b, sizeof(b)));
	else if (c->mem_avail && vm->memory > c->mem_avail)
		report(c, ADMIN_WARNING, "%s: memory %s is more than the host has "
		       "free now (%s available)", vm->name,
		       human(vm->memory, a, sizeof(a)), human(c->mem_avail, b, sizeof(b)));
}

/* As vmnet.c's start: a tap name must be free, or a tap of the vmuser
 * left by an earlier boot (removed then); bridges and host interfaces
 * must exist. */
static void check_network(struct check *c, const struct vm_conf *vm)
{
	for (int k = 0; k < vm->nnics; k++) {
		const struct nic_conf *n = &vm->nics[k];
		uid_t owner;

		if (n->kind == NIC_SWITCHED)
			continue;
		if (hostnet_tap_owner(n->proxy_if, &owner) && owner == vm->uid)
			report(c, ADMIN_WARNING, "%s: eth%d: proxy_if %s: a tap left "
			       "by an earlier boot; a start removes it", vm->name,
			       n->index, n->proxy_if);
		else if (hostnet_link_exists(n->proxy_if))
			report(c, ADMIN_ERROR, "%s: eth%d: proxy_if %s: already exists "
			       "and is not a tap of the vmuser (%s); a start refuses it",
			       vm->name, n->index, n->proxy_if, vm->vmuser);
		if (n->kind == NIC_BRIDGED && !hostnet_link_exists(n->bridge_if))
			report(c, ADMIN_ERROR, "%s: eth%d: bridge_if %s: no such "
			       "interface (the bridge must exist)", vm->name, n->index,
			       n->bridge_if);
		if (n->kind == NIC_HOST_TO_HOST && n->host_if[0] &&
		    !hostnet_link_exists(n->host_if))
			report(c, ADMIN_ERROR, "%s: eth%d: host_if %s: no such "
			       "interface", vm->name, n->index, n->host_if);
	}
}

/* What a start of a stopped VM checks, in its order. */
static void (*const vm_checks[])(struct check *c, const struct vm_conf *vm) = {
	check_kernel,
	check_disks,
	check_memory,
	check_network,
};

static void read_meminfo(struct check *c)
{
	char *info = read_file("/proc/meminfo", 65536, NULL), *p;
	unsigned long long kb;

	if (!info)
		return;
	if ((p = strstr(info, "MemTotal:")) && sscanf(p + 9, "%llu", &kb) == 1)
		c->mem_total = kb << 10;
	if ((p = strstr(info, "MemAvailable:")) && sscanf(p + 13, "%llu", &kb) == 1)
		c->mem_avail = kb << 10;
	free(info);
}

int admin_check(const struct config *cfg, admin_finding_cb cb, void *arg)
{
	struct check c = {.cfg = cfg, .cb = cb, .arg = arg};
	struct stat st;

	if (stat(cfg->global.shared, &st) < 0 || !S_ISDIR(st.st_mode))
		report(&c, ADMIN_ERROR, "shared dir %s: missing (run 'umladmin setup')",
		       cfg->global.shared);
	read_meminfo(&c);
	for (int i = 0; i < cfg->nvms; i++) {
		const struct vm_conf *vm = &cfg->vms[i];
		struct admin_status s;

		if (vm->nerrors)
			continue; /* its config errors are listed */
		admin_vm_status(cfg, vm, &s);
		if (s.orphan) {
			report(&c, ADMIN_ERROR, "%s: pid %d of an earlier run still "
			       "lives in its jail and has no monitor; a monitor refuses "
			       "to start until it ends", vm->name, (int)s.orphan);
			continue;
		}
		if (s.monitor && strcmp(s.state, "stopped") && strcmp(s.state, "crashed")) {
			report(&c, ADMIN_NOTE, "%s: %s; its disks and taps are its "
			       "own now and not checked", vm->name, s.state);
			continue;
		}
		for (size_t k = 0; k < ARRAY_SIZE(vm_checks); k++)
			vm_checks[k](&c, vm);
	}
	return c.errors;
}
