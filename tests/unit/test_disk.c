/* Unit tests of the disk operations (no root, no kernel): sparse create,
 * copies that keep holes and a COW's backing reference, resize, holders
 * read from real fcntl locks of another process, dependents (on disk and
 * in the configuration as it is now), the merge in place, cancellation
 * that leaves nothing behind, and what a guest can plant in /disks. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "common/config.h"
#include "disk/disk.h"
#include "umlmon/diskjob.h"
#include "disk/disklock.h"
#include "disk/precheck.h"
#include "serve/loop.h"

static char dir[64];
static char conf[128];
static struct config *cfg;
static struct disk_ctx ctx;

static int setup(void **state)
{
	char *disks, *shared;
	struct err e;
	FILE *f;

	(void)state;
	strcpy(dir, "/tmp/umlmon-disk-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf, sizeof(conf), "%s/umlmon.conf", dir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "[GLOBAL]\nvardir = %s/var\nshared = %s/shared\n"
		"[vm1]\nvmuser = nobody\nubd0 = /disks/root.dsk\n"
		"[vm2]\nvmuser = nobody\nubd0 = /disks/root.dsk\n", dir, dir);
	fclose(f);
	cfg = config_load(conf, &e);
	if (!cfg || cfg->nerrors)
		return -1;
	disks = xasprintf("%s/var/vm1/jail/disks", dir);
	shared = xasprintf("%s/shared/disks", dir);
	mkdir_p(disks, 0755);
	mkdir_p(shared, 0755);
	free(disks);
	free(shared);
	disks = xasprintf("%s/var/vm2/jail/disks", dir);
	mkdir_p(disks, 0755);
	free(disks);
	return disk_ctx_init(&ctx, cfg, "vm1", &e);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	disk_ctx_free(&ctx);
	config_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *host(const char *rel)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", dir, rel);
	return buf;
}

static void write_at(const char *path, off_t at, const char *data)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, strlen(data), at), (ssize_t)strlen(data));
	close(fd);
}

static struct stat stat_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st;
}

/* Files in the directory whose name starts with a dot (temporaries). */
static int hidden_files(const char *d)
{
	char cmd[600];
	FILE *p;
	int n = 0;
	char line[256];

	snprintf(cmd, sizeof(cmd), "ls -A %s | grep '^\\.'", d);
	p = popen(cmd, "r");
	while (fgets(line, sizeof(line), p))
		n++;
	pclose(p);
	return n;
}

static void create_copy_sparse(void **state)
{
	struct strbuf t;
	struct err e;
	struct stat a, b;

	(void)state;
	sb_init(&t);
	assert_int_equal(disk_create(&ctx, "/disks/big.dsk", 1ULL << 30, NULL, &t,
				     &e), 0);
	a = stat_of(host("var/vm1/jail/disks/big.dsk"));
	assert_int_equal(a.st_size, 1LL << 30);
	assert_true(a.st_blocks < 64);
	write_at(host("var/vm1/jail/disks/big.dsk"), 512 << 20, "in the middle");
	assert_int_equal(disk_copy(&ctx, "/disks/big.dsk", "/disks/copy.dsk", NULL,
				   NULL, &t, &e), 0);
	b = stat_of(host("var/vm1/jail/disks/copy.dsk"));
	assert_int_equal(b.st_size, 1LL << 30);
	/* the hole stayed a hole */
	assert_true(b.st_blocks <= 64);
	assert_int_equal(test_sh("cd %s/var/vm1/jail/disks && cmp big.dsk copy.dsk",
				 dir), 0);
	/* an existing target is kept */
	assert_int_equal(disk_copy(&ctx, "/disks/big.dsk", "/disks/copy.dsk", NULL,
				   NULL, &t, &e), -1);
	assert_non_null(strstr(e.msg, "/disks/copy.dsk: already exists"));
	/* sizes that are not whole sectors are refused */
	assert_int_equal(disk_create(&ctx, "/disks/odd.dsk", 1000, NULL, &t, &e), -1);
	assert_non_null(strstr(e.msg, "multiple of 512"));
	assert_int_equal(access(host("var/vm1/jail/disks/odd.dsk"), F_OK), -1);
	sb_free(&t);
}

