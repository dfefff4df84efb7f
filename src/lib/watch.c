/* watch.c -- umlwatch: commands, their table, and the console session. */
#include "watch.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "umlmonctrl.h"
#include "diskjob.h"
#include "rpc_client.h"
#include "rpc_wire.h"

#define CONSOLE_ESCAPE 0x1d     /* Ctrl-] */
#define READ_WAIT_MS 30000

static const char *state_name(um_state s)
{
	static const char *names[] = {"stopped", "starting", "running", "paused",
				      "stopping", "crashed"};

	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

static const char *mode_name(um_chan_mode m)
{
	return m == UM_CHAN_PTY ? "pty" : m == UM_CHAN_LOG ? "log" : "null";
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

/* A call that waits as long as the operation takes. */
static int call(struct watch *w, uint32_t proc, xdrproc_t xa, void *a,
		xdrproc_t xr, void *r)
{
	struct err e;

	if (rpc_client_call(w->rpc, proc, xa, a, xr, r, -1, &e) < 0) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, e.msg);
		return -1;
	}
	return 0;
}

/* Prints a um_result: the message on stdout if ok, else on stderr. */
static int report(um_result *r)
{
	if (r->status == UM_OK) {
		if (r->message && *r->message && strcmp(r->message, "ok"))
			printf("%s\n", r->message);
		return WATCH_OK;
	}
	fprintf(stderr, "umlwatch: %s\n", r->message ? r->message : "failed");
	return WATCH_FAILED;
}

static int simple(struct watch *w, uint32_t proc, xdrproc_t xa, void *a)
{
	um_result r;
	int rc;

	memset(&r, 0, sizeof(r));
	if (call(w, proc, xa, a, (xdrproc_t)xdr_um_result, &r) < 0)
		return WATCH_NOMON;
	rc = report(&r);
	xdr_free((xdrproc_t)xdr_um_result, (char *)&r);
	return rc;
}

#define NOARGS (xdrproc_t)xdr_rpc_void, NULL

static void fmt_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	strftime(buf, n, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
}

static int cmd_info(struct watch *w, int argc, char **argv)
{
	um_info r;
	char buf[64], sz[32];

	(void)argc;
	(void)argv;
	memset(&r, 0, sizeof(r));
	if (call(w, UM_INFO, NOARGS, (xdrproc_t)xdr_um_info, &r) < 0)
		return WATCH_NOMON;
	if (r.res.status != UM_OK) {
		int rc = report(&r.res);

		xdr_free((xdrproc_t)xdr_um_info, (char *)&r);
		return rc;
	}
	printf("%-13s %s\n", "name", r.name);
	printf("%-13s %s\n", "state", state_name(r.state));
	if (r.kernel_pid)
		printf("%-13s %d\n", "kernel pid", r.kernel_pid);
	if (r.watcher_pid)
		printf("%-13s %d\n", "watcher pid", r.watcher_pid);
	printf("%-13s %d\n", "monitor pid", r.monitor_pid);
	if (r.started) {
		unsigned long long s = r.uptime_ms / 1000;

		fmt_time((time_t)r.started, buf, sizeof(buf));
		printf("%-13s %s (up %llu:%02llu:%02llu)\n", "started", buf,
		       s / 3600, s / 60 % 60, s % 60);
	}
	printf("%-13s %s\n", "vmuser", r.vmuser);
	printf("%-13s %s\n", "kernel", r.kernel);
	printf("%-13s %s\n", "memory", fmt_size(r.memory, sz, sizeof(sz)));
	printf("%-13s %d s\n", "stop timeout", r.stop_timeout);
	printf("%-13s %s\n", "vardir", r.vardir);
	printf("%-13s %s\n", "jail", r.jail);
	for (u_int i = 0; i < r.disks.disks_len; i++) {
		um_disk *d = &r.disks.disks_val[i];
		char name[32];

		snprintf(name, sizeof(name), "%s%s", d->dev, d->flags);
		if (*d->backing)
			printf("%-13s %s over %s\n", name, d->path, d->backing);
		else
			printf("%-13s %s\n", name, d->path);
	}
	for (u_int i = 0; i < r.nics.nics_len; i++) {
		um_nic *n = &r.nics.nics_val[i];

		printf("%-13s %s: %s; in the guest %s%s%s\n", n->name, n->kind, n->host,
		       n->guest_if, *n->mac ? ", mac " : "", n->mac);
	}
	for (u_int i = 0; i < r.chans.chans_len; i++) {
		um_chan *c = &r.chans.chans_val[i];

		if (c->mode == UM_CHAN_NULL) {
			printf("%-13s null\n", c->name);
			continue;
		}
		printf("%-13s %-4s %-6s %llu bytes, %d waiting%s%s\n", c->name,
		       mode_name(c->mode), c->open ? "open" : "closed",
		       (unsigned long long)c->head, c->readers,
		       *c->log ? ", log " : "", c->log);
	}
	printf("%-13s %s\n", "cmdline", r.cmdline);
	if (r.last_exit.valid) {
		fmt_time((time_t)r.last_exit.ended, buf, sizeof(buf));
		printf("%-13s %s at %s\n", "last exit", r.last_exit.reason, buf);
	}
	xdr_free((xdrproc_t)xdr_um_info, (char *)&r);
	return WATCH_OK;
}

