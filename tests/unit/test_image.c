/* Unit tests of the default image builder: the file system holds busybox,
 * the inittab and the init script; an existing image is kept; a failure
 * leaves nothing behind. Reads the image with debugfs (e2fsprogs). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/image.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/umlmon-image-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Output of "debugfs -R REQUEST IMAGE". */
static char *debugfs(const char *img, const char *req)
{
	char cmd[512];
	struct strbuf sb;
	char buf[4096];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "debugfs -R '%s' '%s' 2>/dev/null", req, img);
	p = popen(cmd, "r");
	assert_non_null(p);
	sb_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sb_append(&sb, buf, n);
	pclose(p);
	return sb_steal(&sb);
}

static int entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	int n = 0;

	assert_non_null(dp);
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void build(void **state)
{
	struct image_opts o = {.owner = (uid_t)-1, .group = (gid_t)-1};
	char img[128], *out;
	struct stat st, st2;
	struct err e;

	(void)state;
	snprintf(img, sizeof(img), "%s/root.dsk", dir);
	o.path = img;
	o.size = 32ULL << 20;
	o.hostname = "testvm";
	assert_int_equal(image_build(&o, &e), 0);
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(st.st_size, 32LL << 20);
	assert_int_equal(entries(dir), 1); /* no temp file left */

	out = debugfs(img, "cat /etc/inittab");
	assert_non_null(strstr(out, "tty1::respawn:/sbin/getty -L 38400 tty1"));
	assert_non_null(strstr(out, "ttyS0::respawn:/sbin/getty"));
	assert_non_null(strstr(out, "::ctrlaltdel:/sbin/poweroff"));
	free(out);
	out = debugfs(img, "cat /etc/init.d/rcS");
	/* the mark is the first thing init prints */
	assert_non_null(strstr(out, "#!/bin/sh\necho \"" IMAGE_INIT_MARK "\"\n"));
	/* the host name: the VM's (umlmon.name=), unless the image has its own */
	assert_non_null(strstr(out, "\tumlmon.name=?*) host=\"${a#umlmon.name=}\";;\n"));
	assert_non_null(strstr(out, "[ -s /etc/hostname ] && read -r host </etc/hostname\n"
			       "echo \"$host\" >/proc/sys/kernel/hostname\n"));
	/* no process for what a builtin does (each costs a UML guest) */
	assert_null(strstr(out, "$(cat"));
	assert_non_null(strstr(out, "mkdir -p /dev/pts\nmount -a -t proc,sysfs,devpts\n"));
	free(out);
	out = debugfs(img, "cat /etc/fstab");
	assert_non_null(strstr(out, "sysfs /sys sysfs defaults 0 0\n"));
	assert_non_null(strstr(out, "devpts /dev/pts devpts defaults 0 0\n"));
	free(out);
	out = debugfs(img, "cat /etc/hostname");
	assert_string_equal(out, "testvm\n");
	free(out);
	out = debugfs(img, "cat /etc/shadow");
	assert_non_null(strstr(out, "root::"));
	free(out);
	out = debugfs(img, "stat /bin/busybox");
	assert_non_null(strstr(out, "Type: regular"));
	free(out);
	out = debugfs(img, "stat /bin/sh");
	assert_non_null(strstr(out, "Type: symlink"));
	assert_non_null(strstr(out, "/bin/busybox"));
	free(out);
	out = debugfs(img, "stat /sbin/getty");
	assert_non_null(strstr(out, "Type: symlink"));
	free(out);

	/* an existing image is kept */
	assert_int_equal(image_build(&o, &e), -1);
	assert_non_null(strstr(e.msg, img));
	assert_non_null(strstr(e.msg, "exists (use -f to replace it)"));
	assert_int_equal(stat(img, &st2), 0);
	assert_int_equal(st2.st_mtim.tv_sec, st.st_mtim.tv_sec);
	assert_int_equal(st2.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
	assert_int_equal(st2.st_ino, st.st_ino);

	/* with force and a password: replaced, and root has a SHA-512 hash;
	 * without a host name the image has no /etc/hostname */
	o.force = 1;
	o.root_password = "s3cret";
	o.hostname = NULL;
	assert_int_equal(image_build(&o, &e), 0);
	out = debugfs(img, "cat /etc/shadow");
	assert_non_null(strstr(out, "root:$6$"));
	assert_null(strstr(out, "s3cret"));
	free(out);
	out = debugfs(img, "stat /etc/hostname");
	assert_null(strstr(out, "Type: regular"));
	free(out);
	unlink(img);
}

static void failures_leave_nothing(void **state)
{
	struct image_opts o = {.owner = (uid_t)-1, .group = (gid_t)-1};
	char img[128], tmpdir[128];
	struct err e;

	(void)state;
	snprintf(img, sizeof(img), "%s/bad.dsk", dir);
	snprintf(tmpdir, sizeof(tmpdir), "%s/staging", dir);
	mkdir(tmpdir, 0700);
	setenv("TMPDIR", tmpdir, 1);
	o.path = img;
	o.busybox = "/nonexistent/busybox";
	assert_int_equal(image_build(&o, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/busybox"));
	/* a dynamic executable is refused, naming it */
	o.busybox = "/bin/ls";
	assert_int_equal(image_build(&o, &e), -1);
	assert_non_null(strstr(e.msg, "/bin/ls: dynamically linked"));
	/* mke2fs fails on an absurd size: no temp file, no staging dir */
	o.busybox = NULL;
	o.size = 4096;
	assert_int_equal(image_build(&o, &e), -1);
	assert_non_null(strstr(e.msg, "mke2fs failed"));
	assert_int_equal(entries(tmpdir), 0);
	unsetenv("TMPDIR");
	rmdir(tmpdir);
	assert_int_equal(entries(dir), 0);
}

/* A symlink or a hard link at the image's name is never followed: kept
 * without force, replaced (itself, not its target) with it. */
static void planted_names(void **state)
{
	struct image_opts o = {.owner = (uid_t)-1, .group = (gid_t)-1};
	char img[128], target[128], *out;
	struct stat st, st2;
	struct err e;
	int fd;

	(void)state;
	snprintf(img, sizeof(img), "%s/root.dsk", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep me\n", 8), 8);
	close(fd);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(symlink(target, img), 0);
	o.path = img;
	o.size = 16ULL << 20;
	assert_int_equal(image_build(&o, &e), -1);
	assert_non_null(strstr(e.msg, "exists (use -f to replace it)"));
	o.force = 1;
	assert_int_equal(image_build(&o, &e), 0);
	assert_int_equal(lstat(img, &st2), 0);
	assert_true(S_ISREG(st2.st_mode));
	assert_int_equal(st2.st_mode & 07777, 0640);
	assert_int_equal(st2.st_nlink, 1);
	assert_int_equal(stat(target, &st2), 0);
	assert_int_equal(st2.st_size, 8);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_int_equal(st2.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
	/* a hard link to the target: the name is replaced, the file is not */
	assert_int_equal(unlink(img), 0);
	assert_int_equal(link(target, img), 0);
	assert_int_equal(image_build(&o, &e), 0);
	assert_int_equal(stat(target, &st2), 0);
	assert_int_equal(st2.st_nlink, 1);
	assert_int_equal(st2.st_size, 8);
	out = debugfs(img, "stat /bin/busybox");
	assert_non_null(strstr(out, "Type: regular"));
	free(out);
	/* nothing but the image and the target: no temporary name left */
	assert_int_equal(entries(dir), 2);
	unlink(img);
	unlink(target);
}

/* In a directory given as an fd, and refusals that name the path. */
static void at_dirfd(void **state)
{
	struct image_opts o = {.owner = (uid_t)-1, .group = (gid_t)-1};
	char img[128];
	struct stat st;
	struct err e;
	int dfd;

	(void)state;
	snprintf(img, sizeof(img), "%s/at.dsk", dir);
	dfd = open(dir, O_PATH | O_DIRECTORY);
	assert_true(dfd >= 0);
	o.path = img;
	o.size = 16ULL << 20;
	assert_int_equal(image_build_at(dfd, "at.dsk", &o, &e), 0);
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(st.st_size, 16LL << 20);
	close(dfd);
	unlink(img);
	o.path = "/nonexistent-umlmon/x.dsk";
	assert_int_equal(image_build(&o, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent-umlmon/x.dsk: directory "
			       "/nonexistent-umlmon: No such file"));
	assert_int_equal(entries(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build),
		cmocka_unit_test(failures_leave_nothing),
		cmocka_unit_test(planted_names),
		cmocka_unit_test(at_dirfd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
