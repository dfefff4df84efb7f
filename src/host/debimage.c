/* debimage.c -- the Debian root image's tree: debootstrap (minbase with
 * systemd) from the host's mirror, then what a guest of umlmon needs: the
 * root on ubd0, a getty on con1, Ctrl-Alt-Del powers off, the root
 * password or an SSH key, the host name and network from the kernel
 * command line, and the units that cannot work under UML masked. */
#include "host/image_int.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/aptsrc.h"

#define DEBOOTSTRAP "/usr/sbin/debootstrap"
#define WGET "/usr/bin/wget"
/* what a failed step's message quotes of its output */
#define TAIL_MAX 1500

/* Units that cannot work under UML, masked (a link to /dev/null) with
 * the reason, which also goes into the image's
 * /etc/systemd/system/README.umlmon. */
static const struct {
	const char *unit, *why;
} masked[] = {
	{"proc-sys-fs-binfmt_misc.automount",
	 "autofs is a module of the UML kernel, and the image has no modules"},
	{"proc-sys-fs-binfmt_misc.mount",
	 "binfmt_misc is a module of the UML kernel, and the image has no modules"},
	{"systemd-binfmt.service",
	 "binfmt_misc is a module of the UML kernel, and the image has no modules"},
	{"getty-static.service",
	 "starts gettys on tty2-tty6 when there is no dbus; umlmon wires con2 "
	 "and up to null channels unless configured (con1 is the login console)"},
};

/* The guest's side of umlmon, run by the units below: the host name and
 * the interfaces from the kernel command line (as the busybox image's
 * rcS), and the notice to the monitor once systemd is up. */
static const char guest_script[] =
	"#!/bin/sh\n"
	"# written by umladmin mkimage: the host name and network from the\n"
	"# kernel command line that umlmon builds (umlmon.name=VM,\n"
	"# umlmon.net=IF,ADDR[,PEER]); 'ready' tells the monitor once systemd\n"
	"# finished starting (its log: 'guest notification: ...')\n"
	"if [ \"$1\" = ready ]; then\n"
	"\tstate=$(systemctl is-system-running --wait)\n"
	"\techo \"umlmon-guest: system $state\" >/dev/console\n"
	"\t[ -w /proc/mconsole ] && echo -n \"" IMAGE_READY_MARK "\" >/proc/mconsole\n"
	"\texit 0\n"
	"fi\n"
	"echo \"" IMAGE_INIT_MARK "\" >/dev/console\n"
	"ip link set lo up\n"
	"host=\n"
	IMAGE_SH_CMDLINE
	"# the image's own name if it has one (mkimage -hostname), else the VM's\n"
	"if [ ! -s /etc/hostname ] && [ -n \"$host\" ]; then\n"
	"\techo \"$host\" >/proc/sys/kernel/hostname\n"
	"fi\n"
	"exit 0\n";