static int cmd_start(struct watch *w, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return simple(w, UM_START, NOARGS);
}

static int cmd_stop(struct watch *w, int argc, char **argv)
{
	um_stop_args a = {.timeout = -1};
	long t;

	if (argc > 0) {
		if (parse_long(argv[0], 0, 3600, &t) < 0) {
			fprintf(stderr, "umlwatch: stop: '%s' is not a timeout in "
				"seconds (0 to 3600)\n", argv[0]);
			return WATCH_USAGE;
		}
		a.timeout = (int)t;
	}
	return simple(w, UM_STOP, (xdrproc_t)xdr_um_stop_args, &a);
}

static int cmd_halt(struct watch *w, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return simple(w, UM_HALT, NOARGS);
}

static int cmd_cad(struct watch *w, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return simple(w, UM_CTRLALTDEL, NOARGS);
}

static int cmd_sysrq(struct watch *w, int argc, char **argv)
{
	(void)argc;
	return simple(w, UM_SYSRQ, (xdrproc_t)xdr_wrapstring, &argv[0]);
}

static int cmd_pause(struct watch *w, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return simple(w, UM_PAUSE, NOARGS);
}

static int cmd_resume(struct watch *w, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return simple(w, UM_RESUME, NOARGS);
}

static int cmd_mconsole(struct watch *w, int argc, char **argv)
{
	struct strbuf cmd;
	um_text_res r;
	char *s;
	int rc;

	sb_init(&cmd);
	for (int i = 0; i < argc; i++)
		sb_printf(&cmd, "%s%s", i ? " " : "", argv[i]);
	s = sb_steal(&cmd);
	memset(&r, 0, sizeof(r));
	if (call(w, UM_MCONSOLE, (xdrproc_t)xdr_wrapstring, &s,
		 (xdrproc_t)xdr_um_text_res, &r) < 0) {
		free(s);
		return WATCH_NOMON;
	}
	free(s);
	rc = report(&r.res);
	if (rc == WATCH_OK && r.text)
		printf("%s%s", r.text,
		       *r.text && r.text[strlen(r.text) - 1] == '\n' ? "" : "\n");
	xdr_free((xdrproc_t)xdr_um_text_res, (char *)&r);
	return rc;
}

/* ---- the console session --------------------------------------------- */

struct session {
	struct watch *w;
	char *chan;
	uint64_t offset;
	int writable;
	int tty;                /* stdin is a terminal in raw mode */
	struct termios saved;
	int done;
	int rc;
	int stdin_open;
	int writes_pending;
	int64_t linger_until;   /* after stdin EOF */
	char *closed_msg;
	int closing;            /* tearing down: callbacks are cancellations */
	int menu;               /* 1: after Ctrl-], 2: after "s" (SysRq key) */
};

static struct termios *restore_me;

static void restore_tty(void)
{
	if (restore_me)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, restore_me);
	restore_me = NULL;
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
		if (write_all(STDOUT_FILENO, r->data.data_val, r->data.data_len) < 0) {
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
		int n = snprintf(msg, sizeof(msg), "\r\n[umlwatch: %s]\r\n",
				 err ? err : r->message);

		if (write_all(STDERR_FILENO, msg, (size_t)n) < 0) {
			/* stderr gone too */
		}
	}
}

