/* names.c -- the words for enum values (see names.h). */
#include "common/names.h"

#define NAME(table, v) \
	((unsigned)(v) < ARRAY_SIZE(table) && (table)[v] ? (table)[v] : "unknown")

const char *vm_state_name(um_state s)
{
	static const char *const t[] = {
		[UM_STOPPED] = "stopped", [UM_STARTING] = "starting",
		[UM_RUNNING] = "running", [UM_PAUSED] = "paused",
		[UM_STOPPING] = "stopping", [UM_CRASHED] = "crashed",
	};

	return NAME(t, s);
}

_Static_assert((int)UM_CHAN_NULL == CHAN_NULL && (int)UM_CHAN_PTY == CHAN_PTY &&
	       (int)UM_CHAN_LOG == CHAN_LOG, "um_chan_mode and chan_mode differ");

const char *chan_mode_name(enum chan_mode m)
{
	static const char *const t[] = {
		[CHAN_NULL] = "null", [CHAN_PTY] = "pty", [CHAN_LOG] = "log",
	};

	return NAME(t, m);
}

const char *start_mode_name(enum start_mode m)
{
	static const char *const t[] = {
		[START_MANUAL] = "manual", [START_OFF] = "off", [START_BOOT] = "boot",
	};

	return NAME(t, m);
}

const char *nic_kind_name(enum nic_kind k)
{
	static const char *const t[] = {
		[NIC_HOST_TO_HOST] = "host_to_host", [NIC_BRIDGED] = "bridged",
		[NIC_SWITCHED] = "switched",
	};

	return NAME(t, k);
}

const char *panic_action_name(enum panic_action a)
{
	static const char *const t[] = {[PANIC_END] = "end", [PANIC_KEEP] = "keep"};

	return NAME(t, a);
}
