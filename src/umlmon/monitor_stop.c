/* monitor_stop.c -- the escalating stop: Ctrl-Alt-Del, repeated until
 * the stop timeout; then sysrq s, sysrq u and mconsole halt; then SIGTERM
 * and SIGKILL. Every step has a timeout; the end of the kernel is known
 * from waitpid (monitor_boot.c), never from the mconsole. A kernel that
 * does not answer the mconsole (hung, or SIGSTOPped) goes from its first
 * unanswered sysrq or halt to SIGTERM. Each step is logged as it ends and
 * kept, with its time, for the stop's answer. */
#include "umlmon/monitor_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/names.h"
#include "serve/loop.h"
#include "umlmon/mconsole.h"

/* How long one mconsole command of the stop sequence may take. */
#define STOP_MC_TIMEOUT_MS 2000
/* Ctrl-Alt-Del is sent again this often while the guest has not reacted:
 * one sent before init installed its handler is lost. */
#define CAD_REPEAT_MS 3000
/* After mconsole halt, before SIGTERM; after SIGTERM, before SIGKILL. */
#define HALT_GRACE_MS 10000
#define TERM_GRACE_MS 5000

static void stop_mc(struct monitor *m, const char *cmd);

/* The steps by stage, as the log and the stop's answer name them. */
static const char *const step_name[] = {
	[STAGE_NONE] = "none",
	[STAGE_CAD] = "ctrl-alt-del",
	[STAGE_SYNC] = "sysrq s (sync)",
	[STAGE_UMOUNT] = "sysrq u (read-only remount)",
	[STAGE_HALT] = "mconsole halt",
	[STAGE_TERM] = "SIGTERM",
	[STAGE_KILL] = "SIGKILL",
};

/* Records how the current step ended ("no end", "ended") and when. */
static void step_done(struct monitor *m, const char *how)
{
	size_t n = strlen(m->op.steps);
	char line[160];

	snprintf(line, sizeof(line), "%s: %s: %s after %.1f s", m->vm->name,
		 step_name[m->op.stage], how,
		 (now_ms() - m->op.stop_start_ms) / 1000.0);
	log_warn("stop: %s", line);
	snprintf(m->op.steps + n, sizeof(m->op.steps) - n, "%s\n", line);
}

const char *monitor_stop_steps(const struct monitor *m)
{
	return m->op.steps;
}

void stop_ended(struct monitor *m)
{
	if (m->op.stage != STAGE_NONE)
		step_done(m, "ended");
}

void stop_cancel(struct monitor *m)
{
	loop_timer_cancel(m->loop, m->op.stop_timer);
	m->op.stop_timer = NULL;
	if (m->op.stop_op) {
		mconsole_async_cancel(m->op.stop_op);
		m->op.stop_op = NULL;
	}
}

