/* watch_console.c -- umlwatch -connect: the terminal attached to a channel,
 * with one read in flight and keystrokes sent as pipelined writes on the
 * same connection, and the escape menu. */
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

#include "rpc_client.h"
#include "term.h"
#include "watch_int.h"

#define READ_WAIT_MS 30000
/* after the end of input that is not a terminal: time for the answers */
#define LINGER_MS 1000

struct session {
	struct watch *w;
	char *chan;
	uint64_t offset;
	int writable;
	int tty;                /* stdin is a terminal in raw mode */
	int escape;             /* the escape key, or WATCH_ESCAPE_NONE */
	char escname[16];
	struct termios saved;
	int done;
	int rc;
	int stdin_open;
	int writes_pending;
	int64_t linger_until;   /* after stdin's end */
	char *closed_msg;
	int closing;            /* tearing down: callbacks are cancellations */
	int menu;               /* 1: after the escape key, 2: after "s" */
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

static void note(const char *text)
{
	if (term_write(STDERR_FILENO, text, strlen(text)) < 0) {
		/* stderr is gone */
	}
}

static void send_read(struct session *s);

static void on_read(struct rpc_client *c, void *res, const char *err, void *arg)
{
	struct session *s = arg;
	um_read_res *r = res;

	(void)c;
	if (s->closing)
		return; /* calls cancelled because we leave */
	if (err) {
		s->closed_msg = xasprintf("connection to the monitor lost: %s", err);
		s->rc = WATCH_NOMON;
		s->done = 1;
		return;
	}
	if (r->data.data_len) {
		if (term_write(STDOUT_FILENO, r->data.data_val, r->data.data_len) < 0) {
			s->done = 1;
			s->rc = WATCH_FAILED;
			return;
		}
		s->offset = r->offset + r->data.data_len;
	}
	if (r->res.status == UM_ECLOSED) {
		s->closed_msg = xstrdup(r->res.message);
		s->done = 1;
		return;
	}
	if (r->res.status != UM_OK) {
		s->closed_msg = xstrdup(r->res.message);
		s->rc = WATCH_FAILED;
		s->done = 1;
		return;
	}
	send_read(s);
}

static void send_read(struct session *s)
{
	um_read_args a;
	struct err e;

	a.chan = s->chan;
	a.offset = s->offset;
	a.max = UM_DATA_MAX;
	a.wait_ms = READ_WAIT_MS;
	if (rpc_client_send(s->w->rpc, UM_CONSOLE_READ, (xdrproc_t)xdr_um_read_args,
			    &a, (xdrproc_t)xdr_um_read_res, sizeof(um_read_res),
			    on_read, s, &e) < 0) {
		s->closed_msg = xstrdup(e.msg);
		s->rc = WATCH_NOMON;
		s->done = 1;
	}
}

static void on_write(struct rpc_client *c, void *res, const char *err, void *arg)
{
	struct session *s = arg;
	um_result *r = res;

	(void)c;
	s->writes_pending--;
	if (s->closing)
		return;
	if (err || r->status != UM_OK) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "\r\n[umlwatch: %s]\r\n", err ? err : r->message);
		note(msg);
	}
}

/* A call whose answer matters only if it failed. */
static void send_call(struct session *s, uint32_t proc, xdrproc_t xa, void *a)
{
	struct err e;

	if (rpc_client_send(s->w->rpc, proc, xa, a, (xdrproc_t)xdr_um_result,
			    sizeof(um_result), on_write, s, &e) < 0) {
		s->closed_msg = xstrdup(e.msg);
		s->rc = WATCH_NOMON;
		s->done = 1;
		return;
	}
	s->writes_pending++;
}

static void send_input(struct session *s, const char *buf, size_t n)
{
	um_write_args a;

	if (!n || !s->writable)
		return;
	a.chan = s->chan;
	a.data.data_len = (u_int)n;
	a.data.data_val = (char *)buf;
	send_call(s, UM_CONSOLE_WRITE, (xdrproc_t)xdr_um_write_args, &a);
}

static void send_winsize(struct session *s)
{
	struct winsize ws;
	um_winsize_args a;

	if (!s->tty || !s->writable || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 ||
	    ws.ws_row == 0 || ws.ws_col == 0)
		return;
	a.chan = s->chan;
	a.rows = ws.ws_row;
	a.cols = ws.ws_col;
	send_call(s, UM_CONSOLE_WINSIZE, (xdrproc_t)xdr_um_winsize_args, &a);
}

static void send_sysrq(struct session *s, char key)
{
	char k[2] = {key, 0}, *kp = k;

	send_call(s, UM_SYSRQ, (xdrproc_t)xdr_wrapstring, &kp);
}

static void show_menu(struct session *s)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "\r\n[umlwatch: q quit, s KEY SysRq (a break), "
		 "%s sends %s, other keys continue]\r\n", s->escname, s->escname);
	note(msg);
}

