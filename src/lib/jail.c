/* jail.c -- the VM's jail: host side and the jailed child. */
#include "jail.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "cmdline.h"
#include "safeopen.h"

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

/* The disks in /shared/disks that the VM writes. The shared directory is
 * bound read-only, and the kernel falls back to reading a disk it cannot
 * open for writing without a word: each such file gets a read-write bind
 * of its own on top. It is found beneath the shared directory without
 * following any symbolic link, and bound by its fd. */
static int bind_shared_rw(struct jail *j, const struct vm_conf *vm, struct err *e)
{
	for (int i = 0; i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];
		const char *rel = d->path + strlen("/shared/");
		size_t pl = strlen(d->path);
		int is_dev = pl > 4 && !strcmp(d->path + pl - 4, ".dev");
		struct open_how how;
		struct stat st;
		char src[64], *dst;
		int dir, fd, r;

		if (strchr(d->flags, 'r') || strncmp(d->path, "/shared/disks/", 14))
			continue;
		dir = open(j->p.shared, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0) {
			err_sys(e, "shared dir %s", j->p.shared);
			return -1;
		}
		memset(&how, 0, sizeof(how));
		how.flags = O_PATH | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			      RESOLVE_NO_MAGICLINKS;
		fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
		close(dir);
		if (fd < 0) {
			if (errno == ENOENT && d->backing)
				err_set(e, "ubd%d: %s: a COW file in /shared/disks must "
					"exist before the start (the VM cannot create "
					"files there; make it with 'umlwatch %s -disk "
					"create %s %s')", d->index, d->path, vm->name,
					d->path, d->backing);
			else if (errno == ENOENT)
				err_set(e, "ubd%d: %s: not found (%s/%s)", d->index,
					d->path, j->p.shared, rel);
			else if (errno == ELOOP || errno == EXDEV)
				err_set(e, "ubd%d: %s: a symbolic link; a disk the VM "
					"writes in /shared/disks must be the file itself",
					d->index, d->path);
			else
				err_sys(e, "ubd%d: %s", d->index, d->path);
			return -1;
		}
		if (fstat(fd, &st) < 0 ||
		    (is_dev ? !S_ISBLK(st.st_mode) : !S_ISREG(st.st_mode))) {
			err_set(e, "ubd%d: %s: not a %s", d->index, d->path,
				is_dev ? "block device" : "regular file");
			close(fd);
			return -1;
		}
		snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
		dst = xasprintf("%s/%s", j->p.shared_mnt, rel);
		r = mount(src, dst, NULL, MS_BIND, NULL);
		if (r == 0)
			r = mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID |
				  MS_NODEV | MS_NOEXEC, NULL);
		if (r < 0)
			err_sys(e, "ubd%d: %s: read-write bind mount on %s", d->index,
				d->path, dst);
		free(dst);
		close(fd);
		if (r < 0)
			return -1;
	}
	return 0;
}

int jail_mount(struct jail *j, const struct vm_conf *vm, struct err *e)
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
		if (mount(j->p.shared, j->p.shared_mnt, NULL, MS_BIND | MS_REC, NULL) < 0) {
			err_sys(e, "%s: bind mount of %s", j->p.shared_mnt, j->p.shared);
			goto undo;
		}
		j->shared_mounted = 1;
		if (mount(NULL, j->p.shared_mnt, NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
			  NULL) < 0) {
			err_sys(e, "%s: remount read-only", j->p.shared_mnt);
			goto undo;
		}
		if (bind_shared_rw(j, vm, e) < 0)
			goto undo;
	}
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

