/* vswitch.c -- virtual switches (uml_switch) shared by the VMs of a host,
 * started by the first monitor whose VM joins and stopped by the one whose
 * VM leaves last.
 *
 *   SHARED/switches/NAME/      owned by nobody (the switch runs as nobody)
 *       ctl                    the switch's control socket (the kernels
 *                              connect to it as /shared/switches/NAME/ctl)
 *       pid, log               the switch's pid and output
 *       lock                   exclusive flock: one monitor at a time
 *                              starts, joins, leaves or stops
 *       users                  a shared flock per VM that uses the switch;
 *                              a monitor that dies drops its own */
#include "net/vswitch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/procstat.h"

#define UML_SWITCH "/usr/bin/uml_switch"

struct vswitch {
	char *dir;
	char *name;
	int users_fd;           /* holds the shared flock */
};

static char *path_in(const char *dir, const char *file)
{
	return xasprintf("%s/%s", dir, file);
}

/* The switch's pid if it runs (its command line names our socket). */
static pid_t running(const char *dir)
{
	char *pidf = path_in(dir, "pid"), *ctl = path_in(dir, "ctl");
	char *s = read_file(pidf, 64, NULL), *cl, proc[64];
	pid_t pid = 0, found = 0;
	size_t n;

	if (s)
		pid = (pid_t)atoi(s);
	free(s);
	if (pid > 0) {
		snprintf(proc, sizeof(proc), "/proc/%d/cmdline", (int)pid);
		cl = read_file(proc, 8192, &n);
		if (cl) {
			int is_switch = 0, has_ctl = 0;

			for (size_t i = 0; i < n; i += strlen(cl + i) + 1) {
				if (strstr(cl + i, "uml_switch"))
					is_switch = 1;
				if (!strcmp(cl + i, ctl))
					has_ctl = 1;
			}
			if (is_switch && has_ctl)
				found = pid;
			free(cl);
		}
	}
	free(pidf);
	free(ctl);
	return found;
}

static int start_switch(const char *dir, const char *name, struct err *e)
{
	char *ctl = path_in(dir, "ctl"), *logf = path_in(dir, "log");
	struct passwd *pw = getpwnam("nobody");
	pid_t pid;
	int rc = -1;

	if (!pw) {
		err_set(e, "switch %s: no user 'nobody' to run it as", name);
		goto out;
	}
	if (chown(dir, pw->pw_uid, pw->pw_gid) < 0) {
		err_sys(e, "switch %s: %s", name, dir);
		goto out;
	}
	unlink(ctl);
	pid = fork();
	if (pid < 0) {
		err_sys(e, "switch %s: fork", name);
		goto out;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);
		int lf = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		if (fd < 0 || lf < 0 || dup2(fd, 0) < 0 || dup2(lf, 1) < 0 ||
		    dup2(lf, 2) < 0)
			_exit(127);
		close_range(3, ~0u, 0);
		/* the kernels, as their vmusers, connect to the socket */
		umask(0);
		if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
		    setuid(pw->pw_uid) < 0)
			_exit(127);
		execl(UML_SWITCH, "uml_switch", "-unix", ctl, (char *)NULL);
		_exit(127);
	}
	{
		char *pidf = path_in(dir, "pid"), buf[32];
		int fd = open(pidf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);

		if (fd < 0 || write_all(fd, buf, (size_t)n) < 0)
			log_warn("switch %s: %s: %s", name, pidf, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(pidf);
	}
	/* ready when its socket is there */
	for (int i = 0; i < 300; i++) {
		struct stat st;
		int st_;

		if (stat(ctl, &st) == 0 && S_ISSOCK(st.st_mode)) {
			rc = 0;
			log_info("switch %s: started (pid %d, %s)", name, (int)pid, ctl);
			goto out;
		}
		if (waitpid(pid, &st_, WNOHANG) == pid) {
			err_set(e, "switch %s: %s exited at once (see %s)", name,
				UML_SWITCH, logf);
			goto out;
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	err_set(e, "switch %s: no control socket %s after 3 s", name, ctl);
out:
	free(ctl);
	free(logf);
	return rc;
}

/* Running, not a zombie waiting for its parent (another monitor). */
static int alive(pid_t pid)
{
	struct proc_stat ps;

	if (kill(pid, 0) < 0)
		return 0;
	return proc_stat(pid, &ps) < 0 || ps.state != 'Z';
}

static void stop_switch(const char *dir, const char *name)
{
	pid_t pid = running(dir);
	char *ctl = path_in(dir, "ctl"), *pidf = path_in(dir, "pid");

	if (pid > 0) {
		kill(pid, SIGTERM);
		for (int i = 0; i < 200 && alive(pid); i++) {
			/* our child: reap it; another monitor's: it reaps it */
			waitpid(pid, NULL, WNOHANG);
			usleep(10000);
		}
		if (alive(pid)) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		log_info("switch %s: stopped (pid %d): no VM uses it", name, (int)pid);
	}
	unlink(ctl);
	unlink(pidf);
	free(ctl);
	free(pidf);
}

/* The exclusive lock of the switch's directory. */
static int lock_dir(const char *dir, const char *name, struct err *e)
{
	char *lockf = path_in(dir, "lock");
	int fd = open(lockf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		err_sys(e, "switch %s: %s", name, lockf);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(lockf);
	return fd;
}

struct vswitch *vswitch_join(const char *shared, const char *name, struct err *e)
{
	struct vswitch *s = xcalloc(1, sizeof(*s));
	char *users = NULL;
	int lock = -1;

	s->users_fd = -1;
	s->name = xstrdup(name);
	s->dir = xasprintf("%s/switches/%s", shared, name);
	if (mkdir_p(s->dir, 0755) < 0) {
		err_sys(e, "switch %s: %s", name, s->dir);
		goto fail;
	}
	lock = lock_dir(s->dir, name, e);
	if (lock < 0)
		goto fail;
	if (!running(s->dir) && start_switch(s->dir, name, e) < 0)
		goto fail;
	users = path_in(s->dir, "users");
	s->users_fd = open(users, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->users_fd < 0 || flock(s->users_fd, LOCK_SH) < 0) {
		err_sys(e, "switch %s: %s", name, users);
		goto fail;
	}
	free(users);
	close(lock);
	return s;
fail:
	free(users);
	if (lock >= 0)
		close(lock);
	vswitch_leave(s);
	return NULL;
}

void vswitch_leave(struct vswitch *s)
{
	struct err e;
	char *users;
	int lock, fd;

	if (!s)
		return;
	lock = lock_dir(s->dir, s->name, &e);
	if (s->users_fd >= 0)
		close(s->users_fd);
	users = path_in(s->dir, "users");
	fd = open(users, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	/* nobody else holds it shared: the last one out stops the switch */
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
		stop_switch(s->dir, s->name);
	if (fd >= 0)
		close(fd);
	if (lock >= 0)
		close(lock);
	free(users);
	free(s->dir);
	free(s->name);
	free(s);
}
