/* monitor.c -- the life of one VM: start through the jailed watcher, the
 * status pipe, mconsole notifications, the escalating stop, and the end of
 * the kernel (drain the consoles, unmount, record why it ended). */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/names.h"
#include "../common/mcpolicy.h"
#include "cmdline.h"
#include "diskjob.h"
#include "disklock.h"
#include "image.h"
#include "logw.h"
#include "loop.h"
#include "macpool.h"
#include "mconsole.h"
#include "rpc_server.h"

/* How long one mconsole command of the stop sequence may take. */
#define STOP_MC_TIMEOUT_MS 2000
/* Ctrl-Alt-Del is sent again this often while the guest has not reacted:
 * one sent before init installed its handler is lost. */
#define CAD_REPEAT_MS 3000
/* After mconsole halt, before SIGTERM; after SIGTERM, before SIGKILL. */
#define HALT_GRACE_MS 10000
#define TERM_GRACE_MS 5000

/* An mconsole call made for a client. */
struct mon_req {
	struct monitor *m;
	struct mconsole_op *op;
	mon_done_cb cb;       /* NULL once the client is gone */
	void *arg;
	int then;             /* um_state to enter on success, or -1 */
	char said[128];       /* the answer on success ("" : the kernel's) */
	struct mon_req *next;
};

static void stop_enter(struct monitor *m, enum stop_stage s);
static void stop_mc(struct monitor *m, const char *cmd);

static void add_waiter(struct mon_waiter **list, mon_done_cb cb, void *arg)
{
	struct mon_waiter *w = xcalloc(1, sizeof(*w));

	w->cb = cb;
	w->arg = arg;
	w->next = *list;
	*list = w;
}

/* Marks where a finish_waiters() walk begins; never called. */
static void walk_mark(struct monitor *m, um_status st, const char *msg, void *arg)
{
	(void)m;
	(void)st;
	(void)msg;
	(void)arg;
}

/* The waiters stay on the list until their turn, so that monitor_forget()
 * from a callback (its client went away) still finds them. A mark put at
 * the head splits the list: waiters that callbacks add go in front of it
 * and wait for the next event; behind it are the ones to finish now (and
 * the mark of a walk this one runs inside, which is skipped). */
static void finish_waiters(struct monitor *m, struct mon_waiter **list,
			   um_status st, const char *msg)
{
	struct mon_waiter mark = {.cb = walk_mark, .next = *list}, **pp, *w;

	mark.arg = &mark;
	*list = &mark;
	for (;;) {
		for (pp = &mark.next; *pp && (*pp)->cb == walk_mark; pp = &(*pp)->next)
			;
		if (!(w = *pp))
			break;
		*pp = w->next;
		if (w->cb)
			w->cb(m, st, msg, w->arg);
		free(w);
	}
	for (pp = list; *pp != &mark; pp = &(*pp)->next)
		;
	*pp = mark.next;
}

static void forget_in(struct mon_waiter *list, void *arg)
{
	for (; list; list = list->next)
		if (list->arg == arg)
			list->cb = NULL;
}

void monitor_forget(struct monitor *m, void *arg)
{
	forget_in(m->start_waiters, arg);
	forget_in(m->stop_waiters, arg);
	forget_in(m->ready_waiters, arg);
	forget_in(m->reboot_waiters, arg);
	for (struct mon_req *r = m->reqs; r; r = r->next)
		if (r->arg == arg)
			r->cb = NULL;
}

struct chan *monitor_chan(struct monitor *m, const char *name)
{
	for (int i = 0; i < m->nchans; i++)
		if (m->chans[i] && !strcmp(m->chans[i]->name, name))
			return m->chans[i];
	return NULL;
}

static int is_up(const struct monitor *m)
{
	return m->state == UM_STARTING || m->state == UM_RUNNING ||
	       m->state == UM_PAUSED || m->state == UM_STOPPING;
}

/* ---- the end of a boot --------------------------------------------- */

