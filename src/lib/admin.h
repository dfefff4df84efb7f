/* admin.h -- host and VM administration behind umladmin(8). */
#ifndef UMLMON_ADMIN_H
#define UMLMON_ADMIN_H

#include <stddef.h>
#include <sys/types.h>

#include "../common/config.h"
#include "../common/util.h"

/* Creates vardir and the shared dir (kernels/, disks/) and installs the
 * kernel file (symlinks resolved) as SHARED/kernels/linux. */
int admin_setup(const struct config *cfg, const char *kernel, struct err *e);

/* Where mkimage builds a VM's ubd0 (a .dsk in /disks): the directory,
 * opened beneath the jail without following a symlink (the guest writes
 * /disks), the image's name in it, its host path (for messages) and the
 * vmuser who must own it. Creates the VM's jail layout; refuses while a
 * process of the VM lives in its jail. */
struct admin_image {
	int dirfd;
	const char *name;      /* in path */
	char *path;
	uid_t uid;
	gid_t gid;
};
int admin_image_target(const struct config *cfg, const char *vm,
		       struct admin_image *t, struct err *e);
void admin_image_free(struct admin_image *t);

/* Host checks: the shared dir and each VM's kernel are there. */
int admin_check_host(const struct config *cfg, struct err *e);

/* "running", "stopped" ... as its monitor says, or "no monitor". */
void admin_vm_state(const struct config *cfg, const struct vm_conf *vm,
		    char *buf, size_t n);

#endif
