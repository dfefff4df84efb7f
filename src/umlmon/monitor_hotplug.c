/* monitor_hotplug.c -- devices plugged into and out of the running
 * kernel (UM_DEVICE_ADD, UM_DEVICE_REMOVE): a disk with the checks and
 * the lock of a boot, a console or serial line on a new pty, an
 * interface with the host side of a boot, the guest's memory within the
 * boot's. The host side is made before the kernel is asked (mconsole
 * "config"), undone if it refuses; what a removal frees is freed only
 * once the kernel let the device go. The running VM's view (m->vm) says
 * what it has, so -info shows it; the file is written too when asked
 * (confedit.h), and the file is read again when the boot ends, so what
 * was not kept is dropped. */
#include "umlmon/monitor_int.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "common/confedit.h"
#include "common/log.h"
#include "common/names.h"
#include "disk/disk.h"
#include "disk/precheck.h"
#include "net/macpool.h"
#include "umlmon/cmdline.h"

/* The kinds, as the IDL numbers them: the stem of their names, how many
 * the kernel has, what a name looks like for the messages. */
static const struct hot_kind {
	const char *stem;
	int count;
	const char *what;
} kinds[] = {
	[UM_DEV_DISK] = {"ubd", VM_MAX_DISKS, "a disk (ubd0 to ubd15)"},
	[UM_DEV_CON] = {"con", VM_MAX_CON, "a console (con0 to con15)"},
	[UM_DEV_SSL] = {"ssl", VM_MAX_SSL, "a serial line (ssl0 to ssl63)"},
	[UM_DEV_ETH] = {"eth", VM_MAX_NICS, "an interface (eth0 to eth7)"},
	[UM_DEV_MEM] = {"mem", 0, "the memory (mem)"},
};

/* One hot-plug in progress (one at a time): what to finish or undo when
 * the kernel answers. */
struct mon_hot {
	struct monitor *m;
	mon_done_cb cb;             /* NULL once the client is gone */
	void *arg;
	int add;
	um_dev_kind kind;
	int keep;
	char key[16];               /* the configuration's key: ubd1, memory */
	char *value;                /* its value for the file, or NULL */
	char name[16];              /* ubd1, con3, eth1, mem */
	int nic;                    /* an interface's slot in vm->nics */
	uint64_t unplugged;         /* mem: the guest's unplugged bytes after */
	int ended;                  /* the boot ended before the kernel
				     * answered: nothing of it to finish */
	char said[256];             /* the answer on success */
};

static int find_disk(const struct vm_conf *vm, int idx)
{
	for (int i = 0; i < vm->ndisks; i++)
		if (vm->disks[i].index == idx)
			return i;
	return -1;
}

static int find_nic(const struct vm_conf *vm, int idx)
{
	for (int i = 0; i < vm->nnics; i++)
		if (vm->nics[i].index == idx)
			return i;
	return -1;
}

/* name is a device of kind: stem and a number in range (a disk may have
 * its flags after the number, as its key: ubd1r). *idx gets the number,
 * *flags what follows. */
static int check_name(const struct monitor *m, um_dev_kind kind, const char *name,
		      int *idx, const char **flags, struct err *e)
{
	const struct hot_kind *k;
	size_t n;
	char *end;
	long v;

	if ((unsigned)kind >= ARRAY_SIZE(kinds)) {
		err_code(e, ERR_INVAL, "%s: unknown kind of device %d", m->vm->name,
			 (int)kind);
		return -1;
	}
	k = &kinds[kind];
	n = strlen(k->stem);
	*idx = 0;
	*flags = "";
	if (kind == UM_DEV_MEM) {
		if (strcmp(name, "mem")) {
			err_code(e, ERR_INVAL, "%s: '%s' is not %s", m->vm->name,
				 name, k->what);
			return -1;
		}
		return 0;
	}
	if (strncmp(name, k->stem, n) || name[n] < '0' || name[n] > '9')
		goto bad;
	v = strtol(name + n, &end, 10);
	if (v >= k->count || (end > name + n + 1 && name[n] == '0'))
		goto bad;
	if (*end && (kind != UM_DEV_DISK || strspn(end, "rsdt") != strlen(end)))
		goto bad;
	*idx = (int)v;
	*flags = end;
	return 0;
bad:
	err_code(e, ERR_INVAL, "%s: '%s' is not %s", m->vm->name, name, k->what);
	return -1;
}

