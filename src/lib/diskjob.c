/* diskjob.c -- a disk operation in a thread of its own (see diskjob.h).
 * The thread does the work and writes to an eventfd; the loop's callback
 * joins it, reports and frees the job. */
#include "diskjob.h"
#include "disklock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct diskjob {
	struct loop *loop;
	struct disk_ctx ctx;
	um_disk_op op;
	char *path, *other;
	uint64_t size;
	char what[300];

	pthread_t thread;
	int efd;
	diskjob_done_cb cb;
	void *arg;

	/* shared with the thread */
	uint64_t done, total;  /* __atomic */
	int cancel;            /* __atomic */
	int rc;                /* written by the thread before it signals */
	struct err err;
	struct strbuf text;
};

static int on_progress(uint64_t done, uint64_t total, void *arg)
{
	struct diskjob *j = arg;

	__atomic_store_n(&j->total, total, __ATOMIC_RELAXED);
	__atomic_store_n(&j->done, done, __ATOMIC_RELAXED);
	return __atomic_load_n(&j->cancel, __ATOMIC_RELAXED);
}

static const struct {
	const char *name;
	um_disk_op op;
	int min, max;          /* arguments after OP */
	const char *usage;
} ops[] = {
	{"info", UM_DISK_INFO, 1, 1, "info PATH"},
	{"check", UM_DISK_CHECK, 1, 1, "check PATH"},
	{"create", UM_DISK_CREATE, 2, 2, "create PATH.dsk SIZE | create PATH.cow BACKING"},
	{"delete", UM_DISK_DELETE, 1, 1, "delete PATH"},
	{"copy", UM_DISK_COPY, 2, 2, "copy PATH NEWPATH"},
	{"resize", UM_DISK_RESIZE, 2, 2, "resize PATH.dsk SIZE"},
	{"merge", UM_DISK_MERGE, 1, 2, "merge PATH.cow [NEWPATH.dsk]"},
};

const char diskjob_usage[] =
	"info|check|delete PATH, create PATH.dsk SIZE, create PATH.cow BACKING, "
	"copy PATH NEWPATH, resize PATH.dsk SIZE, merge PATH.cow [NEWPATH.dsk]";

static const char *op_name(um_disk_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i].op == op)
			return ops[i].name;
	return "?";
}

int diskjob_parse(int argc, char **argv, struct diskjob_args *a, struct err *e)
{
	int which = -1;
	size_t n;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; argc > 0 && i < ARRAY_SIZE(ops); i++)
		if (!strcmp(argv[0], ops[i].name))
			which = (int)i;
	if (which < 0) {
		err_set(e, "disk: %s%s%s: expected %s", argc > 0 ? "unknown operation '" : "",
			argc > 0 ? argv[0] : "no operation", argc > 0 ? "'" : "",
			diskjob_usage);
		return -1;
	}
	if (argc - 1 < ops[which].min || argc - 1 > ops[which].max) {
		err_set(e, "disk: usage: %s", ops[which].usage);
		return -1;
	}
	a->op = ops[which].op;
	a->path = argv[1];
	a->other = argc > 2 ? argv[2] : "";
	n = strlen(a->path);
	if (a->op == UM_DISK_RESIZE ||
	    (a->op == UM_DISK_CREATE && !(n > 4 && !strcmp(a->path + n - 4, ".cow")))) {
		if (parse_size(argv[2], &a->size) < 0 || !a->size) {
			err_set(e, "disk %s: size '%s': expected bytes, or a number "
				"with k, M, G or T", argv[0], argv[2]);
			return -1;
		}
		a->other = "";
	}
	return 0;
}

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
		 op_name(a->op), a->path, c->vm ? " of " : "", c->vm ? c->vm : "");
	disklocks_init(&locks, c->shared, who);
	lc.locks = &locks;
	rc = run_op(&lc, a, cb, arg, text, e);
	disklocks_free(&locks);
	return rc;
}

static void *run(void *arg)
{
	struct diskjob *j = arg;
	struct diskjob_args a = {j->op, j->path, j->other, j->size};
	uint64_t one = 1;

	j->rc = diskjob_run(&j->ctx, &a, on_progress, j, &j->text, &j->err);
	if (write(j->efd, &one, sizeof(one)) < 0) {
		/* cannot happen with an eventfd below its maximum */
	}
	return NULL;
}

static void job_free(struct diskjob *j)
{
	disk_ctx_free(&j->ctx);
	free(j->path);
	free(j->other);
	sb_free(&j->text);
	close(j->efd);
	free(j);
}

static void on_done(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct diskjob *j = arg;
	uint64_t v;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno == EAGAIN)
		return;
	loop_del_fd(l, fd);
	pthread_join(j->thread, NULL);
	if (j->cb)
		j->cb(j, j->rc, &j->err, j->text.buf ? j->text.buf : "", j->arg);
	job_free(j);
}

struct diskjob *diskjob_start(struct loop *l, const struct config *cfg,
			      const char *vm, const struct diskjob_args *a,
			      diskjob_done_cb cb, void *arg, struct err *e)
{
	struct diskjob *j = xcalloc(1, sizeof(*j));
	int r;

	j->loop = l;
	j->efd = -1;
	if (disk_ctx_init(&j->ctx, cfg, vm, e) < 0)
		goto fail;
	/* The thread must not read the monitor's configuration, which the
	 * loop may replace meanwhile, and the dependents of a file are those
	 * of the configuration file now, not of the monitor's start. Read
	 * here, not in the thread: parsing looks up users and groups with
	 * getpwnam(), which is not thread-safe. A file that cannot be read
	 * fails only the operations that need it. */
	{
		struct err re;

		disk_ctx_reload(&j->ctx, &re);
	}
	j->op = a->op;
	j->path = xstrdup(a->path ? a->path : "");
	j->other = xstrdup(a->other ? a->other : "");
	j->size = a->size;
	j->cb = cb;
	j->arg = arg;
	sb_init(&j->text);
	snprintf(j->what, sizeof(j->what), "%s %.280s", op_name(a->op), j->path);
	j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (j->efd < 0) {
		err_sys(e, "eventfd");
		goto fail;
	}
	if (loop_add_fd(l, j->efd, EPOLLIN, on_done, j) < 0) {
		err_sys(e, "disk job");
		goto fail;
	}
	r = pthread_create(&j->thread, NULL, run, j);
	if (r) {
		loop_del_fd(l, j->efd);
		errno = r;
		err_sys(e, "disk job thread");
		goto fail;
	}
	return j;
fail:
	if (j->efd >= 0)
		close(j->efd);
	j->efd = -1;
	disk_ctx_free(&j->ctx);
	free(j->path);
	free(j->other);
	sb_free(&j->text);
	free(j);
	return NULL;
}

const char *diskjob_what(const struct diskjob *j)
{
	return j->what;
}

void diskjob_progress(const struct diskjob *j, uint64_t *done, uint64_t *total)
{
	*done = __atomic_load_n(&j->done, __ATOMIC_RELAXED);
	*total = __atomic_load_n(&j->total, __ATOMIC_RELAXED);
}

void diskjob_cancel(struct diskjob *j)
{
	__atomic_store_n(&j->cancel, 1, __ATOMIC_RELAXED);
}

void diskjob_abort(struct diskjob *j)
{
	diskjob_cancel(j);
	loop_del_fd(j->loop, j->efd);
	pthread_join(j->thread, NULL);
	job_free(j);
}
