/* seccomp.h -- the kernel's seccomp filter (see seccomp.c): a deny list
 * of host system calls that UML never makes, measured (umlmon(8)
 * "System calls"). */
#ifndef UMLMON_SECCOMP_H
#define UMLMON_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>
#include <sys/syscall.h>

/* Calls newer than some headers: the x86_64 numbers never change. */
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467
#endif

/* A call the filter refuses. */
struct seccomp_deny {
	int nr;              /* x86_64 number */
	const char *name;
	const char *why;     /* the group it belongs to, for umlmon(8) */
};

extern const struct seccomp_deny seccomp_denied[];
extern const size_t seccomp_ndenied;

/* The filter as a BPF program in prog (room for max instructions); the
 * number of instructions, or -1 (EOVERFLOW) if it does not fit. */
int seccomp_build(struct sock_filter *prog, size_t max);
/* Builds the filter and installs it on the calling thread (inherited by
 * every process it forks and across execve). needs no_new_privs or
 * CAP_SYS_ADMIN. -1 with errno. */
int seccomp_install(void);

#endif
