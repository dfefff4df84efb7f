/* startq.h -- umladmin start: the VMs booted a few at a time. Each VM
 * holds a slot from its monitor's start (if none runs) through UM_START
 * until its guest is up (UM_WAIT: the ready notice or a login prompt on
 * con1), fails or times out; then the next VM in the list takes it. */
#ifndef UMLMON_STARTQ_H
#define UMLMON_STARTQ_H

#include <stdio.h>

#include "common/config.h"

struct startq_opts {
	int jobs;       /* slots; 0: every VM at once */
	int up_ms;      /* how long a guest may take to be up; 0: do not wait
			 * (the slot ends when the kernel runs) */
};

/* Starts the n VMs (names checked against cfg) and prints a line on out
 * as each step of each VM ends ("vm1: monitor started", "vm1: started
 * (kernel pid 123) [0.4 s]", "vm1: up 1.2 s after the start [1.6 s]"),
 * and each failure on err ("umladmin: start: vm1: ..."). Returns how many
 * VMs failed. */
int startq_run(const struct config *cfg, const char *const *names, int n,
	       const struct startq_opts *o, FILE *out, FILE *err);

#endif
