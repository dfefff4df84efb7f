/* watch.h -- the umlwatch client: one table of commands that serves the
 * command line (-info, -start, -connect con1 ...), the interactive prompt
 * (info, start, connect con1 ...), the help text and the prompt's
 * completion. A run is parsed and checked whole before its first command
 * runs. */
#ifndef UMLMON_WATCH_H
#define UMLMON_WATCH_H

#include <stdio.h>

#include "common/cmdtab.h"
#include "common/util.h"
#include "client/console.h"

struct rpc_client;
struct remote_target;

/* Exit statuses of umlwatch. */
enum {
	WATCH_OK = 0,
	WATCH_FAILED = 1,   /* the monitor refused or the operation failed */
	WATCH_USAGE = 2,
	WATCH_NOMON = 3,    /* no monitor to talk to */
};

#define WATCH_ESCAPE_DEFAULT 0x1d  /* Ctrl-] */

struct watch {
	const char *vm;
	char *sock;          /* control socket */
	/* why no configuration was read (the socket is then the default
	 * one), or NULL: for the message when no monitor answers */
	char *noconf;
	struct rpc_client *rpc;
	/* VM@HOST: the monitor over TCP (client/remote.h), else NULL */
	struct remote_target *remote;
	const char *password_file; /* -password-file, or NULL */
	char *password;      /* asked or read once, for every connection */
	int interactive;
	int escape;          /* the console's escape key, or CONSOLE_ESCAPE_NONE */
};

/* The commands (cmdtab.h); run takes a struct watch. */
extern const struct cmd watch_cmds[];
/* The marker list for "a channel name" in cmd.words. */
extern const char *const watch_channels[];

/* The command whose name is s or starts with s; NULL with e if none or
 * several match. */
const struct cmd *watch_find(const char *s, struct err *e);
/* Parses the commands of a command line (the words after the VM name):
 * every command and argument is checked before anything runs. Fills at
 * most argc steps; returns their number, or -1 with e. */
int watch_parse(int argc, char **argv, struct cmd_call *steps, struct err *e);
/* Parses one line of the prompt, already split into words. */
int watch_parse_line(int argc, char **argv, struct cmd_call *s, struct err *e);
/* Parses the value of -escape: ^X, ^], a control character, or "none"
 * (CONSOLE_ESCAPE_NONE). */
int watch_parse_escape(const char *s, int *key, struct err *e);

int watch_open(struct watch *w, struct err *e);
/* umlwatch -list @HOST: the VMs umldir knows there. */
int watch_list_host(struct remote_target *t, int json);
#define WATCH_MAX_NODES 64
/* The VMs of several hosts (t[k] named nodes[k] in the NODE column);
 * a host whose umldir does not answer is a row with its error, and the
 * exit status then says so (3 if one did not answer, else 1). */
int watch_list_nodes(const struct remote_target *t, const char *const *nodes,
		     int n, int json);
void watch_close(struct watch *w);
/* Checks with the monitor what only it knows (the channel names) for
 * all steps, before the first runs. */
int watch_check_steps(struct watch *w, const struct cmd_call *steps, int n,
		      struct err *e);
int watch_run(struct watch *w, const struct cmd_call *s);
/* The prompt: reads commands from stdin until EOF or "quit"; with line
 * editing, history and completion when stdin is a terminal. */
int watch_interactive(struct watch *w);
void watch_usage(FILE *f, const char *prog);
/* The commands for shell completion (umlwatch --commands; cmd_list()). */
void watch_list_commands(FILE *f);

#endif
