/* umladmin -- administration of umlmon hosts and VMs. See umladmin(8). */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cmdtab.h"
#include "common/config.h"
#include "common/names.h"
#include "common/log.h"
#include "umladmin/admin.h"
#include "disk/diskop.h"
#include "host/image.h"

/* What every command gets. */
struct run {
	const char *cfgpath;
};

static struct config *load(const char *path, int strict)
{
	struct config *cfg;
	struct err e;

	cfg = config_load(path, &e);
	if (!cfg)
		die(1, "%s", e.msg);
	if (strict && cfg->global.nerrors) {
		for (int i = 0; i < cfg->nerrors; i++)
			if (!*cfg->error_sections[i] ||
			    !strcmp(cfg->error_sections[i], "GLOBAL"))
				fprintf(stderr, "umladmin: %s\n", cfg->errors[i]);
		die(1, "%s: errors in [GLOBAL]", path);
	}
	return cfg;
}

static int do_setup(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	int argc = call->argc;
	char **argv = call->argv;
	const char *kernel = "/usr/bin/linux";
	struct config *cfg;
	struct err e;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-kernel") && i + 1 < argc)
			kernel = argv[++i];
		else
			die(2, "setup: unknown argument '%s'", argv[i]);
	}
	/* before anything is read or made */
	if (geteuid() != 0)
		die(1, "setup: needs root (it makes the state and shared "
		    "directories owned by root and installs the kernel)");
	cfg = load(cfgpath, 1);
	if (admin_setup(cfg, kernel, &e) < 0)
		die(1, "setup: %s", e.msg);
	printf("umladmin: shared dir %s ready; kernel %s/kernels/linux\n",
	       cfg->global.shared, cfg->global.shared);
	config_free(cfg);
	return 0;
}

/* What sethostname and the guest's tools take without surprise. */
static int valid_hostname(const char *h)
{
	size_t n = strlen(h);

	return n >= 1 && n <= 64 && h[0] != '-' &&
	       strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-_.") == n;
}

static int do_mkimage(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	int argc = call->argc;
	char **argv = call->argv;
	struct image_opts o = {.owner = (uid_t)-1, .group = (gid_t)-1};
	const char *out = NULL, *vmname = NULL;
	struct admin_image t;
	struct err e;
	int rc;

	o.progress = isatty(STDERR_FILENO);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-size") && i + 1 < argc) {
			const char *cause;

			if (parse_size_cause(argv[++i], &o.size, &cause) < 0)
				die(2, "mkimage: -size '%s' %s", argv[i], cause);
			if (o.size < (8u << 20))
				die(2, "mkimage: -size '%s' is too small (8M or more)",
				    argv[i]);
			if (o.size % 1024)
				die(2, "mkimage: -size '%s' is not a whole number of KiB",
				    argv[i]);
		} else if (!strcmp(a, "-hostname") && i + 1 < argc) {
			o.hostname = argv[++i];
			if (!valid_hostname(o.hostname))
				die(2, "mkimage: -hostname '%s': not a host name (1 to "
				    "64 letters, digits, '-', '_' and '.')", o.hostname);
		} else if (!strcmp(a, "-password") && i + 1 < argc) {
			o.root_password = argv[++i];
		} else if (!strcmp(a, "-f")) {
			o.force = 1;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (a[0] != '-' && !vmname) {
			vmname = a;
		} else {
			die(2, "mkimage: unexpected argument '%s'", a);
		}
	}
	if (!!out == !!vmname)
		die(2, "mkimage: give either a VM or -o FILE");
	if (vmname && geteuid() != 0)
		die(1, "mkimage: %s: needs root (the image goes into the VM's jail, "
		    "owned by its vmuser); -o FILE works for anyone", vmname);
	if (!vmname) {
		o.path = out;
		if (image_build_busybox(&o, &e) < 0)
			die(1, "mkimage: %s", e.msg);
		printf("umladmin: built %s\n", out);
		return 0;
	}
	{
		struct config *cfg = load(cfgpath, 1);

		rc = admin_image_target(cfg, vmname, &t, &e);
		config_free(cfg);
		if (rc < 0)
			die(1, "mkimage: %s", e.msg);
	}
	o.path = t.path;
	o.owner = t.uid;
	o.group = t.gid;
	rc = image_build_busybox_at(t.dirfd, t.name, &o, &e);
	if (rc < 0)
		fprintf(stderr, "umladmin: mkimage: %s\n", e.msg);
	else
		printf("umladmin: built %s\n", t.path);
	admin_image_free(&t);
	return rc < 0 ? 1 : 0;
}

