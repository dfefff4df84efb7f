/* rtt.h -- the round-trip timing of the console benchmarks (ttybench,
 * wsbench): a monotonic clock and the line they print. */
#ifndef UMLMON_BENCH_RTT_H
#define UMLMON_BENCH_RTT_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int rtt_cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* "rtt n=N median_us=... p99_us=... max_us=..." of n times in ns (sorts t) */
static inline void rtt_print(long long *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), rtt_cmp);
	printf("rtt n=%d median_us=%.1f p99_us=%.1f max_us=%.1f\n", n,
	       t[n / 2] / 1000.0, t[(int)(n * 0.99)] / 1000.0, t[n - 1] / 1000.0);
}

#endif
