/* Unit tests of the check before a boot (precheck.h) in a jail made in a
 * temporary directory: the kernel and the disks as the kernel will find
 * them, one refusal each that names the disk, the file and the cause, the
 * images locked where they are checked, and nothing outside changed by
 * what a guest can plant in its /disks. The shared dir is made inside the
 * jail (as its bind mount shows it), so that no mount is needed; the VM's
 * own disks are given to the vmuser only when the test runs as root. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "common/config.h"
#include "disk/cow.h"
#include "disk/disk.h"
#include "disk/disklock.h"
#include "host/jail.h"
#include "disk/precheck.h"

#define BUSYBOX "/bin/busybox"

static char dir[64], root[128];
static struct config *cfg;
static struct vm_conf vm;
static struct jail j;

static char *at(const char *rel)
{
	static char buf[4][512];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", root, rel);
	return buf[n];
}

static void file(const char *rel, mode_t mode, const char *text)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int setup(void **state)
{
	struct err e;
	FILE *f;
	char conf[128];

	(void)state;
	strcpy(dir, "/tmp/umlmon-precheck-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(root, sizeof(root), "%s/var/vm1/jail", dir);
	snprintf(conf, sizeof(conf), "%s/umlmon.conf", dir);
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "[GLOBAL]\nvardir = %s/var\nshared = %s/shared\n"
		"[vm1]\nvmuser = nobody\nkernel = /kernel\nubd0 = /disks/root.dsk\n",
		dir, root);
	fclose(f);
	cfg = config_load(conf, &e);
	if (!cfg || cfg->nerrors)
		return -1;
	vm = cfg->vms[0];
	if (jail_init(&j, cfg, &vm, &e) < 0)
		return -1;
	/* the vmuser is somebody else: nobody as root, else the next uid */
	j.uid = getuid() == 0 ? 65534 : getuid() + 1;
	j.gid = getuid() == 0 ? 65534 : getgid() + 1;
	if (test_sh("mkdir -p %s/shared/disks %s/disks && cd %s && chmod 755 . shared "
		    "shared/disks disks && cp %s kernel && chmod 755 kernel", root,
		    root, root, BUSYBOX))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	jail_free(&j);
	config_free(cfg);
	return test_sh("rm -rf %s", dir);
}

/* The boot of vm with one disk: path (flags) over backing. */
static int boot1(const char *path, const char *flags, const char *backing,
		 struct disklocks *l, struct err *e)
{
	struct vm_conf v = vm;

	v.ndisks = 1;
	memset(&v.disks[0], 0, sizeof(v.disks[0]));
	v.disks[0].path = (char *)path;
	v.disks[0].backing = (char *)backing;
	snprintf(v.disks[0].flags, sizeof(v.disks[0].flags), "%s", flags);
	return precheck_boot(&j, cfg, &v, l, e);
}

static void refused(int rc, const struct err *e, const char *want)
{
	assert_int_equal(rc, -1);
	if (!strstr(e->msg, want))
		fail_msg("said '%s', expected '%s'", e->msg, want);
}

static void kernel(void **state)
{
	struct vm_conf v = vm;
	struct err e;
	char want[512];

	(void)state;
	v.kernel = "/nokernel";
	snprintf(want, sizeof(want), "kernel /nokernel: not found in the jail "
		 "(%s/nokernel); install one with 'umladmin setup'", root);
	refused(precheck_boot(&j, cfg, &v, NULL, &e), &e, want);
	assert_int_equal(chmod(at("kernel"), 0757), 0);
	refused(boot1("/shared/disks/none.dsk", "", NULL, NULL, &e), &e,
		"kernel /kernel: the vmuser (uid");
	assert_true(strstr(e.msg, "may change it (mode 0757"));
	assert_int_equal(chmod(at("kernel"), 0750), 0);
	refused(boot1("/shared/disks/none.dsk", "", NULL, NULL, &e), &e,
		"kernel /kernel: not an executable file the vmuser may run");
	assert_int_equal(chmod(at("kernel"), 0755), 0);
}

