/* monitor_boot.c -- one boot of the VM: the start through the jailed
 * watcher, the status pipe, mconsole notifications (up, panics, the
 * guest's notes), when the guest is up, and the end of the kernel (drain
 * the consoles, unmount, record why it ended, start again after a
 * reboot). */
#include "umlmon/monitor_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "common/log.h"
#include "common/names.h"
#include "common/procstat.h"
#include "host/admission.h"
#include "umlmon/cmdline.h"
#include "umlmon/diskjob.h"
#include "host/image.h"
#include "host/vmuser.h"
#include "umlmon/logw.h"
#include "serve/loop.h"
#include "net/macpool.h"
#include "umlmon/mconsole.h"
#include "disk/precheck.h"
#include "host/jailcheck.h"

static void kernel_panicked(struct monitor *m, const char *text);

static void describe_exit(struct monitor *m, int status, struct vm_exit *x)
{
	const char *how;
	size_t n;

	memset(x, 0, sizeof(*x));
	x->valid = 1;
	x->ended = time(NULL);
	x->requested = m->op.stage != STAGE_NONE;
	if (status == -1) {
		snprintf(x->reason, sizeof(x->reason), "ended; its status is unknown "
			 "(the jailed child died before reporting it)");
		return;
	}
	if (WIFEXITED(status)) {
		x->code = WEXITSTATUS(status);
		if (x->code == 0 && !x->requested && !m->b.panicked)
			x->requested = 1; /* the guest powered off by itself */
	} else if (WIFSIGNALED(status)) {
		x->signal = WTERMSIG(status);
	}
	if (m->b.panicked) {
		/* whatever ended it after the panic, the panic is the cause */
		x->requested = 0;
		snprintf(x->reason, sizeof(x->reason), "the kernel panicked: %s",
			 m->b.panic[0] ? m->b.panic : "(no text)");
		n = strlen(x->reason);
		if (m->op.stage_max >= STAGE_TERM && x->signal == SIGKILL)
			snprintf(x->reason + n, sizeof(x->reason) - n, "; ended by the "
				 "monitor (SIGKILL)");
		else if (x->signal)
			snprintf(x->reason + n, sizeof(x->reason) - n, "; killed by "
				 "signal %d (%s)", x->signal, strsignal(x->signal));
		return;
	}
	switch (m->op.rebooting ? STAGE_NONE : m->op.stage_max) {
	case STAGE_NONE:
		how = m->op.rebooting ? "rebooted by the guest" : NULL;
		break;
	case STAGE_CAD: how = "stopped by ctrl-alt-del"; break;
	case STAGE_SYNC:
	case STAGE_UMOUNT:
	case STAGE_HALT:
		how = m->op.stop_timeout >= 0 && m->op.stage_max != STAGE_HALT ?
			"stopped by sysrq sync, read-only remount and halt" :
			"halted through mconsole";
		break;
	case STAGE_TERM: how = "halted by SIGTERM"; break;
	default: how = "killed by the monitor with SIGKILL"; break;
	}
	if (x->signal && !(x->requested && m->op.stage_max >= STAGE_TERM))
		snprintf(x->reason, sizeof(x->reason), "killed by signal %d (%s)%s",
			 x->signal, strsignal(x->signal),
			 x->signal == SIGABRT ? ": the kernel panicked" : "");
	else if (how && x->signal)
		/* the signal is the end: no exit code to tell */
		snprintf(x->reason, sizeof(x->reason), "%s", how);
	else if (how)
		snprintf(x->reason, sizeof(x->reason), "%s (exit code %d)", how,
			 x->code);
	else if (x->code == 0)
		snprintf(x->reason, sizeof(x->reason),
			 "the guest powered off (exit code 0)");
	else
		snprintf(x->reason, sizeof(x->reason), "exited with code %d",
			 x->code);
	if (x->requested && m->op.mc_silent && m->op.stage_max >= STAGE_TERM) {
		n = strlen(x->reason);
		snprintf(x->reason + n, sizeof(x->reason) - n, "; its mconsole "
			 "did not answer (the kernel hung or was stopped)");
	}
	if (m->b.panic[0]) {
		n = strlen(x->reason);
		snprintf(x->reason + n, sizeof(x->reason) - n, "; panic: %s",
			 m->b.panic);
	}
}

static void drain_chans(struct monitor *m)
{
	for (int i = 0; i < m->nchans; i++) {
		struct chan *ch = m->chans[i];
		char buf[16384];

		if (!ch || !chan_is_open(ch))
			continue;
		for (int k = 0; k < 256; k++) {
			ssize_t r = read(ch->master, buf, sizeof(buf));

			if (r <= 0)
				break;
			chan_output(ch, buf, (size_t)r);
		}
		chan_close(ch);
	}
}

static void close_mconsole(struct monitor *m)
{
	if (m->b.mc_fd >= 0)
		close(m->b.mc_fd);
	m->b.mc_fd = -1;
	snprintf(m->b.mc_path, sizeof(m->b.mc_path), "(no mconsole socket)");
}

