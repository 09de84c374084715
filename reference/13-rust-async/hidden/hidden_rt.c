/*
 * hidden_rt.c - hidden tests: cancellation at shutdown, many concurrent
 * wakers, spawning from many threads, the driver's timeout, a refused
 * connection.
 */
#include "../tests/rt_test.h"

struct hsl_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    struct rt_sleep s;
    int started;
    atomic_int *drops;
};

static int hsl_poll(struct rt_future *f, struct rt_context *cx)
{
    struct hsl_fut *h = (struct hsl_fut *)f;
    if (!h->started) {
        rt_sleep_init(&h->s, h->rt, 3600ull * 1000000000ull);
        h->started = 1;
    }
    if (rt_sleep_poll(&h->s, cx) == RT_PENDING)
        return RT_PENDING;
    f->output = 1;
    return RT_READY;
}

static void hsl_drop(struct rt_future *f)
{
    struct hsl_fut *h = (struct hsl_fut *)f;
    if (h->started)
        rt_sleep_cancel(&h->s);
    atomic_fetch_add(h->drops, 1);
}

TL_TEST(hidden_runtime_free_cancels_pending, 4, 30, "hidden task")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    enum { N = 40 };
    static struct park_fut p[N];
    static struct hsl_fut h[N];
    static atomic_int drops;
    atomic_store(&drops, 0);
    struct rt_join *jp[N], *jh[N];
    for (int i = 0; i < N; i++) {
        park_init(&p[i], &drops);
        RT_SPAWN(jp[i], rt, &p[i].f);
        memset(&h[i], 0, sizeof h[i]);
        h[i].f.poll = hsl_poll;
        h[i].f.drop = hsl_drop;
        h[i].rt = rt;
        h[i].drops = &drops;
        RT_SPAWN(jh[i], rt, &h[i].f);
    }
    for (int i = 0; i < N; i++)
        WAIT_UNTIL(atomic_load(&p[i].parked), 10, "task %d was never polled.", i);
    rt_runtime_free(rt);
    tl_check(atomic_load(&drops) == 2 * N, "rt_runtime_free with %d tasks pending forever "
             "ran %d future drops (want %d: each unfinished future is dropped once).",
             2 * N, atomic_load(&drops), 2 * N);
    for (int i = 0; i < N; i++) {
        intptr_t o = 5;
        int r = rt_join_wait(jp[i], &o);
        tl_check(r == RT_CANCELLED && o == 0, "rt_join_wait on a task dropped by "
                 "rt_runtime_free returned %d (%ld), want RT_CANCELLED and 0.", r, (long)o);
        rt_join_detach(jh[i]);
    }
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked after cancellation: the "
             "cancelled futures dropped their wakers (timers and parked ones) and every "
             "handle was ended.", rt_live_tasks() - base);
}

/* Tasks still queued when the runtime is freed: dropped, never run twice. */
static atomic_int hold;

struct hold_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    struct now_fut *kids;
    int n;
};

static int hold_poll(struct rt_future *f, struct rt_context *cx)
{
    struct hold_fut *h = (struct hold_fut *)f;
    for (int i = 0; i < h->n; i++) {
        struct rt_join *j = rt_spawn(h->rt, &h->kids[i].f);
        if (j)
            rt_join_detach(j);
    }
    while (!atomic_load(&hold))
        sched_yield();
    f->output = 0;
    return RT_READY;
}

static void *free_rt(void *arg)
{
    rt_runtime_free(arg);
    return NULL;
}

TL_TEST(hidden_free_with_queued_tasks, 2, 30, "hidden task")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 1);
    enum { K = 300 };
    static struct now_fut kids[K], outside[10];
    static atomic_int drops;
    atomic_store(&drops, 0);
    atomic_store(&hold, 0);
    for (int i = 0; i < K; i++)
        now_init(&kids[i], i, &drops);
    static struct hold_fut h;
    h.f.poll = hold_poll;
    h.f.drop = NULL;
    h.rt = rt;
    h.kids = kids;
    h.n = K;
    struct rt_join *j;
    RT_SPAWN(j, rt, &h.f);
    rt_join_detach(j);
    WAIT_UNTIL(rt_live_tasks() >= base + K, 10, "the holder never spawned its children.");
    for (int i = 0; i < 10; i++) {
        now_init(&outside[i], i, &drops);
        RT_SPAWN(j, rt, &outside[i].f);
        rt_join_detach(j);
    }
    pthread_t th;
    pthread_create(&th, NULL, free_rt, rt);
    rtt_pause_us(50000); /* most likely, the runtime is shutting down by now */
    atomic_store(&hold, 1);
    pthread_join(th, NULL);
    int polls = 0;
    for (int i = 0; i < K; i++)
        polls += atomic_load(&kids[i].polls);
    tl_check(atomic_load(&drops) == K + 10 && polls <= K, "rt_runtime_free while %d tasks "
             "were queued: %d futures dropped (want %d, once each), %d polls.", K + 10,
             atomic_load(&drops), K + 10, polls);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked: the queues' references must be "
             "released at rt_runtime_free.", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */

