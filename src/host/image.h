/* image.h -- builds a VM's root image, an ext4 file system written with
 * mke2fs -d from a tree staged in a temporary directory (no loop mount).
 * Two kinds: the default, busybox, and Debian (debimage.h).
 *
 * The busybox image: busybox (from Debian's busybox-static), an init that
 * runs a getty on con1
 * (/dev/tty1) and ssl0 (/dev/ttyS0) and powers off on Ctrl-Alt-Del, and an
 * rcS that takes the host name from the VM's name (umlmon.name= on the
 * kernel command line, so a copy of the image in another VM is named after
 * that VM) and the addresses from umlmon.net=. No download. */
#ifndef UMLMON_IMAGE_H
#define UMLMON_IMAGE_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

/* The line rcS prints on the console when init starts; the boot benchmark
 * and the tests wait for it. */
#define IMAGE_INIT_MARK "umlmon-guest: init started"
/* Sent to the monitor through /proc/mconsole at the end of rcS. */
#define IMAGE_READY_MARK "umlmon-guest: ready"

enum image_kind { IMAGE_BUSYBOX, IMAGE_DEBIAN };

struct image_opts {
	enum image_kind kind;
	const char *path;          /* the image file to write (and in messages) */
	uint64_t size;             /* bytes; 0: 64 MiB (busybox), 1 GiB (debian) */
	const char *hostname;      /* a fixed one in /etc/hostname; NULL: the
				    * VM's name at each boot (umlmon.name=),
				    * else "umlvm" */
	const char *busybox;       /* NULL: /bin/busybox; must be static */
	const char *root_password; /* NULL: root logs in without a password */
	/* debian */
	const char *mirror;        /* NULL: the one the host's apt uses */
	const char *suite;         /* NULL: the host's release (codename) */
	const char *ssh_key;       /* a public key file root accepts (adds sshd) */
	const char *cache;         /* debootstrap's --cache-dir, or NULL */
	/* set by the caller's SIGINT/SIGTERM handler: the build stops and
	 * leaves nothing behind */
	const volatile sig_atomic_t *interrupted;
	uid_t owner;               /* owner of the image file (the vmuser) */
	gid_t group;
	int force;                 /* replace an existing file */
	int progress;              /* print steps on stderr */
};

/* Builds the image of kind o->kind as name in the directory dirfd, which someone else may
 * write (a guest's /disks): the file is unnamed while mke2fs writes it
 * through its fd and while it gets its owner and mode (0640), and is then
 * linked in as name (tmpfile.h). An existing name, whatever it is, is
 * kept unless o->force; then it is replaced, never followed. Leaves
 * nothing behind on failure. -1 with e naming o->path and the cause. */
int image_build_at(int dirfd, const char *name, const struct image_opts *o,
		   struct err *e);
/* The same in the directory of o->path, which is followed as given. */
int image_build(const struct image_opts *o, struct err *e);

#endif
