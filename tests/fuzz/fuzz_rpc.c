/* fuzz_rpc.c -- bytes as what a client sends on a monitor's control
 * socket: record marking, the call header, every procedure's arguments
 * and handler, through the real dispatch table (src/umlmon/ctrl.c) of a
 * real monitor.
 *
 * The monitor is made once, from a configuration in a temporary
 * directory, in a mount namespace of its own (a start mounts the jail:
 * whatever the run leaves, the kernel drops with the process). Its VM
 * never boots: its kernel does not exist, so a start is refused after
 * the jail is mounted, and what needs a running kernel answers
 * UM_ESTATE. Each input is a new connection (one end of a socketpair,
 * adopted by a new server of the table), written whole and half-closed,
 * while the loop runs; every record that comes back must be an RPC reply.
 * The input ends when the server closes the connection (it saw the end
 * of the input); a connection that stopped reading (too many calls
 * parked) is dropped once nothing happened for a while. Then the server
 * is freed with whatever calls it still holds (their cancellations run). */
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/rpc_wire.h"
#include "common/util.h"
#include "disk/cow.h"
#include "serve/loop.h"
#include "serve/rpc_server.h"
#include "umlmon/ctrl.h"
#include "umlmon/monitor.h"

/* A connection that takes no more input and answers nothing for this
 * long has calls parked until their own timeouts (up to days): it is
 * dropped. */
#define STUCK_MS 1000

static char *dir;
static struct monitor *mon;
static int verbose;

struct client {
	struct loop *loop;
	int fd;
	const uint8_t *data;
	size_t size, sent;
	struct rpc_in in;
	int replies;
	struct loop_timer *stuck;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void cleanup(void)
{
	monitor_free(mon);
	mon = NULL;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* A new file of size bytes (a hole); its fd. */
static int new_file(const char *rel, off_t size)
{
	char *path = xasprintf("%s/%s", dir, rel);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0 || ftruncate(fd, size) < 0)
		fuzz_die("%s: %m", path);
	free(path);
	return fd;
}

/* What `umladmin setup` and the VM's disks would give: the shared
 * directory, ubd0, and ubd1 a COW over a shared disk. */
static void make_disks(void)
{
	const char *dirs[] = {"shared/kernels", "shared/disks"};
	struct cow_header h;
	struct stat st;
	struct err e;
	int fd;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = xasprintf("%s/%s", dir, dirs[i]);

		if (mkdir_p(d, 0755) < 0)
			fuzz_die("%s: %m", d);
		free(d);
	}
	close(new_file("var/fuzz/jail/disks/root.dsk", 1 << 20));
	fd = new_file("shared/disks/base.dsk", 1 << 20);
	if (fstat(fd, &st) < 0)
		fuzz_die("base.dsk: %m");
	close(fd);
	fd = new_file("var/fuzz/jail/disks/data.cow", 0);
	if (cow_init_header(&h, "/shared/disks/base.dsk", (uint64_t)st.st_size,
			    st.st_mtime, &e) < 0 ||
	    cow_write_new(fd, "data.cow", &h, &e) < 0)
		fuzz_die("%s", e.msg);
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config *cfg;
	char *conf, *log;
	struct err e;
	FILE *f;

