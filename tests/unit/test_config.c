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
	/* no vmuser: a user of its own (vmuser = auto), not an error */
	assert_string_equal(config_vm(cfg, "vm1")->vmuser, "auto");
	assert_true(config_vm(cfg, "vm1")->uid_auto);
	assert_int_equal(config_vm(cfg, "vm1")->uid, (uid_t)-1);
	snprintf(want, sizeof(want), "%s:6: syntax error", path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:8: vmuser: no such user 'nosuchuser_umlmon'",
		 path);
	assert_non_null(find_error(cfg, want));
	snprintf(want, sizeof(want), "%s:10: [empty]: no disk", path);
	assert_non_null(find_error(cfg, want));
	/* the syntax error belongs to vm2, not to vm1 or [GLOBAL] */
	assert_int_equal(config_vm(cfg, "vm2")->nerrors, 1);
	assert_int_equal(config_vm(cfg, "vm1")->nerrors, 0);
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

/* The errors of a file, one per line of text, in the parser's order. */
static char *all_errors(struct config *cfg)
{
	struct strbuf sb;

	sb_init(&sb);
	for (int i = 0; i < cfg->nerrors; i++)
		sb_printf(&sb, "%s\n", cfg->errors[i] + strlen(path) + 1);
	return sb_steal(&sb);
}

/* A refused key is one error, not also a missing one. */
static void no_cascade(void **state)
{
	struct config *cfg;
	char *all;

	(void)state;
	cfg = load_text("[vm1]\nvmuser = nosuchuser_umlmon\nubd0 = /disks/r.dsk\n"
			"[vm2]\nvmuser = nobody\nubd0 = /etc/passwd\n"
			"[vm3]\nvmuser =\nubd0r = /disks/a.dsk\nubd0 = /disks/b.dsk\n"
			"[vm4]\nvmuser = root\nudb0 = /disks/r.dsk\n");
	all = all_errors(cfg);
	assert_string_equal(all,
		"2: vmuser: no such user 'nosuchuser_umlmon'\n"
		"6: ubd0: '/etc/passwd': disks must be in /disks or /shared/disks\n"
		"8: vmuser: empty value\n"
		"10: ubd0: ubd0 is already given (line 9)\n"
		"12: vmuser: 'root' is root; a VM must run as an unprivileged user\n"
		"13: udb0: unknown key; did you mean 'ubd0'?\n");
	free(all);
	for (int i = 0; i < cfg->nvms; i++)
		assert_int_equal(cfg->vms[i].nerrors, i >= 2 ? 2 : 1);
	config_free(cfg);
	/* what is really missing is still reported */
	cfg = load_text("[vm1]\nmemory = 64M\n");
	all = all_errors(cfg);
	assert_string_equal(all,
		"1: [vm1]: no disk (set ubd0 = /disks/root.dsk or similar)\n");
	free(all);
	config_free(cfg);
}

/* Errors come in line order, whatever check found them. */
static void line_order(void **state)
{
	struct config *cfg;
	char *all;

	(void)state;
	cfg = load_text("[vm1]\n"                                         /* 1 */
			"memory = lots\n"                                 /* 2 */
			"eth0 = switched(switch=a, mac=02:00:00:00:00:01)\n" /* 3 */
			"[GLOBAL]\n"                                      /* 4 */
			"vardir = rel\n"                                  /* 5 */
			"[vm2]\n"                                         /* 6 */
			"vmuser = nobody\n"                               /* 7 */
			"ubd0 = /disks/r.dsk\n"                           /* 8 */
			"eth1 = switched(switch=b, mac=02:00:00:00:00:01)\n" /* 9 */
			"not a key value line\n"                          /* 10 */
			"start = never\n");                               /* 11 */
	all = all_errors(cfg);
	assert_string_equal(all,
		"1: [vm1]: no disk (set ubd0 = /disks/root.dsk or similar)\n"
		"2: memory: 'lots' is not a size (a number with an optional "
		"fraction and unit: 4096, 512K, 128M, 1.5G, 2T)\n"
		"5: vardir: 'rel': must be an absolute path inside the jail\n"
		"9: eth1: mac 02:00:00:00:00:01 is already vm1's eth0 (line 3)\n"
		"10: syntax error (expected '[section]', 'key = value' or a comment)\n"
		"11: start: unknown start mode 'never' (expected off, manual, boot)\n");
	free(all);
	config_free(cfg);
}