static void shared_disks(void **state)
{
	struct disklocks l;
	struct err e;

	(void)state;
	file("shared/disks/s.dsk", 0666, "data");
	disklocks_init(&l, cfg->global.shared, "test");
	assert_int_equal(boot1("/shared/disks/s.dsk", "", NULL, &l, &e), 0);
	/* locked where it was checked, for writing */
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].excl, 1);
	disklocks_free(&l);
	assert_int_equal(chmod(at("shared/disks/s.dsk"), 0644), 0);
	refused(boot1("/shared/disks/s.dsk", "", NULL, NULL, &e), &e,
		"ubd0: /shared/disks/s.dsk: the vmuser (uid");
	assert_true(strstr(e.msg, "may not read and write it (mode 0644"));
	assert_int_equal(boot1("/shared/disks/s.dsk", "r", NULL, NULL, &e), 0);
	assert_int_equal(chmod(at("shared/disks/s.dsk"), 0600), 0);
	refused(boot1("/shared/disks/s.dsk", "r", NULL, NULL, &e), &e,
		"may not read it (mode 0600");
	assert_int_equal(mkfifo(at("shared/disks/f.dsk"), 0666), 0);
	refused(boot1("/shared/disks/f.dsk", "", NULL, NULL, &e), &e,
		"ubd0: /shared/disks/f.dsk: is a FIFO, not a regular file");
	refused(boot1("/shared/disks/s.dev", "", NULL, NULL, &e), &e,
		"ubd0: /shared/disks/s.dev: not found in the jail");
}

/* What the guest can make of its /disks. */
static void hostile_disks(void **state)
{
	char want[512];
	struct stat st;
	struct err e;

	(void)state;
	snprintf(want, sizeof(want), "ubd0: /disks/missing.dsk: not found in the "
		 "jail (%s/disks/missing.dsk)", root);
	refused(boot1("/disks/missing.dsk", "", NULL, NULL, &e), &e, want);
	/* a symlink out of the jail finds nothing: it is followed inside */
	assert_int_equal(symlink("/etc/passwd", at("disks/out.dsk")), 0);
	refused(boot1("/disks/out.dsk", "", NULL, NULL, &e), &e,
		"ubd0: /disks/out.dsk: not found in the jail");
	/* one to a file of the jail is not followed to give it away */
	assert_int_equal(symlink("/kernel", at("disks/k.dsk")), 0);
	refused(boot1("/disks/k.dsk", "", NULL, NULL, &e), &e,
		"ubd0: /disks/k.dsk: reached through a symlink, so it is not given "
		"to the vmuser");
	file("disks/mine.dsk", 0644, "data");
	assert_int_equal(link(at("disks/mine.dsk"), at("disks/hl.dsk")), 0);
	refused(boot1("/disks/hl.dsk", "", NULL, NULL, &e), &e,
		"ubd0: /disks/hl.dsk: has 2 hard links, so it is not given to the "
		"vmuser");
	assert_int_equal(mkfifo(at("disks/f.dsk"), 0666), 0);
	refused(boot1("/disks/f.dsk", "", NULL, NULL, &e), &e,
		"ubd0: /disks/f.dsk: is a FIFO, not a regular file");
	/* a COW whose header names a file beyond /disks: refused before
	 * anything is done to that file */
	{
		struct cow_header h;
		int fd = open(at("shared/disks/evil.cow"), O_RDWR | O_CREAT | O_CLOEXEC,
			      0666);

		assert_true(fd >= 0);
		assert_int_equal(cow_init_header(&h, "/disks/../kernel", 1 << 20, 0, &e), 0);
		assert_int_equal(cow_write_new(fd, "evil.cow", &h, &e), 0);
		assert_int_equal(fchmod(fd, 0666), 0);
		close(fd);
	}
	refused(boot1("/shared/disks/evil.cow", "", NULL, NULL, &e), &e,
		"ubd0: /disks/../kernel: empty, '.' and '..' components are not allowed");
	assert_int_equal(stat(at("kernel"), &st), 0);
	assert_int_equal(st.st_uid, getuid());
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(at("disks/mine.dsk"), &st), 0);
	assert_int_equal(st.st_uid, getuid());
	if (getuid() != 0)
		return;
	/* as root: the VM's own disk is given to the vmuser */
	assert_int_equal(boot1("/disks/mine2.dsk", "", NULL, NULL, &e), -1);
	file("disks/mine2.dsk", 0600, "data");
	assert_int_equal(boot1("/disks/mine2.dsk", "", NULL, NULL, &e), 0);
	assert_int_equal(stat(at("disks/mine2.dsk"), &st), 0);
	assert_int_equal(st.st_uid, j.uid);
	assert_int_equal(st.st_gid, j.gid);
	/* a symlink within /disks to it is fine; one that leaves /disks
	 * (the kernel finds it, the disk operations would not) is not */
	assert_int_equal(symlink("mine2.dsk", at("disks/rel.dsk")), 0);
	assert_int_equal(boot1("/disks/rel.dsk", "", NULL, NULL, &e), 0);
	file("shared/disks/vmusers.dsk", 0600, "data");
	assert_int_equal(chown(at("shared/disks/vmusers.dsk"), j.uid, j.gid), 0);
	assert_int_equal(symlink("/shared/disks/vmusers.dsk", at("disks/abs.dsk")), 0);
	refused(boot1("/disks/abs.dsk", "", NULL, NULL, &e), &e,
		"ubd0: /disks/abs.dsk: a symlink on the way leads out of /disks");
	/* the guest's own COW names the jail's kernel through "..": it is
	 * refused before anything is given away */
	{
		struct cow_header h;
		int fd = open(at("disks/own.cow"), O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		assert_true(fd >= 0);
		assert_int_equal(cow_init_header(&h, "/disks/../kernel", 1 << 20, 0, &e), 0);
		assert_int_equal(cow_write_new(fd, "own.cow", &h, &e), 0);
		assert_int_equal(fchown(fd, j.uid, j.gid), 0);
		close(fd);
	}
	refused(boot1("/disks/own.cow", "", NULL, NULL, &e), &e,
		"ubd0: /disks/../kernel: empty, '.' and '..' components are not allowed");
	assert_int_equal(stat(at("kernel"), &st), 0);
	assert_int_equal(st.st_uid, 0);
}

