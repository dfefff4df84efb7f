/* cmdtab.h -- a table of commands, as OpenBSD's vmctl keeps one: each row
 * gives a command's name, the usage of its arguments, its help, how many
 * arguments it takes, a check of them and its handler. The lookup by name
 * or unique prefix (with the name probably meant), the argument checks and
 * the help text all come from the table. umlwatch (its options and its
 * prompt) and umladmin use it. */
#ifndef UMLMON_CMDTAB_H
#define UMLMON_CMDTAB_H

#include <stdio.h>

#include "common/util.h"

struct cmd_call;

struct cmd {
	const char *name;       /* NULL ends the table */
	int min_args, max_args;
	const char *args;       /* for the usage text: "CHANNEL [-readonly]" or "" */
	/* Runs the command; ctx is the program's. NULL: the row is a further
	 * usage of the command above it, for the help text only. */
	int (*run)(void *ctx, const struct cmd_call *c);
	/* for run: what the row stands for (umlwatch: the monitor's
	 * procedure and how its argument is sent) */
	const void *data;
	const char *help;       /* lines separated by '\n' */
	/* checks and converts the arguments after their count (NULL: none) */
	int (*check)(struct cmd_call *c, struct err *e);
	/* What the arguments are, for taking them from a line of several
	 * commands and for completion: words[0] for the first, words[1] for
	 * the others; NULL-terminated lists, or lists the program gives a
	 * meaning of its own (umlwatch: watch_channels). */
	const char *const *words[2];
};

/* A command as given, and what the checks made of its arguments. */
struct cmd_call {
	const struct cmd *cmd;
	int argc;
	char **argv;
	long num;               /* a number among them (umlwatch: a timeout); -1 */
	int flag;               /* one of the words[1] flags was given */
};

/* How a program's commands are named in its messages. */
struct cmd_names {
	const struct cmd *tab;
	const char *dash;       /* "-" when commands are options (umlwatch -info) */
	const char *hint;       /* what lists them: "--help", "'help'" */
	/* words that may have been meant instead of a command, written as
	 * options are (umlwatch: the flags of the command before, -readonly),
	 * and what they are ("the flag of -connect"); NULL: none */
	const char *const *also;
	const char *also_what;
};

/* The command named s, or the only one whose name starts with s; NULL with
 * e if none ("unknown command 'x' (did you mean -y?)") or several ("'s' is
 * ambiguous: start stop") match. */
const struct cmd *cmd_find(const struct cmd_names *n, const char *s, struct err *e);
/* Checks c (cmd, argc and argv set): the count of its arguments, then
 * the row's own check. */
int cmd_check(const struct cmd_names *n, struct cmd_call *c, struct err *e);
/* A command and its arguments as one line gives them (argv[0] is the
 * name): found and checked. */
int cmd_parse(const struct cmd_names *n, int argc, char **argv, struct cmd_call *c,
	      struct err *e);

enum cmd_layout {
	CMD_COLUMNS,            /* "  -stop [TIMEOUT]     help", wrapped */
	CMD_BELOW,              /* "  setup [-kernel FILE]", the help's lines below */
};
/* The commands' help: every row, in the table's order. */
void cmd_help(FILE *f, const struct cmd_names *n, enum cmd_layout layout);
/* One entry of the CMD_COLUMNS layout, for what is not a row. */
void cmd_help_line(FILE *f, const char *left, const char *text);
/* The table as shell completion reads it (PROGRAM --commands), so that
 * completion cannot drift from the program: a line a row,
 * "NAME<TAB>ARGS<TAB>WORDS<TAB>FLAGS" (NAME with the dash of n, ARGS as
 * the usage has them, the words[0] and words[1] lists separated by blanks;
 * a list the program gives a meaning of its own is empty, ARGS names it). */
void cmd_list(FILE *f, const struct cmd_names *n);

#endif
