/* tmpfile.h -- a new file in a directory that someone else may write (a
 * guest can write its jail's /disks at any time): the file is made
 * unnamed (O_TMPFILE), written, given its owner and mode through its fd,
 * and only then linked into place. No step opens, creates, chowns or
 * chmods by a name, so a symlink, a hard link or any file planted in the
 * directory cannot redirect it to a file outside. */
#ifndef UMLMON_TMPFILE_H
#define UMLMON_TMPFILE_H

#include "../common/util.h"

/* The directory rel beneath the directory base (base is followed as
 * given; in rel no symlink, "..", or magic link is), as an O_PATH fd for
 * the calls below. what names it in messages. */
int tmpfile_dir(const char *base, const char *rel, const char *what,
		struct err *e);

/* An unnamed regular file (mode 0600, the caller's owner) on the file
 * system of dirfd, open for reading and writing. what names it in
 * messages. */
int tmpfile_open(int dirfd, const char *what, struct err *e);

/* Gives fd's file the name in dirfd. Without replace an existing entry of
 * that name (whatever it is) is kept: -1 with errno EEXIST. With replace
 * it is replaced, never followed, in one rename, so the name is never
 * missing. */
int tmpfile_link(int fd, int dirfd, const char *name, int replace,
		 const char *what, struct err *e);

#endif
