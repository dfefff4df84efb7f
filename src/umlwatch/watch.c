/* watch.c -- umlwatch's table of commands, the parsing and checking of a
 * run, the help text, and running a command. */
#include "umlwatch/watch.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/remote.h"
#include "common/authfile.h"
#include "common/diskargs.h"
#include "common/mcpolicy.h"
#include "common/rpc_client.h"
#include "common/table.h"
#include "umlmonctrl.h"
#include "umlwatch/term.h"
#include "umlwatch/watch_int.h"

const char *const watch_channels[] = {NULL};

static const char *const connect_flags[] = {"-readonly", NULL};
static const char *const log_flags[] = {"-follow", "-f", NULL};
static const char *const info_flags[] = {"--json", NULL};
static const char *const keep_flags[] = {"--keep", NULL};

/* Words of the command line that are options of umlwatch itself: given
 * after the VM name they are a mistake worth naming. */
static const char *const global_opts[] = {"--config", "--socket", "-escape",
					  "--escape", "-version", "--version",
					  NULL};

static int in_list(const char *const *l, const char *s)
{
	for (; l && *l; l++)
		if (!strcmp(*l, s))
			return 1;
	return 0;
}

/* A flag given with or without its '-' (the prompt takes "readonly"). */
static int is_flag(const char *arg, const char *flag)
{
	return !strcmp(arg, flag) || (arg[0] != '-' && !strcmp(arg, flag + 1));
}

static int parse_timeout(struct cmd_call *s, long max, long dflt, struct err *e)
{
	s->num = dflt;
	if (s->argc > 0 && parse_long(s->argv[0], 0, max, &s->num) < 0) {
		err_code(e, ERR_INVAL, "%s: '%s' is not a timeout in seconds (0 to "
			 "%ld)", s->cmd->name, s->argv[0], max);
		return -1;
	}
	return 0;
}

static int parse_stop(struct cmd_call *s, struct err *e)
{
	return parse_timeout(s, 3600, -1, e);
}

#define WAIT_DEFAULT 120

static int parse_wait(struct cmd_call *s, struct err *e)
{
	return parse_timeout(s, 86400, WAIT_DEFAULT, e);
}

/* -info's one flag: --json (s->flag) */
static int parse_json(struct cmd_call *s, struct err *e)
{
	if (s->argc == 1 && strcmp(s->argv[0], "--json")) {
		err_code(e, ERR_INVAL, "%s: unexpected argument '%s' (it takes only "
			 "--json)", s->cmd->name, s->argv[0]);
		return -1;
	}
	s->flag = s->argc == 1;
	return 0;
}

static int parse_sysrq(struct cmd_call *s, struct err *e)
{
	return mcpolicy_check_sysrq(s->argv[0], e);
}

/* The channel argument, then the command's flags (words[1]): any of them
 * sets s->flag. */
static int parse_chan(struct cmd_call *s, struct err *e)
{
	const char *c = s->argv[0];
	int bad = !*c;

	for (const char *p = c; *p; p++)
		bad |= !isalnum((unsigned char)*p);
	if (bad) {
		err_code(e, ERR_INVAL, "%s: '%s' is not a channel name (con0, con1, "
			 "ssl0 ...; -info lists them)", s->cmd->name, c);
		return -1;
	}
	for (int i = 1; i < s->argc; i++) {
		const char *const *alias = s->cmd->words[1];
		int ok = 0;

		for (; alias && *alias; alias++)
			ok |= is_flag(s->argv[i], *alias);
		if (!ok) {
			err_code(e, ERR_INVAL, "%s: unknown flag '%s' (expected %s)",
				 s->cmd->name, s->argv[i],
				 s->cmd->words[1] ? s->cmd->words[1][0] : "none");
			return -1;
		}
		s->flag = 1;
	}
	return 0;
}

static int parse_mconsole(struct cmd_call *s, struct err *e)
{
	return mcpolicy_check_passthrough(s->argv[0], e);
}

static int parse_disk(struct cmd_call *s, struct err *e)
{
	struct diskjob_args a;

	return diskjob_parse(s->argc, s->argv, &a, e);
}

