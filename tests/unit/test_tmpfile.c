/* Unit tests of the one way new files are made (tmpfile.h): a file is
 * complete before it has a name, a kept name is never replaced, a
 * replaced one never missing, nothing planted at a name is followed, and
 * nothing is left behind by a failure or an abort. Each case runs twice:
 * as it is (O_TMPFILE), and in a child in which seccomp makes O_TMPFILE
 * fail as on NFS, so that the fallback with a hidden name runs for real. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/tmpfile.h"

/* Checks that both the parent and the seccomp child can run. */
#define CHECK(c)                                                             \
	do {                                                                 \
		if (!(c)) {                                                  \
			fprintf(stderr, "%s:%d: %s failed (%s)\n", __FILE__, \
				__LINE__, #c, e.msg);                        \
			return -1;                                           \
		}                                                            \
	} while (0)

static char *read_all(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

/* Entries of dir, "." and ".." left out. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

/* Writes text into a new file for dir/name and commits it. */
static int make(int dfd, const char *name, const char *text, int replace,
		int named, struct err *e)
{
	struct tmpfile t;

	if (tmpfile_new(&t, dfd, name, 0600, name, e) < 0)
		return -1;
	if ((t.tmp[0] != 0) != named) {
		fprintf(stderr, "%s: %s name, expected %s\n", name,
			t.tmp[0] ? "a hidden" : "no", named ? "one" : "none");
		tmpfile_abort(&t);
		return -2;
	}
	if (write(t.fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(t.fd, 0640) < 0)
		abort();
	return tmpfile_commit(&t, replace, e);
}

static int scenario(const char *dir, int named)
{
	char p[512], q[512], outside[512];
	struct tmpfile t;
	struct stat st;
	struct err e = {0};
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	CHECK(dfd >= 0);
	snprintf(outside, sizeof(outside), "%s.outside", dir);
	put(outside, "host data\n");
	/* a new name */
	CHECK(make(dfd, "a", "one\n", 0, named, &e) == 0);
	snprintf(p, sizeof(p), "%s/a", dir);
	CHECK(!strcmp(read_all(p), "one\n"));
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(entries(dir) == 1);
	/* kept: a file, a symlink out, a dangling symlink, a directory */
	CHECK(make(dfd, "a", "two\n", 0, named, &e) == -1 && errno == EEXIST);
	CHECK(e.code == ERR_BUSY && strstr(e.msg, "a: already exists"));
	CHECK(!strcmp(read_all(p), "one\n"));
	snprintf(q, sizeof(q), "%s/l", dir);
	CHECK(symlink(outside, q) == 0);
	CHECK(make(dfd, "l", "evil\n", 0, named, &e) == -1 && errno == EEXIST);
	snprintf(q, sizeof(q), "%s/dangling", dir);
	CHECK(symlink("/nonexistent/x", q) == 0);
	CHECK(make(dfd, "dangling", "evil\n", 0, named, &e) == -1);
	snprintf(q, sizeof(q), "%s/d", dir);
	CHECK(mkdir(q, 0755) == 0);
	CHECK(make(dfd, "d", "evil\n", 0, named, &e) == -1);
	CHECK(!strcmp(read_all(outside), "host data\n"));
	CHECK(entries(dir) == 4);
	/* replaced: a file, a symlink (itself, not its target) */
	CHECK(make(dfd, "a", "three\n", 1, named, &e) == 0);
	CHECK(!strcmp(read_all(p), "three\n"));
	CHECK(make(dfd, "l", "four\n", 1, named, &e) == 0);
	snprintf(q, sizeof(q), "%s/l", dir);
	CHECK(lstat(q, &st) == 0 && S_ISREG(st.st_mode));
	CHECK(!strcmp(read_all(outside), "host data\n"));
	CHECK(entries(dir) == 4);
	/* an abort leaves nothing */
	CHECK(tmpfile_new(&t, dfd, "b", 0600, "b", &e) == 0);
	CHECK(write(t.fd, "x", 1) == 1);
	tmpfile_abort(&t);
	tmpfile_abort(&t);
	CHECK(entries(dir) == 4);
	/* not a name */
	CHECK(tmpfile_new(&t, dfd, "x/y", 0600, "x/y", &e) == -1 && e.code == ERR_INVAL);
	CHECK(tmpfile_new(&t, dfd, "", 0600, "empty", &e) == -1);
	if (named) {
		/* the hidden name swapped for a symlink by who writes the
		 * directory: the name is not put in place */
		for (int replace = 0; replace < 2; replace++) {
			CHECK(tmpfile_new(&t, dfd, "c", 0600, "c", &e) == 0);
			snprintf(q, sizeof(q), "%s/%s", dir, t.tmp);
			CHECK(unlink(q) == 0 && symlink(outside, q) == 0);
			CHECK(tmpfile_commit(&t, replace, &e) == -1);
			CHECK(strstr(e.msg, "c: replaced by another file"));
			CHECK(!strcmp(read_all(outside), "host data\n"));
			/* kept: the hidden name is left to whoever swapped it */
			CHECK(unlink(q) == (replace ? -1 : 0));
			snprintf(q, sizeof(q), "%s/c", dir);
			CHECK(lstat(q, &st) == 0 && S_ISLNK(st.st_mode) && unlink(q) == 0);
		}
		CHECK(entries(dir) == 4);
	}
	/* a copy keeps the mtime and takes the mode, over the old file */
	{
		struct timespec old[2] = {{1000000000, 0}, {1000000000, 123}};
		int fd = open(outside, O_RDONLY | O_CLOEXEC);

		CHECK(fd >= 0 && futimens(fd, old) == 0);
		close(fd);
		CHECK(tmpfile_copy(outside, dfd, "a", 0755, p, &e) == 0);
		CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0755);
		CHECK(st.st_mtim.tv_sec == 1000000000 && st.st_mtim.tv_nsec == 123);
		CHECK(!strcmp(read_all(p), "host data\n"));
		snprintf(q, sizeof(q), "%s/copy", dir);
		CHECK(copy_file_atomic(outside, q, 0644, &e) == 0);
		CHECK(stat(q, &st) == 0 && (st.st_mode & 07777) == 0644);
		CHECK(copy_file_atomic(dir, q, 0644, &e) == -1);
		CHECK(strstr(e.msg, "not a regular file"));
		CHECK(copy_file_atomic(outside, "/nonexistent-umlmon/x", 0644, &e) == -1);
		CHECK(strstr(e.msg, "/nonexistent-umlmon/x: directory /nonexistent-umlmon"));
		CHECK(entries(dir) == 5);
	}
	close(dfd);
	unlink(outside);
	return 0;
}

static void new_dir(char *dir, size_t len)
{
	snprintf(dir, len, "%s/umlmon-tmpfile-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void unnamed(void **state)
{
	char dir[256];

	(void)state;
	new_dir(dir, sizeof(dir));
	assert_int_equal(scenario(dir, 0), 0);
	remove_dir(dir);
}

/* openat() with O_TMPFILE fails with EOPNOTSUPP, as on NFS. */
static int no_tmpfile(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 3),
		/* the low half of the flags (little-endian) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_TMPFILE & ~O_DIRECTORY, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EOPNOTSUPP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = ARRAY_SIZE(f), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void named(void **state)
{
	char dir[256];
	pid_t pid;
	int st;

	(void)state;
#ifndef __x86_64__
	skip();
#endif
	new_dir(dir, sizeof(dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;

		if (no_tmpfile() < 0) {
			perror("seccomp");
			_exit(2);
		}
		/* the filter works: O_TMPFILE fails as on NFS */
		fd = openat(AT_FDCWD, dir, O_TMPFILE | O_RDWR, 0600);
		if (fd >= 0 || errno != EOPNOTSUPP)
			_exit(3);
		_exit(scenario(dir, 1) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unnamed),
		cmocka_unit_test(named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
