/* watch_console.c -- umlwatch -connect: the terminal's side of a console
 * (console.c does the monitor's): raw mode and its restoration, the
 * keys read from stdin, the output written to stdout, the window size
 * and the signals. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "client/console.h"
#include "common/rpc_client.h"
#include "umlwatch/term.h"
#include "umlwatch/watch_int.h"

/* after the end of input that is not a terminal: time for the answers */
#define LINGER_MS 1000

struct session {
	struct watch *w;
	struct console *con;
	const char *chan;
	int tty;                /* stdin is a terminal in raw mode */
	struct termios saved;
	int quit;               /* a signal ends the session */
	int stdin_open;
	int64_t linger_until;   /* after stdin's end */
};

static struct termios *restore_me;

/* TCSAFLUSH: what the terminal sent meanwhile (keys, or its answers to
 * the guest's questions such as a cursor report) is not for what reads
 * the terminal next. */
static void restore_tty(void)
{
	if (restore_me)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, restore_me);
	restore_me = NULL;
}

static int show(void *arg, const void *buf, size_t n)
{
	(void)arg;
	return term_write(STDOUT_FILENO, buf, n) < 0 ? -1 : 0;
}

static void note(void *arg, const char *text)
{
	(void)arg;
	if (term_write(STDERR_FILENO, text, strlen(text)) < 0) {
		/* stderr is gone */
	}
}

static void send_winsize(struct session *s)
{
	struct winsize ws;

	if (s->tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		console_winsize(s->con, ws.ws_row, ws.ws_col);
}

static void stdin_ended(struct session *s)
{
	s->stdin_open = 0;
	/* let what was sent be answered before leaving */
	s->linger_until = now_ms() + LINGER_MS;
}

static void on_stdin(struct session *s)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0)
		stdin_ended(s);
	else
		console_input(s->con, buf, (size_t)n);
}

static void banner(struct session *s)
{
	const char *ro = console_writable(s->con) ? "" : " (read-only)";
	char esc[16];

	if (!s->tty)
		fprintf(stderr, "umlwatch: connected to %s %s%s\n", s->w->vm, s->chan, ro);
	else if (s->w->escape == CONSOLE_ESCAPE_NONE)
		fprintf(stderr, "umlwatch: connected to %s %s%s; no escape key "
			"(-escape none): it ends when the VM stops or umlwatch is "
			"killed\r\n", s->w->vm, s->chan, ro);
	else
		fprintf(stderr, "umlwatch: connected to %s %s%s; %s then q leaves\r\n",
			s->w->vm, s->chan, ro,
			console_escape_name(s->w->escape, esc, sizeof(esc)));
	term_note_output("\n", 1);
}

static void raw_tty(struct session *s)
{
	static int registered;
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &s->saved) < 0)
		return;
	s->tty = 1;
	raw = s->saved;
	cfmakeraw(&raw);
	restore_me = &s->saved;
	if (!registered)
		atexit(restore_tty);
	registered = 1;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
}

static void loop(struct session *s, int sfd)
{
	while (!console_ended(s->con) && !s->quit) {
		struct pollfd p[3] = {
			{console_fd(s->con), POLLIN, 0},
			{sfd, POLLIN, 0},
			{s->stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
		};
		int timeout = -1;

		if (console_want_write(s->con))
			p[0].events |= POLLOUT;
		if (s->linger_until) {
			int64_t left = s->linger_until - now_ms();

			if (left <= 0 && console_writes_pending(s->con) <= 0)
				break;
			timeout = left > 0 ? (int)left : 50;
		}
		if (poll(p, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		console_ready(s->con, p[0].revents & (POLLIN | POLLHUP | POLLERR),
			      p[0].revents & POLLOUT);
		if (console_ended(s->con))
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					send_winsize(s);
				else
					s->quit = 1;
			}
		}
		if (p[2].revents & POLLNVAL)
			stdin_ended(s); /* no standard input at all */
		else if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			on_stdin(s);
	}
}

/* umlwatch's exit status for the end of a console. */
static int status_of(enum console_end end)
{
	switch (end) {
	case CONSOLE_REFUSED:
	case CONSOLE_UNSHOWN:
		return WATCH_FAILED;
	case CONSOLE_LOST:
		return WATCH_NOMON;
	case CONSOLE_ATTACHED:
	case CONSOLE_LEFT:
	case CONSOLE_CLOSED:
		break;
	}
	return WATCH_OK;
}

int watch_cmd_connect(void *ctx, const struct cmd_call *st)
{
	struct watch *w = ctx;
	struct console_io io = {show, note, NULL, "umlwatch"};
	struct session s;
	const char *msg;
	sigset_t set;
	struct err e;
	int sfd, rc;

	memset(&s, 0, sizeof(s));
	s.w = w;
	s.chan = st->argv[0];
	/* from a pipe or a file, every byte is for the guest */
	rc = console_open(w->rpc, s.chan, st->flag,
			  isatty(STDIN_FILENO) ? w->escape : CONSOLE_ESCAPE_NONE, &io,
			  &s.con, &e);
	if (rc == -1) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, e.msg);
		return WATCH_NOMON;
	}
	if (rc == -2) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		return WATCH_FAILED;
	}
	w->rpc = NULL; /* the console's now */
	if (console_notice(s.con))
		fprintf(stderr, "umlwatch: %s\n", console_notice(s.con));
	raw_tty(&s);
	banner(&s);
	/* A terminal is read for the escape key even when nothing is sent.
	 * Other input is read to its end, which ends the session, unless the
	 * client only watches (-readonly: it stays until the VM stops). */
	s.stdin_open = s.tty || !st->flag;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	send_winsize(&s);
	console_start(s.con);
	loop(&s, sfd);
	restore_tty();
	close(sfd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	/* on a line of its own, after whatever the guest left on the line */
	msg = console_message(s.con);
	if (msg || s.tty)
		fprintf(stderr, "%sumlwatch: ", term_at_line_start() ? "" : "\r\n");
	if (msg)
		fprintf(stderr, "%s\r\n", msg);
	else if (s.tty)
		fprintf(stderr, "left %s %s\r\n", w->vm, s.chan);
	if (msg || s.tty)
		term_note_output("\n", 1);
	rc = status_of(console_ended(s.con));
	console_free(s.con);
	return rc;
}
