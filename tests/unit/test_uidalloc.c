/* Unit tests of the VMs' own uids (uidalloc.h, vmuser.h): the lowest free
 * uid of the range, stable per VM, skipping what the host uses; a full
 * range refused; freeing a line; the table's format and its owner and
 * mode; the configuration resolved; a shared vmuser refused naming who
 * shares it. The table lives in a directory of the test's own. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/uidalloc.h"
#include "host/vmuser.h"
#include "testutil.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/umlmon-uidalloc-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return test_sh("rm -rf '%s'", dir) == 0 ? 0 : -1;
}

/* The host of the test: uids listed in arg are in use. */
static int taken_list(uid_t uid, char *who, size_t len, void *arg)
{
	for (const uid_t *u = arg; *u; u++)
		if (*u == uid) {
			snprintf(who, len, "test %u", (unsigned)uid);
			return 1;
		}
	return 0;
}

static char *table_text(void)
{
	char path[128], *s;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/uids", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static void lowest_free_stable(void **state)
{
	uid_t busy[] = {1001, 1003, 0};
	uid_t a, b, c, again;
	struct stat st;
	struct err e;
	char path[128], *text;

	(void)state;
	/* 1000 free, 1001 used on the host, 1002 free, 1003 used */
	assert_int_equal(uidalloc_get(dir, 1000, 1005, "a", taken_list, busy, &a, &e), 0);
	assert_int_equal(uidalloc_get(dir, 1000, 1005, "b", taken_list, busy, &b, &e), 0);
	assert_int_equal(uidalloc_get(dir, 1000, 1005, "c", taken_list, busy, &c, &e), 0);
	assert_int_equal(a, 1000);
	assert_int_equal(b, 1002);
	assert_int_equal(c, 1004);
	/* stable: a VM keeps its line, even if the host uses its uid now */
	busy[0] = 1000;
	assert_int_equal(uidalloc_get(dir, 1000, 1005, "a", taken_list, busy, &again, &e), 0);
	assert_int_equal(again, 1000);
	text = table_text();
	assert_non_null(strstr(text, "\na 1000\nb 1002\nc 1004\n"));
	free(text);
	snprintf(path, sizeof(path), "%s/uids", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_uid, geteuid());
}

static void full_range(void **state)
{
	uid_t busy[] = {2001, 0};
	uid_t u;
	struct err e;

	(void)state;
	assert_int_equal(uidalloc_get(dir, 2000, 2001, "a", taken_list, busy, &u, &e), 0);
	assert_int_equal(u, 2000);
	assert_int_equal(uidalloc_get(dir, 2000, 2001, "b", taken_list, busy, &u, &e), -1);
	assert_int_equal(e.code, ERR_BUSY);
	assert_non_null(strstr(e.msg, "b: no free uid in vm_uid_range 2000-2001 "
			       "(1 held by VMs"));
	assert_non_null(strstr(e.msg, "1 used on the host"));
	/* the refused VM got no line */
	{
		struct uid_table t;

		assert_int_equal(uidtab_read(dir, &t, &e), 0);
		assert_int_equal(t.n, 1);
		assert_null(uidtab_find(&t, "b"));
		uidtab_free(&t);
	}
}

static void free_line(void **state)
{
	uid_t none[] = {0};
	uid_t u;
	struct err e;

	(void)state;
	assert_int_equal(uidalloc_get(dir, 3000, 3009, "a", taken_list, none, &u, &e), 0);
	assert_int_equal(uidalloc_get(dir, 3000, 3009, "b", taken_list, none, &u, &e), 0);
	assert_int_equal(uidalloc_free(dir, "a", &u, &e), 0);
	assert_int_equal(u, 3000);
	assert_int_equal(uidalloc_free(dir, "a", &u, &e), -1);
	assert_int_equal(e.code, ERR_NOENT);
	assert_non_null(strstr(e.msg, "a: no uid in "));
	/* the lowest free again: a's old uid, b keeps its own */
	assert_int_equal(uidalloc_get(dir, 3000, 3009, "c", taken_list, none, &u, &e), 0);
	assert_int_equal(u, 3000);
	assert_int_equal(uidalloc_get(dir, 3000, 3009, "b", taken_list, none, &u, &e), 0);
	assert_int_equal(u, 3001);
}

static void bad_table(void **state)
{
	struct uid_table t;
	struct err e;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/uids", dir);
	/* a missing table is empty */
	assert_int_equal(uidtab_read(dir, &t, &e), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(test_sh("printf '# c\\na 5\\nb x\\n' > %s && chmod 644 %s",
				 path, path), 0);
	assert_int_equal(uidtab_read(dir, &t, &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	assert_non_null(strstr(e.msg, "/uids:3: 'b x': not 'VM UID'"));
	assert_int_equal(test_sh("printf 'a 5\\na 6\\n' > %s && true", path), 0);
	assert_int_equal(uidtab_read(dir, &t, &e), -1);
	assert_non_null(strstr(e.msg, "/uids:2: 'a 6'"));
	/* others may not write it */
	assert_int_equal(test_sh("printf 'a 5\\n' > %s && chmod 664 %s", path, path), 0);
	assert_int_equal(uidtab_read(dir, &t, &e), -1);
	assert_int_equal(e.code, ERR_PERM);
	assert_non_null(strstr(e.msg, "mode 0664"));
	assert_int_equal(test_sh("chmod 644 %s", path), 0);
	assert_int_equal(uidtab_read(dir, &t, &e), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(uidtab_find(&t, "a")->uid, 5);
	uidtab_free(&t);
}

static struct config *load(const char *fmt, ...)
{
	char path[128], *text;
	struct config *cfg;
	struct err e;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	assert_true(vasprintf(&text, fmt, ap) > 0);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/umlmon.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(text);
	cfg = config_load(path, &e);
	assert_non_null(cfg);
	assert_int_equal(cfg->nerrors, 0);
	return cfg;
}

/* The configuration: only the VM asked for gets a uid; the others with a
 * line get theirs, those without keep none. */
static void resolve(void **state)
{
	struct config *cfg;
	struct err e;

	(void)state;
	/* the range is one nobody on a test host names */
	cfg = load("[GLOBAL]\nvardir = %s\nvm_uid_range = 1999000000-1999000009\n"
		   "[a]\nubd0 = /disks/r.dsk\n[b]\nubd0 = /disks/r.dsk\n"
		   "[n]\nvmuser = nobody\nubd0 = /disks/r.dsk\n", dir);
	assert_int_equal(uidalloc_resolve(cfg, NULL, &e), 0);
	assert_int_equal(config_vm(cfg, "a")->uid, (uid_t)-1);
	assert_int_equal(uidalloc_resolve(cfg, "b", &e), 0);
	assert_int_equal(config_vm(cfg, "a")->uid, (uid_t)-1);
	assert_int_equal(config_vm(cfg, "b")->uid, 1999000000);
	assert_int_equal(config_vm(cfg, "b")->gid, 1999000000);
	assert_int_equal(config_vm(cfg, "n")->uid, 65534);
	config_free(cfg);
	cfg = load("[GLOBAL]\nvardir = %s\nvm_uid_range = 1999000000-1999000009\n"
		   "[a]\nubd0 = /disks/r.dsk\n[b]\nvmuser = auto\nubd0 = /disks/r.dsk\n",
		   dir);
	assert_int_equal(uidalloc_resolve(cfg, "a", &e), 0);
	assert_int_equal(config_vm(cfg, "a")->uid, 1999000001);
	assert_int_equal(config_vm(cfg, "b")->uid, 1999000000);
	assert_int_equal(vmuser_check(cfg, config_vm(cfg, "a"), NULL, &e), 0);
	config_free(cfg);
}

/* A vmuser another VM, umldir or nobody has is refused naming who; so
 * is one a process runs as; vmuser_shared lets it be. */
static void shared(void **state)
{
	struct passwd *pw = getpwuid(1);
	struct config *cfg;
	struct err e;
	char user[64];

	(void)state;
	assert_non_null(pw);
	snprintf(user, sizeof(user), "%s", pw->pw_name);
	cfg = load("[GLOBAL]\nvardir = %s\n"
		   "[a]\nvmuser = %s\nubd0 = /disks/r.dsk\n"
		   "[b]\nvmuser = %s\nubd0 = /disks/r.dsk\nvmuser_shared = yes\n"
		   "[n]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		   "[s]\nvmuser = nobody\nubd0 = /disks/r.dsk\nvmuser_shared = yes\n",
		   dir, user, user);
	assert_int_equal(vmuser_check(cfg, config_vm(cfg, "a"), NULL, &e), -1);
	assert_int_equal(e.code, ERR_SHARED);
	assert_non_null(strstr(e.msg, "a: vmuser "));
	assert_non_null(strstr(e.msg, " (uid 1) is shared with VM b;"));
	assert_int_equal(vmuser_check(cfg, config_vm(cfg, "b"), NULL, &e), 0);
	assert_int_equal(vmuser_check(cfg, config_vm(cfg, "n"), NULL, &e), -1);
	assert_int_equal(e.code, ERR_SHARED);
	assert_non_null(strstr(e.msg, "n: vmuser nobody (uid 65534) is shared "
			       "with VM s;"));
	config_vm(cfg, "s")->uid = 12345; /* only nobody left to share with */
	assert_int_equal(vmuser_check(cfg, config_vm(cfg, "n"), NULL, &e), -1);
	assert_non_null(strstr(e.msg, "shared with nobody (uid 65534)"));
	config_free(cfg);
}

/* A process that runs as a uid: refused at a start unless its root is
 * the VM's jail; the allocator passes over its uid. Needs root, to
 * become that uid. */
static void process(void **state)
{
	const uid_t id = 1999000050;
	char want[64], *status = NULL;
	struct config *cfg;
	struct err e;
	uid_t u;
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(id) < 0 || setuid(id) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	/* wait for the child to have become id */
	snprintf(want, sizeof(want), "Uid:\t%u", (unsigned)id);
	for (int i = 0; i < 5000 && !(status && strstr(status, want)); i++) {
		char path[64];

		free(status);
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		status = read_file(path, 8192, NULL);
		if (!(status && strstr(status, want)))
			usleep(1000);
	}
	assert_non_null(strstr(status, want));
	free(status);
	cfg = load("[GLOBAL]\nvardir = %s\nvm_uid_range = %u-%u\n"
		   "[a]\nubd0 = /disks/r.dsk\n", dir, (unsigned)id, (unsigned)id + 1);
	config_vm(cfg, "a")->uid = id;
	assert_int_equal(vmuser_check(cfg, config_vm(cfg, "a"), NULL, &e), 0);
	assert_int_equal(vmuser_check(cfg, config_vm(cfg, "a"), "/", &e), 0);
	assert_int_equal(vmuser_check(cfg, config_vm(cfg, "a"), dir, &e), -1);
	assert_int_equal(e.code, ERR_SHARED);
	snprintf(want, sizeof(want), "a process on the host, pid %d (", (int)pid);
	assert_non_null(strstr(e.msg, want));
	assert_int_equal(uidalloc_get(dir, id, id + 1, "a", NULL, NULL, &u, &e), 0);
	assert_int_equal(u, id + 1);
	config_free(cfg);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lowest_free_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(full_range, setup, teardown),
		cmocka_unit_test_setup_teardown(free_line, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_table, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(shared, setup, teardown),
		cmocka_unit_test_setup_teardown(process, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