static void send_input(struct session *s, const char *buf, size_t n)
{
	um_write_args a;
	struct err e;

	if (!n)
		return;
	a.chan = s->chan;
	a.data.data_len = (u_int)n;
	a.data.data_val = (char *)buf;
	if (rpc_client_send(s->w->rpc, UM_CONSOLE_WRITE, (xdrproc_t)xdr_um_write_args,
			    &a, (xdrproc_t)xdr_um_result, sizeof(um_result),
			    on_write, s, &e) < 0) {
		s->closed_msg = xstrdup(e.msg);
		s->rc = WATCH_NOMON;
		s->done = 1;
		return;
	}
	s->writes_pending++;
}

static void send_winsize(struct session *s)
{
	struct winsize ws;
	um_winsize_args a;
	um_result r;
	struct err e;

	if (!s->tty || !s->writable || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 ||
	    ws.ws_row == 0 || ws.ws_col == 0)
		return;
	a.chan = s->chan;
	a.rows = ws.ws_row;
	a.cols = ws.ws_col;
	memset(&r, 0, sizeof(r));
	/* fire and forget: the answer only matters if it failed */
	if (rpc_client_send(s->w->rpc, UM_CONSOLE_WINSIZE,
			    (xdrproc_t)xdr_um_winsize_args, &a,
			    (xdrproc_t)xdr_um_result, sizeof(um_result),
			    on_write, s, &e) == 0)
		s->writes_pending++;
}

static void note(const char *text)
{
	if (write_all(STDERR_FILENO, text, strlen(text)) < 0) {
		/* stderr is gone */
	}
}

static void send_sysrq(struct session *s, char key)
{
	char k[2] = {key, 0}, *kp = k;
	struct err e;

	if (rpc_client_send(s->w->rpc, UM_SYSRQ, (xdrproc_t)xdr_wrapstring, &kp,
			    (xdrproc_t)xdr_um_result, sizeof(um_result),
			    on_write, s, &e) == 0)
		s->writes_pending++;
}

/* The escape menu: the key typed after Ctrl-]. */
static void menu_key(struct session *s, char c)
{
	char esc = CONSOLE_ESCAPE;

	if (s->menu == 2) {
		s->menu = 0;
		send_sysrq(s, c);
		note("[umlwatch: SysRq sent]\r\n");
		return;
	}
	s->menu = 0;
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
	case CONSOLE_ESCAPE:
	case ']':
		if (s->writable)
			send_input(s, &esc, 1);
		break;
	default:
		note("[umlwatch: continuing]\r\n");
		break;
	}
}

static void on_stdin(struct session *s)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	char *esc;
	size_t off = 0;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		s->stdin_open = 0;
		/* let what was typed be answered before leaving */
		s->linger_until = now_ms() + 1000;
		return;
	}
	while (off < (size_t)n && !s->done) {
		if (s->menu) {
			menu_key(s, buf[off++]);
			continue;
		}
		esc = s->tty ? memchr(buf + off, CONSOLE_ESCAPE, (size_t)n - off) : NULL;
		if (!esc) {
			if (s->writable)
				send_input(s, buf + off, (size_t)n - off);
			return;
		}
		if (s->writable)
			send_input(s, buf + off, (size_t)(esc - (buf + off)));
		off = (size_t)(esc - buf) + 1;
		s->menu = 1;
		note("\r\n[umlwatch: q quit, s KEY SysRq (a break), ] send Ctrl-], "
		     "other keys continue]\r\n");
	}
}

