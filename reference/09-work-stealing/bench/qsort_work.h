/* bench/qsort_work.h - what bench/qsort.c and its peers (peer_omp_qsort.c,
 * peer_tbb_qsort.cpp) share so that all three sort the same ints the same
 * way: the input (fixed-seed xorshift), the partition step, the serial sort
 * under the cutoff, the arguments, and the check of the answer. Only where
 * a range's left part goes (ws_spawn, `omp task`, tg.run) differs.
 * C and C++ alike: the C++ peer includes it too. */
#ifndef BENCH_QSORT_WORK_H
#define BENCH_QSORT_WORK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Ranges this short are never split, whatever the cutoff. */
#define QS_SMALL 16

static inline void qs_swap(int *a, int *b)
{
    int t = *a;
    *a = *b;
    *b = t;
}

/* Hoare partition of a[0..n-1], n >= QS_SMALL, pivot the median of the
 * first, middle and last ints: afterwards a[0..k-1] <= a[k..n-1] and
 * 1 <= k <= n-1, the k returned. */
static inline long qs_partition(int *a, long n)
{
    long m = (n - 1) / 2;
    if (a[m] < a[0]) qs_swap(&a[m], &a[0]);
    if (a[n - 1] < a[m]) qs_swap(&a[n - 1], &a[m]);
    if (a[m] < a[0]) qs_swap(&a[m], &a[0]);
    int pv = a[m];
    long i = -1, j = n;
    for (;;) {
        do i++; while (a[i] < pv);
        do j--; while (a[j] > pv);
        if (i >= j)
            return j + 1;
        qs_swap(&a[i], &a[j]);
    }
}

/* The serial sort: the same partition, insertion sort under QS_SMALL. */
static inline void qs_sort_serial(int *a, long n)
{
    while (n >= QS_SMALL) {
        long k = qs_partition(a, n);
        qs_sort_serial(a, k);
        a += k;
        n -= k;
    }
    for (long i = 1; i < n; i++) {
        int v = a[i];
        long j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

/* argv: [n [cutoff [workers]]], defaults 2000000 2000 2; TL_BENCH_QUICK=1
 * makes n 20000. Exits with a message on a bad value. */
static inline void qs_args(int argc, char **argv, const char *me, long *n, long *cutoff, int *workers)
{
    const char *q = getenv("TL_BENCH_QUICK");
    *n = argc > 1 ? atol(argv[1]) : 2000000;
    *cutoff = argc > 2 ? atol(argv[2]) : 2000;
    *workers = argc > 3 ? atoi(argv[3]) : 2;
    if (q && atoi(q))
        *n = 20000;
    if (*n < 1 || *cutoff < 1 || *workers < 1) {
        fprintf(stderr, "%s: want n, cutoff and workers of at least 1\n", me);
        exit(1);
    }
}

/* An order-free fingerprint of the ints: their sum and the xor of a hash
 * of each. Sorting must leave it as it was. */
struct qs_print { uint64_t sum, mix; };

static inline struct qs_print qs_fingerprint(const int *a, long n)
{
    struct qs_print f = {0, 0};
    for (long i = 0; i < n; i++) {
        uint64_t h = (uint64_t)(uint32_t)a[i] * 0x9e3779b97f4a7c15ULL;
        f.sum += (uint32_t)a[i];
        f.mix ^= h ^ (h >> 29);
    }
    return f;
}

/* n ints from xorshift64 with a fixed seed (non-negative, 31 bits); NULL
 * when there is no memory. *before is their fingerprint. */
static inline int *qs_input(long n, struct qs_print *before)
{
    int *a = (int *)malloc((size_t)n * sizeof *a);
    if (!a)
        return NULL;
    uint64_t x = 88172645463325252ULL;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        a[i] = (int)(x >> 33);
    }
    *before = qs_fingerprint(a, n);
    return a;
}

/* 0 when a is in order and holds the ints it held before; else says why
 * (as `me`) and returns 1. */
static inline int qs_check(const int *a, long n, struct qs_print before, const char *me)
{
    for (long i = 1; i < n; i++)
        if (a[i - 1] > a[i]) {
            fprintf(stderr, "%s: not sorted at %ld: %d > %d\n", me, i, a[i - 1], a[i]);
            return 1;
        }
    struct qs_print after = qs_fingerprint(a, n);
    if (after.sum != before.sum || after.mix != before.mix) {
        fprintf(stderr, "%s: the sorted ints are not the input's (checksum differs)\n", me);
        return 1;
    }
    return 0;
}

static inline long qs_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

#endif