static void hot_free(struct mon_hot *h)
{
	free(h->value);
	free(h);
}

static void note(struct monitor *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct monitor *m, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sb_printf(&m->b.hotplug, "%s%s", m->b.hotplug.len ? "; " : "", buf);
}

/* The answer, and the file written when the change is to be kept. */
static void finish(struct mon_hot *h, um_status st, const char *msg)
{
	struct monitor *m = h->m;
	char buf[1400];
	struct err e;

	m->b.hot = NULL;
	if (st == UM_OK) {
		m->b.hot_changed = 1;
		snprintf(buf, sizeof(buf), "%s: %s", m->vm->name, h->said);
		if (h->keep && confedit_set(m->cfg->path, m->vm->name, h->key,
					    h->value, &e) < 0) {
			st = (um_status)e.code;
			snprintf(buf, sizeof(buf), "%s: %s, but not kept for the next "
				 "boot: %s", m->vm->name, h->said, e.msg);
		} else if (h->keep) {
			snprintf(buf, sizeof(buf), "%s: %s; kept in %s", m->vm->name,
				 h->said, m->cfg->path);
		}
		if (h->kind == UM_DEV_MEM)
			note(m, "memory %s%s", h->value, h->keep && st == UM_OK ?
			     " (kept)" : "");
		else
			note(m, "%s %s%s", h->name, h->add ? "added" : "removed",
			     h->keep && st == UM_OK ? " (kept)" : "");
		log_info("%s", buf);
		msg = buf;
	} else {
		log_warn("%s: %s %s: %s", m->vm->name, h->add ? "adding" : "removing",
			 h->name, msg);
	}
	if (h->cb)
		h->cb(m, st, msg, h->arg);
	hot_free(h);
}

/* ---- the kernel's answers -------------------------------------------- */

/* Is the image of disk d held open by a kernel (the guest uses it)? */
static int disk_in_use(const struct monitor *m, const struct disk_conf *d)
{
	struct disk_holder hold[2];
	struct disk_ctx c;
	struct disk_ref ref;
	struct err e;
	int fd, n = 0;

	if (disk_ctx_init(&c, m->cfg, m->vm->name, &e) < 0)
		return 0;
	if (disk_resolve(&c, d->path, &ref, &e) == 0) {
		fd = disk_open(&ref, O_PATH, &e);
		if (fd >= 0) {
			n = disk_holders(fd, hold, 2);
			close(fd);
		}
		disk_ref_close(&ref);
	}
	disk_ctx_free(&c);
	return n > 0;
}

/* A disk's or an interface's host side taken out of the running VM's
 * view: its lock released, its tap removed (the kernel let it go, or
 * refused to take it). */
static void unplug(struct mon_hot *h, int idx)
{
	struct monitor *m = h->m;
	struct vm_conf *vm = m->vm;
	int i;

	if (h->kind == UM_DEV_DISK && (i = find_disk(vm, idx)) >= 0) {
		precheck_disk_unlock(&m->jail, m->cfg, vm, &vm->disks[i], &m->b.locks);
		config_vm_unset(vm, h->key, NULL);
	} else if (h->kind == UM_DEV_ETH && (i = find_nic(vm, idx)) >= 0) {
		vmnet_remove(&m->b.net, vm, i);
		memmove(m->b.macs[i], m->b.macs[i + 1],
			sizeof(m->b.macs[0]) * (size_t)(vm->nnics - i - 1));
		config_vm_unset(vm, h->key, NULL);
	}
}

/* What an addition made on the host, undone (the kernel refused it, or
 * was not asked). */
