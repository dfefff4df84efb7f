/* ratelimit.c -- fixed-window rate limit. */
#include "common/ratelimit.h"

int ratelimit_ok(struct ratelimit *r, int64_t now, uint64_t *held)
{
	*held = 0;
	if (now - r->start >= r->window_ms || now < r->start) {
		r->start = now;
		r->used = 0;
	}
	if (r->used >= r->burst) {
		r->suppressed++;
		return 0;
	}
	r->used++;
	*held = r->suppressed;
	r->suppressed = 0;
	return 1;
}
