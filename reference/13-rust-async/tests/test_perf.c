/*
 * test_perf.c - spawn+join throughput, for the performance stage.
 */
#include "rt_test.h"

struct unit_fut {
    struct rt_future f;
};

static int unit_poll(struct rt_future *f, struct rt_context *cx)
{
    f->output = 1;
    return RT_READY;
}

/* Spawns batches of children from a worker and joins each batch. */
struct sj_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    long total, done;
    int inflight, joined;
    struct unit_fut kids[64];
    struct rt_join *js[64];
    long sum;
};

static int sj_poll(struct rt_future *f, struct rt_context *cx)
{
    struct sj_fut *s = (struct sj_fut *)f;
    for (;;) {
        if (s->inflight == 0) {
            if (s->done == s->total) {
                f->output = s->sum;
                return RT_READY;
            }
            int b = s->total - s->done < 64 ? (int)(s->total - s->done) : 64;
            for (int i = 0; i < b; i++) {
                s->kids[i].f.poll = unit_poll;
                s->kids[i].f.drop = NULL;
                s->js[i] = rt_spawn(s->rt, &s->kids[i].f);
                if (!s->js[i]) {
                    f->output = -1;
                    return RT_READY;
                }
            }
            s->inflight = b;
            s->joined = 0;
        }
        while (s->joined < s->inflight) {
            intptr_t o;
            if (rt_join_poll(s->js[s->joined], cx, &o) == RT_PENDING)
                return RT_PENDING;
            rt_join_detach(s->js[s->joined]);
            s->sum += o;
            s->joined++;
        }
        s->done += s->inflight;
        s->inflight = 0;
    }
}

TL_TEST(perf_spawn_join, 0, 120, "perf")
{
    struct rt_runtime *rt;
    RT_START(rt, 2);
    enum { P = 4 };
    static struct sj_fut s[P];
    struct rt_join *j[P];
    long per = tl_iters(100000);
    double t0 = tl_now();
    for (int i = 0; i < P; i++) {
        memset(&s[i], 0, sizeof s[i]);
        s[i].f.poll = sj_poll;
        s[i].rt = rt;
        s[i].total = per;
        RT_SPAWN(j[i], rt, &s[i].f);
    }
    for (int i = 0; i < P; i++) {
        intptr_t out;
        RT_JOIN(j[i], &out, "a task spawning and joining children");
        tl_check(out == per, "a task spawning and joining %ld children counted %ld outputs.",
                 per, (long)out);
    }
    double dt = tl_now() - t0;
    rt_runtime_free(rt);
    tl_metric((double)(P * per) / (dt > 1e-9 ? dt : 1e-9));
}
