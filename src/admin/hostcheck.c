/* hostcheck.c -- the rows of umladmin check (see hostcheck.h): a table of
 * named checks, one function each, for the host and for every VM. */
#include "admin/hostcheck.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/names.h"
#include "common/paths.h"
#include "disk/disk.h"
#include "disk/precheck.h"
#include "host/elfdeps.h"
#include "host/hostnet_query.h"
#include "host/jail.h"
#include "host/vmuser.h"
#include "umladmin/admin.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const struct table_col cols[] = {
	{"CHECK", "check"},
	{"VM", "vm"},
	{"VERDICT", "verdict"},
	{"REASON", "reason"},
};

static const char *const verdicts[] = {"ok", "warn", "FAIL"};

const char *hc_verdict_name(enum hc_verdict v)
{
	return verdicts[v];
}

struct hc {
	const struct config *cfg;
	struct table *t;
	struct hc_counts *n;
	const char *check;             /* the row's check and VM */
	const char *vm;
	uint64_t mem_total, mem_avail; /* bytes; 0: unknown */
};

static void row(struct hc *c, enum hc_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void row(struct hc *c, enum hc_verdict v, const char *fmt, ...)
{
	char text[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->n->fail += v == HC_FAIL;
	c->n->warn += v == HC_WARN;
	table_str(c->t, c->check);
	table_str(c->t, c->vm);
	table_str(c->t, verdicts[v]);
	table_str(c->t, text);
}

/* "23.4 GiB" */
static const char *human(uint64_t bytes, char *buf, size_t n)
{
	if (bytes >= (1ULL << 30))
		snprintf(buf, n, "%.1f GiB", (double)bytes / (double)(1ULL << 30));
	else
		snprintf(buf, n, "%llu MiB", (unsigned long long)(bytes >> 20));
	return buf;
}

/* ---- the host ---------------------------------------------------------- */

/* The monitors make their jails in the state dir and read images and
 * kernels from the shared dir as root: a directory others may write lets
 * them swap what root opens. */
static void check_dir(struct hc *c, const char *what, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		row(c, HC_FAIL, "%s %s: %s%s", what, dir, strerror(errno),
		    errno == ENOENT ? " (run 'umladmin setup')" : "");
	else if (!S_ISDIR(st.st_mode))
		row(c, HC_FAIL, "%s %s: not a directory", what, dir);
	else if (st.st_uid != 0)
		row(c, HC_FAIL, "%s %s: owned by uid %u, not root", what, dir,
		    (unsigned)st.st_uid);
	else if (st.st_mode & S_IWOTH)
		row(c, HC_FAIL, "%s %s: writable by others (mode %04o)", what, dir,
		    (unsigned)(st.st_mode & 07777));
	else if ((st.st_mode & S_IWGRP) && st.st_gid != 0)
		row(c, HC_WARN, "%s %s: writable by group %u (mode %04o)", what, dir,
		    (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777));
	else
		row(c, HC_OK, "%s %s: a directory of root's, mode %04o", what, dir,
		    (unsigned)(st.st_mode & 07777));
}

static void check_statedir(struct hc *c)
{
	check_dir(c, "state dir", c->cfg->global.vardir);
}

static void check_shareddir(struct hc *c)
{
	check_dir(c, "shared dir", c->cfg->global.shared);
}

/* Each jail's /tmp is a tmpfs the monitor mounts (UML maps its memory
 * file there, executable); the jail itself, with the kernel's loader and
 * libraries, lives in the state dir, which must allow exec. */
static void check_tmpfs(struct hc *c)
{
	char *fs = read_file("/proc/filesystems", 65536, NULL);
	char *dir = xstrdup(c->cfg->global.vardir), *slash;
	struct statvfs sv;
	int tmpfs = fs && strstr(fs, "\ttmpfs\n");

	free(fs);
	/* a state dir not made yet gets its parent's file system */
	while (statvfs(dir, &sv) < 0 && errno == ENOENT &&
	       (slash = strrchr(dir, '/')) && slash > dir)
		*slash = '\0';
	if (!tmpfs)
		row(c, HC_FAIL, "tmpfs: not in /proc/filesystems; the jails' /tmp "
		    "(the guests' memory) cannot be mounted");
	else if (statvfs(dir, &sv) < 0)
		row(c, HC_FAIL, "state dir %s: %s", dir, strerror(errno));
	else if (sv.f_flag & ST_NOEXEC)
		row(c, HC_FAIL, "state dir %s: on a noexec mount; the kernel's "
		    "loader and libraries in the jails cannot run", dir);
	else
		row(c, HC_OK, "tmpfs available for the jails' /tmp; state dir %s "
		    "allows exec", dir);
	free(dir);
}

static int has_tap(const struct config *cfg)
{
	for (int i = 0; i < cfg->nvms; i++)
		for (int k = 0; k < cfg->vms[i].nnics; k++)
			if (cfg->vms[i].nics[k].kind != NIC_SWITCHED &&
			    cfg->vms[i].start != START_OFF)
				return 1;
	return 0;
}

static void check_tun(struct hc *c)
{
	int need = has_tap(c->cfg);
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		row(c, HC_OK, "/dev/net/tun: opens%s", need ? "" :
		    " (no VM has a tap NIC)");
	} else {
		row(c, need ? HC_FAIL : HC_WARN, "/dev/net/tun: %s%s", strerror(errno),
		    need ? "; the VMs' tap NICs cannot be made" :
		    " (no VM has a tap NIC yet)");
	}
}

/* What the tracer process tells by its exit status. */
enum { TR_OK, TR_DROP, TR_FORK, TR_TRACEME, TR_NOSTOP, TR_DETACH, TR_END };

static const char *const tracer_says[] = {
	[TR_DROP] = "could not become the vmuser",
	[TR_FORK] = "fork failed",
	[TR_TRACEME] = "PTRACE_TRACEME refused",
	[TR_NOSTOP] = "the traced child did not stop",
	[TR_DETACH] = "PTRACE_DETACH failed",
	[TR_END] = "the child did not end after the detach",
};

/* As the kernel does it in its jail: a process of the vmuser, without
 * privileges, traces its own child (UML runs every guest process so). */
static int tracer(uid_t uid, gid_t gid)
{
	int st;
	pid_t p;

	if (geteuid() == 0 &&
	    (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0))
		return TR_DROP;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	p = fork();
	if (p < 0)
		return TR_FORK;
	if (p == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(p, &st, 0) != p || !WIFSTOPPED(st)) {
		kill(p, SIGKILL);
		waitpid(p, &st, 0);
		return WIFEXITED(st) && WEXITSTATUS(st) == 1 ? TR_TRACEME : TR_NOSTOP;
	}
	if (ptrace(PTRACE_DETACH, p, NULL, NULL) < 0) {
		kill(p, SIGKILL);
		waitpid(p, &st, 0);
		return TR_DETACH;
	}
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		return TR_END;
	return TR_OK;
}

static void check_ptrace(struct hc *c)
{
	char *scope = read_file("/proc/sys/kernel/yama/ptrace_scope", 64, NULL);
	char yama[64];
	uid_t uid = 65534;
	gid_t gid = 65534;
	int st = 0;
	pid_t p;

	snprintf(yama, sizeof(yama), "Yama ptrace_scope %d", scope ? atoi(scope) : -1);
	if (!scope)
		snprintf(yama, sizeof(yama), "no Yama");
	free(scope);
	for (int i = 0; i < c->cfg->nvms; i++)
		if (!c->cfg->vms[i].nerrors) {
			/* a VM without a uid yet gets the range's */
			uid = c->cfg->vms[i].uid != (uid_t)-1 ? c->cfg->vms[i].uid :
			      c->cfg->global.uid_first;
			gid = (gid_t)uid;
			if (c->cfg->vms[i].uid != (uid_t)-1)
				gid = c->cfg->vms[i].gid;
			break;
		}
	fflush(NULL);
	p = fork();
	if (p == 0)
		_exit(tracer(uid, gid));
	if (p < 0 || waitpid(p, &st, 0) != p) {
		row(c, HC_FAIL, "ptrace: could not fork a tracer: %s", strerror(errno));
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == TR_OK)
		row(c, HC_OK, "ptrace: uid %u traces its child (%s)", (unsigned)uid, yama);
	else if (WIFEXITED(st) && (size_t)WEXITSTATUS(st) < ARRAY_SIZE(tracer_says))
		row(c, HC_FAIL, "ptrace: as uid %u: %s (%s); UML cannot run its "
		    "guests' processes", (unsigned)uid, tracer_says[WEXITSTATUS(st)],
		    yama);
	else
		row(c, HC_FAIL, "ptrace: the tracer ended with status %#x (%s)",
		    (unsigned)st, yama);
}

/* A controllers file's words, comma separated. */
static void controllers(const char *file, struct strbuf *sb)
{
	char *s = read_file(file, 4096, NULL), *save = NULL;

	for (char *w = s ? strtok_r(s, " \n", &save) : NULL; w;
	     w = strtok_r(NULL, " \n", &save))
		sb_printf(sb, "%s%s", sb->len ? "," : "", w);
	if (!sb->len)
		sb_puts(sb, "none");
	free(s);
}

/* The monitors use no cgroup yet: which hierarchy there is, for whoever
 * limits the VMs by hand. */
static void check_cgroups(struct hc *c)
{
	static const char *const v1[] = {"memory", "cpu", "pids"};
	struct strbuf sb;
	struct statfs sf;
	int n1 = 0;

	sb_init(&sb);
	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
		controllers("/sys/fs/cgroup/cgroup.controllers", &sb);
		row(c, HC_OK, "cgroups: v2 at /sys/fs/cgroup, controllers %s", sb.buf);
		sb_free(&sb);
		return;
	}
	sb_puts(&sb, "cgroups: v1");
	for (size_t i = 0; i < ARRAY_SIZE(v1); i++) {
		char *d = xasprintf("/sys/fs/cgroup/%s", v1[i]);

		if (statfs(d, &sf) == 0 && sf.f_type == CGROUP_SUPER_MAGIC)
			sb_printf(&sb, "%s%s", n1++ ? "," : " ", v1[i]);
		free(d);
	}
	if (!n1)
		sb_puts(&sb, " none of memory, cpu, pids");
	if (statfs("/sys/fs/cgroup/unified", &sf) == 0 &&
	    sf.f_type == CGROUP2_SUPER_MAGIC) {
		struct strbuf ctl;

		sb_init(&ctl);
		controllers("/sys/fs/cgroup/unified/cgroup.controllers", &ctl);
		sb_printf(&sb, "; v2 at /sys/fs/cgroup/unified, controllers %s", ctl.buf);
		sb_free(&ctl);
		n1++;
	}
	if (n1)
		row(c, HC_OK, "%s", sb.buf);
	else
		row(c, HC_WARN, "cgroups: no hierarchy at /sys/fs/cgroup (neither v2 "
		    "nor v1 memory, cpu, pids); the VMs cannot be limited");
	sb_free(&sb);
}

