/* image.c -- root images: the staged tree written as an ext4 file system
 * with mke2fs -d (no loop mount), and the default one's tree, busybox. */
#include "host/image.h"

#include <errno.h>
#include <crypt.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "host/elfdeps.h"
#include "host/image_int.h"
#include "host/tmpfile.h"

#define DEFAULT_SIZE (64ULL << 20)
#define DEFAULT_DEBIAN_SIZE (1ULL << 30)
#define DEFAULT_BUSYBOX "/bin/busybox"

extern char **environ;

/* Runs argv (no shell) with an empty stdin, fd3 (if >= 0) as its fd 3,
 * and collects stdout and stderr (the programs run here write little, so
 * reading one after the other cannot fill a pipe). Returns the exit
 * status, or -1. */
static int run(char *const argv[], int fd3, struct strbuf *out,
	       struct strbuf *errout)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = -1, rc;

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0)
		goto done;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	if (fd3 >= 0)
		posix_spawn_file_actions_adddup2(&fa, fd3, 3);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	if (rc != 0) {
		errno = rc;
		goto done;
	}
	close(pin[1]);
	pin[1] = -1;
	/* small outputs: read stdout to its end, then stderr */
	for (int k = 0; k < 2; k++) {
		int fd = k ? perr[0] : pout[0];
		struct strbuf *sb = k ? errout : out;
		char buf[4096];
		ssize_t r;

		while ((r = read(fd, buf, sizeof(buf))) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				break;
			if (sb)
				sb_append(sb, buf, (size_t)r);
		}
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
done:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	return st;
}

/* The image needs a static busybox: one without a program interpreter. */
static int is_static_elf(const char *path, struct err *e)
{
	struct elf_deps d;
	int st;

	if (elf_deps(path, NULL, &d, e) < 0) {
		err_prefix(e, "busybox");
		return 0;
	}
	st = d.is_static;
	elf_deps_free(&d);
	if (!st)
		err_set(e, "busybox %s: dynamically linked; the image needs a "
			"static busybox (Debian package busybox-static)", path);
	return st;
}

