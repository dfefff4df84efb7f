/* macpool.c -- stable MAC addresses for the VMs' interfaces, from the pool
 * of [GLOBAL] mac_pool. The assignments live in SHARED/macs, one line
 * "VM ethN MAC", read and rewritten under an exclusive flock, so that the
 * monitors of a host never hand out one address twice and a VM keeps its
 * addresses across restarts. */
#include "net/macpool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/netconf.h"

struct entry {
	char vm[VM_NAME_MAX + 1];
	int index;
	uint64_t mac;
};

struct table {
	struct entry *e;
	int n;
};

static void add(struct table *t, const char *vm, int index, uint64_t mac)
{
	t->e = xrealloc(t->e, sizeof(*t->e) * (size_t)(t->n + 1));
	snprintf(t->e[t->n].vm, sizeof(t->e[0].vm), "%s", vm);
	t->e[t->n].index = index;
	t->e[t->n].mac = mac;
	t->n++;
}

static struct entry *find_nic(struct table *t, const char *vm, int index)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->e[i].vm, vm) && t->e[i].index == index)
			return &t->e[i];
	return NULL;
}

static struct entry *find_mac(struct table *t, uint64_t mac)
{
	for (int i = 0; i < t->n; i++)
		if (t->e[i].mac == mac)
			return &t->e[i];
	return NULL;
}

/* The interface exists in the configuration. */
static int configured(const struct config *cfg, const char *vm, int index)
{
	for (int i = 0; i < cfg->nvms; i++)
		if (!strcmp(cfg->vms[i].name, vm))
			for (int k = 0; k < cfg->vms[i].nnics; k++)
				if (cfg->vms[i].nics[k].index == index)
					return 1;
	return 0;
}

/* An address that the configuration gives to an interface explicitly. */
static int explicit_elsewhere(const struct config *cfg, uint64_t mac,
			      const char *vm, int index)
{
	for (int i = 0; i < cfg->nvms; i++)
		for (int k = 0; k < cfg->vms[i].nnics; k++) {
			const struct nic_conf *n = &cfg->vms[i].nics[k];
			uint64_t m;

			if (n->mac[0] && mac_parse(n->mac, &m) == 0 && m == mac &&
			    (strcmp(cfg->vms[i].name, vm) || n->index != index))
				return 1;
		}
	return 0;
}

static void load(FILE *f, const struct config *cfg, struct table *t)
{
	char line[256];

	while (fgets(line, sizeof(line), f)) {
		char vm[64], mac[32];
		int index;
		uint64_t m;

		if (sscanf(line, "%63s eth%d %31s", vm, &index, mac) != 3 ||
		    mac_parse(mac, &m) < 0)
			continue; /* not ours: dropped on rewrite */
		/* a VM or an interface gone from the configuration frees its
		 * address */
		if (configured(cfg, vm, index) && !find_mac(t, m))
			add(t, vm, index, m);
	}
}

static int save(int fd, const struct table *t, const char *path, struct err *e)
{
	struct strbuf sb;
	int rc = 0;

	sb_init(&sb);
	sb_puts(&sb, "# MAC addresses of the VMs' interfaces, kept by umlmon\n");
	for (int i = 0; i < t->n; i++) {
		char m[18];

		mac_format(t->e[i].mac, m);
		sb_printf(&sb, "%s eth%d %s\n", t->e[i].vm, t->e[i].index, m);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, sb.buf, sb.len, 0) != (ssize_t)sb.len ||
	    fsync(fd) < 0) {
		err_sys(e, "%s", path);
		rc = -1;
	}
	sb_free(&sb);
	return rc;
}

int macpool_assign(const struct config *cfg, const struct vm_conf *vm,
		   char macs[][18], struct err *e)
{
	const struct global_conf *g = &cfg->global;
	char *path = xasprintf("%s/macs", g->shared);
	struct table t = {NULL, 0};
	int fd, rc = -1;
	FILE *f;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_sys(e, "MAC pool %s", path);
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX) < 0) {
		err_sys(e, "MAC pool %s: lock", path);
		goto out;
	}
	f = fdopen(dup(fd), "r");
	if (!f) {
		err_sys(e, "MAC pool %s", path);
		goto out;
	}
	load(f, cfg, &t);
	fclose(f);
	for (int k = 0; k < vm->nnics; k++) {
		const struct nic_conf *n = &vm->nics[k];
		struct entry *own = find_nic(&t, vm->name, n->index), *other;
		uint64_t m = 0;

		if (n->mac[0]) {
			mac_parse(n->mac, &m);
			other = find_mac(&t, m);
			if (other && other != own) {
				err_set(e, "eth%d: mac %s is already %s's eth%d (%s)",
					n->index, n->mac, other->vm, other->index, path);
				goto out;
			}
		} else if (own && own->mac >= g->mac_lo && own->mac <= g->mac_hi &&
			   !explicit_elsewhere(cfg, own->mac, vm->name, n->index)) {
			m = own->mac;
		} else {
			for (m = g->mac_lo; m <= g->mac_hi; m++)
				if (!find_mac(&t, m) &&
				    !explicit_elsewhere(cfg, m, vm->name, n->index))
					break;
			if (m > g->mac_hi) {
				char lo[18], hi[18];

				mac_format(g->mac_lo, lo);
				mac_format(g->mac_hi, hi);
				err_set(e, "eth%d: the MAC pool %s-%s is exhausted (%llu "
					"addresses, all given out; see %s)", n->index,
					lo, hi,
					(unsigned long long)(g->mac_hi - g->mac_lo + 1),
					path);
				goto out;
			}
		}
		if (own)
			own->mac = m;
		else
			add(&t, vm->name, n->index, m);
		mac_format(m, macs[k]);
	}
	rc = save(fd, &t, path, e);
out:
	close(fd); /* and the lock */
	free(t.e);
	free(path);
	return rc;
}
