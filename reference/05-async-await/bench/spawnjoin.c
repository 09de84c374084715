/*
 * spawnjoin.c - benchmark: the whole life of a task on the lab's loop,
 * spawn to joined result, one thread.
 *
 * N tasks in batches of 64: each batch is 64 aio_spawn calls of a future
 * that is READY on its first poll with a small value (its place in the
 * batch + 1), then the join of all 64. The API has no join handle: a
 * task's result goes to the slot named in aio_spawn, and aio_run returns
 * once every task has ended, so joining a batch is aio_run and a check of
 * the 64 slots. ops = tasks spawned and joined; ns = wall time from the
 * first spawn to the last check (the loop is made before, freed after).
 *
 * Peer: lab 13's tokio_peer spawnjoin1, the same batches with
 * tokio::spawn and JoinHandle awaits on Tokio's current_thread runtime
 * (one thread, I/O and time drivers on, as this loop always has its
 * epoll). Same work on both sides: one thread, a task made, queued,
 * polled once, its value handed back and the task freed.
 */
#include "aio.h"
#include "bench_util.h"

#include <errno.h>
#include <string.h>

enum { BATCH = 64 };

struct child {
    struct aio_future base;
    long value;
};

static int child_poll(struct aio_future *f, struct aio_loop *lp)
{
    (void)lp;
    f->result = ((struct child *)f)->value;
    return AIO_READY;
}

static void child_drop(struct aio_future *f, struct aio_loop *lp)
{
    (void)f;
    (void)lp;
}

static const struct aio_future_ops child_ops = {"child", child_poll, child_drop};

int main(void)
{
    long total = bench_n(2000000, 4000);
    long slot[BATCH];
    struct aio_loop *lp = aio_loop_new();
    if (!lp) {
        fprintf(stderr, "spawnjoin: aio_loop_new failed: %s\n", strerror(errno));
        return 1;
    }
    long joined = 0;
    long long t0 = bench_ns(CLOCK_MONOTONIC);
    while (joined < total) {
        int b = total - joined < BATCH ? (int)(total - joined) : BATCH;
        for (int i = 0; i < b; i++) {
            struct child *c = malloc(sizeof *c);
            if (!c) {
                fprintf(stderr, "spawnjoin: out of memory\n");
                return 1;
            }
            c->base.ops = &child_ops;
            c->base.done = 0;
            c->base.result = 0;
            c->value = i + 1;
            slot[i] = -1;
            if (aio_spawn(lp, "child", &c->base, &slot[i]) < 0) {
                fprintf(stderr, "spawnjoin: aio_spawn failed: %s\n", strerror(errno));
                return 1;
            }
        }
        if (aio_run(lp) != 0) {
            fprintf(stderr, "spawnjoin: aio_run failed: %s\n", strerror(errno));
            return 1;
        }
        for (int i = 0; i < b; i++) {
            if (slot[i] != i + 1) {
                fprintf(stderr, "spawnjoin: task %ld stored %ld, want %d\n", joined + i,
                        slot[i], i + 1);
                return 1;
            }
        }
        joined += b;
    }
    long long ns = bench_ns(CLOCK_MONOTONIC) - t0;
    struct aio_stats st;
    aio_stats(lp, &st);
    aio_loop_free(lp);
    if (st.tasks != 0 || st.polls != total) {
        fprintf(stderr, "spawnjoin: %ld tasks left, %ld polls for %ld tasks (want one each)\n",
                st.tasks, st.polls, total);
        return 1;
    }
    bench_report(joined, ns);
    return 0;
}
