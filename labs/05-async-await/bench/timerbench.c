/*
 * timerbench.c - schedule and fire N timers on the lab's loop, one task per
 * timer (an aio_sleep_until each), deadlines spread over 100 ms with many
 * ties. Checks that they fire in deadline order.
 *
 * ns= is the CPU time of the loop's thread, not wall time: every timer
 * program has to wait for the same last deadline, and that idle wait (the
 * same on both sides) would hide the cost of the heap and the tasks.
 */
#include "aio.h"
#include "bench_util.h"

#include <stdint.h>

static long fired, bad;
static int64_t last;

struct timed {
    struct aio_future base;
    struct aio_future *sleep;
    int64_t deadline;
};

static int timed_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct timed *t = (struct timed *)f;
    if (aio_await(t->sleep, lp) == AIO_PENDING)
        return AIO_PENDING;
    bad += t->deadline < last;
    last = t->deadline;
    fired++;
    f->result = 0;
    return AIO_READY;
}

static void timed_drop(struct aio_future *f, struct aio_loop *lp)
{
    aio_future_free(((struct timed *)f)->sleep, lp);
}

static const struct aio_future_ops timed_ops = {"timed", timed_poll, timed_drop};

int main(void)
{
    long n = bench_n(300000, 2000);
    unsigned long long seed = 42;
    struct aio_loop *lp = aio_loop_new();
    if (!lp) {
        perror("aio_loop_new");
        return 1;
    }
    long long c0 = bench_ns(CLOCK_THREAD_CPUTIME_ID);
    /* far enough ahead that every timer is armed (its task's first poll)
     * before the first deadline, even on a loaded machine: 20 ms plus 5 us
     * a timer (the figure is CPU time: the wait costs nothing in it) */
    int64_t base = aio_now(lp) + 20 * 1000000LL + (int64_t)n * 5000;
    for (long i = 0; i < n; i++) {
        struct timed *t = malloc(sizeof *t);
        t->base.ops = &timed_ops;
        t->base.done = 0;
        t->deadline = base + (int64_t)(bench_rand(&seed) % 100) * 1000000LL;
        t->sleep = aio_sleep_until(lp, t->deadline);
        if (!t->sleep || aio_spawn(lp, "timer", &t->base, NULL) < 0) {
            fprintf(stderr, "timerbench: spawn failed\n");
            return 1;
        }
    }
    if (aio_run(lp) != 0) {
        perror("aio_run");
        return 1;
    }
    long long ns = bench_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    aio_loop_free(lp);
    if (fired != n || bad) {
        fprintf(stderr, "timerbench: %ld of %ld timers fired, %ld out of order\n", fired, n, bad);
        return 1;
    }
    bench_report(n, ns);
    return 0;
}
