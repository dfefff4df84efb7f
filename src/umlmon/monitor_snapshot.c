/* monitor_snapshot.c -- snapshots of the VM's disks (disk/snapshot.h) as
 * the monitor takes them: of a running guest, sysrq s until the kernel
 * logs "Emergency Sync complete" on con0 (bounded), where the file
 * system shares blocks a clone of the disks while the guest runs,
 * mconsole stop, the copies (of what changed since the clone) in the disk
 * thread, mconsole go, then the checksums and the
 * manifest in the disk thread while the guest runs. The guest waits only
 * from the stop to the go's answer; that pause is measured and reported.
 * Listing, restoring (VM stopped) and deleting them too. */
#include "umlmon/monitor_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/names.h"
#include "common/paths.h"
#include "disk/snapshot.h"
#include "serve/loop.h"
#include "umlmon/diskjob.h"
#include "umlmon/mconsole.h"

/* How long the sync may take before the guest is paused anyway. */
#define SNAP_SYNC_MS 5000
/* The mconsole calls of a snapshot (stop, go, sysrq). */
#define SNAP_MC_MS 5000
#define SYNC_DONE "Emergency Sync complete"

enum snap_step { SN_SYNC, SN_PRECLONE, SN_STOP, SN_COPY, SN_GO, SN_FINISH };

struct mon_snap {
	struct monitor *m;
	enum snap_step step;
	char name[SNAP_NAME_MAX + 1];
	char *dir;                     /* VARDIR/VM/snapshots */
	struct disk_conf disks[VM_MAX_DISKS]; /* paths are our copies */
	int ndisks;
	struct snap_manifest man;
	struct mconsole_op *mc;
	struct chan *con0;             /* watched for the sync's end */
	struct chan_waiter w;
	char tail[64];                 /* the end of con0's output so far */
	struct loop_timer *timer;
	int64_t stop_sent;
	int paused;                    /* we paused it: go is due */
	int precloned;                 /* the disks were cloned before the pause */
	struct xmap maps[VM_MAX_DISKS]; /* the clones' extent maps */
	int failed;
	struct err err;
	mon_snap_cb cb;
	void *arg;
};

static void snap_step(struct mon_snap *s);

static void store_of(const struct mon_snap *s, struct snap_store *st)
{
	st->dir = s->dir;
	st->vm = s->m->vm->name;
}

static void snap_free(struct mon_snap *s)
{
	for (int i = 0; i < s->ndisks; i++) {
		free(s->disks[i].path);
		xmap_free(&s->maps[i]);
	}
	free(s->dir);
	free(s);
}

static void unwatch(struct mon_snap *s)
{
	if (s->con0)
		chan_unwait(s->con0, &s->w);
	s->con0 = NULL;
	loop_timer_cancel(s->m->loop, s->timer);
	s->timer = NULL;
}

/* The end: the caller is answered, the state dropped. */
static void snap_end(struct mon_snap *s, const char *text)
{
	struct monitor *m = s->m;
	struct snap_store st;

	unwatch(s);
	m->op.snap = NULL;
	if (s->failed) {
		store_of(s, &st);
		snap_abandon(&st, s->name);
		log_info("%s: %s", m->vm->name, s->err.msg);
	} else {
		log_info("%s: snapshot %s taken, guest paused %lld ms", m->vm->name,
			 s->name, (long long)s->man.pause_ms);
	}
	if (s->cb)
		s->cb(m, s->failed ? &s->err : NULL, text, s->man.pause_ms, s->arg);
	snap_free(s);
}

static void fail(struct mon_snap *s, const struct err *e)
{
	if (!s->failed) {
		s->failed = 1;
		s->err = *e;
	}
}

/* ---- the disk thread's parts ------------------------------------------ */

/* The step's work in the disk thread: the clone before the pause, the
 * copy in it, the checksums and manifest after it. */
static int step_fn(void *arg, const struct disk_ctx *c, disk_progress_cb cb,
		   void *cb_arg, struct strbuf *text, struct err *e)
{
	struct mon_snap *s = arg;
	struct snap_store st = {s->dir, s->man.vm};

	(void)cb;
	(void)cb_arg;
	switch (s->step) {
	case SN_PRECLONE:
		return snap_preclone(&st, c, s->disks, s->ndisks, s->name,
				     s->maps, &s->man, e);
	case SN_COPY:
		return snap_copy(&st, c, s->disks, s->ndisks, s->name,
				 s->precloned, s->maps, &s->man, e);
	default:
		return snap_finish(&st, &s->man, text, e);
	}
}

