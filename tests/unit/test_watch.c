/* Unit tests of umlwatch's command line (no monitor): a run is parsed and
 * checked whole before anything runs, with errors that name the command
 * and the cause; prompt lines; the -escape key; the terminal replies that
 * the prompt drops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "umlwatch/term.h"
#include "umlwatch/watch.h"
#include "umlwatch/watch_int.h"

/* Parses a command line given as one string of words. */
static int parse(const char *text, struct cmd_call *steps, struct err *e)
{
	char **argv;
	int argc = test_words(text, &argv);

	e->msg[0] = '\0';
	return watch_parse(argc, argv, steps, e);
}

static void good_runs(void **state)
{
	struct cmd_call s[16];
	struct err e;

	(void)state;
	assert_int_equal(parse("-start -connect con1 -readonly -stop 5 -log con0 -f "
			       "-i", s, &e), 5);
	assert_string_equal(s[0].cmd->name, "start");
	assert_string_equal(s[1].cmd->name, "connect");
	assert_int_equal(s[1].argc, 2);
	assert_int_equal(s[1].flag, 1);
	assert_string_equal(s[2].cmd->name, "stop");
	assert_int_equal(s[2].num, 5);
	assert_string_equal(s[3].cmd->name, "log");
	assert_int_equal(s[3].flag, 1);
	assert_string_equal(s[4].cmd->name, "info");
	/* optional arguments: defaults */
	assert_int_equal(parse("-stop -wait -reboot 0 -wait 30", s, &e), 4);
	assert_int_equal(s[0].num, -1);
	assert_int_equal(s[1].num, 120);
	assert_int_equal(s[2].num, 0);
	assert_int_equal(s[3].num, 30);
	/* arguments of mconsole run to the next command */
	assert_int_equal(parse("-mconsole proc meminfo -screen con1", s, &e), 2);
	assert_int_equal(s[0].argc, 2);
	assert_int_equal(parse("-disk create /disks/a.dsk 1G -sysrq h -h", s, &e), 3);
	assert_int_equal(s[0].argc, 3);
	assert_string_equal(s[2].cmd->name, "help");
	assert_int_equal(parse("", s, &e), 0);
}

/* Each bad run fails as a whole, with a message naming the cause. */
static void bad_runs(void **state)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{"-start -conect con1", "unknown command 'conect' (did you mean -connect?)"},
		{"-start -connect con1 -readonyl", "unknown command 'readonyl' (did you mean -readonly, the flag of -connect?)"},
		{"-start -frobnicate", "unknown command 'frobnicate' (--help lists them)"},
		{"-start -st", "'st' is ambiguous: start stop"},
		{"-start -s", "'s' is ambiguous: start stop sysrq screen"},
		{"-start con1", "'con1' after -start: expected a command such as -info"},
		{"con1", "'con1': expected a command"},
		{"-start -stop 5x", "stop: '5x' is not a timeout in seconds (0 to 3600)"},
		{"-start -stop -5", "stop: '-5' is not a timeout"},
		{"-start -reboot 3601", "reboot: '3601' is not a timeout"},
		{"-start -wait 86401", "wait: '86401' is not a timeout in seconds (0 to 86400)"},
		{"-start -wait 5 6", "'6' after -wait: expected a command such as -info (-wait takes [TIMEOUT])"},
		{"-start -sysrq X", "sysrq 'X': expected one letter or digit"},
		{"-start -sysrq ab", "sysrq 'ab': expected one letter or digit"},
		{"-start -connect", "-connect: too few arguments (usage: -connect CHANNEL [-readonly])"},
		{"-start -connect -readonly", "connect: '-readonly' is not a channel name"},
		{"-start -screen con1/x", "screen: 'con1/x' is not a channel name"},
		{"-start -disk frob /disks/a.dsk", "disk: unknown operation 'frob'"},
		{"-start -disk create /disks/a.dsk 1x", "disk create: size '1x'"},
		{"-start -disk info", "-disk: too few arguments"},
		{"-start -mconsole halt", "mconsole 'halt': not passed through"},
		{"-start -escape ^X", "-escape is an option of umlwatch: give it before the VM name"},
		{"-start --config /etc/umlmon", "--config is an option of umlwatch"},
		{"-start -version", "-version is an option of umlwatch"},
	};
	struct cmd_call s[16];
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].line, s, &e);

		if (rc != -1 || !strstr(e.msg, cases[i].msg))
			fail_msg("'%s': rc %d, '%s'; expected '%s'", cases[i].line, rc,
				 e.msg, cases[i].msg);
	}
}

