/* registry.c -- the monitors umldir knows (see registry.h). */
#include "umldir/registry.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/procstat.h"

struct registry {
	struct dir_vm **v;   /* by name */
	int n, cap;
};

struct registry *registry_new(void)
{
	return xcalloc(1, sizeof(struct registry));
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	free(r);
}

static int alive(const struct dir_vm *d)
{
	struct proc_stat ps;

	return proc_stat(d->pid, &ps) == 0 && ps.state != 'Z' && ps.state != 'X' &&
	       ps.start == d->start_time;
}

static void drop_at(struct registry *r, int i, const char *why)
{
	log_info("%s: unregistered (monitor pid %d: %s)", r->v[i]->vm,
		 (int)r->v[i]->pid, why);
	free(r->v[i]);
	memmove(&r->v[i], &r->v[i + 1], sizeof(r->v[0]) * (size_t)(r->n - i - 1));
	r->n--;
}

/* Drops the entries whose process is gone. */
static void prune(struct registry *r)
{
	for (int i = r->n - 1; i >= 0; i--)
		if (!alive(r->v[i]))
			drop_at(r, i, "its process is gone");
}

/* Where vm is, or where it would go (*found 0). */
static int find(const struct registry *r, const char *vm, int *found)
{
	int lo = 0, hi = r->n;

	while (lo < hi) {
		int mid = (lo + hi) / 2, c = strcmp(r->v[mid]->vm, vm);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static int state_ok(const char *vm, const char *state, struct err *e)
{
	if (!*state || strlen(state) > UD_NAME_MAX) {
		err_code(e, ERR_INVAL, "%s: a state of 1 to %d characters is needed",
			 vm, UD_NAME_MAX);
		return 0;
	}
	for (const char *p = state; *p; p++) {
		if ((*p < 'a' || *p > 'z') && *p != '-' && *p != '_') {
			err_code(e, ERR_INVAL, "%s: state '%s': only lower-case "
				 "letters, '-' and '_'", vm, state);
			return 0;
		}
	}
	return 1;
}

static int args_ok(const ud_register_args *a, pid_t caller_pid, struct err *e)
{
	unsigned char ip[16];

	if (config_valid_name(a->vm, e) < 0) {
		err_prefix(e, "'%s'", a->vm);
		e->code = ERR_INVAL;
		return 0;
	}
	if (!state_ok(a->vm, a->state, e))
		return 0;
	if (a->port > 65535) {
		err_code(e, ERR_INVAL, "%s: port %u is out of range", a->vm, a->port);
		return 0;
	}
	/* "": all addresses */
	if (a->port && *a->addr && inet_pton(AF_INET, a->addr, ip) != 1 &&
	    inet_pton(AF_INET6, a->addr, ip) != 1) {
		err_code(e, ERR_INVAL, "%s: '%s' is not a numeric IP address",
			 a->vm, a->addr);
		return 0;
	}
	if (a->pid <= 0 || (caller_pid > 0 && a->pid != caller_pid)) {
		err_code(e, ERR_INVAL, "%s: pid %d is not the caller's (%d): a "
			 "monitor registers itself", a->vm, a->pid, (int)caller_pid);
		return 0;
	}
	return 1;
}

int registry_register(struct registry *r, const ud_register_args *a,
		      const void *conn, pid_t caller_pid, struct err *e)
{
	struct dir_vm *d;
	struct proc_stat ps;
	int found, i;

	if (!args_ok(a, caller_pid, e))
		return -1;
	if (proc_stat(a->pid, &ps) < 0 || ps.state == 'Z' || ps.state == 'X') {
		err_code(e, ERR_INVAL, "%s: no process %d", a->vm, (int)a->pid);
		return -1;
	}
	i = find(r, a->vm, &found);
	if (found && r->v[i]->conn != conn) {
		if (alive(r->v[i])) {
			err_code(e, ERR_BUSY, "%s: already registered by the monitor "
				 "with pid %d", a->vm, (int)r->v[i]->pid);
			return -1;
		}
		drop_at(r, i, "its process is gone");
		i = find(r, a->vm, &found);
	}
	if (!found) {
		if (r->n >= UD_MAX_VMS) {
			err_code(e, ERR_BUSY, "%s: %d VMs are registered already, the "
				 "most umldir keeps", a->vm, UD_MAX_VMS);
			return -1;
		}
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 16;
			r->v = xrealloc(r->v, sizeof(r->v[0]) * (size_t)r->cap);
		}
		memmove(&r->v[i + 1], &r->v[i], sizeof(r->v[0]) * (size_t)(r->n - i));
		r->v[i] = xcalloc(1, sizeof(struct dir_vm));
		r->n++;
	}
	d = r->v[i];
	snprintf(d->vm, sizeof(d->vm), "%s", a->vm);
	snprintf(d->state, sizeof(d->state), "%s", a->state);
	snprintf(d->addr, sizeof(d->addr), "%s", a->port ? a->addr : "");
	d->port = a->port;
	d->tls = a->tls ? 1 : 0;
	d->pid = a->pid;
	d->conn = conn;
	d->start_time = ps.start;
	if (d->port)
		log_info("%s: registered (monitor pid %d, %s, port %u on %s%s)",
			 d->vm, (int)d->pid, d->state, d->port,
			 *d->addr ? d->addr : "all addresses",
			 d->tls ? ", TLS" : "");
	else
		log_info("%s: registered (monitor pid %d, %s, no TCP)", d->vm,
			 (int)d->pid, d->state);
	return 0;
}

int registry_set_state(struct registry *r, const char *vm, const char *state,
		       const void *conn, struct err *e)
{
	int found, i = find(r, vm, &found);

	if (!found) {
		err_code(e, ERR_NOENT, "%s: not registered", vm);
		return -1;
	}
	if (r->v[i]->conn != conn) {
		err_code(e, ERR_PERM, "%s: registered by the monitor with pid %d, "
			 "on another connection", vm, (int)r->v[i]->pid);
		return -1;
	}
	if (!state_ok(vm, state, e))
		return -1;
	log_debug("%s: %s", vm, state);
	snprintf(r->v[i]->state, sizeof(r->v[i]->state), "%s", state);
	return 0;
}

int registry_drop_conn(struct registry *r, const void *conn)
{
	int n = 0;

	for (int i = r->n - 1; i >= 0; i--) {
		if (r->v[i]->conn == conn) {
			drop_at(r, i, "its connection closed");
			n++;
		}
	}
	return n;
}

const struct dir_vm *registry_get(struct registry *r, const char *vm,
				  struct err *e)
{
	int found, i = find(r, vm, &found);

	if (found && !alive(r->v[i])) {
		drop_at(r, i, "its process is gone");
		found = 0;
	}
	if (!found) {
		err_code(e, ERR_NOENT, "%s: no such VM runs on this host (no "
			 "monitor registered it)", vm);
		return NULL;
	}
	return r->v[i];
}

int registry_list(struct registry *r, const struct dir_vm *const **out)
{
	prune(r);
	*out = (const struct dir_vm *const *)r->v;
	return r->n;
}
