/* bench/work.h - the fixed work of one task, shared by bench/pool.c and
 * its peer bench/gthreadpool.c so that both run exactly the same code:
 * `iters` rounds of xorshift64 from a seed of the task's number. The sum
 * over all tasks is the answer each program checks. */
#ifndef BENCH_WORK_H
#define BENCH_WORK_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_work(uint64_t task, long iters)
{
    uint64_t x = task * 0x9E3779B97F4A7C15ULL + 1;
    for (long i = 0; i < iters; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

static inline long bench_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* argv: [threads] [iters per task]; the task count is fixed (smaller with
 * TL_BENCH_QUICK). */
static inline void bench_args(int argc, char **argv, int *threads, long *iters, long *ntasks)
{
    *threads = argc > 1 ? atoi(argv[1]) : 2;
    *iters = argc > 2 ? atol(argv[2]) : 100;
    *ntasks = getenv("TL_BENCH_QUICK") ? 2000 : 400000;
    if (*threads < 1)
        *threads = 1;
}

static inline uint64_t bench_expected(long ntasks, long iters)
{
    uint64_t s = 0;
    for (long i = 0; i < ntasks; i++)
        s += bench_work((uint64_t)i, iters);
    return s;
}

#endif