static void close_kernel_netns(struct monitor *m)
{
	if (m->b.kernel_netns >= 0)
		close(m->b.kernel_netns);
	m->b.kernel_netns = -1;
}

/* The kernel's own network namespace (a VM without interfaces), held for
 * the boot: the monitor's mconsole client sockets are made in it, since
 * the kernel answers at an abstract address, which is per namespace.
 * kpid is the kernel's, from the watcher's report or, should the
 * mconsole's notification come first, from its sender; it stays the
 * kernel's while the watcher, our unreaped child, is its parent (or we
 * are, the subreaper): checked after the open, so the namespace opened
 * is the kernel's, not that of a process that got its pid after it
 * ended. */
static void open_kernel_netns(struct monitor *m, pid_t kpid)
{
	char path[64];
	pid_t pp;
	int fd;

	if (m->b.kernel_netns >= 0 || vmnet_needs_host_netns(m->vm))
		return;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)kpid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("%s: the kernel's network namespace %s: %s (its mconsole "
			"will not answer)", m->vm->name, path, strerror(errno));
		return;
	}
	pp = proc_parent(kpid);
	if (pp <= 0 || (pp != m->b.watcher && pp != getpid())) {
		log_err("%s: the kernel's network namespace %s: pid %d is no "
			"longer the kernel (its parent is %d)", m->vm->name, path,
			(int)kpid, (int)pp);
		close(fd);
		return;
	}
	m->b.kernel_netns = fd;
}

/* The kernel's mconsole socket, held open: the jail's tmp is the guest's
 * to change, so the monitor finds it once, beneath tmp without following
 * any symbolic link, and from then on talks to that very socket through
 * /proc/self/fd, whatever is put at its name later. */
static void open_mconsole(struct monitor *m)
{
	struct open_how how;
	struct stat st;
	char rel[VM_NAME_MAX + 32];
	int dir, fd;

	close_mconsole(m);
	dir = open(m->jail.p.tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0) {
		log_err("%s: %s: %s", m->vm->name, m->jail.p.tmp, strerror(errno));
		return;
	}
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	snprintf(rel, sizeof(rel), "%s/mconsole", m->vm->name);
	fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
	close(dir);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    st.st_uid != m->vm->uid) {
		log_err("%s: %s: %s", m->vm->name, m->jail.p.mconsole, fd < 0 ?
			strerror(errno) : "not the kernel's socket (not a socket "
			"of the vmuser)");
		if (fd >= 0)
			close(fd);
		return;
	}
	m->b.mc_fd = fd;
	snprintf(m->b.mc_path, sizeof(m->b.mc_path), "/proc/self/fd/%d", fd);
}

/* Empties and removes the VM's cgroup; what stays is removed by the
 * next start. */
static void remove_cgroup(struct monitor *m)
{
	struct err e;

	if (cgroup_remove(&m->cg, &e) < 0)
		log_warn("%s: %s (the next start removes it)", m->vm->name, e.msg);
}

/* Undoes what a start set up on the host. */
void teardown(struct monitor *m)
{
	stop_cancel(m);
	drain_chans(m);
	if (m->b.notify_fd >= 0) {
		loop_del_fd(m->loop, m->b.notify_fd);
		close(m->b.notify_fd);
		m->b.notify_fd = -1;
		unlink(m->jail.p.notify);
	}
	if (m->b.status_fd >= 0) {
		loop_del_fd(m->loop, m->b.status_fd);
		close(m->b.status_fd);
		m->b.status_fd = -1;
	}
	sb_free(&m->b.status_in);
	if (m->b.kernel_pidfd >= 0) {
		loop_del_fd(m->loop, m->b.kernel_pidfd);
		close(m->b.kernel_pidfd);
		m->b.kernel_pidfd = -1;
	}
	runstate_remove(m);
	close_mconsole(m);
	close_kernel_netns(m);
	disklocks_release(&m->b.locks);
	vmnet_down(&m->b.net, m->vm);
	jail_unmount(&m->jail);
	remove_cgroup(m);
}

/* The monitor's own readers of a channel's output (a login prompt, a
 * panic line): *at is the channel while w waits on it. */
static void unwatch_chan(struct chan **at, struct chan_waiter *w)
{
	if (*at)
		chan_unwait(*at, w);
	*at = NULL;
}

static void watch_chan(struct monitor *m, const char *name, struct chan **at,
		       struct chan_waiter *w, chan_wake_cb cb)
{
	struct chan *ch = monitor_chan(m, name);

	unwatch_chan(at, w);
	if (!ch || ch->mode == CHAN_NULL)
		return;
	memset(w, 0, sizeof(*w));
	w->cb = cb;
	w->arg = m;
	w->offset = ch->head;
	*at = ch;
	chan_wait(ch, w);
}

void stop_panic_watch(struct monitor *m)
{
	unwatch_chan(&m->b.panic_chan, &m->b.panic_watch);
}

void stop_login_watch(struct monitor *m)
{
	unwatch_chan(&m->b.login_chan, &m->b.login_watch);
}

