/* startq.c -- umladmin start, a bounded number of VMs at a time (see
 * startq.h). One poll loop: a slot waits either for its umlmon process
 * (a pidfd: umlmon returns once its monitor is ready) or for the
 * monitor's answer to the call in flight (UM_START, then UM_WAIT). The
 * loop looks only at the slots in use, never at the whole list. */
#include "admin/startq.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "admin/monctl.h"
#include "common/paths.h"
#include "common/rpc_client.h"
#include "common/rpc_wire.h"
#include "umladmin/admin.h"

/* UM_START is answered once the kernel runs, or refused */
#define START_ANSWER_MS (120 * 1000)
/* what the monitor may take beyond the UM_WAIT timeout it was given */
#define WAIT_SLACK_MS (10 * 1000)

enum stage { ST_MONITOR, ST_CALL, ST_DONE };

struct job {
	const struct vm_conf *vm;
	enum stage stage;
	int started_monitor;
	pid_t pid;           /* ST_MONITOR: umlmon, its pidfd and stderr */
	int pidfd, outfd;
	struct rpc_client *c;
	uint32_t proc;       /* ST_CALL: UM_START or UM_WAIT */
	int got;             /* the answer, set by answered() */
	int ok;
	char msg[1024];
	int64_t t0, deadline;
};

struct queue {
	const struct config *cfg;
	const struct startq_opts *o;
	FILE *out, *err;
	int failed;
};

static double secs_since(int64_t t0)
{
	return (double)(now_ms() - t0) / 1000.0;
}

static void finish(struct queue *q, struct job *j, int ok, const char *msg)
{
	if (ok) {
		fprintf(q->out, "%s\n", msg);
		fflush(q->out);
	} else {
		fprintf(q->err, "umladmin: start: %s\n", msg);
		fflush(q->err);
		q->failed++;
	}
	rpc_client_free(j->c);
	j->c = NULL;
	j->stage = ST_DONE;
}

static void answered(struct rpc_client *c, void *res, const char *err, void *arg)
{
	struct job *j = arg;
	um_result *u = res;

	(void)c;
	if (j->got)
		return;
	j->got = 1;
	j->ok = !err && u->status == UM_OK;
	if (err)
		snprintf(j->msg, sizeof(j->msg), "%s: %s", j->vm->name, err);
	else
		snprintf(j->msg, sizeof(j->msg), "%s", u->message ? u->message : "");
}

static void call(struct queue *q, struct job *j, uint32_t proc)
{
	um_wait_args w = {.timeout_ms = (unsigned)q->o->up_ms};
	struct err e;
	int rc;

	if (!j->c) {
		char *sock = vm_ctrl_path(q->cfg->global.vardir, j->vm->name);

		j->c = rpc_client_unix(sock, UMLMONCTRL_PROG, UMLMONCTRL_V1, &e);
		free(sock);
	}
	j->proc = proc;
	j->got = 0;
	if (proc == UM_WAIT)
		rc = j->c ? rpc_client_send(j->c, proc, (xdrproc_t)xdr_um_wait_args,
					    &w, (xdrproc_t)xdr_um_result,
					    sizeof(um_result), answered, j, &e) : -1;
	else
		rc = j->c ? rpc_client_send(j->c, proc, (xdrproc_t)xdr_rpc_void,
					    NULL, (xdrproc_t)xdr_um_result,
					    sizeof(um_result), answered, j, &e) : -1;
	if (rc < 0) {
		char msg[1100];

		snprintf(msg, sizeof(msg), "%s: no monitor (%.900s)", j->vm->name, e.msg);
		finish(q, j, 0, msg);
		return;
	}
	j->stage = ST_CALL;
	j->deadline = now_ms() + (proc == UM_START ? START_ANSWER_MS :
				  q->o->up_ms + WAIT_SLACK_MS);
}

/* The monitor runs (or its socket is not ours: UM_START says so). */
static void monitor_there(struct queue *q, struct job *j, const struct admin_status *st)
{
	char msg[300];

	/* one that ran before this command is left as it is, unless it is
	 * still on its way up */
	if (admin_vm_up(st) && (q->o->up_ms == 0 ||
			  (!j->started_monitor && st->vmstate != UM_STARTING))) {
		snprintf(msg, sizeof(msg), "%s: %s", j->vm->name, st->state);
		finish(q, j, 1, msg);
		return;
	}
	call(q, j, admin_vm_up(st) ? UM_WAIT : UM_START);
}

