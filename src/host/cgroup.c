/* cgroup.c -- a VM's cgroup (see cgroup.h). */
#include "host/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

/* v1's controller names, by enum cg_ctrl; io is optional */
static const char *const v1_names[CGC_COUNT] = {"memory", "cpu", "pids", "blkio"};
static const char *const v2_names[CGC_COUNT] = {"memory", "cpu", "pids", "io"};

/* Is word one of the sep-separated words of list? */
static int has_word(const char *list, const char *word, const char *sep)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, sep);

		if (k == n && !strncmp(p, word, n))
			return 1;
		p += k;
		p += strspn(p, sep);
	}
	return 0;
}

/* The mount points of the cgroup hierarchies (per /proc/self/mountinfo):
 * v1[c] of each v1 controller, *v2 of the cgroup2 one. */
static void find_mounts(char *v1[CGC_COUNT], char **v2)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char mnt[4096], fstype[64], opts[1024];
		const char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fstype, opts) != 2)
			continue;
		if (!strcmp(fstype, "cgroup2") && !*v2) {
			*v2 = xstrdup(mnt);
		} else if (!strcmp(fstype, "cgroup")) {
			for (int c = 0; c < CGC_COUNT; c++)
				if (!v1[c] && has_word(opts, v1_names[c], ","))
					v1[c] = xstrdup(mnt);
		}
	}
	free(line);
	fclose(f);
}

/* Does dir's cgroup.controllers offer memory and pids? */
static int v2_usable(const char *dir)
{
	char *path = xasprintf("%s/cgroup.controllers", dir);
	char *s = read_file(path, 4096, NULL);
	int ok = s && has_word(s, "memory", " \n") && has_word(s, "pids", " \n");

	free(path);
	free(s);
	return ok;
}

