/* jail.c -- the VM's jail: host side, and the start of the jail helper
 * (umljail) that jails itself and runs the kernel. */
#include "host/jail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/procstat.h"
#include "host/jailmsg.h"
#include "host/safeopen.h"

int jail_init(struct jail *j, const struct config *cfg, const struct vm_conf *vm,
	      struct err *e)
{
	memset(j, 0, sizeof(*j));
	j->uid = vm->uid;
	j->gid = vm->gid;
	return vm_paths_init(&j->p, cfg->global.vardir, cfg->global.shared,
			     cfg->global.rundir, vm->name, e);
}

void jail_free(struct jail *j)
{
	vm_paths_free(&j->p);
	memset(j, 0, sizeof(*j));
}

/* The directory path with an exact owner and mode, also when it exists;
 * made in dfd, its parent (AT_FDCWD: path as it is), and set through its
 * descriptor, so that no symlink can redirect them. Returns the
 * descriptor. */
static int make_dir(int dfd, const char *path, uid_t uid, gid_t gid, mode_t mode,
		    struct err *e)
{
	const char *slash = strrchr(path, '/');

	return so_mkdir(dfd, dfd == AT_FDCWD || !slash ? path : slash + 1, path,
			uid, gid, mode, e);
}

int jail_layout(struct jail *j, struct err *e)
{
	char *parent = xstrdup(j->p.vmdir);
	char *slash = strrchr(parent, '/');
	int r, vm = -1, root = -1, fd = -1, rc = -1;

	if (slash && slash != parent)
		*slash = '\0';
	r = mkdir_p(parent, 0755);
	free(parent);
	if (r < 0) {
		err_sys(e, "%s: mkdir", j->p.vmdir);
		return -1;
	}
	/* vardir is the administrator's; below it, each step is opened from
	 * the one before and none may be a symlink */
	vm = make_dir(AT_FDCWD, j->p.vmdir, 0, 0, 0755, e);
	if (vm < 0 || (fd = make_dir(vm, j->p.logdir, 0, 0, 0750, e)) < 0)
		goto out;
	close(fd);
	root = make_dir(vm, j->p.root, 0, 0, 0755, e);
	if (root < 0 || (fd = make_dir(root, j->p.shared_mnt, 0, 0, 0755, e)) < 0)
		goto out;
	close(fd);
	/* tmp is a mount point: while mounted its owner is the tmpfs's */
	if (!jail_is_mountpoint(j->p.tmp)) {
		if ((fd = make_dir(root, j->p.tmp, 0, 0, 0755, e)) < 0)
			goto out;
		close(fd);
	}
	/* the vmuser may create files here (the kernel makes missing COW
	 * files); the monitor only ever opens them by safeopen.h's rules */
	if ((fd = make_dir(root, j->p.disks, j->uid, j->gid, 0750, e)) < 0)
		goto out;
	close(fd);
	rc = 0;
out:
	if (root >= 0)
		close(root);
	if (vm >= 0)
		close(vm);
	return rc;
}

