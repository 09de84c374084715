/*
 * peer_uv_timers.c - the same work as timerbench.c on libuv: N uv_timer_t,
 * the same deadlines (ms), fired in deadline order; ns= is the loop
 * thread's CPU time, as in timerbench.c.
 */
#include "bench_util.h"

#include <uv.h>
#include <stdint.h>

struct timed {
    uv_timer_t h;
    uint64_t deadline;
};

static long fired, bad;
static uint64_t last;

static void on_timer(uv_timer_t *h)
{
    struct timed *t = (struct timed *)h;
    bad += t->deadline < last;
    last = t->deadline;
    fired++;
    uv_close((uv_handle_t *)h, NULL);
}

int main(void)
{
    long n = bench_n(300000, 2000);
    unsigned long long seed = 42;
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct timed *t = calloc((size_t)n, sizeof *t);
    long long c0 = bench_ns(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < n; i++) {
        uint64_t ms = 20 + (uint64_t)n * 5 / 1000 + bench_rand(&seed) % 100;
        t[i].deadline = ms;
        uv_timer_init(&loop, &t[i].h);
        uv_timer_start(&t[i].h, on_timer, ms, 0);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    long long ns = bench_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    uv_loop_close(&loop);
    free(t);
    if (fired != n || bad) {
        fprintf(stderr, "peer_uv_timers: %ld of %ld timers fired, %ld out of order\n", fired, n, bad);
        return 1;
    }
    bench_report(n, ns);
    return 0;
}