/* A reboot asked for by a client: the new boot answers its waiters. */
static void on_restarted(struct monitor *m, um_status st, const char *msg,
			 void *arg)
{
	(void)arg;
	finish_waiters(m, &m->op.reboot_waiters, st, msg);
}

/* A VM that rebooted (the guest did, or a client asked for it) gets a new
 * kernel in a freshly set-up jail once the old kernel and its watcher are
 * gone (the watcher reports the kernel's end just before it exits). */
static void restart_if_due(struct monitor *m)
{
	int asked = m->op.restart;
	struct err e;

	if (!(m->op.rebooting || m->op.restart) || m->b.watcher || is_up(m) ||
	    m->quitting)
		return;
	m->op.rebooting = 0;
	m->op.restart = 0;
	log_info("%s: starting again after %s", m->vm->name,
		 asked ? "the reboot asked for" : "the guest's reboot");
	if (monitor_start(m, asked ? on_restarted : NULL, NULL, &e) == 0)
		return;
	log_err("%s: restart: %s", m->vm->name, e.msg);
	if (asked)
		finish_waiters(m, &m->op.reboot_waiters, UM_EIO, e.msg);
}

static void after_end(struct monitor *m)
{
	m->op.stage = STAGE_NONE;
	m->op.stage_max = STAGE_NONE;
	stop_login_watch(m);
	stop_panic_watch(m);
	finish_waiters(m, &m->op.ready_waiters, UM_ESTATE, m->last_exit.reason);
	if (m->quitting) {
		finish_waiters(m, &m->op.reboot_waiters, UM_ECLOSED,
			       "the monitor is exiting");
		loop_quit(m->loop);
		return;
	}
	hotplug_boot_ended(m);
	if (m->pending)
		monitor_apply_pending(m);
	restart_if_due(m);
}

/* The kernel of this boot has ended with wait status st. */
static void kernel_ended(struct monitor *m, int st)
{
	char msg[2048];

	if (m->b.exit_seen)
		return;
	m->b.exit_seen = 1;
	describe_exit(m, st, &m->last_exit);
	cgroup_stats(&m->cg, &m->cg_end);
	if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
	    m->cg_end.oom_kills > 0 && m->op.stage_max < STAGE_KILL) {
		/* the cgroup is fresh per boot: any OOM kill is this boot's;
		 * a SIGKILL of the monitor's own is not the cgroup's */
		snprintf(m->last_exit.reason, sizeof(m->last_exit.reason),
			 "killed by the memory limit (%llu bytes) of its cgroup",
			 (unsigned long long)m->cg_end.mem_limit);
		log_warn("%s: killed by the memory limit (%llu bytes) of its cgroup "
			 "%s", m->vm->name, (unsigned long long)m->cg_end.mem_limit,
			 m->cg.dir[CGC_MEMORY]);
	}
	m->b.kernel = 0;
	if (m->b.adopted) {
		/* it exits right after telling; if it is not our child, no
		 * SIGCHLD says so */
		m->b.adopted = 0;
		m->b.watcher = 0;
	}
	teardown(m);
	monitor_set_state(m, m->last_exit.requested || m->op.rebooting ? UM_STOPPED : UM_CRASHED);
	log_info("%s: %s: %s", m->vm->name, vm_state_name(m->state),
		 m->last_exit.reason);
	snprintf(msg, sizeof(msg), "%s: the kernel ended during the start: %s",
		 m->vm->name, m->last_exit.reason);
	finish_waiters(m, &m->op.start_waiters, UM_EIO, msg);
	stop_ended(m);
	/* the stop's steps, then how it ended */
	snprintf(msg, sizeof(msg), "%s%s: %s", m->op.steps, m->vm->name,
		 m->last_exit.reason);
	finish_waiters(m, &m->op.stop_waiters, UM_OK, msg);
	after_end(m);
}

/* The start failed before the kernel ran. */
static void start_failed(struct monitor *m, const char *why)
{
	char msg[1100];

	if (m->b.exit_seen)
		return;
	m->b.exit_seen = 1;
	teardown(m);
	monitor_set_state(m, UM_STOPPED);
	memset(&m->last_exit, 0, sizeof(m->last_exit));
	m->last_exit.valid = 1;
	m->last_exit.ended = time(NULL);
	snprintf(m->last_exit.reason, sizeof(m->last_exit.reason),
		 "start failed: %s", why);
	snprintf(msg, sizeof(msg), "%s: cannot start: %s", m->vm->name, why);
	log_err("%s", msg);
	finish_waiters(m, &m->op.start_waiters, UM_EIO, msg);
	finish_waiters(m, &m->op.stop_waiters, UM_OK, msg);
	after_end(m);
}

