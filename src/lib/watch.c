/* watch.c -- umlwatch's table of commands, the parsing and checking of a
 * run, the help text, and running a command. */
#include "watch.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "../common/mcpolicy.h"
#include "rpc_client.h"
#include "umlmonctrl.h"
#include "watch_int.h"

const char *const watch_channels[] = {NULL};

static const char *const connect_flags[] = {"-readonly", NULL};
static const char *const log_flags[] = {"-follow", "-f", NULL};
static const char *const disk_ops[] = {"info", "check", "create", "delete",
				       "copy", "resize", "merge", NULL};

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

static int parse_timeout(struct watch_step *s, long max, long dflt, struct err *e)
{
	s->num = dflt;
	if (s->argc > 0 && parse_long(s->argv[0], 0, max, &s->num) < 0) {
		err_set(e, "%s: '%s' is not a timeout in seconds (0 to %ld)",
			s->cmd->name, s->argv[0], max);
		return -1;
	}
	return 0;
}

static int parse_stop(struct watch_step *s, struct err *e)
{
	return parse_timeout(s, 3600, -1, e);
}

#define WAIT_DEFAULT 120

static int parse_wait(struct watch_step *s, struct err *e)
{
	return parse_timeout(s, 86400, WAIT_DEFAULT, e);
}

static int parse_sysrq(struct watch_step *s, struct err *e)
{
	return mcpolicy_check_sysrq(s->argv[0], e);
}

/* The channel argument, then the command's flags (words[1]): any of them
 * sets *flag. */
static int parse_chan(struct watch_step *s, int *flag, struct err *e)
{
	const char *c = s->argv[0];
	int bad = !*c;

	for (const char *p = c; *p; p++)
		bad |= !isalnum((unsigned char)*p);
	if (bad) {
		err_set(e, "%s: '%s' is not a channel name (con0, con1, ssl0 ...; "
			"-info lists them)", s->cmd->name, c);
		return -1;
	}
	for (int i = 1; i < s->argc; i++) {
		const char *const *alias = s->cmd->words[1];
		int ok = 0;

		for (; alias && *alias; alias++)
			ok |= is_flag(s->argv[i], *alias);
		if (!ok) {
			err_set(e, "%s: unknown flag '%s' (expected %s)", s->cmd->name,
				s->argv[i], s->cmd->words[1] ? s->cmd->words[1][0] : "none");
			return -1;
		}
		*flag = 1;
	}
	return 0;
}

static int parse_connect(struct watch_step *s, struct err *e)
{
	return parse_chan(s, &s->readonly, e);
}

static int parse_log(struct watch_step *s, struct err *e)
{
	return parse_chan(s, &s->follow, e);
}

static int parse_screen(struct watch_step *s, struct err *e)
{
	int none = 0;

	return parse_chan(s, &none, e);
}

static int parse_mconsole(struct watch_step *s, struct err *e)
{
	return mcpolicy_check_passthrough(s->argv[0], e);
}

static int parse_disk(struct watch_step *s, struct err *e)
{
	return diskjob_parse(s->argc, s->argv, &s->disk, e);
}

static int cmd_help(struct watch *w, const struct watch_step *s);

const struct watch_cmd watch_cmds[] = {
	{"info", 0, 0, "", watch_cmd_info, 0,
	 "show the configuration and the state", NULL, {NULL, NULL}},
	{"start", 0, 0, "", NULL, UM_START, "boot the VM", NULL, {NULL, NULL}},
	{"stop", 0, 1, "[TIMEOUT]", watch_cmd_stop, UM_STOP,
	 "ctrl-alt-del; after TIMEOUT s sync, remount, halt, kill", parse_stop,
	 {NULL, NULL}},
	{"reboot", 0, 1, "[TIMEOUT]", watch_cmd_stop, UM_REBOOT,
	 "stop as -stop does, then boot again in a fresh jail", parse_stop,
	 {NULL, NULL}},
	{"wait", 0, 1, "[TIMEOUT]", watch_cmd_wait, UM_WAIT,
	 "until the guest is up (its ready notice or a login prompt on con1), "
	 "at most TIMEOUT s (120)", parse_wait, {NULL, NULL}},
	{"halt", 0, 0, "", NULL, UM_HALT,
	 "halt at once (mconsole halt, then signals)", NULL, {NULL, NULL}},
	{"ctrlaltdel", 0, 0, "", NULL, UM_CTRLALTDEL,
	 "send Ctrl-Alt-Del to the guest", NULL, {NULL, NULL}},
	{"sysrq", 1, 1, "KEY", watch_cmd_sysrq, UM_SYSRQ, "send a magic SysRq key",
	 parse_sysrq, {NULL, NULL}},
	{"pause", 0, 0, "", NULL, UM_PAUSE, "freeze the VM (mconsole stop)", NULL,
	 {NULL, NULL}},
	{"resume", 0, 0, "", NULL, UM_RESUME,
	 "let a paused VM continue (mconsole go)", NULL, {NULL, NULL}},
	{"connect", 1, 2, "CHANNEL [-readonly]", watch_cmd_connect, 0,
	 "attach the terminal to con1, ssl0 ...; the escape key (Ctrl-]) "
	 "opens a menu, then q leaves", parse_connect,
	 {watch_channels, connect_flags}},
	{"screen", 1, 1, "CHANNEL", watch_cmd_screen, UM_CONSOLE_SCREEN,
	 "print what the channel's screen shows now", parse_screen,
	 {watch_channels, NULL}},
	{"log", 1, 2, "CHANNEL [-follow]", watch_cmd_log, UM_LOG_READ,
	 "print the channel's log; -follow (-f): then its new output",
	 parse_log, {watch_channels, log_flags}},
	{"mconsole", 1, 64, "COMMAND [ARG...]", watch_cmd_mconsole, UM_MCONSOLE,
	 "pass version, help, proc FILE, stack PID, config DEV, remove DEV or "
	 "log TEXT to the kernel's mconsole", parse_mconsole,
	 {mcpolicy_passthrough, NULL}},
	{"disk", 2, 3, "OP PATH [ARG]", watch_cmd_disk, UM_DISK,
	 "disk images: info, check, create PATH SIZE|BACKING, delete, copy PATH "
	 "NEW, resize PATH SIZE, merge PATH [NEW]", parse_disk, {disk_ops, NULL}},
	{"help", 0, 0, "", cmd_help, 0, "list the commands", NULL, {NULL, NULL}},
	{NULL, 0, 0, NULL, NULL, 0, NULL, NULL, {NULL, NULL}},
};

