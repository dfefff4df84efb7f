/* dirlink.h -- a monitor's registration with umldir(8): on umldir's Unix
 * socket, from the monitor's loop, never blocking it. It registers when
 * the socket answers, tells every change of state, and registers again
 * (a retry each second) while umldir is absent or after it went away. */
#ifndef UMLMON_DIRLINK_H
#define UMLMON_DIRLINK_H

struct dirlink;
struct loop;

/* What the monitor registers. */
struct dirlink_reg {
	const char *vm;
	const char *addr;     /* what its TCP listener bound; "": all */
	unsigned port;        /* 0: no TCP */
	int tls;
};

struct dirlink *dirlink_new(struct loop *l, const char *sock,
			    const struct dirlink_reg *reg, const char *state);
/* The VM's state now ("running" ...). */
void dirlink_state(struct dirlink *d, const char *state);
void dirlink_free(struct dirlink *d);

#endif