static void read_meminfo(struct hc *c)
{
	char *info = read_file("/proc/meminfo", 65536, NULL), *p;
	unsigned long long kb;

	if (!info)
		return;
	if ((p = strstr(info, "MemTotal:")) && sscanf(p + 9, "%llu", &kb) == 1)
		c->mem_total = kb << 10;
	if ((p = strstr(info, "MemAvailable:")) && sscanf(p + 13, "%llu", &kb) == 1)
		c->mem_avail = kb << 10;
	free(info);
}

/* The VMs that may start (boot or manual) and do not run yet against what
 * the host has free: those that run hold theirs already. */
static void check_memory_sum(struct hc *c)
{
	uint64_t sum = 0;
	int n = 0;
	char a[32], b[32];

	for (int i = 0; i < c->cfg->nvms; i++) {
		const struct vm_conf *vm = &c->cfg->vms[i];
		struct admin_status st;

		if (vm->start == START_OFF || vm->nerrors)
			continue;
		admin_vm_status(c->cfg, vm, &st);
		if (st.orphan || (st.monitor && strcmp(st.state, "stopped") &&
				  strcmp(st.state, "crashed")))
			continue;
		sum += vm->memory;
		n++;
	}
	if (!c->mem_avail)
		row(c, HC_WARN, "memory: /proc/meminfo has no MemAvailable");
	else
		row(c, sum > c->mem_avail ? HC_WARN : HC_OK, "memory: %d stopped "
		    "VM%s that may start (boot, manual): %s; the host has %s "
		    "available", n, n == 1 ? "" : "s", human(sum, a, sizeof(a)),
		    human(c->mem_avail, b, sizeof(b)));
}

