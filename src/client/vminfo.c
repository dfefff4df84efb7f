/* vminfo.c -- a VM's um_info as ordered fields, and their text (see
 * vminfo.h). */
#include "client/vminfo.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/names.h"
#include "common/util.h"

static void add(struct vminfo *v, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct vminfo *v, const char *name, const char *fmt, ...)
{
	struct vminfo_field *f;
	va_list ap;

	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 32;
		v->fields = xrealloc(v->fields, v->cap * sizeof(*v->fields));
	}
	f = &v->fields[v->n++];
	f->name = xstrdup(name);
	va_start(ap, fmt);
	if (vasprintf(&f->value, fmt, ap) < 0)
		abort();
	va_end(ap);
}

const char *vminfo_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(buf, n, "%Y-%m-%d %H:%M:%S", localtime_r(&tt, &tm));
	return buf;
}

static void add_chan(struct vminfo *v, const um_chan *c)
{
	if (c->mode == UM_CHAN_NULL) {
		add(v, c->name, "null");
		return;
	}
	add(v, c->name, "%-4s %-6s %llu bytes of output, %d reader%s%s%s",
	    chan_mode_name((enum chan_mode)c->mode), c->open ? "open" : "closed",
	    (unsigned long long)c->head, c->readers, c->readers == 1 ? "" : "s",
	    *c->log ? ", log " : "", c->log);
}

/* A number of the cgroup's, "max" for none. */
static const char *cg_num(unsigned long long n, char *buf, size_t len)
{
	if (n == ~0ULL)
		return "max";
	snprintf(buf, len, "%llu", n);
	return buf;
}

/* Exact numbers (bytes, counts): they are compared with the cgroup's files. */
static void add_cgroup(struct vminfo *v, const um_cgroup *c)
{
	char a[32], b[32];

	if (!c->path || !*c->path)
		return; /* no boot yet */
	add(v, "cgroup", "%s (%s%s)", c->path, c->hierarchy,
	    c->live ? "" : ", at the last end");
	add(v, "cgroup memory", "limit %s bytes, current %llu, peak %llu, "
	    "oom kills %llu", cg_num(c->mem_limit, a, sizeof(a)),
	    (unsigned long long)c->mem_current, (unsigned long long)c->mem_peak,
	    (unsigned long long)c->oom_kills);
	add(v, "cgroup pids", "current %llu, max %s, limit hits %llu",
	    (unsigned long long)c->pids_current, cg_num(c->pids_max, b, sizeof(b)),
	    (unsigned long long)c->pids_hits);
}

void vminfo_fields(const um_info *r, struct vminfo *v)
{
	int up = r->state == UM_STARTING || r->state == UM_RUNNING ||
		 r->state == UM_PAUSED;
	char buf[64];

	memset(v, 0, sizeof(*v));
	add(v, "name", "%s", r->name);
	add(v, "state", "%s", vm_state_name(r->state));
	if (r->boot)
		add(v, "boot", "%d since the monitor started", r->boot);
	if (r->ready_ms)
		add(v, "guest up", "%.1f s after the start",
		    (double)r->ready_ms / 1000.0);
	else if (up)
		add(v, "guest up", "not yet (no ready notice nor login prompt on con1)");
	if (r->kernel_pid)
		add(v, "kernel pid", "%d", r->kernel_pid);
	if (r->watcher_pid)
		add(v, "watcher pid", "%d", r->watcher_pid);
	add(v, "monitor pid", "%d", r->monitor_pid);
	if (r->started) {
		unsigned long long t = r->uptime_ms / 1000;

		add(v, "started", "%s (up %llu:%02llu:%02llu)",
		    vminfo_time(r->started, buf, sizeof(buf)), t / 3600, t / 60 % 60,
		    t % 60);
	}
	if (r->reattached)
		add(v, "re-attached", "%s (%s)", vminfo_time(r->reattached, buf,
		    sizeof(buf)), r->reattach_how);
	if (*r->pending)
		add(v, "pending", "at the next boot: %s", r->pending);
	add(v, "vmuser", "%s", r->vmuser);
	add(v, "kernel", "%s", r->kernel);
	if (r->mem_guest && r->mem_guest != r->memory) {
		char now[32];

		add(v, "memory", "%s (the guest has %s now: -mem)",
		    fmt_size(r->memory, buf, sizeof(buf)),
		    fmt_size(r->mem_guest, now, sizeof(now)));
	} else {
		add(v, "memory", "%s", fmt_size(r->memory, buf, sizeof(buf)));
	}
	add(v, "stop timeout", "%d s", r->stop_timeout);
	add(v, "vardir", "%s", r->vardir);
	add(v, "jail", "%s", r->jail);
	for (u_int i = 0; i < r->disks.disks_len; i++) {
		const um_disk *d = &r->disks.disks_val[i];

		snprintf(buf, sizeof(buf), "%s%s", d->dev, d->flags);
		if (*d->backing)
			add(v, buf, "%s over %s", d->path, d->backing);
		else
			add(v, buf, "%s", d->path);
	}
	for (u_int i = 0; i < r->nics.nics_len; i++) {
		const um_nic *n = &r->nics.nics_val[i];

		add(v, n->name, "%s: %s; in the guest %s%s%s", n->kind, n->host,
		    n->guest_if, *n->mac ? ", mac " : "", n->mac);
	}
	for (u_int i = 0; i < r->chans.chans_len; i++)
		add_chan(v, &r->chans.chans_val[i]);
	if (r->hotplug && *r->hotplug)
		add(v, "hot-plug", "%s", r->hotplug);
	add(v, "cmdline", "%s", r->cmdline);
	add_cgroup(v, &r->cgroup);
	if (r->last_exit.valid)
		add(v, "last exit", "%s at %s", r->last_exit.reason,
		    vminfo_time(r->last_exit.ended, buf, sizeof(buf)));
}

void vminfo_free(struct vminfo *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->fields[i].name);
		free(v->fields[i].value);
	}
	free(v->fields);
	memset(v, 0, sizeof(*v));
}

void vminfo_print_text(FILE *f, const struct vminfo *v)
{
	for (size_t i = 0; i < v->n; i++)
		fprintf(f, "%-13s %s\n", v->fields[i].name, v->fields[i].value);
}

void vminfo_print_json(FILE *f, const struct vminfo *v)
{
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	for (size_t i = 0; i < v->n; i++) {
		char *key = xstrdup(v->fields[i].name);

		for (char *c = key; *c; c++)
			if (*c == ' ')
				*c = '_';
		json_key(&j, key);
		json_str(&j, v->fields[i].value);
		free(key);
	}
	json_obj_end(&j);
	json_end(&j);
}
