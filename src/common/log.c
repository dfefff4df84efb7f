/* log.c -- messages of the umlmon programs. */
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static const char *prog = "umlmon";
static enum log_level maxlvl = LOG_LVL_INFO;
static int to_stderr = 1;
/* the file: written by the loop and by worker threads */
static pthread_mutex_t file_mu = PTHREAD_MUTEX_INITIALIZER;
static int filefd = -1;
static char *filepath;
static uint64_t filesize, filemax;
static int filekeep;
/* an outage of the file (a full disk): its errno, the messages lost */
static int fileerr;
static unsigned long filelost;
static int filecut;     /* the last write ended mid-line */

void log_init(const char *name, enum log_level max)
{
	const char *slash = strrchr(name, '/');

	prog = slash ? slash + 1 : name;
	maxlvl = max;
}

int log_to_file(const char *path, int keep_stderr, uint64_t max, int keep)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		      0640);
	struct stat st;

	if (fd < 0)
		return -1;
	pthread_mutex_lock(&file_mu);
	if (filefd >= 0)
		close(filefd);
	filefd = fd;
	free(filepath);
	filepath = strdup(path);
	filesize = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	filemax = max;
	filekeep = keep;
	to_stderr = keep_stderr;
	pthread_mutex_unlock(&file_mu);
	return 0;
}

/* path -> path.1 -> ... -> path.keep; a new empty path. Under file_mu. */
static void rotate(void)
{
	char from[4200], to[4200];
	int fd;

	if (!filepath)
		return;
	for (int k = filekeep; k >= 1; k--) {
		if (k == 1)
			snprintf(from, sizeof(from), "%s", filepath);
		else
			snprintf(from, sizeof(from), "%s.%d", filepath, k - 1);
		snprintf(to, sizeof(to), "%s.%d", filepath, k);
		if (rename(from, to) < 0 && errno != ENOENT) {
			/* nowhere to say it but on: the file keeps growing */
		}
	}
	fd = open(filepath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC |
		  O_NOFOLLOW, 0640);
	if (fd >= 0) {
		close(filefd);
		filefd = fd;
		filesize = 0;
	}
}

/* All of line, or -1 with errno (a short write is retried for its cause). */
static int file_write(const char *line, size_t n)
{
	size_t done = 0;

	if (filemax && filesize + n > filemax && filesize)
		rotate();
	while (done < n) {
		ssize_t w = write(filefd, line + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		filesize += (uint64_t)w;
		done += (size_t)w;
		filecut = 1;
	}
	filecut = 0;
	return 0;
}

/* A full log disk must not stop the program: the first failure is said
 * where it can still be seen (stderr, syslog), once; the messages lost
 * are counted and noted in the file when it takes writes again. Under
 * file_mu. */
static void file_put(const char *line, size_t n)
{
	if (fileerr) {
		char note[200];
		int k = snprintf(note, sizeof(note), "%s[%s: %lu messages not "
				 "logged: %s]\n", filecut ? "\n" : "", prog,
				 filelost, strerror(fileerr));

		if (file_write(note, (size_t)k) < 0) {
			filelost++;
			return;
		}
		fileerr = 0;
		filelost = 0;
	}
	if (file_write(line, n) == 0)
		return;
	fileerr = errno;
	filelost = 1;
	if (to_stderr)
		fprintf(stderr, "%s: log %s: %s (messages are lost until it can "
			"be written)\n", prog, filepath, strerror(fileerr));
	syslog(LOG_DAEMON | LOG_ERR, "%s[%d]: log %s: %s (messages are lost "
	       "until it can be written)", prog, (int)getpid(), filepath,
	       strerror(fileerr));
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
		if (n >= (int)sizeof(line))
			n = (int)sizeof(line) - 1;
		pthread_mutex_lock(&file_mu);
		if (filefd >= 0 && n > 0)
			file_put(line, (size_t)n);
		pthread_mutex_unlock(&file_mu);
	}
}

int log_file_error(void)
{
	int r;

	pthread_mutex_lock(&file_mu);
	r = fileerr;
	pthread_mutex_unlock(&file_mu);
	return r;
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
