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

#include "common/auth.h"
#include "common/cmdtab.h"
#include "common/config.h"
#include "common/names.h"
#include "common/log.h"
#include "umladmin/admin.h"
#include "admin/hostcheck.h"
#include "admin/monctl.h"
#include "admin/passwd.h"
#include "admin/showconf.h"
#include "admin/startq.h"
#include "admin/update.h"
#include "admin/vmlist.h"
#include "common/table.h"
#include "common/rpc_wire.h"
#include "common/paths.h"
#include "disk/backup.h"
#include "disk/diskop.h"
#include "host/image.h"
#include "host/uidalloc.h"

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
	/* the uids of the VMs with vmuser = auto that have one */
	if (uidalloc_resolve(cfg, NULL, &e) < 0)
		fprintf(stderr, "umladmin: %s\n", e.msg);
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

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Ctrl-C, SIGTERM and a lost terminal stop a long operation, which then
 * cleans up (no SA_RESTART: a blocked read returns). */
static void catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static int do_mkimage(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	int argc = call->argc;
	char **argv = call->argv;
	struct image_opts o = {.owner = (uid_t)-1, .group = (gid_t)-1,
			       .interrupted = &interrupted};
	const char *out = NULL, *vmname = NULL, *kind = NULL;
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
		} else if (!strcmp(a, "-mirror") && i + 1 < argc) {
			o.mirror = argv[++i];
		} else if (!strcmp(a, "-suite") && i + 1 < argc) {
			o.suite = argv[++i];
		} else if (!strcmp(a, "-ssh-key") && i + 1 < argc) {
			o.ssh_key = argv[++i];
		} else if (!strcmp(a, "-cache") && i + 1 < argc) {
			o.cache = argv[++i];
		} else if (!strcmp(a, "-f")) {
			o.force = 1;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (a[0] != '-' && !vmname && !out) {
			vmname = a;
		} else if (a[0] != '-' && !kind) {
			kind = a;
		} else {
			die(2, "mkimage: unexpected argument '%s'", a);
		}
	}
	if (out && vmname && !kind) {
		/* -o FILE debian: the word after -o's file is the kind */
		kind = vmname;
		vmname = NULL;
	}
	if (!!out == !!vmname)
		die(2, "mkimage: give either a VM or -o FILE");
	if (kind && !strcmp(kind, "debian"))
		o.kind = IMAGE_DEBIAN;
	else if (kind && strcmp(kind, "busybox"))
		die(2, "mkimage: '%s': no such image (busybox or debian)", kind);
	if (o.kind != IMAGE_DEBIAN && (o.mirror || o.suite || o.ssh_key || o.cache))
		die(2, "mkimage: -mirror, -suite, -ssh-key and -cache are for the "
		    "debian image");
	if (o.kind == IMAGE_DEBIAN && geteuid() != 0)
		die(1, "mkimage: debian: needs root (debootstrap installs packages "
		    "as root into the tree)");
	if (vmname && geteuid() != 0)
		die(1, "mkimage: %s: needs root (the image goes into the VM's jail, "
		    "owned by its vmuser); -o FILE works for anyone", vmname);
	catch_interrupts();
	if (!vmname) {
		o.path = out;
		if (image_build(&o, &e) < 0)
			die(interrupted ? 130 : 1, "mkimage: %s", e.msg);
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
	rc = image_build_at(t.dirfd, t.name, &o, &e);
	if (rc < 0)
		fprintf(stderr, "umladmin: mkimage: %s\n", e.msg);
	else
		printf("umladmin: built %s\n", t.path);
	admin_image_free(&t);
	return rc < 0 ? (interrupted ? 130 : 1) : 0;
}

/* The only option of a command that prints a table: --json. */
static int json_opt(const struct cmd_call *call, int from)
{
	int json = 0;

	for (int i = from; i < call->argc; i++) {
		if (!strcmp(call->argv[i], "--json") || !strcmp(call->argv[i], "-json"))
			json = 1;
		else
			die(2, "%s: unexpected argument '%s' (it takes %s--json)",
			    call->cmd->name, call->argv[i], from ? "a VM and " : "only ");
	}
	return json;
}