/* An unknown key names the key that was meant. */
static void suggestions(void **state)
{
	static const struct { int global; const char *line, *want; } cases[] = {
		{0, "memroy = 64M", "memroy: unknown key; did you mean 'memory'?"},
		{0, "Memory = 64M", "Memory: unknown key; did you mean 'memory'?"},
		{0, "kernal = /k", "kernal: unknown key; did you mean 'kernel'?"},
		{0, "user = nobody", "user: unknown key; did you mean 'vmuser'?"},
		{0, "stop_timout = 3", "stop_timout: unknown key; did you mean "
		 "'stop_timeout'?"},
		{0, "udb1r = /disks/a.dsk", "udb1r: unknown key; did you mean 'ubd1r'?"},
		{0, "cn2 = pty", "cn2: unknown key; did you mean 'con2'?"},
		{0, "eht0 = switched(switch=a)", "eht0: unknown key; did you mean 'eth0'?"},
		{0, "ubd = /disks/a.dsk", "ubd: needs a number (ubd0, ubd1, ...)"},
		{0, "vardir = /srv", "vardir: a key of [GLOBAL], not of a VM section"},
		{0, "colour = blue", "colour: unknown key (expected vmuser, vmuser_shared, kernel, "
		 "memory, ubdN, conN, sslN, ethN, netdriver, args, stop_timeout, "
		 "log_max, log_keep, start, on_panic, password, password_file, tcp, "
		 "tcp_bind, tls_cert, tls_key, max_clients, max_clients_per_peer, "
		 "max_unauthenticated, auth_timeout, kdf_iterations)"},
		{0, "con1x = pty", "con1x: unknown key (expected"},
		{0, "ubd16 = /disks/a.dsk", "ubd16: the kernel has ubd0 to ubd15"},
		{0, "ssl64 = pty", "ssl64: the kernel has con0 to con15 and ssl0 to ssl63"},
		{1, "vardri = /srv", "vardri: unknown key; did you mean 'vardir'?"},
		{1, "memory = 64M", "memory: a VM's key; it belongs in a VM section, "
		 "not in [GLOBAL]"},
		{1, "eth0 = switched(switch=a)", "eth0: a VM's key; it belongs in a "
		 "VM section"},
		{1, "colour = blue", "colour: unknown key in [GLOBAL] (expected vardir, "
		 "shared, rundir, ctrl_group, mac_pool, master_password, "
		 "master_password_file, umldir_port, umlredir_port, umldir_bind, "
		 "umldir_user, web_bind, web_port, web_user, web_remote, web_tls_cert, web_tls_key, vm_uid_range, vmuser_shared, tcp, tcp_bind, tls_cert, tls_key, max_clients, "
		 "max_clients_per_peer, max_unauthenticated, auth_timeout, "
		 "kdf_iterations)"},
	};
	char text[256], want[256];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* the key is on line 4 */
		snprintf(text, sizeof(text), "%s\n%s\n", cases[i].global ?
			 "[GLOBAL]\n\n" : "[vm1]\nvmuser = nobody\nubd0 = /disks/r.dsk",
			 cases[i].line);
		cfg = load_text(text);
		snprintf(want, sizeof(want), "%s:4: %s", path, cases[i].want);
		assert_non_null(find_error(cfg, want));
		assert_int_equal(cfg->nerrors, 1);
		config_free(cfg);
	}
}