/* The inode of a TCP socket that listens on port in this network
 * namespace, or 0. */
static unsigned long listener(int port)
{
	static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	unsigned long found = 0;

	for (size_t f = 0; f < ARRAY_SIZE(files) && !found; f++) {
		char *s = read_file(files[f], 16 << 20, NULL), *save = NULL;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		for (char *l = s ? strtok_r(s, "\n", &save) : NULL; l && !found;
		     l = strtok_r(NULL, "\n", &save)) {
			char local[64];
			unsigned st, lport;
			unsigned long inode;

			if (sscanf(l, " %*s %63s %*s %x %*s %*s %*s %*s %*s %lu", local,
				   &st, &inode) == 3 && st == 0x0A &&
			    sscanf(strchr(local, ':') ? strchr(local, ':') + 1 : "",
				   "%x", &lport) == 1 && (int)lport == port)
				found = inode;
		}
		free(s);
	}
	return found;
}

/* The process that holds the socket of inode, or 0. */
static pid_t holder(unsigned long inode, char *comm, size_t n)
{
	char want[64];
	DIR *proc = opendir("/proc");
	struct dirent *d;
	pid_t found = 0;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (proc && !found && (d = readdir(proc))) {
		char path[300], link[64];
		DIR *fds;
		struct dirent *f;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", d->d_name);
		if (!(fds = opendir(path)))
			continue;
		while (!found && (f = readdir(fds))) {
			char fd[600];
			ssize_t r;

			snprintf(fd, sizeof(fd), "%s/%s", path, f->d_name);
			r = readlink(fd, link, sizeof(link) - 1);
			if (r > 0 && (link[r] = '\0', !strcmp(link, want)))
				found = (pid_t)atoi(d->d_name);
		}
		closedir(fds);
	}
	if (proc)
		closedir(proc);
	if (found) {
		char path[64], *s;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)found);
		s = read_file(path, 256, NULL);
		snprintf(comm, n, "%s", s ? s : "?");
		comm[strcspn(comm, "\n")] = '\0';
		free(s);
	}
	return found;
}

