/* disklock.c -- per-image locks between monitors (see disklock.h). */
#include "disk/disklock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/paths.h"
#include "disk/disk.h"

void disklocks_init(struct disklocks *l, const char *shared, const char *who)
{
	struct utsname u;

	memset(l, 0, sizeof(*l));
	l->dir = shared_locks_path(shared);
	/* the host too: on shared storage (NFS) the holder may be another
	 * node, where our /proc/locks and pids say nothing */
	if (uname(&u) == 0)
		snprintf(l->who, sizeof(l->who), "%s on %s", who, u.nodename);
	else
		snprintf(l->who, sizeof(l->who), "%s", who);
}

/* The process holding the lock file, from /proc/locks (its holder may
 * not have written its name yet): "the monitor of vm1 (pid 123)" for a
 * monitor, whose VM is its last argument, "umladmin (pid 456)" else. */
static void lock_holder(int lockfd, char *buf, size_t len)
{
	struct disk_holder h[4];
	int n = disk_holders(lockfd, h, 4);
	char path[64], *cmd;
	size_t clen, last = 0;

	snprintf(buf, len, "another process");
	if (n <= 0 || h[0].pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)h[0].pid);
	cmd = read_file(path, 4096, &clen);
	if (!cmd)
		return;
	for (size_t i = 0; i + 1 < clen; i++)
		if (!cmd[i])
			last = i + 1;
	if (!strcmp(strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd, "umlmon") && last)
		snprintf(buf, len, "the monitor of %s (pid %d)", cmd + last,
			 (int)h[0].pid);
	else
		snprintf(buf, len, "%s (pid %d)", strrchr(cmd, '/') ?
			 strrchr(cmd, '/') + 1 : cmd, (int)h[0].pid);
	free(cmd);
}

/* Who holds the image: a kernel (from /proc/locks), else what the lock
 * file says (its holder writes it just after it took the lock, over the
 * old name, then cuts the file: never empty while held by a name), else
 * the process that holds it, for the moment before it wrote its name. */
static void holder(int imgfd, int lockfd, char *buf, size_t len)
{
	struct disk_holder h[4];
	int n = disk_holders(imgfd, h, 4);
	ssize_t r;

	if (n > 0) {
		disk_holder_text(&h[0], buf, len);
		return;
	}
	r = pread(lockfd, buf, len - 1, 0);
	buf[r > 0 ? r : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!*buf)
		lock_holder(lockfd, buf, len);
}

int disklock_take(struct disklocks *l, int fd, const char *name, int excl,
		  struct err *e)
{
	struct disklock *k = NULL;
	struct stat st;
	char path[256];
	int lfd;

	if (fstat(fd, &st) < 0) {
		err_sys(e, "%s", name);
		return -1;
	}
	for (int i = 0; i < l->n; i++)
		if (l->v[i].dev == st.st_dev && l->v[i].ino == st.st_ino)
			k = &l->v[i];
	if (k && (k->excl || !excl))
		return 0;
	if (!k && l->n >= DISKLOCK_MAX) {
		err_set(e, "%s: more than %d images to lock", name, DISKLOCK_MAX);
		return -1;
	}
	if (mkdir(l->dir, 0755) < 0 && errno != EEXIST) {
		err_sys(e, "%s: lock directory %s", name, l->dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%u:%u:%llu", l->dir, major(st.st_dev),
		 minor(st.st_dev), (unsigned long long)st.st_ino);
	lfd = k ? k->fd : open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (lfd < 0) {
		err_sys(e, "%s: lock file %s", name, path);
		return -1;
	}
	if (flock(lfd, (excl ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
		char who[256];

		if (errno == EWOULDBLOCK) {
			holder(fd, lfd, who, sizeof(who));
			err_code(e, ERR_BUSY, "%s: in use by %s", name, who);
		} else {
			err_sys(e, "%s: lock file %s", name, path);
		}
		if (!k)
			close(lfd);
		return -1;
	}
	{
		/* for the message of the next one (of several readers, the
		 * last one speaks) */
		char line[200];
		int n = snprintf(line, sizeof(line), "%s (pid %d)\n", l->who,
				 (int)getpid());

		/* written over the old text, then cut: never empty meanwhile */
		if (pwrite(lfd, line, (size_t)n, 0) != n || ftruncate(lfd, n) < 0) {
			/* only a message depends on it */
		}
	}
	if (!k) {
		k = &l->v[l->n++];
		k->fd = lfd;
		k->dev = st.st_dev;
		k->ino = st.st_ino;
	}
	k->excl = excl;
	return 0;
}

void disklock_drop(struct disklocks *l, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return;
	for (int i = 0; i < l->n; i++) {
		if (l->v[i].dev != st.st_dev || l->v[i].ino != st.st_ino)
			continue;
		if (l->v[i].excl && ftruncate(l->v[i].fd, 0) < 0) {
			/* only a message depends on it */
		}
		close(l->v[i].fd);
		l->v[i] = l->v[--l->n];
		return;
	}
}

void disklocks_release(struct disklocks *l)
{
	for (int i = 0; i < l->n; i++) {
		/* the next holder is not named after this one */
		if (l->v[i].excl && ftruncate(l->v[i].fd, 0) < 0) {
			/* only a message depends on it */
		}
		close(l->v[i].fd);
	}
	l->n = 0;
}

void disklocks_free(struct disklocks *l)
{
	disklocks_release(l);
	free(l->dir);
	l->dir = NULL;
}
