/* disklock.h -- a host-wide lock per disk image, by device and inode, so
 * that the check of an image and its use cannot interleave with another
 * monitor's: two starts on one read-write image at the same moment, or a
 * start during a merge into its backing file.
 *
 * The kernel's own fcntl locks (see disk.h) come too late for that: they
 * are taken some time after the kernel is executed, and a second kernel
 * that loses the race panics. So a monitor takes these locks before it
 * checks the disks of a boot and holds them while the boot lasts, and a
 * disk operation holds them while it runs: shared for images read,
 * exclusive for images written. A lock is flock(2) on SHARED/locks/
 * MAJ:MIN:INO (so it dies with its holder), never waited for: a conflict
 * is refused at once, naming who holds the image. */
#ifndef UMLMON_DISKLOCK_H
#define UMLMON_DISKLOCK_H

#include <sys/types.h>

#include "common/util.h"

#define DISKLOCK_MAX 48

struct disklock {
	int fd;               /* the lock file, flock'ed */
	dev_t dev;
	ino_t ino;
	int excl;
};

struct disklocks {
	char *dir;            /* SHARED/locks */
	char who[160];        /* written into the lock files we hold */
	struct disklock v[DISKLOCK_MAX];
	int n;
};

/* shared: the shared directory; who: what holds the locks, for others'
 * messages ("vm1 starting", "vm2: merge /disks/a.cow"), written into the
 * lock files with this host's name and our pid ("vm1 starting on node1
 * (pid 123)"). */
void disklocks_init(struct disklocks *l, const char *shared, const char *who);
/* Locks the image open as fd (any fd of it, O_PATH is enough), named
 * name in messages; excl for writing. Taking an image twice is fine (the
 * stronger mode wins). -1 with e naming the image and its holder. */
int disklock_take(struct disklocks *l, int fd, const char *name, int excl,
		  struct err *e);
/* Drops the lock of the image open as fd, if l holds one. */
void disklock_drop(struct disklocks *l, int fd);
/* Drops every lock; the set can be used again. */
void disklocks_release(struct disklocks *l);
void disklocks_free(struct disklocks *l);

#endif
