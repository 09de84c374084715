/*
 * bench.h - what the three benchmark programs share: the clock, the
 * command line (NPROCS [N]) and the runtime's run.
 */
#ifndef BENCH_H
#define BENCH_H

#include "gmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline long long bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* `name NPROCS [N]`: the number of Ps, and N (default: full, or token
 * with TL_BENCH_QUICK in the environment). Exits 2 on a bad argument. */
static inline int bench_args(int argc, char **argv, long full, long token, long *n)
{
    int nprocs = argc > 1 ? atoi(argv[1]) : 1;
    *n = argc > 2 ? atol(argv[2]) : getenv("TL_BENCH_QUICK") ? token : full;
    if (nprocs < 1 || nprocs > GMP_MAXPROCS || *n < 1) {
        fprintf(stderr, "usage: %s NPROCS(1..%d) [N]\n", argv[0], GMP_MAXPROCS);
        exit(2);
    }
    return nprocs;
}

/* gmp_run(nprocs, fn, NULL), or say why and exit 1. */
static inline void bench_run(const char *name, int nprocs, void (*fn)(void *))
{
    if (gmp_run(nprocs, fn, NULL) != 0) {
        fprintf(stderr, "%s: ", name);
        perror("gmp_run");
        exit(1);
    }
}

#endif
