/* The seccomp filter's table and program (src/umljail/seccomp.c): the
 * numbers are distinct, the program fits, and in a child that carries it
 * each refused call gets EPERM (its arguments all invalid, so that even a
 * broken filter changes nothing when run as root), clone3 ENOSYS, a clone
 * into a namespace and ptrace ATTACH EPERM, and what UML does works. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "umljail/seccomp.h"

static void table(void **state)
{
	struct sock_filter prog[BPF_MAXINSNS];
	int n;

	(void)state;
	assert_true(seccomp_ndenied >= 50);
	for (size_t i = 0; i < seccomp_ndenied; i++) {
		assert_true(seccomp_denied[i].nr >= 0 && seccomp_denied[i].nr < 512);
		assert_non_null(seccomp_denied[i].why);
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(seccomp_denied[i].nr, seccomp_denied[j].nr);
		/* what UML makes is never in it */
		assert_int_not_equal(seccomp_denied[i].nr, __NR_ptrace);
		assert_int_not_equal(seccomp_denied[i].nr, __NR_clone);
	}
	n = seccomp_build(prog, BPF_MAXINSNS);
	assert_int_equal(n, (int)seccomp_ndenied + 16); /* umlmon(8) says 69 */
	/* too small a buffer is an error, not an overrun */
	assert_int_equal(seccomp_build(prog, 8), -1);
	assert_int_equal(errno, EOVERFLOW);
}

static long all_bad(int nr)
{
	return syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
}

/* Runs in the filtered child: 0, or the line of the first wrong answer. */
static int child_checks(void)
{
	int st;
	pid_t c;

	for (size_t i = 0; i < seccomp_ndenied; i++) {
		if (!strcmp(seccomp_denied[i].name, "vhangup"))
			continue; /* no argument to make it harmless */
		errno = 0;
		if (all_bad(seccomp_denied[i].nr) != -1 || errno != EPERM)
			return 100 + (int)i;
	}
	if (syscall(__NR_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return __LINE__ % 100;
	if (syscall(__NR_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) != -1 || errno != EPERM)
		return __LINE__ % 100;
	if (syscall(__NR_ptrace, PTRACE_ATTACH, getppid(), 0, 0) != -1 || errno != EPERM)
		return __LINE__ % 100;
	if (syscall(__NR_ptrace, PTRACE_SEIZE, getppid(), 0, 0) != -1 || errno != EPERM)
		return __LINE__ % 100;
	/* allowed: getpid, a fork, a traced child */
	if (syscall(__NR_getpid) <= 0)
		return __LINE__ % 100;
	c = fork();
	if (c == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	if (c < 0 || waitpid(c, &st, 0) != c || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_CONT, c, NULL, NULL) < 0 || waitpid(c, &st, 0) != c ||
	    !WIFEXITED(st) || WEXITSTATUS(st))
		return __LINE__ % 100;
	return 0;
}

static void filtered(void **state)
{
	int st;
	pid_t c;

	(void)state;
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_install() < 0)
			_exit(99);
		if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2)
			_exit(98);
		_exit(child_checks());
	}
	assert_int_equal(waitpid(c, &st, 0), c);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) >= 100)
		fail_msg("%s: not refused with EPERM",
			 seccomp_denied[WEXITSTATUS(st) - 100].name);
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Another ABI kills: an i386 call (int 0x80) and an x32 one from the
 * 64-bit process, both getpid. */
static void other_abi(void **state)
{
	(void)state;
	for (int abi = 0; abi < 2; abi++) {
		int st;
		pid_t c = fork();

		assert_true(c >= 0);
		if (c == 0) {
			long r = 0;

			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
			    seccomp_install() < 0)
				_exit(99);
			if (abi == 0)
				__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
			else
				r = syscall(0x40000000L | __NR_getpid);
			_exit(r == 0 ? 97 : 0);
		}
		assert_int_equal(waitpid(c, &st, 0), c);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGSYS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(filtered),
		cmocka_unit_test(other_abi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
