/*
 * test_timers.c - sleeping on the driver's timers (handout Task 5).
 */
#include "rt_test.h"

struct sl_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    uint64_t ns;           /* how long, from the first poll */
    uint64_t until;        /* or, if not 0, until this rt_now_ns() */
    struct rt_sleep s;
    int started;
    atomic_int polls, spurious, early;
};

static int sl_poll(struct rt_future *f, struct rt_context *cx)
{
    struct sl_fut *t = (struct sl_fut *)f;
    int n = atomic_fetch_add(&t->polls, 1);
    if (!t->started) {
        if (t->until) {
            uint64_t now = rt_now_ns();
            t->ns = t->until > now ? t->until - now : 0;
        }
        rt_sleep_init(&t->s, t->rt, t->ns);
        t->started = 1;
    }
    if (rt_sleep_poll(&t->s, cx) == RT_PENDING) {
        if (n > 0)
            atomic_fetch_add(&t->spurious, 1);
        return RT_PENDING;
    }
    if (rt_now_ns() < t->s.deadline_ns)
        atomic_fetch_add(&t->early, 1);
    rt_sleep_cancel(&t->s);
    f->output = n + 1;
    return RT_READY;
}

static void sl_drop(struct rt_future *f)
{
    struct sl_fut *t = (struct sl_fut *)f;
    if (t->started)
        rt_sleep_cancel(&t->s);
}

TL_TEST(sleeps_wake_at_their_deadline, 4, 60, "timer stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    enum { N = 300 };
    static struct sl_fut f[N];
    struct rt_join *j[N];
    memset(f, 0, sizeof f);
    /* a third of them end at one instant: the driver fires more than one
     * batch of wakers in one pass */
    uint64_t together = rt_now_ns() + 100 * 1000000ull;
    for (int i = 0; i < N; i++) {
        f[i].f.poll = sl_poll;
        f[i].f.drop = sl_drop;
        f[i].rt = rt;
        f[i].ns = (1 + tl_rng_below(&r, 150)) * 1000000ull;
        if (i % 3 == 0)
            f[i].until = together;
        RT_SPAWN(j[i], rt, &f[i].f);
    }
    for (int i = 0; i < N; i++) {
        intptr_t out;
        RT_JOIN(j[i], &out, "a task sleeping");
        tl_check(atomic_load(&f[i].early) == 0, "task %d's rt_sleep of %llu ms was ready "
                 "before its deadline. Hint: Task 5.1/5.3: ready only when now >= "
                 "deadline; round the driver's timeout UP.", i,
                 (unsigned long long)(f[i].ns / 1000000));
        tl_check(atomic_load(&f[i].polls) <= 2 && atomic_load(&f[i].spurious) == 0,
                 "task %d sleeping %llu ms was polled %d times (%d of them pending after "
                 "the first): a sleep is polled once to register and once after the "
                 "driver woke it, never more. Hint: Task 5.3 wakes each timer once, at "
                 "its deadline.", i, (unsigned long long)(f[i].ns / 1000000),
                 atomic_load(&f[i].polls), atomic_load(&f[i].spurious));
    }
    rt_runtime_free(rt);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked: the timers must release every "
             "waker they stored. Hint: Task 5.", rt_live_tasks() - base);
}