/* -add-disk ubd1=PATH, -remove-eth eth1, -mem 48M ...: NAME=SPEC where
 * the row wants it, then --keep (s->flag). The monitor checks the rest. */
static int parse_device(struct cmd_call *s, struct err *e)
{
	const struct watch_dev *d = s->cmd->data;
	const char *eq = strchr(s->argv[0], '=');

	if (d->has_spec && (!eq || eq == s->argv[0] || !eq[1])) {
		err_code(e, ERR_INVAL, "%s: '%s' is not NAME=VALUE (%s)", s->cmd->name,
			 s->argv[0], s->cmd->args);
		return -1;
	}
	if (!d->has_spec && eq) {
		err_code(e, ERR_INVAL, "%s: '%s': a name alone (%s)", s->cmd->name,
			 s->argv[0], s->cmd->args);
		return -1;
	}
	if (s->argc == 2 && !is_flag(s->argv[1], "--keep")) {
		err_code(e, ERR_INVAL, "%s: unknown flag '%s' (expected --keep)",
			 s->cmd->name, s->argv[1]);
		return -1;
	}
	s->flag = s->argc == 2;
	return 0;
}

#define DEV(kind, add, spec) (&(const struct watch_dev){(kind), (add), (spec)})

static int show_help(void *ctx, const struct cmd_call *s);

/* The calls that need no handler of their own: the procedure and how the
 * command's argument goes with it (watch_cmd_call). */
#define PROC(proc, arg) (&(const struct watch_proc){(proc), (arg)})

