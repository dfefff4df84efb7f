/* precheck.h -- the check before a boot: what the kernel will open, as
 * it will find it in its jail, with a clear refusal instead of the
 * kernel's panic. One walk over the kernel and the disks; each image is
 * found once, by one resolver, and every check is made on what it found:
 *
 *   - the kernel: a file in the jail that the vmuser may run and may not
 *     change (root reads its ELF headers and copies the host files they
 *     name: its loader and libraries, installed last);
 *   - each disk, a COW's backing file (configured or in its header), in
 *     this order: its path in /disks or /shared/disks with no "..", before
 *     anything is opened; found in the jail as the kernel will find it
 *     (RESOLVE_IN_ROOT); of its kind (.dev a block device, else a regular
 *     file); the VM's own disks given to the vmuser (only a regular file
 *     with one name reached without a symlink); usable by the vmuser;
 *     beneath its place if a symlink was on the way; locked against other
 *     monitors' starts and disk operations, then not held by another
 *     kernel (disk_refuse_held); a COW still matching its backing file.
 *
 * Every refusal names the disk (ubdN), the file and the cause. */
#ifndef UMLMON_PRECHECK_H
#define UMLMON_PRECHECK_H

#include "common/config.h"
#include "common/util.h"
#include "disk/disk.h"
#include "disk/disklock.h"
#include "host/jail.h"

/* The locks of a boot whose kernel still runs, taken again by a new
 * monitor (its predecessor's died with it): no check, the images only
 * found as the kernel found them and locked, shared or exclusive as at
 * the boot. -1 with e naming the disk and the cause. */
int precheck_relock(struct jail *j, const struct config *cfg,
		    const struct vm_conf *vm, struct disklocks *locks,
		    struct err *e);
/* Before a boot of vm in its jail j (mounted: the shared dir is seen
 * there). The images stay locked in locks (disklock.h) for the caller
 * to release when the boot ends. */
int precheck_boot(struct jail *j, const struct config *cfg,
		  const struct vm_conf *vm, struct disklocks *locks, struct err *e);

/* A disk d plugged into vm's running kernel: the checks of a boot for
 * that disk alone (its place, kind, the vmuser's, its lock in locks, no
 * other kernel's, its COW's backing file). -1 with e naming ubdN. */
int precheck_disk_add(struct jail *j, const struct config *cfg,
		      const struct vm_conf *vm, const struct disk_conf *d,
		      struct disklocks *locks, struct err *e);
/* The lock of d's image dropped from locks (d left the running kernel;
 * a COW's backing file stays locked until the boot ends). -1 if the
 * image is not found. */
int precheck_disk_unlock(struct jail *j, const struct config *cfg,
			 const struct vm_conf *vm, const struct disk_conf *d,
			 struct disklocks *locks);

/* The backing files named in the headers of vm's COW disks that have
 * none configured, where they are in /shared/disks: what the jail's
 * shared dir must hold besides the configured files (jail_mount). Read on
 * the host, beneath their places; a disk that cannot be read is left out
 * (the check before the boot names it). NULL-terminated; free each and
 * the vector. */
char **precheck_shared_backings(const struct config *cfg,
				const struct vm_conf *vm);

/* The disks alone, on the host, where the VM's jail need not exist yet
 * (umladmin check): kind, holders, COW headers and backing files, found
 * beneath their places; nothing is given to the vmuser. With c->locks the
 * images are locked there. */
int precheck_disks(const struct disk_ctx *c, const struct vm_conf *vm,
		   struct err *e);

#endif
