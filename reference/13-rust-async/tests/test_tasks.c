/*
 * test_tasks.c - wakers, task states, join handles (handout Tasks 1, 2).
 */
#include "rt_test.h"

/* ------------------------------------------------------------------ */

TL_TEST(spawn_join_returns_output, 3, 20, "task")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    enum { N = 16 };
    static struct now_fut f[N];
    static atomic_int drops;
    atomic_store(&drops, 0);
    struct rt_join *j[N];
    for (int i = 0; i < N; i++) {
        now_init(&f[i], 7 * i + 1, &drops);
        RT_SPAWN(j[i], rt, &f[i].f);
    }
    for (int i = 0; i < N; i++) {
        intptr_t out = -1;
        RT_JOIN(j[i], &out, "a task whose future is ready at once");
        tl_check(out == 7 * i + 1, "task %d: the join handle gave %ld, the future's output "
                 "was %d. Hint: Task 2.3 keeps fut->output before dropping the future.",
                 i, (long)out, 7 * i + 1);
        tl_check(atomic_load(&f[i].polls) == 1, "task %d's future was polled %d times; a "
                 "future that is ready at once must be polled exactly once (never again "
                 "after RT_READY). Hint: Task 2.3.", i, atomic_load(&f[i].polls));
    }
    rt_runtime_free(rt);
    tl_check(atomic_load(&drops) == N, "%d futures completed but their drop ran %d times "
             "(exactly once each). Hint: Task 2.3.", N, atomic_load(&drops));
    tl_check(rt_live_tasks() == base, "%ld tasks are still allocated after every handle "
             "was joined and the runtime freed (expected 0): a reference is never "
             "released. Hint: Tasks 1.2 and 2.3 (the list's and the queue's "
             "references).", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */

static struct park_fut pf;

static void *wake_later(void *arg)
{
    struct park_fut *p = arg;
    /* a task never polled is the test thread's to report: give up, with a
     * deadline longer than its own */
    double end = tl_now() + 20.0 * (double)tl_slow();
    while (!atomic_load_explicit(&p->parked, memory_order_acquire) && tl_now() < end)
        rtt_pause_us(50);
    if (atomic_load_explicit(&p->parked, memory_order_acquire))
        park_release(p);
    return NULL;
}

TL_TEST(wake_from_another_thread, 3, 20, "task waker")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    park_init(&pf, NULL);
    struct rt_join *j;
    RT_SPAWN(j, rt, &pf.f);
    pthread_t th;
    pthread_create(&th, NULL, wake_later, &pf);
    WAIT_UNTIL(atomic_load(&pf.polls) >= 2, 10,
               "a task parked its waker and a plain thread (not a worker) called "
               "rt_waker_wake on it, but the task was polled %d time(s) and never "
               "again. Hint: Task 1.3 (idle -> SCHEDULED, give the queue a reference, "
               "rt_schedule to the injector) and Task 3.4 (wake a parked worker).",
               atomic_load(&pf.polls));
    pthread_join(th, NULL);
    intptr_t out;
    RT_JOIN(j, &out, "a task woken from another thread");
    tl_check(atomic_load(&pf.polls) == 2 && atomic_load(&pf.spurious) == 0,
             "a task that waits for one wake must be polled exactly twice (first poll, "
             "then once after the wake); it was polled %d times, %d of them with nothing "
             "woken. No task may be polled without a wake. Hint: Task 2.4.",
             atomic_load(&pf.polls), atomic_load(&pf.spurious));
    rt_runtime_free(rt);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked after the wake: rt_waker_wake "
             "consumes the waker's reference. Hint: Task 1.4.", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */
/* A wake that arrives while the task is being polled                  */
/* ------------------------------------------------------------------ */

/* Its first poll hands a clone of its waker to a helper thread and waits
 * (inside poll) until the helper has woken it `nwakes` times; then it
 * returns RT_PENDING. The wakes all came during the poll: the task must be
 * polled exactly once more. */
struct dp_fut {
    struct rt_future f;
    atomic_int polls;
    atomic_int handed;   /* 1: w is valid for the helper (release/acquire) */
    atomic_int woken;    /* wakes the helper made */
    atomic_int done;
    int nwakes;
    struct rt_waker w;
};

static int dp_poll(struct rt_future *f, struct rt_context *cx)
{
    struct dp_fut *d = (struct dp_fut *)f;
    int n = atomic_fetch_add(&d->polls, 1);
    if (n > 0) {
        atomic_store(&d->done, 1);
        f->output = n + 1;
        return RT_READY;
    }
    d->w = rt_waker_clone(&cx->waker);
    atomic_store_explicit(&d->handed, 1, memory_order_release);
    double end = tl_now() + 10.0 * tl_slow();
    while (atomic_load(&d->woken) < d->nwakes && tl_now() < end)
        sched_yield();
    return RT_PENDING;
}

struct dp_helper {
    struct dp_fut *futs;
    int n;
};

static void *dp_help(void *arg)
{
    struct dp_helper *h = arg;
    for (int i = 0; i < h->n; i++) {
        struct dp_fut *d = &h->futs[i];
        double end = tl_now() + 30.0 * (double)tl_slow(); /* past the test's own 10 s */
        while (!atomic_load_explicit(&d->handed, memory_order_acquire) && tl_now() < end)
            sched_yield();
        if (!atomic_load_explicit(&d->handed, memory_order_acquire))
            return NULL; /* never polled: the test thread reports it */
        for (int k = 1; k < d->nwakes; k++) {
            rt_waker_wake_by_ref(&d->w);
            atomic_fetch_add(&d->woken, 1);
        }
        rt_waker_wake(d->w); /* the last one consumes it */
        atomic_fetch_add(&d->woken, 1);
    }
    return NULL;
}

TL_TEST(wake_during_poll_reschedules_once, 6, 60, "task stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    int n = (int)tl_iters(200);
    struct dp_fut *futs = calloc((size_t)n, sizeof *futs);
    struct rt_join **js = calloc((size_t)n, sizeof *js);
    for (int i = 0; i < n; i++) {
        futs[i].f.poll = dp_poll;
        futs[i].nwakes = 1 + (int)tl_rng_below(&r, 4);
    }
    struct dp_helper h = {futs, n};
    pthread_t th;
    pthread_create(&th, NULL, dp_help, &h);
    for (int i = 0; i < n; i++) {
        RT_SPAWN(js[i], rt, &futs[i].f);
        struct dp_fut *d = &futs[i];
        WAIT_UNTIL(atomic_load(&d->done) || atomic_load(&d->polls) > 2, 10,
                   "task %d: %d wake(s) came from another thread WHILE its future was being "
                   "polled; after that poll returned RT_PENDING the task was never polled "
                   "again (polls=%d): the wake was lost. Hint: Task 2.4: clear RUNNING "
                   "with a CAS and, if NOTIFIED was set during the poll, reschedule the "
                   "task instead of going idle.", i, d->nwakes, atomic_load(&d->polls));
    }
    pthread_join(th, NULL);
    for (int i = 0; i < n; i++) {
        intptr_t out;
        RT_JOIN(js[i], &out, "a task woken during its poll");
        tl_check(atomic_load(&futs[i].polls) == 2,
                 "task %d was woken %d time(s) during its first poll and then polled %d "
                 "times in all; exactly 2 are right: however many wakes arrive during a "
                 "poll, the task is rescheduled once (NOTIFIED is one bit). Hint: Tasks "
                 "1.3 and 2.4.", i, futs[i].nwakes, atomic_load(&futs[i].polls));
    }
    rt_runtime_free(rt);
    free(futs);
    free(js);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked. Hint: Task 2.4 keeps the "
             "queue's reference when it reschedules.", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */
/* A wake after the poll has ended, from a task on the other worker    */
/* ------------------------------------------------------------------ */

/* T's first poll spawns K, hands a clone of its waker to W (a task on the
 * other worker), THEN writes `step` (a plain field, as a compiled async fn
 * writes its next state after registering the waker) and returns
 * RT_PENDING. W wakes T once T's poll has ended, so T goes to the LIFO
 * slot of W's worker and is polled there. K keeps T's first worker busy
 * meanwhile (a worker that parked would publish its past through the
 * parking protocol). So only the task's state word carries T's write of
 * `step` to its second poll: the CAS that ends a poll (release) and the
 * waker's CAS (acquire). With either relaxed, ThreadSanitizer reports a
 * data race on `step` (the race stage runs this test). */
struct ho_target {
    struct rt_future f;
    struct rt_runtime *rt;
    int step;              /* plain: written by poll 1, read by poll 2 */
    struct rt_waker w;     /* for W, published by handed */
    atomic_int handed;     /* release/acquire: w is valid */
    atomic_int returning;  /* relaxed, on purpose: orders nothing */
    atomic_int polls;      /* relaxed reads only, for the same reason */
    struct ho_busy {
        struct rt_future f;
        struct ho_target *t;
    } k;
};

struct ho_waker {
    struct rt_future f;
    struct ho_target *t;
    long delay_ns;         /* after T's poll says it is returning */
    atomic_int done;       /* its poll returned RT_READY */
};

/* Spin (relaxed) until T's second poll has begun, or a deadline. */
static int ho_busy_poll(struct rt_future *f, struct rt_context *cx)
{
    struct ho_target *t = ((struct ho_busy *)f)->t;
    double end = tl_now() + 20.0 * (double)tl_slow();
    while (atomic_load_explicit(&t->polls, memory_order_relaxed) < 2 && tl_now() < end)
        ;
    f->output = 0;
    return RT_READY;
}

static int ho_target_poll(struct rt_future *f, struct rt_context *cx)
{
    struct ho_target *t = (struct ho_target *)f;
    if (atomic_fetch_add_explicit(&t->polls, 1, memory_order_relaxed) == 0) {
        t->k.f.poll = ho_busy_poll;
        t->k.t = t;
        struct rt_join *jk = rt_spawn(t->rt, &t->k.f); /* this worker's next task */
        if (jk)
            rt_join_detach(jk);
        t->w = rt_waker_clone(&cx->waker);
        atomic_store_explicit(&t->handed, 1, memory_order_release);
        t->step = 2; /* after the hand-off: W's acquire does not cover it */
        atomic_store_explicit(&t->returning, 1, memory_order_relaxed);
        return RT_PENDING;
    }
    f->output = t->step;
    return RT_READY;
}

static int ho_waker_poll(struct rt_future *f, struct rt_context *cx)
{
    struct ho_waker *h = (struct ho_waker *)f;
    struct ho_target *t = h->t;
    double end = tl_now() + 20.0 * (double)tl_slow();
    while (!atomic_load_explicit(&t->handed, memory_order_acquire) && tl_now() < end)
        sched_yield();
    if (!atomic_load_explicit(&t->handed, memory_order_acquire)) {
        tl_fb_fail(&fb, "a task waited on one worker for 20 s for another task to be "
                   "polled, with a second worker idle: the idle worker never took the "
                   "queued task. Hint: Task 3.3 (steal) and Task 3.4 (a spawn wakes a "
                   "parked worker).");
        f->output = -1;
        return RT_READY;
    }
    while (!atomic_load_explicit(&t->returning, memory_order_relaxed))
        ;
    double until = tl_now() + (double)h->delay_ns * 1e-9;
    while (tl_now() < until)
        ;
    /* by reference: dropping the clone here would release a reference
     * with acq_rel, and T's poller releases one after its poll: a second
     * path that would publish `step` and hide a broken state word. The
     * test thread drops it after the joins. */
    rt_waker_wake_by_ref(&t->w); /* most often after T's poll has ended */
    f->output = 0;
    atomic_store(&h->done, 1);
    return RT_READY;
}

TL_TEST(wake_after_poll_ends_publishes_its_writes, 2, 60, "task waker")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    int n = (int)tl_iters(100);
    /* freed after rt_runtime_free: a worker may still be returning from
     * K's poll when the test thread sees the round done */
    struct ho_target *ts = calloc((size_t)n, sizeof *ts);
    struct ho_waker *hs = calloc((size_t)n, sizeof *hs);
    tl_check(ts && hs, "out of memory in the test");
    for (int i = 0; i < n; i++) {
        struct ho_target *t = &ts[i];
        struct ho_waker *h = &hs[i];
        t->f.poll = ho_target_poll;
        t->rt = rt;
        h->f.poll = ho_waker_poll;
        h->t = t;
        h->delay_ns = (long)tl_rng_below(&r, 10000);
        struct rt_join *jh, *jt;
        RT_SPAWN(jh, rt, &h->f);
        RT_SPAWN(jt, rt, &t->f);
        intptr_t oh, ot;
        WAIT_UNTIL(atomic_load(&h->done), 30, "round %d: a task that spins until "
                   "another is handed its waker, then wakes it, was never polled to "
                   "the end in 30 s. Hint: Tasks 3.3 and 3.4.", i + 1);
        RT_JOIN(jh, &oh, "a task that wakes another");
        tl_fb_report(&fb);
        WAIT_UNTIL(atomic_load_explicit(&t->polls, memory_order_relaxed) >= 2, 10,
                   "round %d: a task woken once after its poll ended was not polled "
                   "again in 10 s (polls = %d): the wake was lost. Hint: Tasks 1.3 "
                   "and 2.4.", i + 1, atomic_load_explicit(&t->polls, memory_order_relaxed));
        RT_JOIN(jt, &ot, "a task woken by a task on another worker");
        tl_check(ot == 2 && atomic_load(&t->polls) == 2,
                 "round %d: a task woken once after its poll ended was polled %d time(s) "
                 "and its second poll read %ld from a field its first poll set to 2. "
                 "Hint: Tasks 1.3 and 2.4.", i + 1, atomic_load(&t->polls), (long)ot);
        rt_waker_drop(t->w); /* the last reference to T */
        WAIT_UNTIL(rt_live_tasks() == base, 10, "round %d: %ld task(s) still allocated "
                   "after every task finished and the last waker was dropped. Hint: "
                   "Task 1.2.", i + 1, rt_live_tasks() - base);
    }
    rt_runtime_free(rt);
    free(ts);
    free(hs);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked.", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */
/* A waker that outlives its task                                      */
/* ------------------------------------------------------------------ */

struct keep_fut {
    struct rt_future f;
    struct rt_waker kept;
    atomic_int polls;
};

static int keep_poll(struct rt_future *f, struct rt_context *cx)
{
    struct keep_fut *k = (struct keep_fut *)f;
    atomic_fetch_add(&k->polls, 1);
    k->kept = rt_waker_clone(&cx->waker);
    f->output = 42;
    return RT_READY;
}

TL_TEST(waker_outlives_task, 4, 20, "task waker")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    static struct keep_fut k;
    memset(&k, 0, sizeof k);
    k.f.poll = keep_poll;
    struct rt_join *j;
    RT_SPAWN(j, rt, &k.f);
    intptr_t out;
    RT_JOIN(j, &out, "a task that keeps a clone of its waker");
    tl_check(rt_live_tasks() == base + 1, "the task finished and was joined, but a clone "
             "of its waker is still alive: the task must stay allocated (live tasks "
             "%ld, expected exactly 1). Hint: Task 1.1: every waker clone holds a "
             "reference, freed only by the last release.", rt_live_tasks() - base);
    struct rt_waker w2 = rt_waker_clone(&k.kept);
    rt_waker_wake_by_ref(&k.kept);
    rt_waker_wake(k.kept); /* consumes it */
    rt_runtime_free(rt);
    tl_check(atomic_load(&k.polls) == 1, "waking a COMPLETE task polled its future again "
             "(%d polls): a wake must do nothing once the task is complete. Hint: Task 1.3.",
             atomic_load(&k.polls));
    tl_check(rt_live_tasks() == base + 1, "with one waker clone still alive after the "
             "runtime was freed, the task must still be allocated (live %ld). Hint: Task 1.",
             rt_live_tasks() - base);
    rt_waker_wake_by_ref(&w2); /* on a complete task, after the runtime is gone */
    rt_waker_drop(w2);
    tl_check(rt_live_tasks() == base, "the last waker of a finished task was dropped, but "
             "the task is still allocated (live %ld): the last release frees it. Hint: "
             "Task 1.2.", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */

struct parent_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    struct rt_join *child;
    struct park_fut *cf;
    atomic_int polls;
    int on_worker;
};

static int parent_poll(struct rt_future *f, struct rt_context *cx)
{
    struct parent_fut *p = (struct parent_fut *)f;
    int n = atomic_fetch_add(&p->polls, 1);
    if (n == 0) {
        p->on_worker = rt_current() == p->rt;
        p->child = rt_spawn(p->rt, &p->cf->f);
        if (!p->child) {
            f->output = -2;
            return RT_READY;
        }
    }
    intptr_t out;
    int r = rt_join_poll(p->child, cx, &out);
    if (r == RT_PENDING)
        return RT_PENDING;
    rt_join_detach(p->child);
    f->output = r == RT_READY ? out : -1;
    return RT_READY;
}

TL_TEST(join_from_a_task, 3, 20, "task join")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 1);
    static struct park_fut child;
    park_init(&child, NULL);
    static struct parent_fut p;
    memset(&p, 0, sizeof p);
    p.f.poll = parent_poll;
    p.rt = rt;
    p.cf = &child;
    struct rt_join *j;
    RT_SPAWN(j, rt, &p.f);
    WAIT_UNTIL(atomic_load_explicit(&child.parked, memory_order_acquire), 10,
               "a task spawned a child from inside its poll; the child was never "
               "polled (child polls %d, parent polls %d). Hint: Task 3.2 (a spawn from "
               "a worker goes to that worker's LIFO slot).", atomic_load(&child.polls),
               atomic_load(&p.polls));
    tl_check(p.on_worker, "rt_current() inside a task's poll must return its runtime. "
             "Hint: worker_main sets cur_worker.");
    tl_check(rt_current() == NULL, "rt_current() on the test's own thread must be NULL.");
    park_release(&child);
    intptr_t out;
    RT_JOIN(j, &out, "a task that joins a child it spawned");
    tl_check(out == 2, "the parent's rt_join_poll gave %ld; the child's output was 2. "
             "Hint: Task 2.5.", (long)out);
    tl_check(atomic_load(&p.polls) == 2, "the parent waits on its child's join handle; "
             "it must be polled twice (once before, once after the child completes), "
             "not %d times. Hint: Tasks 2.5 (store the joiner's waker) and the "
             "completion wake in task_finish.", atomic_load(&p.polls));
    rt_runtime_free(rt);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked. Hint: rt_join_detach (Task "
             "2.6).", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */

TL_TEST(join_poll_stores_one_waker, 2, 20, "task join waker")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 1);
    static struct park_fut pk;
    park_init(&pk, NULL);
    struct rt_join *j;
    RT_SPAWN(j, rt, &pk.f);
    static struct twaker a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    struct rt_context ca = tw_cx(&a), cb = tw_cx(&b);
    intptr_t out = 5;
    int r1 = rt_join_poll(j, &ca, &out);
    int r2 = rt_join_poll(j, &ca, &out);
    tl_check(r1 == RT_PENDING && r2 == RT_PENDING, "rt_join_poll on a task that cannot "
             "finish yet returned %d then %d, expected RT_PENDING (0). Hint: Task 2.5.", r1, r2);
    tl_check(atomic_load(&a.refs) == 1, "after two rt_join_poll calls with the same waker "
             "the handle holds %ld clones of it; it must keep exactly one (the same "
             "waker, rt_waker_will_wake, is not cloned again). Hint: Task 2.5.",
             atomic_load(&a.refs));
    r1 = rt_join_poll(j, &cb, &out);
    tl_check(r1 == RT_PENDING && atomic_load(&a.refs) == 0 && atomic_load(&b.refs) == 1,
             "rt_join_poll with a different waker must drop the old one and keep a clone "
             "of the new: refs old %ld (want 0), new %ld (want 1). Hint: Task 2.5.",
             atomic_load(&a.refs), atomic_load(&b.refs));
    WAIT_UNTIL(atomic_load_explicit(&pk.parked, memory_order_acquire), 10,
               "the spawned task was never polled. Hint: Task 3.");
    park_release(&pk);
    WAIT_UNTIL(atomic_load(&b.wakes) == 1, 10, "the task completed but the waker stored "
               "by rt_join_poll was woken %ld times (expected 1). Hint: task_finish wakes "
               "the joiner; Task 2.3 calls it.", atomic_load(&b.wakes));
    tl_check(atomic_load(&b.refs) == 0, "the joiner's waker was woken with rt_waker_wake "
             "and must have been consumed (refs %ld).", atomic_load(&b.refs));
    r1 = rt_join_poll(j, &ca, &out);
    tl_check(r1 == RT_READY && out == 2 && atomic_load(&a.refs) == 0,
             "rt_join_poll on a complete task returned %d with %ld (want RT_READY and 2) "
             "and must not store a waker (refs %ld).", r1, (long)out, atomic_load(&a.refs));
    rt_join_detach(j);
    rt_runtime_free(rt);
    tl_fb_report(&fb);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked. Hint: Task 2.6.",
             rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */
/* The output of a task that finished on a worker, read with no other  */
/* synchronisation than the task's COMPLETE bit (for the race stage)   */
/* ------------------------------------------------------------------ */

struct big_out_fut {
    struct rt_future f;
    long table[64];
};

static int big_out_poll(struct rt_future *f, struct rt_context *cx)
{
    struct big_out_fut *b = (struct big_out_fut *)f;
    long s = 0;
    for (int i = 0; i < 64; i++)
        s += b->table[i] = i * 3;
    f->output = s;
    return RT_READY;
}

TL_TEST(join_sees_output_of_finished_task, 0, 20, "task join")
{
    struct rt_runtime *rt;
    RT_START(rt, 1);
    static struct big_out_fut b;
    b.f.poll = big_out_poll;
    struct rt_join *j;
    RT_SPAWN(j, rt, &b.f);
    struct rt_stats st;
    /* rt_stats' counters are relaxed: no ordering with the task */
    WAIT_UNTIL((rt_stats(rt, &st), st.completed == 1), 10, "the task never completed.");
    rtt_pause_us(10000); /* most likely COMPLETE is set by now (not needed for the verdict) */
    static struct twaker tw;
    memset(&tw, 0, sizeof tw);
    struct rt_context cx = tw_cx(&tw);
    intptr_t out = 0;
    int r;
    while ((r = rt_join_poll(j, &cx, &out)) == RT_PENDING)
        WAIT_UNTIL(atomic_load(&tw.wakes) > 0, 10, "the joiner was never woken.");
    tl_check(r == RT_READY && out == 3 * 63 * 64 / 2, "rt_join_poll of a finished task gave "
             "%d with %ld, want RT_READY with %d. Hint: Task 2.5 reads COMPLETE with acquire, "
             "pairing with the release that set it after the output was stored.", r,
             (long)out, 3 * 63 * 64 / 2);
    rt_join_detach(j);
    rt_runtime_free(rt);
    tl_fb_report(&fb);
}
