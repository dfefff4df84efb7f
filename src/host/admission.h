/* admission.h -- whether a VM's memory fits in what the host has left,
 * decided before its tmpfs is mounted. "Left" is MemTotal less what the
 * VMs of this VARDIR hold (the size of each jail tmpfs of ours that is
 * mounted: a VM holds its memory as long as that is there, whatever
 * became of its monitor) less [GLOBAL] host_reserve. The decision and the
 * mount happen under one lock (flock on VARDIR/admission), so that two
 * starts racing for the last room cannot both pass. */
#ifndef UMLMON_ADMISSION_H
#define UMLMON_ADMISSION_H

#include <stdint.h>

#include "common/util.h"

/* Takes the admission lock and checks that memory + margin (the tmpfs the
 * VM is about to mount) fits; self_tmp (the VM's own tmp, not counted)
 * may be NULL. Returns the lock's descriptor,
 * to be given to admission_leave() once the tmpfs is mounted (or the
 * start given up); -1 with e (ERR_NOMEM: it does not fit, with what it
 * needs and what is left; the caller puts the VM's name before it). vm
 * names it in the log. */
int admission_enter(const char *vardir, const char *vm, const char *self_tmp,
		    uint64_t memory, uint64_t margin, uint64_t reserve,
		    struct err *e);
void admission_leave(int lock_fd);

/* The mount points of the jail tmpfs of ours under vardir in mountinfo
 * (text of /proc/self/mountinfo), except self_tmp: VARDIR/NAME/jail/tmp,
 * tmpfs from "umlmon-tmp". A NULL-terminated vector; free each and it. */
char **admission_tmpfs_mounts(const char *mountinfo, const char *vardir,
			      const char *self_tmp);

#endif
