/* names.h -- the words for the values of umlmon's enums, one table each,
 * shared by the daemon, the clients and the configuration. */
#ifndef UMLMON_NAMES_H
#define UMLMON_NAMES_H

#include "umlmonctrl.h"
#include "common/config.h"

/* "stopped", "running" ...; "unknown" for a value out of range (a newer
 * monitor's). */
const char *vm_state_name(um_state s);
/* "pty", "log", "null" (also for um_chan_mode, whose numbers are the same) */
const char *chan_mode_name(enum chan_mode m);
/* "off", "manual", "boot" */
const char *start_mode_name(enum start_mode m);
/* "host_to_host", "bridged", "switched" */
const char *nic_kind_name(enum nic_kind k);
/* "end", "keep" */
const char *panic_action_name(enum panic_action a);

#endif