static void on_job(struct diskjob *j, int rc, const struct err *e,
		   const char *text, void *arg)
{
	struct mon_snap *s = arg;

	(void)j;
	s->m->op.disk_job = NULL;
	if (s->step == SN_PRECLONE) {
		/* no clones here (or no luck): the pause copies it all */
		s->precloned = rc == 0;
		if (rc < 0 && e->code != ERR_INVAL)
			log_info("%s: snapshot %s: %s; copying in the pause instead",
				 s->m->vm->name, s->name, e->msg);
		s->step = SN_STOP;
		snap_step(s);
		return;
	}
	if (rc < 0)
		fail(s, e);
	if (s->step == SN_FINISH) {
		snap_end(s, text);
		return;
	}
	s->step = SN_GO;
	snap_step(s);
}

static int start_job(struct mon_snap *s, struct err *e)
{
	struct monitor *m = s->m;
	char what[100];

	snprintf(what, sizeof(what), "snapshot %s", s->name);
	m->op.disk_job = diskjob_start_fn(m->loop, m->cfg, m->vm->name, what,
					  step_fn, s, on_job, s, e);
	if (!m->op.disk_job)
		return -1;
	/* no client's: monitor_forget() leaves it alone */
	m->op.disk_cb = NULL;
	m->op.disk_arg = s;
	return 0;
}

/* ---- the mconsole steps ----------------------------------------------- */

static void on_mc(const struct mconsole_answer *ans, const struct err *error,
		  void *arg)
{
	struct mon_snap *s = arg;
	struct monitor *m = s->m;
	struct err e;

	s->mc = NULL;
	if (error || ans->kernel_err) {
		if (error)
			e = *error;
		else
			err_code(&e, ERR_KERNEL, "mconsole: %s", ans->text);
		err_prefix(&e, "%s: snapshot %s: %s", m->vm->name, s->name,
			   s->step == SN_SYNC ? "sysrq s" : s->step == SN_STOP ?
			   "pausing the guest" : "resuming the guest");
	}
	switch (s->step) {
	case SN_SYNC:
		/* a sync that was not sent: pause and copy all the same, as
		 * a crash-consistent snapshot, and say so */
		if (error || ans->kernel_err) {
			unwatch(s);
			snprintf(s->man.sync, sizeof(s->man.sync), "not sent");
		} else if (s->timer) {
			return; /* the watch of con0 or its timer goes on */
		}
		s->step = SN_PRECLONE;
		snap_step(s);
		return;
	case SN_STOP:
		if (error || ans->kernel_err) {
			fail(s, &e);
			snap_end(s, "");
			return;
		}
		s->paused = 1;
		if (is_up(m) && m->state != UM_STOPPING)
			monitor_set_state(m, UM_PAUSED);
		s->step = SN_COPY;
		snap_step(s);
		return;
	case SN_GO:
		s->man.pause_ms = now_ms() - s->stop_sent;
		s->paused = 0;
		if (error || ans->kernel_err) {
			fail(s, &e);
		} else if (is_up(m) && m->state == UM_PAUSED) {
			monitor_set_state(m, UM_RUNNING);
		}
		s->step = SN_FINISH;
		snap_step(s);
		return;
	default:
		return;
	}
}

static void mc_send(struct mon_snap *s, const char *cmd)
{
	s->mc = mconsole_async(s->m->loop, s->m->b.mc_path, s->m->b.kernel_netns,
			       cmd, SNAP_MC_MS, on_mc, s);
}

static void synced(struct mon_snap *s, const char *how)
{
	unwatch(s);
	snprintf(s->man.sync, sizeof(s->man.sync), "%s", how);
	if (s->mc) {
		/* the message came before the sysrq's answer */
		mconsole_async_cancel(s->mc);
		s->mc = NULL;
	}
	s->step = SN_PRECLONE;
	snap_step(s);
}