/* The commands that are one call of the monitor are rows that name the
 * procedure and how the argument goes, with one handler. */
static void call_rows(void **state)
{
	static const struct {
		const char *name;
		uint32_t proc;
		enum watch_arg arg;
	} rows[] = {
		{"start", UM_START, WATCH_ARG_NONE},
		{"stop", UM_STOP, WATCH_ARG_TIMEOUT},
		{"reboot", UM_REBOOT, WATCH_ARG_TIMEOUT},
		{"wait", UM_WAIT, WATCH_ARG_WAIT},
		{"halt", UM_HALT, WATCH_ARG_NONE},
		{"ctrlaltdel", UM_CTRLALTDEL, WATCH_ARG_NONE},
		{"sysrq", UM_SYSRQ, WATCH_ARG_WORD},
		{"pause", UM_PAUSE, WATCH_ARG_NONE},
		{"resume", UM_RESUME, WATCH_ARG_NONE},
		{"delete-snapshot", UM_SNAPSHOT_DELETE, WATCH_ARG_WORD},
	};
	size_t n = 0;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct cmd *c = watch_find(rows[i].name, &e);
		const struct watch_proc *p;

		assert_non_null(c);
		assert_ptr_equal(c->run, watch_cmd_call);
		p = c->data;
		if (p->proc != rows[i].proc || p->arg != rows[i].arg)
			fail_msg("%s: procedure %u, argument %d", rows[i].name, p->proc,
				 p->arg);
	}
	for (const struct cmd *c = watch_cmds; c->name; c++)
		n += c->run == watch_cmd_call;
	assert_int_equal(n, sizeof(rows) / sizeof(rows[0]));
}

static int line(const char *text, struct cmd_call *s, struct err *e)
{
	char **argv;
	int argc = test_words(text, &argv);

	e->msg[0] = '\0';
	return watch_parse_line(argc, argv, s, e);
}

static void prompt_lines(void **state)
{
	struct cmd_call s;
	struct err e;

	(void)state;
	assert_int_equal(line("connect con1 readonly", &s, &e), 0);
	assert_int_equal(s.flag, 1);
	assert_int_equal(line("con con1 -readonly", &s, &e), 0);
	assert_int_equal(s.flag, 1);
	assert_int_equal(line("log con0 follow", &s, &e), 0);
	assert_int_equal(s.flag, 1);
	assert_int_equal(line("stop 5 6", &s, &e), -1);
	assert_string_equal(e.msg, "stop: too many arguments (usage: stop [TIMEOUT])");
	assert_int_equal(line("info x", &s, &e), -1);
	assert_string_equal(e.msg, "info: unexpected argument 'x' (it takes only --json)");
	assert_int_equal(line("info --json", &s, &e), 0);
	assert_int_equal(s.flag, 1);
	assert_int_equal(line("conect con1", &s, &e), -1);
	assert_string_equal(e.msg, "unknown command 'conect' (did you mean connect?)");
	assert_int_equal(line("connect con1 rw", &s, &e), -1);
	assert_string_equal(e.msg, "connect: unknown flag 'rw' (expected -readonly)");
	assert_int_equal(line("sysrq", &s, &e), -1);
	assert_string_equal(e.msg, "sysrq: too few arguments (usage: sysrq KEY)");
}