static void status_line(struct monitor *m, char *line)
{
	if (!strncmp(line, "kernel ", 7)) {
		char msg[128];

		m->b.kernel = (pid_t)atoi(line + 7);
		open_kernel_netns(m, m->b.kernel);
		log_info("%s: kernel started, pid %d", m->vm->name, (int)m->b.kernel);
		runstate_write(m);
		snprintf(msg, sizeof(msg), "%s: started (kernel pid %d)",
			 m->vm->name, (int)m->b.kernel);
		finish_waiters(m, &m->op.start_waiters, UM_OK, msg);
	} else if (!strncmp(line, "error ", 6)) {
		start_failed(m, line + 6);
	} else if (!strncmp(line, "exit ", 5)) {
		kernel_ended(m, atoi(line + 5));
	} else {
		log_warn("%s: watcher said '%s'", m->vm->name, line);
	}
}

static void on_kernel_pidfd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct monitor *m = arg;

	(void)l;
	(void)fd;
	(void)events;
	kernel_ended(m, -1);
}

/* A watcher that was handed over (maybe not our child) closed its
 * connection without telling the kernel's end: the kernel, which halts
 * at its watcher's death, is watched through a pidfd (it is not our
 * child either, so its status stays unknown). */
static void adopted_watcher_gone(struct monitor *m)
{
	int fd;

	m->b.adopted = 0;
	m->b.watcher = 0;
	log_warn("%s: the watcher ended before the kernel (pid %d)", m->vm->name,
		 (int)m->b.kernel);
	fd = (int)syscall(SYS_pidfd_open, m->b.kernel, 0);
	if (fd < 0 || loop_add_fd(m->loop, fd, EPOLLIN, on_kernel_pidfd, m) < 0) {
		if (fd >= 0)
			close(fd);
		kernel_ended(m, -1);
		return;
	}
	m->b.kernel_pidfd = fd;
}

static void on_status(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct monitor *m = arg;
	char buf[2048], *nl;
	ssize_t r;

	(void)l;
	(void)events;
	r = read(fd, buf, sizeof(buf));
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		/* the watcher is gone */
		loop_del_fd(m->loop, fd);
		close(fd);
		m->b.status_fd = -1;
		if (!m->b.exit_seen && m->b.kernel == 0)
			start_failed(m, "the jailed child died before the kernel ran");
		else if (m->b.adopted && !m->b.exit_seen)
			adopted_watcher_gone(m);
		/* else: the kernel, orphaned to us (subreaper), is reaped later */
		return;
	}
	sb_append(&m->b.status_in, buf, (size_t)r);
	while (m->b.status_in.len && (nl = memchr(m->b.status_in.buf, '\n',
						  m->b.status_in.len))) {
		size_t n = (size_t)(nl - m->b.status_in.buf) + 1;
		char line[1200];

		snprintf(line, sizeof(line), "%.*s", (int)(n - 1), m->b.status_in.buf);
		memmove(m->b.status_in.buf, m->b.status_in.buf + n, m->b.status_in.len - n);
		m->b.status_in.len -= n;
		status_line(m, line);
		if (m->b.status_fd < 0)
			return; /* the boot ended and took the pipe with it */
	}
}

/* A wait status in words, for the log. */
static const char *describe_status(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "exit code %d", WEXITSTATUS(st));
	return buf;
}

void mon_on_sigchld(struct loop *l, int sig, void *arg)
{
	struct monitor *m = arg;
	char why[64];
	pid_t pid;
	int st;

	(void)l;
	(void)sig;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == m->b.watcher) {
			m->b.watcher = 0;
			if (!m->b.exit_seen && m->b.kernel == 0 && m->b.status_fd < 0)
				start_failed(m, "the jailed child died before the "
					     "kernel ran");
			else if (!m->b.exit_seen && m->b.kernel &&
				 kill(m->b.kernel, 0) < 0 && errno == ESRCH)
				/* it reaped the kernel but died before telling */
				kernel_ended(m, -1);
			else if (!m->b.exit_seen && m->b.kernel)
				/* the kernel is now ours (subreaper) and its end
				 * comes as a SIGCHLD; it halts at the watcher's
				 * death (PR_SET_PDEATHSIG) */
				log_warn("%s: the watcher (pid %d) ended before the "
					 "kernel (pid %d): %s", m->vm->name, (int)pid,
					 (int)m->b.kernel, describe_status(st, why,
									   sizeof(why)));
			restart_if_due(m);
		} else if (m->b.kernel && pid == m->b.kernel) {
			/* the watcher died first; we are the kernel's reaper */
			kernel_ended(m, st);
		}
	}
}

/* A second mconsole notification from one kernel: UML reboots by
 * executing itself again in the same process, which keeps the old jail
 * and, through a race in the kernel, can leave its own disk locked
 * against itself. The new boot is halted before it mounts anything;
 * unless a stop was asked for, the VM then starts again, fresh. */
static void kernel_rebooted(struct monitor *m)
{
	if (m->state == UM_STOPPING) {
		log_warn("%s: the kernel rebooted instead of stopping; halting it",
			 m->vm->name);
		if (m->op.stage < STAGE_HALT)
			stop_enter(m, STAGE_HALT);
		return;
	}
	log_info("%s: the guest rebooted; restarting it in a fresh jail",
		 m->vm->name);
	m->op.rebooting = 1;
	monitor_set_state(m, UM_STOPPING);
	stop_enter(m, STAGE_HALT);
}

