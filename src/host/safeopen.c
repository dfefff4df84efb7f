/* safeopen.c -- opening and making files where a guest may have planted
 * something (see safeopen.h). */
#include "host/safeopen.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int so_open_path(int dirfd, const char *path, uint64_t resolve, int nofollow)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);
	how.resolve = resolve;
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static const char *kind_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFBLK: return "a block device";
	case S_IFCHR: return "a character device";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symbolic link";
	case S_IFDIR: return "a directory";
	default: return "of an unknown kind";
	}
}

int so_check(const struct stat *st, enum so_kind kind, int guest, uid_t owner,
	     char *cause, size_t len)
{
	int ok = kind == SO_BLK ? S_ISBLK(st->st_mode) : S_ISREG(st->st_mode);

	if (!ok) {
		snprintf(cause, len, "is %s, not %s", kind_name(st->st_mode),
			 kind == SO_BLK ? "a block device" : "a regular file");
		return -1;
	}
	if (guest && S_ISREG(st->st_mode) && st->st_nlink != 1 &&
	    (owner == (uid_t)-1 || st->st_uid != owner)) {
		snprintf(cause, len, "has %lu hard links and is not the vmuser's "
			 "(another name may be a host file)",
			 (unsigned long)st->st_nlink);
		return -1;
	}
	return 0;
}

int so_reopen(int pathfd, int flags)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pathfd);
	return open(proc, flags | O_NONBLOCK | O_CLOEXEC);
}

int so_mkdir(int dirfd, const char *name, const char *show, uid_t uid, gid_t gid,
	     mode_t mode, struct err *e)
{
	struct stat st;
	int fd;

	if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST) {
		err_sys(e, "%s: mkdir", show);
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			err_set(e, "%s: not a directory", show);
		else
			err_sys(e, "%s", show);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		err_sys(e, "%s", show);
		goto fail;
	}
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) < 0) {
		err_sys(e, "%s: chown", show);
		goto fail;
	}
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0) {
		err_sys(e, "%s: chmod", show);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int so_chmod(int pathfd, mode_t mode)
{
	struct stat st;
	char proc[64];

	if (fstat(pathfd, &st) < 0)
		return -1;
	if (S_ISLNK(st.st_mode)) {
		/* the magic link would lead on to the symlink's target */
		errno = ELOOP;
		return -1;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pathfd);
	return chmod(proc, mode);
}

int so_mkdirs(int dirfd, const char *rel, size_t len, mode_t mode,
	      const char *show, struct err *e)
{
	int dfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);

	if (dfd < 0)
		err_sys(e, "%s", show);
	for (size_t at = 0; dfd >= 0 && at < len;) {
		size_t n = strcspn(rel + at, "/");
		char *comp;
		int next = -1;

		if (n > len - at)
			n = len - at;
		comp = xasprintf("%.*s", (int)n, rel + at);
		if (n == 0 || !strcmp(comp, ".") || !strcmp(comp, ".."))
			err_set(e, "directory %s/%.*s: empty, '.' or '..' in the path",
				show, (int)len, rel);
		else if ((mkdirat(dfd, comp, mode) < 0 && errno != EEXIST) ||
			 (next = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW |
					O_CLOEXEC)) < 0 ||
			 so_chmod(next, mode) < 0) {
			/* the mode set by the descriptor: the umask is the
			 * process's */
			err_sys(e, "directory %s/%.*s", show, (int)(at + n), rel);
			if (next >= 0)
				close(next);
			next = -1;
		}
		free(comp);
		close(dfd);
		dfd = next;
		at += n + 1;
	}
	return dfd;
}