static void cow_copy_keeps_backing(void **state)
{
	struct strbuf t;
	struct err e;

	(void)state;
	sb_init(&t);
	assert_int_equal(disk_create(&ctx, "/shared/disks/base.dsk", 8 << 20, NULL,
				     NULL, &e), 0);
	assert_int_equal(disk_create(&ctx, "/disks/a.cow", 0, "/shared/disks/base.dsk",
				     NULL, &e), 0);
	assert_int_equal(disk_copy(&ctx, "/disks/a.cow", "/disks/b.cow", NULL, NULL,
				   NULL, &e), 0);
	assert_int_equal(disk_info(&ctx, "/disks/b.cow", &t, &e), 0);
	assert_non_null(strstr(t.buf, "backing     /shared/disks/base.dsk"));
	assert_non_null(strstr(t.buf, "backing ok  yes"));
	sb_free(&t);
	/* the backing file knows its COW files */
	assert_int_equal(disk_info(&ctx, "/shared/disks/base.dsk", &t, &e), 0);
	assert_non_null(strstr(t.buf, "vm1:/disks/a.cow"));
	assert_non_null(strstr(t.buf, "vm1:/disks/b.cow"));
	sb_free(&t);
	/* a COW cannot be copied into a flat image */
	assert_int_equal(disk_copy(&ctx, "/disks/a.cow", "/disks/c.dsk", NULL, NULL,
				   NULL, &e), -1);
	assert_non_null(strstr(e.msg, "/disks/c.dsk: a copy of a COW file"));
}

static void resize(void **state)
{
	struct err e;

	(void)state;
	assert_int_equal(disk_create(&ctx, "/disks/r.dsk", 4 << 20, NULL, NULL, &e), 0);
	write_at(host("var/vm1/jail/disks/r.dsk"), 3 << 20, "data");
	assert_int_equal(disk_resize(&ctx, "/disks/r.dsk", 16 << 20, NULL, &e), 0);
	assert_int_equal(stat_of(host("var/vm1/jail/disks/r.dsk")).st_size, 16 << 20);
	assert_int_equal(disk_resize(&ctx, "/disks/r.dsk", 2 << 20, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "cannot shrink to 2M: it holds data up to"));
	assert_int_equal(stat_of(host("var/vm1/jail/disks/r.dsk")).st_size, 16 << 20);
	assert_int_equal(disk_resize(&ctx, "/disks/r.dsk", 8 << 20, NULL, &e), 0);
	assert_int_equal(stat_of(host("var/vm1/jail/disks/r.dsk")).st_size, 8 << 20);
}

/* A child that holds a lock on path, with umid=VM in its command line, as
 * a UML kernel does. */
static pid_t hold(const char *path, int rw, const char *vm)
{
	int ready[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = {.l_type = (short)(rw ? F_WRLCK : F_RDLCK),
				   .l_whence = SEEK_SET};
		int fd = open(path, rw ? O_RDWR : O_RDONLY);
		char umid[64];

		if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0)
			_exit(1);
		snprintf(umid, sizeof(umid), "umid=%s", vm);
		/* the lock survives exec; the name is in the command line */
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		execl("/bin/sleep", umid, "30", (char *)NULL);
		_exit(1);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	/* and until the exec is done, its command line */
	for (int i = 0; i < 200; i++) {
		char path[64], *cl;
		size_t n;
		int done;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		cl = read_file(path, 4096, &n);
		done = cl && !strncmp(cl, "umid=", 5);
		free(cl);
		if (done)
			break;
		usleep(10000);
	}
	return pid;
}