pid_t jail_find_process(const struct jail *j)
{
	struct stat root, st;
	struct dirent *de;
	pid_t found = 0;
	DIR *d;

	if (stat(j->p.root, &root) < 0 || !(d = opendir("/proc")))
		return 0;
	while (!found && (de = readdir(d))) {
		char path[300];

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/root", de->d_name);
		if (stat(path, &st) == 0 && st.st_dev == root.st_dev &&
		    st.st_ino == root.st_ino)
			found = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return found;
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

/* ---- the jailed child ------------------------------------------------ */

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(int fd, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	for (int i = 0; i < n; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	line[n++] = '\n';
	if (write_all(fd, line, (size_t)n) < 0) {
		/* the monitor is gone; nothing to tell */
	}
}

static void __attribute__((noreturn)) fail(int fd, const char *what)
{
	report(fd, "error jail: %s: %s", what, strerror(errno));
	_exit(1);
}

/* Closes every fd but those in keep[]. */
static void close_others(const int *keep, int n)
{
	int sorted[VM_MAX_CHANS + 8], m = 0, lo = 0;

	for (int i = 0; i < n && m < (int)ARRAY_SIZE(sorted); i++)
		if (keep[i] >= 0)
			sorted[m++] = keep[i];
	for (int i = 1; i < m; i++)
		for (int k = i; k > 0 && sorted[k - 1] > sorted[k]; k--) {
			int t = sorted[k];

			sorted[k] = sorted[k - 1];
			sorted[k - 1] = t;
		}
	for (int i = 0; i < m; i++) {
		if (sorted[i] > lo)
			close_range((unsigned)lo, (unsigned)sorted[i] - 1, 0);
		lo = sorted[i] + 1;
	}
	close_range((unsigned)lo, ~0u, 0);
}

static void __attribute__((noreturn))
run_kernel(const struct jail_exec *x, int check_fd)
{
	int moved[VM_MAX_CHANS + 3];

	setsid();
	/* if the watcher dies, the kernel halts (SIGTERM is halt in UML) */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* move every source out of the way, then into place */
	for (int i = 0; i < x->nfds; i++) {
		moved[i] = fcntl(x->src[i], F_DUPFD_CLOEXEC, 100);
		if (moved[i] < 0)
			goto out;
	}
	for (int i = 0; i < x->nfds; i++)
		if (dup2(moved[i], i) < 0)
			goto out;
	/* check_fd is CLOEXEC: exec closes it, telling the watcher it worked */
	if (dup2(check_fd, x->nfds) < 0)
		goto out;
	fcntl(x->nfds, F_SETFD, FD_CLOEXEC);
	close_range((unsigned)x->nfds + 1, ~0u, 0);
	check_fd = x->nfds;
	execve(x->argv[0], x->argv, x->envp);
out:
	{
		int err = errno;

		if (write(check_fd, &err, sizeof(err)) < 0) {
			/* the watcher sees EOF and a dead child */
		}
	}
	_exit(127);
}

static void __attribute__((noreturn))
watcher(const struct jail *j, const struct jail_exec *x)
{
	int sfd = x->status_fd, pipefd[2], err = 0;
	int keep[VM_MAX_CHANS + 8], nkeep = 0;
	struct rlimit nocore = {0, 0};
	pid_t kpid;
	ssize_t r;
	int st;

	/* the monitor's loop blocks signals; the kernel needs them */
	sigprocmask(SIG_SETMASK, &x->sigmask, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	keep[nkeep++] = sfd;
	for (int i = 0; i < x->nfds; i++)
		keep[nkeep++] = x->src[i];
	close_others(keep, nkeep);
	setsid();
	if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		fail(sfd, "unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail(sfd, "make / private");
	if (mount(j->p.root, j->p.root, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(sfd, "bind the jail onto itself");
	if (chdir(j->p.root) < 0)
		fail(sfd, j->p.root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail(sfd, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		fail(sfd, "detach the old root");
	if (chdir("/") < 0)
		fail(sfd, "chdir /");
	if (x->hostname)
		sethostname(x->hostname, strlen(x->hostname));
	setrlimit(RLIMIT_CORE, &nocore);
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_change_id((int)j->uid, (int)j->gid,
			    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0) {
		errno = EPERM;
		fail(sfd, "drop privileges to the vmuser");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(sfd, "no_new_privs");
	if (getuid() == 0 || geteuid() == 0 || getgid() == 0 ||
	    capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		errno = EPERM;
		fail(sfd, "privileges still held after dropping them");
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		fail(sfd, "pipe");
	kpid = fork();
	if (kpid < 0)
		fail(sfd, "fork");
	if (kpid == 0) {
		close(pipefd[0]);
		close(sfd);
		run_kernel(x, pipefd[1]);
	}
	close(pipefd[1]);
	for (int i = 0; i < x->nfds; i++)
		close(x->src[i]);
	do
		r = read(pipefd[0], &err, sizeof(err));
	while (r < 0 && errno == EINTR);
	close(pipefd[0]);
	if (r == (ssize_t)sizeof(err)) {
		errno = err;
		report(sfd, "error exec %s: %s", x->argv[0], strerror(err));
		waitpid(kpid, &st, 0);
		_exit(1);
	}
	report(sfd, "kernel %d", (int)kpid);
	while (waitpid(kpid, &st, 0) < 0) {
		if (errno != EINTR) {
			report(sfd, "error waitpid: %s", strerror(errno));
			_exit(1);
		}
	}
	report(sfd, "exit %d", st);
	_exit(0);
}

pid_t jail_spawn(const struct jail *j, const struct jail_exec *x, struct err *e)
{
	pid_t pid = fork();

	if (pid < 0) {
		err_sys(e, "fork");
		return -1;
	}
	if (pid == 0)
		watcher(j, x);
	return pid;
}