struct tally {
	int errors, warnings;
};

static void finding(void *arg, enum admin_level level, const char *text)
{
	struct tally *t = arg;

	switch (level) {
	case ADMIN_ERROR:
		t->errors++;
		fprintf(stderr, "umladmin: %s\n", text);
		break;
	case ADMIN_WARNING:
		t->warnings++;
		fprintf(stderr, "umladmin: warning: %s\n", text);
		break;
	case ADMIN_NOTE:
		printf("umladmin: %s\n", text);
		break;
	}
}

static int do_check(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	struct tally t = {0, 0};
	struct config *cfg;

	(void)call; /* no arguments: the table says so */
	cfg = load(cfgpath, 0);
	for (int i = 0; i < cfg->nerrors; i++)
		fprintf(stderr, "umladmin: %s\n", cfg->errors[i]);
	t.errors = cfg->nerrors;
	admin_check(cfg, finding, &t);
	printf("umladmin: %s: %d VM%s, ", cfgpath, cfg->nvms, cfg->nvms == 1 ? "" : "s");
	if (t.errors)
		printf("%d error%s", t.errors, t.errors == 1 ? "" : "s");
	else
		printf("no errors");
	if (t.warnings)
		printf(", %d warning%s", t.warnings, t.warnings == 1 ? "" : "s");
	printf("\n");
	config_free(cfg);
	return t.errors ? 1 : 0;
}