const struct cmd watch_cmds[] = {
	{"info", 0, 1, "[--json]", watch_cmd_info, NULL,
	 "show the configuration and the state; --json: as a JSON object",
	 parse_json, {info_flags, NULL}},
	{"start", 0, 0, "", watch_cmd_call, PROC(UM_START, WATCH_ARG_NONE),
	 "boot the VM", NULL, {NULL, NULL}},
	{"stop", 0, 1, "[TIMEOUT]", watch_cmd_call, PROC(UM_STOP, WATCH_ARG_TIMEOUT),
	 "ctrl-alt-del; after TIMEOUT s sync, remount, halt, kill", parse_stop,
	 {NULL, NULL}},
	{"reboot", 0, 1, "[TIMEOUT]", watch_cmd_call,
	 PROC(UM_REBOOT, WATCH_ARG_TIMEOUT),
	 "stop as -stop does, then boot again in a fresh jail", parse_stop,
	 {NULL, NULL}},
	{"wait", 0, 1, "[TIMEOUT]", watch_cmd_call, PROC(UM_WAIT, WATCH_ARG_WAIT),
	 "until the guest is up (its ready notice or a login prompt on con1), "
	 "at most TIMEOUT s (120)", parse_wait, {NULL, NULL}},
	{"halt", 0, 0, "", watch_cmd_call, PROC(UM_HALT, WATCH_ARG_NONE),
	 "halt at once (mconsole halt, then signals)", NULL, {NULL, NULL}},
	{"ctrlaltdel", 0, 0, "", watch_cmd_call, PROC(UM_CTRLALTDEL, WATCH_ARG_NONE),
	 "send Ctrl-Alt-Del to the guest", NULL, {NULL, NULL}},
	{"sysrq", 1, 1, "KEY", watch_cmd_call, PROC(UM_SYSRQ, WATCH_ARG_WORD),
	 "send a magic SysRq key", parse_sysrq, {NULL, NULL}},
	{"pause", 0, 0, "", watch_cmd_call, PROC(UM_PAUSE, WATCH_ARG_NONE),
	 "freeze the VM (mconsole stop)", NULL, {NULL, NULL}},
	{"resume", 0, 0, "", watch_cmd_call, PROC(UM_RESUME, WATCH_ARG_NONE),
	 "let a paused VM continue (mconsole go)", NULL, {NULL, NULL}},
	{"connect", 1, 2, "CHANNEL [-readonly]", watch_cmd_connect, NULL,
	 "attach the terminal to con1, ssl0 ...; the escape key (Ctrl-]) "
	 "opens a menu, then q leaves", parse_chan,
	 {watch_channels, connect_flags}},
	{"screen", 1, 1, "CHANNEL", watch_cmd_screen, NULL,
	 "print what the channel's screen shows now", parse_chan,
	 {watch_channels, NULL}},
	{"log", 1, 2, "CHANNEL [-follow]", watch_cmd_log, NULL,
	 "print the channel's log; -follow (-f): then its new output",
	 parse_chan, {watch_channels, log_flags}},
	{"mconsole", 1, 64, "COMMAND [ARG...]", watch_cmd_mconsole, NULL,
	 "pass version, help, proc FILE, stack PID, config DEV, remove DEV or "
	 "log TEXT to the kernel's mconsole", parse_mconsole,
	 {mcpolicy_passthrough, NULL}},
	{"disk", 2, 3, "OP PATH [ARG]", watch_cmd_disk, NULL,
	 "disk images: info, check, create PATH SIZE|BACKING, delete, copy PATH "
	 "NEW, resize PATH SIZE, merge PATH [NEW]", parse_disk,
	 {diskjob_ops, NULL}},
	{"add-disk", 1, 2, "ubdN=PATH[,BACKING] [--keep]", watch_cmd_device,
	 DEV(UM_DEV_DISK, 1, 1), "plug a disk of /disks into the running VM (the "
	 "checks of a boot); --keep: in the configuration file too", parse_device,
	 {NULL, keep_flags}},
	{"remove-disk", 1, 2, "ubdN [--keep]", watch_cmd_device,
	 DEV(UM_DEV_DISK, 0, 0), "unplug a disk the guest does not use; --keep: "
	 "from the file too", parse_device, {NULL, keep_flags}},
	{"add-con", 1, 2, "conN|sslN [--keep]", watch_cmd_device,
	 DEV(UM_DEV_CON, 1, 0), "a new console (or serial line) on a pty, "
	 "logged and connectable at once; --keep: in the file too",
	 parse_device, {NULL, keep_flags}},
	{"add-eth", 1, 2, "ethN=SPEC [--keep]", watch_cmd_device,
	 DEV(UM_DEV_ETH, 1, 1), "plug an interface in (SPEC as ethN in the "
	 "file), with the host side of a boot; --keep: in the file too",
	 parse_device, {NULL, keep_flags}},
	{"remove-eth", 1, 2, "ethN [--keep]", watch_cmd_device,
	 DEV(UM_DEV_ETH, 0, 0), "unplug an interface; its tap is removed; "
	 "--keep: from the file too", parse_device, {NULL, keep_flags}},
	{"mem", 1, 2, "SIZE [--keep]", watch_cmd_device, DEV(UM_DEV_MEM, 1, 0),
	 "the guest's memory, at most what it booted with; --keep: memory in "
	 "the file too", parse_device, {NULL, keep_flags}},
	{"snapshot", 1, 1, "NAME", watch_cmd_report,
	 PROC(UM_SNAPSHOT_CREATE, WATCH_ARG_WORD),
	 "pause the guest after a sync (sysrq s), copy its writable disks "
	 "(clones where the file system shares blocks), resume it; the pause "
	 "is reported", NULL, {NULL, NULL}},
	{"snapshots", 0, 0, "", watch_cmd_report,
	 PROC(UM_SNAPSHOT_LIST, WATCH_ARG_NONE),
	 "list the snapshots: name, date, size, the guest's pause, disks",
	 NULL, {NULL, NULL}},
	{"restore", 1, 1, "NAME", watch_cmd_report,
	 PROC(UM_SNAPSHOT_RESTORE, WATCH_ARG_WORD),
	 "put the disks of snapshot NAME back (the VM stopped)", NULL,
	 {NULL, NULL}},
	{"delete-snapshot", 1, 1, "NAME", watch_cmd_call,
	 PROC(UM_SNAPSHOT_DELETE, WATCH_ARG_WORD), "delete snapshot NAME", NULL,
	 {NULL, NULL}},
	{"help", 0, 0, "", show_help, NULL, "list the commands", NULL, {NULL, NULL}},
	{NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, {NULL, NULL}},
};

