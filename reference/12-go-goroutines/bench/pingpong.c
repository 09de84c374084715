/*
 * pingpong.c - benchmark: round trips over two unbuffered channels.
 *
 *     pingpong NPROCS [TRIPS]
 *
 * On NPROCS Ps, G "ping" sends i on channel a, G "pong" receives it and
 * sends i + 1 back on channel b; ping checks every answer. ops = round
 * trips; ns = from the first send to the last answer, measured in ping.
 * Peer: bench/go_peer pingpong (two chan int, runtime.GOMAXPROCS(NPROCS)).
 */
#include "gmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long trips, wrong;
static gmp_chan *a, *b;
static long long elapsed;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pong(void *arg)
{
    (void)arg;
    long v;
    while (gmp_chan_recv(a, &v)) {
        v++;
        gmp_chan_send(b, &v);
    }
}

static void ping(void *arg)
{
    (void)arg;
    if (!gmp_go(pong, NULL)) {
        perror("pingpong: gmp_go");
        wrong = -1;
        return;
    }
    long long t0 = now_ns();
    for (long i = 0; i < trips; i++) {
        long v = i;
        gmp_chan_send(a, &v);
        gmp_chan_recv(b, &v);
        if (v != i + 1)
            wrong++;
    }
    elapsed = now_ns() - t0;
    gmp_chan_close(a);
}

int main(int argc, char **argv)
{
    int nprocs = argc > 1 ? atoi(argv[1]) : 1;
    trips = argc > 2 ? atol(argv[2]) : getenv("TL_BENCH_QUICK") ? 1000 : 1000000;
    if (nprocs < 1 || nprocs > GMP_MAXPROCS || trips < 1) {
        fprintf(stderr, "usage: pingpong NPROCS(1..%d) [TRIPS]\n", GMP_MAXPROCS);
        return 2;
    }
    if (!(a = gmp_chan_make(sizeof(long), 0)) || !(b = gmp_chan_make(sizeof(long), 0))) {
        perror("pingpong: gmp_chan_make");
        return 1;
    }
    if (gmp_run(nprocs, ping, NULL) != 0) {
        perror("pingpong: gmp_run");
        return 1;
    }
    gmp_chan_free(a);
    gmp_chan_free(b);
    if (wrong) {
        fprintf(stderr, "pingpong: %ld wrong answers of %ld\n", wrong, trips);
        return 1;
    }
    printf("tl-bench ops=%ld ns=%lld\n", trips, elapsed);
    return 0;
}
