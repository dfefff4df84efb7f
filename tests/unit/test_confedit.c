/* Unit tests of the configuration's line editor (--keep): one key of one
 * section replaced, inserted or deleted, every other line as it was; the
 * file rewritten in one rename with its owner and mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "common/confedit.h"

static const char *const file =
	"# umlmon\n"
	"[GLOBAL]\n"
	"vardir = /var/lib/umlmon\n"
	"\n"
	"[vm1]\n"
	"; the root disk\n"
	"ubd0 = /disks/root.dsk\n"
	"memory = 64M   \n"
	"# data comes later\n"
	"\n"
	"[vm2]\n"
	"ubd1 = /disks/other.dsk\n";

static char *edit(const char *text, const char *sec, const char *key,
		  const char *val)
{
	struct err e;
	char *r = confedit_text(text, "umlmon.conf", sec, key, val, &e);

	if (!r)
		fail_msg("%s", e.msg);
	return r;
}

static void replaces(void **state)
{
	char *r = edit(file, "vm1", "memory", "48M");

	(void)state;
	assert_non_null(strstr(r, "ubd0 = /disks/root.dsk\nmemory = 48M\n# data"));
	assert_int_equal(strlen(r), strlen(file) - strlen("64M   ") + strlen("48M"));
	free(r);
	/* a comment at the end of the line stays */
	r = edit("[vm1]\nmemory = 64M ; for the build\n", "vm1", "memory", "96M");
	assert_string_equal(r, "[vm1]\nmemory = 96M ; for the build\n");
	free(r);
}

static void inserts_after_the_last_key(void **state)
{
	char *r = edit(file, "vm1", "ubd1", "/disks/data.dsk");

	(void)state;
	/* after memory, before the section's trailing comment and blank */
	assert_non_null(strstr(r, "memory = 64M   \nubd1 = /disks/data.dsk\n"
			       "# data comes later\n\n[vm2]\nubd1 = /disks/other.dsk\n"));
	assert_non_null(strstr(r, "; the root disk\n"));
	free(r);
	/* the last section, its last line without a newline */
	r = edit("[vm1]\nubd0 = /disks/a.dsk", "vm1", "eth1", "switched(lan)");
	assert_string_equal(r, "[vm1]\nubd0 = /disks/a.dsk\neth1 = switched(lan)\n");
	free(r);
	/* a section without keys: after its header */
	r = edit("[vm1]\n\n[vm2]\n", "vm1", "con3", "pty");
	assert_string_equal(r, "[vm1]\ncon3 = pty\n\n[vm2]\n");
	free(r);
}

static void deletes(void **state)
{
	char *r = edit(file, "vm2", "ubd1", NULL), *same;

	(void)state;
	assert_non_null(strstr(r, "[vm2]\n"));
	assert_null(strstr(r, "other.dsk"));
	assert_non_null(strstr(r, "ubd0 = /disks/root.dsk"));
	/* a key the section does not have: nothing changes */
	same = edit(file, "vm1", "ubd5", NULL);
	assert_string_equal(same, file);
	free(same);
	free(r);
}

static void only_its_section(void **state)
{
	/* vm2's ubd1 is not vm1's */
	char *r = edit(file, "vm1", "ubd1", "/disks/x.dsk");

	(void)state;
	assert_non_null(strstr(r, "[vm2]\nubd1 = /disks/other.dsk\n"));
	free(r);
	/* a commented-out key is a comment, not the key (a section of
	 * comments alone gets it after its header) */
	r = edit("[vm1]\n;memory = 32M\n", "vm1", "memory", "48M");
	assert_string_equal(r, "[vm1]\nmemory = 48M\n;memory = 32M\n");
	free(r);
}

static void refusals(void **state)
{
	struct err e;

	(void)state;
	assert_null(confedit_text(file, "umlmon.conf", "vm9", "ubd1", "/disks/a.dsk", &e));
	assert_int_equal(e.code, ERR_NOENT);
	assert_string_equal(e.msg, "umlmon.conf: no section [vm9]");
	assert_null(confedit_text(file, "umlmon.conf", "vm1", "args", "a\nb", &e));
	assert_int_equal(e.code, ERR_INVAL);
}

static void file_keeps_mode(void **state)
{
	char dir[] = "/tmp/confedit.XXXXXX", path[64], *text;
	struct stat st;
	struct err e;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/umlmon.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(file, f);
	fclose(f);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(confedit_set(path, "vm1", "memory", "48M", &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, getuid());
	text = read_file(path, 1 << 16, NULL);
	assert_non_null(strstr(text, "memory = 48M\n"));
	free(text);
	/* nothing left beside it */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(confedit_set(path, "vm1", "memory", "48M", &e), -1);
	assert_int_equal(e.code, ERR_IO);
}

/* A configuration that is a symbolic link stays one: its target changes */
static void file_through_a_link(void **state)
{
	char dir[] = "/tmp/confedit.XXXXXX", path[64], link[64], *text;
	struct stat st;
	struct err e;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/real.conf", dir);
	snprintf(link, sizeof(link), "%s/umlmon.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(file, f);
	fclose(f);
	assert_int_equal(symlink("real.conf", link), 0);
	assert_int_equal(confedit_set(link, "vm1", "memory", "48M", &e), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	text = read_file(path, 1 << 16, NULL);
	assert_non_null(strstr(text, "memory = 48M\n"));
	free(text);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replaces),
		cmocka_unit_test(inserts_after_the_last_key),
		cmocka_unit_test(deletes),
		cmocka_unit_test(only_its_section),
		cmocka_unit_test(refusals),
		cmocka_unit_test(file_keeps_mode),
		cmocka_unit_test(file_through_a_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