/* The guest is up: its ready notice, or a login prompt on con1. */
static void guest_ready(struct monitor *m, const char *how)
{
	char msg[256];

	if (m->b.ready_ms || !is_up(m))
		return;
	m->b.ready_ms = now_ms() - m->b.started_ms;
	if (m->b.ready_ms <= 0)
		m->b.ready_ms = 1;
	stop_login_watch(m);
	runstate_write(m);
	log_info("%s: the guest is up after %lld ms (%s)", m->vm->name,
		 (long long)m->b.ready_ms, how);
	snprintf(msg, sizeof(msg), "%s: up %.1f s after the start (%s)",
		 m->vm->name, (double)m->b.ready_ms / 1000.0, how);
	finish_waiters(m, &m->op.ready_waiters, UM_OK, msg);
}

/* Does the output end with a login prompt ("vm1 login: ")? */
static int ends_in_login(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n >= 6 && !memcmp(s + n - 6, "login:", 6);
}

static void on_login_output(struct chan_waiter *w, int closed)
{
	struct monitor *m = w->arg;
	struct chan *ch = w->ch;
	char tail[128];
	uint64_t off;
	size_t n;

	if (closed) {
		m->b.login_chan = NULL;
		return;
	}
	off = ch->head > sizeof(tail) ? ch->head - sizeof(tail) : 0;
	n = chan_read(ch, &off, tail, sizeof(tail));
	if (ends_in_login(tail, n)) {
		m->b.login_chan = NULL;
		guest_ready(m, "a login prompt on con1");
		return;
	}
	w->offset = ch->head;
	chan_wait(ch, w);
}


#define PANIC_MARK "Kernel panic - not syncing: "

/* Before its mconsole is up a kernel cannot send a panic notification
 * (too little memory panics that early, and the kernel then spins): until
 * then the monitor reads con0, the kernel's console, for the panic line.
 * No guest program runs yet that could print one. */
static void on_boot_output(struct chan_waiter *w, int closed)
{
	struct monitor *m = w->arg;
	struct chan *ch = w->ch;
	char buf[4096], *at, *nl;
	uint64_t off;
	size_t n;

	if (closed) {
		m->b.panic_chan = NULL;
		return;
	}
	/* from a little before the last look, so that a mark split over two
	 * pieces of output is found */
	off = w->offset > sizeof(PANIC_MARK) ? w->offset - sizeof(PANIC_MARK) : 0;
	n = chan_read(ch, &off, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	at = memmem(buf, n, PANIC_MARK, strlen(PANIC_MARK));
	if (at && (nl = memchr(at, '\n', n - (size_t)(at - buf)))) {
		*nl = '\0';
		if (nl > at && nl[-1] == '\r')
			nl[-1] = '\0';
		m->b.panic_chan = NULL;
		kernel_panicked(m, at + strlen(PANIC_MARK));
		return;
	}
	/* the line is not complete yet: look there again */
	w->offset = at ? off + (uint64_t)(at - buf) + sizeof(PANIC_MARK) : off + n;
	chan_wait(ch, w);
}

/* The kernel panicked: the VM is crashed now, whatever the kernel does
 * next (a panic in init can leave it spinning for ever). It is ended at
 * once unless the configuration keeps it for inspection. */
static void kernel_panicked(struct monitor *m, const char *text)
{
	char msg[400];

	snprintf(m->b.panic, sizeof(m->b.panic), "%.200s", text);
	log_err("%s: kernel panic: %s", m->vm->name, text);
	if (m->b.panicked)
		return;
	m->b.panicked = 1;
	monitor_set_state(m, UM_CRASHED);
	stop_panic_watch(m);
	snprintf(msg, sizeof(msg), "%s: the kernel panicked: %s", m->vm->name,
		 m->b.panic);
	finish_waiters(m, &m->op.ready_waiters, UM_ESTATE, msg);
	stop_login_watch(m);
	/* -info tells it now: the kernel's end may be some time off */
	memset(&m->last_exit, 0, sizeof(m->last_exit));
	m->last_exit.valid = 1;
	m->last_exit.ended = time(NULL);
	if (m->vm->on_panic == PANIC_KEEP) {
		snprintf(m->last_exit.reason, sizeof(m->last_exit.reason),
			 "the kernel panicked: %s; kept for inspection (kernel pid "
			 "%d; -halt ends it)", m->b.panic, (int)m->b.kernel);
		log_warn("%s: the panicked kernel (pid %d) is kept for inspection "
			 "(on_panic = keep); 'umlwatch %s -halt' ends it",
			 m->vm->name, (int)m->b.kernel, m->vm->name);
		return;
	}
	snprintf(m->last_exit.reason, sizeof(m->last_exit.reason),
		 "the kernel panicked: %s; the monitor is ending it", m->b.panic);
	/* a panicked UML ignores SIGTERM */
	log_info("%s: killing the panicked kernel", m->vm->name);
	stop_enter(m, STAGE_KILL);
}

/* May one more notification be logged? Says first how many were not. */
static int note_ok(struct monitor *m)
{
	uint64_t held;

	if (!ratelimit_ok(&m->notify_limit, now_ms(), &held))
		return 0;
	if (held)
		log_warn("%s: %llu notifications were not logged (at most %d a "
			 "second)", m->vm->name, (unsigned long long)held,
			 m->notify_limit.burst);
	return 1;
}

/* Notifications are believed only from this boot's kernel: any process
 * with the vmuser's uid can reach the socket. The kernel is the watcher's
 * child (its pid may not be known yet when its first datagram comes). */
static int from_kernel(const struct monitor *m, pid_t pid)
{
	if (pid <= 0)
		return 0;
	if (m->b.kernel)
		return pid == m->b.kernel;
	return m->b.watcher && proc_parent(pid) == m->b.watcher;
}

static void on_notify(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct monitor *m = arg;
	struct mconsole_notify n;
	char buf[sizeof(struct mconsole_notify)];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = {buf, sizeof(buf)};
	struct err e;
	ssize_t r;

	(void)l;
	(void)events;
	for (;;) {
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = &ctl, .msg_controllen = sizeof(ctl)};
		struct cmsghdr *c;
		pid_t sender = 0;

		r = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (r <= 0)
			break;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_CREDENTIALS) {
				struct ucred cr;

				memcpy(&cr, CMSG_DATA(c), sizeof(cr));
				sender = cr.pid;
			}
		if (!from_kernel(m, sender)) {
			if (note_ok(m))
				log_warn("%s: notification from pid %d ignored: not "
					 "from the VM's kernel", m->vm->name,
					 (int)sender);
			continue;
		}
		if (mconsole_notify_parse(buf, (size_t)r, &n, &e) < 0) {
			if (note_ok(m))
				log_warn("%s: notification: %s", m->vm->name, e.msg);
			continue;
		}
		switch (n.type) {
		case MCONSOLE_NOTIFY_SOCKET:
			/* a new boot of the kernel has a new socket */
			open_mconsole(m);
			open_kernel_netns(m, sender);
			if (m->state == UM_STARTING) {
				/* from now on a panic is notified */
				stop_panic_watch(m);
				monitor_set_state(m, UM_RUNNING);
				log_info("%s: running (mconsole up after %lld ms)",
					 m->vm->name,
					 (long long)(now_ms() - m->b.started_ms));
			} else if (!m->b.panicked) {
				kernel_rebooted(m);
			}
			break;
		case MCONSOLE_NOTIFY_PANIC:
			kernel_panicked(m, n.data);
			break;
		case MCONSOLE_NOTIFY_HANG:
			log_err("%s: the kernel reports a hang", m->vm->name);
			break;
		case MCONSOLE_NOTIFY_USER:
			/* written by the guest: as many as it likes, so the
			 * log gets only so many of them */
			n.data[strcspn(n.data, "\n")] = '\0';
			if (!strcmp(n.data, IMAGE_READY_MARK))
				guest_ready(m, "its ready notice");
			if (note_ok(m))
				log_info("%s: guest notification: %s", m->vm->name,
					 n.data);
			break;
		}
	}
}