static void describe_exit(struct monitor *m, int status, struct vm_exit *x)
{
	const char *how;
	size_t n;

	memset(x, 0, sizeof(*x));
	x->valid = 1;
	x->ended = time(NULL);
	x->requested = m->stage != STAGE_NONE;
	if (status == -1) {
		snprintf(x->reason, sizeof(x->reason), "ended; its status is unknown "
			 "(the jailed child died before reporting it)");
		return;
	}
	if (WIFEXITED(status)) {
		x->code = WEXITSTATUS(status);
		if (x->code == 0 && !x->requested && !m->panicked)
			x->requested = 1; /* the guest powered off by itself */
	} else if (WIFSIGNALED(status)) {
		x->signal = WTERMSIG(status);
	}
	if (m->panicked) {
		/* whatever ended it after the panic, the panic is the cause */
		x->requested = 0;
		snprintf(x->reason, sizeof(x->reason), "the kernel panicked: %s",
			 m->panic[0] ? m->panic : "(no text)");
		n = strlen(x->reason);
		if (m->stage_max >= STAGE_TERM && x->signal == SIGKILL)
			snprintf(x->reason + n, sizeof(x->reason) - n, "; ended by the "
				 "monitor (SIGKILL)");
		else if (x->signal)
			snprintf(x->reason + n, sizeof(x->reason) - n, "; killed by "
				 "signal %d (%s)", x->signal, strsignal(x->signal));
		return;
	}
	switch (m->rebooting ? STAGE_NONE : m->stage_max) {
	case STAGE_NONE:
		how = m->rebooting ? "rebooted by the guest" : NULL;
		break;
	case STAGE_CAD: how = "stopped by ctrl-alt-del"; break;
	case STAGE_SYNC:
	case STAGE_UMOUNT:
	case STAGE_HALT:
		how = m->stop_timeout >= 0 && m->stage_max != STAGE_HALT ?
			"stopped by sysrq sync, read-only remount and halt" :
			"halted through mconsole";
		break;
	case STAGE_TERM: how = "halted by SIGTERM"; break;
	default: how = "killed by the monitor with SIGKILL"; break;
	}
	if (x->signal && !(x->requested && m->stage_max >= STAGE_TERM))
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
	if (m->panic[0]) {
		n = strlen(x->reason);
		snprintf(x->reason + n, sizeof(x->reason) - n, "; panic: %s",
			 m->panic);
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

static void stop_timers(struct monitor *m)
{
	loop_timer_cancel(m->loop, m->stop_timer);
	m->stop_timer = NULL;
	if (m->stop_op) {
		mconsole_async_cancel(m->stop_op);
		m->stop_op = NULL;
	}
}

static void close_mconsole(struct monitor *m)
{
	if (m->mc_fd >= 0)
		close(m->mc_fd);
	m->mc_fd = -1;
	snprintf(m->mc_path, sizeof(m->mc_path), "(no mconsole socket)");
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
	m->mc_fd = fd;
	snprintf(m->mc_path, sizeof(m->mc_path), "/proc/self/fd/%d", fd);
}

/* Undoes what a start set up on the host. */
static void teardown(struct monitor *m)
{
	stop_timers(m);
	drain_chans(m);
	if (m->notify_fd >= 0) {
		loop_del_fd(m->loop, m->notify_fd);
		close(m->notify_fd);
		m->notify_fd = -1;
		unlink(m->jail.p.notify);
	}
	if (m->status_fd >= 0) {
		loop_del_fd(m->loop, m->status_fd);
		close(m->status_fd);
		m->status_fd = -1;
	}
	sb_free(&m->status_in);
	close_mconsole(m);
	disklocks_release(&m->boot_locks);
	vmnet_down(&m->net, m->vm);
	jail_unmount(&m->jail);
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

static void stop_panic_watch(struct monitor *m)
{
	unwatch_chan(&m->panic_chan, &m->panic_watch);
}

static void stop_login_watch(struct monitor *m)
{
	unwatch_chan(&m->login_chan, &m->login_watch);
}

/* A reboot asked for by a client: the new boot answers its waiters. */
static void on_restarted(struct monitor *m, um_status st, const char *msg,
			 void *arg)
{
	(void)arg;
	finish_waiters(m, &m->reboot_waiters, st, msg);
}

/* A VM that rebooted (the guest did, or a client asked for it) gets a new
 * kernel in a freshly set-up jail once the old kernel and its watcher are
 * gone (the watcher reports the kernel's end just before it exits). */
static void restart_if_due(struct monitor *m)
{
	int asked = m->restart;
	struct err e;

	if (!(m->rebooting || m->restart) || m->watcher || is_up(m) ||
	    m->quitting)
		return;
	m->rebooting = 0;
	m->restart = 0;
	log_info("%s: starting again after %s", m->vm->name,
		 asked ? "the reboot asked for" : "the guest's reboot");
	if (monitor_start(m, asked ? on_restarted : NULL, NULL, &e) == 0)
		return;
	log_err("%s: restart: %s", m->vm->name, e.msg);
	if (asked)
		finish_waiters(m, &m->reboot_waiters, UM_EIO, e.msg);
}

static void after_end(struct monitor *m)
{
	m->stage = STAGE_NONE;
	m->stage_max = STAGE_NONE;
	stop_login_watch(m);
	stop_panic_watch(m);
	finish_waiters(m, &m->ready_waiters, UM_ESTATE, m->last_exit.reason);
	if (m->quitting) {
		finish_waiters(m, &m->reboot_waiters, UM_ECLOSED,
			       "the monitor is exiting");
		loop_quit(m->loop);
		return;
	}
	if (m->pending)
		monitor_apply_pending(m);
	restart_if_due(m);
}

/* The kernel of this boot has ended with wait status st. */
static void kernel_ended(struct monitor *m, int st)
{
	char msg[640];

	if (m->exit_seen)
		return;
	m->exit_seen = 1;
	describe_exit(m, st, &m->last_exit);
	m->kernel = 0;
	teardown(m);
	m->state = m->last_exit.requested || m->rebooting ? UM_STOPPED : UM_CRASHED;
	log_info("%s: %s: %s", m->vm->name, vm_state_name(m->state),
		 m->last_exit.reason);
	snprintf(msg, sizeof(msg), "%s: the kernel ended during the start: %s",
		 m->vm->name, m->last_exit.reason);
	finish_waiters(m, &m->start_waiters, UM_EIO, msg);
	snprintf(msg, sizeof(msg), "%s: %s", m->vm->name, m->last_exit.reason);
	finish_waiters(m, &m->stop_waiters, UM_OK, msg);
	after_end(m);
}

/* The start failed before the kernel ran. */
static void start_failed(struct monitor *m, const char *why)
{
	char msg[1100];

	if (m->exit_seen)
		return;
	m->exit_seen = 1;
	teardown(m);
	m->state = UM_STOPPED;
	memset(&m->last_exit, 0, sizeof(m->last_exit));
	m->last_exit.valid = 1;
	m->last_exit.ended = time(NULL);
	snprintf(m->last_exit.reason, sizeof(m->last_exit.reason),
		 "start failed: %s", why);
	snprintf(msg, sizeof(msg), "%s: cannot start: %s", m->vm->name, why);
	log_err("%s", msg);
	finish_waiters(m, &m->start_waiters, UM_EIO, msg);
	finish_waiters(m, &m->stop_waiters, UM_OK, msg);
	after_end(m);
}

static void status_line(struct monitor *m, char *line)
{
	if (!strncmp(line, "kernel ", 7)) {
		char msg[128];

		m->kernel = (pid_t)atoi(line + 7);
		log_info("%s: kernel started, pid %d", m->vm->name, (int)m->kernel);
		snprintf(msg, sizeof(msg), "%s: started (kernel pid %d)",
			 m->vm->name, (int)m->kernel);
		finish_waiters(m, &m->start_waiters, UM_OK, msg);
	} else if (!strncmp(line, "error ", 6)) {
		start_failed(m, line + 6);
	} else if (!strncmp(line, "exit ", 5)) {
		kernel_ended(m, atoi(line + 5));
	} else {
		log_warn("%s: watcher said '%s'", m->vm->name, line);
	}
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
		m->status_fd = -1;
		if (!m->exit_seen && m->kernel == 0)
			start_failed(m, "the jailed child died before the kernel ran");
		/* else: the kernel, orphaned to us (subreaper), is reaped later */
		return;
	}
	sb_append(&m->status_in, buf, (size_t)r);
	while (m->status_in.len && (nl = memchr(m->status_in.buf, '\n',
						  m->status_in.len))) {
		size_t n = (size_t)(nl - m->status_in.buf) + 1;
		char line[1200];

		snprintf(line, sizeof(line), "%.*s", (int)(n - 1), m->status_in.buf);
		memmove(m->status_in.buf, m->status_in.buf + n, m->status_in.len - n);
		m->status_in.len -= n;
		status_line(m, line);
		if (m->status_fd < 0)
			return; /* the boot ended and took the pipe with it */
	}
}

static void on_sigchld(struct loop *l, int sig, void *arg)
{
	struct monitor *m = arg;
	pid_t pid;
	int st;

	(void)l;
	(void)sig;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == m->watcher) {
			m->watcher = 0;
			if (!m->exit_seen && m->kernel == 0 && m->status_fd < 0)
				start_failed(m, "the jailed child died before the "
					     "kernel ran");
			else if (!m->exit_seen && m->kernel &&
				 kill(m->kernel, 0) < 0 && errno == ESRCH)
				/* it reaped the kernel but died before telling */
				kernel_ended(m, -1);
			/* else the kernel is now ours (subreaper) and its end
			 * comes as a SIGCHLD */
			restart_if_due(m);
		} else if (m->kernel && pid == m->kernel) {
			/* the watcher died first; we are the kernel's reaper */
			kernel_ended(m, st);
		}
	}
}