static void launch(struct queue *q, struct job *j)
{
	struct admin_status st;
	struct err e;
	char msg[1100];

	j->t0 = now_ms();
	j->pidfd = j->outfd = -1;
	admin_vm_status(q->cfg, j->vm, &st);
	if (!st.monitor && st.orphan) {
		snprintf(msg, sizeof(msg), "%s: pid %d of an earlier run lives in its "
			 "jail without a monitor; end it first", j->vm->name,
			 (int)st.orphan);
		finish(q, j, 0, msg);
		return;
	}
	if (st.monitor || st.denied) {
		monitor_there(q, j, &st);
		return;
	}
	if (monctl_spawn_monitor(q->cfg->path, j->vm->name, &j->pid, &j->outfd, &e) < 0) {
		finish(q, j, 0, e.msg);
		return;
	}
	j->started_monitor = 1;
	j->stage = ST_MONITOR;
	j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
	/* no pidfd (a kernel before 5.3): this one is waited for in place */
	if (j->pidfd < 0) {
		if (monctl_reap_monitor(j->vm->name, j->pid, j->outfd, &e) < 0) {
			finish(q, j, 0, e.msg);
			return;
		}
		j->outfd = -1;
		fprintf(q->out, "%s: monitor started\n", j->vm->name);
		admin_vm_status(q->cfg, j->vm, &st);
		monitor_there(q, j, &st);
	}
}

static void monitor_exited(struct queue *q, struct job *j)
{
	struct admin_status st;
	struct err e;
	int rc = monctl_reap_monitor(j->vm->name, j->pid, j->outfd, &e);

	close(j->pidfd);
	j->pidfd = j->outfd = -1;
	if (rc < 0) {
		finish(q, j, 0, e.msg);
		return;
	}
	fprintf(q->out, "%s: monitor started\n", j->vm->name);
	fflush(q->out);
	admin_vm_status(q->cfg, j->vm, &st);
	monitor_there(q, j, &st);
}

static void call_answered(struct queue *q, struct job *j)
{
	char msg[1100];

	snprintf(msg, sizeof(msg), "%s [%.1f s]", j->msg, secs_since(j->t0));
	if (!j->ok) {
		finish(q, j, 0, j->msg);
	} else if (j->proc == UM_START && q->o->up_ms) {
		fprintf(q->out, "%s\n", msg);
		fflush(q->out);
		call(q, j, UM_WAIT);
	} else {
		finish(q, j, 1, msg);
	}
}

static void timed_out(struct queue *q, struct job *j)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "%s: no answer to %s within %.0f s", j->vm->name,
		 j->proc == UM_START ? "the start" : "the wait for the guest",
		 secs_since(j->t0));
	finish(q, j, 0, msg);
}

/* One slot's events: its umlmon ended, or its monitor answered. */
static void serve(struct queue *q, struct job *j, short revents)
{
	struct err e;

	if (j->stage == ST_MONITOR) {
		if (revents)
			monitor_exited(q, j);
		return;
	}
	if (revents & POLLOUT)
		rpc_client_flush(j->c, &e);
	if ((revents & (POLLIN | POLLHUP | POLLERR)) &&
	    rpc_client_input(j->c, &e) < 0 && !j->got) {
		j->got = 1;
		j->ok = 0;
		snprintf(j->msg, sizeof(j->msg), "%s: the monitor went away (%.900s)",
			 j->vm->name, e.msg);
	}
	if (j->got)
		call_answered(q, j);
	else if (now_ms() >= j->deadline)
		timed_out(q, j);
}

int startq_run(const struct config *cfg, const char *const *names, int n,
	       const struct startq_opts *o, FILE *out, FILE *err)
{
	struct queue q = {cfg, o, out, err, 0};
	int slots = o->jobs > 0 && o->jobs < n ? o->jobs : n;
	struct job *jobs = xcalloc((size_t)n + 1, sizeof(*jobs));
	struct job **act = xcalloc((size_t)slots + 1, sizeof(*act));
	struct pollfd *pf = xcalloc((size_t)slots + 1, sizeof(*pf));
	int next = 0, nact = 0;

	for (int i = 0; i < n; i++)
		jobs[i].vm = config_vm((struct config *)cfg, names[i]);
	while (next < n || nact > 0) {
		int64_t now, wait = -1;
		int k;

		while (nact < slots && next < n) {
			struct job *j = &jobs[next++];

			launch(&q, j);
			if (j->stage != ST_DONE)
				act[nact++] = j;
		}
		if (nact <= 0)
			continue;
		now = now_ms();
		for (k = 0; k < nact; k++) {
			struct job *j = act[k];

			if (j->stage == ST_MONITOR) {
				pf[k].fd = j->pidfd;
				pf[k].events = POLLIN;
			} else {
				pf[k].fd = rpc_client_sockfd(j->c);
				pf[k].events = POLLIN |
					(rpc_client_want_write(j->c) ? POLLOUT : 0);
				if (wait < 0 || j->deadline - now < wait)
					wait = j->deadline > now ? j->deadline - now : 0;
			}
			pf[k].revents = 0;
		}
		if (poll(pf, (nfds_t)nact, (int)wait) < 0 && errno != EINTR) {
			fprintf(err, "umladmin: start: poll: %s\n", strerror(errno));
			break;
		}
		for (k = 0; k < nact; k++)
			serve(&q, act[k], pf[k].revents);
		/* keep the slots still in use */
		for (int i = k = 0; i < nact; i++)
			if (act[i]->stage != ST_DONE)
				act[k++] = act[i];
		nact = k;
	}
	free(pf);
	free(act);
	free(jobs);
	return q.failed;
}