static void on_con0(struct chan_waiter *w, int closed)
{
	struct mon_snap *s = w->arg;
	char buf[4096 + sizeof(s->tail)];
	size_t keep = strlen(s->tail), n;
	uint64_t off = w->offset;

	memcpy(buf, s->tail, keep);
	n = chan_read(w->ch, &off, buf + keep, sizeof(buf) - keep - 1);
	buf[keep + n] = '\0';
	w->offset = off + n;
	if (memmem(buf, keep + n, SYNC_DONE, strlen(SYNC_DONE))) {
		synced(s, "confirmed");
		return;
	}
	keep = keep + n < sizeof(s->tail) - 1 ? keep + n : sizeof(s->tail) - 1;
	memcpy(s->tail, buf + (strlen(buf) > keep ? strlen(buf) - keep : 0), keep);
	s->tail[keep] = '\0';
	if (closed) {
		s->con0 = NULL;
		return; /* the timer ends the wait */
	}
	chan_wait(w->ch, w);
}

static void on_sync_timeout(struct loop *l, void *arg)
{
	struct mon_snap *s = arg;
	char how[64];

	(void)l;
	s->timer = NULL;
	snprintf(how, sizeof(how), "not confirmed in %d ms", SNAP_SYNC_MS);
	synced(s, how);
}

static void snap_step(struct mon_snap *s)
{
	struct monitor *m = s->m;
	struct err e;

	switch (s->step) {
	case SN_SYNC:
		s->con0 = monitor_chan(m, "con0");
		if (!s->con0 || s->con0->mode == CHAN_NULL || !chan_is_open(s->con0)) {
			s->con0 = NULL;
			snprintf(s->man.sync, sizeof(s->man.sync),
				 "sent, not confirmed (no con0)");
			/* its answer is all there is to wait for (on_mc) */
			mc_send(s, "sysrq s");
			return;
		}
		/* from before the sysrq, so that a fast answer is seen */
		memset(&s->w, 0, sizeof(s->w));
		s->w.cb = on_con0;
		s->w.arg = s;
		s->w.offset = s->con0->head;
		chan_wait(s->con0, &s->w);
		s->timer = loop_timer_add(m->loop, SNAP_SYNC_MS, on_sync_timeout, s);
		mc_send(s, "sysrq s");
		return;
	case SN_PRECLONE:
		if (start_job(s, &e) < 0) {
			s->step = SN_STOP;
			snap_step(s);
		}
		return;
	case SN_STOP:
		s->stop_sent = now_ms();
		mc_send(s, "stop");
		return;
	case SN_COPY:
		if (start_job(s, &e) < 0) {
			fail(s, &e);
			s->step = SN_GO;
			snap_step(s);
		}
		return;
	case SN_GO:
		if (!s->paused) {
			s->step = SN_FINISH;
			snap_step(s);
			return;
		}
		mc_send(s, "go");
		return;
	case SN_FINISH:
		if (s->failed) {
			snap_end(s, "");
			return;
		}
		if (start_job(s, &e) < 0) {
			fail(s, &e);
			snap_end(s, "");
		}
		return;
	}
}

/* ---- entry points ------------------------------------------------------ */

static char *snap_dir(const struct monitor *m)
{
	return vm_snapshots_path(m->cfg->global.vardir, m->vm->name);
}

static int snap_idle(const struct monitor *m, struct err *e)
{
	if (m->op.snap) {
		err_code(e, ERR_BUSY, "%s: a snapshot is being taken (%s)",
			 m->vm->name, m->op.snap->name);
		return -1;
	}
	if (m->op.disk_job) {
		err_code(e, ERR_BUSY, "%s: a disk operation is running (%s)",
			 m->vm->name, diskjob_what(m->op.disk_job));
		return -1;
	}
	return 0;
}