/* The escape menu: the key typed after the escape key. */
static void menu_key(struct session *s, char c)
{
	char esc = (char)s->escape;

	if (s->menu == 2) {
		s->menu = 0;
		send_sysrq(s, c);
		note("[umlwatch: SysRq sent]\r\n");
		return;
	}
	s->menu = 0;
	if ((unsigned char)c == s->escape) {
		send_input(s, &esc, 1);
		return;
	}
	switch (c) {
	case 'q':
	case '.':
		s->done = 1;
		break;
	case 's':
	case 'b':
		s->menu = 2;
		note("[umlwatch: SysRq key? (h lists them in the console log)]\r\n");
		break;
	default:
		note("[umlwatch: continuing]\r\n");
		break;
	}
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
	size_t off = 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		stdin_ended(s);
		return;
	}
	while (off < (size_t)n && !s->done) {
		char *esc = NULL;

		if (s->menu) {
			menu_key(s, buf[off++]);
			continue;
		}
		/* from a pipe or a file, every byte is for the guest */
		if (s->tty && s->escape != WATCH_ESCAPE_NONE)
			esc = memchr(buf + off, s->escape, (size_t)n - off);
		if (!esc) {
			send_input(s, buf + off, (size_t)n - off);
			return;
		}
		send_input(s, buf + off, (size_t)(esc - (buf + off)));
		off = (size_t)(esc - buf) + 1;
		s->menu = 1;
		show_menu(s);
	}
}

static void banner(struct session *s)
{
	const char *ro = s->writable ? "" : " (read-only)";

	if (!s->tty)
		fprintf(stderr, "umlwatch: connected to %s %s%s\n", s->w->vm, s->chan, ro);
	else if (s->escape == WATCH_ESCAPE_NONE)
		fprintf(stderr, "umlwatch: connected to %s %s%s; no escape key "
			"(-escape none): it ends when the VM stops or umlwatch is "
			"killed\r\n", s->w->vm, s->chan, ro);
	else
		fprintf(stderr, "umlwatch: connected to %s %s%s; %s then q leaves\r\n",
			s->w->vm, s->chan, ro, s->escname);
	term_note_output("\n", 1);
}

/* Opens the channel; fills s. */
static int open_chan(struct session *s, int readonly)
{
	um_open_args oa;
	um_open_res or;
	int rc = WATCH_OK;

	oa.chan = s->chan;
	oa.readonly = readonly;
	memset(&or, 0, sizeof(or));
	if (watch_call(s->w, UM_CONSOLE_OPEN, (xdrproc_t)xdr_um_open_args, &oa,
		       (xdrproc_t)xdr_um_open_res, &or) < 0)
		return WATCH_NOMON;
	if (or.res.status != UM_OK) {
		rc = watch_report(&or.res);
	} else {
		s->offset = or.offset;
		s->writable = or.writable;
		/* log-only, paused ... */
		if (strcmp(or.res.message, "ok"))
			fprintf(stderr, "umlwatch: %s\n", or.res.message);
	}
	xdr_free((xdrproc_t)xdr_um_open_res, (char *)&or);
	return rc;
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
	struct watch *w = s->w;

	while (!s->done) {
		struct pollfd p[3] = {
			{rpc_client_sockfd(w->rpc), POLLIN, 0},
			{sfd, POLLIN, 0},
			{s->stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
		};
		int timeout = -1;
		struct err e;

		if (rpc_client_want_write(w->rpc))
			p[0].events |= POLLOUT;
		if (s->linger_until) {
			int64_t left = s->linger_until - now_ms();

			if (left <= 0 && s->writes_pending <= 0)
				break;
			timeout = left > 0 ? (int)left : 50;
		}
		if (poll(p, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((p[0].revents & POLLOUT) && rpc_client_flush(w->rpc, &e) < 0) {
			s->closed_msg = xstrdup(e.msg);
			s->rc = WATCH_NOMON;
			break;
		}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    rpc_client_input(w->rpc, &e) < 0 && !s->done) {
			s->closed_msg = xstrdup(e.msg);
			s->rc = WATCH_NOMON;
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					send_winsize(s);
				else
					s->done = 1;
			}
		}
		if (p[2].revents & POLLNVAL)
			stdin_ended(s); /* no standard input at all */
		else if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			on_stdin(s);
	}
}

int watch_cmd_connect(void *ctx, const struct cmd_call *st)
{
	struct watch *w = ctx;
	struct session s;
	sigset_t set;
	int sfd, rc;

	memset(&s, 0, sizeof(s));
	s.w = w;
	s.chan = xstrdup(st->argv[0]);
	s.rc = WATCH_OK;
	s.escape = w->escape;
	watch_escape_name(s.escape, s.escname, sizeof(s.escname));
	rc = open_chan(&s, st->flag);
	if (rc != WATCH_OK) {
		free(s.chan);
		return rc;
	}
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
	send_read(&s);
	loop(&s, sfd);
	restore_tty();
	close(sfd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	/* on a line of its own, after whatever the guest left on the line */
	if (s.closed_msg || s.tty)
		fprintf(stderr, "%sumlwatch: ", term_at_line_start() ? "" : "\r\n");
	if (s.closed_msg)
		fprintf(stderr, "%s\r\n", s.closed_msg);
	else if (s.tty)
		fprintf(stderr, "left %s %s\r\n", w->vm, s.chan);
	if (s.closed_msg || s.tty)
		term_note_output("\n", 1);
	free(s.closed_msg);
	free(s.chan);
	/* calls still in flight are cancelled with the connection */
	s.closing = 1;
	watch_close(w);
	return s.rc;
}
