/* watch_prompt.c -- umlwatch's interactive prompt. On a terminal, libedit
 * gives line editing, history and completion of commands, channel names
 * and flags; what the terminal sends on its own (answers to a guest's
 * questions, such as a cursor position report) is dropped before libedit
 * sees it. Other input is read line by line. */
#include <errno.h>
#include <histedit.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "common/rpc_client.h"
#include "umlwatch/term.h"
#include "umlwatch/watch_int.h"

#define LINE_MAX_WORDS 66
#define HISTORY_SIZE 500
/* how long the rest of an escape sequence may take to arrive */
#define SEQ_WAIT_MS 100
#define CHANNELS_WAIT_MS 2000

struct prompt {
	struct watch *w;
	EditLine *el;
	History *hist;
	char text[96];
	/* input read from the terminal and not yet given to libedit */
	unsigned char in[512];
	size_t start, end;
	size_t pass;            /* bytes of a key sequence to pass unexamined */
	mbstate_t mbs;
};

/* Reads more input; timeout_ms < 0 waits. 1: read, 0: end of input,
 * -1: error, -2: nothing came in time (or no room). */
static int fill(struct prompt *p, int timeout_ms)
{
	ssize_t n;

	if (p->start) {
		memmove(p->in, p->in + p->start, p->end - p->start);
		p->end -= p->start;
		p->start = 0;
	}
	if (p->end == sizeof(p->in))
		return -2;
	for (;;) {
		struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};

		if (timeout_ms >= 0 && poll(&pfd, 1, timeout_ms) == 0)
			return -2;
		n = read(STDIN_FILENO, p->in + p->end, sizeof(p->in) - p->end);
		if (n > 0) {
			p->end += (size_t)n;
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* libedit's reader of one character: terminal replies never reach it. */
static int getc_fn(EditLine *el, wchar_t *wc)
{
	struct prompt *p;

	el_get(el, EL_CLIENTDATA, &p);
	for (;;) {
		size_t n = p->end - p->start, len, k;
		enum term_seq kind;
		int r;

		if (!n) {
			r = fill(p, -1);
			if (r <= 0)
				return r == 0 ? 0 : -1;
			continue;
		}
		if (!p->pass && p->in[p->start] == 0x1b) {
			while ((kind = term_classify(p->in + p->start, p->end - p->start,
						     &len)) == TERM_PARTIAL &&
			       fill(p, SEQ_WAIT_MS) > 0)
				;
			if (kind == TERM_REPLY) {
				p->start += len;
				continue;
			}
			/* an Escape key, or a sequence that never ended */
			p->pass = kind == TERM_PARTIAL ? p->end - p->start : len;
			n = p->end - p->start;
		}
		k = mbrtowc(wc, (const char *)p->in + p->start, n, &p->mbs);
		if (k == (size_t)-2 && fill(p, SEQ_WAIT_MS) > 0)
			continue;
		if (k == (size_t)-1 || k == (size_t)-2) {
			/* not in the locale's encoding: the byte as it is */
			memset(&p->mbs, 0, sizeof(p->mbs));
			*wc = p->in[p->start];
			k = 1;
		} else if (k == 0) {
			k = 1; /* a NUL byte */
		}
		p->start += k;
		p->pass = p->pass > k ? p->pass - k : 0;
		return 1;
	}
}

static char *prompt_fn(EditLine *el)
{
	struct prompt *p;

	el_get(el, EL_CLIENTDATA, &p);
	return p->text;
}

/* ---- completion ---------------------------------------------------------- */

struct cands {
	const char *words[128];
	int n;
};

static void add_cand(struct cands *c, const char *word)
{
	if (c->n < (int)ARRAY_SIZE(c->words))
		c->words[c->n++] = word;
}

/* Inserts what all candidates share beyond the typed prefix; lists them if
 * nothing could be added. */
static unsigned char offer(EditLine *el, const struct cands *c, const char *cur)
{
	size_t have = strlen(cur), common;
	char add[256];

	if (!c->n) {
		el_beep(el);
		return CC_ERROR;
	}
	common = strlen(c->words[0]);
	for (int i = 1; i < c->n; i++) {
		size_t j = 0;

		while (j < common && c->words[i][j] == c->words[0][j])
			j++;
		common = j;
	}
	if (c->n == 1) {
		snprintf(add, sizeof(add), "%s ", c->words[0] + have);
		el_insertstr(el, add);
		return CC_REFRESH;
	}
	if (common > have) {
		snprintf(add, sizeof(add), "%.*s", (int)(common - have), c->words[0] + have);
		el_insertstr(el, add);
		return CC_REFRESH;
	}
	fputc('\n', stdout);
	for (int i = 0; i < c->n; i++)
		printf("%s%s", i ? "  " : "", c->words[i]);
	fputc('\n', stdout);
	fflush(stdout);
	return CC_REDISPLAY;
}

/* The candidates of list that start with cur; flags also without their
 * '-' (the prompt takes "readonly" as "-readonly"). */
static void match_list(struct cands *c, const char *const *list, const char *cur)
{
	size_t n = strlen(cur);

	for (; list && *list; list++) {
		if (!strncmp(*list, cur, n))
			add_cand(c, *list);
		else if (**list == '-' && *cur != '-' && !strncmp(*list + 1, cur, n))
			add_cand(c, *list + 1);
	}
}

static unsigned char complete(EditLine *el, int ch)
{
	const LineInfo *li = el_line(el);
	char line[1024], *words[LINE_MAX_WORDS], *cur = "";
	char **chans = NULL;
	struct prompt *p;
	struct cands c = {.n = 0};
	size_t len = (size_t)(li->cursor - li->buffer);
	int nw = 0;
	unsigned char rc;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &p);
	if (len >= sizeof(line))
		return CC_ERROR;
	memcpy(line, li->buffer, len);
	line[len] = '\0';
	for (char *t = strtok(line, " \t"); t && nw < LINE_MAX_WORDS; t = strtok(NULL, " \t"))
		words[nw++] = t;
	/* the word under the cursor, unless a blank ends the line */
	if (nw && len && li->buffer[len - 1] != ' ' && li->buffer[len - 1] != '\t')
		cur = words[--nw];
	if (nw == 0) {
		for (const struct cmd *cmd = watch_cmds; cmd->name; cmd++)
			if (cmd->run && !strncmp(cmd->name, cur, strlen(cur)))
				add_cand(&c, cmd->name);
		if (!strncmp("quit", cur, strlen(cur)))
			add_cand(&c, "quit");
	} else {
		struct err e;
		const struct cmd *cmd = watch_find(words[0], &e);
		const char *const *list = cmd ? cmd->words[nw == 1 ? 0 : 1] : NULL;

		if (list == watch_channels) {
			struct err ce;

			if (watch_open(p->w, &ce) == 0)
				chans = watch_channel_names(p->w, CHANNELS_WAIT_MS, &ce);
			list = (const char *const *)chans;
		}
		match_list(&c, list, cur);
	}
	rc = offer(el, &c, cur);
	watch_free_names(chans);
	return rc;
}

/* ---- the loop ------------------------------------------------------------ */

/* Runs one line; -1 for "quit". */
static int run_line(struct watch *w, char *line, int *rc)
{
	char *argv[LINE_MAX_WORDS];
	struct cmd_call s;
	struct err e;
	int argc = 0;

	for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
		if (argc == LINE_MAX_WORDS - 1) {
			fprintf(stderr, "umlwatch: too many words (at most %d)\n",
				LINE_MAX_WORDS - 1);
			*rc = WATCH_USAGE;
			return 0;
		}
		argv[argc++] = tok;
	}
	if (argc == 0)
		return 0;
	if (!strcmp(argv[0], "quit") || !strcmp(argv[0], "exit"))
		return -1;
	if (watch_parse_line(argc, argv, &s, &e) < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		*rc = WATCH_USAGE;
		return 0;
	}
	*rc = watch_run(w, &s);
	fflush(stdout);
	return 0;
}

