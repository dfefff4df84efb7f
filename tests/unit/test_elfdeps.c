/* Unit tests of the kernel's dependency finder: the UML kernel needs its
 * loader and libc; busybox-static needs nothing; bad files are named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/elfdeps.h"

/* A missing package fails the test, as in CI; a developer may allow skips
 * with UMLMON_ALLOW_SKIP=1. */
#define NEED(path) do { \
	if (access(path, R_OK) < 0) { \
		if (getenv("UMLMON_ALLOW_SKIP")) \
			skip(); \
		fail_msg("%s is missing (install its Debian package)", path); \
	} \
} while (0)

static const struct elf_dep *find(const struct elf_deps *d, const char *jail_path)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].jail_path, jail_path))
			return &d->v[i];
	return NULL;
}

static void uml_kernel(void **state)
{
	struct elf_deps d;
	struct err e;
	const struct elf_dep *ld, *libc;

	(void)state;
	NEED("/usr/bin/linux.uml");
	assert_int_equal(elf_deps("/usr/bin/linux.uml", NULL, &d, &e), 0);
	assert_false(d.is_static);
	ld = find(&d, "/lib64/ld-linux-x86-64.so.2");
	libc = find(&d, "/lib/x86_64-linux-gnu/libc.so.6");
	assert_non_null(ld);
	assert_non_null(libc);
	/* the host files are real files, symlinks resolved */
	{
		struct stat st;

		assert_int_equal(lstat(ld->host_path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(lstat(libc->host_path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
	}
	elf_deps_free(&d);
}

static void static_busybox(void **state)
{
	struct elf_deps d;
	struct err e;

	(void)state;
	NEED("/bin/busybox");
	assert_int_equal(elf_deps("/bin/busybox", NULL, &d, &e), 0);
	assert_true(d.is_static);
	assert_int_equal(d.n, 0);
	elf_deps_free(&d);
}

static void bad_files(void **state)
{
	struct elf_deps d;
	struct err e;
	char path[] = "/tmp/umlmon-elf-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(elf_deps("/nonexistent/linux", NULL, &d, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/linux"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\necho not elf\n", 23), 23);
	close(fd);
	assert_int_equal(elf_deps(path, NULL, &d, &e), -1);
	assert_non_null(strstr(e.msg, path));
	unlink(path);
}

static void install(void **state)
{
	char jail[] = "/tmp/umlmon-jail-XXXXXX", cmd[128], *p;
	struct elf_deps d;
	struct stat st, st2;
	struct err e;

	(void)state;
	NEED("/usr/bin/linux.uml");
	assert_non_null(mkdtemp(jail));
	assert_int_equal(elf_deps("/usr/bin/linux.uml", NULL, &d, &e), 0);
	assert_int_equal(elf_deps_install(&d, jail, &e), 0);
	for (int i = 0; i < d.n; i++) {
		struct stat hs;

		p = xasprintf("%s%s", jail, d.v[i].jail_path);
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(stat(d.v[i].host_path, &hs), 0);
		assert_int_equal(st.st_size, hs.st_size);
		free(p);
	}
	/* a second install leaves the copies alone */
	p = xasprintf("%s/lib/x86_64-linux-gnu/libc.so.6", jail);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(elf_deps_install(&d, jail, &e), 0);
	assert_int_equal(stat(p, &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(st.st_ctim.tv_nsec, st2.st_ctim.tv_nsec);
	free(p);
	elf_deps_free(&d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", jail);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uml_kernel),
		cmocka_unit_test(static_busybox),
		cmocka_unit_test(bad_files),
		cmocka_unit_test(install),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
