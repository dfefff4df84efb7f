/* vmuser.h -- whether a VM's user is its own (umlmon(5) vmuser,
 * vmuser_shared). A process of that uid can read the kernel's memory
 * file, write its disks and kill it; so unless vmuser_shared says so, a
 * VM's uid must not be another VM's of the configuration, nor umldir's
 * (umldir_user), nor nobody's, nor (at a start) any process's on the
 * host but this VM's own. */
#ifndef UMLMON_VMUSER_H
#define UMLMON_VMUSER_H

#include "common/config.h"
#include "common/util.h"

/* 0, or -1 with ERR_SHARED and a message naming the VM, its user and who
 * shares it. jail_root: also the processes on the host, but those whose
 * root is that directory (the VM's own); NULL: the configuration only. A
 * VM whose uid is not known yet (auto, not allocated) passes. */
int vmuser_check(const struct config *cfg, const struct vm_conf *vm,
		 const char *jail_root, struct err *e);

/* "auto (uid N)", "NAME (uid N)", or "auto (no uid yet)", in buf. */
const char *vmuser_text(const struct vm_conf *vm, char *buf, size_t len);

#endif
