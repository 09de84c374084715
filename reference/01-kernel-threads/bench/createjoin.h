/* bench/createjoin.h - what createjoin.c and its peers (peer_pthread.c,
 * peer_fork.c) share, so that all do and check the same work: the
 * arguments, the clock, and each thread's job (write index + 1 in its own
 * slot, return the index) with the check of every slot at the end.
 * Plain C: a kthread runs cj_work, so it touches no libc. */
#ifndef BENCH_CREATEJOIN_H
#define BENCH_CREATEJOIN_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long *cj_slot;

/* argv: [n], default def; TL_BENCH_QUICK=1 makes it quick. Exits with a
 * message when n is not at least 1. */
static inline long cj_args(int argc, char **argv, const char *me, long def, long quick)
{
    const char *q = getenv("TL_BENCH_QUICK");
    long n = argc > 1 ? atol(argv[1]) : def;
    if (q && atoi(q))
        n = quick;
    if (n < 1) {
        fprintf(stderr, "%s: n must be at least 1\n", me);
        exit(1);
    }
    return n;
}

/* n zeroed slots for the threads to write in; exits if there is no memory */
static inline void cj_slots(long n, const char *me)
{
    cj_slot = (long *)calloc(n, sizeof *cj_slot);
    if (!cj_slot) {
        fprintf(stderr, "%s: no memory for %ld slots\n", me, n);
        exit(1);
    }
}

/* thread i's whole job: a plain store, and its index as the result */
static inline void *cj_work(long i)
{
    cj_slot[i] = i + 1;
    return (void *)i;
}

/* 0 when every thread left its mark; else says which did not, returns 1 */
static inline int cj_check(long n, const char *me)
{
    for (long i = 0; i < n; i++)
        if (cj_slot[i] != i + 1) {
            fprintf(stderr, "%s: thread #%ld left %ld in its slot, not %ld\n", me, i, cj_slot[i], i + 1);
            return 1;
        }
    free(cj_slot);
    return 0;
}

static inline long cj_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

#endif