/* The word of list nearest to s, if it is near enough to be meant. */
static const char *nearest(const char *const *list, const char *s, int *best)
{
	const char *found = NULL;

	for (; list && *list; list++) {
		size_t e = edit_distance(s, *list);
		int d = e < 3 ? (int)e : 3;

		if (d < *best) {
			*best = d;
			found = *list;
		}
	}
	return found;
}

/* dash: the name was given as an option (-info), not at the prompt. */
static const struct watch_cmd *find(const char *s, int dash,
				    const struct watch_cmd *prev, struct err *e)
{
	const struct watch_cmd *found = NULL;
	const char *p = dash ? "-" : "";
	size_t n = strlen(s);
	int matches = 0;

	for (const struct watch_cmd *c = watch_cmds; c->name; c++) {
		if (!strcmp(c->name, s))
			return c;
		if (n && !strncmp(c->name, s, n)) {
			found = c;
			matches++;
		}
	}
	if (matches == 1)
		return found;
	if (matches == 0) {
		const char *names[ARRAY_SIZE(watch_cmds)], *near, *flag = NULL;
		char dashed[64];
		int best = n > 3 ? 3 : 2, i = 0;

		for (const struct watch_cmd *c = watch_cmds; c->name; c++)
			names[i++] = c->name;
		names[i] = NULL;
		near = nearest(names, s, &best);
		/* a misspelt flag of the command before: -connect con1 -readonyl */
		if (dash && prev && prev->words[1] && prev->words[1] != watch_channels) {
			snprintf(dashed, sizeof(dashed), "-%s", s);
			flag = nearest(prev->words[1], dashed, &best);
		}
		if (flag)
			err_set(e, "unknown command '%s' (did you mean %s, the flag of "
				"-%s?)", s, flag, prev->name);
		else if (near)
			err_set(e, "unknown command '%s' (did you mean %s%s?)", s, p, near);
		else
			err_set(e, "unknown command '%s' (%s lists them)", s,
				dash ? "--help" : "'help'");
	} else {
		struct strbuf sb;

		sb_init(&sb);
		for (const struct watch_cmd *c = watch_cmds; c->name; c++)
			if (!strncmp(c->name, s, n))
				sb_printf(&sb, " %s", c->name);
		err_set(e, "'%s' is ambiguous:%s", s, sb.buf);
		sb_free(&sb);
	}
	return NULL;
}

const struct watch_cmd *watch_find(const char *s, struct err *e)
{
	return find(s, 0, NULL, e);
}

/* Is a the i-th argument's flag (a word of its list) or a number? */
static int takes(const struct watch_cmd *cmd, int i, const char *a)
{
	const char *const *l = cmd->words[i ? 1 : 0];

	if (a[0] != '-' || isdigit((unsigned char)a[1]))
		return 1;
	return l != watch_channels && in_list(l, a);
}

/* Checks the count and the arguments of s (cmd, argc, argv set). */
static int check_step(struct watch_step *s, int dash, struct err *e)
{
	const struct watch_cmd *c = s->cmd;
	const char *p = dash ? "-" : "";

	s->num = -1;
	s->readonly = s->follow = 0;
	if (s->argc < c->min_args) {
		err_set(e, "%s%s: too few arguments (usage: %s%s %s)", p, c->name, p,
			c->name, c->args);
		return -1;
	}
	if (s->argc > c->max_args) {
		err_set(e, "%s%s: too many arguments (usage: %s%s%s%s)", p, c->name, p,
			c->name, *c->args ? " " : "", c->args);
		return -1;
	}
	return c->parse ? c->parse(s, e) : 0;
}