static int plain(struct watch *w)
{
	char line[4096];
	int rc = WATCH_OK;

	while (fgets(line, sizeof(line), stdin))
		if (run_line(w, line, &rc) < 0)
			break;
	return rc;
}

static int edited(struct watch *w)
{
	struct prompt p;
	HistEvent ev;
	int rc = WATCH_OK;

	memset(&p, 0, sizeof(p));
	p.w = w;
	snprintf(p.text, sizeof(p.text), "umlwatch %s> ", w->vm);
	p.el = el_init("umlwatch", stdin, stdout, stderr);
	p.hist = history_init();
	if (!p.el || !p.hist) {
		if (p.el)
			el_end(p.el);
		if (p.hist)
			history_end(p.hist);
		return plain(w);
	}
	history(p.hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(p.hist, &ev, H_SETUNIQUE, 1);
	el_set(p.el, EL_CLIENTDATA, &p);
	el_set(p.el, EL_EDITOR, "emacs");
	el_set(p.el, EL_SIGNAL, 1);
	el_set(p.el, EL_PROMPT, prompt_fn);
	el_set(p.el, EL_HIST, history, p.hist);
	el_set(p.el, EL_GETCFN, getc_fn);
	/* the wide call keeps our static strings; el_set would copy them
	 * and never free the copies */
	el_wset(p.el, EL_ADDFN, L"umlwatch-complete", L"complete a command, "
		"channel or flag", complete);
	el_set(p.el, EL_BIND, "^I", "umlwatch-complete", NULL);
	el_source(p.el, NULL); /* the user's ~/.editrc */
	term_quiet_start(STDIN_FILENO);
	for (;;) {
		const char *got;
		char *line;
		int n;

		/* the prompt on a line of its own, whatever came before */
		if (!term_at_line_start()) {
			fputc('\n', stdout);
			term_note_output("\n", 1);
		}
		fflush(stdout);
		got = el_gets(p.el, &n);
		term_quiet();
		if (!got || n <= 0) {
			fputc('\n', stdout); /* Ctrl-D left the cursor after the prompt */
			break;
		}
		if (got[strspn(got, " \t\r\n")])
			history(p.hist, &ev, H_ENTER, got);
		line = xstrdup(got);
		n = run_line(w, line, &rc);
		free(line);
		if (n < 0)
			break;
	}
	el_end(p.el);
	history_end(p.hist);
	term_restore();
	return rc;
}

int watch_interactive(struct watch *w)
{
	w->interactive = 1;
	return isatty(STDIN_FILENO) ? edited(w) : plain(w);
}
