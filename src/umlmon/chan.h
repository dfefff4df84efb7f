/* chan.h -- a console or serial channel of a VM (conN, sslN): the pty the
 * monitor owns, a ring of recent output that any number of clients read at
 * their own pace, the log file, and input queued for the guest.
 *
 * Output offsets count every byte the channel ever produced, across VM
 * restarts, so a client asks "give me what follows offset X": a slow client
 * falls behind (and is told how much it lost) but never stalls the VM, the
 * log or other clients. */
#ifndef UMLMON_CHAN_H
#define UMLMON_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/util.h"

#define CHAN_RING_SIZE (256u << 10)
#define CHAN_INPUT_MAX (64u << 10)
/* The terminal emulator costs far more per byte than anything else on the
 * console path (it scrolls its cell arrays at every line feed). It sees
 * output at once up to this many bytes per SCREEN_WINDOW_MS; beyond that it
 * catches up later (a timer, or a screen request) by a reset and a replay
 * of the last SCREEN_REPLAY bytes, which is the right screen for output
 * that scrolls. */
#define SCREEN_BUDGET (128u << 10)
#define SCREEN_WINDOW_MS 100
#define SCREEN_REPLAY (32u << 10)
/* A quiet pty this long after output gets the kernel a SIGIO (chan.c) */
#define CHAN_KICK_MS 10

struct loop;
struct chan;
struct chan_waiter;
struct logw;
struct logw_file;
struct screen;

#define CHAN_ROWS 24
#define CHAN_COLS 80

struct chan_opts {
	const char *logdir;    /* NULL: no log */
	struct logw *logw;
	uint64_t log_max;      /* 0: no cap */
	int log_keep;          /* rotated files kept */
	size_t ring_size;      /* 0: CHAN_RING_SIZE */
	/* Called when the pty stayed empty CHAN_KICK_MS after output: the
	 * kernel may hold output it will not write until it gets a SIGIO
	 * (see kick in chan.c); NULL: nothing to do. */
	void (*drained)(struct chan *ch, void *arg);
	void *drained_arg;
};

/* A reader waiting for output beyond its offset. The callback runs once,
 * on new output or when the channel closes; the waiter is unlinked before
 * and may be freed by the callback. The callback may also add and remove
 * waiters of the same channel: a wake-up calls exactly those that were
 * waiting when it began and are still waiting at their turn, oldest first;
 * one added meanwhile waits for the next output. */
typedef void (*chan_wake_cb)(struct chan_waiter *w, int closed);
struct chan_waiter {
	struct chan *ch;
	uint64_t offset;
	chan_wake_cb cb;
	void *arg;
	uint64_t seq;          /* order of arrival, set by chan_wait() */
	/* the channel's list: removal is O(1), as tens of thousands may wait
	 * and leave in any order; pprev is NULL when not on it */
	struct chan_waiter *next, **pprev;
};

struct chan {
	char name[8];
	enum chan_mode mode;
	struct loop *loop;
	int master;            /* -1 while the VM is down */
	int slave;             /* only from chan_open() until chan_slave_done() */
	struct logw *logw;
	struct logw_file *log; /* NULL: not logged */
	char *logpath;
	uint64_t log_max;      /* as given to chan_new() */
	int log_keep;
	struct screen *screen; /* what the screen shows (see chan_screen); NULL
				* until first asked for */
	uint64_t screen_fed;   /* output the screen has seen (or will start
				* from, before there is one) */
	int64_t budget_start;  /* this window of the screen's budget */
	int64_t (*clock)(void); /* milliseconds; now_ms, or a test's */
	size_t budget_used;
	struct loop_timer *screen_timer;
	uint8_t *ring;
	size_t ring_size;
	uint64_t head;         /* bytes produced so far */
	struct strbuf in;      /* input not yet taken by the pty */
	size_t in_off;
	struct chan_waiter *waiters; /* oldest first */
	struct chan_waiter **waiters_end;
	int nwaiters;
	uint64_t wait_seq;     /* waiters ever added */
	void (*on_close)(struct chan *ch, void *arg);
	void *on_close_arg;
	void (*drained)(struct chan *ch, void *arg);
	void *drained_arg;
	struct loop_timer *kick_timer;
};

struct chan *chan_new(struct loop *l, const char *name, enum chan_mode mode,
		      const struct chan_opts *o, struct err *e);
void chan_free(struct chan *ch);
/* Would a channel made with o log as ch does? */
int chan_log_same(const struct chan *ch, const struct chan_opts *o);

/* Creates the pty pair for a boot; the slave is for the kernel. */
int chan_open(struct chan *ch, struct err *e);
/* The same on a pty of the jail's own devpts (ROOT/dev/pts, mounted at
 * its boot): for a channel added to the running kernel, which opens the
 * slave by its name in the jail, given in slave ("/dev/pts/N"). The
 * monitor keeps the slave open too (the master would read EIO while no
 * one has it). */
int chan_open_at(struct chan *ch, const char *root, char *slave, size_t len,
		 struct err *e);
/* Takes master, the pty master of a running kernel's channel that the
 * watcher handed over (a new monitor re-attaching): read and written as
 * one chan_open() made. -1 with e if the loop refuses it (master is
 * closed then). */
int chan_adopt(struct chan *ch, int master, struct err *e);
/* The monitor's copy of the slave is no longer needed (the kernel has it). */
void chan_slave_done(struct chan *ch);
/* A new boot of the VM begins: the screen starts blank, and the log gets
 * line (a separator; it is not part of the output stream, whose offsets
 * stay those of the guest's bytes). */
void chan_new_boot(struct chan *ch, const char *line);
/* Drops the pty (and wakes readers with closed=1). */
void chan_close(struct chan *ch);
int chan_is_open(const struct chan *ch);

/* Records output (what the pty produced) in ring, screen and log, and
 * wakes readers. */
void chan_output(struct chan *ch, const void *data, size_t n);

/* The screen, brought up to date with all output. */
struct screen *chan_screen(struct chan *ch);

/* Copies up to max bytes from *offset on; moves *offset forward to the
 * oldest byte still held if the reader fell behind. Returns bytes copied. */
size_t chan_read(const struct chan *ch, uint64_t *offset, void *buf, size_t max);
/* Oldest offset still in the ring. */
uint64_t chan_tail(const struct chan *ch);
/* Where a new client starts: the beginning of the last line of output
 * (so that a prompt is shown), at most 1 KiB back. */
uint64_t chan_attach_offset(const struct chan *ch);

/* Queues input for the guest. -1 with e if the channel is down or its
 * input queue is full (the guest does not read). */
int chan_write(struct chan *ch, const void *data, size_t n, struct err *e);
/* Sets the pty's window size (and the screen's). */
int chan_winsize(struct chan *ch, unsigned rows, unsigned cols, struct err *e);

/* Waits for output beyond offset (the caller fills cb/arg/offset). */
void chan_wait(struct chan *ch, struct chan_waiter *w);
void chan_unwait(struct chan *ch, struct chan_waiter *w);
int chan_nwaiters(const struct chan *ch);

#endif