static void undo_add(struct mon_hot *h, int idx)
{
	if (h->kind == UM_DEV_CON || h->kind == UM_DEV_SSL)
		monitor_drop_chan(h->m, h->name);
	else
		unplug(h, idx);
}

static void on_answer(struct monitor *m, um_status st, const char *msg, void *arg)
{
	struct mon_hot *h = arg;
	struct vm_conf *vm = m->vm;
	char kmsg[600];
	int idx, i;
	const char *flags;

	if (h->ended) {
		/* the boot's end undid its host side; m->vm may be the file's */
		snprintf(kmsg, sizeof(kmsg), "%s: %s: the VM stopped before the "
			 "kernel answered", vm->name, h->name);
		if (h->cb)
			h->cb(m, UM_ESTATE, kmsg, h->arg);
		hot_free(h);
		return;
	}
	/* the client's message names the VM and the device; the kernel's
	 * reason as it gave it */
	if (st == UM_EKERNEL)
		snprintf(kmsg, sizeof(kmsg), "%s: %s: the kernel refused: %s",
			 vm->name, h->name, msg);
	else
		snprintf(kmsg, sizeof(kmsg), "%s", msg);
	check_name(m, h->kind, h->name, &idx, &flags, &(struct err){0});
	if (h->add) {
		if (st == UM_OK) {
			if (h->kind == UM_DEV_MEM)
				m->b.mem_unplugged = h->unplugged;
			finish(h, st, NULL);
			return;
		}
		undo_add(h, idx);
		finish(h, st, kmsg);
		return;
	}
	if (st != UM_OK) {
		/* the kernel keeps a disk the guest has open: in use, as the
		 * guest's lock on the image says */
		if (st == UM_EKERNEL && h->kind == UM_DEV_DISK &&
		    (i = find_disk(vm, idx)) >= 0 && disk_in_use(m, &vm->disks[i])) {
			size_t n = strlen(kmsg);

			st = UM_EBUSY;
			snprintf(kmsg + n, sizeof(kmsg) - n, " (the guest has %s "
				 "open; unmount it first)", vm->disks[i].path);
		}
		finish(h, st, kmsg);
		return;
	}
	unplug(h, idx);
	finish(h, st, NULL);
}

/* ---- what is made before the kernel is asked -------------------------- */

static int add_disk(struct monitor *m, struct mon_hot *h, int idx,
		    const char *flags, const char *spec, char **cmd, struct err *e)
{
	struct vm_conf *vm = m->vm;
	int i;

	snprintf(h->key, sizeof(h->key), "ubd%d%s", idx, flags);
	if (find_disk(vm, idx) >= 0) {
		err_code(e, ERR_BUSY, "%s: ubd%d is already plugged in (%s)", vm->name,
			 idx, vm->disks[find_disk(vm, idx)].path);
		return -1;
	}
	if (config_vm_set(m->cfg, vm, h->key, spec, e) < 0)
		return -1;
	i = find_disk(vm, idx);
	/* /shared's files are bound into the jail at its boot, in the
	 * kernel's mount namespace: a new one would not be seen there */
	if (!strncmp(vm->disks[i].path, "/shared/", 8) ||
	    (vm->disks[i].backing && !strncmp(vm->disks[i].backing, "/shared/", 8))) {
		err_code(e, ERR_INVAL, "ubd%d: %s: a disk of /shared/disks is bound "
			 "into the jail when the VM boots; add it with --keep and "
			 "reboot", idx, vm->disks[i].backing && strncmp(vm->disks[i].path,
			 "/shared/", 8) ? vm->disks[i].backing : vm->disks[i].path);
		config_vm_unset(vm, h->key, NULL);
		return -1;
	}
	if (precheck_disk_add(&m->jail, m->cfg, vm, &vm->disks[i], &m->b.locks, e) < 0) {
		config_vm_unset(vm, h->key, NULL);
		return -1;
	}
	h->value = xstrdup(spec);
	*cmd = cmdline_disk_arg(&vm->disks[i]);
	snprintf(h->said, sizeof(h->said), "ubd%d added (%s)", idx, vm->disks[i].path);
	return 0;
}