static int console(struct watch *w, const char *chan, int readonly)
{
	struct session s;
	um_open_args oa;
	um_open_res or;
	sigset_t set;
	int sfd;

	memset(&s, 0, sizeof(s));
	s.w = w;
	s.chan = xstrdup(chan);
	s.rc = WATCH_OK;
	oa.chan = s.chan;
	oa.readonly = readonly;
	memset(&or, 0, sizeof(or));
	if (call(w, UM_CONSOLE_OPEN, (xdrproc_t)xdr_um_open_args, &oa,
		 (xdrproc_t)xdr_um_open_res, &or) < 0) {
		free(s.chan);
		return WATCH_NOMON;
	}
	if (or.res.status != UM_OK) {
		int rc = report(&or.res);

		xdr_free((xdrproc_t)xdr_um_open_res, (char *)&or);
		free(s.chan);
		return rc;
	}
	s.offset = or.offset;
	s.writable = or.writable;
	if (strcmp(or.res.message, "ok"))
		fprintf(stderr, "umlwatch: %s\n", or.res.message);
	xdr_free((xdrproc_t)xdr_um_open_res, (char *)&or);

	s.tty = isatty(STDIN_FILENO);
	s.stdin_open = !readonly && s.writable;
	fprintf(stderr, "umlwatch: connected to %s %s%s%s\r\n", w->vm, chan,
		s.writable ? "" : " (read-only)", s.tty ? "; Ctrl-] leaves" : "");
	if (s.tty && tcgetattr(STDIN_FILENO, &s.saved) == 0) {
		struct termios raw = s.saved;

		cfmakeraw(&raw);
		restore_me = &s.saved;
		atexit(restore_tty);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	} else {
		s.tty = 0;
	}
	if (!s.stdin_open && s.tty)
		s.stdin_open = 1; /* read-only: still watch for Ctrl-] */
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	send_winsize(&s);
	send_read(&s);
	while (!s.done) {
		struct pollfd p[3] = {
			{rpc_client_sockfd(w->rpc), POLLIN, 0},
			{sfd, POLLIN, 0},
			{s.stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
		};
		int timeout = -1;

		if (rpc_client_want_write(w->rpc))
			p[0].events |= POLLOUT;
		if (s.linger_until) {
			int64_t left = s.linger_until - now_ms();

			if (left <= 0 && s.writes_pending <= 0)
				break;
			timeout = left > 0 ? (int)left : 50;
		}
		if (poll(p, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLOUT) {
			struct err e;

			if (rpc_client_flush(w->rpc, &e) < 0) {
				s.closed_msg = xstrdup(e.msg);
				s.rc = WATCH_NOMON;
				break;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct err e;

			if (rpc_client_input(w->rpc, &e) < 0 && !s.done) {
				s.closed_msg = xstrdup(e.msg);
				s.rc = WATCH_NOMON;
				break;
			}
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					send_winsize(&s);
				else
					s.done = 1;
			}
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
			on_stdin(&s);
	}
	restore_tty();
	close(sfd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (s.closed_msg)
		fprintf(stderr, "\r\numlwatch: %s\r\n", s.closed_msg);
	else if (s.tty)
		fprintf(stderr, "\r\numlwatch: left %s %s\r\n", w->vm, chan);
	free(s.closed_msg);
	free(s.chan);
	/* calls still in flight are cancelled with the connection */
	s.closing = 1;
	watch_close(w);
	return s.rc;
}

static int cmd_connect(struct watch *w, int argc, char **argv)
{
	int ro = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-readonly") || !strcmp(argv[i], "readonly") ||
		    !strcmp(argv[i], "-ro")) {
			ro = 1;
		} else {
			fprintf(stderr, "umlwatch: connect: unknown flag '%s' "
				"(expected -readonly)\n", argv[i]);
			return WATCH_USAGE;
		}
	}
	return console(w, argv[0], ro);
}

static int cmd_screen(struct watch *w, int argc, char **argv)
{
	um_screen_res r;
	int rc;

	(void)argc;
	memset(&r, 0, sizeof(r));
	if (call(w, UM_CONSOLE_SCREEN, (xdrproc_t)xdr_wrapstring, &argv[0],
		 (xdrproc_t)xdr_um_screen_res, &r) < 0)
		return WATCH_NOMON;
	rc = report(&r.res);
	if (rc == WATCH_OK)
		printf("%s\n", r.text);
	xdr_free((xdrproc_t)xdr_um_screen_res, (char *)&r);
	return rc;
}

/* Prints new output of a channel from offset on, across VM restarts,
 * until interrupted. */
static int follow(struct watch *w, char *chan, uint64_t offset)
{
	for (;;) {
		um_read_args a = {.chan = chan, .offset = offset, .max = UM_DATA_MAX,
				  .wait_ms = READ_WAIT_MS};
		um_read_res r;

		memset(&r, 0, sizeof(r));
		if (call(w, UM_CONSOLE_READ, (xdrproc_t)xdr_um_read_args, &a,
			 (xdrproc_t)xdr_um_read_res, &r) < 0)
			return WATCH_NOMON;
		if (r.data.data_len) {
			if (write_all(STDOUT_FILENO, r.data.data_val, r.data.data_len) < 0) {
				xdr_free((xdrproc_t)xdr_um_read_res, (char *)&r);
				return WATCH_FAILED;
			}
			offset = r.offset + r.data.data_len;
		}
		if (r.res.status == UM_ECLOSED && !r.data.data_len)
			sleep(1); /* stopped: wait for the next start */
		else if (r.res.status != UM_OK && r.res.status != UM_ECLOSED) {
			int rc = report(&r.res);

			xdr_free((xdrproc_t)xdr_um_read_res, (char *)&r);
			return rc;
		}
		xdr_free((xdrproc_t)xdr_um_read_res, (char *)&r);
	}
}

static int cmd_log(struct watch *w, int argc, char **argv)
{
	int do_follow = 0;
	uint64_t offset = 0, head = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-follow") || !strcmp(argv[i], "-f") ||
		    !strcmp(argv[i], "follow")) {
			do_follow = 1;
		} else {
			fprintf(stderr, "umlwatch: log: unknown flag '%s' (expected "
				"-follow)\n", argv[i]);
			return WATCH_USAGE;
		}
	}
	for (;;) {
		um_log_args a = {.chan = argv[0], .offset = offset, .max = UM_DATA_MAX};
		um_log_res r;
		int rc;

		memset(&r, 0, sizeof(r));
		if (call(w, UM_LOG_READ, (xdrproc_t)xdr_um_log_args, &a,
			 (xdrproc_t)xdr_um_log_res, &r) < 0)
			return WATCH_NOMON;
		rc = report(&r.res);
		if (rc == WATCH_OK && r.data.data_len &&
		    write_all(STDOUT_FILENO, r.data.data_val, r.data.data_len) < 0)
			rc = WATCH_FAILED;
		offset = r.offset + r.data.data_len;
		head = r.head;
		if (rc != WATCH_OK || !r.data.data_len || offset >= r.size) {
			xdr_free((xdrproc_t)xdr_um_log_res, (char *)&r);
			if (rc != WATCH_OK)
				return rc;
			break;
		}
		xdr_free((xdrproc_t)xdr_um_log_res, (char *)&r);
	}
	fflush(stdout);
	return do_follow ? follow(w, argv[0], head) : WATCH_OK;
}