static int open_notify(struct monitor *m, struct err *e)
{
	struct sockaddr_un sa;
	int fd, on = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", m->jail.p.notify);
	unlink(m->jail.p.notify);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err_sys(e, "%s: notification socket", m->jail.p.notify);
		return -1;
	}
	/* the sender's pid comes with every datagram */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0) {
		err_sys(e, "%s: SO_PASSCRED", m->jail.p.notify);
		close(fd);
		return -1;
	}
	/* the node is made with the socket's mode (0600, not a umask that
	 * threads share) and handed to the kernel's user without following
	 * a link: the jail's tmp is the vmuser's */
	if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys(e, "%s: notification socket", m->jail.p.notify);
		close(fd);
		return -1;
	}
	if (lchown(m->jail.p.notify, m->vm->uid, m->vm->gid) < 0 ||
	    loop_add_fd(m->loop, fd, EPOLLIN, on_notify, m) < 0) {
		err_sys(e, "%s", m->jail.p.notify);
		close(fd);
		unlink(m->jail.p.notify);
		return -1;
	}
	m->b.notify_fd = fd;
	return 0;
}

/* The kernel and the disks are there for the vmuser, no other kernel
 * writes what this VM uses, nor uses what it writes, and each COW still
 * matches its backing file: checked here (precheck.h), with a clear
 * message, rather than by the kernel's panic. */
static int disks_ready(struct monitor *m, struct err *e)
{
	char who[96];

	/* the images stay locked while this boot lasts: no other monitor
	 * checks and opens them meanwhile (see disklock.h) */
	snprintf(who, sizeof(who), "the monitor of %s", m->vm->name);
	disklocks_free(&m->b.locks);
	disklocks_init(&m->b.locks, m->cfg->global.shared, who);
	return precheck_boot(&m->jail, m->cfg, m->vm, &m->b.locks, e);
}

/* The jail's mounts: its tmp, and in its shared only the files this VM
 * uses, with the backing files its COW headers name. */
