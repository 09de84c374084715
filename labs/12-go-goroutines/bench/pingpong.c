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
#include "bench.h"

static long trips, wrong;
static gmp_chan *a, *b;
static long long elapsed;

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
    long long t0 = bench_now_ns();
    for (long i = 0; i < trips; i++) {
        long v = i;
        gmp_chan_send(a, &v);
        gmp_chan_recv(b, &v);
        if (v != i + 1)
            wrong++;
    }
    elapsed = bench_now_ns() - t0;
    gmp_chan_close(a);
}

int main(int argc, char **argv)
{
    int nprocs = bench_args(argc, argv, 1000000, 1000, &trips);
    if (!(a = gmp_chan_make(sizeof(long), 0)) || !(b = gmp_chan_make(sizeof(long), 0))) {
        perror("pingpong: gmp_chan_make");
        return 1;
    }
    bench_run("pingpong", nprocs, ping);
    gmp_chan_free(a);
    gmp_chan_free(b);
    if (wrong) {
        fprintf(stderr, "pingpong: %ld wrong answers of %ld\n", wrong, trips);
        return 1;
    }
    printf("tl-bench ops=%ld ns=%lld\n", trips, elapsed);
    return 0;
}
