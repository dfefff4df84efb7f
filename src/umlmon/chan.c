/* chan.c -- console channels: pty, output ring, log, input queue. */
#include "umlmon/chan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "umlmon/logw.h"
#include "serve/loop.h"
#include "umlmon/screen.h"

struct chan *chan_new(struct loop *l, const char *name, enum chan_mode mode,
		      const struct chan_opts *o, struct err *e)
{
	struct chan *ch = xcalloc(1, sizeof(*ch));

	snprintf(ch->name, sizeof(ch->name), "%s", name);
	ch->mode = mode;
	ch->loop = l;
	ch->clock = now_ms;
	ch->master = ch->slave = -1;
	ch->ring_size = o->ring_size ? o->ring_size : CHAN_RING_SIZE;
	ch->ring = xmalloc(ch->ring_size);
	ch->waiters_end = &ch->waiters;
	ch->drained = o->drained;
	ch->drained_arg = o->drained_arg;
	sb_init(&ch->in);
	if (mode == CHAN_NULL)
		return ch;
	/* the screen is made when it is first asked for (chan_screen), from
	 * the ring: a libvterm screen is 140 KiB, most of an idle monitor's
	 * heap, and most screens are never looked at */
	ch->log_max = o->log_max;
	ch->log_keep = o->log_keep;
	if (o->logdir && o->logw) {
		struct err le;

		ch->logw = o->logw;
		ch->logpath = xasprintf("%s/%s", o->logdir, name);
		ch->log = logw_open(o->logw, ch->logpath, o->log_max, o->log_keep, &le);
		if (!ch->log) {
			err_set(e, "%s: %s", name, le.msg);
			chan_free(ch);
			return NULL;
		}
	}
	return ch;
}

int chan_log_same(const struct chan *ch, const struct chan_opts *o)
{
	/* a monitor's log directory never changes */
	return ch->log_max == o->log_max && ch->log_keep == o->log_keep;
}

static void unlink_waiter(struct chan *ch, struct chan_waiter *w)
{
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	else
		ch->waiters_end = w->pprev;
	w->next = NULL;
	w->pprev = NULL;
	ch->nwaiters--;
}

/* Waiters stay on the list until their turn: a callback may remove any
 * other (a reply that fails ends the other calls of its client, and with
 * them their waiters), and the walk never holds one that is gone. Those
 * added by a callback are newer than the walk and wait for more output. */
static void wake_all(struct chan *ch, int closed)
{
	uint64_t end = ch->wait_seq;
	struct chan_waiter *w;

	while ((w = ch->waiters) && w->seq < end) {
		unlink_waiter(ch, w);
		w->cb(w, closed);
	}
}

void chan_free(struct chan *ch)
{
	if (!ch)
		return;
	chan_close(ch);
	loop_timer_cancel(ch->loop, ch->screen_timer);
	if (ch->log)
		logw_close(ch->logw, ch->log);
	screen_free(ch->screen);
	free(ch->logpath);
	free(ch->ring);
	sb_free(&ch->in);
	free(ch);
}

static void update_events(struct chan *ch)
{
	uint32_t ev = EPOLLIN;

	if (ch->in.len > ch->in_off)
		ev |= EPOLLOUT;
	loop_mod_fd(ch->loop, ch->master, ev);
}

static void flush_input(struct chan *ch)
{
	while (ch->in.len > ch->in_off) {
		ssize_t w = write(ch->master, ch->in.buf + ch->in_off,
				  ch->in.len - ch->in_off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN: the guest reads later; EIO: it is gone */
		}
		ch->in_off += (size_t)w;
	}
	if (ch->in_off == ch->in.len) {
		ch->in.len = 0;
		ch->in_off = 0;
	}
}

/* A flood stalls without this: UML writes its console to the slave
 * without blocking and waits for a SIGIO (O_ASYNC, edge-triggered epoll) to
 * write the rest. The host's pty sends that SIGIO once per blocked write,
 * at our first read of the master, before its worker has moved the slave's
 * bytes on and made room; UML's epoll then finds the slave not writable,
 * and no second SIGIO comes for the room that follows: the kernel sleeps
 * with output until the next input byte. So when the master has stayed
 * empty CHAN_KICK_MS after output (the room is there by then), a stop and
 * start of the slave's output wakes its writers (re-arming UML's epoll,
 * and sending the SIGIO a blocked write asked for), and the owner sends
 * the kernel a SIGIO of its own (drained): UML looks, writes, and the next
 * stall, if any, ends the same way. */
