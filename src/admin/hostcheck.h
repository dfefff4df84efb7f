/* hostcheck.h -- the table of umladmin check: the host's prerequisites
 * (directories, tmpfs, /dev/net/tun, ptrace, cgroups, memory, ports) and
 * what a start of each VM would refuse, a verdict per item. */
#ifndef UMLMON_HOSTCHECK_H
#define UMLMON_HOSTCHECK_H

#include "common/config.h"
#include "common/table.h"

enum hc_verdict { HC_OK, HC_WARN, HC_FAIL };

/* The verdict's word in the table: "ok", "warn", "FAIL". */
const char *hc_verdict_name(enum hc_verdict v);

struct hc_counts {
	int fail, warn;
};

/* Fills t (table_init'd here) with one row per item: the configuration's
 * errors, the host's checks, then each VM's (a VM whose section has
 * errors is left out, one that runs only noted). Columns: check, vm (null
 * for the host), verdict, reason (names the object and the cause).
 * Changes nothing. */
void hostcheck_table(const struct config *cfg, struct table *t,
		     struct hc_counts *n);

#endif
