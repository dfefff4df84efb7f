/* Unit tests of the command table that umlwatch and umladmin share:
 * lookup by name and unique prefix, the name probably meant, argument
 * counts and checks, rows that are only a further usage, and the two
 * layouts of the help text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "common/cmdtab.h"

static int ran;

static int run(void *ctx, const struct cmd_call *c)
{
	(void)ctx;
	(void)c;
	return ++ran;
}

static int check_size(struct cmd_call *c, struct err *e)
{
	if (c->argc && parse_long(c->argv[0], 1, 100, &c->num) < 0) {
		err_code(e, ERR_INVAL, "%s: '%s' is not a size", c->cmd->name,
			 c->argv[0]);
		return -1;
	}
	return 0;
}

static const char *const flags[] = {"-force", "-quiet", NULL};

static const struct cmd tab[] = {
	{"setup", 0, 2, "[-kernel FILE]", run, NULL,
	 "make the directories\nand install the kernel", NULL, {NULL, NULL}},
	{"stop", 0, 1, "[SIZE]", run, NULL, "stop it", check_size, {NULL, NULL}},
	{"start", 0, 0, "", run, NULL, "start it", NULL, {NULL, flags}},
	{"list", 0, 0, "", run, NULL, "list them", NULL, {NULL, NULL}},
	{"list", 1, 1, "VM", NULL, NULL, "list one", NULL, {NULL, NULL}},
	{"resize", 2, 2, "PATH SIZE", run, NULL, "a long explanation that goes on "
	 "and on past the end of one line of the terminal so that it wraps",
	 NULL, {NULL, NULL}},
	{NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, {NULL, NULL}},
};

static const struct cmd_names plain = {tab, "", "--help", NULL, NULL};
static const struct cmd_names dashed = {tab, "-", "'help'", flags, "a flag of -start"};

static void lookup(void **state)
{
	static const struct {
		const struct cmd_names *n;
		const char *s, *found, *msg;
	} cases[] = {
		{&plain, "setup", "setup", NULL},
		{&plain, "se", "setup", NULL},
		{&plain, "l", "list", NULL},
		{&plain, "r", "resize", NULL},
		{&plain, "st", NULL, "'st' is ambiguous: stop start"},
		{&plain, "lst", NULL, "unknown command 'lst' (did you mean list?)"},
		{&dashed, "stp", NULL, "unknown command 'stp' (did you mean -stop?)"},
		{&plain, "frobnicate", NULL,
		 "unknown command 'frobnicate' (--help lists them)"},
		{&dashed, "frobnicate", NULL,
		 "unknown command 'frobnicate' ('help' lists them)"},
		/* a word of the other list, if it is nearer than any command */
		{&dashed, "forse", NULL, "unknown command 'forse' (did you mean -force, "
		 "a flag of -start?)"},
		{&plain, "", NULL, "unknown command ''"},
	};
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cmd *c;

		e.msg[0] = '\0';
		c = cmd_find(cases[i].n, cases[i].s, &e);
		if (cases[i].found && (!c || strcmp(c->name, cases[i].found)))
			fail_msg("'%s': found %s, expected %s (%s)", cases[i].s,
				 c ? c->name : "nothing", cases[i].found, e.msg);
		if (!cases[i].found && (c || strncmp(e.msg, cases[i].msg,
						     strlen(cases[i].msg)) ||
					e.code != ERR_INVAL))
			fail_msg("'%s': '%s' (code %d), expected '%s'", cases[i].s,
				 e.msg, e.code, cases[i].msg);
	}
}

static int parse(const struct cmd_names *n, const char *line, struct cmd_call *c,
		 struct err *e)
{
	char **argv;
	int argc = test_words(line, &argv);

	e->msg[0] = '\0';
	return cmd_parse(n, argc, argv, c, e);
}

static void arguments(void **state)
{
	static const struct {
		const struct cmd_names *n;
		const char *line, *msg;
	} bad[] = {
		{&plain, "list x", "list: unexpected argument 'x' (it takes none)"},
		{&dashed, "start x", "-start: unexpected argument 'x' (it takes none)"},
		{&plain, "resize a",
		 "resize: too few arguments (usage: resize PATH SIZE)"},
		{&dashed, "resize a b c", "-resize: too many arguments (usage: -resize "
		 "PATH SIZE)"},
		{&plain, "stop 0", "stop: '0' is not a size"},
	};
	struct cmd_call c;
	struct err e;

	(void)state;
	assert_int_equal(parse(&plain, "stop 42", &c, &e), 0);
	assert_string_equal(c.cmd->name, "stop");
	assert_int_equal(c.num, 42);
	assert_int_equal(c.argc, 1);
	assert_string_equal(c.argv[0], "42");
	assert_int_equal(parse(&plain, "stop", &c, &e), 0);
	assert_int_equal(c.num, -1);
	assert_int_equal(parse(&plain, "setup -kernel /k", &c, &e), 0);
	assert_int_equal(c.argc, 2);
	ran = 0;
	assert_int_equal(c.cmd->run(NULL, &c), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i].n, bad[i].line, &c, &e) != -1 ||
		    strcmp(e.msg, bad[i].msg) || e.code != ERR_INVAL)
			fail_msg("'%s': '%s', expected '%s'", bad[i].line, e.msg,
				 bad[i].msg);
	}
}

static char *help(const struct cmd_names *n, enum cmd_layout layout)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	cmd_help(f, n, layout);
	fclose(f);
	return text;
}

static void help_text(void **state)
{
	char *below = help(&plain, CMD_BELOW), *cols = help(&dashed, CMD_COLUMNS);

	(void)state;
	/* every row, the usage-only one too, with its lines indented */
	assert_string_equal(below,
			    "  setup [-kernel FILE]\n"
			    "        make the directories\n"
			    "        and install the kernel\n"
			    "  stop [SIZE]\n"
			    "        stop it\n"
			    "  start\n"
			    "        start it\n"
			    "  list\n"
			    "        list them\n"
			    "  list VM\n"
			    "        list one\n"
			    "  resize PATH SIZE\n"
			    "        a long explanation that goes on and on past the "
			    "end of one line of the terminal so that it wraps\n");
	/* two columns, wrapped at 79 */
	assert_string_equal(cols,
			    "  -setup [-kernel FILE]       make the directories and "
			    "install the kernel\n"
			    "  -stop [SIZE]                stop it\n"
			    "  -start                      start it\n"
			    "  -list                       list them\n"
			    "  -list VM                    list one\n"
			    "  -resize PATH SIZE           a long explanation that "
			    "goes on and on past the\n"
			    "                              end of one line of the "
			    "terminal so that it wraps\n");
	free(below);
	free(cols);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookup),
		cmocka_unit_test(arguments),
		cmocka_unit_test(help_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