/* Files written into the tree: path, mode, text. */
static const struct {
	const char *path;
	mode_t mode;
	const char *text;
} files[] = {
	{"etc/fstab", 0644,
	 "# written by umladmin mkimage: the VM's ubd0 is the root; further\n"
	 "# disks of the VM are /dev/ubdb (ubd1), /dev/ubdc (ubd2) ...\n"
	 "/dev/ubda / ext4 defaults,errors=remount-ro 0 1\n"},
	{"etc/hosts", 0644,
	 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
	/* empty: each VM makes its own at its first boot */
	{"etc/machine-id", 0444, ""},
	{"usr/local/sbin/umlmon-guest", 0755, guest_script},
	{"etc/systemd/system/umlmon-guest.service", 0644,
	 "# written by umladmin mkimage\n"
	 "[Unit]\n"
	 "Description=umlmon: host name and network from the kernel command line\n"
	 "DefaultDependencies=no\n"
	 "Wants=network-pre.target\n"
	 "Before=network-pre.target sysinit.target shutdown.target\n"
	 "Conflicts=shutdown.target\n"
	 "\n[Service]\n"
	 "Type=oneshot\n"
	 "RemainAfterExit=yes\n"
	 "ExecStart=/usr/local/sbin/umlmon-guest\n"
	 "\n[Install]\n"
	 "WantedBy=sysinit.target\n"},
	{"etc/systemd/system/umlmon-ready.service", 0644,
	 "# written by umladmin mkimage; simple, not oneshot: it waits for the\n"
	 "# start-up to end, which must not wait for it\n"
	 "[Unit]\n"
	 "Description=umlmon: tell the monitor that the system is up\n"
	 "\n[Service]\n"
	 "Type=simple\n"
	 "ExecStart=/usr/local/sbin/umlmon-guest ready\n"
	 "\n[Install]\n"
	 "WantedBy=multi-user.target\n"},
	{"etc/systemd/system.conf.d/umlmon.conf", 0644,
	 "# written by umladmin mkimage: umlmon stops a VM with Ctrl-Alt-Del\n"
	 "# and may repeat it; a burst must not turn into a forced reboot\n"
	 "[Manager]\n"
	 "CtrlAltDelBurstAction=none\n"},
};

/* Links: path -> target. */
static const struct {
	const char *path, *target;
} links[] = {
	/* umlwatch -ctrlaltdel and -stop: power off (the kernel exits 0) */
	{"etc/systemd/system/ctrl-alt-del.target", "/lib/systemd/system/poweroff.target"},
	{"etc/systemd/system/sysinit.target.wants/umlmon-guest.service",
	 "/etc/systemd/system/umlmon-guest.service"},
	{"etc/systemd/system/multi-user.target.wants/umlmon-ready.service",
	 "/etc/systemd/system/umlmon-ready.service"},
};

/* Files of debootstrap's tree that must not be in the image: the
 * packages it fetched, the build host's name, and (with sshd) host keys
 * that every copy of the image would share. */
static const char *const drop_globs[] = {
	"var/cache/apt/archives/*.deb",
	"var/lib/apt/lists/*_*",
	"etc/hostname",
	"etc/ssh/ssh_host_*",
	"var/lib/dbus/machine-id",
};

static void keep_tail(struct strbuf *tail, const char *line)
{
	sb_printf(tail, "%s\n", line);
	if (tail->len > TAIL_MAX) {
		size_t cut = tail->len - TAIL_MAX;
		char *nl = memchr(tail->buf + cut, '\n', tail->len - cut);

		if (nl)
			cut = (size_t)(nl + 1 - tail->buf);
		memmove(tail->buf, tail->buf + cut, tail->len - cut + 1);
		tail->len -= cut;
	}
}

static void show_line(const struct image_opts *o, const char *line)
{
	/* one line that changes: the step debootstrap is at */
	if (o->progress && !strncmp(line, "I: ", 3))
		fprintf(stderr, "\r\033[Kumladmin: %s: debootstrap: %.*s", o->path, 60,
			line + 3);
}

/* Runs argv in a mount namespace and process group of its own (what
 * debootstrap mounts in the tree goes away with it, and Ctrl-C reaches
 * only us, who end it). Its output goes line by line to show_line and
 * the last lines to tail. Returns the exit status (128+N for signal N),
 * 130 when interrupted, -1 with e when it could not run. */
static int run_tool(const struct image_opts *o, char *const argv[],
		    struct strbuf *tail, struct err *e)
{
	int p[2], st = 0, status;
	struct strbuf line;
	int64_t killed_at = 0;
	pid_t pid;
	int killed = 0;

	if (pipe2(p, O_CLOEXEC) < 0) {
		err_sys(e, "%s: pipe", argv[0]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		err_sys(e, "%s: fork", argv[0]);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			dprintf(p[1], "E: %s: private mount namespace: %s\n", argv[0],
				strerror(errno));
			_exit(127);
		}
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv(argv[0], argv);
		dprintf(2, "E: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	sb_init(&line);
	for (;;) {
		struct pollfd pfd = {p[0], POLLIN, 0};
		char buf[4096];
		ssize_t r;

		if (o->interrupted && *o->interrupted && !killed) {
			kill(-pid, SIGTERM);
			killed = 1;
			killed_at = now_ms();
		}
		/* what holds the pipe and ignores SIGTERM */
		if (killed == 1 && now_ms() - killed_at > 5000) {
			kill(-pid, SIGKILL);
			killed = 2;
		}
		/* a second at most: an interrupt is seen without output */
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		r = read(p[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n') {
				sb_append(&line, &buf[i], 1);
				continue;
			}
			if (line.buf) {
				keep_tail(tail, line.buf);
				show_line(o, line.buf);
			}
			sb_free(&line);
		}
	}
	if (line.buf)
		keep_tail(tail, line.buf);
	sb_free(&line);
	close(p[0]);
	/* once it ended, what it started in its group and left behind; its
	 * zombie keeps the group's id from being reused until then */
	{
		siginfo_t si;

		while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 &&
		       errno == EINTR)
			;
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			err_sys(e, "%s: wait", argv[0]);
			return -1;
		}
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return killed ? 130 : status;
}

/* The last non-empty line of a tool's output, for a message. */
static const char *last_line(struct strbuf *tail)
{
	char *end, *start;

	if (!tail->buf)
		return "(no output)";
	end = tail->buf + tail->len;
	while (end > tail->buf && (end[-1] == '\n' || end[-1] == ' '))
		*--end = 0;
	start = end;
	while (start > tail->buf && start[-1] != '\n')
		start--;
	return *start ? start : "(no output)";
}

/* Before a tree is staged: the mirror answers and has the suite. wget's
 * exit status says which (4: network, 8: the server said no). */
static int check_mirror(const struct image_opts *o, const char *mirror,
			const char *suite, struct err *e)
{
	char *url = xasprintf("%s/dists/%s/Release", mirror, suite);
	struct strbuf tail;
	int rc = -1, st;

	sb_init(&tail);
	if (strncmp(mirror, "file://", 7) && access(WGET, X_OK) < 0) {
		err_code(e, ERR_NOENT, "%s: %s (Debian package wget)", WGET,
			 strerror(errno));
		goto out;
	}
	if (!strncmp(mirror, "file://", 7)) {
		if (access(url + 7, R_OK) == 0)
			rc = 0;
		else
			err_code(e, ERR_NOENT, "mirror %s: no release '%s' (%s: %s)",
				 mirror, suite, url + 7, strerror(errno));
		goto out;
	}
	{
		char *argv[] = {WGET, "-nv", "-O", "/dev/null", "--tries=1",
				"--timeout=20", url, NULL};

		st = run_tool(o, argv, &tail, e);
	}
	if (st == 0)
		rc = 0;
	else if (st < 0)
		err_prefix(e, "mirror %s", mirror);
	else if (image_interrupted(o, e))
		rc = -1;
	else if (st == 8)
		err_code(e, ERR_NOENT, "mirror %s: no release '%s' there (%s: %s)",
			 mirror, suite, url, last_line(&tail));
	else
		err_code(e, ERR_IO, "mirror %s: unreachable (%s: %s)",
			 mirror, url, last_line(&tail));
out:
	sb_free(&tail);
	free(url);
	return rc;
}

/* Deletes what matches ROOT/GLOB (files only). */
static void drop(const char *root, const char *glob_pat)
{
	char *pat = xasprintf("%s/%s", root, glob_pat);
	glob_t g;

	if (glob(pat, GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
	free(pat);
}

static int put_link(const char *root, const char *rel, const char *target,
		    struct err *e)
{
	char *path = xasprintf("%s/%s", root, rel);
	int rc = 0;

	unlink(path);
	if (symlink(target, path) < 0) {
		err_sys(e, "staging %s", path);
		rc = -1;
	}
	free(path);
	return rc;
}

/* Sets root's password field in etc/shadow: the hash, or empty (Debian's
 * pam_unix has nullok: root logs in without one), or '*' (SSH key only). */
static int set_root_password(const struct image_opts *o, const char *dir,
			     struct err *e)
{
	char *path = xasprintf("%s/etc/shadow", dir), *text, *hash = NULL;
	const char *field = "";
	struct strbuf out;
	int rc = -1;

	sb_init(&out);
	text = read_file(path, 1 << 20, NULL);
	if (!text) {
		err_sys(e, "staging %s", path);
		goto out;
	}
	if (o->root_password) {
		if (!(hash = image_hash_password(o->root_password, e)))
			goto out;
		field = hash;
	} else if (o->ssh_key) {
		field = "*";
	}
	for (char *l = text, *nl; l && *l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		if (!strncmp(l, "root:", 5)) {
			char *rest = strchr(l + 5, ':');

			sb_printf(&out, "root:%s%s\n", field, rest ? rest : ":::::::");
		} else {
			sb_printf(&out, "%s\n", l);
		}
	}
	rc = image_put_file(dir, "etc/shadow", out.buf ? out.buf : "", 0640, e);
out:
	free(hash);
	free(text);
	free(path);
	sb_free(&out);
	return rc;
}

/* A public key (authorized_keys lines), never a private one. */
static int check_ssh_key(const char *path, struct err *e)
{
	char *key = read_file(path, 1 << 16, NULL);
	int rc = -1;

	if (!key)
		err_sys(e, "-ssh-key %s", path);
	else if (strstr(key, "PRIVATE KEY"))
		err_code(e, ERR_INVAL, "-ssh-key %s: a private key (give the .pub file)",
			 path);
	else if (strncmp(key, "ssh-", 4) && strncmp(key, "ecdsa-", 6) &&
		 strncmp(key, "sk-", 3))
		err_code(e, ERR_INVAL, "-ssh-key %s: not an OpenSSH public key", path);
	else
		rc = 0;
	free(key);
	return rc;
}

static int put_ssh_key(const struct image_opts *o, const char *dir, struct err *e)
{
	char *key = read_file(o->ssh_key, 1 << 16, NULL), *d;
	int rc;

	if (!key) {
		err_sys(e, "-ssh-key %s", o->ssh_key);
		return -1;
	}
	d = xasprintf("%s/root/.ssh", dir);
	mkdir(d, 0700);
	free(d);
	rc = image_put_file(dir, "root/.ssh/authorized_keys", key, 0600, e);
	/* host keys of its own at the first boot: sshd -t refuses to start
	 * without them */
	if (rc == 0)
		rc = image_put_file(dir, "etc/systemd/system/umlmon-sshkeys.service",
				    "# written by umladmin mkimage: the image has "
				    "no host keys; each VM makes its own\n"
				    "[Unit]\n"
				    "Description=umlmon: SSH host keys of this VM\n"
				    "Before=ssh.service\n"
				    "ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\n"
				    "\n[Service]\n"
				    "Type=oneshot\n"
				    "ExecStart=/usr/bin/ssh-keygen -A\n"
				    "\n[Install]\n"
				    "RequiredBy=ssh.service\n", 0644, e);
	if (rc == 0) {
		d = xasprintf("%s/etc/systemd/system/ssh.service.requires", dir);
		mkdir(d, 0755);
		free(d);
		rc = put_link(dir, "etc/systemd/system/ssh.service.requires/"
			      "umlmon-sshkeys.service",
			      "/etc/systemd/system/umlmon-sshkeys.service", e);
	}
	free(key);
	return rc;
}

/* What debootstrap made, made a guest of umlmon. */
static int fix_tree(const struct image_opts *o, const char *dir, struct err *e)
{
	static const char *dirs[] = {"usr/local/sbin", "etc/systemd/system.conf.d",
				     "etc/systemd/system/sysinit.target.wants",
				     "etc/systemd/system/multi-user.target.wants"};
	struct strbuf readme;
	int rc = -1;

	sb_init(&readme);
	for (size_t i = 0; i < ARRAY_SIZE(drop_globs); i++)
		drop(dir, drop_globs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = xasprintf("%s/%s", dir, dirs[i]);

		mkdir(d, 0755);
		free(d);
	}
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (image_put_file(dir, files[i].path, files[i].text, files[i].mode, e) < 0)
			goto out;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (put_link(dir, links[i].path, links[i].target, e) < 0)
			goto out;
	sb_printf(&readme, "# Units masked by umladmin mkimage: they cannot work "
		  "under User Mode Linux.\n");
	for (size_t i = 0; i < ARRAY_SIZE(masked); i++) {
		char *rel = xasprintf("etc/systemd/system/%s", masked[i].unit);
		int r = put_link(dir, rel, "/dev/null", e);

		free(rel);
		if (r < 0)
			goto out;
		sb_printf(&readme, "%s: %s\n", masked[i].unit, masked[i].why);
	}
	if (image_put_file(dir, "etc/systemd/system/README.umlmon", readme.buf, 0644, e) < 0)
		goto out;
	if (o->hostname) {
		char *h = xasprintf("%s\n", o->hostname);

		rc = image_put_file(dir, "etc/hostname", h, 0644, e);
		free(h);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (set_root_password(o, dir, e) < 0)
		goto out;
	if (o->ssh_key && put_ssh_key(o, dir, e) < 0)
		goto out;
	rc = 0;
out:
	sb_free(&readme);
	return rc;
}

int image_stage_debian(const struct image_opts *o, const char *dir, struct err *e)
{
	char *suite = o->suite ? xstrdup(o->suite) : apt_host_codename("", e);
	char *mirror = NULL, *include = NULL, *cache = NULL;
	struct strbuf tail;
	int rc = -1, st;

	sb_init(&tail);
	if (!suite)
		goto out;
	mirror = o->mirror ? xstrdup(o->mirror) : apt_host_mirror("", suite, e);
	if (!mirror && o->suite) {
		/* another release from the archive of the host's own */
		char *own = apt_host_codename("", e);

		mirror = own ? apt_host_mirror("", own, e) : NULL;
		free(own);
	}
	if (!mirror)
		goto out;
	/* the key before the long part */
	if (o->ssh_key && check_ssh_key(o->ssh_key, e) < 0)
		goto out;
	if (access(DEBOOTSTRAP, X_OK) < 0) {
		err_code(e, ERR_NOENT, "%s: %s (Debian package debootstrap)", DEBOOTSTRAP,
			 strerror(errno));
		goto out;
	}
	image_progress(o, "checking the mirror");
	if (check_mirror(o, mirror, suite, e) < 0)
		goto out;
	if (o->progress)
		fprintf(stderr, "umladmin: %s: debootstrap %s from %s\n", o->path, suite,
			mirror);
	chmod(dir, 0755);
	include = xasprintf("--include=systemd-sysv,iproute2%s",
			    o->ssh_key ? ",openssh-server" : "");
	if (o->cache) {
		if (mkdir_p(o->cache, 0755) < 0) {
			err_sys(e, "-cache %s", o->cache);
			goto out;
		}
		cache = xasprintf("--cache-dir=%s", o->cache);
	}
	{
		char *argv[8];
		int n = 0;

		argv[n++] = DEBOOTSTRAP;
		argv[n++] = "--variant=minbase";
		argv[n++] = include;
		if (cache)
			argv[n++] = cache;
		argv[n++] = suite;
		argv[n++] = (char *)dir;
		argv[n++] = mirror;
		argv[n] = NULL;
		st = run_tool(o, argv, &tail, e);
	}
	if (st < 0)
		goto out;
	if (image_interrupted(o, e))
		goto out;
	if (st != 0) {
		err_set(e, "debootstrap %s from %s failed (exit %d): %s", suite, mirror,
			st, last_line(&tail));
		goto out;
	}
	image_progress(o, "making it a guest of umlmon");
	rc = fix_tree(o, dir, e);
out:
	sb_free(&tail);
	free(cache);
	free(include);
	free(mirror);
	free(suite);
	return rc;
}