static int write_str(const char *path, const char *val, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, val, strlen(val)) < 0) {
		err_sys(e, "%s: writing '%s'", path, val);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Under systemd, with the monitor in a delegated cgroup (its unit has
 * Delegate=yes: systemd marks the cgroup with the trusted.delegate xattr),
 * that cgroup is the parent: the monitor moves into its "monitor" leaf
 * (v2 allows no processes in a cgroup whose children have controllers).
 * *parent stays NULL when not under systemd. The development host's PID 1
 * is not systemd: this branch is not run by the tests. */
static int systemd_parent(const char *mnt, char **parent, struct err *e)
{
	char *comm = read_file("/proc/1/comm", 64, NULL), *own = NULL, *dir, *leaf;
	char *line, *procs, pid[32], x[8];
	int r = 0;

	*parent = NULL;
	if (comm && !strcmp(comm, "systemd\n"))
		own = read_file("/proc/self/cgroup", 65536, NULL);
	free(comm);
	line = own ? strstr(own, "0::/") : NULL;
	if (!line) {
		free(own);
		return 0;
	}
	line[strcspn(line, "\n")] = '\0';
	dir = xasprintf("%s%s", mnt, line + 3);
	free(own);
	if (getxattr(dir, "trusted.delegate", x, sizeof(x)) <= 0) {
		free(dir);
		return 0; /* not delegated: our own cgroups under the root */
	}
	leaf = xasprintf("%s/monitor", dir);
	procs = xasprintf("%s/cgroup.procs", leaf);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (mkdir(leaf, 0755) < 0 && errno != EEXIST) {
		err_sys(e, "%s", leaf);
		r = -1;
	} else if (write_str(procs, pid, e) < 0) {
		r = -1;
	}
	free(leaf);
	free(procs);
	if (r < 0)
		free(dir);
	else
		*parent = dir;
	return r;
}

int cgroup_init(struct cgroup *cg, const char *parent, const char *vm,
		struct err *e)
{
	char *v1[CGC_COUNT] = {NULL}, *v2 = NULL, *sd = NULL, *p2 = NULL;
	int r = -1;

	memset(cg, 0, sizeof(*cg));
	find_mounts(v1, &v2);
	if (v2 && systemd_parent(v2, &sd, e) < 0)
		goto out;
	if (sd && v2_usable(sd)) {
		cg->v2 = 1;
		cg->root2 = sd;
		sd = NULL;
		p2 = xstrdup(cg->root2);
		vm = "vm";
	} else if (v2 && v2_usable(v2)) {
		cg->v2 = 1;
		cg->root2 = xstrdup(v2);
		p2 = xasprintf("%s/%s", v2, parent);
	}
	for (int c = 0; c < CGC_COUNT; c++) {
		if (cg->v2)
			cg->parent[c] = xstrdup(p2);
		else if (v1[c])
			cg->parent[c] = xasprintf("%s/%s", v1[c], parent);
		if (cg->parent[c])
			cg->dir[c] = xasprintf("%s/%s", cg->parent[c], vm);
	}
	if (!cg->dir[CGC_MEMORY] || !cg->dir[CGC_CPU] || !cg->dir[CGC_PIDS]) {
		err_code(e, ERR_NOENT, "cgroups: no cgroup v2 hierarchy with "
			 "memory and pids%s, and no cgroup v1 mount of %s%s%s",
			 v2 ? "" : " (no cgroup2 mount)",
			 !v1[CGC_MEMORY] ? "memory " : "", !v1[CGC_CPU] ? "cpu " : "",
			 !v1[CGC_PIDS] ? "pids" : "");
		cgroup_free(cg);
		goto out;
	}
	r = 0;
out:
	for (int c = 0; c < CGC_COUNT; c++)
		free(v1[c]);
	free(v2);
	free(sd);
	free(p2);
	return r;
}

void cgroup_free(struct cgroup *cg)
{
	for (int c = 0; c < CGC_COUNT; c++) {
		free(cg->parent[c]);
		free(cg->dir[c]);
	}
	free(cg->root2);
	memset(cg, 0, sizeof(*cg));
}

const char *cgroup_version(const struct cgroup *cg)
{
	return cg->v2 ? "v2" : "v1";
}

/* Each distinct directory once (v2 has one for all). */
static int distinct(const struct cgroup *cg, int c)
{
	if (!cg->dir[c])
		return 0;
	for (int k = 0; k < c; k++)
		if (cg->dir[k] && !strcmp(cg->dir[k], cg->dir[c]))
			return 0;
	return 1;
}

int cgroup_procs_files(const struct cgroup *cg, char **files)
{
	int n = 0;

	for (int c = 0; c < CGC_COUNT; c++)
		if (distinct(cg, c))
			files[n++] = xasprintf("%s/cgroup.procs", cg->dir[c]);
	return n;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Writes val to dir/file; -1 naming the file. */
static int put(const char *dir, const char *file, const char *val, struct err *e)
{
	char *path = xasprintf("%s/%s", dir, file);
	int r = write_str(path, val, e);

	free(path);
	return r;
}

static int putf(const char *dir, const char *file, struct err *e,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int putf(const char *dir, const char *file, struct err *e,
		const char *fmt, ...)
{
	va_list ap;
	char *v;
	int r;

	va_start(ap, fmt);
	v = xvasprintf(fmt, ap);
	va_end(ap);
	r = put(dir, file, v, e);
	free(v);
	return r;
}

/* The first of files that dir has, or NULL. */
static const char *first_file(const char *dir, const char *const *files)
{
	for (; *files; files++) {
		char *path = xasprintf("%s/%s", dir, *files);
		int ok = exists(path);

		free(path);
		if (ok)
			return *files;
	}
	return NULL;
}

/* v2: the controllers dir's children may use; memory and pids must be
 * there, cpu and io if the host has them. */
static int v2_enable(const char *dir, struct err *e)
{
	char *path = xasprintf("%s/cgroup.subtree_control", dir);
	char *have = xasprintf("%s/cgroup.controllers", dir), *s;
	int r = 0;

	s = read_file(have, 4096, NULL);
	for (int c = 0; c < CGC_COUNT && r == 0; c++) {
		char word[16];

		if (!s || !has_word(s, v2_names[c], " \n"))
			continue;
		snprintf(word, sizeof(word), "+%s", v2_names[c]);
		if (write_str(path, word, e) < 0 && (c == CGC_MEMORY || c == CGC_PIDS))
			r = -1;
	}
	free(s);
	free(path);
	free(have);
	return r;
}

/* The I/O weight where the host has a file for it; a log line where not. */
static int set_io_weight(const struct cgroup *cg, uint64_t w, struct err *e)
{
	static const char *const v1[] = {"blkio.bfq.weight", "blkio.weight", NULL};
	static const char *const v2[] = {"io.bfq.weight", "io.weight", NULL};
	const char *dir = cg->dir[CGC_IO], *f;

	f = dir ? first_file(dir, cg->v2 ? v2 : v1) : NULL;
	if (!f) {
		log_info("%s: no I/O weight on this host (%s); io_weight not applied",
			 cg->dir[CGC_MEMORY], dir ? "no weight file, the disks' "
			 "scheduler has none" : "no blkio/io controller");
		return 0;
	}
	/* v1 and bfq take 1 to 1000 (blkio.weight 10 to 1000) */
	if (!cg->v2 || !strcmp(f, "io.bfq.weight"))
		w = w > 1000 ? 1000 : w < 10 && !strcmp(f, "blkio.weight") ? 10 : w;
	return putf(dir, f, e, "%" PRIu64, w);
}

static int set_limits(const struct cgroup *cg, const struct cgroup_conf *c,
		      uint64_t memory, struct err *e)
{
	uint64_t mem = memory + c->v[CG_MEM_ALLOWANCE], q = c->v[CG_CPU_QUOTA];
	const char *m = cg->dir[CGC_MEMORY], *cpu = cg->dir[CGC_CPU];
	char *swap;
	int r = 0;

	if (cg->v2) {
		/* no swap: the limit is on memory, not a way into the swap */
		swap = xasprintf("%s/memory.swap.max", m);
		r = putf(m, "memory.max", e, "%" PRIu64, mem);
		if (r == 0 && exists(swap))
			r = put(m, "memory.swap.max", "0", e);
		free(swap);
		if (r == 0)
			r = putf(cpu, "cpu.weight", e, "%" PRIu64, c->v[CG_CPU_WEIGHT]);
		if (r == 0 && q)
			r = putf(cpu, "cpu.max", e, "%" PRIu64 " 100000", q * 1000);
	} else {
		swap = xasprintf("%s/memory.memsw.limit_in_bytes", m);
		r = putf(m, "memory.limit_in_bytes", e, "%" PRIu64, mem);
		if (r == 0 && exists(swap))
			r = putf(m, "memory.memsw.limit_in_bytes", e, "%" PRIu64, mem);
		free(swap);
		if (r == 0)
			r = putf(cpu, "cpu.shares", e, "%" PRIu64,
				 c->v[CG_CPU_WEIGHT] * 1024 / 100);
		if (r == 0 && q)
			r = put(cpu, "cpu.cfs_period_us", "100000", e);
		if (r == 0 && q)
			r = putf(cpu, "cpu.cfs_quota_us", e, "%" PRIu64, q * 1000);
	}
	if (r == 0)
		r = putf(cg->dir[CGC_PIDS], "pids.max", e, "%" PRIu64,
			 c->v[CG_PIDS_MAX]);
	if (r == 0)
		r = set_io_weight(cg, c->v[CG_IO_WEIGHT], e);
	return r;
}

static int make_dir(const char *dir, struct err *e)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		err_sys(e, "%s", dir);
		return -1;
	}
	return 0;
}

int cgroup_create(struct cgroup *cg, const struct cgroup_conf *c,
		  uint64_t memory, struct err *e)
{
	if (cgroup_remove(cg, e) < 0)
		return -1;
	if (cg->v2 && v2_enable(cg->root2, e) < 0)
		return -1;
	for (int k = 0; k < CGC_COUNT; k++)
		if (distinct(cg, k) && (make_dir(cg->parent[k], e) < 0 ||
		    (cg->v2 && v2_enable(cg->parent[k], e) < 0) ||
		    make_dir(cg->dir[k], e) < 0))
			goto fail;
	/* v1 memory: the parent must count its children (use_hierarchy is
	 * 1 on current kernels); nothing to write */
	if (set_limits(cg, c, memory, e) < 0)
		goto fail;
	return 0;
fail:
	err_prefix(e, "cgroup");
	cgroup_remove(cg, NULL);
	return -1;
}

/* Kills what dir/cgroup.procs lists; how many it listed, -1 if it cannot
 * be read (the cgroup is gone). */
static int kill_procs(const char *dir)
{
	char *path = xasprintf("%s/cgroup.procs", dir), *s, *p, *end;
	int n = 0;

	s = read_file(path, 1 << 20, NULL);
	free(path);
	if (!s)
		return -1;
	for (p = s; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 1 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
		else if (pid > 1 && errno != ESRCH)
			n++; /* still there */
	}
	free(s);
	return n;
}

int cgroup_remove(struct cgroup *cg, struct err *e)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	int r = 0;

	for (int c = 0; c < CGC_COUNT; c++) {
		if (!distinct(cg, c) || !exists(cg->dir[c]))
			continue;
		/* SIGKILLed processes leave at once (zombies are not members);
		 * one in uninterruptible sleep may take a moment */
		for (int i = 0; i < 300; i++) {
			if (kill_procs(cg->dir[c]) <= 0 && (rmdir(cg->dir[c]) == 0 ||
							   errno == ENOENT))
				break;
			nanosleep(&ts, NULL);
		}
		if (exists(cg->dir[c])) {
			if (e)
				err_sys(e, "%s: cannot remove it", cg->dir[c]);
			r = -1;
		}
	}
	return r;
}