static void cows(void **state)
{
	struct disk_ctx c;
	struct disklocks l;
	struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
	struct err e;

	(void)state;
	assert_int_equal(disk_ctx_init(&c, cfg, "vm1", &e), 0);
	assert_int_equal(disk_create(&c, "/shared/disks/base.dsk", 1 << 20, NULL,
				     NULL, &e), 0);
	assert_int_equal(disk_create(&c, "/shared/disks/c.cow", 0,
				     "/shared/disks/base.dsk", NULL, &e), 0);
	disk_ctx_free(&c);
	assert_int_equal(chmod(at("shared/disks/base.dsk"), 0644), 0);
	assert_int_equal(chmod(at("shared/disks/c.cow"), 0666), 0);
	/* the backing file from the header; read, and locked shared */
	disklocks_init(&l, cfg->global.shared, "test");
	assert_int_equal(boot1("/shared/disks/c.cow", "", NULL, &l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].excl + l.v[1].excl, 1);
	disklocks_free(&l);
	/* a missing COW is made by the kernel over its backing file */
	assert_int_equal(boot1("/shared/disks/new.cow", "", "/shared/disks/base.dsk",
			       NULL, &e), 0);
	refused(boot1("/shared/disks/new.cow", "", "/shared/disks/nobase.dsk", NULL,
		      &e), &e, "ubd0: /shared/disks/nobase.dsk: not found in the jail");
	refused(boot1("/shared/disks/new.cow", "", "/shared/disks/c.cow", NULL, &e),
		&e, "ubd0: /shared/disks/c.cow: a COW file cannot be the backing file");
	refused(boot1("/shared/disks/new.dsk", "", NULL, NULL, &e), &e,
		"ubd0: /shared/disks/new.dsk: not found in the jail");
	/* the backing file changed */
	assert_int_equal(utimes(at("shared/disks/base.dsk"), tv), 0);
	refused(boot1("/shared/disks/c.cow", "", NULL, NULL, &e), &e,
		"ubd0: /shared/disks/c.cow: its backing file /shared/disks/base.dsk "
		"changed: modified 2001-09-09 01:46:40 UTC");
	assert_int_equal(chmod(at("shared/disks/base.dsk"), 0600), 0);
	refused(boot1("/shared/disks/c.cow", "", NULL, NULL, &e), &e,
		"ubd0: /shared/disks/base.dsk: the vmuser (uid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel),
		cmocka_unit_test(shared_disks),
		cmocka_unit_test(hostile_disks),
		cmocka_unit_test(cows),
	};

	if (access(BUSYBOX, X_OK) < 0) {
		fprintf(stderr, "%s is missing (install busybox-static)\n", BUSYBOX);
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
