/* monitor_attach.c -- a monitor that starts while its VM runs (the one
 * before it was killed, crashed, or re-executed itself for an upgrade)
 * takes the running boot over instead of refusing: the watcher hands it
 * the kernel's pid and the consoles' pty masters (handover.h), and the
 * rest is found again: the boot's facts in VARDIR/VM/run-state, the
 * notification socket bound again, the mconsole socket and the kernel's
 * network namespace opened, the cgroup, taps and jail mounts adopted, the
 * disks locked again; the logs go on, appended. */
#include "umlmon/monitor_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/procstat.h"
#include "disk/precheck.h"
#include "net/macpool.h"
#include "serve/loop.h"
#include "serve/rpc_server.h"
#include "umlmon/handover.h"
#include "umlmon/logw.h"

/* How long the watcher may take to hand over. */
#define HANDOVER_TIMEOUT_MS 5000

void runstate_write(struct monitor *m)
{
	char *tmp = xasprintf("%s.new", m->jail.p.runstate);
	struct strbuf sb;
	int fd;

	if (!m->b.kernel)
		return;
	sb_init(&sb);
	sb_printf(&sb, "monitor %d\nkernel %d\nstarted %lld\nstarted_ms %lld\n"
		  "boots %d\nready_ms %lld\npaused %d\ncmdline %s\n", (int)getpid(),
		  (int)m->b.kernel, (long long)m->b.started,
		  (long long)m->b.started_ms, m->boots, (long long)m->b.ready_ms,
		  m->state == UM_PAUSED, m->b.cmdline ? m->b.cmdline : "");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, sb.buf, sb.len) < 0 || close(fd) < 0 ||
	    rename(tmp, m->jail.p.runstate) < 0) {
		/* a new monitor then reads what /proc tells */
		log_warn("%s: %s: %s", m->vm->name, m->jail.p.runstate,
			 strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	sb_free(&sb);
}

void runstate_remove(struct monitor *m)
{
	unlink(m->jail.p.runstate);
}

/* The facts run-state has of kernel kpid's boot; those it lacks (no
 * file, another kernel's) from /proc. *prev: the monitor that wrote it. */
static void runstate_read(struct monitor *m, pid_t kpid, pid_t *prev, int *paused)
{
	char *s = read_file(m->jail.p.runstate, 1 << 16, NULL), *line, *save = NULL;
	long long started = 0, started_ms = 0, ready_ms = 0;
	int kernel = 0, boots = 1, mon = 0, pz = 0;
	char *cmdline = NULL;

	for (line = s ? strtok_r(s, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "cmdline ", 8))
			cmdline = line + 8;
		else if (sscanf(line, "monitor %d", &mon) == 1 ||
			 sscanf(line, "kernel %d", &kernel) == 1 ||
			 sscanf(line, "started %lld", &started) == 1 ||
			 sscanf(line, "started_ms %lld", &started_ms) == 1 ||
			 sscanf(line, "boots %d", &boots) == 1 ||
			 sscanf(line, "ready_ms %lld", &ready_ms) == 1 ||
			 sscanf(line, "paused %d", &pz) == 1)
			continue;
	}
	if (kernel != kpid) {
		/* the kernel's own start: uptime goes on from there */
		started = proc_started(kpid);
		if (!started)
			started = time(NULL);
		started_ms = now_ms() - (int64_t)(time(NULL) - started) * 1000;
		ready_ms = 0;
		boots = 1;
		mon = 0;
		pz = 0;
		cmdline = NULL;
	}
	m->b.started = (time_t)started;
	m->b.started_ms = started_ms;
	m->b.ready_ms = ready_ms;
	m->boots = boots > 0 ? boots : 1;
	*prev = (pid_t)mon;
	*paused = pz;
	free(m->b.cmdline);
	if (cmdline) {
		m->b.cmdline = xstrdup(cmdline);
	} else {
		char path[64], *c;
		size_t n;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)kpid);
		c = read_file(path, 65536, &n);
		for (size_t i = 0; c && i + 1 < n; i++)
			if (!c[i])
				c[i] = ' ';
		m->b.cmdline = c ? c : xstrdup("");
	}
	free(s);
}

/* The masters the watcher handed over, on the channels of those names;
 * one the configuration has no more is closed. */
