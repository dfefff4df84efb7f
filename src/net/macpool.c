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

#include "common/nameidx.h"
#include "common/netconf.h"

struct entry {
	char vm[VM_NAME_MAX + 1];
	int index;
	uint64_t mac;
};

/* The assignments, and indexes by interface and by address: a start of
 * the n-th VM looks each up once instead of walking all n (issue 13). */
struct table {
	struct entry *e;
	int n, cap;
	struct nameidx by_nic, by_mac;
};

/* What the configuration says, indexed likewise. */
struct conf_idx {
	struct nameidx nics;      /* "VM ethN" of every configured interface */
	struct nameidx explicit;  /* "MAC" given to an interface: which one
				   * (VM * VM_MAX_NICS + k), -2 for several */
};

static const char *nic_key(char *buf, size_t len, const char *vm, int index)
{
	snprintf(buf, len, "%.64s eth%d", vm, index);
	return buf;
}

static const char *mac_key(char *buf, size_t len, uint64_t mac)
{
	snprintf(buf, len, "%012llx", (unsigned long long)mac);
	return buf;
}

static void add(struct table *t, const char *vm, int index, uint64_t mac)
{
	char k[96];

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->e = xrealloc(t->e, sizeof(*t->e) * (size_t)t->cap);
	}
	snprintf(t->e[t->n].vm, sizeof(t->e[0].vm), "%s", vm);
	t->e[t->n].index = index;
	t->e[t->n].mac = mac;
	nameidx_set(&t->by_nic, nic_key(k, sizeof(k), vm, index), t->n);
	nameidx_set(&t->by_mac, mac_key(k, sizeof(k), mac), t->n);
	t->n++;
}

static void set_mac(struct table *t, struct entry *own, uint64_t mac)
{
	char k[32];

	own->mac = mac;
	nameidx_set(&t->by_mac, mac_key(k, sizeof(k), mac), (int)(own - t->e));
}

static struct entry *find_nic(struct table *t, const char *vm, int index)
{
	char k[96];
	int i = nameidx_get(&t->by_nic, nic_key(k, sizeof(k), vm, index));

	return i >= 0 ? &t->e[i] : NULL;
}

static struct entry *find_mac(struct table *t, uint64_t mac)
{
	char k[32];
	int i = nameidx_get(&t->by_mac, mac_key(k, sizeof(k), mac));

	/* an entry whose address changed since leaves its old key behind */
	return i >= 0 && t->e[i].mac == mac ? &t->e[i] : NULL;
}

static void table_free(struct table *t)
{
	free(t->e);
	nameidx_free(&t->by_nic);
	nameidx_free(&t->by_mac);
}

static void conf_index(const struct config *cfg, struct conf_idx *c)
{
	char k[96];

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < cfg->nvms; i++)
		for (int j = 0; j < cfg->vms[i].nnics; j++) {
			const struct nic_conf *n = &cfg->vms[i].nics[j];
			uint64_t m;

			nameidx_put(&c->nics, nic_key(k, sizeof(k), cfg->vms[i].name,
						      n->index), 0);
			if (n->mac[0] && mac_parse(n->mac, &m) == 0 &&
			    nameidx_put(&c->explicit, mac_key(k, sizeof(k), m),
					i * VM_MAX_NICS + j) >= 0)
				nameidx_set(&c->explicit, k, -2);
		}
}

static void conf_free(struct conf_idx *c)
{
	nameidx_free(&c->nics);
	nameidx_free(&c->explicit);
}

/* The interface exists in the configuration. */
static int configured(const struct conf_idx *c, const char *vm, int index)
{
	char k[96];

	return nameidx_get(&c->nics, nic_key(k, sizeof(k), vm, index)) >= 0;
}

/* An address that the configuration gives to an interface explicitly,
 * other than vm's ethN. */
static int explicit_elsewhere(const struct config *cfg, const struct conf_idx *c,
			      uint64_t mac, const char *vm, int index)
{
	char k[32];
	int w = nameidx_get(&c->explicit, mac_key(k, sizeof(k), mac));
	const struct vm_conf *o;

	if (w == -1)
		return 0;
	if (w == -2)
		return 1; /* given to several: one is another's */
	o = &cfg->vms[w / VM_MAX_NICS];
	return strcmp(o->name, vm) || o->nics[w % VM_MAX_NICS].index != index;
}

static void load(FILE *f, const struct conf_idx *c, struct table *t)
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
		if (configured(c, vm, index) && !find_mac(t, m))
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
	struct table t;
	struct conf_idx c;
	int fd, rc = -1;
	FILE *f;

	memset(&t, 0, sizeof(t));
	conf_index(cfg, &c);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_sys(e, "MAC pool %s", path);
		conf_free(&c);
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
	load(f, &c, &t);
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
			   !explicit_elsewhere(cfg, &c, own->mac, vm->name, n->index)) {
			m = own->mac;
		} else {
			for (m = g->mac_lo; m <= g->mac_hi; m++)
				if (!find_mac(&t, m) &&
				    !explicit_elsewhere(cfg, &c, m, vm->name, n->index))
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
			set_mac(&t, own, m);
		else
			add(&t, vm->name, n->index, m);
		mac_format(m, macs[k]);
	}
	rc = save(fd, &t, path, e);
out:
	close(fd); /* and the lock */
	table_free(&t);
	conf_free(&c);
	free(path);
	return rc;
}