	(void)argc;
	(void)argv;
	if (geteuid() != 0)
		fuzz_die("fuzz_rpc makes a real monitor: run it as root");
	/* the jail's mounts stay in here */
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fuzz_die("a mount namespace of its own: %m");
	dir = xasprintf("%s/umlmon-fuzz-rpc.XXXXXX",
			getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		fuzz_die("%s: %m", dir);
	conf = xasprintf("%s/umlmon.conf", dir);
	f = fopen(conf, "w");
	if (!f)
		fuzz_die("%s: %m", conf);
	fprintf(f,
		"[GLOBAL]\nvardir = %s/var\nrundir = %s/run\nshared = %s/shared\n"
		"[fuzz]\nvmuser = nobody\nvmuser_shared = yes\nmemory = 32M\n"
		"kernel = /shared/kernels/none\n"
		"ubd0 = /disks/root.dsk\nubd1 = /disks/data.cow,/shared/disks/base.dsk\n"
		"con1 = pty\nssl0 = log\n",
		dir, dir, dir);
	if (fclose(f) != 0)
		fuzz_die("%s: %m", conf);
	cfg = config_load(conf, &e);
	if (!cfg)
		fuzz_die("%s", e.msg);
	if (cfg->nerrors)
		fuzz_die("%s: %s", conf, cfg->errors[0]);
	/* the monitor's log: a bad record is a warning each time */
	log = xasprintf("%s/monitor.log", dir);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (!verbose && log_to_file(log, 0, 1 << 20, 0) < 0)
		fuzz_die("%s: %m", log);
	mon = monitor_new(cfg, "fuzz", 0, &e);
	if (!mon)
		fuzz_die("the monitor: %s", e.msg);
	make_disks();
	atexit(cleanup);
	free(conf);
	free(log);
	return 0;
}

static void on_stuck(struct loop *l, void *arg)
{
	struct client *c = arg;

	c->stuck = NULL;
	loop_quit(l);
}

/* Progress: the watchdog starts again. */
static void rearm(struct client *c)
{
	loop_timer_cancel(c->loop, c->stuck);
	c->stuck = loop_timer_add(c->loop, STUCK_MS, on_stuck, c);
}

static void check_replies(struct client *c)
{
	const uint8_t *rec;
	size_t len;
	int k;

	while ((k = rpc_in_next(&c->in, &rec, &len)) == 1) {
		struct rpc_msg m;
		XDR x;

		/* the header only: the results are fuzz_xdr's */
		memset(&m, 0, sizeof(m));
		m.acpted_rply.ar_results.proc = (xdrproc_t)xdr_rpc_void;
		xdrmem_create(&x, (char *)rec, (u_int)len, XDR_DECODE);
		if (!xdr_replymsg(&x, &m) || m.rm_direction != REPLY)
			fuzz_die("the monitor sent a record that is not a reply");
		xdr_destroy(&x);
		c->replies++;
	}
	if (k < 0)
		fuzz_die("the monitor sent a record over %u bytes", RPC_MAX_RECORD);
}

static void on_client(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;

	if ((events & EPOLLOUT) && c->sent < c->size) {
		ssize_t n = write(fd, c->data + c->sent, c->size - c->sent);

		if (n > 0) {
			c->sent += (size_t)n;
			rearm(c);
		} else if (errno != EAGAIN) {
			c->sent = c->size; /* the server closed: it reads no more */
		}
		if (c->sent == c->size) {
			shutdown(fd, SHUT_WR);
			loop_mod_fd(l, fd, EPOLLIN);
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = rpc_in_read(&c->in, fd);

		if (n > 0) {
			check_replies(c);
			rearm(c);
		} else if (n == 0 || errno != EAGAIN) {
			/* the server closed the connection */
			loop_quit(l);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct loop *l = monitor_loop(mon);
	struct client c = {.loop = l, .data = data, .size = size};
	struct rpc_server *srv = ctrl_server_new(l, mon);
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		fuzz_die("socketpair: %m");
	if (rpc_server_adopt(srv, sv[0]) < 0)
		fuzz_die("rpc_server_adopt failed");
	c.fd = sv[1];
	fd_nonblock(c.fd);
	if (size == 0)
		shutdown(c.fd, SHUT_WR);
	rearm(&c);
	if (loop_add_fd(l, c.fd, size ? EPOLLIN | EPOLLOUT : EPOLLIN, on_client, &c) < 0)
		fuzz_die("loop_add_fd failed");
	loop_run(l);
	if (verbose)
		fprintf(stderr, "fuzz_rpc: %zu bytes, %d replies\n", size, c.replies);
	loop_timer_cancel(l, c.stuck);
	loop_del_fd(l, c.fd);
	/* calls still parked are cancelled here, as when a client leaves */
	rpc_server_free(srv);
	close(c.fd);
	rpc_in_free(&c.in);
	return 0;
}
