/* logw.c -- the log writer thread. */
#include "umlmon/logw.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

struct logw_file {
	char *path;
	int fd;                /* owned by the thread */
	uint64_t size;         /* of the current file */
	uint64_t max;
	int keep;
	uint64_t dropped;      /* total */
	uint64_t unreported;   /* dropped and not yet noted in the file */
	int closing;
	int err;               /* errno of the outage in progress, 0: none */
	uint64_t lost;         /* bytes lost to it, not yet noted in the file */
	uint64_t done_size;    /* size and tag after the last entry written, */
	uint64_t done_tag;     /* read and written under the lock */
};

struct entry {
	struct logw_file *f;
	uint64_t tag;
	size_t n;              /* 0: close f */
	struct entry *next;
	char data[];
};

struct logw {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more;   /* the queue has entries */
	pthread_cond_t empty;  /* the queue was emptied */
	struct entry *head, *tail;
	size_t queued;
	int busy;              /* the thread is writing an entry */
	int stop;
};

static void rotate(struct logw_file *f)
{
	/* name.(keep-1) -> name.keep ... name -> name.1 */
	for (int k = f->keep; k >= 1; k--) {
		char *from = k == 1 ? xstrdup(f->path) : xasprintf("%s.%d", f->path, k - 1);
		char *to = xasprintf("%s.%d", f->path, k);

		if (rename(from, to) < 0 && errno != ENOENT)
			log_warn("log %s: rotate: %s", from, strerror(errno));
		free(from);
		free(to);
	}
	close(f->fd);
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	f->size = 0;
}

/* A write or an open failed (a full disk, most often): said once per
 * outage; what cannot be written is counted until it can. */
static void outage(struct logw_file *f, int err, size_t n)
{
	if (!f->err) {
		log_err("log %s: %s (output is counted, not logged, until it can "
			"be written)", f->path, strerror(err));
		f->err = err;
	}
	f->lost += n;
}

