/* log.c -- messages of the umlmon programs. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "umlmon";
static enum log_level maxlvl = LOG_LVL_INFO;
static int filefd = -1;
static int to_stderr = 1;

void log_init(const char *name, enum log_level max)
{
	const char *slash = strrchr(name, '/');

	prog = slash ? slash + 1 : name;
	maxlvl = max;
}

const char *log_prog(void)
{
	return prog;
}

int log_to_file(const char *path, int keep_stderr)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0)
		return -1;
	if (filefd >= 0)
		close(filefd);
	filefd = fd;
	to_stderr = keep_stderr;
	return 0;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	char msg[2048];
	va_list ap;

	if (lvl > maxlvl)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (to_stderr)
		fprintf(stderr, "%s: %s\n", prog, msg);
	if (filefd >= 0) {
		char line[2200], stamp[32];
		struct tm tm;
		time_t t = time(NULL);
		int n;

		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S",
			 localtime_r(&t, &tm));
		n = snprintf(line, sizeof(line), "%s %s[%d] %s: %s\n", stamp,
			     prog, (int)getpid(), names[lvl], msg);
		if (n > 0 && write(filefd, line, (size_t)n) < 0) {
			/* a full log disk must not stop the monitor */
		}
	}
}

void die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}
