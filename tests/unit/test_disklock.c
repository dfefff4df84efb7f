/* Unit tests of the per-image locks between monitors: a writer excludes
 * everyone, readers share, the refusal names the holder, a lock dies with
 * its holder process, and the same inode under two names is one image. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "disk/disklock.h"

static char dir[64], img[128], alias[128];

static int setup(void **state)
{
	int fd;

	(void)state;
	strcpy(dir, "/tmp/umlmon-disklock-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(img, sizeof(img), "%s/a.dsk", dir);
	snprintf(alias, sizeof(alias), "%s/b.dsk", dir);
	fd = open(img, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return link(img, alias);
}

static int teardown(void **state)
{
	(void)state;
	return test_sh("rm -rf %s", dir);
}

/* A child that holds img (excl or not) until told to let go: it reports
 * on ready[1] and waits on go[0]. */
static pid_t holder(int excl, int *go_w)
{
	int ready[2], go[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct disklocks l;
		struct err e;
		int fd = open(img, O_PATH);

		close(go[1]);
		close(ready[0]);
		disklocks_init(&l, dir, "vmX (starting)");
		c = disklock_take(&l, fd, img, excl, &e) == 0 ? '+' : '-';
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, '+');
	close(ready[0]);
	*go_w = go[1];
	return pid;
}

static void release(pid_t pid, int go_w)
{
	int st;

	close(go_w);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void writer_excludes(void **state)
{
	struct disklocks l;
	struct err e;
	int go, fd = open(alias, O_PATH);
	pid_t pid;

	(void)state;
	assert_true(fd >= 0);
	pid = holder(1, &go);
	disklocks_init(&l, dir, "vmY (starting)");
	/* the same inode by another name: refused, naming the holder */
	assert_int_equal(disklock_take(&l, fd, "ubd0: /disks/b.dsk: cannot boot", 0, &e), -1);
	{
		/* with the host: on shared storage it may be another node */
		struct utsname u;
		char want[160];

		assert_int_equal(uname(&u), 0);
		snprintf(want, sizeof(want), "ubd0: /disks/b.dsk: cannot boot: in use by "
			 "vmX (starting) on %s (pid ", u.nodename);
		if (!strstr(e.msg, want))
			fail_msg("'%s' lacks '%s'", e.msg, want);
	}
	assert_int_equal(disklock_take(&l, fd, "b", 1, &e), -1);
	/* a holder that has not said who it is yet: /proc/locks names it */
	{
		char want[64];

		assert_int_equal(test_sh("for f in %s/locks/*; do : >\"$f\"; done", dir), 0);
		snprintf(want, sizeof(want), "in use by test_disklock (pid %d)", (int)pid);
		assert_int_equal(disklock_take(&l, fd, "b", 1, &e), -1);
		if (!strstr(e.msg, want))
			fail_msg("'%s' lacks '%s'", e.msg, want);
	}
	release(pid, go);
	/* gone with its holder */
	assert_int_equal(disklock_take(&l, fd, "b", 1, &e), 0);
	/* taken twice by one set: fine */
	assert_int_equal(disklock_take(&l, fd, "b", 0, &e), 0);
	assert_int_equal(l.n, 1);
	disklocks_free(&l);
	close(fd);
}

static void readers_share(void **state)
{
	struct disklocks l;
	struct err e;
	int go, fd = open(img, O_PATH);
	pid_t pid;

	(void)state;
	pid = holder(0, &go);
	disklocks_init(&l, dir, "vmY");
	assert_int_equal(disklock_take(&l, fd, "a", 0, &e), 0);
	/* but no writer while a reader holds it */
	disklocks_release(&l);
	assert_int_equal(disklock_take(&l, fd, "a", 1, &e), -1);
	assert_non_null(strstr(e.msg, "in use by"));
	release(pid, go);
	assert_int_equal(disklock_take(&l, fd, "a", 1, &e), 0);
	disklocks_free(&l);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writer_excludes),
		cmocka_unit_test(readers_share),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