static void on_kick(struct loop *l, void *arg)
{
	struct chan *ch = arg;
	char *name;
	int fd;

	(void)l;
	ch->kick_timer = NULL;
	if (ch->master < 0)
		return;
	name = ptsname(ch->master);
	fd = name ? open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) : -1;
	if (fd >= 0) {
		tcflow(fd, TCOOFF);
		tcflow(fd, TCOON);
		close(fd);
	}
	if (ch->drained)
		ch->drained(ch, ch->drained_arg);
}

static void on_master(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct chan *ch = arg;
	uint8_t buf[16384];
	int got = 0;

	(void)l;
	if (events & EPOLLOUT) {
		flush_input(ch);
		update_events(ch);
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	/* one read per wakeup keeps the loop fair to everyone else */
	for (int i = 0; i < 4; i++) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r > 0) {
			chan_output(ch, buf, (size_t)r);
			got = 1;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		/* EIO: the last slave is closed, the kernel is gone */
		chan_close(ch);
		if (ch->on_close)
			ch->on_close(ch, ch->on_close_arg);
		return;
	}
	if (got) {
		/* the kick comes once the master is quiet */
		loop_timer_cancel(ch->loop, ch->kick_timer);
		ch->kick_timer = loop_timer_add(ch->loop, CHAN_KICK_MS, on_kick, ch);
	}
}

/* The pty of ch from master (its slave open in ch->slave): raw, sized,
 * its master read by the loop. */
static int chan_ready(struct chan *ch, struct err *e)
{
	struct winsize ws = {.ws_row = CHAN_ROWS, .ws_col = CHAN_COLS};
	struct termios t;

	/* raw until the kernel sets what it wants */
	if (tcgetattr(ch->slave, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(ch->slave, TCSANOW, &t);
	}
	ioctl(ch->master, TIOCSWINSZ, &ws);
	if (ch->screen)
		screen_resize(ch->screen, CHAN_ROWS, CHAN_COLS);
	fd_nonblock(ch->master);
	if (loop_add_fd(ch->loop, ch->master, EPOLLIN, on_master, ch) < 0) {
		err_sys(e, "%s: epoll", ch->name);
		return -1;
	}
	ch->in.len = ch->in_off = 0;
	return 0;
}

static void chan_unopen(struct chan *ch)
{
	if (ch->slave >= 0)
		close(ch->slave);
	if (ch->master >= 0)
		close(ch->master);
	ch->slave = ch->master = -1;
}

int chan_open(struct chan *ch, struct err *e)
{
	char *name;

	if (ch->mode == CHAN_NULL)
		return 0;
	chan_close(ch);
	ch->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ch->master < 0 || grantpt(ch->master) < 0 || unlockpt(ch->master) < 0 ||
	    !(name = ptsname(ch->master))) {
		err_sys(e, "%s: cannot allocate a pty", ch->name);
		goto fail;
	}
	ch->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ch->slave < 0) {
		err_sys(e, "%s: %s", ch->name, name);
		goto fail;
	}
	if (chan_ready(ch, e) < 0)
		goto fail;
	return 0;
fail:
	chan_unopen(ch);
	return -1;
}

int chan_open_at(struct chan *ch, const char *root, char *slave, size_t len,
		 struct err *e)
{
	char *ptmx = xasprintf("%s/dev/pts/ptmx", root);
	int unlock = 0, n;

	chan_close(ch);
	/* the jail's devpts is root's; no link on the way is followed */
	ch->master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
	if (ch->master < 0 || ioctl(ch->master, TIOCSPTLCK, &unlock) < 0 ||
	    ioctl(ch->master, TIOCGPTN, &n) < 0) {
		err_sys(e, "%s: cannot allocate a pty in the jail (%s)", ch->name, ptmx);
		goto fail;
	}
	/* the slave by its master, not by a name in the jail */
	ch->slave = ioctl(ch->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ch->slave < 0) {
		err_sys(e, "%s: the slave of pty %d in the jail", ch->name, n);
		goto fail;
	}
	if (chan_ready(ch, e) < 0)
		goto fail;
	snprintf(slave, len, "/dev/pts/%d", n);
	free(ptmx);
	return 0;
fail:
	free(ptmx);
	chan_unopen(ch);
	return -1;
}