static void print_table(const struct table *t, int json)
{
	if (json)
		table_print_json(t, stdout);
	else
		table_print(t, stdout);
}

static int do_check(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	int json = json_opt(call, 0);
	struct hc_counts n;
	struct config *cfg;
	struct table t;

	cfg = load(cfgpath, 0);
	hostcheck_table(cfg, &t, &n);
	print_table(&t, json);
	if (!json) {
		printf("umladmin: %s: %d VM%s, ", cfgpath, cfg->nvms,
		       cfg->nvms == 1 ? "" : "s");
		if (n.fail)
			printf("%d FAIL%s", n.fail, n.fail == 1 ? "" : "s");
		else
			printf("nothing failed");
		if (n.warn)
			printf(", %d warning%s", n.warn, n.warn == 1 ? "" : "s");
		printf("\n");
	}
	table_free(&t);
	config_free(cfg);
	return n.fail ? 1 : 0;
}

static int do_list(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	int json = json_opt(call, 0);
	struct config *cfg;
	struct table t;
	int unknown;

	cfg = load(cfgpath, 0);
	unknown = vmlist_table(cfg, &t);
	print_table(&t, json);
	table_free(&t);
	config_free(cfg);
	return unknown ? 1 : 0;
}

static int do_config(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	int json = json_opt(call, 1);
	struct config *cfg;
	struct vm_conf *vm;
	struct table t;
	int bad;

	cfg = load(cfgpath, 0);
	vm = config_vm(cfg, call->argv[0]);
	if (!vm)
		die(1, "config: %s: unknown VM (no [%s] section in %s)", call->argv[0],
		    call->argv[0], cfgpath);
	for (int i = 0; i < cfg->nerrors; i++) {
		const char *sec = cfg->error_sections[i];

		if (!*sec || !strcmp(sec, "GLOBAL") || !strcmp(sec, vm->name))
			fprintf(stderr, "umladmin: %s\n", cfg->errors[i]);
	}
	bad = vm->nerrors || cfg->global.nerrors;
	showconf_table(cfg, vm, &t);
	print_table(&t, json);
	table_free(&t);
	config_free(cfg);
	return bad ? 1 : 0;
}

/* The VMs named, or with --all those that want: checked against the
 * configuration before anything is done. */
static const char **vm_args(const struct config *cfg, const struct cmd_call *call,
			    int (*want)(const struct config *, const struct vm_conf *),
			    char **rest, int *nrest, int *n)
{
	const char **names = xcalloc((size_t)cfg->nvms + (size_t)call->argc + 1,
				     sizeof(*names));
	int all = 0, bad = 0;

	*n = 0;
	*nrest = 0;
	for (int i = 0; i < call->argc; i++) {
		const char *a = call->argv[i];

		if (!strcmp(a, "--all") || !strcmp(a, "-all")) {
			all = 1;
		} else if (a[0] == '-') {
			rest[(*nrest)++] = call->argv[i];
			if (i + 1 < call->argc)
				rest[(*nrest)++] = call->argv[++i];
		} else if (!config_vm((struct config *)cfg, a)) {
			fprintf(stderr, "umladmin: %s: %s: unknown VM (no [%s] section "
				"in %s)\n", call->cmd->name, a, a, cfg->path);
			bad++;
		} else {
			int dup = 0;

			for (int k = 0; k < *n; k++)
				dup |= !strcmp(names[k], a);
			if (!dup)
				names[(*n)++] = a;
		}
	}
	if (bad)
		exit(1);
	if (all && *n)
		die(2, "%s: VM names or --all, not both", call->cmd->name);
	if (all)
		for (int i = 0; i < cfg->nvms; i++)
			if (want(cfg, &cfg->vms[i]))
				names[(*n)++] = cfg->vms[i].name;
	if (!all && !*n)
		die(2, "%s: name the VMs, or --all", call->cmd->name);
	return names;
}

static int not_off(const struct config *cfg, const struct vm_conf *vm)
{
	(void)cfg;
	return vm->start != START_OFF;
}

