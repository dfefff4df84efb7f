/* watch.h -- the umlwatch client: one table of commands that serves both
 * the command line (-info, -start, -connect con1 ...) and the interactive
 * prompt (info, start, connect con1 ...), and the console session. */
#ifndef UMLMON_WATCH_H
#define UMLMON_WATCH_H

#include <stdio.h>

#include "../common/util.h"

struct rpc_client;

/* Exit statuses of umlwatch. */
enum {
	WATCH_OK = 0,
	WATCH_FAILED = 1,   /* the monitor refused or the operation failed */
	WATCH_USAGE = 2,
	WATCH_NOMON = 3,    /* no monitor to talk to */
};

struct watch {
	const char *vm;
	char *sock;          /* control socket */
	struct rpc_client *rpc;
	int interactive;
};

struct watch_cmd {
	const char *name;
	int min_args, max_args;
	const char *args;    /* for the usage text */
	int (*fn)(struct watch *w, int argc, char **argv);
	const char *help;
	/* checks the arguments before the monitor is asked (NULL: none) */
	int (*check)(int argc, char **argv, struct err *e);
};

extern const struct watch_cmd watch_cmds[];

/* The command whose name is s or starts with s; NULL with e if none or
 * several match. */
const struct watch_cmd *watch_find(const char *s, struct err *e);
/* How many of argv[0..argc) are arguments of cmd (optional ones are taken
 * while they do not look like options). */
int watch_count_args(const struct watch_cmd *cmd, int argc, char **argv);

int watch_open(struct watch *w, struct err *e);
void watch_close(struct watch *w);
int watch_run(struct watch *w, const struct watch_cmd *cmd, int argc, char **argv);
/* The prompt: reads commands from stdin until EOF or "quit". */
int watch_interactive(struct watch *w);
void watch_usage(FILE *f, const char *prog);

#endif
