/* Unit tests of console channels: the output ring (offsets, wrap, readers
 * that fall behind), the attach offset, input to a real pty, waiters. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "umlmon/chan.h"
#include "umlmon/logw.h"
#include "serve/loop.h"
#include "umlmon/screen.h"

static void ring(void **state)
{
	struct loop *l = loop_new();
	struct err e;
	struct chan_opts o = {.ring_size = 16};
	struct chan *ch = chan_new(l, "con1", CHAN_PTY, &o, &e);
	char buf[64];
	uint64_t off = 0;
	size_t n;

	(void)state;
	assert_non_null(ch);
	chan_output(ch, "0123456789", 10);
	n = chan_read(ch, &off, buf, sizeof(buf));
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "0123456789", 10);
	/* wrap: 10 + 10 bytes in a 16 byte ring keeps the last 16 */
	chan_output(ch, "abcdefghij", 10);
	assert_int_equal(ch->head, 20);
	assert_int_equal(chan_tail(ch), 4);
	off = 0;
	n = chan_read(ch, &off, buf, sizeof(buf));
	assert_int_equal(off, 4); /* the reader is told where it resumed */
	assert_int_equal(n, 16);
	assert_memory_equal(buf, "456789abcdefghij", 16);
	/* partial reads */
	off = 12;
	n = chan_read(ch, &off, buf, 3);
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "cde", 3);
	/* beyond the head: nothing */
	off = 99;
	assert_int_equal(chan_read(ch, &off, buf, sizeof(buf)), 0);
	assert_int_equal(off, 20);
	/* one write bigger than the ring */
	chan_output(ch, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26);
	assert_int_equal(ch->head, 46);
	off = 0;
	n = chan_read(ch, &off, buf, sizeof(buf));
	assert_int_equal(n, 16);
	assert_memory_equal(buf, "KLMNOPQRSTUVWXYZ", 16);
	chan_free(ch);
	loop_free(l);
}

static void attach_offset(void **state)
{
	struct loop *l = loop_new();
	struct err e;
	struct chan_opts o = {.ring_size = 4096};
	struct chan *ch = chan_new(l, "con1", CHAN_PTY, &o, &e);
	uint64_t off;
	char buf[64];
	size_t n;

	(void)state;
	assert_int_equal(chan_attach_offset(ch), 0);
	chan_output(ch, "boot messages\r\nvm1 login: ", 26);
	off = chan_attach_offset(ch);
	n = chan_read(ch, &off, buf, sizeof(buf));
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "vm1 login: ", 11);
	chan_free(ch);
	loop_free(l);
}

static int woken, woken_closed;

static void wake(struct chan_waiter *w, int closed)
{
	(void)w;
	woken++;
	woken_closed += closed;
}

static void pty_io(void **state)
{
	struct loop *l = loop_new();
	struct err e;
	char dir[] = "/tmp/umlmon-chan-XXXXXX", path[128], buf[64];
	struct chan *ch;
	struct chan_waiter w = {.cb = wake};
	ssize_t n;

	(void)state;
	struct logw *lw = logw_new(&e);
	struct chan_opts o = {.logw = lw};

	assert_non_null(mkdtemp(dir));
	o.logdir = dir;
	ch = chan_new(l, "con1", CHAN_PTY, &o, &e);
	assert_non_null(ch);
	/* down: writes are refused with the channel's name */
	assert_int_equal(chan_write(ch, "x", 1, &e), -1);
	assert_non_null(strstr(e.msg, "con1: not connected"));
	assert_int_equal(chan_open(ch, &e), 0);
	/* input reaches the slave side */
	assert_int_equal(chan_write(ch, "ls\n", 3, &e), 0);
	n = read(ch->slave, buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "ls\n", 3);
	/* output on the slave side reaches ring, log and waiters */
	chan_wait(ch, &w);
	assert_int_equal(chan_nwaiters(ch), 1);
	assert_int_equal(write(ch->slave, "hello", 5), 5);
	for (int i = 0; i < 50 && !woken; i++) {
		/* one turn of the loop by hand: read the master */
		uint64_t off = 0;

		usleep(10000);
		n = read(ch->master, buf, sizeof(buf));
		if (n > 0)
			chan_output(ch, buf, (size_t)n);
		(void)off;
	}
	assert_int_equal(woken, 1);
	assert_int_equal(woken_closed, 0);
	assert_int_equal(chan_nwaiters(ch), 0);
	logw_sync(lw);
	snprintf(path, sizeof(path), "%s/con1", dir);
	{
		size_t len;
		char *log = read_file(path, 1024, &len);

		assert_non_null(log);
		assert_int_equal(len, 5);
		assert_memory_equal(log, "hello", 5);
		free(log);
	}
	/* closing wakes waiters with closed=1 */
	chan_wait(ch, &w);
	chan_close(ch);
	assert_int_equal(woken, 2);
	assert_int_equal(woken_closed, 1);
	assert_false(chan_is_open(ch));
	chan_free(ch);
	logw_free(lw);
	unlink(path);
	rmdir(dir);
	loop_free(l);
}

