/* seccomp.c -- the seccomp filter the jail helper puts on itself before it
 * forks the kernel, so that the UML kernel and every host process it
 * makes (the ptrace stubs of its guests' address spaces, its helper
 * threads) carry it.
 *
 * A deny list, not an allow list: UML's needs were measured
 * (scripts/measure-syscalls, umlmon(8) "System calls") but differ with the
 * kernel's version and drivers, and a call missing from an allow list
 * breaks a guest in ways hard to tell; the calls refused here widen the
 * host's attack surface and no UML driver makes them. Refused calls
 * return EPERM, so that a UML that ever needed one fails with a message
 * instead of dying silently; clone3 returns ENOSYS (its flags are in
 * memory the filter cannot read, and ENOSYS makes libc fall back to
 * clone, whose flags it can). Another ABI (i386 or x32 calls from the
 * 64-bit process) kills the process: it is the classic way around a
 * filter, and UML never uses it.
 *
 * Raw BPF from a table of the headers' numbers: no library more in the
 * jailed helper. */
#include "umljail/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#ifdef __x86_64__

/* The x32 ABI's calls: the 64-bit arch with this bit in the number. */
#define X32_SYSCALL_BIT 0x40000000u
/* clone()'s flags that make a namespace (CLONE_NEWTIME only in clone3) */
#define CLONE_NEW_ANY (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | \
		       CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* The calls refused, with the group each belongs to. */
#define D(name, why) {__NR_##name, #name, why}
const struct seccomp_deny seccomp_denied[] = {
	D(mount, "mounts"),
	D(umount2, "mounts"),
	D(pivot_root, "mounts"),
	D(chroot, "mounts"),
	D(open_tree, "mounts"),
	D(move_mount, "mounts"),
	D(fsopen, "mounts"),
	D(fsconfig, "mounts"),
	D(fsmount, "mounts"),
	D(fspick, "mounts"),
	D(mount_setattr, "mounts"),
	D(statmount, "mounts"),
	D(listmount, "mounts"),
	D(open_tree_attr, "mounts"),
	D(unshare, "namespaces"),
	D(setns, "namespaces"),
	D(init_module, "modules"),
	D(finit_module, "modules"),
	D(delete_module, "modules"),
	D(kexec_load, "kexec"),
	D(kexec_file_load, "kexec"),
	D(bpf, "bpf and perf"),
	D(perf_event_open, "bpf and perf"),
	D(add_key, "keys"),
	D(request_key, "keys"),
	D(keyctl, "keys"),
	D(userfaultfd, "userfaultfd"),
	D(io_uring_setup, "io_uring"),
	D(io_uring_enter, "io_uring"),
	D(io_uring_register, "io_uring"),
	D(name_to_handle_at, "file handles"),
	D(open_by_handle_at, "file handles"),
	D(process_vm_readv, "other processes"),
	D(process_vm_writev, "other processes"),
	D(pidfd_getfd, "other processes"),
	D(kcmp, "other processes"),
	D(reboot, "host administration"),
	D(swapon, "host administration"),
	D(swapoff, "host administration"),
	D(acct, "host administration"),
	D(quotactl, "host administration"),
	D(quotactl_fd, "host administration"),
	D(settimeofday, "host administration"),
	D(clock_settime, "host administration"),
	D(clock_adjtime, "host administration"),
	D(adjtimex, "host administration"),
	D(syslog, "host administration"),
	D(iopl, "host administration"),
	D(ioperm, "host administration"),
	D(vhangup, "host administration"),
	D(lookup_dcookie, "host administration"),
	D(fanotify_init, "host administration"),
	D(uselib, "host administration"),
};
const size_t seccomp_ndenied = sizeof(seccomp_denied) / sizeof(seccomp_denied[0]);


struct emitter {
	struct sock_filter *p;
	size_t n, max;
};

static void emit(struct emitter *e, uint16_t code, uint8_t jt, uint8_t jf,
		 uint32_t k)
{
	if (e->n < e->max)
		e->p[e->n] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
	e->n++;
}

/* A jump from the instruction at "at" to "to" (both indexes). */
static uint8_t off(size_t at, size_t to)
{
	return (uint8_t)(to - at - 1);
}

int seccomp_build(struct sock_filter *prog, size_t max)
{
	/* the table, the checks around it, the returns */
	const size_t head = 4, body = seccomp_ndenied + 1 + 3 + 4;
	const size_t allow = head + body, deny = allow + 1, nosys = deny + 1,
		     kill = nosys + 1;
	struct emitter e = {prog, 0, max};

	_Static_assert(sizeof(seccomp_denied) / sizeof(seccomp_denied[0]) + 16 < 255,
		       "every jump reaches the returns");
	emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, off(1, kill), AUDIT_ARCH_X86_64);
	emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
	emit(&e, BPF_JMP | BPF_JSET | BPF_K, off(3, kill), 0, X32_SYSCALL_BIT);
	for (size_t i = 0; i < seccomp_ndenied; i++)
		emit(&e, BPF_JMP | BPF_JEQ | BPF_K, off(e.n, deny), 0,
		     (uint32_t)seccomp_denied[i].nr);
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, off(e.n, nosys), 0, __NR_clone3);
	/* clone: no namespace (the flags are its first argument's low half) */
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, __NR_clone);
	emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, args[0]));
	emit(&e, BPF_JMP | BPF_JSET | BPF_K, off(e.n, deny), off(e.n, allow),
	     CLONE_NEW_ANY);
	/* ptrace: UML traces only children that asked for it (TRACEME), so
	 * attaching to another process is refused; the request is a long,
	 * compared whole by the kernel: its low half decides */
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, off(e.n, allow), __NR_ptrace);
	emit(&e, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, args[0]));
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, off(e.n, deny), 0, PTRACE_ATTACH);
	emit(&e, BPF_JMP | BPF_JEQ | BPF_K, off(e.n, deny), off(e.n, allow),
	     PTRACE_SEIZE);
	if (e.n != allow)
		return -1; /* the layout above is wrong: cannot be */
	emit(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	emit(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
	emit(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
	emit(&e, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
	if (e.n != kill + 1 || e.n > max) {
		errno = EOVERFLOW;
		return -1;
	}
	return (int)e.n;
}

int seccomp_install(void)
{
	struct sock_filter prog[128];
	struct sock_fprog fp;
	int n = seccomp_build(prog, sizeof(prog) / sizeof(prog[0]));

	if (n < 0)
		return -1;
	fp.len = (unsigned short)n;
	fp.filter = prog;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0);
}

#else /* the table is x86_64's */

const struct seccomp_deny seccomp_denied[] = {{0, NULL, NULL}};
const size_t seccomp_ndenied = 0;

int seccomp_build(struct sock_filter *prog, size_t max)
{
	(void)prog;
	(void)max;
	errno = EOPNOTSUPP;
	return -1;
}

int seccomp_install(void)
{
	errno = EOPNOTSUPP;
	return -1;
}

#endif
