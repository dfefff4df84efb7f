/* guestbench -- the guest side of a console benchmark. It stands where the
 * UML kernel stands (the monitor runs it as the VM's "kernel", in the jail,
 * with con1 on fd 3), so that the figures are those of the console path
 * alone, not of UML's own tty layer. Behaviour by the name it runs as:
 *
 *   bench-echo    echo every byte read on fd 3 back to fd 3
 *   bench-flood   write FLOOD_BYTES (default 64 MiB) of text lines to fd 3
 *                 as fast as it can, then print "FLOOD bytes=N ns=T" on
 *                 stdout (con0) and wait to be stopped
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int echo(int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return 1;
			off += w;
		}
	}
}

static int flood(int fd, long long total)
{
	static char buf[65536];
	long long done = 0, t0;

	/* lines of 78 characters: text a terminal has to scroll */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (i % 80 == 78) ? '\r' : (i % 80 == 79) ? '\n' : 'a' + i % 26;
	usleep(200 * 1000); /* let the reader settle */
	t0 = now_ns();
	while (done < total) {
		size_t k = total - done < (long long)sizeof(buf) ?
			(size_t)(total - done) : sizeof(buf);
		ssize_t w = write(fd, buf, k);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return 1;
		done += w;
	}
	printf("FLOOD bytes=%lld ns=%lld\n", done, now_ns() - t0);
	fflush(stdout);
	for (;;)
		pause();
}

/* As PID 1 of its namespace the guest gets only signals it handles: like
 * UML, end on SIGTERM. */
static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *env = getenv("FLOOD_BYTES");

	(void)argc;
	signal(SIGTERM, on_term);
	if (!strcmp(name, "bench-echo"))
		return echo(3);
	if (!strcmp(name, "bench-flood"))
		return flood(3, env ? atoll(env) : 64LL << 20);
	fprintf(stderr, "guestbench: run me as bench-echo or bench-flood\n");
	return 2;
}