/* ---- mconsole notifications ------------------------------------------ */

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
		if (m->stage < STAGE_HALT)
			stop_enter(m, STAGE_HALT);
		return;
	}
	log_info("%s: the guest rebooted; restarting it in a fresh jail",
		 m->vm->name);
	m->rebooting = 1;
	m->state = UM_STOPPING;
	stop_enter(m, STAGE_HALT);
}

/* The guest is up: its ready notice, or a login prompt on con1. */
static void guest_ready(struct monitor *m, const char *how)
{
	char msg[256];

	if (m->ready_ms || !is_up(m))
		return;
	m->ready_ms = now_ms() - m->started_ms;
	if (m->ready_ms <= 0)
		m->ready_ms = 1;
	stop_login_watch(m);
	log_info("%s: the guest is up after %lld ms (%s)", m->vm->name,
		 (long long)m->ready_ms, how);
	snprintf(msg, sizeof(msg), "%s: up %.1f s after the start (%s)",
		 m->vm->name, (double)m->ready_ms / 1000.0, how);
	finish_waiters(m, &m->ready_waiters, UM_OK, msg);
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
		m->login_chan = NULL;
		return;
	}
	off = ch->head > sizeof(tail) ? ch->head - sizeof(tail) : 0;
	n = chan_read(ch, &off, tail, sizeof(tail));
	if (ends_in_login(tail, n)) {
		m->login_chan = NULL;
		guest_ready(m, "a login prompt on con1");
		return;
	}
	w->offset = ch->head;
	chan_wait(ch, w);
}


