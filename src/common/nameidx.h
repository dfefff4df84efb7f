/* nameidx.h -- a hash index from a name to a number (the row of a table
 * that stays where it is), so that looking a VM, a MAC or a uid up among
 * n is not a walk over all n: the lists of a host grow with its VMs, and
 * a walk per entry makes a pass over them quadratic. */
#ifndef UMLMON_NAMEIDX_H
#define UMLMON_NAMEIDX_H

#include <stddef.h>

struct nameidx {
	struct nameidx_slot *s; /* open addressing, at most half full */
	size_t cap, n;
};

/* An empty index is all zeroes. */
void nameidx_free(struct nameidx *x);
/* The number of key, or -1. */
int nameidx_get(const struct nameidx *x, const char *key);
/* Adds key with val (a copy of key is kept); if key is there already, it
 * keeps its number, which is returned; else -1. */
int nameidx_put(struct nameidx *x, const char *key, int val);
/* Adds key, or gives it the number val if it is there. */
void nameidx_set(struct nameidx *x, const char *key, int val);

#endif