static int mount_jail(struct monitor *m, struct err *e)
{
	char **extra = precheck_shared_backings(m->cfg, m->vm);
	int r = jail_mount(&m->jail, m->vm, (const char *const *)extra, e);

	for (char **v = extra; *v; v++)
		free(*v);
	free(extra);
	return r;
}

/* Each channel starts a boot with a blank screen, and its log with a
 * dated line that says which boot follows. */
static void new_boot_marks(struct monitor *m)
{
	char stamp[64], line[160];
	struct tm tm;

	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S %Z",
		 localtime_r(&m->b.started, &tm));
	snprintf(line, sizeof(line), "==== umlmon: %s boot %d, started %s ====\r\n",
		 m->vm->name, m->boots, stamp);
	for (int i = 0; i < m->nchans; i++)
		chan_new_boot(m->chans[i], line);
}

/* The jail's mounts, if the VM's memory fits in what the host has left
 * (admission.h): decided and mounted under one lock, so that of two
 * starts racing for the last room only one passes. */
static int mount_admitted(struct monitor *m, struct err *e)
{
	int lock, r;

	lock = admission_enter(m->cfg->global.vardir, m->vm->name, m->jail.p.tmp,
			       m->vm->memory, JAIL_TMP_MARGIN,
			       m->cfg->global.host_reserve, e);
	if (lock < 0)
		return -1;
	r = mount_jail(m, e);
	admission_leave(lock);
	return r;
}

int monitor_start(struct monitor *m, mon_done_cb cb, void *arg, struct err *e)
{
	static char *const envp[] = {"TMPDIR=/tmp", "PATH=/", "HOME=/tmp", NULL};
	int src[3 + VM_MAX_CHANS], nsrc = 3, pipefd[2] = {-1, -1}, devnull = -1;
	int keep[VM_MAX_CHANS], nkeep = 0;
	char *keep_names[VM_MAX_CHANS + 1];
	char *cgfiles[CGROUP_MAX_DIRS + 1];
	struct jail_exec x;
	struct cmdline cl;
	int ncg;
	char macs[VM_MAX_NICS][18];
	pid_t pid;

	if (m->state != UM_STOPPED && m->state != UM_CRASHED) {
		if (m->b.kernel)
			err_code(e, ERR_STATE, "%s: already running (state %s, kernel "
				 "pid %d)", m->vm->name, vm_state_name(m->state),
				 (int)m->b.kernel);
		else
			err_code(e, ERR_STATE, "%s: already running (state %s)",
				 m->vm->name, vm_state_name(m->state));
		return -1;
	}
	if (m->b.watcher) {
		err_code(e, ERR_STATE, "%s: the previous watcher (pid %d) has not "
			 "exited yet", m->vm->name, (int)m->b.watcher);
		return -1;
	}
	if (m->op.disk_job) {
		err_code(e, ERR_BUSY, "%s: a disk operation is running (%s); start "
			 "the VM when it has ended", m->vm->name,
			 diskjob_what(m->op.disk_job));
		return -1;
	}
	if (m->op.snap) {
		err_code(e, ERR_BUSY, "%s: a snapshot is being taken; start the VM "
			 "when it has ended", m->vm->name);
		return -1;
	}
	/* a process of the vmuser's that came up since the monitor started */
	if (vmuser_check(m->cfg, m->vm, m->jail.p.root, e) < 0)
		return -1;
	memset(&cl, 0, sizeof(cl));
	if (macpool_assign(m->cfg, m->vm, macs, e) < 0 ||
	    cmdline_build(m->vm, macs, &cl, e) < 0)
		goto fail;
	memcpy(m->b.macs, macs, sizeof(macs));
	if (jail_layout(&m->jail, e) < 0 || mount_admitted(m, e) < 0)
		goto fail;
	if (jailcheck_boot(&m->jail, m->vm->kernel, e) < 0 || disks_ready(m, e) < 0 ||
	    vmnet_up(&m->b.net, m->cfg, m->vm, m->jail.p.root, e) < 0 ||
	    jail_share_switches(&m->jail, m->vm, e) < 0 || open_notify(m, e) < 0)
		goto fail;
	for (int i = 0; i < m->nchans; i++)
		if (chan_open(m->chans[i], e) < 0)
			goto fail;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		err_sys(e, "/dev/null");
		goto fail;
	}
	for (int i = 0; i < 3; i++)
		src[i] = cl.con0_chan >= 0 ? m->chans[cl.con0_chan]->slave : devnull;
	for (int k = 0; k < cl.nfds; k++)
		src[nsrc++] = m->chans[cl.fds[k].chan]->slave;
	/* the watcher keeps a copy of each master: the consoles outlive
	 * this monitor, and a new one gets them (monitor_attach.c) */
	for (int i = 0; i < m->nchans; i++)
		if (chan_is_open(m->chans[i])) {
			keep[nkeep] = m->chans[i]->master;
			keep_names[nkeep++] = m->chans[i]->name;
		}
	keep_names[nkeep] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		err_sys(e, "pipe");
		goto fail;
	}
	memset(&x, 0, sizeof(x));
	x.hostname = m->vm->name;
	x.limits = &m->vm->limits;
	x.seccomp = m->vm->seccomp;
	x.own_net = !vmnet_needs_host_netns(m->vm);
	x.argv = cl.argv;
	x.envp = envp;
	x.nfds = nsrc;
	x.src = src;
	x.nkeep = nkeep;
	x.keep = keep;
	x.keep_names = keep_names;
	x.handover = JAIL_HANDOVER_SOCKET;
	x.status_fd = pipefd[1];
	x.sigmask = m->orig_mask;
	/* last, so that nothing before can leave it behind: the helper's
	 * first step joins it */
	if (cgroup_create(&m->cg, &m->vm->cgroup, m->vm->memory, e) < 0)
		goto fail;
	ncg = cgroup_procs_files(&m->cg, cgfiles);
	cgfiles[ncg] = NULL;
	x.cgroups = cgfiles;
	pid = jail_spawn(&m->jail, &x, e);
	for (int i = 0; i < ncg; i++)
		free(cgfiles[i]);
	if (pid < 0)
		goto fail;
	close(pipefd[1]);
	close(devnull);
	for (int i = 0; i < m->nchans; i++)
		chan_slave_done(m->chans[i]);
	m->b.status_fd = pipefd[0];
	fd_nonblock(m->b.status_fd);
	loop_add_fd(m->loop, m->b.status_fd, EPOLLIN, on_status, m);
	m->b.watcher = pid;
	m->b.adopted = 0;
	m->b.kernel = 0;
	m->b.exit_seen = 0;
	m->b.panic[0] = '\0';
	m->b.panicked = 0;
	monitor_set_state(m, UM_STARTING);
	m->b.started = time(NULL);
	m->b.started_ms = now_ms();
	m->b.ready_ms = 0;
	hotplug_boot_begins(m);
	m->boots++;
	m->op.stage = m->op.stage_max = STAGE_NONE;
	free(m->b.cmdline);
	m->b.cmdline = xstrdup(cl.text);
	log_info("%s: starting (boot %d): %s", m->vm->name, m->boots, cl.text);
	cmdline_free(&cl);
	new_boot_marks(m);
	/* a guest without a ready notice is up at its login prompt; a kernel
	 * that panics before its mconsole is up says so only on its console */
	watch_chan(m, "con1", &m->b.login_chan, &m->b.login_watch, on_login_output);
	watch_chan(m, "con0", &m->b.panic_chan, &m->b.panic_watch, on_boot_output);
	add_waiter(&m->op.start_waiters, cb, arg);
	return 0;