/* The commands as options (-info), or at the prompt (info). */
static const struct cmd_names as_options = {watch_cmds, "-", "--help", NULL, NULL};
static const struct cmd_names at_prompt = {watch_cmds, "", "'help'", NULL, NULL};

const struct cmd *watch_find(const char *s, struct err *e)
{
	return cmd_find(&at_prompt, s, e);
}

/* Is a the i-th argument's flag (a word of its list) or a number? */
static int takes(const struct cmd *cmd, int i, const char *a)
{
	const char *const *l = cmd->words[i ? 1 : 0];

	if (a[0] != '-' || isdigit((unsigned char)a[1]))
		return 1;
	return l != watch_channels && in_list(l, a);
}

int watch_parse(int argc, char **argv, struct cmd_call *steps, struct err *e)
{
	const struct cmd *prev = NULL;
	int i = 0, n = 0;

	while (i < argc) {
		const char *a = argv[i];
		struct cmd_call *s = &steps[n];
		struct cmd_names names = as_options;
		char what[64];

		memset(s, 0, sizeof(*s));
		if (a[0] != '-') {
			if (prev)
				err_code(e, ERR_INVAL, "'%s' after -%s: expected a "
					 "command such as -info (-%s takes %s)", a,
					 prev->name, prev->name,
					 *prev->args ? prev->args : "no arguments");
			else
				err_code(e, ERR_INVAL, "'%s': expected a command such as "
					 "-info (--help lists them)", a);
			return -1;
		}
		if (in_list(global_opts, a)) {
			err_code(e, ERR_INVAL, "%s is an option of umlwatch: give "
				 "it before the VM name (umlwatch %s ... VM -command)",
				 a, a);
			return -1;
		}
		/* a misspelt flag of the command before: -connect con1 -readonyl */
		if (prev && prev->words[1] && prev->words[1] != watch_channels) {
			snprintf(what, sizeof(what), "the flag of -%s", prev->name);
			names.also = prev->words[1];
			names.also_what = what;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			s->cmd = cmd_find(&names, "help", e);
		else
			s->cmd = cmd_find(&names, a + 1, e);
		if (!s->cmd)
			return -1;
		i++;
		s->argv = argv + i;
		while (s->argc < s->cmd->max_args && i < argc &&
		       (s->argc < s->cmd->min_args || takes(s->cmd, s->argc, argv[i]))) {
			s->argc++;
			i++;
		}
		if (cmd_check(&names, s, e) < 0)
			return -1;
		prev = s->cmd;
		n++;
	}
	return n;
}

int watch_parse_line(int argc, char **argv, struct cmd_call *s, struct err *e)
{
	return cmd_parse(&at_prompt, argc, argv, s, e);
}

int watch_parse_escape(const char *s, int *key, struct err *e)
{
	unsigned char c;

	if (!strcmp(s, "none")) {
		*key = CONSOLE_ESCAPE_NONE;
		return 0;
	}
	if (s[0] == '^' && s[1] && !s[2]) {
		c = (unsigned char)toupper((unsigned char)s[1]);
		if (c == '?')
			c = 0x7f;
		else if (c >= '@' && c <= '_')
			c &= 0x1f;
		else
			c = 0xff;
	} else if (s[0] && !s[1] && ((unsigned char)s[0] < 0x20 || s[0] == 0x7f)) {
		c = (unsigned char)s[0];
	} else {
		c = 0xff;
	}
	if (c == 0xff) {
		err_set(e, "-escape '%s': expected ^ and a letter or one of @ [ \\ ] "
			"^ _ ? (the default is ^]), or none", s);
		return -1;
	}
	if (c == 0x1b) {
		err_set(e, "-escape '%s': Escape starts the keys of the terminal "
			"(arrows, function keys); choose another", s);
		return -1;
	}
	*key = c;
	return 0;
}

/* The password of a remote VM: -password-file, $UMLWATCH_PASSWORD, or
 * asked on the terminal without echo. */
static int remote_password(struct watch *w, struct err *e)
{
	const char *env = getenv("UMLWATCH_PASSWORD");
	char prompt[400];

	if (w->password)
		return 0;
	if (w->password_file) {
		w->password = auth_password_file(w->password_file, getuid(), e);
		return w->password ? 0 : -1;
	}
	if (env && *env) {
		w->password = xstrdup(env);
		return 0;
	}
	snprintf(prompt, sizeof(prompt), "Password for %s@%s: ", w->vm,
		 w->remote->host);
	w->password = term_read_secret(prompt, e);
	return w->password ? 0 : -1;
}

static int remote_open_watch(struct watch *w, struct err *e)
{
	if (remote_password(w, e) < 0)
		return -1;
	w->rpc = remote_open(w->remote, w->vm, w->password, e);
	return w->rpc ? 0 : -1;
}

/* The exit status of a umldir that did not answer the list. */
static int list_status(const struct err *e)
{
	return e->code == ERR_TIMEDOUT || e->code == ERR_IO ? WATCH_NOMON : WATCH_FAILED;
}

/* A row's cells of one VM of umldir's list: VM, STATE, PORT, TLS. */
static void list_cells(struct table *tab, const ud_entry *v)
{
	table_str(tab, v->vm);
	table_str(tab, v->state);
	if (v->port)
		table_num(tab, v->port, NULL);
	else
		table_null(tab);
	table_bool(tab, v->tls);
}

static void list_print(struct table *tab, int json)
{
	if (json)
		table_print_json(tab, stdout);
	else
		table_print(tab, stdout);
	table_free(tab);
}

int watch_list_host(struct remote_target *t, int json)
{
	static const struct table_col cols[] = {
		{"VM", "name"}, {"STATE", "state"}, {"PORT", "port"}, {"TLS", "tls"},
	};
	struct table tab;
	ud_list_res l;
	struct err e;

	if (remote_list(t, &l, &e) < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		return list_status(&e);
	}
	table_init(&tab, cols, (int)ARRAY_SIZE(cols));
	for (u_int i = 0; i < l.vms.vms_len; i++)
		list_cells(&tab, &l.vms.vms_val[i]);
	list_print(&tab, json);
	remote_list_free(&l);
	return WATCH_OK;
}

int watch_list_nodes(const struct remote_target *t, const char *const *nodes,
		     int n, int json)
{
	static const struct table_col cols[] = {
		{"NODE", "node"}, {"VM", "name"}, {"STATE", "state"}, {"PORT", "port"},
		{"TLS", "tls"}, {"ERROR", "error"},
	};
	struct table tab;
	int rc = WATCH_OK;

	table_init(&tab, cols, (int)ARRAY_SIZE(cols));
	for (int k = 0; k < n; k++) {
		ud_list_res l;
		struct err e;

		/* a node that does not answer is a row of its own: the
		 * others are listed all the same */
		if (remote_list(&t[k], &l, &e) < 0) {
			table_str(&tab, nodes[k]);
			for (int c = 0; c < 4; c++)
				table_null(&tab);
			table_str(&tab, e.msg);
			if (rc == WATCH_OK || list_status(&e) == WATCH_NOMON)
				rc = list_status(&e);
			continue;
		}
		for (u_int i = 0; i < l.vms.vms_len; i++) {
			table_str(&tab, nodes[k]);
			list_cells(&tab, &l.vms.vms_val[i]);
			table_null(&tab);
		}
		remote_list_free(&l);
	}
	list_print(&tab, json);
	return rc;
}

int watch_open(struct watch *w, struct err *e)
{
	if (w->rpc)
		return 0;
	if (w->remote)
		return remote_open_watch(w, e);
	w->rpc = rpc_client_unix(w->sock, UMLMONCTRL_PROG, UMLMONCTRL_V1, e);
	if (!w->rpc) {
		char why[sizeof(e->msg)];

		if (errno == EACCES)
			snprintf(why, sizeof(why), "%s: %.900s: the control socket is "
				 "for root (and the ctrl_group of the configuration)",
				 w->vm, e->msg);
		else if (w->noconf)
			snprintf(why, sizeof(why), "%s: no configuration (%.300s) and no "
				 "monitor at %.300s; name the configuration with "
				 "UMLMON_CONFIG=FILE or -c FILE (or the socket with -s)",
				 w->vm, w->noconf, w->sock);
		else
			snprintf(why, sizeof(why), "%s: no monitor (%.900s); start one "
				 "with 'umlmon %s'", w->vm, e->msg, w->vm);
		memcpy(e->msg, why, sizeof(why));
		return -1;
	}
	return 0;
}

void watch_close(struct watch *w)
{
	rpc_client_free(w->rpc);
	w->rpc = NULL;
}

int watch_check_steps(struct watch *w, const struct cmd_call *steps, int n,
		      struct err *e)
{
	char **names = NULL;
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		const struct cmd_call *s = &steps[i];
		struct strbuf sb;

		if (s->cmd->words[0] != watch_channels || s->argc < 1)
			continue;
		if (!names) {
			struct err ce;

			/* without a monitor the first command says so */
			if (watch_open(w, &ce) < 0 ||
			    !(names = watch_channel_names(w, -1, &ce)))
				return 0;
		}
		if (in_list((const char *const *)names, s->argv[0]))
			continue;
		sb_init(&sb);
		for (char **c = names; *c; c++)
			sb_printf(&sb, "%s%s", c == names ? "" : ", ", *c);
		err_code(e, ERR_NOENT, "%s: no channel '%s' (channels: %s)", w->vm,
			 s->argv[0], sb.buf ? sb.buf : "none");
		sb_free(&sb);
		rc = -1;
	}
	watch_free_names(names);
	return rc;
}

