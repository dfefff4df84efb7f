/* diskjob.c -- a disk operation in a thread of its own (see diskjob.h).
 * The thread does the work and writes to an eventfd; the loop's callback
 * joins it, reports and frees the job. */
#include "umlmon/diskjob.h"

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
	diskjob_fn fn;         /* or this, with fn_arg, instead of op */
	void *fn_arg;
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

static struct diskjob *start(struct loop *l, const struct config *cfg,
			     const char *vm, const struct diskjob_args *a,
			     const char *what, diskjob_fn fn, void *fn_arg,
			     diskjob_done_cb cb, void *arg, struct err *e);

static void *run(void *arg)
{
	struct diskjob *j = arg;
	struct diskjob_args a = {j->op, j->path, j->other, j->size};
	uint64_t one = 1;

	if (j->fn)
		j->rc = j->fn(j->fn_arg, &j->ctx, on_progress, j, &j->text, &j->err);
	else
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
	return start(l, cfg, vm, a, NULL, NULL, NULL, cb, arg, e);
}

struct diskjob *diskjob_start_fn(struct loop *l, const struct config *cfg,
				 const char *vm, const char *what, diskjob_fn fn,
				 void *fn_arg, diskjob_done_cb cb, void *arg,
				 struct err *e)
{
	struct diskjob_args a = {UM_DISK_INFO, "", "", 0};

	return start(l, cfg, vm, &a, what, fn, fn_arg, cb, arg, e);
}

static struct diskjob *start(struct loop *l, const struct config *cfg,
			     const char *vm, const struct diskjob_args *a,
			     const char *what, diskjob_fn fn, void *fn_arg,
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
	j->fn = fn;
	j->fn_arg = fn_arg;
	j->path = xstrdup(a->path ? a->path : "");
	j->other = xstrdup(a->other ? a->other : "");
	j->size = a->size;
	j->cb = cb;
	j->arg = arg;
	sb_init(&j->text);
	if (what)
		snprintf(j->what, sizeof(j->what), "%s", what);
	else
		snprintf(j->what, sizeof(j->what), "%s %.280s",
			 diskjob_op_name(a->op), j->path);
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