/* The file again after a rotation that could not open it; 0 if open. */
static int reopen(struct logw_file *f)
{
	struct stat st;

	if (f->fd >= 0)
		return 0;
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (f->fd < 0)
		return -1;
	f->size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* Writes what it can of data, rotating at the cap; returns how much, with
 * errno set when that is not all. */
static ssize_t put_raw(struct logw_file *f, const char *data, size_t n)
{
	size_t done = 0;

	while (done < n) {
		size_t k = n - done;
		ssize_t w;

		if (f->max && f->size >= f->max)
			rotate(f);
		if (reopen(f) < 0)
			break;
		if (f->max && k > f->max - f->size)
			k = (size_t)(f->max - f->size);
		w = write(f->fd, data + done, k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			break;
		}
		f->size += (uint64_t)w;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

/* After an outage, the first write that succeeds is this note. */
static int note_lost(struct logw_file *f)
{
	char note[160];
	int k = snprintf(note, sizeof(note), "\r\n[umlmon: %llu bytes not logged: "
			 "%s]\r\n", (unsigned long long)f->lost, strerror(f->err));

	if (put_raw(f, note, (size_t)k) != k)
		return -1;
	log_info("log %s: written again; %llu bytes were lost (%s)", f->path,
		 (unsigned long long)f->lost, strerror(f->err));
	f->err = 0;
	f->lost = 0;
	return 0;
}

/* Each write tries the disk again: a full one resumes once there is room,
 * with a note of what was lost first. */
static void put(struct logw_file *f, const char *data, size_t n)
{
	ssize_t w;

	if (f->err && note_lost(f) < 0) {
		f->lost += n;
		return;
	}
	w = put_raw(f, data, n);
	if (w < (ssize_t)n)
		outage(f, errno, n - (size_t)w);
}

static void *run(void *arg)
{
	struct logw *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct entry *en;
		uint64_t lost;

		while (!w->head && !w->stop)
			pthread_cond_wait(&w->more, &w->mu);
		if (!w->head)
			break;
		en = w->head;
		w->head = en->next;
		if (!w->head)
			w->tail = NULL;
		w->queued -= en->n;
		w->busy = 1;
		lost = en->f->unreported;
		en->f->unreported = 0;
		pthread_mutex_unlock(&w->mu);
		if (lost) {
			char note[128];
			int k = snprintf(note, sizeof(note), "\r\n[umlmon: %llu bytes of "
					 "output not logged: the log was too slow]\r\n",
					 (unsigned long long)lost);

			put(en->f, note, (size_t)k);
		}
		if (en->n) {
			put(en->f, en->data, en->n);
			pthread_mutex_lock(&w->mu);
			en->f->done_size = en->f->size;
			en->f->done_tag = en->tag;
			pthread_mutex_unlock(&w->mu);
		} else {
			if (en->f->fd >= 0)
				close(en->f->fd);
			free(en->f->path);
			free(en->f);
		}
		free(en);
		pthread_mutex_lock(&w->mu);
		w->busy = 0;
		if (!w->head)
			pthread_cond_broadcast(&w->empty);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct logw *logw_new(struct err *e)
{
	struct logw *w = xcalloc(1, sizeof(*w));
	sigset_t all, old;
	int r;

	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->more, NULL);
	pthread_cond_init(&w->empty, NULL);
	/* the thread takes no signals: the loop's signalfd gets them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&w->thread, NULL, run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		errno = r;
		err_sys(e, "log writer thread");
		free(w);
		return NULL;
	}
	return w;
}

void logw_free(struct logw *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->more);
	pthread_cond_destroy(&w->empty);
	free(w);
}

struct logw_file *logw_open(struct logw *w, const char *path, uint64_t max,
			    int keep, struct err *e)
{
	struct logw_file *f = xcalloc(1, sizeof(*f));
	struct stat st;

	(void)w;
	f->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (f->fd < 0 || fstat(f->fd, &st) < 0) {
		err_sys(e, "log %s", path);
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return NULL;
	}
	f->path = xstrdup(path);
	f->size = f->done_size = (uint64_t)st.st_size;
	f->max = max;
	f->keep = keep;
	return f;
}

static void enqueue(struct logw *w, struct entry *en)
{
	en->next = NULL;
	if (w->tail)
		w->tail->next = en;
	else
		w->head = en;
	w->tail = en;
	w->queued += en->n;
	pthread_cond_signal(&w->more);
}

void logw_close(struct logw *w, struct logw_file *f)
{
	struct entry *en = xcalloc(1, sizeof(*en));

	en->f = f;
	pthread_mutex_lock(&w->mu);
	f->closing = 1;
	enqueue(w, en);
	pthread_mutex_unlock(&w->mu);
}

void logw_write(struct logw *w, struct logw_file *f, const void *data, size_t n,
		uint64_t tag)
{
	struct entry *en;

	if (!n)
		return;
	pthread_mutex_lock(&w->mu);
	if (w->queued + n > LOGW_QUEUE_MAX) {
		f->dropped += n;
		f->unreported += n;
		pthread_mutex_unlock(&w->mu);
		return;
	}
	pthread_mutex_unlock(&w->mu);
	en = xmalloc(sizeof(*en) + n);
	en->f = f;
	en->n = n;
	en->tag = tag;
	memcpy(en->data, data, n);
	pthread_mutex_lock(&w->mu);
	enqueue(w, en);
	pthread_mutex_unlock(&w->mu);
}

void logw_position(struct logw *w, const struct logw_file *f, uint64_t *size,
		   uint64_t *tag)
{
	pthread_mutex_lock(&w->mu);
	*size = f->done_size;
	*tag = f->done_tag;
	pthread_mutex_unlock(&w->mu);
}

void logw_sync(struct logw *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->head || w->busy)
		pthread_cond_wait(&w->empty, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

uint64_t logw_dropped(struct logw *w, const struct logw_file *f)
{
	uint64_t d;

	pthread_mutex_lock(&w->mu);
	d = f->dropped;
	pthread_mutex_unlock(&w->mu);
	return d;
}
