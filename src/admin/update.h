/* update.h -- umladmin update: the monitors brought in line with a
 * configuration that changed, while running VMs are left alone. */
#ifndef UMLMON_UPDATE_H
#define UMLMON_UPDATE_H

#include "common/config.h"
#include "common/table.h"

/* For every VM of the configuration and every monitor that runs under
 * its vardir: a new VM (not off) gets a monitor; a monitor whose VM was
 * removed (or set off) ends if its VM is not running, else is left and
 * reported; every other monitor is told to reload (UM_RELOAD), and an
 * idle one whose section changed is restarted (ended and started again),
 * while a running VM is only reported as needing a restart (what changed
 * applies at its next boot). A row per VM: VM ACTION DETAIL. Returns the
 * number of VMs where something failed. */
int update_run(const struct config *cfg, struct table *t);

#endif
