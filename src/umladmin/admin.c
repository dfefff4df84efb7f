/* admin.c -- host and VM administration behind umladmin(8). */
#include "umladmin/admin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "umlmonctrl.h"
#include "common/names.h"
#include "common/paths.h"
#include "disk/disk.h"
#include "host/jail.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "host/tmpfile.h"
#include "host/uidalloc.h"

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

int admin_image_target(struct config *cfg, const char *name,
		       struct admin_image *t, struct err *e)
{
	struct vm_conf *vm = config_vm(cfg, name);
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
	/* the image is the vmuser's: a VM of its own user gets its uid now */
	if (!vm->vmuser) {
		err_set(e, "%s: no vmuser in %s", name, cfg->path);
		return -1;
	}
	if (uidalloc_resolve(cfg, name, e) < 0)
		return -1;
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

int admin_vm_up(const struct admin_status *st)
{
	return st->monitor && (st->vmstate == UM_STARTING || st->vmstate == UM_RUNNING ||
			       st->vmstate == UM_PAUSED);
}
