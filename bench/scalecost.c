/* scalecost.c -- what the host-wide tables cost with n VMs (issue 13,
 * "nothing O(n^2)"): for each n given, a configuration of n VMs with one
 * interface each, then the time of: loading it; looking every VM up by
 * name (config_vm, as umladmin start --all does); the MAC pool's
 * assignment for each VM in turn (each start does one; the last sees
 * n - 1 others); the uid table's allocation likewise; resolving every
 * VM's uid (uidalloc_resolve, as every umladmin command does); and the
 * admission's scan of a mountinfo with n VM tmpfs. Linear code takes
 * about 20 times as long at n = 1000 as at n = 50 (400 times for a pass
 * over all VMs that is quadratic). Times are the process's CPU time.
 * Runs in a temporary directory.
 * usage: scalecost N...  (bench/scale.sh; docs/PERFORMANCE.md) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/util.h"
#include "host/admission.h"
#include "host/uidalloc.h"
#include "net/macpool.h"

static double now(void)
{
	struct timespec ts;

	/* CPU time: the fsync of each table rewrite is the disk's, not the
	 * algorithm's, and varies more than the rest */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int never_taken(uid_t uid, char *who, size_t len, void *arg)
{
	(void)uid;
	(void)who;
	(void)len;
	(void)arg;
	return 0;
}

static int run(const char *dir, int n)
{
	char *conf = xasprintf("%s/umlmon.conf", dir);
	char *vardir = xasprintf("%s/var%d", dir, n);
	char macs[VM_MAX_NICS][18], name[32];
	struct strbuf mi;
	struct config *cfg;
	struct err e;
	double t, load, look, mac_all, mac_last = 0, uid_all, uid_last = 0, res, adm;
	char **v;
	FILE *f = fopen(conf, "w");

	if (!f) {
		perror(conf);
		return -1;
	}
	fprintf(f, "[GLOBAL]\nvardir = %s\nshared = %s/shared%d\n"
		"vm_uid_range = 100000-200000\n", vardir, dir, n);
	for (int i = 0; i < n; i++)
		fprintf(f, "[vm%d]\nubd0 = /disks/root.dsk\n"
			"eth0 = switched(switch=lan)\n", i);
	fclose(f);
	free(vardir);
	vardir = xasprintf("%s/shared%d", dir, n);
	mkdir_p(vardir, 0755);
	free(vardir);
	vardir = xasprintf("%s/var%d", dir, n);

	t = now();
	cfg = config_load(conf, &e);
	load = now() - t;
	if (!cfg || cfg->nerrors) {
		fprintf(stderr, "scalecost: %s: %s\n", conf,
			cfg ? cfg->errors[0] : e.msg);
		return -1;
	}
	t = now();
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "vm%d", i);
		if (!config_vm(cfg, name))
			return -1;
	}
	look = now() - t;

	t = now();
	for (int i = 0; i < n; i++) {
		double t1 = now();

		if (macpool_assign(cfg, &cfg->vms[i], macs, &e) < 0) {
			fprintf(stderr, "scalecost: %s\n", e.msg);
			return -1;
		}
		mac_last = now() - t1;
	}
	mac_all = now() - t;

	t = now();
	for (int i = 0; i < n; i++) {
		double t1 = now();
		uid_t u;

		if (uidalloc_get(vardir, 100000, 200000, cfg->vms[i].name, never_taken,
				 NULL, &u, &e) < 0) {
			fprintf(stderr, "scalecost: %s\n", e.msg);
			return -1;
		}
		uid_last = now() - t1;
	}
	uid_all = now() - t;
	t = now();
	if (uidalloc_resolve(cfg, NULL, &e) < 0) {
		fprintf(stderr, "scalecost: %s\n", e.msg);
		return -1;
	}
	res = now() - t;

	sb_init(&mi);
	for (int i = 0; i < n; i++)
		sb_printf(&mi, "%d 30 0:%d / %s/vm%d/jail/tmp rw,nosuid,nodev "
			  "shared:%d - tmpfs umlmon-tmp rw,size=65536k,mode=700\n",
			  100 + i, 50 + i, vardir, i, i);
	t = now();
	v = admission_tmpfs_mounts(mi.buf, vardir, NULL);
	adm = now() - t;
	for (int i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	sb_free(&mi);

	printf("n=%d: config_load %.2f ms; config_vm of all %.3f ms; macpool_assign "
	       "of all %.1f ms, the last %.3f ms; uidalloc_get of all %.1f ms, the "
	       "last %.3f ms; uidalloc_resolve %.3f ms; admission mountinfo %.3f ms\n",
	       n, load, look, mac_all, mac_last, uid_all, uid_last, res, adm);
	config_free(cfg);
	free(conf);
	free(vardir);
	return 0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/umlmon-scalecost-XXXXXX";
	char *rm;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: scalecost N...\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	for (int i = 1; i < argc && rc == 0; i++)
		rc = run(dir, atoi(argv[i]));
	rm = xasprintf("rm -rf '%s'", dir);
	if (system(rm) != 0)
		rc = -1;
	free(rm);
	return rc ? 1 : 0;
}
