/* paths.c -- the files of a VM (see paths.h). */
#include "common/paths.h"

#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

char *vm_ctrl_path(const char *vardir, const char *vm)
{
	return xasprintf("%s/%s/ctrl", vardir, vm);
}

char *vm_pid_path(const char *rundir, const char *vm)
{
	return xasprintf("%s/%s.pid", rundir, vm);
}

char *umldir_dir_path(const char *vardir)
{
	return xasprintf("%s/umldir", vardir);
}

char *umldir_sock_path(const char *vardir)
{
	return xasprintf("%s/umldir/sock", vardir);
}

char *umldir_log_path(const char *vardir)
{
	return xasprintf("%s/umldir/umldir.log", vardir);
}

char *umldir_pid_path(const char *rundir)
{
	return xasprintf("%s/umldir.pid", rundir);
}

char *shared_disks_path(const char *shared)
{
	return xasprintf("%s/disks", shared);
}

char *shared_locks_path(const char *shared)
{
	return xasprintf("%s/locks", shared);
}

char *vm_disks_path(const char *vardir, const char *vm)
{
	return xasprintf("%s/%s/" VM_REL_DISKS, vardir, vm);
}

char *vm_snapshots_path(const char *vardir, const char *vm)
{
	return xasprintf("%s/%s/snapshots", vardir, vm);
}

int vm_paths_init(struct vm_paths *p, const char *vardir, const char *shared,
		  const char *rundir, const char *vm, struct err *e)
{
	struct sockaddr_un sa;

	memset(p, 0, sizeof(*p));
	p->vmdir = xasprintf("%s/%s", vardir, vm);
	p->ctrl = vm_ctrl_path(vardir, vm);
	p->logdir = xasprintf("%s/log", p->vmdir);
	p->monitor_log = xasprintf("%s/monitor.log", p->logdir);
	p->root = xasprintf("%s/jail", p->vmdir);
	p->disks = vm_disks_path(vardir, vm);
	p->tmp = xasprintf("%s/tmp", p->root);
	p->shared_mnt = xasprintf("%s/shared", p->root);
	p->mconsole = xasprintf("%s%s/%s/mconsole", p->root, JAIL_UML_DIR, vm);
	p->notify = xasprintf("%s%s", p->root, JAIL_NOTIFY_SOCKET);
	p->runstate = xasprintf("%s/run-state", p->vmdir);
	p->pidfile = rundir ? vm_pid_path(rundir, vm) : NULL;
	p->shared = xstrdup(shared);
	p->shared_disks = shared_disks_path(shared);
	p->locks = shared_locks_path(shared);
	{
		const char *s[] = {p->ctrl, p->mconsole, p->notify};

		for (size_t i = 0; i < ARRAY_SIZE(s); i++) {
			if (strlen(s[i]) >= sizeof(sa.sun_path)) {
				err_code(e, ERR_INVAL, "%s: path too long for a Unix "
					 "socket (max %zu): choose a shorter vardir "
					 "or VM name", s[i], sizeof(sa.sun_path) - 1);
				vm_paths_free(p);
				return -1;
			}
		}
	}
	return 0;
}

void vm_paths_free(struct vm_paths *p)
{
	char **v[] = {&p->vmdir, &p->ctrl, &p->logdir, &p->monitor_log, &p->root,
		      &p->disks, &p->tmp, &p->shared_mnt, &p->mconsole, &p->notify,
		      &p->runstate, &p->pidfile, &p->shared, &p->shared_disks,
		      &p->locks};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		free(*v[i]);
		*v[i] = NULL;
	}
}
