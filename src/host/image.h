/* image.h -- builds the default root image: an ext4 file system with
 * busybox (from Debian's busybox-static), an init that runs a getty on con1
 * (/dev/tty1) and ssl0 (/dev/ttyS0) and powers off on Ctrl-Alt-Del, and an
 * rcS that takes the host name from the VM's name (umlmon.name= on the
 * kernel command line, so a copy of the image in another VM is named after
 * that VM) and the addresses from umlmon.net=.  No download and no loop mount:
 * the tree is staged in a temporary directory and written with
 * mke2fs -d. */
#ifndef UMLMON_IMAGE_H
#define UMLMON_IMAGE_H

#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

/* The line rcS prints on the console when init starts; the boot benchmark
 * and the tests wait for it. */
#define IMAGE_INIT_MARK "umlmon-guest: init started"
/* Sent to the monitor through /proc/mconsole at the end of rcS. */
#define IMAGE_READY_MARK "umlmon-guest: ready"

struct image_opts {
	const char *path;          /* the image file to write (and in messages) */
	uint64_t size;             /* bytes; 0: 64 MiB */
	const char *hostname;      /* a fixed one in /etc/hostname; NULL: the
				    * VM's name at each boot (umlmon.name=),
				    * else "umlvm" */
	const char *busybox;       /* NULL: /bin/busybox; must be static */
	const char *root_password; /* NULL: root logs in without a password */
	uid_t owner;               /* owner of the image file (the vmuser) */
	gid_t group;
	int force;                 /* replace an existing file */
	int progress;              /* print steps on stderr */
};

/* Builds the image as name in the directory dirfd, which someone else may
 * write (a guest's /disks): the file is unnamed while mke2fs writes it
 * through its fd and while it gets its owner and mode (0640), and is then
 * linked in as name (tmpfile.h). An existing name, whatever it is, is
 * kept unless o->force; then it is replaced, never followed. Leaves
 * nothing behind on failure. -1 with e naming o->path and the cause. */
int image_build_busybox_at(int dirfd, const char *name,
			   const struct image_opts *o, struct err *e);
/* The same in the directory of o->path, which is followed as given. */
int image_build_busybox(const struct image_opts *o, struct err *e);

#endif