static int adopt_chans(struct monitor *m, struct handover *h, struct err *e)
{
	for (int i = 0; i < h->n; i++) {
		struct chan *ch = monitor_chan(m, h->names[i]);

		if (!ch || ch->mode == CHAN_NULL) {
			log_warn("%s: %s: the running kernel's channel is not in the "
				 "configuration any more; its output is not read",
				 m->vm->name, h->names[i]);
			continue;
		}
		if (chan_adopt(ch, h->masters[i], e) < 0)
			return -1;
		h->masters[i] = -1;
	}
	return 0;
}

static void on_version(struct monitor *m, um_status st, const char *msg,
		       void *arg)
{
	(void)arg;
	if (st != UM_OK)
		log_warn("%s: re-attached, but the kernel's mconsole does not answer: "
			 "%s", m->vm->name, msg);
	else
		log_info("%s: re-attached: the kernel answers (%s)", m->vm->name, msg);
}

/* The watcher of the VM's kernel, which pid (a process of the jail)
 * belongs to; its pid namespace is ours (the kernel has one of its own). */
static pid_t find_watcher(struct monitor *m, pid_t left, struct err *e)
{
	pid_t top = jail_top_process(&m->jail, left);
	char a[64], b[64], path[64];
	ssize_t na, nb;

	if (!top) {
		err_code(e, ERR_STATE, "%s: the process %d of the jail %s has ended "
			 "meanwhile", m->vm->name, (int)left, m->jail.p.root);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)top);
	na = readlink(path, a, sizeof(a) - 1);
	nb = readlink("/proc/self/ns/pid", b, sizeof(b) - 1);
	if (na > 0 && nb > 0 && (na != nb || memcmp(a, b, (size_t)na))) {
		err_code(e, ERR_STATE, "%s: the VM's kernel (pid %d) lives on "
			 "without its watcher (its parent is pid %d): nothing holds "
			 "its consoles to hand over; stop it (kill %d) and start the "
			 "monitor again", m->vm->name, (int)top, (int)proc_parent(top),
			 (int)top);
		return 0;
	}
	return top;
}

int monitor_attach(struct monitor *m, pid_t left, struct err *e)
{
	struct handover h;
	struct err ve;
	char who[96];
	pid_t prev;
	int paused;

	h.fd = -1;
	if (!(h.watcher = find_watcher(m, left, e)))
		return -1;
	/* the mounts are what the kernel uses, and unmounted at its end:
	 * they must be in this monitor's mount namespace */
	if (!jail_is_mountpoint(m->jail.p.tmp)) {
		err_code(e, ERR_STATE, "%s: a process of an earlier run (pid %d) "
			 "still lives in the jail %s, but the jail's mounts are not "
			 "in this monitor's mount namespace (its monitor ran in "
			 "another): stop it (kill %d) and start the monitor again",
			 m->vm->name, (int)h.watcher, m->jail.p.root, (int)h.watcher);
		return -1;
	}
	if (handover_fetch(h.watcher, m->vm->uid, HANDOVER_TIMEOUT_MS, &h, e) < 0) {
		err_prefix(e, "%s: cannot re-attach to the running VM", m->vm->name);
		return -1;
	}
	if (adopt_chans(m, &h, e) < 0)
		goto fail;
	m->b.watcher = h.watcher;
	m->b.kernel = h.kernel;
	m->b.status_fd = h.fd;
	h.fd = -1;
	runstate_read(m, h.kernel, &prev, &paused);
	m->jail.tmp_mounted = 1;
	m->jail.shared_mounted = jail_is_mountpoint(m->jail.p.shared_mnt);
	if (boot_adopt(m, e) < 0)
		goto fail;
	if (paused && m->state == UM_RUNNING)
		monitor_set_state(m, UM_PAUSED);
	/* what the boot holds on the host is this monitor's to remove */
	vmnet_adopt(&m->b.net, m->cfg, m->vm);
	/* the addresses it had, for -info (the pool keeps them) */
	if (macpool_assign(m->cfg, m->vm, m->b.macs, &ve) < 0)
		log_warn("%s: %s", m->vm->name, ve.msg);
	snprintf(who, sizeof(who), "the monitor of %s", m->vm->name);
	disklocks_free(&m->b.locks);
	disklocks_init(&m->b.locks, m->cfg->global.shared, who);
	if (precheck_relock(&m->jail, m->cfg, m->vm, &m->b.locks, e) < 0)
		log_warn("%s: re-attached, its disks not locked again: %s",
			 m->vm->name, e->msg);
	m->reattached = time(NULL);
	if (prev > 0)
		snprintf(m->reattach_how, sizeof(m->reattach_how), "%s, pid %d",
			 m->upgraded ? "upgrade" : "monitor restart", (int)prev);
	else
		snprintf(m->reattach_how, sizeof(m->reattach_how), "%s",
			 m->upgraded ? "upgrade" : "monitor restart");
	runstate_write(m);
	/* said once the VM's log is open (monitor_clean_left) */
	snprintf(m->reattach_note, sizeof(m->reattach_note), "re-attached to the "
		 "running VM (%s; watcher pid %d, kernel pid %d, %d consoles "
		 "handed over)", m->reattach_how, (int)m->b.watcher,
		 (int)m->b.kernel, h.n);
	/* running is confirmed by the kernel's answer, said in the log */
	if (m->state != UM_STARTING && monitor_mconsole(m, "version", on_version,
							NULL, &ve) < 0)
		log_warn("%s: %s", m->vm->name, ve.msg);
	handover_free(&h);
	return 0;
fail:
	/* nothing of the running boot is undone: the caller keeps it */
	if (m->b.status_fd >= 0) {
		loop_del_fd(m->loop, m->b.status_fd);
		close(m->b.status_fd);
	}
	m->b.status_fd = -1;
	m->b.watcher = m->b.kernel = 0;
	m->b.adopted = 0;
	handover_free(&h);
	err_prefix(e, "%s: cannot re-attach to the running VM", m->vm->name);
	return -1;
}