static void unhold(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void holders_refuse(void **state)
{
	struct strbuf t;
	struct err e;
	pid_t p;
	char want[128];

	(void)state;
	sb_init(&t);
	assert_int_equal(disk_create(&ctx, "/disks/h.dsk", 1 << 20, NULL, NULL, &e), 0);
	p = hold(host("var/vm1/jail/disks/h.dsk"), 1, "vmX");
	snprintf(want, sizeof(want), "in use by vmX (read-write, kernel pid %d)", (int)p);
	assert_int_equal(disk_delete(&ctx, "/disks/h.dsk", NULL, &e), -1);
	assert_non_null(strstr(e.msg, want));
	/* decided on the code, not the text */
	assert_int_equal(e.code, ERR_BUSY);
	assert_int_equal(disk_delete(&ctx, "/disks/none.dsk", NULL, &e), -1);
	assert_int_equal(e.code, ERR_NOENT);
	assert_int_equal(disk_info(&ctx, "/etc/passwd", &t, &e), -1);
	assert_int_equal(e.code, ERR_INVAL);
	assert_int_equal(disk_resize(&ctx, "/disks/h.dsk", 2 << 20, NULL, &e), -1);
	assert_non_null(strstr(e.msg, want));
	assert_int_equal(disk_copy(&ctx, "/disks/h.dsk", "/disks/h2.dsk", NULL, NULL,
				   NULL, &e), -1);
	assert_non_null(strstr(e.msg, "cannot copy a disk that is being written"));
	assert_int_equal(disk_info(&ctx, "/disks/h.dsk", &t, &e), 0);
	if (!strstr(t.buf, want + strlen("in use by ")))
		fail_msg("info: %s", t.buf);
	sb_free(&t);
	unhold(p);
	/* a reader does not stop a copy, but stops a delete */
	p = hold(host("var/vm1/jail/disks/h.dsk"), 0, "vmY");
	assert_int_equal(disk_copy(&ctx, "/disks/h.dsk", "/disks/h2.dsk", NULL, NULL,
				   NULL, &e), 0);
	assert_int_equal(disk_delete(&ctx, "/disks/h.dsk", NULL, &e), -1);
	assert_non_null(strstr(e.msg, "in use by vmY (read-only"));
	unhold(p);
	assert_int_equal(disk_delete(&ctx, "/disks/h.dsk", NULL, &e), 0);
	assert_int_equal(access(host("var/vm1/jail/disks/h.dsk"), F_OK), -1);
}

/* While a copy runs, its source is locked: nobody may take it to write. */
static int try_write_lock(uint64_t done, uint64_t total, void *arg)
{
	int *tried = arg;
	struct disklocks l;
	struct err e;
	int fd = open(host("var/vm1/jail/disks/l.dsk"), O_PATH);

	(void)done;
	(void)total;
	disklocks_init(&l, ctx.shared, "a test");
	if (disklock_take(&l, fd, "l.dsk", 1, &e) == 0)
		*tried = -1000;
	else if (strstr(e.msg, "in use by a disk operation (copy /disks/l.dsk of vm1)"))
		(*tried)++;
	disklocks_free(&l);
	close(fd);
	return 0;
}

/* Operations respect the locks of starts (see disklock.h) and hold their
 * own while they run. */
static void operations_lock(void **state)
{
	struct diskjob_args del = {UM_DISK_DELETE, "/disks/l.dsk", "", 0};
	struct diskjob_args cp = {UM_DISK_COPY, "/disks/l.dsk", "/disks/l2.dsk", 0};
	struct disklocks l;
	struct err e;
	int fd, tried = 0;

	(void)state;
	assert_int_equal(disk_create(&ctx, "/disks/l.dsk", 1 << 20, NULL, NULL, &e), 0);
	assert_int_equal(test_sh("dd if=/dev/urandom of=%s bs=1M count=1 conv=notrunc",
				 host("var/vm1/jail/disks/l.dsk")), 0);
	fd = open(host("var/vm1/jail/disks/l.dsk"), O_PATH);
	disklocks_init(&l, ctx.shared, "the start of vmZ by its monitor");
	assert_int_equal(disklock_take(&l, fd, "l.dsk", 1, &e), 0);
	assert_int_equal(diskjob_run(&ctx, &del, NULL, NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "/disks/l.dsk: cannot delete: in use by the "
			       "start of vmZ by its monitor on "));
	assert_non_null(strstr(e.msg, " (pid "));
	assert_int_equal(diskjob_run(&ctx, &cp, NULL, NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "in use by the start of vmZ"));
	disklocks_free(&l);
	close(fd);
	assert_int_equal(diskjob_run(&ctx, &cp, try_write_lock, &tried, NULL, &e), 0);
	assert_true(tried >= 1);
	assert_int_equal(diskjob_run(&ctx, &del, NULL, NULL, NULL, &e), 0);
	assert_int_equal(access(host("var/vm1/jail/disks/l.dsk"), F_OK), -1);
}

static int stop_at_once(uint64_t done, uint64_t total, void *arg)
{
	(void)done;
	(void)total;
	(*(int *)arg)++;
	return 1;
}

static void cancel_leaves_nothing(void **state)
{
	struct err e;
	int calls = 0;

	(void)state;
	assert_int_equal(disk_create(&ctx, "/disks/src.dsk", 256 << 20, NULL, NULL,
				     &e), 0);
	/* data everywhere, so that the copy reports progress */
	assert_int_equal(test_sh("dd if=/dev/urandom of=%s bs=1M count=256 "
				 "conv=notrunc", host("var/vm1/jail/disks/src.dsk")), 0);
	assert_int_equal(disk_copy(&ctx, "/disks/src.dsk", "/disks/dst.dsk",
				   stop_at_once, &calls, NULL, &e), -1);
	assert_true(calls >= 1);
	assert_non_null(strstr(e.msg, "interrupted"));
	assert_int_equal(access(host("var/vm1/jail/disks/dst.dsk"), F_OK), -1);
	assert_int_equal(hidden_files(host("var/vm1/jail/disks")), 0);
}

struct job_end {
	int called, rc;
	enum err_code code;
	char msg[1024];
	struct loop *loop;
};

static void on_job_done(struct diskjob *j, int rc, const struct err *e,
			const char *text, void *arg)
{
	struct job_end *end = arg;

	(void)j;
	(void)text;
	end->called++;
	end->rc = rc;
	end->code = rc < 0 ? e->code : ERR_OK;
	snprintf(end->msg, sizeof(end->msg), "%s", rc < 0 ? e->msg : "");
	loop_quit(end->loop);
}

/* The monitor's way: a job in a thread, its end through the loop; a
 * cancelled copy leaves nothing. */
static void job_cancel(void **state)
{
	char *argv[] = {"copy", "/disks/src.dsk", "/disks/dst2.dsk"};
	struct diskjob_args a;
	struct job_end end = {0};
	struct diskjob *j;
	struct err e;

	(void)state;
	end.loop = loop_new();
	/* src.dsk: 256 MiB of data from cancel_leaves_nothing */
	assert_int_equal(diskjob_parse(3, argv, &a, &e), 0);
	j = diskjob_start(end.loop, cfg, "vm1", &a, on_job_done, &end, &e);
	assert_non_null(j);
	assert_non_null(strstr(diskjob_what(j), "copy /disks/src.dsk"));
	diskjob_cancel(j);
	assert_int_equal(loop_run(end.loop), 0);
	assert_int_equal(end.called, 1);
	assert_int_equal(end.rc, -1);
	assert_non_null(strstr(end.msg, "/disks/dst2.dsk: interrupted"));
	assert_int_equal(access(host("var/vm1/jail/disks/dst2.dsk"), F_OK), -1);
	assert_int_equal(hidden_files(host("var/vm1/jail/disks")), 0);
	/* and one that runs to its end */
	end.called = 0;
	j = diskjob_start(end.loop, cfg, "vm1", &a, on_job_done, &end, &e);
	assert_non_null(j);
	assert_int_equal(loop_run(end.loop), 0);
	assert_int_equal(end.called, 1);
	assert_int_equal(end.rc, 0);
	assert_int_equal(access(host("var/vm1/jail/disks/dst2.dsk"), F_OK), 0);
	loop_free(end.loop);
}

/* Writes the configuration file: the one of setup() plus extra lines. */
static void write_conf(const char *extra)
{
	FILE *f = fopen(conf, "w");

	assert_non_null(f);
	fprintf(f, "[GLOBAL]\nvardir = %s/var\nshared = %s/shared\n"
		"[vm1]\nvmuser = nobody\nubd0 = /disks/root.dsk\n"
		"[vm2]\nvmuser = nobody\nubd0 = /disks/root.dsk\n%s", dir, dir, extra);
	fclose(f);
}

/* A COW file of VM vm (configured or not) over backing. */
static void make_cow(const char *vm, const char *path, const char *backing)
{
	struct disk_ctx vc;
	struct err e;
	char *d = xasprintf("%s/var/%s/jail%s", dir, vm, path);

	*strrchr(d, '/') = '\0';
	assert_int_equal(mkdir_p(d, 0755), 0);
	free(d);
	assert_int_equal(disk_ctx_init(&vc, cfg, vm, &e), 0);
	if (disk_create(&vc, path, 0, backing, NULL, &e) < 0)
		fail_msg("%s", e.msg);
	disk_ctx_free(&vc);
}

/* Dependents are found from what is on disk and in the configuration
 * file at the time of the operation: a VM that no configuration names, a
 * disk line added since the context (or a monitor) was made, and a job
 * whose configuration is freed while it runs. */
static void dependents_now(void **state)
{
	char *argv[] = {"delete", "/shared/disks/dep.dsk"};
	struct job_end end = {0};
	struct diskjob_args a;
	struct config *old;
	struct disk_ctx now;
	struct strbuf t;
	struct diskjob *j;
	struct err e;

	(void)state;
	assert_int_equal(disk_create(&ctx, "/shared/disks/dep.dsk", 1 << 20, NULL,
				     NULL, &e), 0);
	assert_int_equal(disk_create(&ctx, "/shared/disks/other.dsk", 1 << 20, NULL,
				     NULL, &e), 0);
	/* vm9 is in no configuration; its jail is on disk */
	make_cow("vm9", "/disks/x.cow", "/shared/disks/dep.dsk");
	assert_int_equal(disk_delete(&ctx, "/shared/disks/dep.dsk", NULL, &e), -1);
	assert_non_null(strstr(e.msg, "cannot delete: it is the backing file of "
			       "vm9:/disks/x.cow"));
	assert_int_equal(disk_resize(&ctx, "/shared/disks/dep.dsk", 2 << 20, NULL,
				     &e), -1);
	assert_non_null(strstr(e.msg, "vm9:/disks/x.cow"));
	assert_int_equal(disk_delete(&ctx, "/disks/../../vm9/jail/disks/x.cow",
				     NULL, &e), -1);
	{
		struct disk_ctx vc;

		assert_int_equal(disk_ctx_init(&vc, cfg, "vm9", &e), 0);
		assert_int_equal(disk_delete(&vc, "/disks/x.cow", NULL, &e), 0);
		disk_ctx_free(&vc);
	}
	/* vm3's COW, in a subdirectory, was made over other.dsk; a disk line
	 * added now gives it dep.dsk */
	make_cow("vm3", "/disks/sub/y.cow", "/shared/disks/other.dsk");
	write_conf("[vm3]\nvmuser = nobody\n"
		   "ubd0 = /disks/sub/y.cow,/shared/disks/dep.dsk\n");
	/* a context made before the change knows the old lines... */
	sb_init(&t);
	assert_int_equal(disk_info(&ctx, "/shared/disks/dep.dsk", &t, &e), 0);
	assert_null(strstr(t.buf, "vm3"));
	sb_free(&t);
	/* ...one that read the file again the new ones; the header's backing
	 * file counts too */
	assert_int_equal(disk_ctx_init(&now, cfg, "vm1", &e), 0);
	assert_int_equal(disk_ctx_reload(&now, &e), 0);
	assert_int_equal(disk_delete(&now, "/shared/disks/dep.dsk", NULL, &e), -1);
	assert_non_null(strstr(e.msg, "it is the backing file of vm3:/disks/sub/y.cow"));
	assert_int_equal(disk_delete(&now, "/shared/disks/other.dsk", NULL, &e), -1);
	assert_non_null(strstr(e.msg, "it is the backing file of vm3:/disks/sub/y.cow"));
	sb_init(&t);
	assert_int_equal(disk_info(&now, "/shared/disks/dep.dsk", &t, &e), 0);
	assert_non_null(strstr(t.buf, "cow files   vm3:/disks/sub/y.cow"));
	sb_free(&t);
	disk_ctx_free(&now);

	/* a job reads the file itself, and not the configuration it was
	 * given, which is freed here before the job runs (ASan would see a
	 * use after free) */
	old = config_load(conf, &e);
	assert_non_null(old);
	write_conf("");
	end.loop = loop_new();
	assert_int_equal(diskjob_parse(2, argv, &a, &e), 0);
	write_conf("[vm3]\nvmuser = nobody\n"
		   "ubd0 = /disks/sub/y.cow,/shared/disks/dep.dsk\n");
	j = diskjob_start(end.loop, old, "vm1", &a, on_job_done, &end, &e);
	assert_non_null(j);
	config_free(old);
	assert_int_equal(loop_run(end.loop), 0);
	assert_int_equal(end.rc, -1);
	assert_non_null(strstr(end.msg, "vm3:/disks/sub/y.cow"));

	/* a configuration that cannot be read: nothing is deleted blind */
	assert_int_equal(rename(conf, host("moved.conf")), 0);
	end.called = 0;
	j = diskjob_start(end.loop, cfg, "vm1", &a, on_job_done, &end, &e);
	assert_non_null(j);
	assert_int_equal(loop_run(end.loop), 0);
	assert_int_equal(end.rc, -1);
	assert_non_null(strstr(end.msg, "cannot delete: cannot tell which COW files "
			       "depend on it"));
	assert_int_equal(access(host("shared/disks/dep.dsk"), F_OK), 0);
	assert_int_equal(rename(host("moved.conf"), conf), 0);
	loop_free(end.loop);
	write_conf("");
	assert_int_equal(test_sh("rm -rf %s/var/vm3 %s/var/vm9", dir, dir), 0);
}

/* A FIFO, a socket, a file that is not what its name says. */
static void plant_fifo(const char *rel)
{
	assert_int_equal(mkfifo(host(rel), 0644), 0);
}

static void plant_socket(const char *rel)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = host(rel);
	int fd;

	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static void expect_refusal(int rc, const struct err *e, const char *want)
{
	assert_int_equal(rc, -1);
	if (!strstr(e->msg, want))
		fail_msg("'%s', expected '%s'", e->msg, want);
}

/* What a guest plants in its /disks (hostfs, as the vmuser) is never
 * opened for I/O unless it is a regular file; a hard link is neither
 * written nor copied; names the operations create are never followed.
 * An alarm fails the test if an open blocks. */
static void hostile_disks(void **state)
{
	struct vm_conf vm;
	struct disk_conf d;
	struct strbuf t;
	struct stat st0, st1;
	struct err e;
	char outside[512];

	(void)state;
	alarm(60);
	snprintf(outside, sizeof(outside), "%s", host("outside.dsk"));
	assert_int_equal(test_sh("printf 'host data' >%s && chmod 0600 %s", outside,
				 outside), 0);
	st0 = stat_of(outside);
	/* another VM's /disks: the dependents scan reads every .cow */
	plant_fifo("var/vm2/jail/disks/evil.cow");
	plant_socket("var/vm2/jail/disks/sock.cow");
	assert_int_equal(symlink(outside, host("var/vm2/jail/disks/link.cow")), 0);
	assert_int_equal(link(outside, host("var/vm2/jail/disks/hard.cow")), 0);
	assert_int_equal(disk_create(&ctx, "/shared/disks/h.dsk", 1 << 20, NULL, NULL,
				     &e), 0);
	sb_init(&t);
	assert_int_equal(disk_info(&ctx, "/shared/disks/h.dsk", &t, &e), 0);
	assert_null(strstr(t.buf, "cow files"));
	sb_free(&t);
	assert_int_equal(disk_delete(&ctx, "/shared/disks/h.dsk", NULL, &e), 0);

	/* this VM's /disks */
	plant_fifo("var/vm1/jail/disks/f.dsk");
	plant_fifo("var/vm1/jail/disks/f.cow");
	plant_socket("var/vm1/jail/disks/s.dsk");
	expect_refusal(disk_info(&ctx, "/disks/f.dsk", &t, &e), &e,
		       "/disks/f.dsk: is a FIFO, not a regular file");
	expect_refusal(disk_check(&ctx, "/disks/f.dsk", NULL, &e), &e, "is a FIFO");
	expect_refusal(disk_check(&ctx, "/disks/f.cow", NULL, &e), &e, "is a FIFO");
	expect_refusal(disk_copy(&ctx, "/disks/f.dsk", "/disks/n.dsk", NULL, NULL,
				 NULL, &e), &e, "is a FIFO");
	expect_refusal(disk_resize(&ctx, "/disks/f.dsk", 1 << 20, NULL, &e), &e,
		       "is a FIFO");
	expect_refusal(disk_merge(&ctx, "/disks/f.cow", "/disks/n.dsk", NULL, NULL,
				  NULL, &e), &e, "is a FIFO");
	expect_refusal(disk_create(&ctx, "/disks/n.cow", 0, "/disks/f.dsk", NULL, &e),
		       &e, "is a FIFO");
	expect_refusal(disk_info(&ctx, "/disks/s.dsk", &t, &e), &e,
		       "/disks/s.dsk: is a socket, not a regular file");
	expect_refusal(disk_info(&ctx, "/disks/f.dev", &t, &e), &e, "no such disk");
	/* disk_open, as others open a disk (the start lock): the name of
	 * anything, the data of a regular file only */
	{
		struct disk_ref r;
		int fd;

		assert_int_equal(disk_resolve(&ctx, "/disks/f.cow", &r, &e), 0);
		expect_refusal(disk_open(&r, O_RDONLY | O_NONBLOCK, &e), &e,
			       "/disks/f.cow: is a FIFO, not a regular file");
		fd = disk_open(&r, O_PATH, &e);
		assert_true(fd >= 0);
		close(fd);
		disk_ref_close(&r);
	}
	assert_int_equal(access(host("var/vm1/jail/disks/n.dsk"), F_OK), -1);
	/* a COW whose backing file became a FIFO */
	assert_int_equal(disk_create(&ctx, "/disks/b.dsk", 1 << 20, NULL, NULL, &e), 0);
	assert_int_equal(disk_create(&ctx, "/disks/fb.cow", 0, "/disks/b.dsk", NULL,
				     &e), 0);
	assert_int_equal(unlink(host("var/vm1/jail/disks/b.dsk")), 0);
	plant_fifo("var/vm1/jail/disks/b.dsk");
	expect_refusal(disk_check(&ctx, "/disks/fb.cow", NULL, &e), &e,
		       "/disks/fb.cow: backing file: /disks/b.dsk: is a FIFO");
	expect_refusal(disk_merge(&ctx, "/disks/fb.cow", NULL, NULL, NULL, NULL, &e),
		       &e, "is a FIFO");
	/* the start of a VM whose disks are a FIFO and that COW */
	memset(&vm, 0, sizeof(vm));
	memset(&d, 0, sizeof(d));
	vm.name = "vm1";
	vm.ndisks = 1;
	d.path = "/disks/f.dsk";
	vm.disks[0] = d;
	expect_refusal(precheck_disks(&ctx, &vm, &e), &e,
		       "ubd0: /disks/f.dsk: is a FIFO, not a regular file");
	vm.disks[0].path = "/disks/fb.cow";
	expect_refusal(precheck_disks(&ctx, &vm, &e), &e, "ubd0: /disks/b.dsk: is a FIFO");
	/* a FIFO is deleted as itself */
	assert_int_equal(disk_delete(&ctx, "/disks/f.dsk", NULL, &e), 0);

	/* a hard link to a file outside: not copied, not written; info and
	 * check only read it */
	assert_int_equal(link(outside, host("var/vm1/jail/disks/hl.dsk")), 0);
	expect_refusal(disk_copy(&ctx, "/disks/hl.dsk", "/disks/stolen.dsk", NULL,
				 NULL, NULL, &e), &e,
		       "/disks/hl.dsk: has 3 hard links and is not the vmuser's");
	expect_refusal(disk_resize(&ctx, "/disks/hl.dsk", 1 << 20, NULL, &e), &e,
		       "has 3 hard links");
	assert_int_equal(access(host("var/vm1/jail/disks/stolen.dsk"), F_OK), -1);
	sb_init(&t);
	assert_int_equal(disk_info(&ctx, "/disks/hl.dsk", &t, &e), 0);
	sb_free(&t);
	/* in the shared place, root's, a hard link is fine */
	assert_int_equal(link(outside, host("shared/disks/hl.dsk")), 0);
	assert_int_equal(disk_copy(&ctx, "/shared/disks/hl.dsk", "/disks/hl2.dsk",
				   NULL, NULL, NULL, &e), 0);

	/* symlinks at the names a create would make: the target, and names
	 * that temporary files once had (the fallback for file systems
	 * without O_TMPFILE now takes names nobody can guess: test_tmpfile) */
	assert_int_equal(symlink(outside, host("var/vm1/jail/disks/new.dsk")), 0);
	expect_refusal(disk_create(&ctx, "/disks/new.dsk", 1 << 20, NULL, NULL, &e),
		       &e, "/disks/new.dsk: already exists");
	for (int i = 0; i < 16; i++) {
		char name[128];

		snprintf(name, sizeof(name), "var/vm1/jail/disks/.new2.dsk.tmp-%d-%d",
			 (int)getpid(), i);
		assert_int_equal(symlink(outside, host(name)), 0);
	}
	assert_int_equal(disk_create(&ctx, "/disks/new2.dsk", 1 << 20, NULL, NULL, &e), 0);
	assert_int_equal(stat_of(host("var/vm1/jail/disks/new2.dsk")).st_size, 1 << 20);
	assert_int_equal(disk_copy(&ctx, "/disks/new2.dsk", "/disks/new.dsk", NULL,
				   NULL, NULL, &e), -1);

	/* and nothing outside changed */
	st1 = stat_of(outside);
	assert_int_equal(st1.st_size, st0.st_size);
	assert_int_equal(st1.st_mode, st0.st_mode);
	assert_int_equal(st1.st_uid, st0.st_uid);
	assert_true(st1.st_mtim.tv_sec == st0.st_mtim.tv_sec &&
		    st1.st_mtim.tv_nsec == st0.st_mtim.tv_nsec);
	assert_int_equal(test_sh("grep -qx 'host data' %s", outside), 0);
	alarm(0);
	assert_int_equal(test_sh("cd %s/var && rm -f vm1/jail/disks/f.cow "
				 "vm1/jail/disks/s.dsk vm1/jail/disks/b.dsk "
				 "vm1/jail/disks/fb.cow vm1/jail/disks/hl*.dsk "
				 "vm1/jail/disks/new*.dsk vm1/jail/disks/.new2* "
				 "vm2/jail/disks/*.cow ../shared/disks/hl.dsk", dir), 0);
}

static void parse_ops(void **state)
{
	char *bad_op[] = {"shrink", "/disks/a.dsk"};
	char *bad_size[] = {"create", "/disks/a.dsk", "lots"};
	char *cow[] = {"create", "/disks/a.cow", "/shared/disks/b.dsk"};
	char *flat[] = {"create", "/disks/a.dsk", "2G"};
	char *merge[] = {"merge", "/disks/a.cow"};
	struct diskjob_args a;
	struct err e;

	(void)state;
	assert_int_equal(diskjob_parse(2, bad_op, &a, &e), -1);
	assert_non_null(strstr(e.msg, "unknown operation 'shrink'"));
	assert_int_equal(diskjob_parse(3, bad_size, &a, &e), -1);
	assert_non_null(strstr(e.msg, "size 'lots'"));
	assert_int_equal(diskjob_parse(2, bad_size, &a, &e), -1);
	assert_non_null(strstr(e.msg, "usage: create"));
	assert_int_equal(diskjob_parse(3, cow, &a, &e), 0);
	assert_int_equal(a.op, UM_DISK_CREATE);
	assert_string_equal(a.other, "/shared/disks/b.dsk");
	assert_int_equal(diskjob_parse(3, flat, &a, &e), 0);
	assert_true(a.size == 2ULL << 30);
	assert_string_equal(a.other, "");
	assert_int_equal(diskjob_parse(2, merge, &a, &e), 0);
	assert_string_equal(a.other, "");
}

static void merge_in_place(void **state)
{
	struct strbuf t;
	struct err e;
	int fd;
	struct cow_header h;

	(void)state;
	sb_init(&t);
	assert_int_equal(disk_create(&ctx, "/disks/mb.dsk", 1 << 20, NULL, NULL, &e), 0);
	write_at(host("var/vm1/jail/disks/mb.dsk"), 0, "old data in sector 0");
	assert_int_equal(disk_create(&ctx, "/disks/m.cow", 0, "/disks/mb.dsk", NULL,
				     &e), 0);
	/* the guest's write: sector 1 in the COW */
	fd = open(host("var/vm1/jail/disks/m.cow"), O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(cow_read_header(fd, "m.cow", &h, &e), 0);
	{
		uint8_t bit = 2;

		assert_int_equal(pwrite(fd, &bit, 1, (off_t)h.bitmap_offset), 1);
		assert_int_equal(pwrite(fd, "new", 3, (off_t)(h.data_offset + 512)), 3);
	}
	close(fd);
	/* a second COW over the same file: the merge in place is refused */
	assert_int_equal(disk_create(&ctx, "/disks/m2.cow", 0, "/disks/mb.dsk", NULL,
				     &e), 0);
	assert_int_equal(disk_merge(&ctx, "/disks/m.cow", NULL, NULL, NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "cannot merge into it: it is the backing file of "
			       "vm1:/disks/m2.cow"));
	assert_int_equal(disk_delete(&ctx, "/disks/m2.cow", NULL, &e), 0);
	assert_int_equal(disk_merge(&ctx, "/disks/m.cow", "", NULL, NULL, &t, &e), 0);
	assert_int_equal(test_sh("dd if=%s bs=512 skip=1 count=1 | grep -q '^new'",
				 host("var/vm1/jail/disks/mb.dsk")), 0);
	/* the COW still matches its (changed) backing file */
	assert_int_equal(disk_check(&ctx, "/disks/m.cow", NULL, &e), 0);
	sb_free(&t);
}

static void places(void **state)
{
	struct disk_ctx shared_only;
	struct disk_ref r;
	struct err e;

	(void)state;
	assert_int_equal(disk_resolve(&ctx, "/disks/a/../b.dsk", &r, &e), -1);
	assert_non_null(strstr(e.msg, "'..'"));
	assert_int_equal(disk_resolve(&ctx, "/disks//b.dsk", &r, &e), -1);
	assert_int_equal(disk_resolve(&ctx, "/var/b.dsk", &r, &e), -1);
	assert_non_null(strstr(e.msg, "not in /disks or /shared/disks"));
	assert_int_equal(disk_resolve(&ctx, "/disks/b.img", &r, &e), -1);
	assert_non_null(strstr(e.msg, "unknown kind of disk"));
	assert_int_equal(disk_resolve(&ctx, "/disks/b.dsk", &r, &e), 0);
	assert_int_equal(r.kind, DISK_FLAT);
	assert_non_null(strstr(r.host, "/var/vm1/jail/disks/b.dsk"));
	disk_ref_close(&r);
	/* without a VM, only the shared place */
	assert_int_equal(disk_ctx_init(&shared_only, cfg, NULL, &e), 0);
	assert_int_equal(disk_resolve(&shared_only, "/disks/b.dsk", &r, &e), -1);
	assert_int_equal(disk_resolve(&shared_only, "/shared/disks/b.cow", &r, &e), 0);
	assert_int_equal(r.kind, DISK_COW);
	disk_ref_close(&r);
	disk_ctx_free(&shared_only);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(places),
		cmocka_unit_test(create_copy_sparse),
		cmocka_unit_test(cow_copy_keeps_backing),
		cmocka_unit_test(resize),
		cmocka_unit_test(holders_refuse),
		cmocka_unit_test(operations_lock),
		cmocka_unit_test(cancel_leaves_nothing),
		cmocka_unit_test(job_cancel),
		cmocka_unit_test(parse_ops),
		cmocka_unit_test(merge_in_place),
		cmocka_unit_test(dependents_now),
		cmocka_unit_test(hostile_disks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
