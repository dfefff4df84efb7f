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

/* The host path of a VM's ubd0 image, creating the VM's jail layout, and
 * the vmuser that must own it. ubd0 must be a .dsk in /disks. */
int admin_image_path(const struct config *cfg, const char *vm, char **path,
		     uid_t *uid, gid_t *gid, struct err *e);

/* Host checks: the shared dir and each VM's kernel are there. */
int admin_check_host(const struct config *cfg, struct err *e);

/* "running", "stopped" ... as its monitor says, or "no monitor". */
void admin_vm_state(const struct config *cfg, const struct vm_conf *vm,
		    char *buf, size_t n);

#endif