/* May the monitor execute itself again now? Not while a start, a stop, a
 * reboot or a disk operation is under way: each is a step a new image
 * could not finish; nor with a panicked kernel kept (on_panic = keep),
 * which a new image would take for a running one. */
static int upgrade_refused(const struct monitor *m, char *why, size_t len)
{
	if (m->quitting || m->state == UM_STOPPING)
		snprintf(why, len, "a stop is under way");
	else if (m->b.watcher && !m->b.kernel)
		snprintf(why, len, "a start is under way");
	else if (m->op.rebooting || m->op.restart)
		snprintf(why, len, "a reboot is under way");
	else if (m->op.disk_job)
		snprintf(why, len, "a disk operation is running");
	else if (m->op.snap)
		snprintf(why, len, "a snapshot is being taken");
	else if (m->state == UM_CRASHED && m->b.watcher)
		snprintf(why, len, "a panicked kernel is kept for inspection");
	else if (!m->self_exe || access(m->self_exe, X_OK) < 0)
		snprintf(why, len, "%s: %s", m->self_exe ? m->self_exe : "(unknown)",
			 m->self_exe ? strerror(errno) : "not known");
	else
		return 0;
	return 1;
}

void monitor_upgrade(struct monitor *m)
{
	extern char **environ;
	char why[PATH_MAX + 64], **argv;
	sigset_t cur;
	struct err e;
	int n = 0, k = 0;

	if (upgrade_refused(m, why, sizeof(why))) {
		log_warn("%s: upgrade refused: %s", m->vm->name, why);
		return;
	}
	log_info("%s: upgrade: closing the clients' connections and executing %s "
		 "again", m->vm->name, m->self_exe);
	rpc_server_free(m->rpc);
	m->rpc = NULL;
	monitor_drop_links(m);
	/* what the consoles said so far is in the logs; what they say from
	 * now on waits in the ptys, which the watcher holds */
	logw_sync(m->logw);
	runstate_write(m);
	while (m->argv[n])
		n++;
	argv = xcalloc((size_t)n + 2, sizeof(*argv));
	argv[k++] = m->argv[0];
	argv[k++] = "-upgraded";
	for (int i = 1; i < n; i++)
		if (strcmp(m->argv[i], "-upgraded"))
			argv[k++] = m->argv[i];
	sigprocmask(SIG_SETMASK, &m->orig_mask, &cur);
	execve(m->self_exe, argv, environ);
	snprintf(why, sizeof(why), "%s", strerror(errno));
	sigprocmask(SIG_SETMASK, &cur, NULL);
	free(argv);
	log_err("%s: upgrade: %s: %s; serving on", m->vm->name, m->self_exe, why);
	if (monitor_listen(m, &e) < 0)
		log_err("%s: %s", m->vm->name, e.msg);
}
