/* Unit tests of the configuration parser: good files, and that every bad
 * line gets "file:line: key: cause". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/config.h"

static char path[64];

static struct config *load_text(const char *text)
{
	struct config *cfg;
	struct err e;
	int fd;

	strcpy(path, "/tmp/umlmon-cfg-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	cfg = config_load(path, &e);
	unlink(path);
	assert_non_null(cfg);
	return cfg;
}

/* The error that contains needle, or fail. */
static const char *find_error(struct config *cfg, const char *needle)
{
	for (int i = 0; i < cfg->nerrors; i++)
		if (strstr(cfg->errors[i], needle))
			return cfg->errors[i];
	for (int i = 0; i < cfg->nerrors; i++)
		print_error("error %d: %s\n", i, cfg->errors[i]);
	fail_msg("no error containing '%s'", needle);
	return NULL;
}

static void good_file(void **state)
{
	struct config *cfg;
	struct vm_conf *vm;

	(void)state;
	cfg = load_text("[GLOBAL]\nvardir = /srv/uml\n\n"
			"[vm1]\nvmuser = nobody\nmemory = 256M\n"
			"ubd0 = /disks/root.dsk\n"
			"ubd1r = /disks/a.cow, /shared/disks/base.dsk\n"
			"con2 = log\nssl0 = null\nargs = quiet\nargs = init=/bin/sh\n"
			"stop_timeout = 5\nstart = boot\n"
			"[vm2]\nvmuser = nobody\nubd0 = /shared/disks/x.dev\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_string_equal(cfg->global.vardir, "/srv/uml");
	assert_string_equal(cfg->global.shared, "/srv/uml/shared");
	assert_int_equal(cfg->nvms, 2);
	vm = config_vm(cfg, "vm1");
	assert_non_null(vm);
	assert_string_equal(vm->kernel, UMLMON_DEFAULT_KERNEL);
	assert_int_equal(vm->memory, 256ULL << 20);
	assert_int_equal(vm->ndisks, 2);
	assert_string_equal(vm->disks[1].path, "/disks/a.cow");
	assert_string_equal(vm->disks[1].backing, "/shared/disks/base.dsk");
	assert_string_equal(vm->disks[1].flags, "r");
	assert_string_equal(vm->args, "quiet init=/bin/sh");
	assert_int_equal(vm->stop_timeout, 5);
	assert_int_equal(vm->start, START_BOOT);
	/* defaults and order: con0 log, con1 pty, con2 log, ssl0 null */
	assert_int_equal(vm->nchans, 4);
	assert_string_equal(vm->chans[0].name, "con0");
	assert_int_equal(vm->chans[0].mode, CHAN_LOG);
	assert_string_equal(vm->chans[1].name, "con1");
	assert_int_equal(vm->chans[1].mode, CHAN_PTY);
	assert_string_equal(vm->chans[2].name, "con2");
	assert_string_equal(vm->chans[3].name, "ssl0");
	assert_int_equal(vm->chans[3].mode, CHAN_NULL);
	assert_null(config_vm(cfg, "vm3"));
	config_free(cfg);
}

static void bad_lines(void **state)
{
	struct config *cfg;
	char want[128];

	(void)state;
	cfg = load_text("[GLOBAL]\n"                      /* 1 */
			"vardir = relative\n"               /* 2 */
			"colour = blue\n"                   /* 3 */
			"[vm1]\n"                           /* 4 */
			"vmuser = root\n"                   /* 5 */
			"memory = lots\n"                   /* 6 */
			"ubd0 = /etc/passwd.dsk\n"          /* 7 */
			"ubd1 = /disks/../x.dsk\n"          /* 8 */
			"ubd2x = /disks/a.dsk\n"            /* 9 */
			"ubd16 = /disks/b.dsk\n"            /* 10 */
			"con1 = telnet\n"                   /* 11 */
			"args = umid=evil\n"                /* 12 */
			"memory = 64M\n"                    /* 13 */
			"ubd3 = /disks/c.img\n"             /* 14 */
			"stop_timeout = -1\n"               /* 15 */
			"[bad name!]\n"                     /* 16 */
			"vmuser = nobody\n"                 /* 17 */
			"[vm1]\n");                         /* 18 */
	snprintf(want, sizeof(want), "%s:2: vardir: 'relative'", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:3: colour: unknown key", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:5: vmuser: 'root' is root", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:6: memory: 'lots' is not a size", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:7: ubd0: '/etc/passwd.dsk': disks must be in", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:8: ubd1: '/disks/../x.dsk': contains", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:9: ubd2x: unknown disk flags 'x'", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:10: ubd16: the kernel has ubd0 to ubd15", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:11: con1: unknown channel 'telnet' "
		 "(expected pty, log, null)", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:12: args: 'umid=evil' is set by the monitor", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:13: memory: given twice (first at line 6)", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:14: ubd3: '/disks/c.img': unknown disk kind", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:15: stop_timeout:", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:16: [bad name!]: VM name may hold only", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:18: [vm1]: section given twice (first at line 4)",
		 path);
	assert_non_null(find_error(cfg, want));
	/* errors are charged to their sections */
	assert_int_equal(cfg->global.nerrors, 2);
	assert_true(config_vm(cfg, "vm1")->nerrors >= 10);
	config_free(cfg);
}

static void missing_and_syntax(void **state)
{
	struct config *cfg;
	struct err e;
	char want[128];

	(void)state;
	cfg = load_text("[vm1]\nubd0 = /disks/root.dsk\n[vm2]\nvmuser = nobody\n"
			"ubd0 = /disks/r.dsk\nthis is not a key value line\n"
			"[vm3]\nvmuser = nosuchuser_umlmon\nubd0 = /disks/r.dsk\n"
			"[empty]\n");
	snprintf(want, sizeof(want), "%s:1: [vm1]: 'vmuser' is missing", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:6: syntax error", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:8: vmuser: no such user 'nosuchuser_umlmon'",
		 path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:10: [empty]: no disk", path);
	assert_non_null(find_error(cfg, want));
	/* the syntax error belongs to vm2, not to vm1 or [GLOBAL] */
	assert_int_equal(config_vm(cfg, "vm2")->nerrors, 1);
	assert_int_equal(cfg->global.nerrors, 0);
	config_free(cfg);
	assert_null(config_load("/nonexistent/umlmon.conf", &e));
	assert_non_null(strstr(e.msg, "/nonexistent/umlmon.conf"));
}

static void long_line(void **state)
{
	char text[600];
	struct config *cfg;

	(void)state;
	snprintf(text, sizeof(text), "[vm1]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		 "args = %0300d\nmemory = 64M\n", 7);
	cfg = load_text(text);
	assert_non_null(find_error(cfg, ":4: args: line is too long"));
	/* the next line is still read, with its own number */
	assert_int_equal(config_vm(cfg, "vm1")->memory, 64ULL << 20);
	config_free(cfg);
}

static void names(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(config_valid_name("vm-1_a.b", &e), 0);
	assert_int_equal(config_valid_name("", &e), -1);
	assert_int_equal(config_valid_name("-x", &e), -1);
	assert_int_equal(config_valid_name("a/b", &e), -1);
	assert_int_equal(config_valid_name("shared", &e), -1);
	assert_int_equal(config_valid_name("0123456789012345678901234567890123", &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_file),
		cmocka_unit_test(bad_lines),
		cmocka_unit_test(missing_and_syntax),
		cmocka_unit_test(long_line),
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
