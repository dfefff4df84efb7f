/* tmpfile.h -- every new file that umlmon writes: a disk made by an
 * operation, a root image, the kernel and its libraries in a jail. The
 * file is made unnamed (O_TMPFILE) in its directory, written, given its
 * owner and mode through its fd, synced, and only then linked in under
 * its name, which replaces nothing, or renamed over the old file, so that
 * the name is never missing and never names half a file. No step opens,
 * creates, chowns or chmods by a name, so a symlink, a hard link or any
 * file planted in the directory (a guest writes its jail's /disks at any
 * time) cannot redirect it to a file outside, and a write that fails or
 * is interrupted leaves nothing behind.
 *
 * A file system without O_TMPFILE (NFS) gets a hidden name that nobody
 * can guess and that did not exist (O_CREAT | O_EXCL | O_NOFOLLOW); when
 * it is put in place, the name is checked to be this very file. */
#ifndef UMLMON_TMPFILE_H
#define UMLMON_TMPFILE_H

#include <limits.h>
#include <sys/types.h>

#include "common/util.h"

/* The directory rel beneath the directory base (base is followed as
 * given; in rel no symlink, "..", or magic link is), as an O_PATH fd for
 * the calls below. what names it in messages. */
int tmpfile_dir(const char *base, const char *rel, const char *what,
		struct err *e);

/* A new file on its way to dirfd/name. */
struct tmpfile {
	int fd;                   /* write here; -1 once it ended */
	int dirfd;                /* the caller's, kept open by the caller */
	char name[NAME_MAX + 1];
	char tmp[NAME_MAX + 1];   /* the fallback's hidden name, or "" */
	char what[512];           /* names it in messages */
};

/* Starts the file: open for reading and writing, mode as for open(2) (so
 * less the umask), the caller's owner. */
int tmpfile_new(struct tmpfile *t, int dirfd, const char *name, mode_t mode,
		const char *what, struct err *e);
/* Syncs the file and puts it in place. Without replace an existing entry
 * of its name (whatever it is) is kept: -1 with errno EEXIST (ERR_BUSY,
 * "WHAT: already exists"). With replace it is replaced, never followed,
 * in one rename. The file ends either way. */
int tmpfile_commit(struct tmpfile *t, int replace, struct err *e);
/* Drops a file that was not committed; nothing is left of it. */
void tmpfile_abort(struct tmpfile *t);

/* A copy of the regular file src as dirfd/name, with mode and src's
 * modification time, replacing the old file in one rename. */
int tmpfile_copy(const char *src, int dirfd, const char *name, mode_t mode,
		 const char *what, struct err *e);
/* The same by path: dst's directory is followed as given. */
int copy_file_atomic(const char *src, const char *dst, mode_t mode,
		     struct err *e);

#endif