/* ---- disks ----------------------------------------------------------- */

struct disk_wait {
	int done;
	um_disk_res res;
	char *error;
};

static void on_disk_reply(struct rpc_client *c, void *res, const char *err,
			  void *arg)
{
	struct disk_wait *dw = arg;
	um_disk_res *r = res;

	(void)c;
	dw->done = 1;
	if (err) {
		dw->error = xstrdup(err);
		return;
	}
	/* keep the strings: the client frees res after we return */
	dw->res.res.status = r->res.status;
	dw->res.res.message = xstrdup(r->res.message ? r->res.message : "");
	dw->res.text = xstrdup(r->text ? r->text : "");
}

static volatile sig_atomic_t disk_interrupted;

static void on_disk_sigint(int sig)
{
	(void)sig;
	disk_interrupted = 1;
}

/* Shows the operation's progress on the terminal's status line. */
static void show_progress(struct watch *w, int *shown)
{
	um_progress_res p;
	char a[32], b[32];

	memset(&p, 0, sizeof(p));
	if (call(w, UM_DISK_PROGRESS, NOARGS, (xdrproc_t)xdr_um_progress_res,
		 &p) == 0 && p.res.status == UM_OK && p.total) {
		fprintf(stderr, "\r%s: %3d%% (%s of %s) ", p.what,
			(int)(100.0 * (double)p.done / (double)p.total),
			fmt_size(p.done, a, sizeof(a)), fmt_size(p.total, b, sizeof(b)));
		*shown = 1;
	}
	xdr_free((xdrproc_t)xdr_um_progress_res, (char *)&p);
}

static int check_disk(int argc, char **argv, struct err *e)
{
	struct diskjob_args a;

	return diskjob_parse(argc, argv, &a, e);
}

