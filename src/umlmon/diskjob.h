/* diskjob.h -- runs one disk operation (disk.h) at a time in a thread of
 * the monitor, so that a long copy or merge never holds up the event
 * loop; progress can be read and the operation cancelled meanwhile. */
#ifndef UMLMON_DISKJOB_H
#define UMLMON_DISKJOB_H

#include <stdint.h>

#include "common/diskargs.h"
#include "disk/disk.h"
#include "disk/diskop.h"
#include "serve/loop.h"
#include "umlmonctrl.h"

struct diskjob;

/* Called in the loop's thread when the operation has ended; rc 0 or -1,
 * e the error (rc -1) and text the report. The job is freed after. */
typedef void (*diskjob_done_cb)(struct diskjob *j, int rc, const struct err *e,
				const char *text, void *arg);

/* The job keeps copies of what it needs of cfg (the places) and reads
 * the configuration file again for the disk lines: cfg may be freed or
 * replaced while the job runs. */
struct diskjob *diskjob_start(struct loop *l, const struct config *cfg,
			      const char *vm, const struct diskjob_args *a,
			      diskjob_done_cb cb, void *arg, struct err *e);
/* Work of the monitor's own in the disk thread (a snapshot's copy): fn
 * gets fn_arg, the job's disk context (as diskjob_start makes it) and
 * reports as an operation does. what names it ("snapshot s1"). */
typedef int (*diskjob_fn)(void *fn_arg, const struct disk_ctx *c,
			  disk_progress_cb cb, void *cb_arg, struct strbuf *text,
			  struct err *e);
struct diskjob *diskjob_start_fn(struct loop *l, const struct config *cfg,
				 const char *vm, const char *what, diskjob_fn fn,
				 void *fn_arg, diskjob_done_cb cb, void *arg,
				 struct err *e);
/* "copy /disks/a.dsk" */
const char *diskjob_what(const struct diskjob *j);
void diskjob_progress(const struct diskjob *j, uint64_t *done, uint64_t *total);
/* Asks the operation to stop; it ends with "interrupted". */
void diskjob_cancel(struct diskjob *j);
/* Cancels, waits for the thread and frees the job, with no callback: for
 * a monitor that exits. */
void diskjob_abort(struct diskjob *j);

#endif
