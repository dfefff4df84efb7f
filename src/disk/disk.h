/* disk.h -- administration of a VM's disk images: flat (.dsk, sparse),
 * copy-on-write (.cow) and block devices (.dev), in the two places a VM may
 * keep them: its own /disks and the host's /shared/disks. Paths are given
 * as the VM sees them and resolved beneath their place on the host, so
 * that "..", absolute host paths and symlinks that lead out are refused.
 *
 * Who uses a file is read from the kernel's own locks: a UML kernel takes
 * an exclusive fcntl lock on every disk it writes and a shared one on a
 * COW's backing file, so /proc/locks is a host-wide registry that no
 * monitor has to keep and that survives any monitor's restart. The holder
 * is named by the umid= of the kernel's command line.
 *
 * Which COW files depend on a backing file is found at the time of the
 * operation, too: from the .cow files in every VM directory on disk
 * (configured or not) and in the shared place, and from the disk lines of
 * the configuration file as it is now, never from a copy kept since a
 * monitor started.
 *
 * A VM's /disks is written by its guest (hostfs, as the vmuser): nothing
 * there is opened for I/O unless it is a regular file (a block device for
 * .dev), and a file with more than one name (a hard link, perhaps to a
 * host file) is neither written nor read into a new file unless it is the
 * vmuser's. */
#ifndef UMLMON_DISK_H
#define UMLMON_DISK_H

#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/util.h"
#include "disk/cow.h"

struct disklocks;

enum disk_kind { DISK_FLAT, DISK_COW, DISK_DEV };

/* Where the operations of one VM (or of none: only /shared/disks) look.
 * It holds copies, not pointers into the caller's configuration, once
 * re-read: a monitor's disk thread uses it while the monitor may re-read
 * its own. */
struct disk_ctx {
	char *vm;                 /* whose /disks, or NULL */
	uid_t vmuid;              /* its vmuser, or -1 if unknown */
	char *vardir;             /* [GLOBAL] vardir */
	char *shared;             /* [GLOBAL] shared */
	char *disks;              /* host: VARDIR/VM/jail/disks */
	char *shared_disks;       /* host: SHARED/disks */
	/* whose disk lines name backing files: the caller's configuration
	 * (disk_ctx_init) or the file read again (disk_ctx_reload); NULL if
	 * it could not be read (cfg_err says why) */
	const struct config *cfg;
	struct config *own;       /* cfg, when read again */
	char *cfg_path;
	struct err cfg_err;
	/* if set, every image an operation or a pre-boot check uses is
	 * locked here as it is checked (see disklock.h); the caller releases
	 * them */
	struct disklocks *locks;
};

/* Until disk_ctx_reload(), cfg must outlive the context. */
int disk_ctx_init(struct disk_ctx *c, const struct config *cfg, const char *vm,
		  struct err *e);
/* Reads the configuration file again: the context no longer points into
 * the caller's copy, and the disk lines are those of now. -1 if it cannot
 * be read; operations that must know a file's dependents then refuse,
 * with that cause. */
int disk_ctx_reload(struct disk_ctx *c, struct err *e);
void disk_ctx_free(struct disk_ctx *c);

/* A disk path resolved on the host. */
struct disk_ref {
	char path[4096];          /* as the VM sees it, e.g. /disks/a.cow */
	char host[4096];          /* the same file on the host (for messages) */
	char name[256];           /* last component */
	int dirfd;                /* its directory, opened beneath the place */
	enum disk_kind kind;
	uid_t vmuid;              /* in /disks: the vmuser, or -1 if unknown */
};

/* Checks the path (place, components, kind by suffix) and opens its
 * directory. */
int disk_resolve(const struct disk_ctx *c, const char *path, struct disk_ref *r,
		 struct err *e);
void disk_ref_close(struct disk_ref *r);
/* Opens the file itself (no symlink may lead out of the place). flags:
 * O_PATH (with O_NOFOLLOW, a symlink is opened itself) opens any kind of
 * file; otherwise only a regular file (a block device for .dev) is opened,
 * for reading or, with O_WRONLY or O_RDWR, for writing, which in /disks
 * also needs one link or the vmuser's file. Other flags are ignored;
 * O_NONBLOCK is always set. errno is kept. */
int disk_open(const struct disk_ref *r, int flags, struct err *e);

/* Opens the file to read its data into a new file: in /disks only a
 * regular file with one name (or the vmuser's). */
int disk_open_data(const struct disk_ref *r, struct err *e);

/* Someone holding a file: a kernel's lock. */
struct disk_holder {
	pid_t pid;                /* as seen from here; -1: unknown */
	int write;                /* exclusive lock: the file is written */
	char vm[VM_NAME_MAX + 1]; /* umid of the kernel, or "" */
};
/* Holders of the open file fd (at most max). */
int disk_holders(int fd, struct disk_holder *h, int max);
/* "vm1 (read-write, kernel pid 123)" */
void disk_holder_text(const struct disk_holder *h, char *buf, size_t len);

typedef cow_progress_cb disk_progress_cb;

/* Operations; each fails with a message that names the file and the
 * cause, and leaves what exists untouched. text gets a report (may be
 * NULL). */
int disk_create(const struct disk_ctx *c, const char *path, uint64_t size,
		const char *backing, struct strbuf *text, struct err *e);
int disk_delete(const struct disk_ctx *c, const char *path,
		struct strbuf *text, struct err *e);
int disk_copy(const struct disk_ctx *c, const char *src, const char *dst,
	      disk_progress_cb cb, void *arg, struct strbuf *text, struct err *e);
int disk_resize(const struct disk_ctx *c, const char *path, uint64_t size,
		struct strbuf *text, struct err *e);
int disk_info(const struct disk_ctx *c, const char *path, struct strbuf *text,
	      struct err *e);
/* out NULL or "": into the backing file, like uml_moo -d. */
int disk_merge(const struct disk_ctx *c, const char *cow, const char *out,
	       disk_progress_cb cb, void *arg, struct strbuf *text, struct err *e);
/* A COW's backing file still has the size and mtime of its header. */
int disk_check(const struct disk_ctx *c, const char *path, struct strbuf *text,
	       struct err *e);

/* Refuses ("PATH: WHAT: in use by ...") if a kernel holds the image open
 * as fd (only_writers: holds it to write). With c->locks the image is
 * first locked there (exclusive unless only_writers), so that no other
 * monitor passes this check until the caller is done: the lock is taken
 * exactly where the holders are checked. */
int disk_refuse_held(const struct disk_ctx *c, int fd, const char *path,
		     int only_writers, const char *what, struct err *e);
/* The backing file br, open as bfd (for reading: a block device's size is
 * asked of it), still has the size and mtime of cow's header h. */
int disk_backing_matches(const struct cow_header *h, const char *cow, int bfd,
			 const struct disk_ref *br, struct err *e);

/* The backing file that the COW header h names, in c, still has the
 * header's size and mtime; cow names the COW in messages. */
int disk_backing_ok(const struct disk_ctx *c, const struct cow_header *h,
		    const char *cow, struct err *e);

#endif