int monitor_snapshot(struct monitor *m, const char *name, mon_snap_cb cb,
		     void *arg, struct err *e)
{
	struct mon_snap *s;
	struct snap_manifest old;
	struct snap_store st;
	struct err ne;

	if (snap_name_check(name, e) < 0 || snap_idle(m, e) < 0)
		return -1;
	if (m->state == UM_STARTING || m->state == UM_STOPPING) {
		err_code(e, ERR_STATE, "%s: cannot take a snapshot while the VM is "
			 "%s", m->vm->name, vm_state_name(m->state));
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	s->m = m;
	s->cb = cb;
	s->arg = arg;
	s->dir = snap_dir(m);
	snprintf(s->name, sizeof(s->name), "%s", name);
	store_of(s, &st);
	/* early, to spare the guest a pause; snap_copy() decides */
	if (snap_read(&st, name, &old, &ne) == 0) {
		err_code(e, ERR_BUSY, "%s: snapshot %s already exists",
			 m->vm->name, name);
		snap_free(s);
		return -1;
	}
	/* the thread must not read the configuration, which a reload may
	 * replace meanwhile */
	for (int i = 0; i < m->vm->ndisks; i++) {
		s->disks[i] = m->vm->disks[i];
		s->disks[i].path = xstrdup(m->vm->disks[i].path);
		s->ndisks++;
	}
	snprintf(s->man.vm, sizeof(s->man.vm), "%s", m->vm->name);
	s->man.pause_ms = -1;
	m->op.snap = s;
	if (m->state == UM_RUNNING) {
		s->step = SN_SYNC;
	} else {
		/* nothing to pause: a stopped VM's disks, or a guest that a
		 * client paused (it cannot sync: it stays as it is) */
		snprintf(s->man.sync, sizeof(s->man.sync), "none (%s)",
			 vm_state_name(m->state));
		s->step = SN_COPY;
	}
	snap_step(s);
	return 0;
}

int monitor_snapshot_list(struct monitor *m, struct strbuf *text, struct err *e)
{
	struct snap_store st;
	char *dir = snap_dir(m);
	int rc;

	st.dir = dir;
	st.vm = m->vm->name;
	rc = snap_list(&st, text, e);
	free(dir);
	return rc;
}

int monitor_snapshot_delete(struct monitor *m, const char *name,
			    struct strbuf *text, struct err *e)
{
	struct snap_store st;
	char *dir;
	int rc;

	if (snap_name_check(name, e) < 0)
		return -1;
	if (m->op.snap && !strcmp(m->op.snap->name, name)) {
		err_code(e, ERR_BUSY, "%s: snapshot %s is being taken", m->vm->name,
			 name);
		return -1;
	}
	dir = snap_dir(m);
	st.dir = dir;
	st.vm = m->vm->name;
	rc = snap_delete(&st, name, text, e);
	free(dir);
	return rc;
}

struct restore_job {
	char *dir;
	char *vm;
	char name[SNAP_NAME_MAX + 1];
};

static int restore_fn(void *arg, const struct disk_ctx *c, disk_progress_cb cb,
		      void *cb_arg, struct strbuf *text, struct err *e)
{
	struct restore_job *r = arg;
	struct snap_store st = {r->dir, r->vm};

	(void)cb;
	(void)cb_arg;
	return snap_restore(&st, c, r->name, text, e);
}

static void restore_free(struct monitor *m)
{
	if (!m->op.restore)
		return;
	free(m->op.restore->dir);
	free(m->op.restore->vm);
	free(m->op.restore);
	m->op.restore = NULL;
}

static void on_restored(struct diskjob *j, int rc, const struct err *e,
			const char *text, void *arg)
{
	restore_free(arg);
	monitor_disk_done(j, rc, e, text, arg);
}

int monitor_snapshot_restore(struct monitor *m, const char *name, mon_disk_cb cb,
			     void *arg, struct err *e)
{
	struct restore_job *r;
	char what[100];

	if (snap_name_check(name, e) < 0 || snap_idle(m, e) < 0)
		return -1;
	if (is_up(m)) {
		err_code(e, ERR_STATE, "%s: cannot restore snapshot %s while the VM "
			 "is %s: stop it first", m->vm->name, name,
			 vm_state_name(m->state));
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	r->dir = snap_dir(m);
	r->vm = xstrdup(m->vm->name);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(what, sizeof(what), "restore of snapshot %s", name);
	m->op.disk_job = diskjob_start_fn(m->loop, m->cfg, m->vm->name, what,
					  restore_fn, r, on_restored, m, e);
	if (!m->op.disk_job) {
		free(r->dir);
		free(r->vm);
		free(r);
		return -1;
	}
	m->op.restore = r;
	m->op.disk_cb = cb;
	m->op.disk_arg = arg;
	return 0;
}

void monitor_snapshot_forget(struct monitor *m, void *arg)
{
	if (m->op.snap && m->op.snap->arg == arg)
		m->op.snap->cb = NULL; /* it goes on: the guest must resume */
}

void monitor_snapshot_abort(struct monitor *m)
{
	struct mon_snap *s = m->op.snap;

	restore_free(m);
	if (!s)
		return;
	unwatch(s);
	if (s->mc)
		mconsole_async_cancel(s->mc);
	m->op.snap = NULL;
	snap_free(s);
}