static int add_nic(struct monitor *m, struct mon_hot *h, int idx,
		   const char *spec, char **cmd, struct err *e)
{
	struct vm_conf *vm = m->vm;
	char macs[VM_MAX_NICS][18], gif[16];
	int k;

	snprintf(h->key, sizeof(h->key), "eth%d", idx);
	if (m->b.kernel_netns >= 0) {
		/* its interfaces live in the monitor's network namespace */
		err_code(e, ERR_STATE, "%s: eth%d: the VM booted without interfaces, "
			 "in a network namespace of its own; add it with --keep and "
			 "reboot", vm->name, idx);
		return -1;
	}
	if (config_vm_set(m->cfg, vm, h->key, spec, e) < 0)
		return -1;
	k = find_nic(vm, idx);
	/* the addresses of the others stay as they are (the pool keeps
	 * them); the new one gets its own */
	if (macpool_assign(m->cfg, vm, macs, e) < 0) {
		config_vm_unset(vm, h->key, NULL);
		return -1;
	}
	if (vmnet_add(&m->b.net, m->cfg, vm, k, m->jail.p.root, e) < 0) {
		config_vm_unset(vm, h->key, NULL);
		return -1;
	}
	memmove(m->b.macs[k + 1], m->b.macs[k],
		sizeof(m->b.macs[0]) * (size_t)(vm->nnics - 1 - k));
	memcpy(m->b.macs[k], macs[k], sizeof(macs[k]));
	h->nic = k;
	h->value = xstrdup(spec);
	*cmd = cmdline_nic_arg(vm, k, macs[k]);
	cmdline_guest_if(vm, k, gif, sizeof(gif));
	snprintf(h->said, sizeof(h->said), "eth%d added (%s in the guest, mac %s)",
		 idx, gif, macs[k]);
	return 0;
}

static int add_chan(struct monitor *m, struct mon_hot *h, const char *spec,
		    char **cmd, struct err *e)
{
	char slave[64];

	snprintf(h->key, sizeof(h->key), "%s", h->name);
	if (!*spec)
		spec = "pty";
	if (monitor_add_chan(m, h->name, spec, slave, sizeof(slave), e) < 0)
		return -1;
	h->value = xstrdup(spec);
	*cmd = xasprintf("%s=tty:%s", h->name, slave);
	snprintf(h->said, sizeof(h->said), "%s added (%s; 'umlwatch %s -connect "
		 "%s')", h->name, spec, m->vm->name, h->name);
	return 0;
}

static int set_mem(struct monitor *m, struct mon_hot *h, const char *spec,
		   char **cmd, struct err *e)
{
	struct vm_conf scratch = *m->vm, *vm = m->vm;
	uint64_t want, now = vm->memory - m->b.mem_unplugged;
	char b1[32], b2[32];

	/* parsed as the memory key is (MiB, the minimum), on a copy */
	scratch.ndisks = scratch.nnics = 0;
	if (config_vm_set(m->cfg, &scratch, "memory", spec, e) < 0)
		return -1;
	want = scratch.memory;
	if (want > vm->memory) {
		err_code(e, ERR_INVAL, "%s: mem: %s is more than the VM booted with "
			 "(%s); a boot with more needs 'memory' and a restart",
			 vm->name, fmt_size(want, b1, sizeof(b1)),
			 fmt_size(vm->memory, b2, sizeof(b2)));
		return -1;
	}
	snprintf(h->key, sizeof(h->key), "memory");
	h->value = xstrdup(spec);
	h->unplugged = vm->memory - want;
	/* the kernel takes pages from the guest, or gives them back */
	if (want <= now)
		*cmd = xasprintf("mem=-%lluM", (unsigned long long)((now - want) >> 20));
	else
		*cmd = xasprintf("mem=+%lluM", (unsigned long long)((want - now) >> 20));
	snprintf(h->said, sizeof(h->said), "memory %s (of the %s it booted with)",
		 fmt_size(want, b1, sizeof(b1)), fmt_size(vm->memory, b2, sizeof(b2)));
	return 0;
}

