/*
 * spawnjoin.c - benchmark: spawn goroutines and join them with a WaitGroup.
 *
 *     spawnjoin NPROCS [TOTAL]
 *
 * One driver G on NPROCS Ps spawns TOTAL children in batches of BATCH
 * (gmp_wg_add(BATCH), BATCH gmp_go, gmp_wg_wait); child i writes i + 1 to
 * its slot, the driver sums the slots after each wait. ops = children
 * spawned and joined; ns = from the first spawn to the last join, measured
 * in the driver. Peer: bench/go_peer spawnjoin (the same shape with go
 * func() and sync.WaitGroup, runtime.GOMAXPROCS(NPROCS)).
 */
#include "bench.h"

#include <stdint.h>

enum { BATCH = 128 };

static long total;
static long slots[BATCH];
static gmp_wg *wg;
static long sum, want, failed;
static long long elapsed;

static void child(void *arg)
{
    long i = (long)(intptr_t)arg;
    slots[i] = i + 1;
    gmp_wg_done(wg);
}

static void driver(void *arg)
{
    (void)arg;
    long long t0 = bench_now_ns();
    for (long done = 0; done < total;) {
        long b = total - done < BATCH ? total - done : BATCH;
        gmp_wg_add(wg, b);
        for (long i = 0; i < b; i++) {
            if (!gmp_go(child, (void *)(intptr_t)i)) {
                gmp_wg_add(wg, -(b - i));
                failed = 1;
                break;
            }
        }
        gmp_wg_wait(wg);
        for (long i = 0; i < b; i++) {
            sum += slots[i];
            slots[i] = 0;
        }
        want += b * (b + 1) / 2;
        done += b;
    }
    elapsed = bench_now_ns() - t0;
}

int main(int argc, char **argv)
{
    int nprocs = bench_args(argc, argv, 1000000, 2 * BATCH, &total);
    if (!(wg = gmp_wg_new())) {
        perror("spawnjoin: gmp_wg_new");
        return 1;
    }
    bench_run("spawnjoin", nprocs, driver);
    gmp_wg_free(wg);
    if (failed || sum != want) {
        fprintf(stderr, "spawnjoin: children summed to %ld, want %ld%s\n", sum, want,
                failed ? " (gmp_go failed)" : "");
        return 1;
    }
    printf("tl-bench ops=%ld ns=%lld\n", total, elapsed);
    return 0;
}