TL_TEST(sleep_keeps_one_waker, 3, 30, "timer waker")
{
    struct rt_runtime *rt;
    RT_START(rt, 1);
    static struct twaker a, b, c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    struct rt_context ca = tw_cx(&a), cb = tw_cx(&b), cc = tw_cx(&c);
    struct rt_sleep s, never;
    rt_sleep_init(&s, rt, 30 * 1000000ull);
    rt_sleep_init(&never, rt, 3600ull * 1000000000ull);
    int r1 = rt_sleep_poll(&s, &ca);
    int r2 = rt_sleep_poll(&s, &ca);
    tl_check(r1 == RT_PENDING && r2 == RT_PENDING, "rt_sleep_poll of a 30 ms sleep returned "
             "%d then %d at once; expected RT_PENDING (0) twice. Hint: Task 5.1.", r1, r2);
    tl_check(atomic_load(&a.refs) == 1, "a sleep polled twice with the same waker holds %ld "
             "clones of it (want exactly 1). Hint: Task 5.1 (rt_waker_will_wake).",
             atomic_load(&a.refs));
    r1 = rt_sleep_poll(&s, &cb);
    tl_check(r1 == RT_PENDING && atomic_load(&a.refs) == 0 && atomic_load(&b.refs) == 1,
             "polling a sleep with a new waker must drop the old clone and keep one of the "
             "new: refs old %ld (want 0), new %ld (want 1). Hint: Task 5.1.",
             atomic_load(&a.refs), atomic_load(&b.refs));
    tl_check(rt_sleep_poll(&never, &cc) == RT_PENDING, "a one-hour sleep was ready.");
    WAIT_UNTIL(atomic_load(&b.wakes) == 1, 10, "a 30 ms sleep registered with the timers "
               "was not woken (wakes %ld). Hint: Task 5.3 (the driver fires timers) and "
               "5.1 (unpark the driver when the new timer is the earliest).",
               atomic_load(&b.wakes));
    r1 = rt_sleep_poll(&s, &cb);
    tl_check(r1 == RT_READY, "the driver woke the sleep but rt_sleep_poll still says %d. "
             "Hint: Task 5.1 (a fired entry is ready).", r1);
    tl_check(atomic_load(&b.refs) == 0 && atomic_load(&a.wakes) == 0,
             "after firing, the sleep must hold no waker (refs %ld), and the replaced "
             "waker must never be woken (woken %ld times).", atomic_load(&b.refs),
             atomic_load(&a.wakes));
    rt_sleep_cancel(&s);
    rt_sleep_cancel(&never);
    tl_check(atomic_load(&c.refs) == 0 && atomic_load(&c.wakes) == 0,
             "rt_sleep_cancel of a pending sleep must drop its stored waker without "
             "waking it (refs %ld, wakes %ld). Hint: Task 5.2.", atomic_load(&c.refs),
             atomic_load(&c.wakes));
    rt_runtime_free(rt);
    tl_fb_report(&fb);
}

/* Each task races a short sleep (1-50 ms) against a long one (10 s), as a
 * timeout combinator does: when the short one fires, the task cancels
 * the long one, which is still in the heap, while the driver is firing
 * other tasks' short sleeps. Cancelling takes the timers' lock like every
 * other user of the heap (the race stage runs this test). */
struct race_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    uint64_t ns;
    struct rt_sleep shorter, longer;
    int started;
};

static int race_poll(struct rt_future *f, struct rt_context *cx)
{
    struct race_fut *t = (struct race_fut *)f;
    if (!t->started) {
        rt_sleep_init(&t->shorter, t->rt, t->ns);
        rt_sleep_init(&t->longer, t->rt, 10ull * 1000000000ull);
        t->started = 1;
    }
    if (rt_sleep_poll(&t->longer, cx) == RT_READY) {
        f->output = -1; /* 10 s passed: the short sleep never fired */
    } else if (rt_sleep_poll(&t->shorter, cx) == RT_READY) {
        f->output = 1;
    } else {
        return RT_PENDING;
    }
    rt_sleep_cancel(&t->shorter);
    rt_sleep_cancel(&t->longer);
    return RT_READY;
}

static void race_drop(struct rt_future *f)
{
    struct race_fut *t = (struct race_fut *)f;
    if (t->started) {
        rt_sleep_cancel(&t->shorter);
        rt_sleep_cancel(&t->longer);
    }
}

TL_TEST(cancel_while_timers_fire, 2, 60, "timer stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    enum { N = 300 };
    static struct race_fut f[N];
    struct rt_join *j[N];
    memset(f, 0, sizeof f);
    for (int i = 0; i < N; i++) {
        f[i].f.poll = race_poll;
        f[i].f.drop = race_drop;
        f[i].rt = rt;
        f[i].ns = (1 + tl_rng_below(&r, 50)) * 1000000ull;
        RT_SPAWN(j[i], rt, &f[i].f);
    }
    for (int i = 0; i < N; i++) {
        intptr_t out;
        RT_JOIN(j[i], &out, "a task racing a short sleep against a long one");
        tl_check(out == 1, "task %d: its %llu ms sleep lost to a 10 s sleep. Hint: Task "
                 "5.2: cancelling a sleep takes it out of the heap under the timers' "
                 "lock, which the driver holds while it fires others.", i,
                 (unsigned long long)(f[i].ns / 1000000));
    }
    rt_runtime_free(rt);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked: a cancelled sleep drops the "
             "waker it stored. Hint: Task 5.2.", rt_live_tasks() - base);
}