/* ---- the entry points ------------------------------------------------ */

static int may_plug(struct monitor *m, struct err *e)
{
	if (m->state != UM_RUNNING && m->state != UM_PAUSED) {
		err_code(e, ERR_STATE, "%s: not running (state %s): devices are "
			 "plugged into a running VM; the configuration file says "
			 "what it boots with", m->vm->name, vm_state_name(m->state));
		return -1;
	}
	if (m->b.hot) {
		err_code(e, ERR_BUSY, "%s: %s %s is in progress", m->vm->name,
			 m->b.hot->add ? "adding" : "removing", m->b.hot->name);
		return -1;
	}
	return 0;
}

static int ask(struct monitor *m, struct mon_hot *h, const char *what,
	       char *dev, struct err *e)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "%s %s", what, dev);
	free(dev);
	if (monitor_request(m, cmd, on_answer, h, e) < 0)
		return -1;
	m->b.hot = h;
	return 0;
}

int monitor_device_add(struct monitor *m, const struct mon_device *d,
		       mon_done_cb cb, void *arg, struct err *e)
{
	struct mon_hot *h;
	const char *flags;
	char *cmd = NULL;
	int idx, r;

	if (check_name(m, d->kind, d->name, &idx, &flags, e) < 0 || may_plug(m, e) < 0)
		return -1;
	h = xcalloc(1, sizeof(*h));
	h->m = m;
	h->cb = cb;
	h->arg = arg;
	h->add = 1;
	h->kind = d->kind;
	h->keep = d->keep;
	if (d->kind == UM_DEV_MEM)
		snprintf(h->name, sizeof(h->name), "mem");
	else
		snprintf(h->name, sizeof(h->name), "%s%d", kinds[d->kind].stem, idx);
	switch (d->kind) {
	case UM_DEV_DISK:
		r = add_disk(m, h, idx, flags, d->spec, &cmd, e);
		break;
	case UM_DEV_ETH:
		r = add_nic(m, h, idx, d->spec, &cmd, e);
		break;
	case UM_DEV_CON:
	case UM_DEV_SSL:
		r = add_chan(m, h, d->spec, &cmd, e);
		break;
	default:
		r = set_mem(m, h, d->spec, &cmd, e);
		break;
	}
	if (r < 0) {
		if (e->code == ERR_OK)
			e->code = ERR_INVAL;
		if (strncmp(e->msg, m->vm->name, strlen(m->vm->name)))
			err_prefix(e, "%s", m->vm->name);
		hot_free(h);
		return -1;
	}
	if (ask(m, h, "config", cmd, e) < 0) {
		undo_add(h, idx);
		hot_free(h);
		return -1;
	}
	return 0;
}

int monitor_device_remove(struct monitor *m, const struct mon_device *d,
			  mon_done_cb cb, void *arg, struct err *e)
{
	struct vm_conf *vm = m->vm;
	struct mon_hot *h;
	const char *flags;
	char gif[16];
	int idx, i;

	if (check_name(m, d->kind, d->name, &idx, &flags, e) < 0 || may_plug(m, e) < 0)
		return -1;
	if (d->kind != UM_DEV_DISK && d->kind != UM_DEV_ETH) {
		err_code(e, ERR_INVAL, "%s: %s: only disks and interfaces are "
			 "removed (memory: -mem with a smaller size)", vm->name,
			 d->name);
		return -1;
	}
	i = d->kind == UM_DEV_DISK ? find_disk(vm, idx) : find_nic(vm, idx);
	if (i < 0) {
		err_code(e, ERR_NOENT, "%s: %s%d: the VM has none", vm->name,
			 kinds[d->kind].stem, idx);
		return -1;
	}
	h = xcalloc(1, sizeof(*h));
	h->m = m;
	h->cb = cb;
	h->arg = arg;
	h->kind = d->kind;
	h->keep = d->keep;
	snprintf(h->name, sizeof(h->name), "%s%d", kinds[d->kind].stem, idx);
	if (d->kind == UM_DEV_DISK) {
		snprintf(h->key, sizeof(h->key), "ubd%d%s", idx, vm->disks[i].flags);
		snprintf(h->said, sizeof(h->said), "ubd%d removed (%s)", idx,
			 vm->disks[i].path);
		snprintf(gif, sizeof(gif), "ubd%d", idx);
	} else {
		snprintf(h->key, sizeof(h->key), "eth%d", idx);
		cmdline_guest_if(vm, i, gif, sizeof(gif));
		snprintf(h->said, sizeof(h->said), "eth%d removed (%s in the guest, "
			 "tap %s)", idx, gif, vm->nics[i].proxy_if);
	}
	if (ask(m, h, "remove", xstrdup(gif), e) < 0) {
		hot_free(h);
		return -1;
	}
	return 0;
}

