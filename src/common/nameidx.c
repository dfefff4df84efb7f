/* nameidx.c -- a hash index from names to numbers (see nameidx.h): FNV-1a,
 * linear probing, doubled when half full. */
#include "common/nameidx.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct nameidx_slot {
	char *key; /* NULL: free */
	int val;
};

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

void nameidx_free(struct nameidx *x)
{
	for (size_t i = 0; i < x->cap; i++)
		free(x->s[i].key);
	free(x->s);
	memset(x, 0, sizeof(*x));
}

static struct nameidx_slot *slot(const struct nameidx *x, const char *key)
{
	size_t i = hash(key) & (x->cap - 1);

	while (x->s[i].key && strcmp(x->s[i].key, key))
		i = (i + 1) & (x->cap - 1);
	return &x->s[i];
}

int nameidx_get(const struct nameidx *x, const char *key)
{
	struct nameidx_slot *s;

	if (!x->cap)
		return -1;
	s = slot(x, key);
	return s->key ? s->val : -1;
}

static void grow(struct nameidx *x)
{
	struct nameidx old = *x;

	x->cap = old.cap ? old.cap * 2 : 16;
	x->s = xcalloc(x->cap, sizeof(*x->s));
	for (size_t i = 0; i < old.cap; i++)
		if (old.s[i].key)
			*slot(x, old.s[i].key) = old.s[i];
	free(old.s);
}

/* The slot of key, made (with val) if it was not there: *found says. */
static struct nameidx_slot *take(struct nameidx *x, const char *key, int val,
				 int *found)
{
	struct nameidx_slot *s;

	if (2 * (x->n + 1) > x->cap)
		grow(x);
	s = slot(x, key);
	*found = s->key != NULL;
	if (!s->key) {
		s->key = xstrdup(key);
		s->val = val;
		x->n++;
	}
	return s;
}

int nameidx_put(struct nameidx *x, const char *key, int val)
{
	int found;
	struct nameidx_slot *s = take(x, key, val, &found);

	return found ? s->val : -1;
}

void nameidx_set(struct nameidx *x, const char *key, int val)
{
	int found;

	take(x, key, val, &found)->val = val;
}
