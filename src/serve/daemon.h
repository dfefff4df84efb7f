/* daemon.h -- what a daemon of umlmon (umlmon, umldir, umlweb) does at its start:
 * it closes what it inherited, holds a locked pid file, forks into the
 * background and tells its parent when it is ready or why it failed. */
#ifndef UMLMON_DAEMON_H
#define UMLMON_DAEMON_H

#include "common/config.h"
#include "common/util.h"

/* Closes every fd above 2 and puts /dev/null where 0, 1 or 2 is missing,
 * so that the daemon's own files never take those numbers. */
void daemon_close_inherited(void);
/* Opens and locks the pid file for the daemon's life; its fd. -1 with e
 * if another process holds it ("WHAT is already running (pid N, pid file
 * PATH)"). */
int pidfile_lock(const char *path, const char *what, struct err *e);
/* Writes our pid into it. */
int pidfile_write(int fd);
/* Forks; the parent waits until the child calls daemon_ready() and exits
 * with its verdict (printing "prog: error"). Returns, in the child, the
 * fd to report on. */
int daemon_fork(const char *prog);
/* Tells the waiting parent (fd from daemon_fork, or -1 in the foreground)
 * that the daemon runs, or why it did not (and then exits 1). */
void daemon_ready(int fd, const char *error);
/* Points 0, 1 and 2 at /dev/null (a daemon in the background). */
void daemon_null_stdio(void);
/* The configuration of a daemon that serves the whole host (umldir,
 * umlweb): *cfgpath from -c, $UMLMON_CONFIG or the default, whose
 * [GLOBAL] must be free of errors (each is logged); else exits 1. */
struct config *daemon_load_global(const char **cfgpath, const char *prog);

#endif
