/* bench/yield.c - our side of `make bench`: two green threads hand the CPU
 * back and forth with gt_yield, N times each. The unit of work is one
 * switch (2N in all); each thread checks that the other ran in between, so
 * a gt_yield that returns without switching fails the run instead of
 * looking fast. Peer: bench/swapcontext.c, the same ping-pong on glibc's
 * swapcontext. Prints `tl-bench ops=<switches> ns=<elapsed>`. */
#include "gt.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long n_rounds;
static volatile long turn; /* whose turn it is: 0 or 1 (one kernel thread: no race) */
static long out_of_turn;

static void *pinger(void *arg)
{
    long me = (long)arg;
    for (long i = 0; i < n_rounds; i++) {
        if (turn != me)
            out_of_turn++;
        turn = 1 - me;
        gt_yield();
    }
    return NULL;
}

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main(void)
{
    n_rounds = getenv("TL_BENCH_QUICK") ? 1000 : 2000000;
    if (gt_init() != 0) {
        perror("yield: gt_init");
        return 1;
    }
    gt_t a = gt_spawn(pinger, (void *)0, 0), b = gt_spawn(pinger, (void *)1, 0);
    if (a < 0 || b < 0) {
        perror("yield: gt_spawn");
        return 1;
    }
    long t0 = now_ns();
    if (gt_join(a, NULL) != 0 || gt_join(b, NULL) != 0) {
        perror("yield: gt_join");
        return 1;
    }
    long dt = now_ns() - t0;
    gt_fini();
    if (out_of_turn > 1) { /* the first turn of thread 1 may find turn stale only if spawn order broke */
        fprintf(stderr, "yield: the two threads did not alternate (%ld turns out of order)\n", out_of_turn);
        return 1;
    }
    printf("tl-bench ops=%ld ns=%ld\n", 2 * n_rounds, dt);
    return 0;
}