int image_put_file(const char *root, const char *rel, const char *text,
		   mode_t mode, struct err *e)
{
	char *path = xasprintf("%s/%s", root, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc = -1;

	if (fd < 0 || write_all(fd, text, strlen(text)) < 0 ||
	    fchmod(fd, mode) < 0) {
		err_sys(e, "staging %s", path);
	} else {
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* never into a mount point: nothing may be left mounted in a staged tree,
 * but if something were, it is not ours to delete */
static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void image_progress(const struct image_opts *o, const char *step)
{
	if (o->progress)
		fprintf(stderr, "umladmin: %s: %s\n", o->path, step);
}

int image_interrupted(const struct image_opts *o, struct err *e)
{
	if (!o->interrupted || !*o->interrupted)
		return 0;
	err_code(e, ERR_STATE, "%s: interrupted; nothing was written", o->path);
	return 1;
}

char *image_hash_password(const char *password, struct err *e)
{
	/* SHA-512 crypt with a random salt (libxcrypt) */
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *h;

	memset(&cd, 0, sizeof(cd));
	if (!crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt)) ||
	    !(h = crypt_r(password, salt, &cd)) || h[0] != '$') {
		err_sys(e, "crypt: cannot hash the root password");
		return NULL;
	}
	return xstrdup(h);
}

/* The busybox tree of the guest in dir. */
static int stage_busybox(const struct image_opts *o, const char *dir, struct err *e)
{
	static const char *dirs[] = {"bin", "sbin", "usr", "usr/bin", "usr/sbin",
				     "etc", "etc/init.d", "dev", "proc", "sys",
				     "tmp", "root", "mnt", "var", "var/log", "run"};
	const char *bb = o->busybox ? o->busybox : DEFAULT_BUSYBOX;
	char *argv[] = {(char *)bb, "--list-full", NULL};
	struct strbuf list, errs, text;
	char *p, *dst, *hash = NULL;
	int rc = -1;

	sb_init(&list);
	sb_init(&errs);
	sb_init(&text);
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = xasprintf("%s/%s", dir, dirs[i]);
		int r = mkdir(d, 0755);

		if (r < 0)
			err_sys(e, "staging %s", d);
		free(d);
		if (r < 0)
			goto out;
	}
	chmod(dir, 0755);
	{
		char *d = xasprintf("%s/tmp", dir);

		chmod(d, 01777);
		free(d);
		d = xasprintf("%s/root", dir);
		chmod(d, 0700);
		free(d);
	}
	dst = xasprintf("%s/bin/busybox", dir);
	rc = copy_file_atomic(bb, dst, 0755, e);
	free(dst);
	if (rc < 0)
		goto out;
	rc = -1;
	if (run(argv, -1, &list, &errs) != 0 || !list.buf) {
		err_set(e, "busybox %s --list-full failed: %s", bb,
			errs.buf ? errs.buf : "no output");
		goto out;
	}
	for (p = strtok(list.buf, "\n"); p; p = strtok(NULL, "\n")) {
		char *link;

		if (!*p || strstr(p, "..") || !strcmp(p, "bin/busybox"))
			continue;
		link = xasprintf("%s/%s", dir, p);
		/* /bin/busybox from any depth */
		if (symlink("/bin/busybox", link) < 0 && errno != EEXIST) {
			err_sys(e, "staging %s", link);
			free(link);
			goto out;
		}
		free(link);
	}
	if (o->root_password && !(hash = image_hash_password(o->root_password, e)))
		goto out;
	sb_printf(&text,
		  "# busybox init, written by umladmin mkimage\n"
		  "::sysinit:/etc/init.d/rcS\n"
		  "# con1 is the login console, ssl0 the first serial line\n"
		  "tty1::respawn:/sbin/getty -L 38400 tty1 vt100\n"
		  "ttyS0::respawn:/sbin/getty -L 38400 ttyS0 vt100\n"
		  "# umlwatch -ctrlaltdel and -stop: power off (the kernel exits 0)\n"
		  "::ctrlaltdel:/sbin/poweroff\n"
		  "::shutdown:/bin/umount -a -r\n");
	if (image_put_file(dir, "etc/inittab", text.buf, 0644, e) < 0)
		goto out;
	sb_free(&text);
	sb_printf(&text,
		  "#!/bin/sh\n"
		  "echo \"%s\"\n"
		  "# a process costs a UML guest some 25 ms (a host process and its\n"
		  "# address space): shell builtins where they do, and the mounts of\n"
		  "# /etc/fstab in one mount (/dev is a fresh devtmpfs)\n"
		  "mkdir -p /dev/pts\n"
		  "mount -a -t proc,sysfs,devpts\n"
		  "mount -o remount,rw /\n"
		  "ip link set lo up 2>/dev/null\n"
		  "# from the monitor's kernel command line: umlmon.name=VM, the VM's\n"
		  "# name, and umlmon.net=IF,ADDR[,PEER], the interfaces' addresses\n"
		  "host=umlvm\n"
		  IMAGE_SH_CMDLINE
		  "# the image's own name if it has one (mkimage -hostname), else the VM's\n"
		  "[ -s /etc/hostname ] && read -r host </etc/hostname\n"
		  "echo \"$host\" >/proc/sys/kernel/hostname\n"
		  "# tell the monitor (its log: 'guest notification: ...')\n"
		  "[ -w /proc/mconsole ] && echo -n \"%s\" >/proc/mconsole\n",
		  IMAGE_INIT_MARK, IMAGE_READY_MARK);
	if (image_put_file(dir, "etc/init.d/rcS", text.buf, 0755, e) < 0)
		goto out;
	sb_free(&text);
	if (o->hostname) {
		sb_printf(&text, "%s\n", o->hostname);
		if (image_put_file(dir, "etc/hostname", text.buf, 0644, e) < 0)
			goto out;
	}
	sb_free(&text);
	sb_printf(&text, "root:x:0:0:root:/root:/bin/sh\n"
		  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
	if (image_put_file(dir, "etc/passwd", text.buf, 0644, e) < 0)
		goto out;
	sb_free(&text);
	/* an empty password field: busybox login lets root in at once */
	sb_printf(&text, "root:%s:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
		  hash ? hash : "");
	if (image_put_file(dir, "etc/shadow", text.buf, 0600, e) < 0)
		goto out;
	if (image_put_file(dir, "etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644, e) < 0 ||
	    image_put_file(dir, "etc/fstab",
		     "/dev/ubda / ext4 defaults 0 1\nproc /proc proc defaults 0 0\n"
		     "sysfs /sys sysfs defaults 0 0\n"
		     "devpts /dev/pts devpts defaults 0 0\n",
		     0644, e) < 0 ||
	    image_put_file(dir, "etc/profile",
		     "export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
		     "export PS1='\\u@\\h:\\w\\$ '\n", 0644, e) < 0 ||
	    image_put_file(dir, "etc/issue",
		     "umlmon default image (busybox) \\n \\l\n\n", 0644, e) < 0)
		goto out;
	rc = 0;
out:
	free(hash);
	sb_free(&list);
	sb_free(&errs);
	sb_free(&text);
	return rc;
}

int image_build_at(int dirfd, const char *name, const struct image_opts *o,
		   struct err *e)
{
	const char *bb = o->busybox ? o->busybox : DEFAULT_BUSYBOX;
	int debian = o->kind == IMAGE_DEBIAN;
	uint64_t size = o->size ? o->size : debian ? DEFAULT_DEBIAN_SIZE : DEFAULT_SIZE;
	const char *tmpdir = getenv("TMPDIR");
	char *staging, sizek[32];
	struct tmpfile t = {.fd = -1};
	struct strbuf errs;
	struct stat st;
	int rc = -1;

	/* early, to spare the work; the link at the end is what decides */
	if (!o->force && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		err_set(e, "%s: exists (use -f to replace it)", o->path);
		return -1;
	}
	if (!debian && !is_static_elf(bb, e))
		return -1;
	staging = xasprintf("%s/umlmon-image.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(staging)) {
		err_sys(e, "staging directory %s", staging);
		free(staging);
		return -1;
	}
	sb_init(&errs);
	if (debian) {
		if (image_stage_debian(o, staging, e) < 0)
			goto out;
	} else {
		image_progress(o, "staging busybox");
		if (stage_busybox(o, staging, e) < 0)
			goto out;
	}
	/* the image has no name until it is complete and has its owner */
	if (tmpfile_new(&t, dirfd, name, 0600, o->path, e) < 0)
		goto out;
	image_progress(o, "writing the ext4 file system");
	snprintf(sizek, sizeof(sizek), "%llu", (unsigned long long)(size >> 10));
	{
		/* mke2fs writes through our fd: it opens no name of ours */
		char *argv[] = {"/sbin/mke2fs", "-q", "-F", "-t", "ext4", "-d", staging,
				"-E", "lazy_itable_init=0,lazy_journal_init=0",
				"-L", "umlroot", "/dev/fd/3", sizek, NULL};

		if (access(argv[0], X_OK) < 0)
			argv[0] = "/usr/sbin/mke2fs";
		if (run(argv, t.fd, NULL, &errs) != 0) {
			/* Ctrl-C on the terminal reaches mke2fs too */
			if (!image_interrupted(o, e))
				err_set(e, "%s: mke2fs failed: %s", o->path,
					errs.buf ? errs.buf : "(no message)");
			goto out;
		}
	}
	if (o->owner != (uid_t)-1 && fchown(t.fd, o->owner, o->group) < 0) {
		err_sys(e, "%s: chown", o->path);
		goto out;
	}
	if (fchmod(t.fd, 0640) < 0) {
		err_sys(e, "%s: chmod", o->path);
		goto out;
	}
	if (image_interrupted(o, e))
		goto out;
	if (tmpfile_commit(&t, o->force, e) < 0) {
		if (errno == EEXIST)
			err_set(e, "%s: exists (use -f to replace it)", o->path);
		goto out;
	}
	image_progress(o, "done");
	rc = 0;
out:
	tmpfile_abort(&t);
	rm_tree(staging);
	free(staging);
	sb_free(&errs);
	return rc;
}

int image_build(const struct image_opts *o, struct err *e)
{
	const char *slash = strrchr(o->path, '/');
	char *dir;
	int dirfd, rc;

	if (slash && !slash[1]) {
		err_set(e, "%s: names a directory, not an image file", o->path);
		return -1;
	}
	dir = slash ? xasprintf("%.*s", (int)(slash - o->path), o->path) : xstrdup(".");
	/* the caller's path: its directories are followed as given */
	dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err_sys(e, "%s: directory %s", o->path, *dir ? dir : "/");
		free(dir);
		return -1;
	}
	free(dir);
	rc = image_build_at(dirfd, slash ? slash + 1 : o->path, o, e);
	close(dirfd);
	return rc;
}
