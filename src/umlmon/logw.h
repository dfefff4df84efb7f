/* logw.h -- console logs written by a thread of their own, so that the
 * monitor's loop never waits for a disk. Output is queued (a bounded
 * amount); what does not fit is dropped and counted, and the log says so.
 * Each log has a size cap: at the cap it is rotated (name -> name.1 ->
 * name.2 ... up to keep files) or, with keep 0, started anew. */
#ifndef UMLMON_LOGW_H
#define UMLMON_LOGW_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#define LOGW_QUEUE_MAX (8u << 20)

struct logw;
struct logw_file;

struct logw *logw_new(struct err *e);
/* Writes out everything queued, then stops the thread. */
void logw_free(struct logw *w);

/* A log file, appended to; max 0: no cap. */
struct logw_file *logw_open(struct logw *w, const char *path, uint64_t max,
			    int keep, struct err *e);
/* Queued writes to f are written before it is closed. */
void logw_close(struct logw *w, struct logw_file *f);

/* Queues data; never blocks on the disk. tag is the caller's position
 * after these bytes (a channel's output offset). */
void logw_write(struct logw *w, struct logw_file *f, const void *data, size_t n,
		uint64_t tag);
/* What the file holds now: its size, and the tag of the last write in it.
 * Reading the file up to size and following from tag loses nothing. */
void logw_position(struct logw *w, const struct logw_file *f, uint64_t *size,
		   uint64_t *tag);
/* Waits until everything queued so far is on its way to the files (for
 * tests and for readers of the log). */
void logw_sync(struct logw *w);

/* Bytes dropped because the queue was full, over the file's life. */
uint64_t logw_dropped(struct logw *w, const struct logw_file *f);

#endif