fail:
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	if (devnull >= 0)
		close(devnull);
	for (int i = 0; i < m->nchans; i++)
		chan_close(m->chans[i]);
	if (m->b.notify_fd >= 0) {
		loop_del_fd(m->loop, m->b.notify_fd);
		close(m->b.notify_fd);
		m->b.notify_fd = -1;
		unlink(m->jail.p.notify);
	}
	vmnet_down(&m->b.net, m->vm);
	jail_unmount(&m->jail);
	remove_cgroup(m);
	disklocks_release(&m->b.locks);
	cmdline_free(&cl);
	/* the refusal is the VM's, whatever object it names */
	err_prefix(e, "%s: cannot start", m->vm->name);
	log_err("%s", e->msg);
	return -1;
}

int monitor_wait_ready(struct monitor *m, mon_done_cb cb, void *arg,
		       struct err *e)
{
	if (m->state != UM_STARTING && m->state != UM_RUNNING &&
	    m->state != UM_PAUSED) {
		err_code(e, ERR_STATE, "%s: not running (state %s)", m->vm->name,
			 vm_state_name(m->state));
		return -1;
	}
	add_waiter(&m->op.ready_waiters, cb, arg);
	return 0;
}

int boot_adopt(struct monitor *m, struct err *e)
{
	fd_nonblock(m->b.status_fd);
	if (loop_add_fd(m->loop, m->b.status_fd, EPOLLIN, on_status, m) < 0) {
		err_sys(e, "the watcher's connection: epoll");
		return -1;
	}
	m->b.adopted = 1;
	m->b.exit_seen = 0;
	/* the kernel sends its notifications to the socket's name: bound
	 * again, they reach this monitor */
	if (open_notify(m, e) < 0)
		return -1;
	open_kernel_netns(m, m->b.kernel);
	if (!jail_is_mountpoint(m->jail.p.tmp) || access(m->jail.p.mconsole, F_OK) < 0) {
		/* its mconsole is not up yet: the notification says when */
		monitor_set_state(m, UM_STARTING);
		watch_chan(m, "con0", &m->b.panic_chan, &m->b.panic_watch,
			   on_boot_output);
	} else {
		open_mconsole(m);
		monitor_set_state(m, UM_RUNNING);
	}
	if (!m->b.ready_ms)
		watch_chan(m, "con1", &m->b.login_chan, &m->b.login_watch,
			   on_login_output);
	return 0;
}