/* Sizes with fractions; memory in whole MiB. */
static void sizes(void **state)
{
	static const struct { const char *line, *want; uint64_t memory, log_max; } cases[] = {
		{"memory = 1.5G", NULL, 1536ULL << 20, 0},
		{"memory = 256", NULL, 256ULL << 20, 0},
		{"memory = 64.5", "memory: '64.5' is not a whole number of MiB", 0, 0},
		{"memory = 100.1M", "memory: '100.1M' is not a whole number of bytes", 0, 0},
		{"memory = 64G", NULL, 64ULL << 30, 0},
		{"memory = 64.5G", "memory: '64.5G' is above the maximum of 64G", 0, 0},
		/* the minimum (UMLMON_MIN_MEMORY): at it taken, below refused */
		{"memory = 32M", NULL, 32ULL << 20, 0},
		{"memory = 31", "memory: '31' is below the minimum of 32M (the kernel "
		 "does not boot reliably with less)", 0, 0},
		{"memory = 16M", "memory: '16M' is below the minimum of 32M", 0, 0},
		{"memory = 99999999999999999999", "is too large", 0, 0},
		{"log_max = 0.5M", NULL, 0, 512ULL << 10},
		{"log_max = 1.1K", "log_max: '1.1K' is not a whole number of bytes", 0, 0},
		{"log_max = 2K", "log_max: '2K' is too small (0 for no cap", 0, 0},
	};
	char text[256], want[256];
	struct config *cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "[vm1]\nvmuser = nobody\n"
			 "ubd0 = /disks/r.dsk\n%s\n", cases[i].line);
		cfg = load_text(text);
		if (cases[i].want) {
			snprintf(want, sizeof(want), "%s:4: %s", path, cases[i].want);
			if (strstr(cases[i].want, ": '"))
				assert_non_null(find_error(cfg, want));
			else
				assert_non_null(find_error(cfg, cases[i].want));
			assert_int_equal(cfg->nerrors, 1);
		} else {
			assert_int_equal(cfg->nerrors, 0);
			if (cases[i].memory)
				assert_int_equal(cfg->vms[0].memory, cases[i].memory);
			if (cases[i].log_max)
				assert_int_equal(cfg->vms[0].log_max, cases[i].log_max);
		}
		config_free(cfg);
	}
}

/* Remote keys: [GLOBAL] gives every VM's default, a VM's own key wins
 * (whatever the order of the sections); TCP without a password, half a
 * TLS pair, a host name as bind address and a short password are refused. */
static void remote(void **state)
{
	struct config *cfg;
	struct vm_conf *a, *b;

	(void)state;
	cfg = load_text("[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
			"password = secret-a1\nmax_clients = 5\ntcp_bind = ::1\n"
			"[GLOBAL]\ntcp = yes\ntcp_bind = 127.0.0.1\nmax_clients = 9\n"
			"master_password_file = /etc/umlmon.master\numldir_port = 999\n"
			"[b]\nvmuser = nobody\nubd0 = /disks/r.dsk\ntcp = no\n");
	assert_int_equal(cfg->nerrors, 0);
	a = config_vm(cfg, "a");
	b = config_vm(cfg, "b");
	assert_int_equal(a->remote.tcp, 1);
	assert_int_equal(a->remote.max_clients, 5);
	assert_string_equal(a->remote.tcp_bind, "::1");
	assert_string_equal(a->password, "secret-a1");
	assert_int_equal(b->remote.tcp, 0);
	assert_int_equal(b->remote.max_clients, 9);
	assert_string_equal(b->remote.tcp_bind, "127.0.0.1");
	assert_int_equal(b->remote.max_unauth, UMLMON_DEFAULT_MAX_UNAUTH);
	assert_int_equal(cfg->global.umldir_port, 999);
	assert_string_equal(cfg->global.master_password_file, "/etc/umlmon.master");
	config_free(cfg);

	cfg = load_text("[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\ntcp = yes\n"
			"tls_cert = /etc/c.pem\ntcp_bind = example.org\n"
			"[b]\nvmuser = nobody\nubd0 = /disks/r.dsk\npassword = short\n"
			"kdf_iterations = 5\n");
	find_error(cfg, ":1: [a]: 'tcp = yes' needs a password");
	find_error(cfg, ":1: [a]: TLS needs both 'tls_cert' and 'tls_key'");
	find_error(cfg, ":6: tcp_bind: 'example.org' is not a numeric IPv4 or IPv6");
	find_error(cfg, ":10: password: too short (at least 8 characters");
	find_error(cfg, ":11: kdf_iterations: '5' is not a number of iterations");
	config_free(cfg);
}

/* The VMs' users: no vmuser or "auto" is a user of its own (no uid until
 * uidalloc); vm_uid_range's default and bad values; vmuser_shared from
 * [GLOBAL], a VM's own wins. */
