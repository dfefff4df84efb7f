/* seccompprobe -- run by the jail helper in place of the kernel
 * (jail_seccomp, through jailrun), it makes each call the seccomp filter
 * refuses, with arguments that an unprivileged process without the
 * filter gets some other answer for ("free" rows: success or another
 * errno) or that need a privilege anyway ("priv" rows), and calls the
 * filter must let through, as UML makes them. One line each on stdout:
 * "NAME RESULT KIND", RESULT "ok" or the errno's name. Each call is made
 * in a child of its own, so that one that works (unshare of a user
 * namespace) does not change what the next ones get.
 * Linked statically and without sanitizers: the jail has no libraries
 * for it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "umljail/seccomp.h" /* the numbers some headers lack */

#define BAD ((void *)1) /* a pointer the kernel faults on */

/* fork()-like clone with flags; the child ends at once. */
static long clone_with(unsigned long flags)
{
	long r = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);

	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r < 0 ? -1 : 0;
}

static long do_mount(void) { return syscall(SYS_mount, "none", BAD, "tmpfs", 0, NULL); }
static long do_umount2(void) { return syscall(SYS_umount2, BAD, 0); }
static long do_pivot_root(void) { return syscall(SYS_pivot_root, BAD, BAD); }
static long do_open_tree(void) { return syscall(SYS_open_tree, -1, BAD, 0); }
static long do_fsopen(void) { return syscall(SYS_fsopen, BAD, 0); }
static long do_statmount(void) { return syscall(__NR_statmount, NULL, NULL, 0, 0); }
static long do_listmount(void) { return syscall(__NR_listmount, NULL, NULL, 0, 0); }
static long do_unshare(void) { return syscall(SYS_unshare, 0); }
static long do_unshare_user(void) { return syscall(SYS_unshare, CLONE_NEWUSER); }
static long do_setns(void) { return syscall(SYS_setns, -1, 0); }
static long do_clone_user(void) { return clone_with(CLONE_NEWUSER); }
static long do_clone_net(void) { return clone_with(CLONE_NEWNET); }
static long do_clone3(void) { return syscall(SYS_clone3, NULL, 0); }
static long do_init_module(void) { return syscall(SYS_init_module, NULL, 0, ""); }
static long do_finit_module(void) { return syscall(SYS_finit_module, -1, "", 0); }
static long do_kexec_load(void) { return syscall(SYS_kexec_load, 0, 0, NULL, 0); }
static long do_bpf(void) { return syscall(SYS_bpf, 0x7fff, NULL, 0); }
static long do_perf(void) { return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0); }
static long do_add_key(void)
{
	return syscall(SYS_add_key, "user", "umlmon-probe", "x", 1,
		       KEY_SPEC_PROCESS_KEYRING);
}
static long do_keyctl(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1);
}
static long do_request_key(void)
{
	return syscall(SYS_request_key, "user", "umlmon-none", NULL, 0);
}
static long do_userfaultfd(void) { return syscall(SYS_userfaultfd, 1 /* user mode only */); }
static long do_io_uring(void) { return syscall(SYS_io_uring_setup, 0, NULL); }
static long do_name_to_handle(void)
{
	struct { unsigned int bytes; int type; } h = {0, 0};
	int mnt;

	return syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &h, &mnt, 0);
}
static long do_open_by_handle(void) { return syscall(SYS_open_by_handle_at, -1, NULL, 0); }
static long do_process_vm_readv(void)
{
	return syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0);
}
static long do_kcmp(void) { return syscall(SYS_kcmp, getpid(), getpid(), 0, 0, 0); }
static long do_pidfd_getfd(void) { return syscall(SYS_pidfd_getfd, -1, 0, 0); }
static long do_ptrace_attach(void) { return syscall(SYS_ptrace, PTRACE_ATTACH, 99999999, 0, 0); }
static long do_ptrace_seize(void) { return syscall(SYS_ptrace, PTRACE_SEIZE, 99999999, 0, 0); }
static long do_reboot(void) { return syscall(SYS_reboot, 0, 0, 0, NULL); }
static long do_swapon(void) { return syscall(SYS_swapon, BAD, 0); }
static long do_acct(void) { return syscall(SYS_acct, NULL); }
static long do_settimeofday(void) { return syscall(SYS_settimeofday, NULL, NULL); }
static long do_clock_settime(void) { return syscall(SYS_clock_settime, -1, NULL); }
static long do_syslog(void) { return syscall(SYS_syslog, 0x7fff, NULL, 0); }
static long do_iopl(void) { return syscall(SYS_iopl, 0); }