/* A number from dir/file (its first word, or the word after key); "max"
 * is UINT64_MAX; 0 if the file is missing. */
static uint64_t get(const char *dir, const char *file, const char *key)
{
	char *path = xasprintf("%s/%s", dir, file), *s, *p;
	uint64_t v = 0;

	s = read_file(path, 65536, NULL);
	free(path);
	if (!s)
		return 0;
	p = s;
	if (key) {
		size_t n = strlen(key);

		for (p = s; p && !(!strncmp(p, key, n) && p[n] == ' ');
		     p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			;
		p = p ? p + n + 1 : NULL;
	}
	if (p && !strncmp(p, "max", 3))
		v = UINT64_MAX;
	else if (p)
		v = strtoull(p, NULL, 10);
	free(s);
	return v;
}

void cgroup_stats(const struct cgroup *cg, struct cgroup_stats *s)
{
	const char *m = cg->dir[CGC_MEMORY], *p = cg->dir[CGC_PIDS];

	memset(s, 0, sizeof(*s));
	if (!m || !exists(m))
		return;
	s->valid = 1;
	if (cg->v2) {
		s->mem_limit = get(m, "memory.max", NULL);
		s->mem_current = get(m, "memory.current", NULL);
		s->mem_peak = get(m, "memory.peak", NULL);
		s->oom_kills = get(m, "memory.events", "oom_kill");
	} else {
		s->mem_limit = get(m, "memory.limit_in_bytes", NULL);
		s->mem_current = get(m, "memory.usage_in_bytes", NULL);
		s->mem_peak = get(m, "memory.max_usage_in_bytes", NULL);
		s->oom_kills = get(m, "memory.oom_control", "oom_kill");
	}
	s->pids_current = get(p, "pids.current", NULL);
	s->pids_max = get(p, "pids.max", NULL);
	s->pids_hits = get(p, "pids.events", "max");
}