static void kernel_panicked(struct monitor *m, const char *text);

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
		m->panic_chan = NULL;
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
		m->panic_chan = NULL;
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

	snprintf(m->panic, sizeof(m->panic), "%.200s", text);
	log_err("%s: kernel panic: %s", m->vm->name, text);
	if (m->panicked)
		return;
	m->panicked = 1;
	m->state = UM_CRASHED;
	stop_panic_watch(m);
	snprintf(msg, sizeof(msg), "%s: the kernel panicked: %s", m->vm->name,
		 m->panic);
	finish_waiters(m, &m->ready_waiters, UM_ESTATE, msg);
	stop_login_watch(m);
	/* -info tells it now: the kernel's end may be some time off */
	memset(&m->last_exit, 0, sizeof(m->last_exit));
	m->last_exit.valid = 1;
	m->last_exit.ended = time(NULL);
	if (m->vm->on_panic == PANIC_KEEP) {
		snprintf(m->last_exit.reason, sizeof(m->last_exit.reason),
			 "the kernel panicked: %s; kept for inspection (kernel pid "
			 "%d; -halt ends it)", m->panic, (int)m->kernel);
		log_warn("%s: the panicked kernel (pid %d) is kept for inspection "
			 "(on_panic = keep); 'umlwatch %s -halt' ends it",
			 m->vm->name, (int)m->kernel, m->vm->name);
		return;
	}
	snprintf(m->last_exit.reason, sizeof(m->last_exit.reason),
		 "the kernel panicked: %s; the monitor is ending it", m->panic);
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

/* The pid of a process's parent, from /proc; 0 if unknown. */
static pid_t parent_of(pid_t pid)
{
	char path[64], *buf, *p;
	pid_t pp = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	buf = read_file(path, 4096, NULL);
	/* "pid (comm) state ppid ...": comm may hold anything, even ')' */
	if (buf && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &pp);
	free(buf);
	return pp;
}

/* Notifications are believed only from this boot's kernel: any process
 * with the vmuser's uid can reach the socket. The kernel is the watcher's
 * child (its pid may not be known yet when its first datagram comes). */
static int from_kernel(const struct monitor *m, pid_t pid)
{
	if (pid <= 0)
		return 0;
	if (m->kernel)
		return pid == m->kernel;
	return m->watcher && parent_of(pid) == m->watcher;
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
			if (m->state == UM_STARTING) {
				/* from now on a panic is notified */
				stop_panic_watch(m);
				m->state = UM_RUNNING;
				log_info("%s: running (mconsole up after %lld ms)",
					 m->vm->name,
					 (long long)(now_ms() - m->started_ms));
			} else if (!m->panicked) {
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
	m->notify_fd = fd;
	return 0;
}

/* ---- start ----------------------------------------------------------- */

/* No other kernel writes what this VM uses, nor uses what it writes, and
 * each COW still matches its backing file: checked here, with a clear
 * message, rather than by the kernel's panic. */
static int disks_ready(struct monitor *m, struct err *e)
{
	struct disk_ctx c;
	char who[96];
	int r;

	if (disk_ctx_init(&c, m->cfg, m->vm->name, e) < 0)
		return -1;
	/* the images stay locked while this boot lasts: no other monitor
	 * checks and opens them meanwhile (see disklock.h) */
	snprintf(who, sizeof(who), "the start of %s by its monitor", m->vm->name);
	disklocks_free(&m->boot_locks);
	disklocks_init(&m->boot_locks, m->cfg->global.shared, who);
	c.locks = &m->boot_locks;
	r = disk_check_start(&c, m->vm, e);
	disk_ctx_free(&c);
	return r;
}

/* Each channel starts a boot with a blank screen, and its log with a
 * dated line that says which boot follows. */
static void new_boot_marks(struct monitor *m)
{
	char stamp[64], line[160];
	struct tm tm;

	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S %Z",
		 localtime_r(&m->started, &tm));
	snprintf(line, sizeof(line), "==== umlmon: %s boot %d, started %s ====\r\n",
		 m->vm->name, m->boot, stamp);
	for (int i = 0; i < m->nchans; i++)
		chan_new_boot(m->chans[i], line);
}