void monitor_hot_forget(struct monitor *m, void *arg)
{
	if (m->b.hot && m->b.hot->arg == arg)
		m->b.hot->cb = NULL;
}

/* ---- channels -------------------------------------------------------- */

static void drop_chan_conf(struct vm_conf *vm, const char *name)
{
	for (int i = 0; i < vm->nchans; i++)
		if (!strcmp(vm->chans[i].name, name)) {
			memmove(&vm->chans[i], &vm->chans[i + 1],
				sizeof(vm->chans[0]) * (size_t)(vm->nchans - i - 1));
			vm->nchans--;
			return;
		}
}

int monitor_add_chan(struct monitor *m, const char *name, const char *spec,
		     char *slave, size_t len, struct err *e)
{
	struct chan *ch;

	if (config_vm_set(m->cfg, m->vm, name, spec, e) < 0)
		return -1;
	if (!strcmp(spec, "null")) {
		err_code(e, ERR_INVAL, "%s: null: a channel added is pty or log", name);
		drop_chan_conf(m->vm, name);
		return -1;
	}
	/* the others are kept as they are: same name, mode and log */
	if (monitor_make_chans(m, e) < 0) {
		drop_chan_conf(m->vm, name);
		return -1;
	}
	ch = monitor_chan(m, name);
	if (!ch || chan_open_at(ch, m->jail.p.root, slave, len, e) < 0) {
		monitor_drop_chan(m, name);
		return -1;
	}
	return 0;
}

void monitor_drop_chan(struct monitor *m, const char *name)
{
	struct err e;

	drop_chan_conf(m->vm, name);
	if (monitor_make_chans(m, &e) < 0)
		log_warn("%s: %s: %s", m->vm->name, name, e.msg);
}

/* ---- the boot -------------------------------------------------------- */

void hotplug_boot_begins(struct monitor *m)
{
	m->b.hot_changed = 0;
	m->b.mem_unplugged = 0;
	sb_free(&m->b.hotplug);
	sb_init(&m->b.hotplug);
}

void hotplug_boot_ended(struct monitor *m)
{
	struct strbuf text;
	struct err e;

	m->b.mem_unplugged = 0;
	if (m->b.hot) {
		/* its request answers later, from a kernel that is gone; an
		 * addition is in the view already: the file's is read again */
		m->b.hot->ended = 1;
		if (m->b.hot->add)
			m->b.hot_changed = 1;
		m->b.hot = NULL;
	}
	if (!m->b.hot_changed)
		return;
	m->b.hot_changed = 0;
	/* what was kept is in the file; the rest goes with the boot */
	sb_init(&text);
	if (monitor_reload(m, &text, &e) < 0)
		log_warn("%s: the devices plugged into the last boot stay for the "
			 "next: %s", m->vm->name, e.msg);
	sb_free(&text);
}

void hotplug_drop(struct monitor *m)
{
	if (m->b.hot)
		hot_free(m->b.hot);
	m->b.hot = NULL;
}
