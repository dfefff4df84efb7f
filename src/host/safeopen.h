/* safeopen.h -- opening and making files in directories that a guest may
 * write. Root in a guest mounts hostfs and writes, as the vmuser, into its
 * jail's /disks: symlinks, FIFOs, sockets, and hard links to any file the
 * vmuser owns; root on the host may have left device nodes. So nothing
 * there is opened for I/O before its kind is known: the name is opened
 * O_PATH (which never blocks and has none of the side effects of an open
 * for I/O), checked with fstat, and only then reopened for reading or
 * writing through /proc/self/fd, which reaches that very inode. Owners and
 * modes are set on file descriptors, never on a path that a symlink could
 * redirect. */
#ifndef UMLMON_SAFEOPEN_H
#define UMLMON_SAFEOPEN_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/util.h"

/* openat2(dirfd, path, O_PATH) with the RESOLVE_* flags given; with
 * nofollow, a symlink as the last component is opened itself (its fstat
 * says S_IFLNK). -1 with errno. */
int so_open_path(int dirfd, const char *path, uint64_t resolve, int nofollow);

/* What a file must be to be opened for I/O. */
enum so_kind { SO_REG, SO_BLK };

/* 0 if st is a kind, else -1 and cause gets why not ("is a FIFO"). With
 * guest (a file to be written, or read into a new file, in a directory the
 * guest writes), a regular file with more than one link must belong to
 * owner, the vmuser: another name may be a host file, and root then does
 * to it only what the vmuser could do itself. */
int so_check(const struct stat *st, enum so_kind kind, int guest, uid_t owner,
	     char *cause, size_t len);

/* Reopens an O_PATH descriptor for I/O: flags is O_RDONLY, O_WRONLY or
 * O_RDWR (O_NONBLOCK and O_CLOEXEC are added). -1 with errno. */
int so_reopen(int pathfd, int flags);

/* Makes the directory name in dirfd (a symlink there is refused, an
 * existing directory kept) and gives it exactly uid, gid and mode, by its
 * descriptor. Returns that descriptor (O_RDONLY | O_DIRECTORY); errors
 * name show, the path for messages. */
int so_mkdir(int dirfd, const char *name, const char *show, uid_t uid, gid_t gid,
	     mode_t mode, struct err *e);

/* The directories of the first len bytes of rel beneath dirfd, made
 * where missing and opened one component at a time, none a symlink, empty,
 * "." or "..", each given mode (root's, as the caller is) by its
 * descriptor. Returns the last one's O_PATH descriptor (dirfd's copy if
 * len is 0); errors name show/rel. */
int so_mkdirs(int dirfd, const char *rel, size_t len, mode_t mode,
	      const char *show, struct err *e);

/* chmod of the file an O_PATH descriptor refers to (fchmod() refuses such
 * descriptors; a symlink's target is not reached). */
int so_chmod(int pathfd, mode_t mode);

#endif