/* What UML does and must still work: its calls on the x86_64 ABI. */
static long do_getpid(void) { return syscall(SYS_getpid) > 0 ? 0 : -1; }
static long do_fork(void) { return clone_with(0); }
static long do_mmap(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) < 0)
		return -1;
	return munmap(p, 4096);
}
/* a child that asks to be traced, stopped and continued: UML's stubs */
static long do_ptrace_child(void)
{
	int st;
	pid_t c = fork();

	if (c < 0)
		return -1;
	if (c == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(c, &st, 0) < 0 || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_CONT, c, NULL, NULL) < 0 || waitpid(c, &st, 0) < 0)
		return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		errno = ECHILD;
		return -1;
	}
	return 0;
}
static long do_timer(void)
{
	timer_t t;
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};

	return syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &t);
}

static const struct row {
	const char *name;
	long (*call)(void);
	const char *kind; /* free, priv (without the filter), allowed */
} rows[] = {
	{"mount", do_mount, "free"},
	{"umount2", do_umount2, "priv"},
	{"pivot_root", do_pivot_root, "priv"},
	{"open_tree", do_open_tree, "free"},
	{"fsopen", do_fsopen, "priv"},
	{"statmount", do_statmount, "free"},
	{"listmount", do_listmount, "free"},
	{"unshare", do_unshare, "free"},
	{"unshare-user", do_unshare_user, "priv"},
	{"setns", do_setns, "free"},
	{"clone-newuser", do_clone_user, "priv"},
	{"clone-newnet", do_clone_net, "priv"},
	{"clone3", do_clone3, "free"},
	{"init_module", do_init_module, "priv"},
	{"finit_module", do_finit_module, "priv"},
	{"kexec_load", do_kexec_load, "priv"},
	{"bpf", do_bpf, "free"},
	{"perf_event_open", do_perf, "free"},
	{"add_key", do_add_key, "free"},
	{"keyctl", do_keyctl, "free"},
	{"request_key", do_request_key, "free"},
	{"userfaultfd", do_userfaultfd, "free"},
	{"io_uring_setup", do_io_uring, "free"},
	{"name_to_handle_at", do_name_to_handle, "free"},
	{"open_by_handle_at", do_open_by_handle, "priv"},
	{"process_vm_readv", do_process_vm_readv, "free"},
	{"kcmp", do_kcmp, "free"},
	{"pidfd_getfd", do_pidfd_getfd, "free"},
	{"ptrace-attach", do_ptrace_attach, "free"},
	{"ptrace-seize", do_ptrace_seize, "free"},
	{"reboot", do_reboot, "priv"},
	{"swapon", do_swapon, "priv"},
	{"acct", do_acct, "priv"},
	{"settimeofday", do_settimeofday, "priv"},
	{"clock_settime", do_clock_settime, "free"},
	{"syslog", do_syslog, "priv"},
	{"iopl", do_iopl, "priv"},
	{"getpid", do_getpid, "allowed"},
	{"fork", do_fork, "allowed"},
	{"mmap", do_mmap, "allowed"},
	{"ptrace-child", do_ptrace_child, "allowed"},
	{"timer_create", do_timer, "allowed"},
};

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		pid_t c = fork();
		int st;

		if (c < 0)
			return 1;
		if (c == 0) {
			long r;

			errno = 0;
			r = rows[i].call();
			printf("%s %s %s\n", rows[i].name,
			       r < 0 ? strerrorname_np(errno) : "ok", rows[i].kind);
			_exit(0);
		}
		if (waitpid(c, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	return 0;
}