static int has_monitor(const struct config *cfg, const struct vm_conf *vm)
{
	struct admin_status st;

	admin_vm_status(cfg, vm, &st);
	return st.monitor;
}

static int do_update(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	int json = json_opt(call, 0);
	struct config *cfg = load(cfgpath, 1);
	struct table t;
	int failed;

	failed = update_run(cfg, &t);
	print_table(&t, json);
	table_free(&t);
	config_free(cfg);
	return failed ? 1 : 0;
}

/* Each VM's answer and the time it took; the number that failed. */
static int report(const struct cmd_call *call, const struct monctl_result *r, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		if (r[i].answered && r[i].status == UM_OK) {
			printf("%s [%.1f s]\n", r[i].msg, (double)r[i].ms / 1000.0);
		} else {
			fprintf(stderr, "umladmin: %s: %s\n", call->cmd->name, r[i].msg);
			failed++;
		}
	}
	return failed;
}

static int do_password(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	const char *arg = call->argv[0], *file;
	int master = !strcmp(arg, "--master") || !strcmp(arg, "-master");
	struct config *cfg = load(cfgpath, 1);
	struct vm_conf *vm = master ? NULL : config_vm(cfg, arg);
	struct monctl_result *r;
	struct err e;
	char *pw, *keys;
	int n = 0, failed = 0;

	if (!master && !vm)
		die(1, "password: %s: unknown VM (no [%s] section in %s)", arg, arg,
		    cfgpath);
	if (geteuid() != 0)
		die(1, "password: needs root (the file is root's, mode 0600)");
	if (!(file = passwd_file(cfg, vm, &e)))
		die(1, "password: %s", e.msg);
	if (!(pw = passwd_read(master ? "the master password" : vm->name, &e)))
		die(1, "password: %s", e.msg);
	keys = passwd_keys(cfg, vm, pw, &e);
	auth_wipe_free(pw);
	if (!keys)
		die(1, "password: %s", e.msg);
	if (passwd_write(file, keys, &e) < 0) {
		auth_wipe_free(keys);
		die(1, "password: %s", e.msg);
	}
	auth_wipe_free(keys);
	printf("umladmin: %s: password set in %s (as its derived keys)\n",
	       master ? "master" : vm->name, file);
	if (master)
		printf("umladmin: master: keys for the %d VM%s of %s; a VM added "
		       "later needs 'umladmin password --master' again\n", cfg->nvms,
		       cfg->nvms == 1 ? "" : "s", cfgpath);
	/* the monitors read it again now (a reload takes passwords at once) */
	r = xcalloc((size_t)cfg->nvms + 1, sizeof(*r));
	for (int i = 0; i < cfg->nvms; i++)
		if ((master || &cfg->vms[i] == vm) && has_monitor(cfg, &cfg->vms[i]))
			r[n++].vm = cfg->vms[i].name;
	monctl_call_all(cfg, r, n, UM_RELOAD, (xdrproc_t)xdr_rpc_void, NULL, 30 * 1000);
	failed = report(call, r, n);
	free(r);
	config_free(cfg);
	return failed ? 1 : 0;
}

static int do_start(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	struct config *cfg = load(cfgpath, 1);
	struct startq_opts o = {cfg->global.start_concurrency, 300 * 1000};
	char *rest[64];
	long v;
	int n, nrest, failed;
	const char **names = vm_args(cfg, call, not_off, rest, &nrest, &n);

	for (int i = 0; i < nrest; i += 2) {
		int jobs = !strcmp(rest[i], "-j");

		if (!jobs && strcmp(rest[i], "-timeout"))
			die(2, "start: unexpected argument '%s'", rest[i]);
		if (i + 1 >= nrest || parse_long(rest[i + 1], 0, jobs ? 4096 : 3600, &v) < 0)
			die(2, "start: %s needs %s%s%s%s", rest[i],
			    jobs ? "the number of VMs booting at once (0 to 4096, 0: all)" :
			    "seconds (0 to 3600, 0: do not wait until the guests are up)",
			    i + 1 < nrest ? ", not '" : "", i + 1 < nrest ? rest[i + 1] : "",
			    i + 1 < nrest ? "'" : "");
		if (jobs)
			o.jobs = (int)v;
		else
			o.up_ms = (int)v * 1000;
	}
	failed = startq_run(cfg, names, n, &o, stdout, stderr);
	free(names);
	config_free(cfg);
	return failed ? 1 : 0;
}

