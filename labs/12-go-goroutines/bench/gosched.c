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
#include "bench.h"

enum { K = 2 };

static long yields, count[K];
static gmp_wg *wg;
static long long elapsed;
static int failed;

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
    long long t0 = bench_now_ns();
    gmp_wg_add(wg, K);
    for (int i = 0; i < K; i++) {
        if (!gmp_go(yielder, &count[i])) {
            gmp_wg_add(wg, -(K - i));
            failed = 1;
            break;
        }
    }
    gmp_wg_wait(wg);
    elapsed = bench_now_ns() - t0;
}

int main(int argc, char **argv)
{
    int nprocs = bench_args(argc, argv, 1000000, 1000, &yields);
    if (!(wg = gmp_wg_new())) {
        perror("gosched: gmp_wg_new");
        return 1;
    }
    bench_run("gosched", nprocs, driver);
    gmp_wg_free(wg);
    long total = count[0] + count[1];
    if (failed || total != K * yields) {
        fprintf(stderr, "gosched: %ld yields counted, want %ld%s\n", total, K * yields,
                failed ? " (gmp_go failed)" : "");
        return 1;
    }
    printf("tl-bench ops=%ld ns=%lld\n", total, elapsed);
    return 0;
}
