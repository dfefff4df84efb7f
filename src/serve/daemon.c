/* daemon.c -- the start of a daemon (see daemon.h). */
#include "serve/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/log.h"

/* What the caller left open (a shell's `exec 7>f`, a socket of its own)
 * is not the daemon's: closed, so that no file stays busy or open for the
 * daemon's whole life. 0, 1 and 2 stay; where one is missing, /dev/null
 * takes its place, or the pid file or a socket would get that number and
 * be written to as stderr (or replaced by the /dev/null of daemonize). */
void daemon_close_inherited(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			die(1, "/dev/null: %s", strerror(errno));
	if (close_range(3, ~0u, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (int fd = 3; fd < max; fd++)
			close(fd);
	}
}

int pidfile_lock(const char *path, const char *what, struct err *e)
{
	char buf[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0) {
		err_sys(e, "%s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		err_code(e, ERR_BUSY, "%s is already running (pid %s, pid file %s)",
			 what, *buf ? buf : "?", path);
		close(fd);
		return -1;
	}
	return fd;
}

int pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	return ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) == n ? 0 : -1;
}

int daemon_fork(const char *prog)
{
	int p[2];
	pid_t pid;
	char buf[1200];
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		die(1, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die(1, "fork: %s", strerror(errno));
	if (pid > 0) {
		close(p[1]);
		n = read(p[0], buf, sizeof(buf) - 1);
		if (n > 0 && buf[0] == '+')
			exit(0);
		if (n > 0) {
			buf[n] = '\0';
			fprintf(stderr, "%s: %s\n", prog, buf + 1);
		} else {
			fprintf(stderr, "%s: the daemon died while starting\n", prog);
		}
		exit(1);
	}
	close(p[0]);
	setsid();
	if (chdir("/") < 0) {
		/* / always exists */
	}
	return p[1];
}

void daemon_ready(int fd, const char *error)
{
	if (fd < 0) {
		if (error)
			die(1, "%s", error);
		return;
	}
	if (error) {
		char buf[1200];
		int n = snprintf(buf, sizeof(buf), "-%s", error);

		if (write(fd, buf, (size_t)n) < 0) {
			/* the parent is gone */
		}
		exit(1);
	}
	if (write(fd, "+", 1) < 0) {
		/* the parent is gone */
	}
	close(fd);
}

void daemon_null_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
}

struct config *daemon_load_global(const char **cfgpath, const char *prog)
{
	struct config *cfg;
	struct err e;
	int bad;

	*cfgpath = config_default_path(*cfgpath);
	cfg = config_load(*cfgpath, &e);
	if (!cfg)
		die(1, "%s", e.msg);
	bad = config_global_errors(cfg, prog);
	if (bad)
		die(1, "refusing to run with %d error%s in [GLOBAL] of %s", bad,
		    bad > 1 ? "s" : "", *cfgpath);
	return cfg;
}
