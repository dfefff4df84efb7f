/* vmlist.h -- the table of umladmin list: every VM of the configuration,
 * what its monitor says of it, and its ports from umldir. */
#ifndef UMLMON_VMLIST_H
#define UMLMON_VMLIST_H

#include "common/config.h"
#include "common/table.h"

/* Fills t (table_init'd here) with one row per VM; returns the number of
 * VMs whose state nobody could tell ("unknown"). */
int vmlist_table(const struct config *cfg, struct table *t);

#endif
