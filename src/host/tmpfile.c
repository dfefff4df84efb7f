/* tmpfile.c -- a new file made unnamed, synced and linked into place (see
 * tmpfile.h). */
#include "host/tmpfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int tmpfile_dir(const char *base, const char *rel, const char *what,
		struct err *e)
{
	struct open_how how;
	int bfd, fd, saved;

	bfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0) {
		err_sys(e, "%s: %s", what, base);
		return -1;
	}
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, bfd, rel, &how, sizeof(how));
	saved = errno;
	close(bfd);
	if (fd >= 0)
		return fd;
	if (saved == ELOOP || saved == EXDEV)
		err_set(e, "%s: a symlink or '..' on the way (%s/%s): refused", what,
			base, rel);
	else if (saved == ENOTDIR)
		err_set(e, "%s: %s/%s: not a directory", what, base, rel);
	else {
		errno = saved;
		err_sys(e, "%s: %s/%s", what, base, rel);
	}
	errno = saved;
	return -1;
}

/* A hidden name next to name that nobody can guess. */
static int hidden_name(const char *name, char *buf, size_t len)
{
	unsigned r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	snprintf(buf, len, ".%.200s.new-%08x", name, r);
	return 0;
}

int tmpfile_new(struct tmpfile *t, int dirfd, const char *name, mode_t mode,
		const char *what, struct err *e)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->dirfd = dirfd;
	snprintf(t->what, sizeof(t->what), "%s", what);
	if (!*name || strlen(name) > NAME_MAX || strchr(name, '/')) {
		err_code(e, ERR_INVAL, "%s: '%s' is not a file name", what, name);
		return -1;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	if (t->fd >= 0)
		return 0;
	/* EISDIR: a kernel that ignores O_TMPFILE opened the directory */
	if (errno != EOPNOTSUPP && errno != EISDIR) {
		err_sys(e, "%s: new file", what);
		return -1;
	}
	for (int tries = 0; t->fd < 0; tries++) {
		if (hidden_name(name, t->tmp, sizeof(t->tmp)) < 0) {
			err_sys(e, "%s: getrandom", what);
			break;
		}
		t->fd = openat(dirfd, t->tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
			       O_CLOEXEC, mode);
		if (t->fd < 0 && (errno != EEXIST || tries == 16)) {
			err_sys(e, "%s: new file", what);
			break;
		}
	}
	if (t->fd < 0)
		t->tmp[0] = '\0';
	return t->fd < 0 ? -1 : 0;
}

/* linkat(fd -> dirfd/name); AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH,
 * the /proc link does not. Never replaces anything. */
static int link_fd(int fd, int dirfd, const char *name)
{
	char proc[64];

	if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
}

/* Is dirfd/name (not followed) the file of fd? */
static int is_ours(int fd, int dirfd, const char *name)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 &&
	       fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Puts the file under its name. Unnamed and kept: one link. Otherwise
 * from a hidden name: renamed over the old entry, or hard-linked (which,
 * unlike RENAME_NOREPLACE, NFS has too) and the hidden name removed. Who
 * writes the directory may have swapped the hidden name for something
 * else, so the name is checked to be this file. */
static int put_in_place(struct tmpfile *t, int replace, struct err *e)
{
	if (!t->tmp[0] && !replace)
		return link_fd(t->fd, t->dirfd, t->name);
	if (!t->tmp[0]) {
		for (int tries = 0;; tries++) {
			if (hidden_name(t->name, t->tmp, sizeof(t->tmp)) < 0)
				return -1;
			if (link_fd(t->fd, t->dirfd, t->tmp) == 0)
				break;
			t->tmp[0] = '\0';
			if (errno != EEXIST || tries == 16)
				return -1;
		}
	}
	if (replace ? renameat(t->dirfd, t->tmp, t->dirfd, t->name) :
		      linkat(t->dirfd, t->tmp, t->dirfd, t->name, 0))
		return -1;
	if (replace)
		t->tmp[0] = '\0';
	if (!is_ours(t->fd, t->dirfd, t->name)) {
		err_set(e, "%s: replaced by another file while it was put in place",
			t->what);
		errno = 0;
		return -1;
	}
	return 0;
}

int tmpfile_commit(struct tmpfile *t, int replace, struct err *e)
{
	int saved;

	if (fsync(t->fd) < 0) {
		err_sys(e, "%s: fsync", t->what);
		goto fail;
	}
	if (put_in_place(t, replace, e) < 0) {
		if (errno == EEXIST)
			err_code(e, ERR_BUSY, "%s: already exists", t->what);
		else if (errno)
			err_sys(e, "%s: link", t->what);
		goto fail;
	}
	tmpfile_abort(t); /* the hidden name of a link, if any */
	return 0;
fail:
	saved = errno;
	tmpfile_abort(t);
	errno = saved;
	return -1;
}

void tmpfile_abort(struct tmpfile *t)
{
	if (t->fd < 0)
		return;
	if (t->tmp[0] && is_ours(t->fd, t->dirfd, t->tmp))
		unlinkat(t->dirfd, t->tmp, 0);
	t->tmp[0] = '\0';
	close(t->fd);
	t->fd = -1;
}

int tmpfile_copy(const char *src, int dirfd, const char *name, mode_t mode,
		 const char *what, struct err *e)
{
	struct tmpfile t = {.fd = -1};
	struct timespec times[2];
	char buf[65536];
	struct stat st;
	int in, rc = -1;
	ssize_t r;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0) {
		err_sys(e, "%s", src);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s: not a regular file", src);
		goto out;
	}
	if (tmpfile_new(&t, dirfd, name, mode, what, e) < 0)
		goto out;
	while ((r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(e, "%s", src);
			goto out;
		}
		if (write_all(t.fd, buf, (size_t)r) < 0) {
			err_sys(e, "%s", what);
			goto out;
		}
	}
	/* the mtime tells a copy that is current (elfdeps.c) */
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (fchmod(t.fd, mode) < 0 || futimens(t.fd, times) < 0) {
		err_sys(e, "%s", what);
		goto out;
	}
	rc = tmpfile_commit(&t, 1, e);
out:
	tmpfile_abort(&t);
	if (in >= 0)
		close(in);
	return rc;
}

int copy_file_atomic(const char *src, const char *dst, mode_t mode,
		     struct err *e)
{
	const char *slash = strrchr(dst, '/');
	char *dir = slash ? xasprintf("%.*s", (int)(slash - dst), dst) : xstrdup(".");
	int dirfd, rc;

	dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err_sys(e, "%s: directory %s", dst, *dir ? dir : "/");
		free(dir);
		return -1;
	}
	free(dir);
	rc = tmpfile_copy(src, dirfd, slash ? slash + 1 : dst, mode, dst, e);
	close(dirfd);
	return rc;
}
