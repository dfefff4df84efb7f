/* admin.c -- host and VM administration behind umladmin(8). */
#include "admin.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "umlmonctrl.h"
#include "jail.h"
#include "monitor.h"
#include "rpc_client.h"
#include "rpc_wire.h"
#include "tmpfile.h"

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
			"building its image", name, (int)left, j.root);
		jail_free(&j);
		return -1;
	}
	/* "disks" or "disks/sub": the directory part of ubd0 in the jail */
	rel = xasprintf("%.*s", (int)(strrchr(d->path, '/') - d->path - 1),
			d->path + 1);
	t->path = xasprintf("%s%s", j.root, d->path);
	t->name = strrchr(t->path, '/') + 1;
	t->dirfd = tmpfile_dir(j.root, rel, t->path, e);
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

int admin_check_host(const struct config *cfg, struct err *e)
{
	struct stat st;

	if (stat(cfg->global.shared, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, "shared dir %s: missing (run 'umladmin setup')",
			cfg->global.shared);
		return -1;
	}
	for (int i = 0; i < cfg->nvms; i++) {
		const struct vm_conf *vm = &cfg->vms[i];
		char *host;
		int ok;

		if (!vm->kernel || strncmp(vm->kernel, "/shared/", 8))
			continue; /* a kernel in the VM's own jail */
		host = xasprintf("%s%s", cfg->global.shared, vm->kernel + 7);
		ok = access(host, X_OK) == 0;
		if (!ok)
			err_sys(e, "%s: kernel %s (%s)", vm->name, vm->kernel, host);
		free(host);
		if (!ok)
			return -1;
	}
	return 0;
}

void admin_vm_state(const struct config *cfg, const struct vm_conf *vm,
		    char *buf, size_t n)
{
	char *sock = xasprintf("%s/%s/ctrl", cfg->global.vardir, vm->name);
	struct rpc_client *c;
	struct err e;
	um_info info;

	snprintf(buf, n, "no monitor");
	c = rpc_client_unix(sock, UMLMONCTRL_PROG, UMLMONCTRL_V1, &e);
	free(sock);
	if (!c)
		return;
	memset(&info, 0, sizeof(info));
	if (rpc_client_call(c, UM_INFO, (xdrproc_t)xdr_rpc_void, NULL,
			    (xdrproc_t)xdr_um_info, &info, 2000, &e) == 0) {
		snprintf(buf, n, "%s", um_state_name(info.state));
		xdr_free((xdrproc_t)xdr_um_info, (char *)&info);
	}
	rpc_client_free(c);
}
