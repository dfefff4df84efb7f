/* dird.h -- the daemon umldir as a whole: its directory, its sockets (the
 * monitors' Unix socket, the umldir and umlredir TCP ports), bound as
 * root; then its user; then the loop until SIGTERM. See umldir(8). */
#ifndef UMLMON_DIRD_H
#define UMLMON_DIRD_H

#include "common/config.h"
#include "common/util.h"

struct dird;

/* The daemon of cfg (it keeps cfg; freed with it). */
struct dird *dird_new(struct config *cfg, struct err *e);
/* As root: VARDIR/umldir (then given to umldir_user), its log there
 * (stderr too with keep_stderr), the Unix socket, the two TCP ports. */
int dird_listen(struct dird *d, int keep_stderr, struct err *e);
/* Becomes umldir_user for good. */
int dird_drop(struct dird *d, struct err *e);
/* Runs until SIGTERM or SIGINT. */
int dird_run(struct dird *d);
/* Closes everything and removes the socket. */
void dird_free(struct dird *d);

#endif