static int cmd_disk(struct watch *w, int argc, char **argv)
{
	struct diskjob_args ja;
	um_disk_args a;
	struct disk_wait dw;
	struct sigaction sa, old;
	struct err e;
	int shown = 0, cancelled = 0, rc;
	int64_t next = now_ms() + 500;

	if (diskjob_parse(argc, argv, &ja, &e) < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		return WATCH_USAGE;
	}
	memset(&a, 0, sizeof(a));
	a.op = ja.op;
	a.path = (char *)ja.path;
	a.other = (char *)ja.other;
	a.size = ja.size;
	memset(&dw, 0, sizeof(dw));
	if (rpc_client_send(w->rpc, UM_DISK, (xdrproc_t)xdr_um_disk_args, &a,
			    (xdrproc_t)xdr_um_disk_res, sizeof(um_disk_res),
			    on_disk_reply, &dw, &e) < 0) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, e.msg);
		return WATCH_NOMON;
	}
	/* Ctrl-C asks the monitor to stop the operation */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_disk_sigint;
	sigaction(SIGINT, &sa, &old);
	disk_interrupted = 0;
	while (!dw.done) {
		struct pollfd pfd = {rpc_client_sockfd(w->rpc), POLLIN, 0};

		if (rpc_client_flush(w->rpc, &e) < 0)
			break;
		if (rpc_client_want_write(w->rpc))
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, 200) > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    rpc_client_input(w->rpc, &e) < 0 && !dw.done) {
			dw.error = xstrdup(e.msg);
			break;
		}
		if (disk_interrupted && !cancelled && !dw.done) {
			cancelled = 1;
			fprintf(stderr, "\numlwatch: interrupting the disk operation\n");
			simple(w, UM_DISK_CANCEL, NOARGS);
		}
		if (!dw.done && isatty(STDERR_FILENO) && now_ms() >= next &&
		    (a.op == UM_DISK_COPY || a.op == UM_DISK_MERGE)) {
			next = now_ms() + 500;
			show_progress(w, &shown);
		}
	}
	sigaction(SIGINT, &old, NULL);
	if (shown)
		fprintf(stderr, "\r\033[K");
	if (dw.error) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, dw.error);
		free(dw.error);
		return WATCH_NOMON;
	}
	if (!dw.done) {
		fprintf(stderr, "umlwatch: %s: %s\n", w->vm, e.msg);
		return WATCH_NOMON;
	}
	rc = report(&dw.res.res);
	if (rc == WATCH_OK)
		fputs(dw.res.text, stdout);
	free(dw.res.res.message);
	free(dw.res.text);
	return rc;
}

static int cmd_help(struct watch *w, int argc, char **argv);

const struct watch_cmd watch_cmds[] = {
	{"info", 0, 0, "", cmd_info, "show the configuration and the state", NULL},
	{"start", 0, 0, "", cmd_start, "boot the VM", NULL},
	{"stop", 0, 1, "[TIMEOUT]", cmd_stop,
	 "ctrl-alt-del, then after TIMEOUT s sync, remount, halt, kill", NULL},
	{"halt", 0, 0, "", cmd_halt, "halt at once (mconsole halt, then signals)", NULL},
	{"ctrlaltdel", 0, 0, "", cmd_cad, "send Ctrl-Alt-Del to the guest", NULL},
	{"sysrq", 1, 1, "KEY", cmd_sysrq, "send a magic SysRq key", NULL},
	{"pause", 0, 0, "", cmd_pause, "freeze the VM (mconsole stop)", NULL},
	{"resume", 0, 0, "", cmd_resume, "continue a paused VM (mconsole go)", NULL},
	{"connect", 1, 2, "CHANNEL [-readonly]", cmd_connect,
	 "attach the terminal to con1, ssl0 ...; Ctrl-] leaves", NULL},
	{"screen", 1, 1, "CHANNEL", cmd_screen,
	 "print what the channel's screen shows now", NULL},
	{"log", 1, 2, "CHANNEL [-follow]", cmd_log,
	 "print the channel's log; -follow: then its new output", NULL},
	{"mconsole", 1, 64, "COMMAND...", cmd_mconsole,
	 "version, proc FILE, stack PID, config DEV, remove DEV, help", NULL},
	{"disk", 2, 3, "OP PATH [ARG]", cmd_disk,
	 "disk images: info, check, create PATH SIZE|BACKING, delete, copy PATH "
	 "NEW, resize PATH SIZE, merge PATH [NEW]", check_disk},
	{"help", 0, 0, "", cmd_help, "list the commands", NULL},
	{NULL, 0, 0, NULL, NULL, NULL, NULL},
};

