/* Unit tests of console channels: the output ring (offsets, wrap, readers
 * that fall behind), the attach offset, input to a real pty, waiters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/chan.h"
#include "lib/loop.h"

static void ring(void **state)
{
	struct loop *l = loop_new();
	struct err e;
	struct chan *ch = chan_new(l, "con1", CHAN_PTY, NULL, 16, &e);
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
	struct chan *ch = chan_new(l, "con1", CHAN_PTY, NULL, 4096, &e);
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
	assert_non_null(mkdtemp(dir));
	ch = chan_new(l, "con1", CHAN_PTY, dir, 0, &e);
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
	unlink(path);
	rmdir(dir);
	loop_free(l);
}

static void input_cap(void **state)
{
	struct loop *l = loop_new();
	struct err e;
	struct chan *ch = chan_new(l, "ssl0", CHAN_PTY, NULL, 0, &e);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring),
		cmocka_unit_test(attach_offset),
		cmocka_unit_test(pty_io),
		cmocka_unit_test(input_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