static void escape_key(void **state)
{
	static const char *bad[] = {"x", "^", "^ab", "^1", "", "^[", "ctrl-x"};
	char name[16];
	struct err e;
	int k;

	(void)state;
	assert_int_equal(watch_parse_escape("^]", &k, &e), 0);
	assert_int_equal(k, 0x1d);
	assert_int_equal(watch_parse_escape("^x", &k, &e), 0);
	assert_int_equal(k, 0x18);
	assert_int_equal(watch_parse_escape("^X", &k, &e), 0);
	assert_int_equal(k, 0x18);
	assert_int_equal(watch_parse_escape("^?", &k, &e), 0);
	assert_int_equal(k, 0x7f);
	assert_int_equal(watch_parse_escape("\x01", &k, &e), 0);
	assert_int_equal(k, 1);
	assert_int_equal(watch_parse_escape("none", &k, &e), 0);
	assert_int_equal(k, CONSOLE_ESCAPE_NONE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (watch_parse_escape(bad[i], &k, &e) != -1 ||
		    !strstr(e.msg, "-escape '"))
			fail_msg("-escape '%s' accepted (%s)", bad[i], e.msg);
	}
	assert_string_equal(console_escape_name(0x1d, name, sizeof(name)), "Ctrl-]");
	assert_string_equal(console_escape_name(0x18, name, sizeof(name)), "Ctrl-X");
	assert_string_equal(console_escape_name(CONSOLE_ESCAPE_NONE, name, sizeof(name)),
			    "none");
}

static enum term_seq classify(const char *s, size_t *len)
{
	return term_classify((const unsigned char *)s, strlen(s), len);
}

static void terminal_replies(void **state)
{
	static const struct {
		const char *in;
		enum term_seq kind;
		size_t len;
	} cases[] = {
		/* replies: cursor position, device attributes, status, colours,
		 * window size, a DCS string */
		{"\x1b[12;5R", TERM_REPLY, 7},
		{"\x1b[12;5Rinfo", TERM_REPLY, 7},
		{"\x1b[?1;2c", TERM_REPLY, 7},
		{"\x1b[>41;354;0c", TERM_REPLY, 12},
		{"\x1b[0n", TERM_REPLY, 4},
		{"\x1b]11;rgb:0000/0000/0000\x07", TERM_REPLY, 24},
		{"\x1b]11;rgb:0000/0000/0000\x1b\\x", TERM_REPLY, 25},
		{"\x1b[8;30;100t", TERM_REPLY, 11},
		{"\x1bP>|tmux 3.3a\x1b\\", TERM_REPLY, 15},
		/* keys */
		{"\x1b[A", TERM_KEYS, 3},
		{"\x1b[1;5D", TERM_KEYS, 6},
		{"\x1b[3~", TERM_KEYS, 4},
		{"\x1bOA", TERM_KEYS, 3},
		{"\x1b" "b", TERM_KEYS, 1},
		{"\x1b\x1b[A", TERM_KEYS, 1},
		/* not yet complete */
		{"\x1b", TERM_PARTIAL, 1},
		{"\x1b[12;", TERM_PARTIAL, 1},
		{"\x1b]11;rgb:00", TERM_PARTIAL, 1},
		{"\x1bO", TERM_PARTIAL, 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = 0;
		enum term_seq k = classify(cases[i].in, &len);

		if (k != cases[i].kind || (k != TERM_PARTIAL && len != cases[i].len))
			fail_msg("case %zu: kind %d len %zu; expected %d %zu", i, k, len,
				 cases[i].kind, cases[i].len);
	}
}

static void line_start(void **state)
{
	(void)state;
	assert_true(term_at_line_start());
	term_note_output("vm1 login: ", 11);
	assert_false(term_at_line_start());
	term_note_output("", 0);
	assert_false(term_at_line_start());
	term_note_output("ok\r\n", 4);
	assert_true(term_at_line_start());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_runs),
		cmocka_unit_test(bad_runs),
		cmocka_unit_test(call_rows),
		cmocka_unit_test(prompt_lines),
		cmocka_unit_test(escape_key),
		cmocka_unit_test(terminal_replies),
		cmocka_unit_test(line_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
