/*
 * bench_util.h - what every lab 05 bench program (ours and the libuv
 * peers) shares: the clock, the quick switch, the one output line.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline long long bench_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Fixed work: `full` units, or `quick` with TL_BENCH_QUICK=1. */
static inline long bench_n(long full, long quick)
{
    const char *q = getenv("TL_BENCH_QUICK");
    return q && *q == '1' ? quick : full;
}

static inline void bench_report(long ops, long long ns)
{
    printf("tl-bench ops=%ld ns=%lld\n", ops, ns);
}

/* A tiny generator, the same on both sides: the same deadlines. */
static inline unsigned bench_rand(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(*s >> 33);
}

#endif