static off_t fsize(const char *dir, const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void log_rotation(void **state)
{
	char dir[] = "/tmp/umlmon-rot-XXXXXX", cmd[128], buf[1000];
	struct err e;
	struct logw *lw = logw_new(&e);
	struct logw_file *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/con0", dir);
	f = logw_open(lw, cmd, 4096, 2, &e);
	assert_non_null(f);
	memset(buf, 'x', sizeof(buf));
	/* 10 000 bytes through a 4 KiB cap keeping 2: con0 has the last
	 * 1808 bytes, con0.1 and con0.2 are full, older ones are gone */
	for (int i = 0; i < 10; i++)
		logw_write(lw, f, buf, sizeof(buf), 0);
	logw_sync(lw);
	assert_int_equal(fsize(dir, "con0"), 10000 - 2 * 4096);
	assert_int_equal(fsize(dir, "con0.1"), 4096);
	assert_int_equal(fsize(dir, "con0.2"), 4096);
	assert_int_equal(fsize(dir, "con0.3"), -1);
	assert_int_equal(logw_dropped(lw, f), 0);
	{
		uint64_t size, tag;

		logw_write(lw, f, "abc", 3, 12345);
		logw_sync(lw);
		logw_position(lw, f, &size, &tag);
		assert_int_equal(size, 10003 - 2 * 4096);
		assert_int_equal(tag, 12345);
	}
	logw_close(lw, f);
	/* keep 0: the log starts anew at the cap */
	snprintf(cmd, sizeof(cmd), "%s/con1", dir);
	f = logw_open(lw, cmd, 4096, 0, &e);
	for (int i = 0; i < 5; i++)
		logw_write(lw, f, buf, sizeof(buf), 0);
	logw_sync(lw);
	assert_int_equal(fsize(dir, "con1"), 5000 - 4096);
	assert_int_equal(fsize(dir, "con1.1"), -1);
	logw_close(lw, f);
	logw_free(lw);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void screen_state(void **state)
{
	struct screen *s = screen_new(24, 80);
	int row, col;
	char *text;

	(void)state;
	const char *a = "boot\r\nline two\r\n\x1b[2J\x1b[Hvm1 login: ";
	const char *b = "root\r\n# ";

	screen_feed(s, a, strlen(a));
	text = screen_text(s, &row, &col);
	/* the clear-screen wiped the first lines */
	assert_string_equal(text, "vm1 login:");
	assert_int_equal(row, 0);
	assert_int_equal(col, 11);
	free(text);
	screen_feed(s, b, strlen(b));
	text = screen_text(s, &row, &col);
	assert_string_equal(text, "vm1 login: root\n#");
	assert_int_equal(row, 1);
	free(text);
	screen_free(s);
}

static void input_cap(void **state)
{
	struct loop *l = loop_new();
	struct err e;
	struct chan_opts o = {0};
	struct chan *ch = chan_new(l, "ssl0", CHAN_PTY, &o, &e);
	char *big = calloc(1, CHAN_INPUT_MAX);
	int refused = 0;

	(void)state;
	assert_int_equal(chan_open(ch, &e), 0);
	/* nobody reads the slave: the queue fills and further input is
	 * refused, without blocking */
	for (int i = 0; i < 64 && !refused; i++)
		refused = chan_write(ch, big, CHAN_INPUT_MAX / 4, &e) < 0;
	assert_true(refused);
	assert_non_null(strstr(e.msg, "ssl0: input queue full"));
	chan_free(ch);
	free(big);
	loop_free(l);
}

static int64_t fake_now = 1000;

static int64_t fake_clock(void)
{
	return fake_now;
}

/* A flood of output is not fed to the emulator line by line; the screen
 * still shows the last lines when asked. */
static void screen_deferred(void **state)
{
	struct loop *l = loop_new();
	struct chan_opts o = {0};
	struct err e;
	struct chan *ch = chan_new(l, "con1", CHAN_PTY, &o, &e);
	char line[64], *text;
	int row, col, n;

	(void)state;
	/* all of it in one budget window, however slow this machine is */
	ch->clock = fake_clock;
	for (int i = 1; i <= 20000; i++) {
		n = snprintf(line, sizeof(line), "line %d\r\n", i);
		chan_output(ch, line, (size_t)n);
	}
	/* over the budget: the emulator is behind */
	assert_true(ch->screen_fed < ch->head);
	text = screen_text(chan_screen(ch), &row, &col);
	assert_int_equal(ch->screen_fed, ch->head);
	/* 24 rows: the last 23 lines and the empty row of the cursor */
	assert_non_null(strstr(text, "line 19978\nline 19979"));
	assert_int_equal(strlen(strstr(text, "line 20000")), strlen("line 20000"));
	assert_int_equal(row, 23);
	free(text);
	/* slow output, in a later window, goes to the screen at once */
	fake_now += 1000;
	chan_output(ch, "x", 1);
	assert_int_equal(ch->screen_fed, ch->head);
	chan_free(ch);
	loop_free(l);
}

/* A waiter's callback may unwait others (a reply that fails cancels the
 * other calls of its client) and add new ones: the walk wakes each waiter
 * that was waiting when it began and is still waiting at its turn, once;
 * a waiter added meanwhile waits for the next output. */
struct twaiter {
	struct chan_waiter w;
	int woken;
	struct chan_waiter *drop, *add; /* what its callback does */
	int close_chan;
};

static void twake(struct chan_waiter *w, int closed)
{
	struct twaiter *t = (struct twaiter *)w;
	struct chan *ch = w->ch;

	(void)closed;
	t->woken++;
	if (t->drop)
		chan_unwait(ch, t->drop);
	if (t->add)
		chan_wait(ch, t->add);
	if (t->close_chan)
		chan_close(ch);
}

static void waiters_change_during_wake(void **state)
{
	struct loop *l = loop_new();
	struct err e;
	struct chan_opts o = {.ring_size = 4096};
	struct chan *ch = chan_new(l, "con1", CHAN_PTY, &o, &e);
	struct twaiter a = {.w.cb = twake}, b = {.w.cb = twake},
		       c = {.w.cb = twake}, d = {.w.cb = twake};

	(void)state;
	/* a and c both drop b, so b is dropped before its turn whatever
	 * the order of the walk; a adds d */
	a.drop = c.drop = &b.w;
	a.add = &d.w;
	chan_wait(ch, &a.w);
	chan_wait(ch, &b.w);
	chan_wait(ch, &c.w);
	chan_output(ch, "x", 1);
	assert_int_equal(a.woken, 1);
	assert_int_equal(b.woken, 0);
	assert_int_equal(c.woken, 1);
	assert_int_equal(d.woken, 0);
	assert_int_equal(chan_nwaiters(ch), 1);
	chan_output(ch, "y", 1);
	assert_int_equal(d.woken, 1);
	assert_int_equal(a.woken + b.woken + c.woken, 2);
	assert_int_equal(chan_nwaiters(ch), 0);

	/* a walk inside a walk (a callback closes the channel): each waiter
	 * present is still woken exactly once */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	a.w.cb = b.w.cb = c.w.cb = twake;
	a.close_chan = c.close_chan = 1;
	chan_wait(ch, &a.w);
	chan_wait(ch, &b.w);
	chan_wait(ch, &c.w);
	chan_output(ch, "z", 1);
	assert_int_equal(a.woken, 1);
	assert_int_equal(b.woken, 1);
	assert_int_equal(c.woken, 1);
	assert_int_equal(chan_nwaiters(ch), 0);
	chan_free(ch);
	loop_free(l);
}

static int64_t cpu_ms(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return (int64_t)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000 +
	       (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1000;
}

/* Tens of thousands of parked reads that leave in any order (the newest
 * first, as a client's calls are cancelled) cost O(1) each: 100000 of them
 * in a list walked for each would take minutes. Those left are woken in
 * the order they came. */
#define MANY 100000
static int woke_order[MANY], nwoke;

static void wake_note(struct chan_waiter *w, int closed)
{
	(void)closed;
	woke_order[nwoke++] = (int)(intptr_t)w->arg;
}

static void many_waiters_leave(void **state)
{
	struct loop *l = loop_new();
	struct err e;
	struct chan_opts o = {.ring_size = 4096};
	struct chan *ch = chan_new(l, "con1", CHAN_PTY, &o, &e);
	struct chan_waiter *w = calloc(MANY, sizeof(*w));
	int64_t t0 = cpu_ms();

	(void)state;
	for (int i = 0; i < MANY; i++) {
		w[i].cb = wake_note;
		w[i].arg = (void *)(intptr_t)i;
		chan_wait(ch, &w[i]);
	}
	/* every third from the end, then the rest of the second half */
	for (int i = MANY - 1; i >= 0; i -= 3)
		chan_unwait(ch, &w[i]);
	for (int i = MANY - 2; i >= MANY / 2; i -= 3)
		chan_unwait(ch, &w[i]);
	/* twice is harmless */
	chan_unwait(ch, &w[MANY - 1]);
	assert_true(cpu_ms() - t0 < 2000);
	nwoke = 0;
	chan_output(ch, "x", 1);
	assert_int_equal(chan_nwaiters(ch), 0);
	for (int i = 1; i < nwoke; i++)
		assert_true(woke_order[i - 1] < woke_order[i]);
	for (int i = 0; i < nwoke; i++) {
		int k = woke_order[i];

		assert_true((MANY - 1 - k) % 3 != 0);
		assert_true(k < MANY / 2 || (MANY - 2 - k) % 3 != 0);
	}
	assert_true(nwoke > MANY / 3);
	free(w);
	chan_free(ch);
	loop_free(l);
}

/* A write that fails (here a file size limit: EFBIG; a full disk is
 * ENOSPC) does not stop the log: what is lost is counted, the first write
 * that succeeds again is a note of it, and rotation goes on. */
static void log_outage(void **state)
{
	char dir[] = "/tmp/umlmon-full-XXXXXX", path[128], buf[1000], want[200];
	struct err e;
	struct logw *lw = logw_new(&e);
	struct logw_file *f;
	struct rlimit old, lim;
	FILE *in;
	char *got;
	int n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/con0", dir);
	f = logw_open(lw, path, 3000, 1, &e);
	assert_non_null(f);
	memset(buf, 'x', sizeof(buf));
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 2500;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (int i = 0; i < 5; i++)
		logw_write(lw, f, buf, sizeof(buf), 0);
	logw_sync(lw);
	assert_int_equal(fsize(dir, "con0"), 2500);
	/* still no room: the note cannot be written either */
	logw_write(lw, f, "lost", 4, 0);
	logw_sync(lw);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	logw_write(lw, f, "back", 4, 0);
	logw_sync(lw);
	n = snprintf(want, sizeof(want), "\r\n[umlmon: %d bytes not logged: %s]\r\nback",
		     5000 - 2500 + 4, strerror(EFBIG));
	assert_int_equal(fsize(dir, "con0"), 2500 + n);
	got = xcalloc(1, 2500 + (size_t)n + 1);
	in = fopen(path, "r");
	assert_non_null(in);
	assert_int_equal(fread(got, 1, 2500 + (size_t)n, in), 2500 + (size_t)n);
	fclose(in);
	assert_string_equal(got + 2500, want);
	free(got);
	/* and rotation at the cap goes on */
	logw_write(lw, f, buf, sizeof(buf), 0);
	logw_sync(lw);
	assert_int_equal(fsize(dir, "con0.1"), 3000);
	assert_int_equal(fsize(dir, "con0"), 2500 + n + 1000 - 3000);
	logw_close(lw, f);
	logw_free(lw);
	signal(SIGXFSZ, SIG_DFL);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring),
		cmocka_unit_test(attach_offset),
		cmocka_unit_test(pty_io),
		cmocka_unit_test(input_cap),
		cmocka_unit_test(log_rotation),
		cmocka_unit_test(log_outage),
		cmocka_unit_test(screen_state),
		cmocka_unit_test(screen_deferred),
		cmocka_unit_test(waiters_change_during_wake),
		cmocka_unit_test(many_waiters_leave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
