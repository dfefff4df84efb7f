/* registry.h -- umldir's table of the host's monitors: one entry per VM
 * (its state, where its TCP port is, its pid), held by the connection it
 * registered on. An entry goes when that connection closes, or when its
 * process is seen to be gone (/proc/PID, with the start time it had when
 * it registered, so a reused pid is no monitor). */
#ifndef UMLMON_REGISTRY_H
#define UMLMON_REGISTRY_H

#include <stdint.h>
#include <sys/types.h>

#include "umldir.h"
#include "common/util.h"

struct registry;

struct dir_vm {
	char vm[UD_NAME_MAX + 1];
	char state[UD_NAME_MAX + 1];
	char addr[UD_ADDR_MAX + 1];  /* what the monitor bound; "" without TCP */
	unsigned port;               /* 0: no TCP */
	int tls;
	pid_t pid;
	uint64_t start_time;         /* of pid, from /proc/PID/stat */
	const void *conn;            /* the registration's connection */
};

struct registry *registry_new(void);
void registry_free(struct registry *r);

/* Registers a monitor (or updates its own entry, on its connection).
 * caller_pid: the peer's pid (SO_PEERCRED), which must be a->pid. -1
 * with e: ERR_INVAL (a bad argument), ERR_BUSY (a live monitor on another
 * connection has the VM; the table is full). */
int registry_register(struct registry *r, const ud_register_args *a,
		      const void *conn, pid_t caller_pid, struct err *e);
/* A new state of a VM registered on conn; ERR_NOENT, ERR_PERM (another
 * connection's), ERR_INVAL. */
int registry_set_state(struct registry *r, const char *vm, const char *state,
		       const void *conn, struct err *e);
/* Drops the entries of a connection that closed; how many. */
int registry_drop_conn(struct registry *r, const void *conn);

/* The live entry of vm, or NULL (e: ERR_NOENT). Entries of processes
 * that are gone are dropped first. Valid until the registry changes. */
const struct dir_vm *registry_get(struct registry *r, const char *vm,
				  struct err *e);
/* The live entries, by name: n of them in *out (valid until the registry
 * changes). */
int registry_list(struct registry *r, const struct dir_vm *const **out);

#endif
