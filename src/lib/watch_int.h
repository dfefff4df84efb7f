/* watch_int.h -- what the parts of umlwatch share: the command handlers
 * (watch_cmds.c, watch_console.c) and the calls to the monitor. */
#ifndef UMLMON_WATCH_INT_H
#define UMLMON_WATCH_INT_H

#include <rpc/rpc.h>
#include <stdint.h>

#include "rpc_wire.h"
#include "umlmonctrl.h"
#include "watch.h"

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

int watch_cmd_info(struct watch *w, const struct watch_step *s);
/* stop and reboot */
int watch_cmd_stop(struct watch *w, const struct watch_step *s);
int watch_cmd_wait(struct watch *w, const struct watch_step *s);
int watch_cmd_sysrq(struct watch *w, const struct watch_step *s);
int watch_cmd_mconsole(struct watch *w, const struct watch_step *s);
int watch_cmd_screen(struct watch *w, const struct watch_step *s);
int watch_cmd_log(struct watch *w, const struct watch_step *s);
int watch_cmd_disk(struct watch *w, const struct watch_step *s);
/* watch_console.c */
int watch_cmd_connect(struct watch *w, const struct watch_step *s);

#endif