static void vm_users(void **state)
{
	struct config *cfg;
	char *all;

	(void)state;
	cfg = load_text("[a]\nubd0 = /disks/r.dsk\n"
			"[b]\nvmuser = auto\nubd0 = /disks/r.dsk\nvmuser_shared = yes\n"
			"[c]\nvmuser = nobody\nubd0 = /disks/r.dsk\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_int_equal(cfg->global.uid_first, UMLMON_DEFAULT_UID_FIRST);
	assert_int_equal(cfg->global.uid_last, UMLMON_DEFAULT_UID_LAST);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(cfg->vms[i].vmuser, "auto");
		assert_true(cfg->vms[i].uid_auto);
		assert_int_equal(cfg->vms[i].uid, (uid_t)-1);
	}
	assert_false(config_vm(cfg, "a")->vmuser_shared);
	assert_true(config_vm(cfg, "b")->vmuser_shared);
	assert_false(config_vm(cfg, "c")->uid_auto);
	assert_int_equal(config_vm(cfg, "c")->uid, 65534);
	config_free(cfg);

	cfg = load_text("[GLOBAL]\nvm_uid_range = 200000-200009\nvmuser_shared = yes\n"
			"[a]\nubd0 = /disks/r.dsk\n"
			"[b]\nubd0 = /disks/r.dsk\nvmuser_shared = no\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_int_equal(cfg->global.uid_first, 200000);
	assert_int_equal(cfg->global.uid_last, 200009);
	assert_true(config_vm(cfg, "a")->vmuser_shared);
	assert_false(config_vm(cfg, "b")->vmuser_shared);
	config_free(cfg);

	cfg = load_text("[GLOBAL]\nvm_uid_range = 5\n"              /* 2 */
			"[x]\nubd0 = /disks/r.dsk\nvmuser_shared = maybe\n" /* 3-5 */
			"[GLOBAL]\nvm_uid_range = 0-10\n"                 /* 6-7 */
			"[GLOBAL]\nvm_uid_range = 20-10\n");              /* 8-9 */
	all = all_errors(cfg);
	assert_string_equal(all,
		"2: vm_uid_range: '5' is not FIRST-LAST (e.g. 458752-524287)\n"
		"5: vmuser_shared: unknown value 'maybe' (expected yes, no, true, "
		"false, on, off, 1, 0)\n"
		"7: vm_uid_range: '0-10': FIRST and LAST must be uids from 1 to "
		"2147483646, FIRST <= LAST\n"
		"9: vm_uid_range: '20-10': FIRST and LAST must be uids from 1 to "
		"2147483646, FIRST <= LAST\n");
	free(all);
	config_free(cfg);
	/* VARDIR/uids is not a VM's */
	cfg = load_text("[uids]\nubd0 = /disks/r.dsk\n");
	assert_non_null(find_error(cfg, "'uids' is reserved"));
	config_free(cfg);
}

/* The kernel's rlimits: defaults, [GLOBAL] for every VM, a VM's own key
 * wins; bad values are refused naming the key. */
static void limits(void **state)
{
	struct config *cfg;
	struct vm_conf *a, *b;

	(void)state;
	cfg = load_text("[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
			"limit_nofile = 300\nlimit_core = unlimited\n"
			"[GLOBAL]\nlimit_nofile = 2048\nlimit_memlock = 1M\n"
			"[b]\nvmuser = nobody\nubd0 = /disks/r.dsk\nlimit_nproc = 77\n"
			"[c]\nvmuser = nobody\nubd0 = /disks/r.dsk\n");
	assert_int_equal(cfg->nerrors, 0);
	a = config_vm(cfg, "a");
	b = config_vm(cfg, "b");
	assert_int_equal(a->limits.v[LIMIT_NOFILE], 300);
	assert_true(a->limits.v[LIMIT_CORE] == UMLMON_LIMIT_INFINITY);
	assert_int_equal(a->limits.v[LIMIT_MEMLOCK], 1 << 20);
	assert_int_equal(a->limits.v[LIMIT_NPROC], UMLMON_DEFAULT_LIMIT_NPROC);
	assert_int_equal(b->limits.v[LIMIT_NOFILE], 2048);
	assert_int_equal(b->limits.v[LIMIT_NPROC], 77);
	assert_int_equal(b->limits.v[LIMIT_CORE], 0);
	config_free(cfg);
	cfg = load_text("[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
			"limit_nofile = 1024\n");
	a = config_vm(cfg, "a");
	assert_int_equal(a->limits.v[LIMIT_NOFILE], UMLMON_DEFAULT_LIMIT_NOFILE);
	assert_int_equal(a->limits.v[LIMIT_MEMLOCK], UMLMON_DEFAULT_LIMIT_MEMLOCK);
	config_free(cfg);

	cfg = load_text("[GLOBAL]\nlimit_core = 2T\n"
			"[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
			"limit_nofile = lots\nlimit_nproc = 3\nlimit_memlock = 1.5x\n"
			"limit_nofile = 10\n");
	find_error(cfg, ":2: limit_core: '2T' is out of range (0 to 1T, or unlimited)");
	find_error(cfg, ":6: limit_nofile: 'lots' is not a number of descriptors "
		   "from 64 to 1048576");
	find_error(cfg, ":7: limit_nproc: '3' is not a number of processes");
	find_error(cfg, ":8: limit_memlock: '1.5x' is not a size");
	config_free(cfg);
}

/* A yes/no key of [GLOBAL] and the VMs (the int at off in vm_conf): yes
 * unless said otherwise; [GLOBAL] for every VM, a VM's own key wins (in
 * either order); a bad value is refused naming the key. */
static void yes_no_inherited(const char *key, size_t off)
{
	struct config *cfg;
	char text[256];

#define FIELD(vm) (*(const int *)((const char *)(vm) + off))
	cfg = load_text("[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_int_equal(FIELD(config_vm(cfg, "a")), 1);
	config_free(cfg);
	snprintf(text, sizeof(text), "[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		 "%s = yes\n[GLOBAL]\n%s = no\n"
		 "[b]\nvmuser = nobody\nubd0 = /disks/r.dsk\n", key, key);
	cfg = load_text(text);
	assert_int_equal(cfg->nerrors, 0);
	assert_int_equal(FIELD(config_vm(cfg, "a")), 1);
	assert_int_equal(FIELD(config_vm(cfg, "b")), 0);
	config_free(cfg);
	snprintf(text, sizeof(text), "[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
		 "%s = maybe\n", key);
	cfg = load_text(text);
	snprintf(text, sizeof(text), ":4: %s: unknown value 'maybe' (expected yes, "
		 "no,", key);
	find_error(cfg, text);
	config_free(cfg);
#undef FIELD
}

static void seccomp(void **state)
{
	(void)state;
	yes_no_inherited("seccomp", offsetof(struct vm_conf, seccomp));
}

static void fastboot(void **state)
{
	(void)state;
	yes_no_inherited("fastboot", offsetof(struct vm_conf, fastboot));
}

/* [GLOBAL] start_concurrency: VMs booting at once, 0 for all. */
static void start_concurrency(void **state)
{
	struct config *cfg = load_text("[GLOBAL]\n");

	(void)state;
	assert_int_equal(cfg->global.start_concurrency, UMLMON_DEFAULT_START_CONCURRENCY);
	config_free(cfg);
	cfg = load_text("[GLOBAL]\nstart_concurrency = 0\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_int_equal(cfg->global.start_concurrency, 0);
	config_free(cfg);
	cfg = load_text("[GLOBAL]\nstart_concurrency = -1\n");
	find_error(cfg, ":2: start_concurrency: '-1' is not a number of VMs from 0 to 4096");
	config_free(cfg);
	cfg = load_text("[GLOBAL]\n[a]\nstart_concurrency = 2\n");
	assert_true(cfg->nerrors > 0);
	config_free(cfg);
}

/* [GLOBAL] host_reserve: a size, 512M unless given. */
static void host_reserve(void **state)
{
	struct config *cfg;

	(void)state;
	cfg = load_text("[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_true(cfg->global.host_reserve == UMLMON_DEFAULT_HOST_RESERVE);
	assert_true(UMLMON_DEFAULT_HOST_RESERVE == 512ULL << 20);
	config_free(cfg);
	cfg = load_text("[GLOBAL]\nhost_reserve = 1.5G\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_true(cfg->global.host_reserve == 3ULL << 29);
	config_free(cfg);
	cfg = load_text("[GLOBAL]\nhost_reserve = 0\n[a]\nhost_reserve = 1G\n");
	assert_true(cfg->global.host_reserve == 0);
	config_free(cfg);
	cfg = load_text("[GLOBAL]\nhost_reserve = some\n");
	find_error(cfg, ":2: host_reserve: 'some' is not a size");
	config_free(cfg);
}

/* The cgroup's limits, kept like the rlimits; cgroup_parent in [GLOBAL]
 * only, one directory name. */
static void cgroup_keys(void **state)
{
	struct config *cfg;
	struct vm_conf *a, *b;

	(void)state;
	cfg = load_text("[GLOBAL]\ncpu_weight = 300\npids_max = 200\n"
			"cgroup_parent = vms\n"
			"[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
			"memory_allowance = 0\ncpu_quota = 150\npids_max = 64\n"
			"[b]\nvmuser = nobody\nubd0 = /disks/r.dsk\ncpu_quota = none\n"
			"io_weight = 500\n");
	assert_int_equal(cfg->nerrors, 0);
	assert_string_equal(cfg->global.cgroup_parent, "vms");
	a = config_vm(cfg, "a");
	b = config_vm(cfg, "b");
	assert_int_equal(a->cgroup.v[CG_MEM_ALLOWANCE], 0);
	assert_int_equal(a->cgroup.v[CG_CPU_QUOTA], 150);
	assert_int_equal(a->cgroup.v[CG_PIDS_MAX], 64);
	assert_int_equal(a->cgroup.v[CG_CPU_WEIGHT], 300);
	assert_int_equal(a->cgroup.v[CG_IO_WEIGHT], UMLMON_DEFAULT_IO_WEIGHT);
	assert_int_equal(b->cgroup.v[CG_MEM_ALLOWANCE], UMLMON_DEFAULT_MEMORY_ALLOWANCE);
	assert_int_equal(b->cgroup.v[CG_CPU_QUOTA], 0);
	assert_int_equal(b->cgroup.v[CG_PIDS_MAX], 200);
	assert_int_equal(b->cgroup.v[CG_IO_WEIGHT], 500);
	config_free(cfg);
	cfg = load_text("[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n");
	assert_string_equal(cfg->global.cgroup_parent, UMLMON_DEFAULT_CGROUP_PARENT);
	a = config_vm(cfg, "a");
	assert_int_equal(a->cgroup.v[CG_PIDS_MAX], UMLMON_DEFAULT_PIDS_MAX);
	assert_int_equal(a->cgroup.v[CG_CPU_WEIGHT], UMLMON_DEFAULT_CPU_WEIGHT);
	assert_int_equal(a->cgroup.v[CG_CPU_QUOTA], UMLMON_DEFAULT_CPU_QUOTA);
	config_free(cfg);

	cfg = load_text("[GLOBAL]\ncgroup_parent = a/b\n"
			"[a]\nvmuser = nobody\nubd0 = /disks/r.dsk\n"
			"cpu_weight = 0\ncpu_quota = lots\npids_max = 8\n"
			"memory_allowance = 65G\ncgroup_parent = x\n");
	find_error(cfg, ":2: cgroup_parent: 'a/b' is not a directory name");
	find_error(cfg, ":6: cpu_weight: '0' is not a number of 1 to 10000");
	find_error(cfg, ":7: cpu_quota: 'lots' is not a number of percent of one CPU");
	find_error(cfg, ":8: pids_max: '8' is not a number of processes from 16");
	find_error(cfg, ":9: memory_allowance: '65G' is out of range (0 to 64G)");
	find_error(cfg, ":10: cgroup_parent");
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
	assert_int_equal(config_valid_name("umldir", &e), -1); /* VARDIR/umldir */
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
		cmocka_unit_test(no_cascade),
		cmocka_unit_test(line_order),
		cmocka_unit_test(suggestions),
		cmocka_unit_test(sizes),
		cmocka_unit_test(remote),
		cmocka_unit_test(limits),
		cmocka_unit_test(seccomp),
		cmocka_unit_test(fastboot),
		cmocka_unit_test(host_reserve),
		cmocka_unit_test(start_concurrency),
		cmocka_unit_test(vm_users),
		cmocka_unit_test(cgroup_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
