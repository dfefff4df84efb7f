/* procstat.h -- what /proc/PID/stat says of a process: its state, its
 * parent and its start time (the name in parentheses may hold anything,
 * so the fields are read after its last ')'). */
#ifndef UMLMON_PROCSTAT_H
#define UMLMON_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
	char state;            /* 'R', 'S', ..., 'Z' */
	pid_t ppid;
	uint64_t start;        /* clock ticks after the host's boot */
};

/* -1 if there is no such process (or its stat cannot be read). */
int proc_stat(pid_t pid, struct proc_stat *ps);
/* Its parent, 0 if unknown. */
pid_t proc_parent(pid_t pid);
/* The Unix time a process started at (its start time and the host's
 * boot time), 0 if unknown. */
time_t proc_started(pid_t pid);

#endif
