/* ratelimit.h -- at most so many events per time window, for log lines a
 * guest or a client can cause at will (a flood must not fill the disk). */
#ifndef UMLMON_RATELIMIT_H
#define UMLMON_RATELIMIT_H

#include <stdint.h>

struct ratelimit {
	int burst;            /* events let through per window */
	int window_ms;
	int64_t start;        /* of the current window */
	int used;
	uint64_t suppressed;  /* not let through since the last report */
};

#define RATELIMIT_INIT(burst, window_ms) {(burst), (window_ms), 0, 0, 0}

/* 1 if one more event may go through at time now (ms). When it may, and
 * events were held back before, *held gets their number (and the count
 * starts again) so that the caller can say so; else *held is 0. */
int ratelimit_ok(struct ratelimit *r, int64_t now, uint64_t *held);

#endif
