/* procstat.c -- a process's state, parent and start time from /proc. */
#include "common/procstat.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int proc_stat(pid_t pid, struct proc_stat *ps)
{
	char path[64], buf[1024], *p;
	unsigned long long t;
	size_t n;
	FILE *f;
	int pp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* state is field 3, ppid 4, starttime 22 */
	if (!p || sscanf(p + 1, " %c %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			 "%*s %*s %*s %*s %*s %*s %llu", &ps->state, &pp, &t) != 3)
		return -1;
	ps->ppid = (pid_t)pp;
	ps->start = t;
	return 0;
}

pid_t proc_parent(pid_t pid)
{
	struct proc_stat ps;

	return proc_stat(pid, &ps) == 0 ? ps.ppid : 0;
}

time_t proc_started(pid_t pid)
{
	struct proc_stat ps;
	struct timespec boot, real;
	long hz = sysconf(_SC_CLK_TCK);

	if (proc_stat(pid, &ps) < 0 || hz <= 0 ||
	    clock_gettime(CLOCK_BOOTTIME, &boot) < 0 ||
	    clock_gettime(CLOCK_REALTIME, &real) < 0)
		return 0;
	return real.tv_sec - boot.tv_sec + (time_t)(ps.start / (uint64_t)hz);
}
