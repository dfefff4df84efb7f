/* monctl.h -- umladmin and the monitors: one call to many monitors at
 * once (stop, reload of several VMs in parallel; start has its own
 * bounded loop, startq.h), starting a monitor process and ending one. */
#ifndef UMLMON_MONCTL_H
#define UMLMON_MONCTL_H

#include <stdint.h>
#include <sys/types.h>

#include "umlmonctrl.h"
#include "common/config.h"
#include "common/util.h"

/* The outcome of one VM's call. */
struct monctl_result {
	const char *vm;
	int answered;          /* the monitor answered (status, message) */
	um_status status;
	char msg[1024];        /* the monitor's message, or why no answer */
	int64_t ms;            /* from the send to the answer */
};

/* Sends proc (its argument args, encoded by xargs; the reply an
 * um_result) to the monitors of the n VMs at once and waits for every
 * answer, or until timeout_ms (< 0: no limit). r[i].vm must be set. */
void monctl_call_all(const struct config *cfg, struct monctl_result *r, int n,
		     uint32_t proc, xdrproc_t xargs, void *args, int timeout_ms);

/* Runs "umlmon -c CONFIG VM" (the umlmon beside this program, else the
 * one in PATH), which returns once its monitor is ready or has failed:
 * -1 with e naming the VM and umlmon's own message. */
int monctl_start_monitor(const char *cfgpath, const char *vm, struct err *e);
/* The same in two halves, for a caller that waits for many at once: the
 * umlmon process (*pid) and its stderr (*outfd); then, once it exited (or
 * to wait for it), its status and message. */
int monctl_spawn_monitor(const char *cfgpath, const char *vm, pid_t *pid,
			 int *outfd, struct err *e);
int monctl_reap_monitor(const char *vm, pid_t pid, int outfd, struct err *e);

/* SIGTERM to a monitor (it stops its VM first, if one runs) and waits,
 * up to timeout_ms, until the process has gone. */
int monctl_end_monitor(const char *vm, pid_t pid, int timeout_ms, struct err *e);

#endif