struct many_fut {
    struct rt_future f;
    struct rt_waker w;
    atomic_int parked;
    atomic_int polls;
    atomic_int *fin;
};

static int many_poll(struct rt_future *f, struct rt_context *cx)
{
    struct many_fut *m = (struct many_fut *)f;
    int n = atomic_fetch_add(&m->polls, 1);
    if (n == 0) {
        m->w = rt_waker_clone(&cx->waker);
        atomic_store_explicit(&m->parked, 1, memory_order_release);
    }
    if (atomic_load(m->fin)) {
        f->output = n + 1;
        return RT_READY;
    }
    return RT_PENDING;
}

static struct many_fut mf;
static atomic_int mfin;
static atomic_long mwakes;
static long miters;     /* tl_iters(20000), read by the test thread */
static uint64_t mseed; /* tl_seed() read by the test thread before the wakers start */

static void *many_wake(void *arg)
{
    struct rt_waker w = *(struct rt_waker *)arg;
    struct tl_rng r;
    tl_rng_init(&r, mseed ^ (uint64_t)(uintptr_t)arg);
    long k = miters;
    for (long i = 0; i < k; i++) {
        atomic_fetch_add(&mwakes, 1);
        if (tl_rng_below(&r, 8) == 0) {
            struct rt_waker c = rt_waker_clone(&w);
            rt_waker_wake(c);
        } else {
            rt_waker_wake_by_ref(&w);
        }
    }
    rt_waker_drop(w);
    return NULL;
}

TL_TEST(hidden_concurrent_wakers, 3, 60, "hidden task stress")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    memset(&mf, 0, sizeof mf);
    atomic_store(&mfin, 0);
    atomic_store(&mwakes, 0);
    mseed = tl_seed();
    miters = tl_iters(20000);
    mf.f.poll = many_poll;
    mf.fin = &mfin;
    struct rt_join *j;
    RT_SPAWN(j, rt, &mf.f);
    WAIT_UNTIL(atomic_load_explicit(&mf.parked, memory_order_acquire), 10,
               "the task was never polled.");
    enum { T = 4 };
    pthread_t th[T];
    struct rt_waker ws[T];
    for (int i = 0; i < T; i++) {
        ws[i] = rt_waker_clone(&mf.w);
        pthread_create(&th[i], NULL, many_wake, &ws[i]);
    }
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    atomic_store(&mfin, 1);
    atomic_fetch_add(&mwakes, 1);
    rt_waker_wake(mf.w);
    intptr_t out;
    RT_JOIN(j, &out, "a task woken from 4 threads at once");
    long wakes = atomic_load(&mwakes);
    rt_runtime_free(rt);
    tl_check(out >= 2 && out <= wakes + 1, "a task woken %ld times from 4 threads was "
             "polled %ld times: more polls than wakes + 1 means a poll without a wake "
             "(a wake queued the task twice?).", wakes, (long)out);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked: wakers cloned and woken from "
             "many threads must each release exactly one reference.",
             rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */

struct sp_arg {
    struct rt_runtime *rt;
    long k; /* tasks to spawn, at most 2000 */
    int bad;
};

static void *spawn_many(void *arg)
{
    struct sp_arg *a = arg;
    enum { K = 2000 };
    struct now_fut *f = calloc(K, sizeof *f);
    struct rt_join **j = calloc(K, sizeof *j);
    long k = a->k;
    for (long i = 0; i < k; i++) {
        now_init(&f[i], i, NULL);
        j[i] = rt_spawn(a->rt, &f[i].f);
        if (!j[i])
            a->bad++;
    }
    for (long i = 0; i < k; i++) {
        intptr_t o = -1;
        if (j[i] && (rt_join_wait(j[i], &o) != RT_READY || o != i))
            a->bad++;
    }
    free(f);
    free(j);
    return NULL;
}

