/* ttybench -- the terminal side of a console benchmark.
 *
 *   ttybench rtt-direct N GUEST
 *       a pty whose slave GUEST (bench-echo) holds as fd 3; N keystrokes
 *       written to the master, each timed until its echo is read back
 *   ttybench rtt-cmd N CMD [ARGS...]
 *       CMD (umlwatch VM -connect con1) runs on a pty of ours as its
 *       terminal; N keystrokes typed into it, each timed until its echo
 *       comes back out of it
 *   ttybench tput-direct GUEST
 *       GUEST (bench-flood) writes into a pty slave, we read the master
 *       and throw the bytes away; prints the guest's FLOOD line
 *
 * rtt prints: rtt n=N median_us=... p99_us=... max_us=...
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "rtt.h"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int open_pty(int *slave)
{
	struct termios t;
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		die("pty");
	*slave = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (*slave < 0)
		die("pty slave");
	tcgetattr(*slave, &t);
	cfmakeraw(&t);
	tcsetattr(*slave, TCSANOW, &t);
	return m;
}

/* Reads until byte c is seen (other bytes are skipped). */
static int wait_byte(int fd, char c, int timeout_ms)
{
	char buf[4096];

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return -1;
		if (memchr(buf, c, (size_t)n))
			return 0;
	}
}

/* Reads until text appears. */
static int wait_text(int fd, const char *text, int timeout_ms)
{
	char buf[8192];
	size_t len = 0;

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		if (len == sizeof(buf) - 1)
			len = 0;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, text))
			return 0;
	}
}

static void rtt(int fd, int n)
{
	long long *t = calloc((size_t)n, sizeof(*t));
	const char keys[] = "abcdefghijklmnopqrstuvwxyz";

	/* warm up */
	for (int i = 0; i < 20; i++) {
		char c = keys[i % 26];

		if (write(fd, &c, 1) != 1 || wait_byte(fd, c, 5000) < 0)
			die("warm-up echo");
	}
	for (int i = 0; i < n; i++) {
		char c = keys[i % 26];
		long long t0 = now_ns();

		if (write(fd, &c, 1) != 1 || wait_byte(fd, c, 5000) < 0)
			die("echo");
		t[i] = now_ns() - t0;
	}
	rtt_print(t, n);
	free(t);
}

int main(int argc, char **argv)
{
	int slave, m;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: ttybench rtt-direct N GUEST | rtt-cmd N CMD... | "
			"tput-direct GUEST\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	m = open_pty(&slave);
	if (!strcmp(argv[1], "rtt-direct") && argc == 4) {
		pid = fork();
		if (pid == 0) {
			dup2(slave, 3);
			execl(argv[3], "bench-echo", (char *)NULL);
			die(argv[3]);
		}
		close(slave);
		rtt(m, atoi(argv[2]));
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return 0;
	}
	if (!strcmp(argv[1], "rtt-cmd") && argc >= 4) {
		pid = fork();
		if (pid == 0) {
			struct winsize ws = {.ws_row = 24, .ws_col = 80};

			setsid();
			ioctl(slave, TIOCSCTTY, 0);
			ioctl(slave, TIOCSWINSZ, &ws);
			dup2(slave, 0);
			dup2(slave, 1);
			dup2(slave, 2);
			close(m);
			execvp(argv[3], argv + 3);
			die(argv[3]);
		}
		close(slave);
		if (wait_text(m, "connected", 10000) < 0)
			die("the client did not connect");
		usleep(200 * 1000);
		rtt(m, atoi(argv[2]));
		/* Ctrl-] q leaves */
		if (write(m, "\x1dq", 2) != 2)
			die("write");
		waitpid(pid, NULL, 0);
		return 0;
	}
	if (!strcmp(argv[1], "tput-direct") && argc == 3) {
		int out[2];
		char buf[65536];

		if (pipe(out) < 0)
			die("pipe");
		pid = fork();
		if (pid == 0) {
			dup2(slave, 3);
			dup2(out[1], 1);
			execl(argv[2], "bench-flood", (char *)NULL);
			die(argv[2]);
		}
		close(slave);
		close(out[1]);
		for (;;) {
			struct pollfd p[2] = {{m, POLLIN, 0}, {out[0], POLLIN, 0}};

			poll(p, 2, -1);
			if (p[0].revents & POLLIN && read(m, buf, sizeof(buf)) < 0)
				die("read pty");
			if (p[1].revents & POLLIN) {
				ssize_t n = read(out[0], buf, sizeof(buf) - 1);

				if (n > 0) {
					buf[n] = '\0';
					fputs(buf, stdout);
					break;
				}
			}
		}
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return 0;
	}
	fprintf(stderr, "ttybench: bad arguments\n");
	return 2;
}
