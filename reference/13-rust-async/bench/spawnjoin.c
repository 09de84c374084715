/*
 * spawnjoin.c - benchmark: spawn and join tasks on a 2-worker runtime.
 *
 * Four driver tasks each spawn children in batches of 64 and join them
 * (rt_join_poll), TOTAL children in all; a child is ready on its first
 * poll. ops = children spawned and joined; ns = from the first spawn to
 * the last join. Peer: bench/tokio (the same shape with tokio::spawn and
 * JoinHandle awaits on a 2-worker multi-thread runtime).
 */
#include "rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit {
    struct rt_future f;
};

static int unit_poll(struct rt_future *f, struct rt_context *cx)
{
    (void)cx;
    f->output = 1;
    return RT_READY;
}

struct driver {
    struct rt_future f;
    struct rt_runtime *rt;
    long total, done, sum;
    int inflight, joined;
    struct unit kids[64];
    struct rt_join *js[64];
};

static int driver_poll(struct rt_future *f, struct rt_context *cx)
{
    struct driver *d = (struct driver *)f;
    for (;;) {
        if (d->inflight == 0) {
            if (d->done == d->total) {
                f->output = d->sum;
                return RT_READY;
            }
            int b = d->total - d->done < 64 ? (int)(d->total - d->done) : 64;
            for (int i = 0; i < b; i++) {
                d->kids[i].f.poll = unit_poll;
                d->kids[i].f.drop = NULL;
                if (!(d->js[i] = rt_spawn(d->rt, &d->kids[i].f))) {
                    f->output = -1;
                    return RT_READY;
                }
            }
            d->inflight = b;
            d->joined = 0;
        }
        while (d->joined < d->inflight) {
            intptr_t o;
            if (rt_join_poll(d->js[d->joined], cx, &o) == RT_PENDING)
                return RT_PENDING;
            rt_join_detach(d->js[d->joined]);
            d->sum += o;
            d->joined++;
        }
        d->done += d->inflight;
        d->inflight = 0;
    }
}

int main(void)
{
    long total = getenv("TL_BENCH_QUICK") ? 4000 : 2000000;
    enum { P = 4 };
    struct rt_runtime *rt;
    if (rt_runtime_new(2, &rt)) {
        fprintf(stderr, "spawnjoin: rt_runtime_new failed\n");
        return 1;
    }
    static struct driver d[P];
    struct rt_join *j[P];
    uint64_t t0 = rt_now_ns();
    for (int i = 0; i < P; i++) {
        memset(&d[i], 0, sizeof d[i]);
        d[i].f.poll = driver_poll;
        d[i].rt = rt;
        d[i].total = total / P;
        if (!(j[i] = rt_spawn(rt, &d[i].f))) {
            fprintf(stderr, "spawnjoin: rt_spawn failed\n");
            return 1;
        }
    }
    long sum = 0;
    for (int i = 0; i < P; i++) {
        intptr_t o = 0;
        if (rt_join_wait(j[i], &o) != RT_READY || o != total / P) {
            fprintf(stderr, "spawnjoin: driver %d joined %ld children, want %ld\n", i, (long)o,
                    total / P);
            return 1;
        }
        sum += o;
    }
    uint64_t ns = rt_now_ns() - t0;
    rt_runtime_free(rt);
    printf("tl-bench ops=%ld ns=%llu\n", sum, (unsigned long long)ns);
    return 0;
}