static int cmd_help(struct watch *w, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (const struct watch_cmd *c = watch_cmds; c->name; c++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%s %s", w->interactive ? "" : "-",
			 c->name, c->args);
		printf("  %-28s %s\n", left, c->help);
	}
	if (w->interactive)
		printf("  %-28s %s\n", "quit", "leave umlwatch");
	return WATCH_OK;
}

const struct watch_cmd *watch_find(const char *s, struct err *e)
{
	const struct watch_cmd *found = NULL;
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
		err_set(e, "unknown command '%s' (try 'help')", s);
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

int watch_count_args(const struct watch_cmd *cmd, int argc, char **argv)
{
	int n = 0;

	while (n < argc && n < cmd->max_args) {
		const char *a = argv[n];

		/* the first min_args are taken whatever they look like; the
		 * rest only if they are not the next command, except the
		 * flags of connect */
		if (n >= cmd->min_args && a[0] == '-' && !isdigit((unsigned char)a[1]) &&
		    strcmp(a, "-readonly") && strcmp(a, "-ro") &&
		    strcmp(a, "-follow") && strcmp(a, "-f"))
			break;
		n++;
	}
	return n;
}

int watch_run(struct watch *w, const struct watch_cmd *cmd, int argc, char **argv)
{
	struct err e;

	if (argc < cmd->min_args || argc > cmd->max_args) {
		fprintf(stderr, "umlwatch: %s: usage: %s%s %s\n", cmd->name,
			w->interactive ? "" : "-", cmd->name, cmd->args);
		return WATCH_USAGE;
	}
	if (cmd->fn == cmd_help)
		return cmd_help(w, argc, argv);
	if (cmd->check && cmd->check(argc, argv, &e) < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		return WATCH_USAGE;
	}
	if (watch_open(w, &e) < 0) {
		fprintf(stderr, "umlwatch: %s\n", e.msg);
		return WATCH_NOMON;
	}
	return cmd->fn(w, argc, argv);
}

int watch_interactive(struct watch *w)
{
	char line[1024];
	int rc = WATCH_OK, tty = isatty(STDIN_FILENO);

	w->interactive = 1;
	for (;;) {
		char *argv[66];
		int argc = 0;
		const struct watch_cmd *cmd;
		struct err e;

		if (tty) {
			printf("umlwatch %s> ", w->vm);
			fflush(stdout);
		}
		if (!fgets(line, sizeof(line), stdin))
			break;
		for (char *tok = strtok(line, " \t\r\n"); tok && argc < 65;
		     tok = strtok(NULL, " \t\r\n"))
			argv[argc++] = tok;
		if (argc == 0)
			continue;
		if (!strcmp(argv[0], "quit") || !strcmp(argv[0], "exit"))
			break;
		cmd = watch_find(argv[0], &e);
		if (!cmd) {
			fprintf(stderr, "umlwatch: %s\n", e.msg);
			rc = WATCH_USAGE;
			continue;
		}
		rc = watch_run(w, cmd, argc - 1, argv + 1);
		fflush(stdout);
	}
	if (tty)
		printf("\n");
	return rc;
}

void watch_usage(FILE *f, const char *prog)
{
	struct watch w = {.interactive = 0};

	fprintf(f, "usage: %s [-c CONFIG] [-s SOCKET] VM [COMMAND [ARGS]]...\n"
		"Controls the umlmon monitor of VM. Without a command, reads commands\n"
		"from the terminal (their names without the '-').\n\n"
		"options:\n"
		"  -c CONFIG   configuration file (default $UMLMON_CONFIG or /etc/umlmon)\n"
		"  -s SOCKET   the monitor's control socket (default VARDIR/VM/ctrl)\n"
		"  -h, --help  this text;  -version  the version\n\n"
		"commands (any unique prefix works):\n", prog);
	fflush(f);
	if (f == stdout) {
		cmd_help(&w, 0, NULL);
	} else {
		for (const struct watch_cmd *c = watch_cmds; c->name; c++)
			fprintf(f, "  -%s %s\n", c->name, c->args);
	}
}