int jail_is_mountpoint(const char *path)
{
	char *info = read_file("/proc/self/mountinfo", 16u << 20, NULL);
	char *line, *save = NULL;
	int found = 0;

	if (!info)
		return 0;
	for (line = strtok_r(info, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		/* id parent major:minor root mountpoint ... */
		char *f = line;

		for (int i = 0; i < 4 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (f) {
			size_t n = strcspn(f, " ");

			/* mountinfo escapes blanks as \040; our paths have none */
			found = strlen(path) == n && !strncmp(f, path, n);
		}
	}
	free(info);
	return found;
}

/* The mount point of a directory that is bound later (a switch's, made
 * when the network comes up: jail_share_switches). */
static int share_dir_later(const struct jail *j, int sh, const char *path,
			   struct err *e)
{
	const char *rel = path + strlen("/shared/");
	int fd;

	fd = so_mkdirs(sh, rel, strlen(rel), 0755, j->p.shared_mnt, e);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* rel has only plain names: none empty, "." or "..". */
static int plain_path(const char *rel)
{
	for (const char *p = rel;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

/* A refusal to share d, which the VM writes, for a cause of openat2. */
static void share_error(const struct jail *j, const struct vm_conf *vm,
			const struct disk_conf *d, const char *rel, struct err *e)
{
	if (errno == ENOENT && d->backing)
		err_set(e, "ubd%d: %s: a COW file in /shared/disks must exist before "
			"the start (the VM cannot create files there; make it with "
			"'umlwatch %s -disk create %s %s')", d->index, d->path, vm->name,
			d->path, d->backing);
	else if (errno == ENOENT)
		err_set(e, "ubd%d: %s: not found (%s/%s)", d->index, d->path,
			j->p.shared, rel);
	else if (errno == ELOOP || errno == EXDEV)
		err_set(e, "ubd%d: %s: a symbolic link; a disk the VM writes in "
			"/shared/disks must be the file itself", d->index, d->path);
	else
		err_sys(e, "ubd%d: %s", d->index, d->path);
}

/* One file of the shared dir, path as the VM names it (/shared/...),
 * bound onto the same name in the jail's shared tmpfs (sh): found beneath
 * the shared dir (for a disk the VM writes, without any symlink), bound
 * by its descriptor, then made read-only unless the VM writes it, and
 * noexec unless it is the kernel. A file that is not there is left out,
 * for the check before the boot to name (d: the disk, whose own messages
 * are clearer). A directory (a switch's) is bound the same way. */
static int share_one(struct jail *j, const struct vm_conf *vm, int sh,
		     const char *path, const struct disk_conf *d, int rw, int exec,
		     struct err *e)
{
	const char *rel = path + strlen("/shared/"), *slash = strrchr(rel, '/');
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;
	struct statvfs vfs;
	struct open_how how;
	struct stat st;
	char src[64], *dst;
	int dir, fd, pd, r;

	if (strncmp(path, "/shared/", 8) || !plain_path(rel))
		return 0; /* not in the shared dir: the checks name it */
	dir = open(j->p.shared, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		err_sys(e, "shared dir %s", j->p.shared);
		return -1;
	}
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
		      (rw ? RESOLVE_NO_SYMLINKS : 0);
	fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
	close(dir);
	if (fd < 0) {
		if (d && rw) {
			share_error(j, vm, d, rel, e);
			return -1;
		}
		return 0;
	}
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) &&
				   !S_ISDIR(st.st_mode))) {
		/* a FIFO, a socket or a device: the checks refuse it */
		close(fd);
		return 0;
	}
	pd = so_mkdirs(sh, rel, slash ? (size_t)(slash - rel) : 0, 0755,
		       j->p.shared_mnt, e);
	if (pd < 0) {
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		r = mkdirat(pd, slash ? slash + 1 : rel, 0755);
	else
		r = mknodat(pd, slash ? slash + 1 : rel, S_IFREG | 0444, 0);
	close(pd);
	dst = xasprintf("%s/%s", j->p.shared_mnt, rel);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (r < 0 && errno == EEXIST)
		r = 0; /* named twice (a disk and a backing file) */
	if (r == 0)
		r = mount(src, dst, NULL, MS_BIND, NULL);
	/* a remount sets every flag: the source's noexec and read-only
	 * (a bind of the host's, say) are kept */
	if (r == 0 && fstatvfs(fd, &vfs) < 0)
		r = -1;
	if (r == 0)
		r = mount(NULL, dst, NULL, flags |
			  (!rw || (vfs.f_flag & ST_RDONLY) ? MS_RDONLY : 0) |
			  (!exec || (vfs.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0), NULL);
	if (r < 0)
		err_sys(e, "%s: bind mount on %s", path, dst);
	free(dst);
	close(fd);
	return r;
}

/* jail/shared: a tmpfs of root's with only what this VM uses of the
 * shared dir, each bound on its name: the kernel, its disks and their
 * configured backing files, the files in extra (backing files named in
 * COW headers), its switches' directories. Read-only but for the disks
 * the VM writes (the kernel falls back to reading a disk it cannot open
 * for writing without a word). Then the tmpfs itself is made read-only. */
static int mount_shared(struct jail *j, const struct vm_conf *vm,
			const char *const *extra, struct err *e)
{
	int sh, r = 0;

	if (mount("umlmon-shared", j->p.shared_mnt, "tmpfs", MS_NOSUID | MS_NODEV |
		  MS_NOEXEC, "size=64k,nr_inodes=1024,mode=0755,uid=0,gid=0") < 0) {
		err_sys(e, "%s: mount tmpfs", j->p.shared_mnt);
		return -1;
	}
	j->shared_mounted = 1;
	sh = open(j->p.shared_mnt, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sh < 0) {
		err_sys(e, "%s", j->p.shared_mnt);
		return -1;
	}
	r = share_one(j, vm, sh, vm->kernel, NULL, 0, 1, e);
	for (int i = 0; r == 0 && i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];

		r = share_one(j, vm, sh, d->path, d, !strchr(d->flags, 'r'), 0, e);
		if (r == 0 && d->backing)
			r = share_one(j, vm, sh, d->backing, NULL, 0, 0, e);
	}
	for (int i = 0; r == 0 && extra && extra[i]; i++)
		r = share_one(j, vm, sh, extra[i], NULL, 0, 0, e);
	for (int k = 0; r == 0 && k < vm->nnics; k++)
		if (vm->nics[k].kind == NIC_SWITCHED) {
			char *dir = xasprintf("/shared/switches/%s", vm->nics[k].sw);

			r = share_dir_later(j, sh, dir, e);
			free(dir);
		}
	close(sh);
	if (r == 0 && mount(NULL, j->p.shared_mnt, NULL, MS_REMOUNT | MS_RDONLY |
			    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		err_sys(e, "%s: remount read-only", j->p.shared_mnt);
		r = -1;
	}
	return r;
}

int jail_share_switches(struct jail *j, const struct vm_conf *vm, struct err *e)
{
	for (int k = 0; k < vm->nnics; k++) {
		const struct nic_conf *n = &vm->nics[k];
		struct open_how how;
		struct stat st;
		char *rel, *dst, src[64];
		int dir, fd, r;

		if (n->kind != NIC_SWITCHED)
			continue;
		rel = xasprintf("switches/%s", n->sw);
		dst = xasprintf("%s/%s", j->p.shared_mnt, rel);
		memset(&how, 0, sizeof(how));
		how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			      RESOLVE_NO_MAGICLINKS;
		dir = open(j->p.shared, O_PATH | O_DIRECTORY | O_CLOEXEC);
		fd = dir < 0 ? -1 : (int)syscall(SYS_openat2, dir, rel, &how,
						  sizeof(how));
		if (dir >= 0)
			close(dir);
		r = fd < 0 || fstat(fd, &st) < 0 ? -1 : 0;
		if (r == 0) {
			snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
			r = mount(src, dst, NULL, MS_BIND, NULL);
		}
		/* read-only: connecting to the switch's socket is no write */
		if (r == 0)
			r = mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY |
				  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
		if (r < 0)
			err_sys(e, "eth%d: switch %s: bind mount of %s/%s on %s",
				n->index, n->sw, j->p.shared, rel, dst);
		if (fd >= 0)
			close(fd);
		free(rel);
		free(dst);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* A devpts of the jail's own at ROOT/dev/pts: ptys for the channels
 * plugged into the running kernel (chan_open_at), which opens them by
 * name; mounted before the jail's namespace is made, so it is there too.
 * Its ptmx is root's alone; its ptys the vmuser's. */
static int mount_devpts(struct jail *j, struct err *e)
{
	char *dev = xasprintf("%s/dev", j->p.root), *pts = xasprintf("%s/pts", dev);
	char opts[128];
	int rfd = -1, dfd = -1, pfd = -1, rc = -1;

	if (jail_is_mountpoint(pts)) {
		rc = 0;
		goto out;
	}
	rfd = open(j->p.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		err_sys(e, "%s", j->p.root);
		goto out;
	}
	if ((dfd = so_mkdir(rfd, "dev", dev, 0, 0, 0755, e)) < 0 ||
	    (pfd = so_mkdir(dfd, "pts", pts, 0, 0, 0755, e)) < 0)
		goto out;
	snprintf(opts, sizeof(opts), "newinstance,ptmxmode=0600,mode=0600,uid=%u,"
		 "gid=%u", (unsigned)j->uid, (unsigned)j->gid);
	if (mount("umlmon-devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, opts) < 0) {
		err_sys(e, "%s: mount devpts", pts);
		goto out;
	}
	rc = 0;
out:
	if (pfd >= 0)
		close(pfd);
	if (dfd >= 0)
		close(dfd);
	if (rfd >= 0)
		close(rfd);
	free(dev);
	free(pts);
	return rc;
}

int jail_mount(struct jail *j, const struct vm_conf *vm, const char *const *extra,
	       struct err *e)
{
	char opts[128];
	unsigned long long size = vm->memory + JAIL_TMP_MARGIN;

	if (!j->tmp_mounted) {
		snprintf(opts, sizeof(opts), "size=%llu,mode=0700,uid=%u,gid=%u",
			 size, (unsigned)j->uid, (unsigned)j->gid);
		/* not noexec: the kernel maps its memory file PROT_EXEC */
		if (mount("umlmon-tmp", j->p.tmp, "tmpfs", MS_NOSUID | MS_NODEV,
			  opts) < 0) {
			err_sys(e, "%s: mount tmpfs", j->p.tmp);
			return -1;
		}
		j->tmp_mounted = 1;
	}
	if (!j->shared_mounted) {
		struct stat st;

		if (stat(j->p.shared, &st) < 0 || !S_ISDIR(st.st_mode)) {
			err_set(e, "shared dir %s: %s (create it with 'umladmin setup')",
				j->p.shared, errno ? strerror(errno) : "not a directory");
			goto undo;
		}
		if (mount_shared(j, vm, extra, e) < 0)
			goto undo;
	}
	if (mount_devpts(j, e) < 0)
		goto undo;
	return 0;
undo:
	jail_unmount(j);
	return -1;
}

static int unmount_one(const char *path)
{
	if (umount2(path, UMOUNT_NOFOLLOW) == 0)
		return 0;
	if (errno == EBUSY && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0) {
		log_warn("%s: busy; detached it", path);
		return 0;
	}
	if (errno == EINVAL && !jail_is_mountpoint(path))
		return 0; /* not mounted (any more) */
	log_err("%s: umount: %s", path, strerror(errno));
	return -1;
}

static int longer_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : 0;
}

/* Every mount point beneath the jail's root, deepest first (a file bound
 * on the shared directory before the directory). */
static char **mounts_beneath(const struct jail *j, int *count)
{
	char *info = read_file("/proc/self/mountinfo", 16u << 20, NULL);
	char *line, *save = NULL, **v = NULL;
	size_t rl = strlen(j->p.root);
	int n = 0;

	*count = 0;
	if (!info)
		return NULL;
	for (line = strtok_r(info, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* id parent major:minor root mountpoint ... */
		char *f = line;
		size_t len;

		for (int i = 0; i < 4 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (!f)
			continue;
		len = strcspn(f, " ");
		if (len <= rl + 1 || strncmp(f, j->p.root, rl) || f[rl] != '/')
			continue;
		v = xrealloc(v, sizeof(*v) * (size_t)(n + 1));
		v[n++] = xasprintf("%.*s", (int)len, f);
	}
	free(info);
	if (n)
		qsort(v, (size_t)n, sizeof(*v), longer_first);
	*count = n;
	return v;
}

int jail_unmount(struct jail *j)
{
	int n, r = 0;
	char **v = mounts_beneath(j, &n);

	/* a mount point listed twice (stacked mounts) is unmounted twice */
	for (int i = 0; i < n; i++) {
		if (unmount_one(v[i]) < 0)
			r = -1;
		free(v[i]);
	}
	free(v);
	if (r == 0) {
		j->tmp_mounted = 0;
		j->shared_mounted = 0;
	} else {
		j->tmp_mounted = jail_is_mountpoint(j->p.tmp);
		j->shared_mounted = jail_is_mountpoint(j->p.shared_mnt);
	}
	return r;
}

/* Is pid's root the jail (root: its stat)? */
static int in_jail(const struct stat *root, pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	return stat(path, &st) == 0 && st.st_dev == root->st_dev &&
	       st.st_ino == root->st_ino;
}

pid_t jail_find_process(const struct jail *j)
{
	struct stat root;
	struct dirent *de;
	pid_t found = 0;
	DIR *d;

	if (stat(j->p.root, &root) < 0 || !(d = opendir("/proc")))
		return 0;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (in_jail(&root, (pid_t)atoi(de->d_name)))
			found = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return found;
}

pid_t jail_top_process(const struct jail *j, pid_t pid)
{
	struct stat root;
	pid_t pp;

	if (stat(j->p.root, &root) < 0 || !in_jail(&root, pid))
		return 0;
	while ((pp = proc_parent(pid)) > 1 && in_jail(&root, pp))
		pid = pp;
	return pid;
}

int jail_open(const struct jail *j, const char *path, int flags, struct err *e)
{
	struct open_how how;
	int root, fd, saved;

	root = open(j->p.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		err_sys(e, "%s", j->p.root);
		return -1;
	}
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	saved = errno;
	if (fd < 0)
		err_sys(e, "%s", path);
	close(root);
	errno = saved;
	return fd;
}

/* ---- the jailed child: the helper ---------------------------------- */

/* umljail next to the running monitor (a build tree), else where it is
 * installed. Nobody but root chooses either. */
static void helper_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			snprintf(buf, len, "%.*s/umljail", (int)(slash - self), self);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "%s", UMLJAIL_PATH);
}

/* The helper's environment: none (the kernel's travels in the message).
 * A sanitizer build passes its options on, so that the helper's reports
 * land where the monitor's do. */
static char *const *helper_env(void)
{
	static char *env[4];
#ifdef __SANITIZE_ADDRESS__
	static const char *const keep[] = {"ASAN_OPTIONS=", "UBSAN_OPTIONS=",
					   "LSAN_OPTIONS="};
	extern char **environ;
	int n = 0;

	for (char **v = environ; v && *v; v++)
		for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
			if (!strncmp(*v, keep[i], strlen(keep[i])) &&
			    n < (int)ARRAY_SIZE(env) - 1)
				env[n++] = *v;
	env[n] = NULL;
#endif
	return env;
}

/* The message in a sealed memfd, at offset 0. */
static int message_fd(const struct jail *j, const struct jail_exec *x,
		      struct err *e)
{
	char *const none[] = {NULL};
	struct jail_msg m;
	size_t len;
	char *buf;
	int fd;

	memset(&m, 0, sizeof(m));
	m.root = j->p.root;
	m.uid = j->uid;
	m.gid = j->gid;
	m.hostname = (char *)(x->hostname ? x->hostname : "");
	memcpy(m.limits, x->limits->v, sizeof(m.limits));
	m.seccomp = x->seccomp;
	m.cgroups = (char **)(x->cgroups ? x->cgroups : none);
	while (m.cgroups[m.ncgroups])
		m.ncgroups++;
	m.own_net = x->own_net;
	m.nfds = x->nfds;
	m.nkeep = x->nkeep;
	m.keep = (char **)(x->keep_names ? x->keep_names : none);
	m.handover = (char *)(x->handover ? x->handover : "");
	m.argv = (char **)x->argv;
	while (m.argv[m.argc])
		m.argc++;
	m.envp = (char **)(x->envp ? x->envp : none);
	while (m.envp[m.envc])
		m.envc++;
	m.fail = (char *)(x->fail_step ? x->fail_step : "");
	if (jailmsg_encode(&m, &buf, &len, e) < 0) {
		err_prefix(e, "jail helper");
		return -1;
	}
	fd = memfd_create("umljail-message", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || write_all(fd, buf, len) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
		  F_SEAL_WRITE) < 0) {
		err_sys(e, "jail helper: its message");
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(buf);
	return fd;
}

pid_t jail_spawn(const struct jail *j, const struct jail_exec *x, struct err *e)
{
	/* each source moved above every target first, so that placing one
	 * never overwrites another that is still to be placed */
	int want[JAIL_FD_KERNEL + JAILMSG_MAX_FDS], high[ARRAY_SIZE(want)];
	int n = JAIL_FD_KERNEL + x->nfds + x->nkeep, nhigh = 0, r = -1;
	char *const argv[] = {"umljail", NULL};
	char path[PATH_MAX];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all;
	pid_t pid = -1;

	if (x->nfds < 0 || x->nkeep < 0 || x->nfds + x->nkeep > JAILMSG_MAX_FDS) {
		err_code(e, ERR_INVAL, "jail helper: %d descriptors for the kernel "
			 "and %d masters (at most %d in all)", x->nfds, x->nkeep,
			 JAILMSG_MAX_FDS);
		return -1;
	}
	if (x->helper)
		snprintf(path, sizeof(path), "%s", x->helper);
	else
		helper_path(path, sizeof(path));
	want[JAIL_FD_MSG] = message_fd(j, x, e);
	if (want[JAIL_FD_MSG] < 0)
		return -1;
	want[JAIL_FD_STATUS] = x->status_fd;
	want[JAIL_FD_NULL] = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < x->nfds; i++)
		want[JAIL_FD_KERNEL + i] = x->src[i];
	for (int i = 0; i < x->nkeep; i++)
		want[JAIL_FD_KERNEL + x->nfds + i] = x->keep[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	for (nhigh = 0; nhigh < n; nhigh++) {
		high[nhigh] = want[nhigh] < 0 ? -1 : fcntl(want[nhigh], F_DUPFD_CLOEXEC, n);
		if (high[nhigh] < 0) {
			err_sys(e, "jail helper: descriptor %d", nhigh);
			goto out;
		}
		posix_spawn_file_actions_adddup2(&fa, high[nhigh], nhigh);
	}
	posix_spawn_file_actions_addclosefrom_np(&fa, n);
	/* the monitor's loop blocks signals and ignores SIGPIPE; the helper
	 * and the kernel need them as they are by default */
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &x->sigmask);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, path, &fa, &at, argv, helper_env());
	if (r != 0) {
		errno = r;
		err_sys(e, "jail helper %s", path);
		pid = -1;
	}
out:
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	while (nhigh > 0)
		close(high[--nhigh]);
	close(want[JAIL_FD_MSG]);
	if (want[JAIL_FD_NULL] >= 0)
		close(want[JAIL_FD_NULL]);
	return pid;
}
