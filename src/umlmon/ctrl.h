/* ctrl.h -- the control RPC of a monitor (umlmonctrl.x): its dispatch
 * table and handlers. */
#ifndef UMLMON_CTRL_H
#define UMLMON_CTRL_H

#include <stddef.h>

struct loop;
struct monitor;
struct rpc_server;

/* An RPC server with the procedures of umlmonctrl.x for m (not yet
 * listening). */
struct rpc_server *ctrl_server_new(struct loop *l, struct monitor *m);
/* The dispatch table (for the test that holds it to rpc/umlmonctrl.x). */
struct rpc_proc;
const struct rpc_proc *ctrl_procs(size_t *n);

#endif
