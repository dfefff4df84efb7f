/* rpc_unix.c -- the Unix socket transport of the control RPC. */
#include "serve/rpc_unix.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Who may connect is the socket file's business (its mode and group): a
 * peer that got in is authenticated; its credentials say who it is. */
static void unix_identify(int fd, struct rpc_peer *p)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		p->uid = cred.uid;
		p->pid = cred.pid;
	}
	p->authenticated = 1;
	p->readonly = 0;
}

/* One user's connections count together. */
static int unix_same_peer(const struct rpc_peer *a, const struct rpc_peer *b)
{
	return a->uid == b->uid;
}

const struct rpc_transport rpc_unix_transport = {
	.name = "unix",
	.id = RPC_UNIX,
	.needs_auth = 0,
	.identify = unix_identify,
	.same_peer = unix_same_peer,
};

int rpc_unix_listen(const char *path, mode_t mode, gid_t gid, struct err *e)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		err_code(e, ERR_INVAL, "%s: socket path too long (max %zu)", path,
			 sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err_sys(e, "%s: socket", path);
		return -1;
	}
	/* a socket file left by a dead daemon is replaced; a live one is not */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		err_code(e, ERR_BUSY, "%s: another process is serving this socket",
			 path);
		close(fd);
		return -1;
	}
	if (errno == ECONNREFUSED)
		unlink(path);
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys(e, "%s: bind", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (chmod(path, mode) < 0 || (gid != (gid_t)-1 && chown(path, 0, gid) < 0) ||
	    listen(fd, 64) < 0) {
		err_sys(e, "%s", path);
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}
