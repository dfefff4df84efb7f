/* cmdtab.c -- a table of commands: lookup, argument checks, help (see
 * cmdtab.h). */
#include "common/cmdtab.h"

#include <string.h>

/* The word of list nearest to s, if it is nearer than *best edits (which
 * then becomes its distance). */
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

static void unknown(const struct cmd_names *n, const char *s, struct err *e)
{
	const char *names[64], *near, *also = NULL;
	char dashed[64];
	size_t i = 0;
	int best = strlen(s) > 3 ? 3 : 2;

	for (const struct cmd *c = n->tab; c->name && i + 1 < ARRAY_SIZE(names); c++)
		if (c->run)
			names[i++] = c->name;
	names[i] = NULL;
	near = nearest(names, s, &best);
	/* a word of the other list is named only if it is nearer still; it
	 * is written as an option is (-readonly) */
	snprintf(dashed, sizeof(dashed), "%s%s", n->dash, s);
	if (n->also)
		also = nearest(n->also, dashed, &best);
	if (also)
		err_code(e, ERR_INVAL, "unknown command '%s' (did you mean %s, %s?)", s,
			 also, n->also_what);
	else if (near)
		err_code(e, ERR_INVAL, "unknown command '%s' (did you mean %s%s?)", s,
			 n->dash, near);
	else
		err_code(e, ERR_INVAL, "unknown command '%s' (%s lists them)", s,
			 n->hint);
}

const struct cmd *cmd_find(const struct cmd_names *n, const char *s, struct err *e)
{
	const struct cmd *found = NULL;
	size_t len = strlen(s);
	int matches = 0;
	struct strbuf sb;

	for (const struct cmd *c = n->tab; c->name; c++) {
		if (!c->run)
			continue;
		if (!strcmp(c->name, s))
			return c;
		if (len && !strncmp(c->name, s, len)) {
			found = c;
			matches++;
		}
	}
	if (matches == 1)
		return found;
	if (matches == 0) {
		unknown(n, s, e);
		return NULL;
	}
	sb_init(&sb);
	for (const struct cmd *c = n->tab; c->name; c++)
		if (c->run && !strncmp(c->name, s, len))
			sb_printf(&sb, " %s", c->name);
	err_code(e, ERR_INVAL, "'%s' is ambiguous:%s", s, sb.buf);
	sb_free(&sb);
	return NULL;
}

int cmd_check(const struct cmd_names *n, struct cmd_call *c, struct err *e)
{
	const struct cmd *cmd = c->cmd;
	const char *p = n->dash;

	c->num = -1;
	c->flag = 0;
	if (c->argc < cmd->min_args) {
		err_code(e, ERR_INVAL, "%s%s: too few arguments (usage: %s%s %s)", p,
			 cmd->name, p, cmd->name, cmd->args);
		return -1;
	}
	if (c->argc > cmd->max_args && cmd->max_args == 0) {
		err_code(e, ERR_INVAL, "%s%s: unexpected argument '%s' (it takes none)",
			 p, cmd->name, c->argv[0]);
		return -1;
	}
	if (c->argc > cmd->max_args) {
		err_code(e, ERR_INVAL, "%s%s: too many arguments (usage: %s%s %s)", p,
			 cmd->name, p, cmd->name, cmd->args);
		return -1;
	}
	return cmd->check ? cmd->check(c, e) : 0;
}

int cmd_parse(const struct cmd_names *n, int argc, char **argv, struct cmd_call *c,
	      struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd_find(n, argv[0], e);
	if (!c->cmd)
		return -1;
	c->argc = argc - 1;
	c->argv = argv + 1;
	return cmd_check(n, c, e);
}

#define HELP_LEFT 30   /* the column of the explanations */
#define HELP_WIDTH 79

void cmd_help_line(FILE *f, const char *left, const char *text)
{
	int col = fprintf(f, "  %s", left);

	/* at least two blanks between the columns */
	if (col + 2 > HELP_LEFT) {
		fputc('\n', f);
		col = 0;
	}
	while (*text) {
		size_t word = strcspn(text, " \n");

		if (col >= HELP_LEFT && col + 1 + (int)word > HELP_WIDTH) {
			fputc('\n', f);
			col = 0;
		}
		col += fprintf(f, "%*s%.*s", col < HELP_LEFT ? HELP_LEFT - col : 1, "",
			       (int)word, text);
		text += word;
		text += strspn(text, " \n");
	}
	fputc('\n', f);
}

/* "  setup [-kernel FILE]", then each line of the help indented. */
static void help_below(FILE *f, const char *left, const char *text)
{
	fprintf(f, "  %s\n", left);
	while (*text) {
		size_t n = strcspn(text, "\n");

		fprintf(f, "        %.*s\n", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

void cmd_help(FILE *f, const struct cmd_names *n, enum cmd_layout layout)
{
	for (const struct cmd *c = n->tab; c->name; c++) {
		char left[128];

		snprintf(left, sizeof(left), "%s%s%s%s", n->dash, c->name,
			 *c->args ? " " : "", c->args);
		if (layout == CMD_COLUMNS)
			cmd_help_line(f, left, c->help);
		else
			help_below(f, left, c->help);
	}
}

static void list_words(FILE *f, const char *const *l)
{
	fputc('\t', f);
	for (const char *const *w = l; w && *w; w++)
		fprintf(f, "%s%s", w == l ? "" : " ", *w);
}

void cmd_list(FILE *f, const struct cmd_names *n)
{
	for (const struct cmd *c = n->tab; c->name; c++) {
		fprintf(f, "%s%s\t%s", n->dash, c->name, c->args);
		list_words(f, c->words[0]);
		list_words(f, c->words[1]);
		fputc('\n', f);
	}
}
