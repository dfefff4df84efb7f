/* jailer.c -- the jail helper: one linear sequence of named steps that
 * turns the process the monitor executed into the jailed watcher of a UML
 * kernel. The monitor (jail.c) starts it with a fixed layout of
 * descriptors (jailmsg.h) and a message on fd 0; each step that fails is
 * reported on the status pipe as "error STEP: cause", and the kernel is
 * never started. Then it watches: "kernel PID" once the kernel was
 * executed, "exit STATUS" when it ends. It keeps a copy of each console's
 * pty master for the kernel's life (it never reads them), so that the
 * consoles outlive a monitor that dies or re-executes itself, and hands
 * them over, with the kernel's pid, to the next monitor that connects to
 * its hand-over socket; that connection then carries the status lines.
 *
 * It is a program of its own, not a fork of the monitor: the monitor has
 * threads (the log writer, disk jobs), and a child of a threaded process
 * may not safely call most of libc (malloc, stdio, libcap-ng) before it
 * executes something. Here every step runs in a fresh process that links
 * only libc and libcap-ng.
 *
 * Built with UMLJAIL_FAULTS (tests only, never installed), it fails the
 * step the message names; without it, a message that names one is
 * refused as a whole, so the installed helper has no way to skip a step. */
#include "umljail/jailer.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/jailmsg.h"
#include "umljail/seccomp.h"

struct jailer {
	struct jail_msg m;
	const char *what;      /* the object of the step that failed, or NULL */
	char buf[128];         /* room for what */
	int check[2];          /* the kernel's exec check: EOF once it ran */
	int listen_fd;         /* the hand-over socket, or -1 */
	pid_t kernel;
};

struct step {
	const char *name;
	int (*run)(struct jailer *J);  /* -1 with errno */
};

