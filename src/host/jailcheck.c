/* jailcheck.c -- nothing the kernel is run from can be changed by anyone
 * but root (see jailcheck.h). */
#include "host/jailcheck.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host/safeopen.h"

/* The jail's tree is shallow (lib/x86_64-linux-gnu/...): a deeper one was
 * not made by the monitor. */
#define TREE_DEPTH 8

/* 0 if st is root's and not writable by group or others (a sticky
 * directory may be: nobody else can replace root's entries in it); else
 * -1 with e naming show and the cause. */
static int root_only(const struct stat *st, const char *what, const char *show,
		     struct err *e)
{
	mode_t m = st->st_mode & 07777;

	if (st->st_uid != 0) {
		err_code(e, ERR_UNSAFE, "%s %s: owned by uid %u, not root (mode %04o); "
			 "only root may own it", what, show, (unsigned)st->st_uid,
			 (unsigned)m);
		return -1;
	}
	if (S_ISLNK(st->st_mode) || !(m & (S_IWGRP | S_IWOTH)))
		return 0;
	/* the tun device vmnet.c makes for a tap (0666 like the host's):
	 * writing a device node changes no file */
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(10, 200))
		return 0;
	if (S_ISDIR(st->st_mode) && (m & S_ISVTX))
		return 0;
	err_code(e, ERR_UNSAFE, "%s %s: writable by %s (mode %04o, group %u); only "
		 "root may write it", what, show, (m & S_IWOTH) ? "others" : "its group",
		 (unsigned)m, (unsigned)st->st_gid);
	return -1;
}

/* Below dir (its host path show): every name, without following any. */
static int walk(int dir, const char *show, int mnt, int depth, const struct jail *j,
		struct err *e)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || !(d = fdopendir(fd))) {
		err_sys(e, "jail directory %s", show);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		struct statx sx;
		struct stat st;
		char *path;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", show, de->d_name);
		if (statx(dirfd(d), de->d_name, AT_SYMLINK_NOFOLLOW,
			  STATX_BASIC_STATS | STATX_MNT_ID, &sx) < 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err_sys(e, "jail file %s", path);
			rc = -1;
		} else if ((int)sx.stx_mnt_id != mnt ||
			   (depth == 0 && !strcmp(path, j->p.disks))) {
			/* a mount (tmp/, shared/, its binds) or the vmuser's
			 * disks/: not the jail's own files */
		} else if (root_only(&st, "jail file", path, e) < 0) {
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY |
					 O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0) {
				err_sys(e, "jail directory %s", path);
				rc = -1;
			} else if (depth + 1 >= TREE_DEPTH) {
				err_code(e, ERR_UNSAFE, "jail directory %s: deeper than "
					 "%d levels; not made by umlmon", path, TREE_DEPTH);
				rc = -1;
			} else {
				rc = walk(sub, path, mnt, depth + 1, j, e);
			}
			if (sub >= 0)
				close(sub);
		}
		free(path);
	}
	if (rc == 0 && errno) {
		err_sys(e, "jail directory %s", show);
		rc = -1;
	}
	closedir(d);
	return rc;
}

int jailcheck_tree(const struct jail *j, struct err *e)
{
	struct statx sx;
	struct stat st;
	int root, rc;

	root = open(j->p.root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0) {
		err_sys(e, "jail %s", j->p.root);
		return -1;
	}
	if (statx(root, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 ||
	    fstat(root, &st) < 0) {
		err_sys(e, "jail %s", j->p.root);
		rc = -1;
	} else {
		rc = root_only(&st, "jail", j->p.root, e);
		if (rc == 0)
			rc = walk(root, j->p.root, (int)sx.stx_mnt_id, 0, j, e);
	}
	close(root);
	return rc;
}

int jailcheck_host_path(const char *what, const char *path, struct err *e)
{
	char real[PATH_MAX], *slash;
	struct stat st;

	if (!realpath(path, real)) {
		err_sys(e, "%s %s", what, path);
		return -1;
	}
	/* from the path itself up to / */
	for (;;) {
		if (lstat(real, &st) < 0) {
			err_sys(e, "%s %s: %s", what, path, real);
			return -1;
		}
		if (root_only(&st, strcmp(real, path) ? "the directory" : what,
			      real, e) < 0) {
			if (strcmp(real, path))
				err_prefix(e, "%s %s", what, path);
			return -1;
		}
		if (!strcmp(real, "/"))
			return 0;
		slash = strrchr(real, '/');
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

int jailcheck_in_jail(const struct jail *j, int root, const char *what,
		      const char *path, struct err *e)
{
	size_t len = strlen(path);
	int rc = 0;

	/* each directory on the way (the jail's root is jailcheck_tree's),
	 * then the whole path */
	for (size_t at = 1; rc == 0 && at <= len; at++) {
		struct stat st;
		char *sub, *show;
		int fd;

		if (at < len && path[at] != '/')
			continue;
		sub = xasprintf("%.*s", (int)at, path);
		show = xasprintf("%s (%s%s)", sub, j->p.root, sub);
		fd = so_open_path(root, sub, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, 0);
		if (fd < 0 && errno == ENOENT) {
			/* not there: the check that needs it names it */
			at = len;
		} else if (fd < 0 || fstat(fd, &st) < 0) {
			err_sys(e, "%s %s", what, show);
			rc = -1;
		} else {
			rc = root_only(&st, what, show, e);
		}
		if (fd >= 0)
			close(fd);
		free(sub);
		free(show);
	}
	return rc;
}

int jailcheck_boot(const struct jail *j, const char *kernel, struct err *e)
{
	int root, rc = -1;

	if (jailcheck_host_path("VM directory", j->p.vmdir, e) < 0 ||
	    jailcheck_host_path("shared dir", j->p.shared, e) < 0)
		return -1;
	/* the kernel's file on the host, whose inode the jail binds */
	if (!strncmp(kernel, "/shared/", 8)) {
		char *host = xasprintf("%s/%s", j->p.shared, kernel + 8);
		struct stat st;

		/* a kernel that is not there is named by the checks after */
		rc = stat(host, &st) < 0 && errno == ENOENT ? 0 :
		     jailcheck_host_path("kernel", host, e);
		free(host);
		if (rc < 0)
			return -1;
		rc = -1;
	}
	if (jailcheck_tree(j, e) < 0)
		return -1;
	root = open(j->p.root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0)
		err_sys(e, "jail %s", j->p.root);
	else
		rc = jailcheck_in_jail(j, root, "kernel", kernel, e);
	if (root >= 0)
		close(root);
	return rc;
}