int chan_adopt(struct chan *ch, int master, struct err *e)
{
	chan_close(ch);
	ch->master = master;
	fd_nonblock(master);
	fd_cloexec(master);
	if (loop_add_fd(ch->loop, master, EPOLLIN, on_master, ch) < 0) {
		err_sys(e, "%s: epoll", ch->name);
		close(master);
		ch->master = -1;
		return -1;
	}
	ch->in.len = ch->in_off = 0;
	return 0;
}

void chan_slave_done(struct chan *ch)
{
	if (ch->slave >= 0)
		close(ch->slave);
	ch->slave = -1;
}

void chan_close(struct chan *ch)
{
	chan_slave_done(ch);
	loop_timer_cancel(ch->loop, ch->kick_timer);
	ch->kick_timer = NULL;
	if (ch->master >= 0) {
		loop_del_fd(ch->loop, ch->master);
		close(ch->master);
		ch->master = -1;
	}
	ch->in.len = ch->in_off = 0;
	wake_all(ch, 1);
}

void chan_new_boot(struct chan *ch, const char *line)
{
	if (ch->screen) {
		loop_timer_cancel(ch->loop, ch->screen_timer);
		ch->screen_timer = NULL;
		screen_reset(ch->screen);
	}
	/* without a screen yet: where the one made later begins */
	ch->screen_fed = ch->head;
	if (ch->log) {
		/* on a line of its own */
		if (ch->head && ch->ring[(ch->head - 1) % ch->ring_size] != '\n')
			logw_write(ch->logw, ch->log, "\r\n", 2, ch->head);
		logw_write(ch->logw, ch->log, line, strlen(line), ch->head);
	}
}

int chan_is_open(const struct chan *ch)
{
	return ch->master >= 0;
}

/* Feeds the screen what it has not seen, or, if that is more than the
 * replay, resets it and feeds the last SCREEN_REPLAY bytes. */
static void screen_catch_up(struct chan *ch)
{
	uint64_t from = ch->screen_fed, tail = chan_tail(ch);
	uint8_t buf[4096];

	if (ch->head - from > SCREEN_REPLAY || from < tail) {
		screen_reset(ch->screen);
		from = ch->head - SCREEN_REPLAY > tail ? ch->head - SCREEN_REPLAY : tail;
	}
	while (from < ch->head) {
		size_t n = chan_read(ch, &from, buf, sizeof(buf));

		screen_feed(ch->screen, buf, n);
		from += n;
	}
	ch->screen_fed = ch->head;
}

static void on_screen_timer(struct loop *l, void *arg)
{
	struct chan *ch = arg;

	(void)l;
	ch->screen_timer = NULL;
	screen_catch_up(ch);
}

struct screen *chan_screen(struct chan *ch)
{
	/* blank, then fed from screen_fed: this boot's output, or its last
	 * SCREEN_REPLAY bytes */
	if (!ch->screen && ch->mode != CHAN_NULL)
		ch->screen = screen_new(CHAN_ROWS, CHAN_COLS);
	if (ch->screen && ch->screen_fed != ch->head) {
		loop_timer_cancel(ch->loop, ch->screen_timer);
		ch->screen_timer = NULL;
		screen_catch_up(ch);
	}
	return ch->screen;
}

/* Called with the new bytes already in the ring. */
static void screen_output(struct chan *ch, const void *data, size_t n)
{
	int64_t now = ch->clock();

	if (!ch->screen)
		return; /* nobody asked yet: chan_screen replays the ring */
	if (now - ch->budget_start >= SCREEN_WINDOW_MS) {
		ch->budget_start = now;
		ch->budget_used = 0;
	}
	if (ch->screen_fed + n == ch->head && ch->budget_used + n <= SCREEN_BUDGET) {
		screen_feed(ch->screen, data, n);
		ch->screen_fed = ch->head;
		ch->budget_used += n;
	} else if (!ch->screen_timer) {
		ch->screen_timer = loop_timer_add(ch->loop, SCREEN_WINDOW_MS,
						  on_screen_timer, ch);
	}
}

