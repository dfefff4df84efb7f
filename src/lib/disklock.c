/* disklock.c -- per-image locks between monitors (see disklock.h). */
#include "disklock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "disk.h"

void disklocks_init(struct disklocks *l, const char *shared, const char *who)
{
	memset(l, 0, sizeof(*l));
	l->dir = xasprintf("%s/locks", shared);
	snprintf(l->who, sizeof(l->who), "%s", who);
}

/* Who holds the image: a kernel (from /proc/locks), else what the lock
 * file says. */
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
		snprintf(buf, len, "another monitor");
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
			err_set(e, "%s: in use by %s", name, who);
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

		if (ftruncate(lfd, 0) < 0 || pwrite(lfd, line, (size_t)n, 0) != n) {
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

void disklocks_release(struct disklocks *l)
{
	for (int i = 0; i < l->n; i++)
		close(l->v[i].fd);
	l->n = 0;
}

void disklocks_free(struct disklocks *l)
{
	disklocks_release(l);
	free(l->dir);
	l->dir = NULL;
}

/* Locks one disk path as the VM names it; missing_ok: a file that does
 * not exist yet is fine. If cow is not NULL and the file is a COW, it gets
 * the backing file its header names. */
static int take_path(struct disklocks *l, const struct disk_ctx *c,
		     const char *path, const char *name, int excl, int missing_ok,
		     char *cow, size_t cowlen, struct err *e)
{
	struct disk_ref r;
	struct cow_header h;
	int fd, rc;

	if (cow)
		cow[0] = '\0';
	if (disk_resolve(c, path, &r, e) < 0)
		return -1;
	fd = disk_open(&r, O_RDONLY | O_NONBLOCK, e);
	if (fd < 0) {
		rc = errno == ENOENT && missing_ok ? 0 : -1;
		disk_ref_close(&r);
		return rc;
	}
	rc = disklock_take(l, fd, name, excl, e);
	if (rc == 0 && cow && r.kind == DISK_COW) {
		struct err he;

		/* a header that does not read is the pre-boot check's to say */
		if (cow_read_header(fd, path, &h, &he) == 0 &&
		    strlen(h.backing) < cowlen)
			memcpy(cow, h.backing, strlen(h.backing) + 1);
	}
	close(fd);
	disk_ref_close(&r);
	return rc;
}

int disklock_boot(struct disklocks *l, const struct disk_ctx *c,
		  const struct vm_conf *vm, struct err *e)
{
	for (int i = 0; i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];
		char backing[4096], name[4400];
		int ro = strchr(d->flags, 'r') != NULL;

		/* named as the pre-boot check names what it refuses */
		snprintf(name, sizeof(name), "ubd%d: %s: cannot boot", d->index,
			 d->path);
		if (take_path(l, c, d->path, name, !ro, d->backing != NULL, backing,
			      sizeof(backing), e) < 0)
			goto fail;
		if (d->backing)
			snprintf(backing, sizeof(backing), "%s", d->backing);
		snprintf(name, sizeof(name), "ubd%d: %s: cannot boot over it",
			 d->index, backing);
		if (backing[0] && take_path(l, c, backing, name, 0, 0, NULL, 0, e) < 0)
			goto fail;
	}
	return 0;
fail:
	disklocks_release(l);
	return -1;
}
