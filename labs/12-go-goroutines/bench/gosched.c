/*
 * gosched.c - benchmark: goroutines that only yield.
 *
 *     gosched NPROCS [YIELDS]
 *
 * On NPROCS Ps, K Gs each call gmp_gosched YIELDS times, counting; a
 * driver G spawns them and waits on a WaitGroup. ops = gmp_gosched calls
 * (K * YIELDS); ns = from the first spawn to the end of the wait,
 * measured in the driver. Peer: bench/go_peer gosched (runtime.Gosched,
 * runtime.GOMAXPROCS(NPROCS)).
 */
#include "gmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { K = 2 };

static long yields, count[K];
static gmp_wg *wg;
static long long elapsed;
static int failed;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void yielder(void *arg)
{
    long *n = arg;
    for (long i = 0; i < yields; i++) {
        gmp_gosched();
        ++*n;
    }
    gmp_wg_done(wg);
}

static void driver(void *arg)
{
    (void)arg;
    long long t0 = now_ns();
    gmp_wg_add(wg, K);
    for (int i = 0; i < K; i++) {
        if (!gmp_go(yielder, &count[i])) {
            gmp_wg_add(wg, -(K - i));
            failed = 1;
            break;
        }
    }
    gmp_wg_wait(wg);
    elapsed = now_ns() - t0;
}

int main(int argc, char **argv)
{
    int nprocs = argc > 1 ? atoi(argv[1]) : 1;
    yields = argc > 2 ? atol(argv[2]) : getenv("TL_BENCH_QUICK") ? 1000 : 1000000;
    if (nprocs < 1 || nprocs > GMP_MAXPROCS || yields < 1) {
        fprintf(stderr, "usage: gosched NPROCS(1..%d) [YIELDS]\n", GMP_MAXPROCS);
        return 2;
    }
    if (!(wg = gmp_wg_new())) {
        perror("gosched: gmp_wg_new");
        return 1;
    }
    if (gmp_run(nprocs, driver, NULL) != 0) {
        perror("gosched: gmp_run");
        return 1;
    }
    gmp_wg_free(wg);
    long total = 0;
    for (int i = 0; i < K; i++)
        total += count[i];
    if (failed || total != K * yields) {
        fprintf(stderr, "gosched: %ld yields counted, want %ld%s\n", total, K * yields,
                failed ? " (gmp_go failed)" : "");
        return 1;
    }
    printf("tl-bench ops=%ld ns=%lld\n", total, elapsed);
    return 0;
}