/* A failure the kernel's child sends to the watcher. */
struct kernel_failure {
	int step;
	int err;
};

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One status line to the monitor (a newline in it would end the line). */
static void report(const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	for (int i = 0; i < n; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	line[n++] = '\n';
	if (write_all(JAIL_FD_STATUS, line, (size_t)n) < 0) {
		/* the monitor is gone; nothing to tell */
	}
}

static void __attribute__((noreturn))
failed(const char *step, const char *what, int err)
{
	report("error %s: %s%s%s", step, what ? what : "", what ? ": " : "",
	       strerror(err));
	_exit(1);
}

#ifdef UMLJAIL_FAULTS
#define FAULTS 1
/* The step the message names fails, before it is run. */
static int injected(const struct jailer *J, const char *step)
{
	if (strcmp(J->m.fail, step))
		return 0;
	errno = ECANCELED;
	return 1;
}
#else
#define FAULTS 0
static int injected(const struct jailer *J, const char *step)
{
	(void)J;
	(void)step;
	return 0;
}
#endif

/* ---- the watcher's steps, in order ---------------------------------- */

/* Into the VM's cgroup before anything else: the kernel and every host
 * process it makes are counted and limited from the start. */
static int join_cgroup(struct jailer *J)
{
	for (int i = 0; i < J->m.ncgroups; i++) {
		int fd = open(J->m.cgroups[i], O_WRONLY | O_CLOEXEC);

		J->what = J->m.cgroups[i];
		if (fd < 0)
			return -1;
		if (write(fd, "0", 1) != 1) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* The kernel's descriptors and the masters to keep are there;
 * everything else is closed, the message's fd becomes /dev/null (0, 1 and
 * 2 stay taken). */
static int close_fds(struct jailer *J)
{
	int top = JAIL_FD_KERNEL + J->m.nfds + J->m.nkeep;

	for (int fd = JAIL_FD_KERNEL; fd < top; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			if (fd < JAIL_FD_KERNEL + J->m.nfds)
				snprintf(J->buf, sizeof(J->buf), "the kernel's "
					 "descriptor %d", fd - JAIL_FD_KERNEL);
			else
				snprintf(J->buf, sizeof(J->buf), "the master of %s",
					 J->m.keep[fd - JAIL_FD_KERNEL - J->m.nfds]);
			J->what = J->buf;
			return -1;
		}
	if (dup2(JAIL_FD_NULL, JAIL_FD_MSG) < 0)
		return -1;
	return close_range((unsigned)top, ~0u, 0);
}

static int new_session(struct jailer *J)
{
	(void)J;
	return setsid() < 0 ? -1 : 0;
}

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Mount, PID, IPC, UTS of its own; cgroup too, after the helper joined
 * its cgroup (the kernel sees it as /); time, which takes effect for the
 * kernel forked later (UML boots in it: its clocks are the host's, with
 * no offsets set). A network namespace of its own (only a loopback,
 * down) when the message says the VM has no interface; the user
 * namespace stays the monitor's: see umlmon(8) "Namespaces". */
static int new_namespaces(struct jailer *J)
{
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
		    CLONE_NEWCGROUP | CLONE_NEWTIME;

	if (J->m.own_net)
		flags |= CLONE_NEWNET;
	return unshare(flags);
}

/* Nothing mounted from here on reaches the host's namespace. */
static int private_mounts(struct jailer *J)
{
	J->what = "/";
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

/* pivot_root needs the new root to be a mount point. */
static int bind_jail(struct jailer *J)
{
	J->what = J->m.root;
	return mount(J->m.root, J->m.root, NULL, MS_BIND | MS_REC, NULL);
}

static int enter_jail(struct jailer *J)
{
	J->what = J->m.root;
	return chdir(J->m.root);
}

/* The old root goes under the new one, at the same place ("."). */
static int pivot(struct jailer *J)
{
	J->what = J->m.root;
	return (int)syscall(SYS_pivot_root, ".", ".");
}

static int detach_old_root(struct jailer *J)
{
	(void)J;
	return umount2(".", MNT_DETACH);
}

static int chdir_root(struct jailer *J)
{
	J->what = "/";
	return chdir("/");
}

static int set_hostname(struct jailer *J)
{
	if (!J->m.hostname[0])
		return 0;
	J->what = J->m.hostname;
	return sethostname(J->m.hostname, strlen(J->m.hostname));
}

/* The configured limits, soft and hard alike (the vmuser cannot raise
 * them again). RLIMIT_NPROC counts every process of the vmuser's uid on
 * the host, not only this VM's. */
static int set_rlimits(struct jailer *J)
{
	static const struct { int res; const char *name; } lim[LIMIT_COUNT] = {
		[LIMIT_NOFILE] = {RLIMIT_NOFILE, "RLIMIT_NOFILE"},
		[LIMIT_NPROC] = {RLIMIT_NPROC, "RLIMIT_NPROC"},
		[LIMIT_CORE] = {RLIMIT_CORE, "RLIMIT_CORE"},
		[LIMIT_MEMLOCK] = {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"},
	};

	for (int i = 0; i < LIMIT_COUNT; i++) {
		uint64_t v = J->m.limits[i];
		struct rlimit r;

		r.rlim_cur = r.rlim_max = v == UMLMON_LIMIT_INFINITY ?
					  RLIM_INFINITY : (rlim_t)v;
		if (setrlimit(lim[i].res, &r) < 0) {
			if (v == UMLMON_LIMIT_INFINITY)
				snprintf(J->buf, sizeof(J->buf), "%s unlimited",
					 lim[i].name);
			else
				snprintf(J->buf, sizeof(J->buf), "%s %llu", lim[i].name,
					 (unsigned long long)v);
			J->what = J->buf;
			return -1;
		}
	}
	return 0;
}

/* To the vmuser, no supplementary groups, no capabilities, an empty
 * bounding set. */
static int drop_privileges(struct jailer *J)
{
	int r;

	snprintf(J->buf, sizeof(J->buf), "to uid %u, gid %u", (unsigned)J->m.uid,
		 (unsigned)J->m.gid);
	J->what = J->buf;
	capng_clear(CAPNG_SELECT_BOTH);
	errno = 0;
	r = capng_change_id((int)J->m.uid, (int)J->m.gid,
			    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (r < 0 && !errno)
		errno = EPERM;
	return r < 0 ? -1 : 0;
}

static int no_new_privs(struct jailer *J)
{
	(void)J;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The deny list (seccomp.c), inherited by the kernel and every process
 * it makes; after no_new_privs, which lets an unprivileged process set
 * it. The watcher carries it too: it only waits and reports. */
static int seccomp_filter(struct jailer *J)
{
	if (!J->m.seccomp)
		return 0;
	J->what = "the filter";
	return seccomp_install();
}

static int refuse(struct jailer *J, const char *what)
{
	J->what = what;
	errno = EPERM;
	return -1;
}

/* Asks the kernel, not libcap-ng's idea of it: the ids, the groups, the
 * capability sets (effective, permitted, inheritable, bounding, ambient),
 * no_new_privs and the seccomp mode. */
static int verify(struct jailer *J)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -1;
	if (ru != J->m.uid || eu != J->m.uid || su != J->m.uid)
		return refuse(J, "a user id is not the vmuser's");
	if (rg != J->m.gid || eg != J->m.gid || sg != J->m.gid)
		return refuse(J, "a group id is not the vmuser's");
	if (getgroups(0, NULL) != 0)
		return refuse(J, "supplementary groups left");
	if (syscall(SYS_capget, &hdr, caps) < 0)
		return -1;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (caps[i].effective || caps[i].permitted || caps[i].inheritable)
			return refuse(J, "capabilities left");
	for (int cap = 0;; cap++) {
		int b = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (b < 0)
			break; /* past the last capability */
		if (b > 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
			return refuse(J, "capabilities left in the bounding or "
				      "ambient set");
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return refuse(J, "no_new_privs is not set");
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != (J->m.seccomp ? 2 : 0))
		return refuse(J, J->m.seccomp ? "the seccomp filter is not in place" :
			      "a seccomp mode the message did not ask for");
	return 0;
}

/* The socket a new monitor fetches the kernel's pid and the masters
 * from (see watch()); made as the vmuser in the jail's tmp, mode 0600,
 * so that it is reached from the host beneath the jail. */
static int handover_socket(struct jailer *J)
{
	struct sockaddr_un sa;
	int fd, saved;

	J->listen_fd = -1;
	if (!J->m.handover[0])
		return 0;
	J->what = J->m.handover;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(J->m.handover) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, J->m.handover);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(J->m.handover);
	if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	J->listen_fd = fd;
	return 0;
}

static void __attribute__((noreturn)) run_kernel(struct jailer *J);

/* The kernel, PID 1 of the new PID namespace. */
static int fork_kernel(struct jailer *J)
{
	if (pipe2(J->check, O_CLOEXEC) < 0)
		return -1;
	J->kernel = fork();
	if (J->kernel < 0)
		return -1;
	if (J->kernel == 0)
		run_kernel(J);
	close(J->check[1]);
	/* the kernel's alone: a pty's master sees EIO when the kernel ends
	 * (the masters the watcher keeps do not count: only slaves do) */
	for (int i = 0; i < J->m.nfds; i++)
		close(JAIL_FD_KERNEL + i);
	return 0;
}

static const struct step steps[] = {
	{"cgroup", join_cgroup},
	{"close-fds", close_fds},
	{"setsid", new_session},
	{"unshare", new_namespaces},
	{"private-mounts", private_mounts},
	{"bind-jail", bind_jail},
	{"enter-jail", enter_jail},
	{"pivot-root", pivot},
	{"detach-old-root", detach_old_root},
	{"chdir-root", chdir_root},
	{"hostname", set_hostname},
	{"rlimits", set_rlimits},
	{"drop-privileges", drop_privileges},
	{"no-new-privs", no_new_privs},
	{"seccomp", seccomp_filter},
	{"verify", verify},
	{"handover-socket", handover_socket},
	{"fork-kernel", fork_kernel},
};

/* ---- the kernel's steps, in its own process ------------------------- */

static int kernel_session(struct jailer *J)
{
	(void)J;
	return setsid() < 0 ? -1 : 0;
}

/* If the watcher dies, the kernel halts (SIGTERM is halt in UML). */
static int parent_death(struct jailer *J)
{
	(void)J;
	return prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
}

/* The kernel's fd i is the helper's 3 + i; each is first moved above all
 * of them, then into place. The check pipe follows them, close-on-exec,
 * so that the exec closes it; nothing else stays open. */
static int kernel_fds(struct jailer *J)
{
	int n = J->m.nfds, high = JAIL_FD_KERNEL + n + 1, moved[JAILMSG_MAX_FDS];
	int c = fcntl(J->check[1], F_DUPFD_CLOEXEC, high);

	if (c < 0)
		return -1;
	J->check[1] = c;
	for (int i = 0; i < n; i++)
		if ((moved[i] = fcntl(JAIL_FD_KERNEL + i, F_DUPFD_CLOEXEC, high)) < 0)
			return -1;
	for (int i = 0; i < n; i++)
		if (dup2(moved[i], i) < 0)
			return -1;
	if (dup3(c, n, O_CLOEXEC) < 0)
		return -1;
	J->check[1] = n;
	return close_range((unsigned)n + 1, ~0u, 0);
}

/* UML puts the host's gap between its bss and the (randomized) heap start
 * into guest memory and must hold that gap's memory map in guest RAM: up
 * to 16 MiB here, which made small VMs fail at random. Without address
 * randomization the heap follows the bss and the gap is empty. */
static int kernel_no_randomize(struct jailer *J)
{
	(void)J;
	int cur = personality(0xffffffff);

	if (cur < 0)
		return -1;
	return personality((unsigned long)cur | ADDR_NO_RANDOMIZE) < 0 ? -1 : 0;
}

static int exec_kernel(struct jailer *J)
{
	J->what = J->m.argv[0];
	execve(J->m.argv[0], J->m.argv, J->m.envp);
	return -1;
}

static const struct step kernel_steps[] = {
	{"kernel-setsid", kernel_session},
	{"kernel-parent-death", parent_death},
	{"kernel-fds", kernel_fds},
	{"kernel-no-randomize", kernel_no_randomize},
	{"exec-kernel", exec_kernel},
};

static void __attribute__((noreturn)) run_kernel(struct jailer *J)
{
	struct kernel_failure f;

	close(J->check[0]);
	for (size_t i = 0; i < ARRAY_SIZE(kernel_steps); i++)
		if (injected(J, kernel_steps[i].name) || kernel_steps[i].run(J) < 0) {
			f.step = (int)i;
			f.err = errno;
			if (write(J->check[1], &f, sizeof(f)) < 0) {
				/* the watcher sees EOF and a dead child */
			}
			_exit(127);
		}
	_exit(127); /* exec_kernel returned 0: cannot be */
}

/* ---- the watcher ------------------------------------------------------ */

/* A monitor connected: only root's (a process of the vmuser's, the
 * guest's kernel among them, must never get the masters). It gets
 * "handover KPID NAME..." with the masters in that order, and from now on
 * the status lines: the connection takes the status pipe's place. */
static void hand_over(struct jailer *J, int c)
{
	int n = J->m.nkeep;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * JAILMSG_MAX_KEEP)];
	} ctl;
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	char line[64 + JAILMSG_MAX_KEEP * (JAILMSG_NAME_MAX + 1)];
	struct iovec iov;
	struct msghdr mh;
	size_t len;
	ssize_t r;

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 || cr.uid != 0) {
		close(c);
		return;
	}
	len = (size_t)snprintf(line, sizeof(line), "handover %d", (int)J->kernel);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s",
					J->m.keep[i]);
	line[len++] = '\n';
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = line;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (n) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = &ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		for (int i = 0; i < n; i++) {
			int fd = JAIL_FD_KERNEL + J->m.nfds + i;

			memcpy(CMSG_DATA(&ctl.h) + sizeof(int) * (size_t)i, &fd,
			       sizeof(fd));
		}
	}
	do
		r = sendmsg(c, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r == (ssize_t)len)
		dup2(c, JAIL_FD_STATUS);
	close(c);
}