static void check_port(struct hc *c, const char *service, int port)
{
	unsigned long inode = listener(port);
	char comm[64];
	pid_t pid;

	if (!inode) {
		row(c, HC_OK, "port %d (%s): free", port, service);
		return;
	}
	pid = holder(inode, comm, sizeof(comm));
	if (pid && !strcmp(comm, "umldir"))
		row(c, HC_OK, "port %d (%s): held by umldir (pid %d)", port, service,
		    (int)pid);
	else if (pid)
		row(c, HC_FAIL, "port %d (%s): in use by pid %d (%s); umldir cannot "
		    "listen there", port, service, (int)pid, comm);
	else
		row(c, HC_FAIL, "port %d (%s): in use (a listener of no process seen "
		    "here); umldir cannot listen there", port, service);
}

static void check_ports(struct hc *c)
{
	check_port(c, "umldir", c->cfg->global.umldir_port);
	check_port(c, "umlredir", c->cfg->global.umlredir_port);
}

static const struct {
	const char *name;
	void (*run)(struct hc *c);
} host_checks[] = {
	{"statedir", check_statedir},
	{"shareddir", check_shareddir},
	{"tmpfs", check_tmpfs},
	{"tun", check_tun},
	{"ptrace", check_ptrace},
	{"cgroups", check_cgroups},
	{"memory", check_memory_sum},
	{"port", check_ports},
};