int monitor_start(struct monitor *m, mon_done_cb cb, void *arg, struct err *e)
{
	static char *const envp[] = {"TMPDIR=/tmp", "PATH=/", "HOME=/tmp", NULL};
	int src[3 + VM_MAX_CHANS], nsrc = 3, pipefd[2] = {-1, -1}, devnull = -1;
	struct jail_exec x;
	struct cmdline cl;
	char macs[VM_MAX_NICS][18];
	pid_t pid;

	if (m->state != UM_STOPPED && m->state != UM_CRASHED) {
		if (m->kernel)
			err_code(e, ERR_STATE, "%s: already running (state %s, kernel "
				 "pid %d)", m->vm->name, vm_state_name(m->state),
				 (int)m->kernel);
		else
			err_code(e, ERR_STATE, "%s: already running (state %s)",
				 m->vm->name, vm_state_name(m->state));
		return -1;
	}
	if (m->watcher) {
		err_code(e, ERR_STATE, "%s: the previous watcher (pid %d) has not "
			 "exited yet", m->vm->name, (int)m->watcher);
		return -1;
	}
	if (m->disk_job) {
		err_code(e, ERR_BUSY, "%s: a disk operation is running (%s); start "
			 "the VM when it has ended", m->vm->name,
			 diskjob_what(m->disk_job));
		return -1;
	}
	memset(&cl, 0, sizeof(cl));
	if (macpool_assign(m->cfg, m->vm, macs, e) < 0 ||
	    cmdline_build(m->vm, macs, &cl, e) < 0)
		goto fail;
	memcpy(m->macs, macs, sizeof(macs));
	if (jail_layout(&m->jail, e) < 0 || jail_mount(&m->jail, m->vm, e) < 0)
		goto fail;
	if (jail_check(&m->jail, m->vm, e) < 0 || disks_ready(m, e) < 0 ||
	    vmnet_up(&m->net, m->cfg, m->vm, m->jail.p.root, e) < 0 ||
	    open_notify(m, e) < 0)
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
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		err_sys(e, "pipe");
		goto fail;
	}
	memset(&x, 0, sizeof(x));
	x.hostname = m->vm->name;
	x.argv = cl.argv;
	x.envp = envp;
	x.nfds = nsrc;
	x.src = src;
	x.status_fd = pipefd[1];
	x.sigmask = m->orig_mask;
	pid = jail_spawn(&m->jail, &x, e);
	if (pid < 0)
		goto fail;
	close(pipefd[1]);
	close(devnull);
	for (int i = 0; i < m->nchans; i++)
		chan_slave_done(m->chans[i]);
	m->status_fd = pipefd[0];
	fd_nonblock(m->status_fd);
	loop_add_fd(m->loop, m->status_fd, EPOLLIN, on_status, m);
	m->watcher = pid;
	m->kernel = 0;
	m->exit_seen = 0;
	m->panic[0] = '\0';
	m->panicked = 0;
	m->state = UM_STARTING;
	m->started = time(NULL);
	m->started_ms = now_ms();
	m->ready_ms = 0;
	m->boot++;
	m->stage = m->stage_max = STAGE_NONE;
	free(m->cmdline);
	m->cmdline = xstrdup(cl.text);
	log_info("%s: starting (boot %d): %s", m->vm->name, m->boot, cl.text);
	cmdline_free(&cl);
	new_boot_marks(m);
	/* a guest without a ready notice is up at its login prompt; a kernel
	 * that panics before its mconsole is up says so only on its console */
	watch_chan(m, "con1", &m->login_chan, &m->login_watch, on_login_output);
	watch_chan(m, "con0", &m->panic_chan, &m->panic_watch, on_boot_output);
	add_waiter(&m->start_waiters, cb, arg);
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
	if (m->notify_fd >= 0) {
		loop_del_fd(m->loop, m->notify_fd);
		close(m->notify_fd);
		m->notify_fd = -1;
		unlink(m->jail.p.notify);
	}
	vmnet_down(&m->net, m->vm);
	jail_unmount(&m->jail);
	disklocks_release(&m->boot_locks);
	cmdline_free(&cl);
	/* the refusal is the VM's, whatever object it names */
	err_prefix(e, "%s: cannot start", m->vm->name);
	log_err("%s", e->msg);
	return -1;
}

/* ---- stop ------------------------------------------------------------ */

static void on_stop_timer(struct loop *l, void *arg)
{
	struct monitor *m = arg;

	(void)l;
	m->stop_timer = NULL;
	switch (m->stage) {
	case STAGE_CAD:
		if (now_ms() < m->stop_deadline) {
			int64_t left = m->stop_deadline - now_ms();

			stop_mc(m, "cad");
			m->stop_timer = loop_timer_add(m->loop, left < CAD_REPEAT_MS ?
						       left : CAD_REPEAT_MS,
						       on_stop_timer, m);
			break;
		}
		log_warn("%s: no shutdown %d s after ctrl-alt-del; syncing and "
			 "halting", m->vm->name, m->stop_timeout);
		stop_enter(m, STAGE_SYNC);
		break;
	case STAGE_HALT:
		log_warn("%s: still running after mconsole halt; SIGTERM",
			 m->vm->name);
		stop_enter(m, STAGE_TERM);
		break;
	case STAGE_TERM:
	case STAGE_KILL:
		stop_enter(m, STAGE_KILL);
		break;
	default:
		break;
	}
}

static void on_stop_mc(const struct mconsole_answer *ans, const struct err *error,
		       void *arg)
{
	struct monitor *m = arg;

	m->stop_op = NULL;
	if (error)
		log_warn("%s: stop: %s", m->vm->name, error->msg);
	else if (ans->kernel_err)
		log_warn("%s: stop: the kernel said: %s", m->vm->name, ans->text);
	switch (m->stage) {
	case STAGE_SYNC:
		stop_enter(m, STAGE_UMOUNT);
		break;
	case STAGE_UMOUNT:
		stop_enter(m, STAGE_HALT);
		break;
	default:
		break;
	}
}

static void stop_mc(struct monitor *m, const char *cmd)
{
	if (m->stop_op)
		mconsole_async_cancel(m->stop_op);
	m->stop_op = mconsole_async(m->loop, m->mc_path, cmd,
				    STOP_MC_TIMEOUT_MS, on_stop_mc, m);
}