static void on_stop_timer(struct loop *l, void *arg)
{
	struct monitor *m = arg;

	(void)l;
	m->op.stop_timer = NULL;
	switch (m->op.stage) {
	case STAGE_CAD:
		if (now_ms() < m->op.stop_deadline) {
			int64_t left = m->op.stop_deadline - now_ms();

			stop_mc(m, "cad");
			m->op.stop_timer = loop_timer_add(m->loop, left < CAD_REPEAT_MS ?
						       left : CAD_REPEAT_MS,
						       on_stop_timer, m);
			break;
		}
		log_warn("%s: no shutdown %d s after ctrl-alt-del; syncing and "
			 "halting", m->vm->name, m->op.stop_timeout);
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

	m->op.stop_op = NULL;
	if (error)
		log_warn("%s: stop: %s", m->vm->name, error->msg);
	else if (ans->kernel_err)
		log_warn("%s: stop: the kernel said: %s", m->vm->name, ans->text);
	if (error && error->code == ERR_TIMEDOUT)
		m->op.mc_silent = 1;
	if (error && error->code == ERR_TIMEDOUT && m->op.stage >= STAGE_SYNC &&
	    m->op.stage <= STAGE_HALT) {
		/* it answers nothing: the rest of the mconsole steps would
		 * only wait their timeouts too */
		m->op.unanswered = 1;
		stop_enter(m, STAGE_TERM);
		return;
	}
	switch (m->op.stage) {
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
	if (m->op.stop_op)
		mconsole_async_cancel(m->op.stop_op);
	m->op.stop_op = mconsole_async(m->loop, m->b.mc_path, m->b.kernel_netns,
				    cmd, STOP_MC_TIMEOUT_MS, on_stop_mc, m);
}

void stop_enter(struct monitor *m, enum stop_stage s)
{
	loop_timer_cancel(m->loop, m->op.stop_timer);
	m->op.stop_timer = NULL;
	if (m->op.stage == STAGE_NONE) {
		m->op.stop_start_ms = now_ms();
		m->op.steps[0] = '\0';
		m->op.mc_silent = 0;
	} else if (m->op.stage != s) {
		step_done(m, m->op.unanswered ? "no answer, no end" : "no end");
	}
	m->op.unanswered = 0;
	m->op.stage = s;
	if (s > m->op.stage_max)
		m->op.stage_max = s;
	switch (s) {
	case STAGE_CAD:
		stop_mc(m, "cad");
		m->op.stop_deadline = now_ms() + (int64_t)m->op.stop_timeout * 1000;
		m->op.stop_timer = loop_timer_add(m->loop, m->op.stop_timeout * 1000 <
					       CAD_REPEAT_MS ? m->op.stop_timeout * 1000 :
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
		m->op.stop_timer = loop_timer_add(m->loop, HALT_GRACE_MS, on_stop_timer, m);
		break;
	case STAGE_TERM:
		if (m->b.kernel)
			kill(m->b.kernel, SIGTERM);
		else if (m->b.watcher)
			kill(m->b.watcher, SIGTERM);
		m->op.stop_timer = loop_timer_add(m->loop, TERM_GRACE_MS, on_stop_timer, m);
		break;
	case STAGE_KILL:
		/* the kernel only: its watcher must live to report the end */
		if (m->b.kernel) {
			log_warn("%s: killing the kernel (pid %d)", m->vm->name,
				 (int)m->b.kernel);
			kill(m->b.kernel, SIGKILL);
		} else if (m->b.watcher) {
			log_warn("%s: killing the jailed child (pid %d)", m->vm->name,
				 (int)m->b.watcher);
			kill(m->b.watcher, SIGKILL);
		}
		m->op.stop_timer = loop_timer_add(m->loop, TERM_GRACE_MS, on_stop_timer, m);
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

int begin_stop(struct monitor *m, enum stop_stage first, int timeout,
		      mon_done_cb cb, void *arg, struct err *e)
{
	if (m->state == UM_CRASHED && m->b.watcher) {
		/* a panicked kernel: it answers nothing and ignores SIGTERM */
		add_waiter(&m->op.stop_waiters, cb, arg);
		if (m->op.stage < STAGE_KILL)
			stop_enter(m, STAGE_KILL);
		return 0;
	}
	if (!is_up(m)) {
		err_code(e, ERR_STATE, "%s: not running (state %s)", m->vm->name,
			 vm_state_name(m->state));
		return -1;
	}
	add_waiter(&m->op.stop_waiters, cb, arg);
	m->op.rebooting = 0; /* a stop asked for during a reboot ends it */
	if (m->op.restart) {
		char msg[160];

		m->op.restart = 0;
		snprintf(msg, sizeof(msg), "%s: not rebooted: a stop was asked "
			 "for meanwhile", m->vm->name);
		finish_waiters(m, &m->op.reboot_waiters, UM_ESTATE, msg);
	}
	if (m->state == UM_STOPPING && m->op.stage >= first)
		return 0; /* already on the way, as far or further */
	m->op.stop_timeout = timeout >= 0 ? timeout : m->vm->stop_timeout;
	if (m->state == UM_STARTING && first < STAGE_TERM && m->op.stage == STAGE_NONE) {
		/* the mconsole is not up yet: nothing can ask the guest */
		first = STAGE_TERM;
	}
	if (m->state == UM_PAUSED)
		mconsole_async(m->loop, m->b.mc_path, m->b.kernel_netns, "go",
			       STOP_MC_TIMEOUT_MS, on_resume_for_stop, m);
	monitor_set_state(m, UM_STOPPING);
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
	if (m->state == UM_CRASHED && m->b.watcher) {
		err_code(e, ERR_STATE, "%s: its kernel panicked; halt it, then start "
			 "it", m->vm->name);
		return -1;
	}
	if (begin_stop(m, STAGE_CAD, timeout, NULL, NULL, e) < 0)
		return -1;
	m->op.restart = 1;
	add_waiter(&m->op.reboot_waiters, cb, arg);
	return 0;
}