/* Until the kernel ends: hands the masters over to each monitor that
 * connects (the kernel's end is seen through a pidfd). */
static void serve_handover(struct jailer *J)
{
	int pfd = (int)syscall(SYS_pidfd_open, J->kernel, 0);
	struct pollfd p[2];

	if (pfd < 0)
		return; /* no hand-over then: waitpid as before */
	p[0] = (struct pollfd){.fd = pfd, .events = POLLIN};
	p[1] = (struct pollfd){.fd = J->listen_fd, .events = POLLIN};
	for (;;) {
		int c;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (!(p[1].revents & POLLIN))
			continue;
		c = accept4(J->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			hand_over(J, c);
	}
	close(pfd);
	close(J->listen_fd);
	J->listen_fd = -1;
}

static void __attribute__((noreturn)) watch(struct jailer *J)
{
	struct kernel_failure f;
	ssize_t r;
	int st;

	do
		r = read(J->check[0], &f, sizeof(f));
	while (r < 0 && errno == EINTR);
	close(J->check[0]);
	if (r != 0) {
		/* anything but EOF: the kernel was not executed */
		int ok = r == (ssize_t)sizeof(f) && f.step >= 0 &&
			 f.step < (int)ARRAY_SIZE(kernel_steps);

		kill(J->kernel, SIGKILL);
		waitpid(J->kernel, &st, 0);
		if (!ok)
			failed("fork-kernel", "the kernel's process", EIO);
		failed(kernel_steps[f.step].name,
		       !strcmp(kernel_steps[f.step].name, "exec-kernel") ?
		       J->m.argv[0] : NULL, f.err);
	}
	report("kernel %d", (int)J->kernel);
	/* the monitor may die or re-execute itself: its status pipe may
	 * break, which must not end the watcher (nor so the kernel) */
	signal(SIGPIPE, SIG_IGN);
	if (J->listen_fd >= 0)
		serve_handover(J);
	while (waitpid(J->kernel, &st, 0) < 0)
		if (errno != EINTR)
			failed("wait-kernel", NULL, errno);
	report("exit %d", st);
	_exit(0);
}

/* The message on fd 0, read to its end. */
static int read_message(struct jailer *J, struct err *e)
{
	struct strbuf sb;
	char buf[65536];
	ssize_t r;
	int rc;

	sb_init(&sb);
	while ((r = read(JAIL_FD_MSG, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(e, "fd %d", JAIL_FD_MSG);
			sb_free(&sb);
			return -1;
		}
		sb_append(&sb, buf, (size_t)r);
		if (sb.len > JAILMSG_MAX)
			break;
	}
	rc = jailmsg_decode(sb.buf ? sb.buf : "", sb.len, &J->m, e);
	sb_free(&sb);
	return rc;
}

int jailer_main(int argc, char **argv)
{
	struct jailer J;
	struct err e;

	if (FAULTS && argc == 2 && !strcmp(argv[1], "--steps")) {
		for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
			printf("%s\n", steps[i].name);
		for (size_t i = 0; i < ARRAY_SIZE(kernel_steps); i++)
			printf("%s\n", kernel_steps[i].name);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: umljail (run by umlmon(8), not by hand)\n"
		       "       umljail -h | --help | -version | --version\n"
		       "The jail helper of umlmon(8), internal: for each boot the\n"
		       "monitor runs it with a message on its standard input; it\n"
		       "jails itself, starts the VM's UML kernel and watches it.\n\n"
		       "  -h, --help           this text\n"
		       "  -version, --version  the version\n");
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-version") || !strcmp(argv[1], "--version"))) {
		printf("umljail %s\n", UMLMON_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "umljail: the jail helper of umlmon(8) takes no "
			"arguments; the monitor runs it (--help says more)\n");
		return 2;
	}
	memset(&J, 0, sizeof(J));
	if (read_message(&J, &e) < 0) {
		report("error message: %s", e.msg);
		_exit(1);
	}
	if (J.m.fail[0] && !FAULTS) {
		report("error message: asks to fail the step '%s', which only a "
		       "helper built for tests does", J.m.fail);
		_exit(1);
	}
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		J.what = NULL;
		if (injected(&J, steps[i].name) || steps[i].run(&J) < 0)
			failed(steps[i].name, J.what, errno);
	}
	watch(&J);
}