static void stop_enter(struct monitor *m, enum stop_stage s)
{
	loop_timer_cancel(m->loop, m->stop_timer);
	m->stop_timer = NULL;
	m->stage = s;
	if (s > m->stage_max)
		m->stage_max = s;
	switch (s) {
	case STAGE_CAD:
		stop_mc(m, "cad");
		m->stop_deadline = now_ms() + (int64_t)m->stop_timeout * 1000;
		m->stop_timer = loop_timer_add(m->loop, m->stop_timeout * 1000 <
					       CAD_REPEAT_MS ? m->stop_timeout * 1000 :
					       CAD_REPEAT_MS, on_stop_timer, m);
		break;
	case STAGE_SYNC:
		stop_mc(m, "sysrq s");
		break;
	case STAGE_UMOUNT:
		stop_mc(m, "sysrq u");
		break;
	case STAGE_HALT:
		stop_mc(m, "halt");
		m->stop_timer = loop_timer_add(m->loop, HALT_GRACE_MS, on_stop_timer, m);
		break;
	case STAGE_TERM:
		if (m->kernel)
			kill(m->kernel, SIGTERM);
		else if (m->watcher)
			kill(m->watcher, SIGTERM);
		m->stop_timer = loop_timer_add(m->loop, TERM_GRACE_MS, on_stop_timer, m);
		break;
	case STAGE_KILL:
		/* the kernel only: its watcher must live to report the end */
		if (m->kernel) {
			log_warn("%s: killing the kernel (pid %d)", m->vm->name,
				 (int)m->kernel);
			kill(m->kernel, SIGKILL);
		} else if (m->watcher) {
			log_warn("%s: killing the jailed child (pid %d)", m->vm->name,
				 (int)m->watcher);
			kill(m->watcher, SIGKILL);
		}
		m->stop_timer = loop_timer_add(m->loop, TERM_GRACE_MS, on_stop_timer, m);
		break;
	case STAGE_NONE:
		break;
	}
}

static void on_resume_for_stop(const struct mconsole_answer *ans,
			       const struct err *error, void *arg)
{
	struct monitor *m = arg;

	if (error || ans->kernel_err)
		log_warn("%s: resume before stop: %s", m->vm->name,
			 error ? error->msg : ans->text);
}

static int begin_stop(struct monitor *m, enum stop_stage first, int timeout,
		      mon_done_cb cb, void *arg, struct err *e)
{
	if (m->state == UM_CRASHED && m->watcher) {
		/* a panicked kernel: it answers nothing and ignores SIGTERM */
		add_waiter(&m->stop_waiters, cb, arg);
		if (m->stage < STAGE_KILL)
			stop_enter(m, STAGE_KILL);
		return 0;
	}
	if (!is_up(m)) {
		err_code(e, ERR_STATE, "%s: not running (state %s)", m->vm->name,
			 vm_state_name(m->state));
		return -1;
	}
	add_waiter(&m->stop_waiters, cb, arg);
	m->rebooting = 0; /* a stop asked for during a reboot ends it */
	if (m->restart) {
		char msg[160];

		m->restart = 0;
		snprintf(msg, sizeof(msg), "%s: not rebooted: a stop was asked "
			 "for meanwhile", m->vm->name);
		finish_waiters(m, &m->reboot_waiters, UM_ESTATE, msg);
	}
	if (m->state == UM_STOPPING && m->stage >= first)
		return 0; /* already on the way, as far or further */
	m->stop_timeout = timeout >= 0 ? timeout : m->vm->stop_timeout;
	if (m->state == UM_STARTING && first < STAGE_TERM && m->stage == STAGE_NONE) {
		/* the mconsole is not up yet: nothing can ask the guest */
		first = STAGE_TERM;
	}
	if (m->state == UM_PAUSED)
		mconsole_async(m->loop, m->mc_path, "go", STOP_MC_TIMEOUT_MS,
			       on_resume_for_stop, m);
	m->state = UM_STOPPING;
	stop_enter(m, first);
	return 0;
}

int monitor_stop(struct monitor *m, int timeout, mon_done_cb cb, void *arg,
		 struct err *e)
{
	return begin_stop(m, STAGE_CAD, timeout, cb, arg, e);
}

int monitor_halt(struct monitor *m, mon_done_cb cb, void *arg, struct err *e)
{
	return begin_stop(m, STAGE_HALT, -1, cb, arg, e);
}

int monitor_reboot(struct monitor *m, int timeout, mon_done_cb cb, void *arg,
		   struct err *e)
{
	if (m->state == UM_CRASHED && m->watcher) {
		err_code(e, ERR_STATE, "%s: its kernel panicked; halt it, then start "
			 "it", m->vm->name);
		return -1;
	}
	if (begin_stop(m, STAGE_CAD, timeout, NULL, NULL, e) < 0)
		return -1;
	m->restart = 1;
	add_waiter(&m->reboot_waiters, cb, arg);
	return 0;
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
	add_waiter(&m->ready_waiters, cb, arg);
	return 0;
}

/* ---- mconsole commands for clients ----------------------------------- */

