/* diskop.c -- one disk operation in the caller's thread, its images
 * locked (see diskop.h). */
#include "disk/diskop.h"
#include "disk/disklock.h"

#include <stdio.h>

static int run_op(const struct disk_ctx *c, const struct diskjob_args *a,
		  disk_progress_cb cb, void *arg, struct strbuf *text, struct err *e)
{
	switch (a->op) {
	case UM_DISK_INFO:
		return disk_info(c, a->path, text, e);
	case UM_DISK_CHECK:
		return disk_check(c, a->path, text, e);
	case UM_DISK_CREATE:
		return disk_create(c, a->path, a->size, a->other, text, e);
	case UM_DISK_DELETE:
		return disk_delete(c, a->path, text, e);
	case UM_DISK_COPY:
		return disk_copy(c, a->path, a->other, cb, arg, text, e);
	case UM_DISK_RESIZE:
		return disk_resize(c, a->path, a->size, text, e);
	case UM_DISK_MERGE:
		return disk_merge(c, a->path, a->other, cb, arg, text, e);
	}
	err_set(e, "disk operation %d: unknown", (int)a->op);
	return -1;
}

int diskjob_run(const struct disk_ctx *c, const struct diskjob_args *a,
		disk_progress_cb cb, void *arg, struct strbuf *text, struct err *e)
{
	struct disk_ctx lc = *c;
	struct disklocks locks;
	char who[400];
	int rc;

	/* the images it uses stay locked until it is done: no start and no
	 * other operation checks them meanwhile (see disklock.h) */
	snprintf(who, sizeof(who), "a disk operation (%s %.300s%s%s)",
		 diskjob_op_name(a->op), a->path, c->vm ? " of " : "",
		 c->vm ? c->vm : "");
	disklocks_init(&locks, c->shared, who);
	lc.locks = &locks;
	rc = run_op(&lc, a, cb, arg, text, e);
	disklocks_free(&locks);
	return rc;
}