TL_TEST(hidden_spawn_from_many_threads, 3, 60, "hidden sched")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 3);
    enum { T = 4 };
    pthread_t th[T];
    struct sp_arg a[T];
    for (int i = 0; i < T; i++) {
        a[i].rt = rt;
        a[i].bad = 0;
        a[i].k = tl_iters(2000);
        pthread_create(&th[i], NULL, spawn_many, &a[i]);
    }
    int bad = 0;
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        bad += a[i].bad;
    }
    rt_runtime_free(rt);
    tl_check(bad == 0, "4 threads spawned and joined tasks concurrently on a 3-worker "
             "runtime; %d spawns or joins went wrong.", bad);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked.", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */

struct short_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    struct rt_sleep s;
    int started;
    atomic_int done;
};

static int short_poll(struct rt_future *f, struct rt_context *cx)
{
    struct short_fut *s = (struct short_fut *)f;
    if (!s->started) {
        rt_sleep_init(&s->s, s->rt, 20 * 1000000ull);
        s->started = 1;
    }
    if (rt_sleep_poll(&s->s, cx) == RT_PENDING)
        return RT_PENDING;
    rt_sleep_cancel(&s->s);
    atomic_store(&s->done, 1);
    f->output = 0;
    return RT_READY;
}

TL_TEST(hidden_earlier_timer_wakes_driver, 4, 60, "hidden timer")
{
    struct rt_runtime *rt;
    RT_START(rt, 1);
    static struct twaker tw;
    memset(&tw, 0, sizeof tw);
    struct rt_context cx = tw_cx(&tw);
    struct rt_sleep hour;
    rt_sleep_init(&hour, rt, 3600ull * 1000000000ull);
    tl_check(rt_sleep_poll(&hour, &cx) == RT_PENDING, "a one-hour sleep was ready.");
    /* let the driver go back to epoll_wait with a one-hour timeout */
    rtt_pause_us(20000);
    static struct short_fut s;
    memset(&s, 0, sizeof s);
    s.f.poll = short_poll;
    s.rt = rt;
    struct rt_join *j;
    RT_SPAWN(j, rt, &s.f);
    WAIT_UNTIL(atomic_load(&s.done), 10, "a 20 ms sleep registered while the driver waited "
               "for a one-hour timer did not fire within 10 s: a new earliest timer must "
               "wake the driver so it recomputes its epoll_wait timeout.");
    intptr_t o;
    RT_JOIN(j, &o, "a short sleep");
    rt_sleep_cancel(&hour);
    rt_runtime_free(rt);
    tl_fb_report(&fb);
    tl_check(atomic_load(&tw.refs) == 0, "the cancelled one-hour sleep still holds %ld "
             "waker clone(s).", atomic_load(&tw.refs));
}

/* ------------------------------------------------------------------ */

struct conn_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    uint16_t port;
    struct rt_tcp *s;
};

static int conn_poll(struct rt_future *f, struct rt_context *cx)
{
    struct conn_fut *c = (struct conn_fut *)f;
    int err;
    if (!c->s) {
        err = rt_tcp_connect(c->rt, c->port, &c->s);
        if (err) {
            f->output = err;
            return RT_READY;
        }
    }
    if (rt_tcp_poll_connect(c->s, cx, &err) == RT_PENDING)
        return RT_PENDING;
    f->output = err;
    return RT_READY;
}

TL_TEST(hidden_connect_refused, 2, 30, "hidden tcp")
{
    RT_LOOPBACK();
    struct rt_runtime *rt;
    RT_START(rt, 1);
    struct rt_tcp *l;
    int rc = rt_tcp_listen(rt, 0, &l);
    tl_expect_ok(rc, "rt_tcp_listen", "Task 6.1");
    uint16_t port = rt_tcp_port(l);
    rt_tcp_close(l);
    static struct conn_fut c;
    memset(&c, 0, sizeof c);
    c.f.poll = conn_poll;
    c.rt = rt;
    c.port = port;
    intptr_t out = rt_block_on(rt, &c.f);
    if (c.s)
        rt_tcp_close(c.s);
    rt_runtime_free(rt);
    tl_check(out == ECONNREFUSED, "connecting to a closed port must end with "
             "ECONNREFUSED from rt_tcp_poll_connect; got %ld (%s).", (long)out,
             tl_ename((int)out));
}
