/*
 * fib.c - the lab's benchmark: fib(n) with one ws_spawn per call down to a
 * cutoff (below it, plain recursion), on a pool of w workers.
 *
 *   fib [n [cutoff [workers]]]     defaults: 30 2 2
 *
 * Prints `tl-bench ops=<tasks spawned> ns=<elapsed ns of the run>`; the
 * peers (peer_omp.c, peer_tbb.cpp) spawn exactly the same tasks. Checks its
 * answer. TL_BENCH_QUICK=1: n = 20.
 */
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cutoff;

struct fib { int n; long r; };

static long fib_seq(int n)
{
    return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2);
}

static void fib_task(void *p)
{
    struct fib *f = p;
    if (f->n < cutoff) {
        f->r = fib_seq(f->n);
        return;
    }
    struct fib a = {f->n - 1, 0}, b = {f->n - 2, 0};
    struct ws_task *t = ws_spawn(fib_task, &a);
    if (!t) {
        perror("ws_spawn");
        exit(1);
    }
    fib_task(&b);
    ws_join(t);
    f->r = a.r + b.r;
}

/* tasks spawned: one per call with n >= cutoff (and n >= 2) */
static long count_spawns(int n)
{
    return n < cutoff || n < 2 ? 0 : 1 + count_spawns(n - 1) + count_spawns(n - 2);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 30;
    cutoff = argc > 2 ? atoi(argv[2]) : 2;
    int w = argc > 3 ? atoi(argv[3]) : 2;
    if (getenv("TL_BENCH_QUICK") && atoi(getenv("TL_BENCH_QUICK")))
        n = 20;
    struct ws_pool *p = ws_pool_new(w);
    if (!p) {
        perror("ws_pool_new");
        return 1;
    }
    struct fib f = {n, -1};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = ws_pool_run(p, fib_task, &f);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ws_pool_free(p);
    if (rc || f.r != fib_seq(n)) {
        fprintf(stderr, "fib(%d) = %ld (rc %d), expected %ld\n", n, f.r, rc, fib_seq(n));
        return 1;
    }
    long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
    printf("tl-bench ops=%ld ns=%ld\n", count_spawns(n), ns);
    return 0;
}
