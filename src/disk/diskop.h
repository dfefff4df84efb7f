/* diskop.h -- one disk operation (disk.h) run in the caller's thread, the
 * images it uses locked while it runs: umladmin disk, and the monitor's
 * disk thread (diskjob.h). */
#ifndef UMLMON_DISKOP_H
#define UMLMON_DISKOP_H

#include "common/diskargs.h"
#include "disk/disk.h"

/* Runs a; text gets the report. */
int diskjob_run(const struct disk_ctx *c, const struct diskjob_args *a,
		disk_progress_cb cb, void *arg, struct strbuf *text, struct err *e);

#endif
