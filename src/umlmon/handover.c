/* handover.c -- the watcher's pty masters and status, fetched by a new
 * monitor (see handover.h). */
#include "umlmon/handover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/paths.h"
#include "common/procstat.h"

static int connect_watcher(pid_t watcher, uid_t uid, int timeout_ms,
			   struct err *e)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct sockaddr_un sa;
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/%d/root%s", (int)watcher,
		 JAIL_HANDOVER_SOCKET);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_sys(e, "the watcher (pid %d): a socket for its hand-over", (int)watcher);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys(e, "the watcher (pid %d): its hand-over socket %s",
			(int)watcher, sa.sun_path);
		close(fd);
		return -1;
	}
	/* a process of the vmuser (the guest's kernel) could have put a
	 * socket of its own at that name: only the watcher is believed */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
	    cr.pid != watcher || cr.uid != uid) {
		err_code(e, ERR_UNSAFE, "the watcher (pid %d): its hand-over socket "
			 "%s belongs to pid %d uid %u, not to the watcher", (int)watcher,
			 sa.sun_path, (int)cr.pid, (unsigned)cr.uid);
		close(fd);
		return -1;
	}
	return fd;
}

/* "handover KPID NAME..." into h; the masters came with it. */
static int parse(struct handover *h, char *line, int nfds, struct err *e)
{
	char *save = NULL, *w = strtok_r(line, " ", &save);
	long kpid;

	if (!w || strcmp(w, "handover") || !(w = strtok_r(NULL, " ", &save)) ||
	    parse_long(w, 2, 1 << 30, &kpid) < 0) {
		err_code(e, ERR_IO, "the watcher (pid %d): not a hand-over message",
			 (int)h->watcher);
		return -1;
	}
	h->kernel = (pid_t)kpid;
	while ((w = strtok_r(NULL, " ", &save))) {
		if (h->n >= nfds || strlen(w) >= sizeof(h->names[0])) {
			err_code(e, ERR_IO, "the watcher (pid %d): more channels than "
				 "masters (%d)", (int)h->watcher, nfds);
			return -1;
		}
		snprintf(h->names[h->n], sizeof(h->names[0]), "%s", w);
		h->n++;
	}
	if (h->n != nfds) {
		err_code(e, ERR_IO, "the watcher (pid %d): %d masters for %d channels",
			 (int)h->watcher, nfds, h->n);
		return -1;
	}
	return 0;
}

int handover_fetch(pid_t watcher, uid_t uid, int timeout_ms, struct handover *h,
		   struct err *e)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * HANDOVER_MAX)];
	} ctl;
	char line[1024];
	struct iovec iov = {line, sizeof(line) - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = &ctl, .msg_controllen = sizeof(ctl)};
	int nfds = 0;
	ssize_t r;
	char *nl;

	memset(h, 0, sizeof(*h));
	h->watcher = watcher;
	for (int i = 0; i < HANDOVER_MAX; i++)
		h->masters[i] = -1;
	h->fd = connect_watcher(watcher, uid, timeout_ms, e);
	if (h->fd < 0)
		return -1;
	do
		r = recvmsg(h->fd, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (int i = 0; i < n && nfds < HANDOVER_MAX; i++)
				memcpy(&h->masters[nfds++], CMSG_DATA(c) + sizeof(int) *
				       (size_t)i, sizeof(int));
		}
	if (r <= 0) {
		if (r < 0)
			err_sys(e, "the watcher (pid %d): its hand-over", (int)watcher);
		else
			err_code(e, ERR_IO, "the watcher (pid %d): closed its hand-over "
				 "socket (not root's connection, or it is ending)",
				 (int)watcher);
		goto fail;
	}
	if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
		err_code(e, ERR_IO, "the watcher (pid %d): its hand-over message was "
			 "cut", (int)watcher);
		goto fail;
	}
	line[r] = '\0';
	nl = strchr(line, '\n');
	if (!nl || nl[1]) {
		err_code(e, ERR_IO, "the watcher (pid %d): not one hand-over line",
			 (int)watcher);
		goto fail;
	}
	*nl = '\0';
	if (parse(h, line, nfds, e) < 0)
		goto fail;
	/* the pid is the kernel's while the watcher, alive, is its parent */
	if (proc_parent(h->kernel) != watcher) {
		err_code(e, ERR_STATE, "the watcher (pid %d): its kernel (pid %d) is "
			 "not its child", (int)watcher, (int)h->kernel);
		goto fail;
	}
	return 0;
fail:
	handover_free(h);
	return -1;
}

void handover_free(struct handover *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	for (int i = 0; i < HANDOVER_MAX; i++) {
		if (h->masters[i] >= 0)
			close(h->masters[i]);
		h->masters[i] = -1;
	}
}
