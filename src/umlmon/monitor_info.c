/* monitor_info.c -- what a monitor tells of itself and its VM: UM_INFO's
 * answer, and the few facts the RPC procedures need (they do not see the
 * monitor's state). */
#include "umlmon/monitor_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/names.h"
#include "host/vmuser.h"
#include "umlmon/cmdline.h"

const struct mon_keys *monitor_keys(const struct monitor *m)
{
	return &m->keys;
}

/* um_info's arrays have the IDL's bounds: whatever a configuration
 * allows must fit (or the reply would not encode) */
_Static_assert(VM_MAX_DISKS <= UM_MAX_DISKS, "ubd lines beyond um_info's disks");
_Static_assert(VM_MAX_NICS <= UM_MAX_NICS, "eth lines beyond um_info's nics");
_Static_assert(VM_MAX_CHANS <= UM_MAX_CHANS, "channels beyond um_info's chans");

const char *monitor_name(const struct monitor *m)
{
	return m->vm->name;
}

um_state monitor_state(const struct monitor *m)
{
	return m->state;
}

struct loop *monitor_loop(const struct monitor *m)
{
	return m->loop;
}

const struct vm_conf *monitor_vm(const struct monitor *m)
{
	return m->vm;
}

const struct vm_paths *monitor_paths(const struct monitor *m)
{
	return &m->jail.p;
}

int64_t monitor_boot_ms(const struct monitor *m)
{
	return m->b.started_ms ? now_ms() - m->b.started_ms : 0;
}

int64_t monitor_ready_ms(const struct monitor *m)
{
	return is_up(m) ? m->b.ready_ms : 0;
}

void monitor_boot_shown(const struct monitor *m, int *boot, int *live,
			time_t *ended)
{
	*boot = m->boots;
	*live = m->boots && m->b.watcher && m->state != UM_CRASHED;
	*ended = !*live && m->last_exit.valid ? m->last_exit.ended : 0;
}

int monitor_chan_readers(const struct monitor *m, const struct chan *ch)
{
	/* clients only: not the monitor's own watches */
	return chan_nwaiters(ch) - (m->b.login_chan == ch) - (m->b.panic_chan == ch);
}

/* The live figures while a kernel runs, else those of the last end. */
static void info_cgroup(const struct monitor *m, um_cgroup *c)
{
	struct cgroup_stats live;
	const struct cgroup_stats *s = &m->cg_end;

	c->live = 0;
	if (m->b.watcher) {
		cgroup_stats(&m->cg, &live);
		if (live.valid) {
			s = &live;
			c->live = 1;
		}
	}
	c->path = xstrdup(s->valid && m->cg.dir[CGC_MEMORY] ? m->cg.dir[CGC_MEMORY] :
			  "");
	c->hierarchy = xstrdup(cgroup_version(&m->cg));
	c->mem_limit = s->mem_limit;
	c->mem_current = s->mem_current;
	c->mem_peak = s->mem_peak;
	c->oom_kills = s->oom_kills;
	c->pids_current = s->pids_current;
	c->pids_max = s->pids_max;
	c->pids_hits = s->pids_hits;
}

void monitor_info(struct monitor *m, um_info *r)
{
	struct vm_conf *vm = m->vm;
	const struct vm_exit *x = &m->last_exit;
	char user[96];

	r->name = xstrdup(vm->name);
	r->state = m->state;
	r->monitor_pid = (int)getpid();
	r->watcher_pid = (int)m->b.watcher;
	r->kernel_pid = (int)m->b.kernel;
	r->started = m->state == UM_STOPPED || m->state == UM_CRASHED ? 0 : m->b.started;
	r->uptime_ms = r->started ? (u_quad_t)(now_ms() - m->b.started_ms) : 0;
	r->vmuser = xstrdup(vmuser_text(vm, user, sizeof(user)));
	r->kernel = xstrdup(vm->kernel);
	r->memory = vm->memory;
	r->vardir = xstrdup(m->jail.p.vmdir);
	r->jail = xstrdup(m->jail.p.root);
	if (m->b.cmdline) {
		r->cmdline = xstrdup(m->b.cmdline);
	} else {
		struct cmdline cl;
		struct err e;

		if (cmdline_build(vm, NULL, &cl, &e) == 0) {
			r->cmdline = xstrdup(cl.text);
			cmdline_free(&cl);
		} else {
			r->cmdline = xstrdup(e.msg);
		}
	}
	r->stop_timeout = vm->stop_timeout;
	r->disks.disks_len = (u_int)vm->ndisks;
	r->disks.disks_val = xcalloc((size_t)vm->ndisks, sizeof(um_disk));
	for (int i = 0; i < vm->ndisks; i++) {
		um_disk *d = &r->disks.disks_val[i];

		d->dev = xasprintf("ubd%d", vm->disks[i].index);
		d->flags = xstrdup(vm->disks[i].flags);
		d->path = xstrdup(vm->disks[i].path);
		d->backing = xstrdup(vm->disks[i].backing ? vm->disks[i].backing : "");
	}
	r->nics.nics_len = (u_int)vm->nnics;
	r->nics.nics_val = xcalloc((size_t)vm->nnics, sizeof(um_nic));
	for (int i = 0; i < vm->nnics; i++) {
		const struct nic_conf *n = &vm->nics[i];
		um_nic *u = &r->nics.nics_val[i];
		char gif[16];

		u->name = xasprintf("eth%d", n->index);
		u->kind = xstrdup(nic_kind_name(n->kind));
		if (n->kind == NIC_HOST_TO_HOST)
			u->host = xasprintf("tap %s %s peer %s%s%s", n->proxy_if,
					    n->proxy_addr, n->guest_addr,
					    n->host_if[0] ? ", proxy ARP on " : "",
					    n->host_if);
		else if (n->kind == NIC_BRIDGED)
			u->host = xasprintf("tap %s on bridge %s", n->proxy_if,
					    n->bridge_if);
		else
			u->host = xasprintf("switch %s", n->sw);
		cmdline_guest_if(vm, i, gif, sizeof(gif));
		u->guest_if = xstrdup(gif);
		u->mac = xstrdup(m->b.macs[i]);
	}
	r->chans.chans_len = (u_int)m->nchans;
	r->chans.chans_val = xcalloc((size_t)m->nchans, sizeof(um_chan));
	for (int i = 0; i < m->nchans; i++) {
		struct chan *ch = m->chans[i];
		um_chan *c = &r->chans.chans_val[i];

		c->name = xstrdup(ch->name);
		c->mode = (um_chan_mode)ch->mode;
		c->log = xstrdup(ch->logpath ? ch->logpath : "");
		c->head = ch->head;
		c->readers = monitor_chan_readers(m, ch);
		c->open = chan_is_open(ch);
	}
	r->last_exit.valid = x->valid;
	r->last_exit.code = x->code;
	r->last_exit.signal = x->signal;
	r->last_exit.requested = x->requested;
	r->last_exit.ended = x->ended;
	r->last_exit.reason = xstrdup(x->reason);
	r->boot = m->boots;
	r->ready_ms = m->b.ready_ms > 0 && r->started ? (u_quad_t)m->b.ready_ms : 0;
	r->pending = xstrdup(m->pending_note ? m->pending_note : "");
	info_cgroup(m, &r->cgroup);
	r->image_started_ms = m->image_started_ms;
	r->reattached = m->reattached;
	r->reattach_how = xstrdup(m->reattach_how);
	r->mem_guest = is_up(m) ? vm->memory - m->b.mem_unplugged : 0;
	r->hotplug = xstrdup(is_up(m) && m->b.hotplug.buf ? m->b.hotplug.buf : "");
}
