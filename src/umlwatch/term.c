/* term.c -- terminal replies in the input, a terminal that does not echo
 * between prompts, and where output left the cursor (see term.h). */
#include "umlwatch/term.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"

#define ESC 0x1b
#define BEL 0x07

/* A control sequence (ESC [ params intermediates final) is a reply when
 * it carries a private marker (DA "ESC [ ? 6 c", DECRQM, kitty's "ESC [ ?
 * u") or ends in a final byte that no key uses: R cursor position (also
 * xterm's Ctrl-F3, which a prompt can spare), n status, c attributes,
 * t window size, y mode, x terminal parameters. */
static enum term_seq csi(const unsigned char *s, size_t n, size_t *len)
{
	size_t i = 2;

	while (i < n && s[i] >= 0x30 && s[i] <= 0x3f)
		i++;
	while (i < n && s[i] >= 0x20 && s[i] <= 0x2f)
		i++;
	if (i == n)
		return TERM_PARTIAL;
	*len = i + 1;
	if (s[i] < 0x40 || s[i] > 0x7e) {
		*len = i; /* malformed: let the line editor have it */
		return TERM_KEYS;
	}
	if ((n > 2 && (s[2] == '?' || s[2] == '>' || s[2] == '=')) ||
	    strchr("Rnctyx", s[i]))
		return TERM_REPLY;
	return TERM_KEYS;
}

/* A string (OSC, DCS, APC, PM, SOS) runs to ST (ESC \) or, for OSC, BEL.
 * Terminals send them only as replies (colours, XTVERSION, DECRQSS). */
static enum term_seq str_seq(const unsigned char *s, size_t n, size_t *len)
{
	for (size_t i = 2; i < n; i++) {
		if (s[1] == ']' && s[i] == BEL) {
			*len = i + 1;
			return TERM_REPLY;
		}
		if (s[i] == ESC) {
			if (i + 1 == n)
				return TERM_PARTIAL;
			if (s[i + 1] == '\\') {
				*len = i + 2;
				return TERM_REPLY;
			}
		}
	}
	return TERM_PARTIAL;
}

enum term_seq term_classify(const unsigned char *s, size_t n, size_t *len)
{
	*len = 1;
	if (n < 2)
		return TERM_PARTIAL;
	switch (s[1]) {
	case '[':
		return csi(s, n, len);
	case ']':
	case 'P':
	case '_':
	case '^':
	case 'X':
		return str_seq(s, n, len);
	case 'O': /* SS3: F1-F4, keypad, application-mode arrows */
		if (n < 3)
			return TERM_PARTIAL;
		*len = 3;
		return TERM_KEYS;
	default: /* ESC alone, or Alt with a key */
		return TERM_KEYS;
	}
}

static struct termios quiet_saved;
static int quiet_fd = -1;

void term_restore(void)
{
	if (quiet_fd >= 0)
		tcsetattr(quiet_fd, TCSANOW, &quiet_saved);
}

void term_quiet(void)
{
	struct termios t;

	if (quiet_fd >= 0 && tcgetattr(quiet_fd, &t) == 0 && (t.c_lflag & ECHO)) {
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(quiet_fd, TCSANOW, &t);
	}
}

/* A signal that ends the program: the terminal as it was, then the
 * signal's own end (SA_RESETHAND). */
static void on_fatal(int sig)
{
	int saved = errno;

	term_restore();
	raise(sig);
	errno = saved;
}

int term_quiet_start(int fd)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa;

	if (quiet_fd >= 0)
		return 0;
	if (tcgetattr(fd, &quiet_saved) < 0)
		return -1;
	quiet_fd = fd;
	atexit(term_restore);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		struct sigaction old;

		/* an ignored signal stays ignored */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
	term_quiet();
	return 0;
}

static int line_start = 1;

void term_note_output(const void *buf, size_t n)
{
	if (n)
		line_start = ((const char *)buf)[n - 1] == '\n';
}

ssize_t term_write(int fd, const void *buf, size_t n)
{
	term_note_output(buf, n);
	return write_all(fd, buf, n);
}

int term_at_line_start(void)
{
	return line_start;
}

char *term_read_secret(const char *prompt, struct err *e)
{
	struct termios old, quiet;
	char buf[1024];
	size_t n = 0;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), echo_off = 0;
	ssize_t r;

	if (fd < 0) {
		err_code(e, ERR_PERM, "no terminal to ask the password on (give it "
			 "with -password-file FILE or $UMLWATCH_PASSWORD)");
		return NULL;
	}
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* the prompt is a courtesy; reading still works */
	}
	for (;;) {
		char c;

		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n < sizeof(buf) - 1)
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* as above */
	}
	close(fd);
	if (r <= 0 && n == 0) {
		explicit_bzero(buf, sizeof(buf));
		err_code(e, ERR_PERM, "no password given");
		return NULL;
	}
	{
		char *s = xstrdup(buf);

		explicit_bzero(buf, sizeof(buf));
		return s;
	}
}
