/* monctl.c -- calls to many monitors at once, and their processes (see
 * monctl.h). */
#include "admin/monctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/paths.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"

struct one {
	struct monctl_result *r;
	struct rpc_client *c;
	int64_t sent;
	int done;
};

static void answered(struct rpc_client *c, void *res, const char *err, void *arg)
{
	struct one *o = arg;
	um_result *u = res;

	(void)c;
	if (o->done)
		return; /* given up on: its message stays */
	o->done = 1;
	o->r->ms = now_ms() - o->sent;
	if (err) {
		snprintf(o->r->msg, sizeof(o->r->msg), "%s: %s", o->r->vm, err);
		return;
	}
	o->r->answered = 1;
	o->r->status = u->status;
	snprintf(o->r->msg, sizeof(o->r->msg), "%s", u->message ? u->message : "");
}

void monctl_call_all(const struct config *cfg, struct monctl_result *r, int n,
		     uint32_t proc, xdrproc_t xargs, void *args, int timeout_ms)
{
	struct one *o = xcalloc((size_t)n + 1, sizeof(*o));
	struct pollfd *pf = xcalloc((size_t)n + 1, sizeof(*pf));
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int left = 0;

	for (int i = 0; i < n; i++) {
		char *sock = vm_ctrl_path(cfg->global.vardir, r[i].vm);
		struct err e;

		r[i].answered = 0;
		r[i].msg[0] = '\0';
		o[i].r = &r[i];
		o[i].sent = now_ms();
		o[i].c = rpc_client_unix(sock, UMLMONCTRL_PROG, UMLMONCTRL_V1, &e);
		free(sock);
		if (!o[i].c || rpc_client_send(o[i].c, proc, xargs, args,
					       (xdrproc_t)xdr_um_result,
					       sizeof(um_result), answered, &o[i],
					       &e) < 0) {
			snprintf(r[i].msg, sizeof(r[i].msg), "%s: no monitor (%.900s)",
				 r[i].vm, e.msg);
			o[i].done = 1;
			continue;
		}
		left++;
	}
	while (left > 0) {
		int64_t now = now_ms();
		int wait = deadline < 0 ? -1 : (int)(deadline > now ? deadline - now : 0);
		int k = 0;

		for (int i = 0; i < n; i++) {
			if (o[i].done)
				continue;
			pf[k].fd = rpc_client_sockfd(o[i].c);
			pf[k].events = POLLIN | (rpc_client_want_write(o[i].c) ? POLLOUT : 0);
			pf[k].revents = 0;
			k++;
		}
		if (poll(pf, (nfds_t)k, wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (deadline >= 0 && now_ms() >= deadline)
			break;
		k = 0;
		for (int i = 0; i < n; i++) {
			struct err e;

			if (o[i].done)
				continue;
			if (pf[k].revents & POLLOUT)
				rpc_client_flush(o[i].c, &e);
			if ((pf[k].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    rpc_client_input(o[i].c, &e) < 0 && !o[i].done) {
				o[i].done = 1;
				r[i].ms = now_ms() - o[i].sent;
				snprintf(r[i].msg, sizeof(r[i].msg),
					 "%s: the monitor went away (%.900s)", r[i].vm, e.msg);
			}
			if (o[i].done)
				left--;
			k++;
		}
	}
	for (int i = 0; i < n; i++) {
		if (!o[i].done) {
			r[i].ms = now_ms() - o[i].sent;
			snprintf(r[i].msg, sizeof(r[i].msg), "%s: no answer within %d s",
				 r[i].vm, timeout_ms / 1000);
		}
		/* frees pending calls first: their callback runs, done or not */
		o[i].done = 1;
		rpc_client_free(o[i].c);
	}
	free(pf);
	free(o);
}

/* The umlmon installed with this program, else the PATH's. */
static const char *umlmon_path(char *buf, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 16);
	char *slash;

	if (len > 0) {
		buf[len] = '\0';
		if ((slash = strrchr(buf, '/'))) {
			strcpy(slash + 1, "umlmon");
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return "umlmon";
}

int monctl_spawn_monitor(const char *cfgpath, const char *vm, pid_t *pid,
			 int *outfd, struct err *e)
{
	char exe[PATH_MAX];
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0) {
		err_sys(e, "%s: pipe", vm);
		return -1;
	}
	umlmon_path(exe, sizeof(exe));
	*pid = fork();
	if (*pid < 0) {
		err_sys(e, "%s: fork", vm);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (*pid == 0) {
		dup2(p[1], STDERR_FILENO);
		execlp(exe, "umlmon", "-c", cfgpath, vm, (char *)NULL);
		fprintf(stderr, "%s: %s", exe, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	*outfd = p[0];
	return 0;
}

int monctl_reap_monitor(const char *vm, pid_t pid, int outfd, struct err *e)
{
	char out[1024];
	ssize_t len = 0, got;
	int status;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* the daemon it left may hold the pipe: take what is there */
	fd_nonblock(outfd);
	while (len < (ssize_t)sizeof(out) - 1 &&
	       (got = read(outfd, out + len, sizeof(out) - 1 - (size_t)len)) > 0)
		len += got;
	close(outfd);
	while (len > 0 && out[len - 1] == '\n')
		len--;
	out[len] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	err_code(e, ERR_IO, "%s: the monitor did not start: %s", vm,
		 len ? out : "umlmon failed without a message");
	return -1;
}

int monctl_start_monitor(const char *cfgpath, const char *vm, struct err *e)
{
	pid_t pid;
	int fd;

	if (monctl_spawn_monitor(cfgpath, vm, &pid, &fd, e) < 0)
		return -1;
	return monctl_reap_monitor(vm, pid, fd, e);
}

int monctl_end_monitor(const char *vm, pid_t pid, int timeout_ms, struct err *e)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	int64_t deadline = now_ms() + timeout_ms;

	if (fd < 0) {
		err_sys(e, "%s: monitor pid %d", vm, (int)pid);
		return errno == ESRCH ? 0 : -1;
	}
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH) {
		err_sys(e, "%s: SIGTERM to its monitor (pid %d)", vm, (int)pid);
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int64_t now = now_ms();
		int r;

		if (now >= deadline) {
			close(fd);
			err_code(e, ERR_TIMEDOUT, "%s: its monitor (pid %d) did not end "
				 "within %d s of SIGTERM", vm, (int)pid, timeout_ms / 1000);
			return -1;
		}
		r = poll(&pf, 1, (int)(deadline - now));
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR) {
			err_sys(e, "%s: poll", vm);
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}