void chan_output(struct chan *ch, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t left = n;

	if (ch->log)
		logw_write(ch->logw, ch->log, data, n, ch->head + n);
	if (n > ch->ring_size) {
		p += n - ch->ring_size;
		ch->head += n - ch->ring_size;
		left = ch->ring_size;
	}
	while (left) {
		size_t at = (size_t)(ch->head % ch->ring_size);
		size_t k = ch->ring_size - at < left ? ch->ring_size - at : left;

		memcpy(ch->ring + at, p, k);
		p += k;
		left -= k;
		ch->head += k;
	}
	if (ch->screen)
		screen_output(ch, data, n);
	wake_all(ch, 0);
}

uint64_t chan_tail(const struct chan *ch)
{
	return ch->head > ch->ring_size ? ch->head - ch->ring_size : 0;
}

size_t chan_read(const struct chan *ch, uint64_t *offset, void *buf, size_t max)
{
	uint64_t tail = chan_tail(ch);
	uint8_t *out = buf;
	size_t done = 0;

	if (*offset < tail)
		*offset = tail;
	if (*offset > ch->head)
		*offset = ch->head;
	while (done < max && *offset + done < ch->head) {
		size_t at = (size_t)((*offset + done) % ch->ring_size);
		size_t k = ch->ring_size - at;

		if (k > max - done)
			k = max - done;
		if (k > ch->head - (*offset + done))
			k = (size_t)(ch->head - (*offset + done));
		memcpy(out + done, ch->ring + at, k);
		done += k;
	}
	return done;
}

uint64_t chan_attach_offset(const struct chan *ch)
{
	uint64_t tail = chan_tail(ch), off = ch->head;
	uint64_t limit = ch->head > 1024 ? ch->head - 1024 : 0;

	if (limit < tail)
		limit = tail;
	while (off > limit) {
		uint8_t c = ch->ring[(size_t)((off - 1) % ch->ring_size)];

		if (c == '\n')
			break;
		off--;
	}
	return off;
}

int chan_write(struct chan *ch, const void *data, size_t n, struct err *e)
{
	if (ch->master < 0) {
		err_set(e, "%s: not connected (the VM is not running)", ch->name);
		return -1;
	}
	if (ch->in.len - ch->in_off + n > CHAN_INPUT_MAX) {
		err_set(e, "%s: input queue full (%u bytes): the guest is not "
			"reading", ch->name, CHAN_INPUT_MAX);
		return -1;
	}
	sb_append(&ch->in, data, n);
	flush_input(ch);
	update_events(ch);
	return 0;
}

int chan_winsize(struct chan *ch, unsigned rows, unsigned cols, struct err *e)
{
	struct winsize ws = {.ws_row = (unsigned short)rows,
			     .ws_col = (unsigned short)cols};

	if (ch->master < 0) {
		err_set(e, "%s: not connected (the VM is not running)", ch->name);
		return -1;
	}
	if (rows == 0 || cols == 0 || rows > 1000 || cols > 1000) {
		err_set(e, "%s: window size %ux%u out of range", ch->name, cols, rows);
		return -1;
	}
	if (ioctl(ch->master, TIOCSWINSZ, &ws) < 0) {
		err_sys(e, "%s: TIOCSWINSZ", ch->name);
		return -1;
	}
	if (ch->screen)
		screen_resize(ch->screen, (int)rows, (int)cols);
	return 0;
}

void chan_wait(struct chan *ch, struct chan_waiter *w)
{
	w->ch = ch;
	w->seq = ch->wait_seq++;
	w->next = NULL;
	w->pprev = ch->waiters_end;
	*ch->waiters_end = w;
	ch->waiters_end = &w->next;
	ch->nwaiters++;
}

void chan_unwait(struct chan *ch, struct chan_waiter *w)
{
	if (w->pprev && w->ch == ch)
		unlink_waiter(ch, w);
}

int chan_nwaiters(const struct chan *ch)
{
	return ch->nwaiters;
}
