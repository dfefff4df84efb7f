/* cgroup.h -- a VM's cgroup: found (v2 where the host delegates memory
 * and pids there, else v1's per-controller hierarchies), created with its
 * limits before the kernel starts, read for -info, and emptied and
 * removed after the kernel ended (or left by a monitor that died).
 *
 *   v1:  /sys/fs/cgroup/{memory,cpu,pids,blkio}/PARENT/VM
 *   v2:  CGROUP2/PARENT/VM
 *   v2 under systemd (PID 1, the monitor's unit with Delegate=yes):
 *        OWN/monitor (the monitor itself), OWN/vm (the kernel)
 *
 * The jail helper joins it (jailmsg.h: the cgroup.procs files) before it
 * does anything else, so the kernel and all of its host processes are in
 * it from the start. */
#ifndef UMLMON_CGROUP_H
#define UMLMON_CGROUP_H

#include <stdint.h>

#include "common/config.h"
#include "common/util.h"

enum cg_ctrl { CGC_MEMORY, CGC_CPU, CGC_PIDS, CGC_IO, CGC_COUNT };
#define CGROUP_MAX_DIRS CGC_COUNT

struct cgroup {
	int v2;                    /* one directory for all controllers */
	char *parent[CGC_COUNT];   /* PARENT in each hierarchy; NULL: none (io) */
	char *dir[CGC_COUNT];      /* PARENT/VM likewise */
	char *root2;               /* v2: where controllers are enabled from */
};

/* What -info shows, from the cgroup's files; UINT64_MAX: "max". */
struct cgroup_stats {
	int valid;                 /* the cgroup exists and was read */
	uint64_t mem_limit, mem_current, mem_peak, oom_kills;
	uint64_t pids_current, pids_max, pids_hits;
};

/* Finds the hierarchies and computes the paths (creates nothing but, under
 * systemd, the monitor's own leaf). -1 naming what is missing. */
int cgroup_init(struct cgroup *cg, const char *parent, const char *vm,
		struct err *e);
void cgroup_free(struct cgroup *cg);
/* "v1" or "v2". */
const char *cgroup_version(const struct cgroup *cg);

/* Removes a stale one, then creates it with c's limits (the memory limit
 * is memory + the allowance). -1 naming the file and the cause. */
int cgroup_create(struct cgroup *cg, const struct cgroup_conf *c,
		  uint64_t memory, struct err *e);
/* SIGKILLs what is still in it (only the processes its cgroup.procs
 * list), waits for them to leave (bounded) and removes it. 0 if it is
 * gone; -1 naming what stays. */
int cgroup_remove(struct cgroup *cg, struct err *e);

/* The distinct cgroup.procs files to join; returns how many (at most
 * CGROUP_MAX_DIRS), each allocated. */
int cgroup_procs_files(const struct cgroup *cg, char **files);

void cgroup_stats(const struct cgroup *cg, struct cgroup_stats *s);

#endif