int watch_run(struct watch *w, const struct cmd_call *s)
{
	struct err e;

	if (s->cmd->run == show_help)
		return show_help(w, s);
	if (watch_open(w, &e) < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		return WATCH_NOMON;
	}
	return s->cmd->run(w, s);
}

static int show_help(void *ctx, const struct cmd_call *s)
{
	struct watch *w = ctx;

	(void)s;
	cmd_help(stdout, w->interactive ? &at_prompt : &as_options, CMD_COLUMNS);
	if (w->interactive)
		cmd_help_line(stdout, "quit", "leave umlwatch (or Ctrl-D)");
	return WATCH_OK;
}

void watch_list_commands(FILE *f)
{
	cmd_list(f, &as_options);
}

void watch_usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [-c CONFIG] [-s SOCKET] [-escape KEY] [-redir]\n"
		"                [-password-file FILE] [-tls] [-tls-ca FILE]\n"
		"                VM[@HOST[:PORT]] [COMMAND [ARGS]]...\n"
		"       %s -list @HOST[:PORT][,@HOST[:PORT]...] [--json]\n"
		"       %s -h | --help | -version\n"
		"Controls the umlmon monitor of VM. The commands run in order; all are\n"
		"checked first. Without a command, reads commands from the terminal\n"
		"(their names without the '-'; Tab completes, arrows recall).\n\n"
		"options:\n"
		"  -c CONFIG    configuration file (default $UMLMON_CONFIG or /etc/umlmon)\n"
		"  -s SOCKET    the monitor's control socket (default VARDIR/VM/ctrl)\n"
		"  -escape KEY  the console's escape key: ^X, ^] (the default) ..., or none\n"
		"  -redir       VM@HOST: through umldir's redirector (one port for all VMs)\n"
		"  -password-file FILE  VM@HOST: the password (else $UMLWATCH_PASSWORD or asked)\n"
		"  -tls         VM@HOST: TLS, whatever umldir says the monitor speaks\n"
		"  -tls-ca FILE  VM@HOST: TLS, the certificate verified against FILE\n"
		"                (else $UMLWATCH_TLS_CA; without either it is not checked)\n"
		"  -list @HOST[,@HOST]...  the VMs of HOST (its umldir); of several,\n"
		"               with their node; --json: as JSON\n"
		"  -h, --help   this text\n"
		"  -version     the version\n\n"
		"commands (any unique prefix works):\n", prog, prog, prog);
	cmd_help(f, &as_options, CMD_COLUMNS);
}