int watch_parse(int argc, char **argv, struct watch_step *steps, struct err *e)
{
	const struct watch_cmd *prev = NULL;
	int i = 0, n = 0;

	while (i < argc) {
		const char *a = argv[i];
		struct watch_step *s = &steps[n];

		memset(s, 0, sizeof(*s));
		if (a[0] != '-') {
			if (prev)
				err_set(e, "'%s' after -%s: expected a command such as -info "
					"(-%s takes %s)", a, prev->name, prev->name,
					*prev->args ? prev->args : "no arguments");
			else
				err_set(e, "'%s': expected a command such as -info (--help "
					"lists them)", a);
			return -1;
		}
		if (in_list(global_opts, a)) {
			err_set(e, "%s is an option of umlwatch: give it before the VM "
				"name (umlwatch %s ... VM -command)", a, a);
			return -1;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			s->cmd = find("help", 1, NULL, e);
		else
			s->cmd = find(a + 1, 1, prev, e);
		if (!s->cmd)
			return -1;
		i++;
		s->argv = argv + i;
		while (s->argc < s->cmd->max_args && i < argc &&
		       (s->argc < s->cmd->min_args || takes(s->cmd, s->argc, argv[i]))) {
			s->argc++;
			i++;
		}
		if (check_step(s, 1, e) < 0)
			return -1;
		prev = s->cmd;
		n++;
	}
	return n;
}

int watch_parse_line(int argc, char **argv, struct watch_step *s, struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->cmd = find(argv[0], 0, NULL, e);
	if (!s->cmd)
		return -1;
	s->argc = argc - 1;
	s->argv = argv + 1;
	return check_step(s, 0, e);
}

int watch_parse_escape(const char *s, int *key, struct err *e)
{
	unsigned char c;

	if (!strcmp(s, "none")) {
		*key = WATCH_ESCAPE_NONE;
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

const char *watch_escape_name(int key, char *buf, size_t n)
{
	if (key == WATCH_ESCAPE_NONE)
		snprintf(buf, n, "none");
	else
		snprintf(buf, n, "Ctrl-%c", key == 0x7f ? '?' : key | 0x40);
	return buf;
}

int watch_open(struct watch *w, struct err *e)
{
	if (w->rpc)
		return 0;
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

int watch_check_steps(struct watch *w, const struct watch_step *steps, int n,
		      struct err *e)
{
	char **names = NULL;
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++) {
		const struct watch_step *s = &steps[i];
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
		err_set(e, "%s: no channel '%s' (channels: %s)", w->vm, s->argv[0],
			sb.buf ? sb.buf : "none");
		sb_free(&sb);
		rc = -1;
	}
	watch_free_names(names);
	return rc;
}

int watch_run(struct watch *w, const struct watch_step *s)
{
	struct err e;

	if (s->cmd->fn == cmd_help)
		return cmd_help(w, s);
	if (watch_open(w, &e) < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		return WATCH_NOMON;
	}
	if (!s->cmd->fn)
		return watch_simple(w, s->cmd->proc, NOARGS);
	return s->cmd->fn(w, s);
}

#define HELP_LEFT 30   /* the column of the explanations */
#define HELP_WIDTH 79

/* One command and its explanation, wrapped at HELP_WIDTH. */
static void help_line(FILE *f, const char *left, const char *text)
{
	int col = fprintf(f, "  %s", left);

	/* at least two blanks between the columns */
	if (col + 2 > HELP_LEFT) {
		fputc('\n', f);
		col = 0;
	}
	while (*text) {
		size_t word = strcspn(text, " ");

		if (col >= HELP_LEFT && col + 1 + (int)word > HELP_WIDTH) {
			fputc('\n', f);
			col = 0;
		}
		col += fprintf(f, "%*s%.*s", col < HELP_LEFT ? HELP_LEFT - col : 1, "",
			       (int)word, text);
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

static void list_cmds(FILE *f, int dash)
{
	for (const struct watch_cmd *c = watch_cmds; c->name; c++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%s %s", dash ? "-" : "", c->name,
			 c->args);
		help_line(f, left, c->help);
	}
}

static int cmd_help(struct watch *w, const struct watch_step *s)
{
	(void)s;
	list_cmds(stdout, !w->interactive);
	if (w->interactive)
		help_line(stdout, "quit", "leave umlwatch (or Ctrl-D)");
	return WATCH_OK;
}

void watch_usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [-c CONFIG] [-s SOCKET] [-escape KEY] VM [COMMAND [ARGS]]...\n"
		"       %s -h | --help | -version\n"
		"Controls the umlmon monitor of VM. The commands run in order; all are\n"
		"checked first. Without a command, reads commands from the terminal\n"
		"(their names without the '-'; Tab completes, arrows recall).\n\n"
		"options:\n"
		"  -c CONFIG    configuration file (default $UMLMON_CONFIG or /etc/umlmon)\n"
		"  -s SOCKET    the monitor's control socket (default VARDIR/VM/ctrl)\n"
		"  -escape KEY  the console's escape key: ^X, ^] (the default) ..., or none\n"
		"  -h, --help   this text\n"
		"  -version     the version\n\n"
		"commands (any unique prefix works):\n", prog, prog);
	list_cmds(f, 1);
}