static int do_stop(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	struct config *cfg = load(cfgpath, 0);
	struct monctl_result *r;
	um_stop_args a = {.timeout = -1};
	char *rest[64];
	long secs;
	int n, nrest, ncall = 0, failed = 0, longest = 0;
	const char **names = vm_args(cfg, call, has_monitor, rest, &nrest, &n);

	for (int i = 0; i < nrest; i++) {
		if (!strcmp(rest[i], "-timeout") && i + 1 < nrest &&
		    parse_long(rest[i + 1], 0, 3600, &secs) == 0) {
			a.timeout = (int)secs;
			i++;
		} else if (!strcmp(rest[i], "-timeout")) {
			die(2, "stop: -timeout needs seconds (0 to 3600)%s%s%s",
			    i + 1 < nrest ? ", not '" : "", i + 1 < nrest ? rest[i + 1] : "",
			    i + 1 < nrest ? "'" : "");
		} else {
			die(2, "stop: unexpected argument '%s'", rest[i]);
		}
	}
	r = xcalloc((size_t)n + 1, sizeof(*r));
	for (int i = 0; i < n; i++) {
		struct vm_conf *vm = config_vm(cfg, names[i]);
		struct admin_status st;

		admin_vm_status(cfg, vm, &st);
		if (!st.monitor) {
			if (st.orphan || st.denied || !strcmp(st.state, "unknown")) {
				fprintf(stderr, "umladmin: stop: %s: %s\n", vm->name,
					st.orphan ? "its kernel runs without a monitor" :
					st.why);
				failed++;
			} else {
				printf("%s: no monitor (not running)\n", vm->name);
			}
			continue;
		}
		if (!admin_vm_up(&st) && st.vmstate != UM_STOPPING) {
			printf("%s: %s already\n", vm->name, st.state);
			continue;
		}
		if ((a.timeout < 0 ? vm->stop_timeout : a.timeout) > longest)
			longest = a.timeout < 0 ? vm->stop_timeout : a.timeout;
		r[ncall++].vm = vm->name;
	}
	/* all at once; the escalation after the timeout takes its own time */
	monctl_call_all(cfg, r, ncall, UM_STOP, (xdrproc_t)xdr_um_stop_args, &a,
			(longest + 120) * 1000);
	failed += report(call, r, ncall);
	free(r);
	free(names);
	config_free(cfg);
	return failed ? 1 : 0;
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
	catch_interrupts();
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

/* backup VM SNAPSHOT FILE and restore-backup VM FILE: the VM's snapshot
 * store (disk/backup.h), here as root, no monitor needed. */
static int backup_cmd(const char *cfgpath, const struct cmd_call *call,
		      int restore)
{
	const char *vmname = call->argv[0];
	struct config *cfg = load(cfgpath, 1);
	const struct vm_conf *vm = config_vm(cfg, vmname);
	struct snap_store s;
	struct strbuf text;
	struct disk_ctx c;
	struct err e;
	char *dir;
	int rc;

	if (!vm)
		die(1, "%s: no such VM in %s", vmname, cfgpath);
	if (restore) {
		struct admin_status st;

		/* the disks of a running VM are not replaced under it */
		admin_vm_status(cfg, vm, &st);
		if (admin_vm_up(&st) || st.orphan)
			die(1, "%s: cannot restore a backup while the VM is %s: stop "
			    "it first", vmname, st.orphan ? "running (without a "
			    "monitor)" : st.state);
	}
	dir = vm_snapshots_path(cfg->global.vardir, vmname);
	s.dir = dir;
	s.vm = vmname;
	sb_init(&text);
	if (restore) {
		if (disk_ctx_init(&c, cfg, vmname, &e) < 0)
			die(1, "%s", e.msg);
		rc = backup_restore(&s, &c, call->argv[1], &text, &e);
		disk_ctx_free(&c);
	} else {
		rc = backup_write(&s, call->argv[1], call->argv[2], &text, &e);
	}
	if (rc < 0)
		fprintf(stderr, "umladmin: %s\n", e.msg);
	else if (text.buf)
		fputs(text.buf, stdout);
	sb_free(&text);
	free(dir);
	config_free(cfg);
	return rc < 0 ? 1 : 0;
}

static int do_backup(void *ctx, const struct cmd_call *call)
{
	return backup_cmd(((const struct run *)ctx)->cfgpath, call, 0);
}

static int do_restore_backup(void *ctx, const struct cmd_call *call)
{
	return backup_cmd(((const struct run *)ctx)->cfgpath, call, 1);
}

/* VARDIR/uids: its lines; -free VM removes one whose VM left the
 * configuration and whose uid no process has (uidalloc.h). */
static int do_uid(void *ctx, const struct cmd_call *call)
{
	const char *cfgpath = ((const struct run *)ctx)->cfgpath;
	struct config *cfg = load(cfgpath, 1);
	const char *vardir = cfg->global.vardir;
	struct uid_table t;
	struct err e;
	char who[128];
	uid_t u;

	if (call->argc == 0) {
		if (uidtab_read(vardir, &t, &e) < 0)
			die(1, "uid: %s", e.msg);
		printf("%-*s %-10s %s\n", VM_NAME_MAX, "VM", "UID", "VMUSER");
		for (int i = 0; i < t.n; i++) {
			const struct vm_conf *vm = config_vm(cfg, t.rows[i].name);

			printf("%-*s %-10u %s\n", VM_NAME_MAX, t.rows[i].name,
			       (unsigned)t.rows[i].uid, !vm ? "(not in the configuration)" :
			       vm->uid_auto ? "auto" : vm->vmuser);
		}
		uidtab_free(&t);
		config_free(cfg);
		return 0;
	}
	if (call->argc != 2 || strcmp(call->argv[0], "-free"))
		die(2, "uid: usage: umladmin uid [-free VM]");
	if (geteuid() != 0)
		die(1, "uid: -free: needs root (%s/uids is root's)", vardir);
	if (config_vm(cfg, call->argv[1]) && config_vm(cfg, call->argv[1])->uid_auto)
		die(1, "uid: %s: still in %s with vmuser = auto; its uid is kept "
		    "while it is there", call->argv[1], cfgpath);
	if (uidtab_read(vardir, &t, &e) < 0)
		die(1, "uid: %s", e.msg);
	if (!uidtab_find(&t, call->argv[1]))
		die(1, "uid: %s: no uid in %s/uids", call->argv[1], vardir);
	u = uidtab_find(&t, call->argv[1])->uid;
	uidtab_free(&t);
	if (uid_process(u, NULL, who, sizeof(who)))
		die(1, "uid: %s: uid %u is in use by %s; end it first", call->argv[1],
		    (unsigned)u, who);
	if (uidalloc_free(vardir, call->argv[1], &u, &e) < 0)
		die(1, "uid: %s", e.msg);
	printf("%s: uid %u freed; files it owns (%s/%s) stay its\n",
	       call->argv[1], (unsigned)u, vardir, call->argv[1]);
	config_free(cfg);
	return 0;
}

/* One table: dispatch, the usage text and (kept in step by hand, checked
 * by the tests) umladmin(8). The commands that take options check them
 * themselves. */
static const struct cmd commands[] = {
	{"setup", 0, 2, "[-kernel FILE]", do_setup, NULL,
	 "create the state and shared directories and install the UML\n"
	 "kernel (default /usr/bin/linux) as SHARED/kernels/linux (root)",
	 NULL, {NULL, NULL}},
	{"mkimage", 0, 64, "[-size SIZE] [-hostname NAME] [-password PW] [-f] VM "
	 "[busybox]",
	 do_mkimage, NULL,
	 "build the default busybox root image as the VM's ubd0 (in its\n"
	 "jail, owned by its vmuser; root); SIZE: 8M or more, e.g. 1.5G",
	 NULL, {NULL, NULL}},
	{"mkimage", 0, 64, "[-size SIZE] [-hostname NAME] [-password PW] [-f] -o FILE "
	 "[busybox]",
	 NULL, NULL, "the same, into any file", NULL, {NULL, NULL}},
	{"mkimage", 0, 64, "[-ssh-key FILE] [-mirror URL] [-suite NAME] [-cache DIR] "
	 "VM|-o FILE debian",
	 NULL, NULL,
	 "a Debian image with systemd (1G by default; -size, -hostname,\n"
	 "-password and -f as above) made with debootstrap from the mirror\n"
	 "and release the host's apt uses (root)", NULL, {NULL, NULL}},
	{"disk", 0, 64, "[-vm VM] OP PATH [ARG]", do_disk, NULL,
	 "disk images, here rather than through a monitor: info, check,\n"
	 "create, delete, copy, resize, merge (see umladmin(8)); without\n"
	 "-vm only /shared/disks",
	 NULL, {diskjob_ops, NULL}},
	{"backup", 3, 3, "VM SNAPSHOT FILE", do_backup, NULL,
	 "write snapshot SNAPSHOT of VM (umlwatch -snapshot) to the new tar\n"
	 "FILE: its manifest with each image's sha256, the images sparse",
	 NULL, {NULL, NULL}},
	{"restore-backup", 2, 2, "VM FILE", do_restore_backup, NULL,
	 "put the images of the backup FILE in place of VM's disks, after\n"
	 "every checksum and backing file is checked (VM stopped)",
	 NULL, {NULL, NULL}},
	{"check", 0, 1, "[--json]", do_check, NULL,
	 "the host's prerequisites (state and shared dirs, tmpfs, /dev/net/tun,\n"
	 "ptrace, cgroups, memory, umldir's ports), the configuration and what\n"
	 "a start of each VM would refuse (kernel, disks, taps): ok, warn or FAIL",
	 NULL, {NULL, NULL}},
	{"list", 0, 1, "[--json]", do_list, NULL,
	 "the VMs of the configuration: state, memory, start mode, uptime,\n"
	 "monitor pid, TCP port, disks, notes",
	 NULL, {NULL, NULL}},
	{"start", 1, 64, "VM... | --all [-j N] [-timeout S]", do_start, NULL,
	 "boot the VMs through their monitors, starting a monitor where none\n"
	 "runs, N at a time (start_concurrency), each until its guest is up\n"
	 "(at most S seconds, 300; 0: until its kernel runs); --all: every VM\n"
	 "whose start is not off",
	 NULL, {NULL, NULL}},
	{"stop", 1, 64, "VM... | --all [-timeout S]", do_stop, NULL,
	 "stop the VMs gracefully, all at once (Ctrl-Alt-Del, then after the\n"
	 "stop timeout the escalation), and wait; --all: every VM with a monitor",
	 NULL, {NULL, NULL}},
	{"update", 0, 1, "[--json]", do_update, NULL,
	 "after the configuration changed: start monitors of new VMs, end\n"
	 "those of removed (or off) VMs that do not run, restart idle monitors\n"
	 "whose section changed; running VMs are left alone (reloaded; what\n"
	 "needs a restart is listed)",
	 NULL, {NULL, NULL}},
	{"password", 1, 1, "VM | --master", do_password, NULL,
	 "set the VM's (or the master) password in the file its configuration\n"
	 "names (password_file, master_password_file): asked twice without\n"
	 "echo, or read from stdin; mode 0600; the monitors reload it (root)",
	 NULL, {NULL, NULL}},
	{"uid", 0, 2, "[-free VM]", do_uid, NULL,
	 "the VMs' own uids (vmuser = auto) in VARDIR/uids; -free VM: remove\n"
	 "the line of a VM that left the configuration and whose uid no\n"
	 "process has, so the uid may go to another VM (root)",
	 NULL, {NULL, NULL}},
	{"config", 1, 2, "VM [--json]", do_config, NULL,
	 "the effective configuration of VM: every key, defaults included,\n"
	 "and where each value comes from (the VM's section, GLOBAL, default)",
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
