/* tmpfile.c -- a new file made unnamed and linked into place (see
 * tmpfile.h). */
#include "tmpfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
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

int tmpfile_open(int dirfd, const char *what, struct err *e)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0)
		return fd;
	if (errno == EOPNOTSUPP || errno == EISDIR)
		err_set(e, "%s: its file system cannot make unnamed files "
			"(O_TMPFILE), which a safe creation needs", what);
	else
		err_sys(e, "%s: new file", what);
	return -1;
}

/* linkat(fd -> dirfd/name); AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH,
 * the /proc link does not. */
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

int tmpfile_link(int fd, int dirfd, const char *name, int replace,
		 const char *what, struct err *e)
{
	char tmp[300];
	int saved;

	if (!replace) {
		if (link_fd(fd, dirfd, name) == 0)
			return 0;
		saved = errno;
		if (saved == EEXIST)
			err_set(e, "%s: exists", what);
		else
			err_sys(e, "%s", what);
		errno = saved;
		return -1;
	}
	/* under a name nobody can guess (linkat never follows nor replaces
	 * what is there), then renamed over the old entry */
	for (int tries = 0;; tries++) {
		unsigned r = 0;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			err_sys(e, "%s: getrandom", what);
			return -1;
		}
		snprintf(tmp, sizeof(tmp), ".%.200s.new-%08x", name, r);
		if (link_fd(fd, dirfd, tmp) == 0)
			break;
		if (errno != EEXIST || tries == 16) {
			err_sys(e, "%s: link", what);
			return -1;
		}
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		err_sys(e, "%s", what);
		if (is_ours(fd, dirfd, tmp))
			unlinkat(dirfd, tmp, 0);
		return -1;
	}
	/* someone who writes the directory could have swapped the temporary
	 * name for something else; then the name is not ours */
	if (!is_ours(fd, dirfd, name)) {
		err_set(e, "%s: replaced by another file while it was put in place",
			what);
		return -1;
	}
	return 0;
}