/* ---- each VM, as its start checks it ----------------------------------- */

/* Where the kernel is on the host: /shared is bound in the jail only while
 * a VM runs. Opened O_PATH, or -1 with errno. */
static int kernel_open(struct hc *c, const struct vm_conf *vm, char **host)
{
	struct jail j;
	struct err e;
	int fd = -1;

	if (!strncmp(vm->kernel, "/shared/", 8)) {
		*host = xasprintf("%s%s", c->cfg->global.shared, vm->kernel + 7);
		return open(*host, O_PATH | O_CLOEXEC);
	}
	if (jail_init(&j, c->cfg, vm, &e) == 0) {
		*host = xasprintf("%s%s", j.p.root, vm->kernel);
		fd = jail_open(&j, vm->kernel, O_PATH, &e);
	} else {
		*host = xasprintf("%s", vm->kernel);
		errno = ENOENT;
	}
	jail_free(&j);
	return fd;
}

/* There, executable by the vmuser, an ELF whose loader and libraries the
 * host has (the start copies them into the jail). */
static void check_kernel(struct hc *c, const struct vm_conf *vm)
{
	char *host = NULL, proc[64];
	struct elf_deps d;
	struct stat st;
	struct err e;
	int fd = kernel_open(c, vm, &host);

	if (fd < 0 && errno == ENOENT) {
		row(c, HC_FAIL, "kernel %s: not found (%s); install one with "
		    "'umladmin setup'", vm->kernel, host);
		goto out;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		row(c, HC_FAIL, "kernel %s: %s (%s)", vm->kernel, strerror(errno), host);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXOTH)) {
		row(c, HC_FAIL, "kernel %s: not an executable file the vmuser may "
		    "run (%s, mode %04o)", vm->kernel, host,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (elf_deps(proc, NULL, &d, &e) < 0) {
		const char *why = strncmp(e.msg, proc, strlen(proc)) ? e.msg :
				  e.msg + strlen(proc) + (e.msg[strlen(proc)] == ':' ? 2 : 0);

		row(c, HC_FAIL, "kernel %s (%s): %s", vm->kernel, host, why);
		goto out;
	}
	if (d.is_static)
		row(c, HC_OK, "kernel %s: an executable, static ELF (%s)", vm->kernel,
		    host);
	else
		row(c, HC_OK, "kernel %s: an executable ELF; its loader %s and %d "
		    "librar%s found (%s)", vm->kernel, d.v[0].host_path, d.n - 1,
		    d.n == 2 ? "y" : "ies", host);
	elf_deps_free(&d);
out:
	if (fd >= 0)
		close(fd);
	free(host);
}

/* Each disk on its own through the start's own check, so that every bad
 * disk is named, not only the first. */
static void check_disks(struct hc *c, const struct vm_conf *vm)
{
	struct vm_conf *one = xmalloc(sizeof(*one));
	struct disk_ctx dc;
	struct err e;

	if (disk_ctx_init(&dc, c->cfg, vm->name, &e) < 0) {
		row(c, HC_FAIL, "%s", e.msg);
		free(one);
		return;
	}
	for (int i = 0; i < vm->ndisks; i++) {
		const struct disk_conf *d = &vm->disks[i];
		struct stat st;

		*one = *vm;
		one->ndisks = 1;
		one->disks[0] = *d;
		if (!strncmp(d->path, "/disks/", 7) && stat(dc.disks, &st) < 0 &&
		    errno == ENOENT) {
			/* a VM that never started: its start makes the jail */
			if (!d->backing) {
				row(c, HC_FAIL, "ubd%d: %s: no such disk (%s does not "
				    "exist)", d->index, d->path, dc.disks);
				continue;
			}
		} else if (precheck_disks(&dc, one, &e) < 0) {
			row(c, HC_FAIL, "%s", e.msg);
			continue;
		}
		/* a missing COW is made by the kernel, over a backing file
		 * that must be there */
		if (d->backing && disk_check(&dc, d->backing, NULL, &e) < 0)
			row(c, HC_FAIL, "ubd%d: backing file: %s", d->index, e.msg);
		else
			row(c, HC_OK, "ubd%d: %s%s%s: there, no other kernel holds it",
			    d->index, d->path, d->backing ? " over " : "",
			    d->backing ? d->backing : "");
	}
	disk_ctx_free(&dc);
	free(one);
}

/* The kernel maps its memory from a sparse file in the jail's tmpfs: a
 * start never fails for want of memory, the guest does when it touches
 * more than the host can give. */
static void check_memory(struct hc *c, const struct vm_conf *vm)
{
	char a[32], b[32];

	if (c->mem_total && vm->memory > c->mem_total)
		row(c, HC_WARN, "memory %s is more than the host has (%s): the guest "
		    "fails when it uses more", human(vm->memory, a, sizeof(a)),
		    human(c->mem_total, b, sizeof(b)));
	else if (c->mem_avail && vm->memory > c->mem_avail)
		row(c, HC_WARN, "memory %s is more than the host has free now (%s "
		    "available)", human(vm->memory, a, sizeof(a)),
		    human(c->mem_avail, b, sizeof(b)));
	else
		row(c, HC_OK, "memory %s (the host has %s available)",
		    human(vm->memory, a, sizeof(a)), human(c->mem_avail, b, sizeof(b)));
}

/* As a start: the VM's user is its own, or vmuser_shared says so. A VM
 * that has no uid yet gets one at its first start. */
static void check_vmuser(struct hc *c, const struct vm_conf *vm)
{
	char user[96];
	struct err e;
	struct jail j;
	int rc;

	if (jail_init(&j, c->cfg, vm, &e) < 0) {
		row(c, HC_FAIL, "%s", e.msg);
		return;
	}
	rc = vmuser_check(c->cfg, vm, j.p.root, &e);
	jail_free(&j);
	if (rc < 0)
		row(c, HC_FAIL, "%s", e.msg);
	else if (vm->uid == (uid_t)-1)
		row(c, HC_OK, "%s: a uid of vm_uid_range at its first start",
		    vm->vmuser);
	else
		row(c, vm->vmuser_shared ? HC_WARN : HC_OK, "%s%s",
		    vmuser_text(vm, user, sizeof(user)), vm->vmuser_shared ?
		    ": vmuser_shared = yes" : ": its own");
}

/* As vmnet.c's start: a tap name must be free, or a tap of the vmuser
 * left by an earlier boot (removed then); bridges and host interfaces
 * must exist. */
static void check_network(struct hc *c, const struct vm_conf *vm)
{
	for (int k = 0; k < vm->nnics; k++) {
		const struct nic_conf *n = &vm->nics[k];
		int bad = 0;
		uid_t owner;

		if (n->kind == NIC_SWITCHED) {
			row(c, HC_OK, "eth%d: switched (no host interface)", n->index);
			continue;
		}
		if (hostnet_tap_owner(n->proxy_if, &owner) && owner == vm->uid) {
			row(c, HC_WARN, "eth%d: proxy_if %s: a tap left by an earlier "
			    "boot; a start removes it", n->index, n->proxy_if);
			bad = 1;
		} else if (hostnet_link_exists(n->proxy_if)) {
			char user[96];

			row(c, HC_FAIL, "eth%d: proxy_if %s: already exists and is not a "
			    "tap of vmuser %s; a start refuses it", n->index,
			    n->proxy_if, vmuser_text(vm, user, sizeof(user)));
			bad = 1;
		}
		if (n->kind == NIC_BRIDGED && !hostnet_link_exists(n->bridge_if)) {
			row(c, HC_FAIL, "eth%d: bridge_if %s: no such interface (the "
			    "bridge must exist)", n->index, n->bridge_if);
			bad = 1;
		}
		if (n->kind == NIC_HOST_TO_HOST && n->host_if[0] &&
		    !hostnet_link_exists(n->host_if)) {
			row(c, HC_FAIL, "eth%d: host_if %s: no such interface", n->index,
			    n->host_if);
			bad = 1;
		}
		if (!bad)
			row(c, HC_OK, "eth%d: proxy_if %s free%s%s", n->index, n->proxy_if,
			    n->kind == NIC_BRIDGED ? ", bridge " : "",
			    n->kind == NIC_BRIDGED ? n->bridge_if : "");
	}
}

/* What a start of a stopped VM checks, in its order. */
static const struct {
	const char *name;
	void (*run)(struct hc *c, const struct vm_conf *vm);
} vm_checks[] = {
	{"vmuser", check_vmuser},
	{"kernel", check_kernel},
	{"disk", check_disks},
	{"memory", check_memory},
	{"nic", check_network},
};

/* ---- the table -------------------------------------------------------- */

static void check_config(struct hc *c)
{
	const struct config *cfg = c->cfg;

	for (int i = 0; i < cfg->nerrors; i++) {
		const char *sec = cfg->error_sections[i];

		c->vm = *sec && strcmp(sec, "GLOBAL") ? sec : NULL;
		row(c, HC_FAIL, "%s", cfg->errors[i]);
	}
	c->vm = NULL;
	if (!cfg->nerrors)
		row(c, HC_OK, "%s: %d VM%s, no errors", cfg->path, cfg->nvms,
		    cfg->nvms == 1 ? "" : "s");
}

static void check_vm(struct hc *c, const struct vm_conf *vm)
{
	struct admin_status s;

	admin_vm_status(c->cfg, vm, &s);
	c->check = "state";
	if (s.orphan) {
		row(c, HC_FAIL, "pid %d of an earlier run still lives in its jail and "
		    "has no monitor; starting its monitor re-attaches to it",
		    (int)s.orphan);
		return;
	}
	if (s.monitor && strcmp(s.state, "stopped") && strcmp(s.state, "crashed")) {
		row(c, HC_OK, "%s; its disks and taps are its own now and not "
		    "checked", s.state);
		return;
	}
	for (size_t k = 0; k < ARRAY_SIZE(vm_checks); k++) {
		c->check = vm_checks[k].name;
		vm_checks[k].run(c, vm);
	}
}

void hostcheck_table(const struct config *cfg, struct table *t,
		     struct hc_counts *n)
{
	struct hc c = {.cfg = cfg, .t = t, .n = n};

	memset(n, 0, sizeof(*n));
	table_init(t, cols, (int)ARRAY_SIZE(cols));
	read_meminfo(&c);
	c.check = "config";
	check_config(&c);
	for (size_t k = 0; k < ARRAY_SIZE(host_checks); k++) {
		c.check = host_checks[k].name;
		host_checks[k].run(&c);
	}
	for (int i = 0; i < cfg->nvms; i++) {
		if (cfg->vms[i].nerrors)
			continue; /* its config errors are rows already */
		c.vm = cfg->vms[i].name;
		check_vm(&c, &cfg->vms[i]);
	}
}
