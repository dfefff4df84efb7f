/* watch_int.h -- what the parts of umlwatch share: the command handlers
 * (watch_cmds.c, watch_console.c) and the calls to the monitor. */
#ifndef UMLMON_WATCH_INT_H
#define UMLMON_WATCH_INT_H

#include <rpc/rpc.h>
#include <stdint.h>

#include "common/rpc_wire.h"
#include "umlmonctrl.h"
#include "umlwatch/watch.h"

#define NOARGS (xdrproc_t)xdr_rpc_void, NULL

/* A call that waits as long as the operation takes; prints why it failed. */
int watch_call(struct watch *w, uint32_t proc, xdrproc_t xa, void *a,
	       xdrproc_t xr, void *r);
/* Prints a um_result: the message on stdout if ok, else on stderr. */
int watch_report(const um_result *r);
/* A call answered with a um_result, reported. */
int watch_simple(struct watch *w, uint32_t proc, xdrproc_t xa, void *a);
/* The monitor's channels (for checks and completion): a NULL-terminated
 * array to free with watch_free_names, or NULL with e. */
char **watch_channel_names(struct watch *w, int timeout_ms, struct err *e);
void watch_free_names(char **names);

/* How the argument of a command that is one call goes to the monitor. */
enum watch_arg {
	WATCH_ARG_NONE,
	WATCH_ARG_TIMEOUT,  /* um_stop_args: the timeout in s (-1: the VM's) */
	WATCH_ARG_WAIT,     /* um_wait_args: the timeout, which the monitor keeps */
	WATCH_ARG_WORD,     /* the first argument, a string */
};

/* The row's data of such a command. */
struct watch_proc {
	uint32_t proc;
	enum watch_arg arg;
};

/* The handlers of watch_cmds; ctx is the struct watch. watch_cmd_call:
 * the one call of the row's watch_proc, answered with a um_result. */
int watch_cmd_call(void *ctx, const struct cmd_call *c);
int watch_cmd_info(void *ctx, const struct cmd_call *c);
int watch_cmd_mconsole(void *ctx, const struct cmd_call *c);
int watch_cmd_screen(void *ctx, const struct cmd_call *c);
int watch_cmd_log(void *ctx, const struct cmd_call *c);
int watch_cmd_disk(void *ctx, const struct cmd_call *c);
/* A device plugged in or out (-add-disk, -remove-eth, -mem ...): the
 * row's data says which. */
struct watch_dev {
	int kind;           /* um_dev_kind */
	int add;            /* UM_DEVICE_ADD, else UM_DEVICE_REMOVE */
	int has_spec;       /* NAME=SPEC; -mem: the size alone */
};
int watch_cmd_device(void *ctx, const struct cmd_call *c);
/* The row's call answered with a result and a report (the snapshots'). */
int watch_cmd_report(void *ctx, const struct cmd_call *c);
/* watch_console.c */
int watch_cmd_connect(void *ctx, const struct cmd_call *c);

#endif