static void on_req(const struct mconsole_answer *ans, const struct err *error,
		   void *arg)
{
	struct mon_req *r = arg;
	struct monitor *m = r->m;
	um_status st = UM_OK;
	const char *msg;

	for (struct mon_req **pp = &m->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	if (error) {
		st = (um_status)error->code;
		msg = error->msg;
	} else {
		msg = ans->text;
		if (ans->kernel_err)
			st = UM_EKERNEL;
		else if (r->said[0])
			msg = r->said;
		if (!ans->kernel_err && r->then >= 0 && is_up(m) &&
		    m->state != UM_STOPPING)
			m->state = (um_state)r->then;
	}
	if (r->cb)
		r->cb(m, st, msg, r->arg);
	free(r);
}

/* An mconsole command for a client; said (may be NULL) is its answer on
 * success instead of the kernel's text. */
static int request(struct monitor *m, const char *cmd, int then, const char *said,
		   mon_done_cb cb, void *arg, struct err *e)
{
	struct mon_req *r;

	if (m->state == UM_STARTING) {
		err_code(e, ERR_STATE, "%s: still booting (its mconsole is not up yet)",
			 m->vm->name);
		return -1;
	}
	if (m->state != UM_RUNNING && m->state != UM_PAUSED) {
		err_code(e, ERR_STATE, "%s: not running (state %s)", m->vm->name,
			 vm_state_name(m->state));
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	r->m = m;
	r->cb = cb;
	r->arg = arg;
	r->then = then;
	if (said)
		snprintf(r->said, sizeof(r->said), "%s: %s", m->vm->name, said);
	r->next = m->reqs;
	m->reqs = r;
	r->op = mconsole_async(m->loop, m->mc_path, cmd, 5000, on_req, r);
	return 0;
}

int monitor_pause(struct monitor *m, mon_done_cb cb, void *arg, struct err *e)
{
	if (m->state == UM_PAUSED) {
		err_code(e, ERR_STATE, "%s: already paused", m->vm->name);
		return -1;
	}
	return request(m, "stop", UM_PAUSED, "paused (mconsole stop; -resume "
		       "continues it)", cb, arg, e);
}

int monitor_resume(struct monitor *m, mon_done_cb cb, void *arg, struct err *e)
{
	if (m->state == UM_RUNNING) {
		err_code(e, ERR_STATE, "%s: not paused", m->vm->name);
		return -1;
	}
	return request(m, "go", UM_RUNNING, "resumed (running again)", cb, arg, e);
}

int monitor_ctrlaltdel(struct monitor *m, mon_done_cb cb, void *arg, struct err *e)
{
	return request(m, "cad", -1, "ctrl-alt-del sent", cb, arg, e);
}

int monitor_sysrq(struct monitor *m, const char *key, mon_done_cb cb, void *arg,
		  struct err *e)
{
	char cmd[16], said[64];

	if (mcpolicy_check_sysrq(key, e) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "sysrq %s", key);
	snprintf(said, sizeof(said), "sysrq %s sent (its effect shows in the "
		 "console log)", key);
	return request(m, cmd, -1, said, cb, arg, e);
}

int monitor_mconsole(struct monitor *m, const char *cmd, mon_done_cb cb,
		     void *arg, struct err *e)
{
	if (mcpolicy_check_passthrough(cmd, e) < 0)
		return -1;
	return request(m, cmd, -1, NULL, cb, arg, e);
}

/* ---- the daemon ------------------------------------------------------ */

/* The channels of the configuration: kept where name, mode and log
 * settings are the same (their output offsets go on), made anew where
 * they are not, dropped where the configuration has them no more. Only
 * while the VM is down. On failure nothing changes. */
int monitor_make_chans(struct monitor *m, struct err *e)
{
	const struct vm_conf *vm = m->vm;
	struct chan *made[VM_MAX_CHANS];
	int kept[VM_MAX_CHANS] = {0}; /* of m->chans: still wanted */
	int fresh[VM_MAX_CHANS] = {0};

	for (int i = 0; i < vm->nchans; i++) {
		struct chan_opts o = {.logdir = m->jail.p.logdir, .logw = m->logw,
				      .log_max = vm->log_max, .log_keep = vm->log_keep};

		made[i] = NULL;
		for (int k = 0; k < m->nchans && !made[i]; k++) {
			if (!kept[k] && !strcmp(m->chans[k]->name, vm->chans[i].name) &&
			    m->chans[k]->mode == vm->chans[i].mode &&
			    chan_log_same(m->chans[k], &o)) {
				made[i] = m->chans[k];
				kept[k] = 1;
			}
		}
		if (made[i])
			continue;
		made[i] = chan_new(m->loop, vm->chans[i].name, vm->chans[i].mode,
				   &o, e);
		if (!made[i]) {
			for (int k = 0; k < i; k++)
				if (fresh[k])
					chan_free(made[k]);
			return -1;
		}
		fresh[i] = 1;
	}
	for (int k = 0; k < m->nchans; k++)
		if (!kept[k])
			chan_free(m->chans[k]);
	memcpy(m->chans, made, sizeof(made[0]) * (size_t)vm->nchans);
	m->nchans = vm->nchans;
	return 0;
}

static void on_quit(struct loop *l, int sig, void *arg)
{
	struct monitor *m = arg;
	struct err e;

	if (!is_up(m) && !m->watcher) {
		log_info("%s: signal %d: exiting", m->vm->name, sig);
		loop_quit(l);
		return;
	}
	if (m->quitting) {
		log_info("%s: signal %d again: halting the VM now", m->vm->name, sig);
		if (m->stage < STAGE_HALT)
			stop_enter(m, is_up(m) ? STAGE_HALT : STAGE_KILL);
		return;
	}
	m->quitting = 1;
	log_info("%s: signal %d: stopping the VM, then exiting", m->vm->name, sig);
	if (m->state != UM_STOPPING && begin_stop(m, STAGE_CAD, -1, NULL, NULL, &e) < 0)
		loop_quit(l);
}

static void on_hup(struct loop *l, int sig, void *arg)
{
	struct monitor *m = arg;
	struct strbuf text;
	struct err e;

	(void)l;
	(void)sig;
	sb_init(&text);
	if (monitor_reload(m, &text, &e) < 0)
		log_err("SIGHUP: %s", e.msg);
	for (char *line = text.buf, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		log_info("SIGHUP: %.*s", (int)(nl - line), line);
	}
	sb_free(&text);
}

struct monitor *monitor_new(struct config *cfg, const char *name, struct err *e)
{
	struct monitor *m = xcalloc(1, sizeof(*m));
	struct vm_conf *vm = config_vm(cfg, name);

	m->cfg = cfg;
	if (!vm) {
		err_set(e, "%s: unknown VM (no [%s] section in %s)", name, name,
			cfg->path);
		config_free(cfg);
		free(m);
		return NULL;
	}
	m->vm = vm;
	m->status_fd = -1;
	m->notify_fd = -1;
	m->mc_fd = -1;
	m->state = UM_STOPPED;
	m->notify_limit = (struct ratelimit)RATELIMIT_INIT(10, 1000);
	sb_init(&m->status_in);
	sigprocmask(SIG_SETMASK, NULL, &m->orig_mask);
	m->loop = loop_new();
	if (!m->loop) {
		err_sys(e, "epoll");
		config_free(cfg);
		free(m);
		return NULL;
	}
	if (jail_init(&m->jail, cfg, vm, e) < 0 || jail_layout(&m->jail, e) < 0)
		goto fail;
	{
		/* a VM left running by a monitor that died keeps its jail */
		pid_t left = jail_find_process(&m->jail);

		if (left) {
			err_set(e, "%s: a process of an earlier run still lives in the "
				"jail %s (pid %d); re-attaching to it is not supported "
				"yet: stop it (kill %d) and start the monitor again",
				vm->name, m->jail.p.root, (int)left, (int)left);
			goto fail_keep_mounts;
		}
	}
	/* mounts left by a monitor that died are ours to clean */
	jail_unmount(&m->jail);
	m->logw = logw_new(e);
	if (!m->logw)
		goto fail;
	if (monitor_make_chans(m, e) < 0)
		goto fail;
	/* orphans of the jailed child (the kernel, if the child dies) come to
	 * us, so that their end is seen */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (loop_signal(m->loop, SIGCHLD, on_sigchld, m) < 0 ||
	    loop_signal(m->loop, SIGTERM, on_quit, m) < 0 ||
	    loop_signal(m->loop, SIGINT, on_quit, m) < 0 ||
	    loop_signal(m->loop, SIGHUP, on_hup, m) < 0) {
		err_sys(e, "signalfd");
		goto fail;
	}
	signal(SIGPIPE, SIG_IGN);
	return m;
fail:
	monitor_free(m);
	return NULL;
fail_keep_mounts:
	jail_free(&m->jail);
	loop_free(m->loop);
	config_free(m->cfg);
	free(m);
	return NULL;
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	rpc_server_free(m->rpc);
	m->rpc = NULL;
	if (m->disk_job)
		diskjob_abort(m->disk_job);
	m->disk_job = NULL;
	while (m->reqs) {
		struct mon_req *r = m->reqs;

		m->reqs = r->next;
		mconsole_async_cancel(r->op);
		free(r);
	}
	stop_login_watch(m);
	stop_panic_watch(m);
	finish_waiters(m, &m->start_waiters, UM_ECLOSED, "the monitor is exiting");
	finish_waiters(m, &m->stop_waiters, UM_ECLOSED, "the monitor is exiting");
	finish_waiters(m, &m->ready_waiters, UM_ECLOSED, "the monitor is exiting");
	finish_waiters(m, &m->reboot_waiters, UM_ECLOSED, "the monitor is exiting");
	teardown(m);
	/* the watcher exits right after it reported the kernel's end */
	for (int i = 0; m->watcher > 0 && i < 200; i++) {
		if (waitpid(m->watcher, NULL, WNOHANG) != 0)
			m->watcher = 0;
		else
			usleep(10000);
	}
	for (int i = 0; i < m->nchans; i++)
		chan_free(m->chans[i]);
	logw_free(m->logw);
	free(m->cmdline);
	jail_free(&m->jail);
	loop_free(m->loop);
	disklocks_free(&m->boot_locks);
	config_free(m->pending);
	free(m->pending_note);
	config_free(m->cfg);
	free(m);
}

int monitor_run(struct monitor *m)
{
	return loop_run(m->loop);
}