static int do_list(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	struct config *cfg;
	int unknown = 0;

	(void)call; /* no arguments: the table says so */
	cfg = load(cfgpath, 0);
	printf("%-20s %-10s %-8s %-7s %s\n", "VM", "STATE", "MEMORY", "START", "NOTES");
	for (int i = 0; i < cfg->nvms; i++) {
		struct vm_conf *vm = &cfg->vms[i];
		struct admin_status st;
		struct strbuf notes;
		char sz[32];

		admin_vm_status(cfg, vm, &st);
		sb_init(&notes);
		if (st.why[0])
			sb_printf(&notes, "%s", st.why);
		if (st.orphan) {
			/* the VM runs; only its monitor is gone */
			snprintf(st.state, sizeof(st.state), "running");
			sb_printf(&notes, "%sno monitor: pid %d runs in its jail",
				  notes.len ? "; " : "", (int)st.orphan);
		}
		if (vm->nerrors)
			sb_printf(&notes, "%s%d config error%s (umladmin check)",
				  notes.len ? "; " : "", vm->nerrors,
				  vm->nerrors == 1 ? "" : "s");
		unknown += !strcmp(st.state, "unknown");
		printf("%-20s %-10s %-8s %-7s %s\n", vm->name, st.state,
		       fmt_size(vm->memory, sz, sizeof(sz)), start_mode_name(vm->start),
		       notes.len ? notes.buf : "-");
		sb_free(&notes);
	}
	config_free(cfg);
	return unknown ? 1 : 0;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Progress on the terminal; Ctrl-C stops the operation. */
static int progress(uint64_t done, uint64_t total, void *arg)
{
	int *shown = arg;
	char a[32], b[32];

	if (isatty(STDERR_FILENO) && total) {
		fprintf(stderr, "\r%3d%% (%s of %s) ", (int)(100.0 * (double)done /
							   (double)total),
			fmt_size(done, a, sizeof(a)), fmt_size(total, b, sizeof(b)));
		*shown = 1;
	}
	return interrupted;
}

static int do_disk(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	int argc = call->argc;
	char **argv = call->argv;
	const char *vm = NULL;
	struct diskjob_args a;
	struct disk_ctx c;
	struct config *cfg;
	struct sigaction sa;
	struct strbuf text;
	struct err e;
	int shown = 0, rc;

	if (argc >= 2 && !strcmp(argv[0], "-vm")) {
		vm = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (diskjob_parse(argc, argv, &a, &e) < 0)
		die(2, "%s", e.msg);
	cfg = load(cfgpath, 1);
	if (vm && !config_vm(cfg, vm))
		die(1, "disk: %s: no such VM in %s", vm, cfgpath);
	if (disk_ctx_init(&c, cfg, vm, &e) < 0)
		die(1, "disk: %s", e.msg);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sb_init(&text);
	rc = diskjob_run(&c, &a, progress, &shown, &text, &e);
	if (shown)
		fprintf(stderr, "\r\033[K");
	if (rc < 0)
		fprintf(stderr, "umladmin: %s\n", e.msg);
	else if (text.buf)
		fputs(text.buf, stdout);
	sb_free(&text);
	disk_ctx_free(&c);
	config_free(cfg);
	return rc < 0 ? 1 : 0;
}

/* One table: dispatch, the usage text and (kept in step by hand, checked
 * by the tests) umladmin(8). The commands that take options check them
 * themselves. */
static const struct cmd commands[] = {
	{"setup", 0, 2, "[-kernel FILE]", do_setup, NULL,
	 "create the state and shared directories and install the UML\n"
	 "kernel (default /usr/bin/linux) as SHARED/kernels/linux (root)",
	 NULL, {NULL, NULL}},
	{"mkimage", 0, 64, "[-size SIZE] [-hostname NAME] [-password PW] [-f] VM",
	 do_mkimage, NULL,
	 "build the default busybox root image as the VM's ubd0 (in its\n"
	 "jail, owned by its vmuser; root); SIZE: 8M or more, e.g. 1.5G",
	 NULL, {NULL, NULL}},
	{"mkimage", 0, 64, "[-size SIZE] [-hostname NAME] [-password PW] [-f] -o FILE",
	 NULL, NULL, "the same, into any file", NULL, {NULL, NULL}},
	{"disk", 0, 64, "[-vm VM] OP PATH [ARG]", do_disk, NULL,
	 "disk images, here rather than through a monitor: info, check,\n"
	 "create, delete, copy, resize, merge (see umladmin(8)); without\n"
	 "-vm only /shared/disks",
	 NULL, {diskjob_ops, NULL}},
	{"check", 0, 0, "", do_check, NULL,
	 "check the configuration and what a start of each VM would refuse\n"
	 "(kernel, disks, backing files, taps); warn of memory the host lacks",
	 NULL, {NULL, NULL}},
	{"list", 0, 0, "", do_list, NULL,
	 "the VMs of the configuration: state, memory, start mode, notes",
	 NULL, {NULL, NULL}},
	{NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, {NULL, NULL}},
};

static const struct cmd_names names = {commands, "", "--help", NULL, NULL};

static void usage(FILE *f)
{
	fprintf(f, "usage: umladmin [-c CONFIG] COMMAND [ARGS]\n"
		"       umladmin -h | --help | -version | --version\n"
		"commands:\n");
	cmd_help(f, &names, CMD_BELOW);
	fprintf(f, "options:\n"
		"  -c CONFIG            the configuration file (default $UMLMON_CONFIG,\n"
		"                       else %s)\n"
		"  -h, --help           this text\n"
		"  -version, --version  the version\n", UMLMON_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	struct run run = {NULL};
	struct cmd_call call;
	struct err e;
	int i = 1;

	log_init("umladmin", LOG_LVL_INFO);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			run.cfgpath = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-version") || !strcmp(argv[i], "--version")) {
			printf("umladmin %s\n", UMLMON_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--commands")) {
			/* not in --help: for the shell's completion */
			cmd_list(stdout, &names);
			return 0;
		} else if (!strcmp(argv[i], "-c")) {
			fprintf(stderr, "umladmin: -c needs a configuration file\n");
			return 2;
		} else {
			fprintf(stderr, "umladmin: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	run.cfgpath = config_default_path(run.cfgpath);
	if (cmd_parse(&names, argc - i, argv + i, &call, &e) < 0) {
		fprintf(stderr, "umladmin: %s\n", e.msg);
		if (!call.cmd)
			usage(stderr);
		return 2;
	}
	return call.cmd->run(&run, &call);
}
