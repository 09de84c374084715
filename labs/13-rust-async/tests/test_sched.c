/*
 * test_sched.c - the runtime: the LIFO slot, rings, the injector,
 * stealing, 100,000 tasks; block_on and yield (handout Tasks 3, 4).
 */
#include "rt_test.h"

/* ------------------------------------------------------------------ */
/* yield_now                                                           */
/* ------------------------------------------------------------------ */

#define YK 20
static char ylog[4 * YK + 8];
static atomic_int ylen;

struct yf {
    struct rt_future f;
    char name;
    int round;
    struct rt_yield y;
    int polls;
};

static int yf_poll(struct rt_future *f, struct rt_context *cx)
{
    struct yf *t = (struct yf *)f;
    t->polls++;
    for (;;) {
        if (t->round > 0 && rt_yield_poll(&t->y, cx) == RT_PENDING)
            return RT_PENDING;
        if (t->round == YK) {
            f->output = t->polls;
            return RT_READY;
        }
        int at = atomic_fetch_add(&ylen, 1);
        if (at < (int)sizeof ylog - 1)
            ylog[at] = t->name;
        t->round++;
        rt_yield_init(&t->y);
    }
}

struct two_parent {
    struct rt_future f;
    struct rt_runtime *rt;
    struct yf *a, *b;
    struct rt_join *ja, *jb;
    int state;
};

static int two_poll(struct rt_future *f, struct rt_context *cx)
{
    struct two_parent *p = (struct two_parent *)f;
    intptr_t o;
    if (p->state == 0) {
        p->ja = rt_spawn(p->rt, &p->a->f);
        p->jb = rt_spawn(p->rt, &p->b->f);
        p->state = 1;
    }
    if (p->state == 1) {
        if (rt_join_poll(p->ja, cx, &o) == RT_PENDING)
            return RT_PENDING;
        p->state = 2;
    }
    if (rt_join_poll(p->jb, cx, &o) == RT_PENDING)
        return RT_PENDING;
    rt_join_detach(p->ja);
    rt_join_detach(p->jb);
    f->output = 0;
    return RT_READY;
}

TL_TEST(yield_lets_other_tasks_run, 3, 20, "sched yield")
{
    struct rt_runtime *rt;
    RT_START(rt, 1);
    static struct yf a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(ylog, 0, sizeof ylog);
    atomic_store(&ylen, 0);
    a.f.poll = b.f.poll = yf_poll;
    a.name = 'A';
    b.name = 'B';
    static struct two_parent p;
    memset(&p, 0, sizeof p);
    p.f.poll = two_poll;
    p.rt = rt;
    p.a = &a;
    p.b = &b;
    struct rt_join *jp;
    RT_SPAWN(jp, rt, &p.f); /* A and B are then spawned from the worker */
    intptr_t out = -1;
    RT_JOIN(jp, &out, "a task joining two yielding tasks");
    rt_runtime_free(rt);
    tl_check(out == 0 && atomic_load(&ylen) == 2 * YK, "two tasks each logging %d steps "
             "with a yield between them did not both finish (log: \"%s\", block_on gave "
             "%ld). Hint: Task 4.3.", YK, ylog, (long)out);
    int worst = 1, run = 1;
    for (int i = 1; i < 2 * YK; i++) {
        run = ylog[i] == ylog[i - 1] ? run + 1 : 1;
        worst = run > worst ? run : worst;
    }
    tl_check(worst <= 2, "on one worker, two tasks that yield after every step must take "
             "turns; the log shows one task ran %d steps in a row: \"%s\". Hint: a task "
             "woken during its own poll (yield) goes to the BACK of the ring, not the "
             "LIFO slot (Task 2.4: rt_schedule(t, 1); Task 3.2).", worst, ylog);
    tl_check(a.polls == YK + 1 && b.polls == YK + 1, "each task yields %d times, so it "
             "must be polled %d times; polls were %d and %d. Hint: Task 4.3.",
             YK, YK + 1, a.polls, b.polls);
}

/* ------------------------------------------------------------------ */
/* 100,000 tasks                                                       */
/* ------------------------------------------------------------------ */

static atomic_long hits;

struct inc_fut {
    struct rt_future f;
};

static int inc_poll(struct rt_future *f, struct rt_context *cx)
{
    atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
    f->output = 1;
    return RT_READY;
}

static void inc_drop(struct rt_future *f)
{
    free(f);
}

/* Spawns `n` inc tasks from inside the runtime, detaching them. */
struct fan_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    long n;
};

static int fan_poll(struct rt_future *f, struct rt_context *cx)
{
    struct fan_fut *fa = (struct fan_fut *)f;
    for (long i = 0; i < fa->n; i++) {
        struct inc_fut *c = malloc(sizeof *c);
        c->f.poll = inc_poll;
        c->f.drop = inc_drop;
        struct rt_join *j = rt_spawn(fa->rt, &c->f);
        if (!j) {
            f->output = -1;
            return RT_READY;
        }
        rt_join_detach(j);
    }
    f->output = 0;
    return RT_READY;
}

TL_TEST(hundred_thousand_tasks, 3, 60, "sched scale")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    atomic_store(&hits, 0);
    long n = tl_iters(100000), outside = n / 2, inside = n - outside;
    struct rt_join **js = malloc((size_t)outside * sizeof *js);
    for (long i = 0; i < outside; i++) {
        struct inc_fut *c = malloc(sizeof *c);
        c->f.poll = inc_poll;
        c->f.drop = inc_drop;
        RT_SPAWN(js[i], rt, &c->f);
    }
    static struct fan_fut fan;
    fan.f.poll = fan_poll;
    fan.f.drop = NULL;
    fan.rt = rt;
    fan.n = inside;
    struct rt_join *fj;
    RT_SPAWN(fj, rt, &fan.f);
    for (long i = 0; i < outside; i++) {
        intptr_t out = 0;
        RT_JOIN(js[i], &out, "one of 100,000 tasks");
        tl_check(out == 1, "task %ld gave %ld, not its output 1.", i, (long)out);
    }
    intptr_t fo;
    RT_JOIN(fj, &fo, "a task spawning tasks from a worker");
    tl_check(fo == 0, "rt_spawn from inside a task failed. Hint: Task 3.1/3.2 "
             "(a full ring moves half of it to the injector).");
    WAIT_PROGRESS(atomic_load(&hits), n, 10, "%ld tasks were spawned (%ld from the test "
               "thread, %ld from a task, detached) but only %ld ran. Hint: Task 3.1 "
               "(ring overflow to the injector) and Task 3.2.", n, outside, inside,
               atomic_load(&hits));
    /* a task's own poll counts `hits` before its worker counts n_completed:
     * read the stats once every task is freed (after its counting) */
    WAIT_UNTIL(rt_live_tasks() == base, 10, "every task finished and was joined or "
               "detached, yet %ld are still allocated. Hint: Tasks 1.2, 2.3, 2.6.",
               rt_live_tasks() - base);
    struct rt_stats st;
    rt_stats(rt, &st);
    rt_runtime_free(rt);
    free(js);
    tl_check(st.polls == (unsigned long)n + 1 && st.spawned == (unsigned long)n + 1 &&
             st.completed == (unsigned long)n + 1,
             "rt_stats counted %lu polls, %lu spawned, %lu completed for %ld tasks that "
             "are each ready on their first poll (expected %ld of each): every task "
             "polled exactly once, none twice. Hint: Task 2.2.", st.polls, st.spawned,
             st.completed, n + 1, n + 1);
}

/* ------------------------------------------------------------------ */
/* Stealing                                                            */
/* ------------------------------------------------------------------ */

static atomic_long who[2];      /* pthread_self of the first two distinct runners */
static atomic_int nran;

struct hog_fut {
    struct rt_future f;
};

static int hog_poll(struct rt_future *f, struct rt_context *cx)
{
    long me = (long)pthread_self();
    long z = 0;
    if (!atomic_compare_exchange_strong(&who[0], &z, me) && atomic_load(&who[0]) != me) {
        z = 0;
        atomic_compare_exchange_strong(&who[1], &z, me);
    }
    atomic_fetch_add(&nran, 1);
    /* hold this worker until a child has run on another one */
    double end = tl_now() + 10.0 * tl_slow();
    while (!atomic_load(&who[1]) && tl_now() < end)
        sched_yield();
    f->output = 0;
    return RT_READY;
}

struct spawner_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    struct hog_fut kids[64];
};

static int spawner_poll(struct rt_future *f, struct rt_context *cx)
{
    struct spawner_fut *s = (struct spawner_fut *)f;
    for (int i = 0; i < 64; i++) {
        s->kids[i].f.poll = hog_poll;
        s->kids[i].f.drop = NULL;
        struct rt_join *j = rt_spawn(s->rt, &s->kids[i].f);
        if (j)
            rt_join_detach(j);
    }
    f->output = 0;
    return RT_READY;
}

TL_TEST(idle_worker_steals, 3, 30, "sched steal")
{
    struct rt_runtime *rt;
    RT_START(rt, 2);
    atomic_store(&who[0], 0);
    atomic_store(&who[1], 0);
    atomic_store(&nran, 0);
    static struct spawner_fut s;
    memset(&s, 0, sizeof s);
    s.f.poll = spawner_poll;
    s.rt = rt;
    struct rt_join *j;
    RT_SPAWN(j, rt, &s.f);
    intptr_t out;
    RT_JOIN(j, &out, "a task spawning 64 children");
    WAIT_UNTIL(atomic_load(&nran) == 64, 30, "a task spawned 64 children on its worker; "
               "each child holds its worker until a child runs on the OTHER worker. Only "
               "%d ran: the idle worker never took work from the busy worker's ring. "
               "Hint: Task 3.3 (steal half of another worker's ring) and Task 3.4 (a "
               "push wakes a parked worker).", atomic_load(&nran));
    struct rt_stats st;
    rt_stats(rt, &st);
    rt_runtime_free(rt);
    tl_check(st.steals >= 1, "children ran on two workers but rt_stats counts %lu "
             "steals. Hint: Task 3.3 counts n_steals.", st.steals);
}

/* A worker runs S, which spawns C1 then C2: C2 takes the LIFO slot and
 * C1 moves to the ring, alone. S then holds its worker until C1 has run,
 * which only the other worker can do, by stealing a ring of length 1. */
static atomic_int lone_ran;

struct lone_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    struct now_fut c1, c2;
    int stolen;            /* C1 ran while S held its worker */
    atomic_int finished;   /* S's poll returned */
};

static int lone_c1_poll(struct rt_future *f, struct rt_context *cx)
{
    atomic_store(&lone_ran, 1);
    f->output = 0;
    return RT_READY;
}

static int lone_poll(struct rt_future *f, struct rt_context *cx)
{
    struct lone_fut *s = (struct lone_fut *)f;
    now_init(&s->c1, 1, NULL);
    s->c1.f.poll = lone_c1_poll;
    now_init(&s->c2, 2, NULL);
    struct rt_join *j1 = rt_spawn(s->rt, &s->c1.f);
    struct rt_join *j2 = rt_spawn(s->rt, &s->c2.f);
    if (j1)
        rt_join_detach(j1);
    if (j2)
        rt_join_detach(j2);
    double end = tl_now() + 10.0 * (double)tl_slow();
    while (!atomic_load(&lone_ran) && tl_now() < end)
        sched_yield();
    s->stolen = atomic_load(&lone_ran);
    f->output = 0;
    atomic_store(&s->finished, 1);
    return RT_READY;
}

TL_TEST(steal_takes_a_lone_task, 2, 30, "sched steal")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    atomic_store(&lone_ran, 0);
    static struct lone_fut s;
    memset(&s, 0, sizeof s);
    s.f.poll = lone_poll;
    s.rt = rt;
    struct rt_join *j;
    RT_SPAWN(j, rt, &s.f);
    intptr_t out;
    WAIT_UNTIL(atomic_load(&s.finished), 20, "a task spawned from outside on 2 "
               "workers was not polled to the end in 20 s. Hint: Tasks 2.3 and 3.4.");
    RT_JOIN(j, &out, "a task spawning two and waiting for the first to run");
    tl_check(s.stolen, "a task spawned two children on its worker (the second in the "
             "LIFO slot, the first alone in the ring) and held that worker for 10 s; the "
             "other worker, idle, never ran the first child. Hint: Task 3.3: a thief "
             "takes HALF of the victim's ring rounded UP, so a ring of one task gives "
             "it up.");
    WAIT_UNTIL(rt_live_tasks() == base, 10, "%ld task(s) still allocated after all "
               "finished. Hint: Task 2.3.", rt_live_tasks() - base);
    rt_runtime_free(rt);
}

/* ------------------------------------------------------------------ */
/* The injector is not starved by local work                           */
/* ------------------------------------------------------------------ */

static atomic_int stop_yielder;

struct forever_fut {
    struct rt_future f;
    struct rt_yield y;
    atomic_long rounds;
};

static int forever_poll(struct rt_future *f, struct rt_context *cx)
{
    struct forever_fut *y = (struct forever_fut *)f;
    for (;;) {
        if (atomic_load(&stop_yielder)) {
            f->output = atomic_load(&y->rounds);
            return RT_READY;
        }
        if (rt_yield_poll(&y->y, cx) == RT_PENDING)
            return RT_PENDING;
        rt_yield_init(&y->y);
        atomic_fetch_add(&y->rounds, 1);
    }
}

TL_TEST(injector_not_starved, 3, 30, "sched")
{
    struct rt_runtime *rt;
    RT_START(rt, 1);
    atomic_store(&stop_yielder, 0);
    static struct forever_fut y;
    memset(&y, 0, sizeof y);
    y.f.poll = forever_poll;
    struct rt_join *jy;
    RT_SPAWN(jy, rt, &y.f);
    WAIT_UNTIL(atomic_load(&y.rounds) > 0 || atomic_load(&stop_yielder), 10, "a yielding task was never "
               "polled twice. Hint: Task 4.3.");
    static struct now_fut late;
    now_init(&late, 9, NULL);
    struct rt_join *jl;
    RT_SPAWN(jl, rt, &late.f);
    WAIT_UNTIL(atomic_load(&late.polls) == 1, 10, "on a one-worker runtime one task yields "
               "forever (it is always in the local ring); a task spawned from outside "
               "(to the injector) was never polled. Hint: Task 3.2: every %d-th tick "
               "look at the injector first.", 61);
    atomic_store(&stop_yielder, 1);
    intptr_t out;
    RT_JOIN(jl, &out, "a task spawned from outside");
    RT_JOIN(jy, &out, "a yielding task");
    rt_runtime_free(rt);
}

/* ------------------------------------------------------------------ */
/* A wake that arrives while the worker is going to sleep               */
/* ------------------------------------------------------------------ */

/* One worker, and a test thread that spawns a task just as the worker,
 * having run the previous one, goes to park. The worker's way to sleep is
 * widened: it holds idle_lock, has seen no
 * new epoch and is about to wait. A spawn that signals idle_cv without
 * taking idle_lock signals nobody, and the worker sleeps on a full
 * injector for good. (tl_delay_waits, tl_harness.h: the worker spins
 * 50 us, holding idle_lock, before each wait.) */
#define PARK_ROUNDS 2000
#define PARK_DELAY_NS 50000L

TL_TEST(spawn_while_worker_parks_is_not_lost, 2, 60, "sched park")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 1);
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    tl_delay_waits(PARK_DELAY_NS, TL_DELAY_OTHERS); /* the workers' waits, not this thread's */
    long rounds = tl_iters(PARK_ROUNDS), r = 0;
    static struct now_fut nf;
    for (; r < rounds; r++) {
        now_init(&nf, r, NULL);
        struct rt_join *j;
        RT_SPAWN(j, rt, &nf.f);
        /* the worker polls it, then heads for idle_cv: spin, not sleep,
         * so that the next spawn meets the worker on its way there */
        double dl = tl_now() + 10.0 * (double)tl_slow();
        while (atomic_load(&nf.polls) == 0 && tl_now() < dl)
            sched_yield();
        WAIT_UNTIL(atomic_load(&nf.polls) == 1, 0, "round %ld of %ld: a task spawned "
                   "from outside while the only worker was going to sleep was never "
                   "polled: its wake-up was lost. The worker had seen no new epoch and "
                   "held idle_lock on its way into pthread_cond_wait (this test makes "
                   "that way slow); a spawn that signals idle_cv without taking "
                   "idle_lock signals nobody. Hint: Task 3.4 (notify_idle).", r + 1,
                   rounds);
        intptr_t out;
        RT_JOIN(j, &out, "a task spawned while the worker parked");
        tl_check(out == r, "round %ld: the task's output was %ld.", r + 1, (long)out);
        /* spawn the next one somewhere on the worker's way to sleep */
        double end = tl_now() + (double)tl_rng_below(&rng, 2 * PARK_DELAY_NS) * 1e-9;
        while (tl_now() < end)
            sched_yield();
    }
    tl_delay_waits(0, 0);
    struct rt_stats st;
    rt_stats(rt, &st);
    rt_runtime_free(rt);
    tl_check(st.parks > 0, "%ld tasks were spawned one at a time from outside, yet the "
             "only worker never parked (rt_stats counts 0 parks): an idle worker "
             "sleeps on idle_cv. Hint: Task 3.4.", rounds);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked.", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */
/* block_on                                                            */
/* ------------------------------------------------------------------ */

/* Each poll hands its waker to a helper thread, which wakes it; done after
 * ROUNDS wakes. A poll with no wake since the last one is spurious. */
#define ROUNDS 50
struct ping_fut {
    struct rt_future f;
    int polls;
    atomic_int wakes_seen;   /* wakes the helper made */
    atomic_int spurious;
    atomic_int handed;       /* 0: nothing to do; 1: w is valid */
    atomic_int quit;
    struct rt_waker w;
};

static int ping_poll(struct rt_future *f, struct rt_context *cx)
{
    struct ping_fut *p = (struct ping_fut *)f;
    if (p->polls > atomic_load(&p->wakes_seen))
        atomic_fetch_add(&p->spurious, 1);
    p->polls++;
    if (p->polls > ROUNDS) {
        f->output = p->polls;
        return RT_READY;
    }
    if (p->polls > atomic_load(&p->wakes_seen)) {
        p->w = rt_waker_clone(&cx->waker);
        atomic_store_explicit(&p->handed, 1, memory_order_release);
    }
    return RT_PENDING;
}

static void *ping_help(void *arg)
{
    struct ping_fut *p = arg;
    while (!atomic_load(&p->quit)) {
        int e = 1;
        if (atomic_compare_exchange_strong(&p->handed, &e, 0)) {
            struct rt_waker w = p->w;
            atomic_fetch_add(&p->wakes_seen, 1);
            rt_waker_wake(w);
        } else {
            sched_yield();
        }
    }
    return NULL;
}

TL_TEST(block_on_polls_only_when_woken, 3, 30, "blockon")
{
    struct rt_runtime *rt;
    RT_START(rt, 1);
    static struct ping_fut p;
    memset(&p, 0, sizeof p);
    p.f.poll = ping_poll;
    pthread_t th;
    pthread_create(&th, NULL, ping_help, &p);
    intptr_t out = rt_block_on(rt, &p.f);
    atomic_store(&p.quit, 1);
    pthread_join(th, NULL);
    static struct yf y1;
    memset(&y1, 0, sizeof y1);
    y1.f.poll = yf_poll;
    y1.name = 'y';
    atomic_store(&ylen, 0);
    intptr_t yo = rt_block_on(rt, &y1.f);
    rt_runtime_free(rt);
    tl_check(out == ROUNDS + 1 && atomic_load(&p.spurious) == 0,
             "rt_block_on ran a future that another thread woke %d times: it must be "
             "polled exactly %d times, each after a wake; block_on gave %ld with %d "
             "spurious poll(s). Hint: Task 4.2 (park until woken, then poll) and 4.1 "
             "(the parker keeps the wake that arrives before it parks).",
             ROUNDS, ROUNDS + 1, (long)out, atomic_load(&p.spurious));
    tl_check(yo == YK + 1, "rt_block_on of a future yielding %d times returned %ld, want "
             "%d polls. Hint: Task 4.3.", YK, (long)yo, YK + 1);
}

/* ------------------------------------------------------------------ */
/* The LIFO slot runs a woken task next, but not forever               */
/* ------------------------------------------------------------------ */

static atomic_int pp_stop;
static atomic_long pp_count;

struct pp_fut {
    struct rt_future f;
    struct pp_fut *partner;
    struct rt_waker mine;     /* a clone of my own waker, for the partner */
    int has_mine;
};

static int pp_poll(struct rt_future *f, struct rt_context *cx)
{
    struct pp_fut *p = (struct pp_fut *)f;
    /* one worker: polls of A and B never overlap */
    if (!p->has_mine) {
        p->mine = rt_waker_clone(&cx->waker);
        p->has_mine = 1;
    }
    atomic_fetch_add(&pp_count, 1);
    if (p->partner->has_mine)
        rt_waker_wake_by_ref(&p->partner->mine);
    if (atomic_load(&pp_stop)) {
        rt_waker_drop(p->mine);
        p->has_mine = 0;
        f->output = 0;
        return RT_READY;
    }
    return RT_PENDING;
}

static void pp_drop(struct rt_future *f)
{
    struct pp_fut *p = (struct pp_fut *)f;
    if (p->has_mine)
        rt_waker_drop(p->mine);
    p->has_mine = 0;
}

struct ylp_fut {
    struct rt_future f;
    struct rt_yield y;
    atomic_int rounds;
    long pp_at_first;
};

static int ylp_poll(struct rt_future *f, struct rt_context *cx)
{
    struct ylp_fut *c = (struct ylp_fut *)f;
    for (;;) {
        if (atomic_load(&c->rounds) > 0 && rt_yield_poll(&c->y, cx) == RT_PENDING)
            return RT_PENDING;
        if (atomic_load(&c->rounds) == 30) {
            f->output = 0;
            return RT_READY;
        }
        atomic_fetch_add(&c->rounds, 1);
        rt_yield_init(&c->y);
    }
}

struct trio_fut {
    struct rt_future f;
    struct rt_runtime *rt;
    struct rt_future *kids[3];
};

static int trio_poll(struct rt_future *f, struct rt_context *cx)
{
    struct trio_fut *t = (struct trio_fut *)f;
    for (int i = 0; i < 3; i++) {
        struct rt_join *j = rt_spawn(t->rt, t->kids[i]);
        if (!j) {
            f->output = -1;
            return RT_READY;
        }
        rt_join_detach(j);
    }
    f->output = 0;
    return RT_READY;
}

TL_TEST(lifo_slot_is_bounded, 3, 30, "sched lifo")
{
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 1);
    atomic_store(&pp_stop, 0);
    atomic_store(&pp_count, 0);
    static struct pp_fut a, b;
    static struct ylp_fut c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    a.f.poll = b.f.poll = pp_poll;
    a.f.drop = b.f.drop = pp_drop;
    a.partner = &b;
    b.partner = &a;
    c.f.poll = ylp_poll;
    static struct trio_fut t;
    t.f.poll = trio_poll;
    t.rt = rt;
    t.kids[0] = &c.f; /* C, then A, then B: B in the LIFO slot, the ring [C, A] */
    t.kids[1] = &a.f;
    t.kids[2] = &b.f;
    struct rt_join *j;
    RT_SPAWN(j, rt, &t.f);
    intptr_t o;
    RT_JOIN(j, &o, "a task spawning three");
    WAIT_UNTIL(atomic_load(&c.rounds) == 30, 10, "on one worker two tasks wake each other "
               "forever (each wake from a worker goes to its LIFO slot) while a third "
               "yields in the ring; the third made %d of its 30 steps (ping-pongs: %ld). "
               "Hint: Task 3.2: after RT_LIFO_MAX LIFO runs in a row the slot's task goes "
               "to the ring, so the ring is not starved.", atomic_load(&c.rounds),
               atomic_load(&pp_count));
    struct rt_stats st;
    rt_stats(rt, &st);
    atomic_store(&pp_stop, 1);
    rt_runtime_free(rt); /* A and B are dropped, with the wakers they keep */
    tl_check(st.lifo_runs >= 100, "two tasks waking each other on one worker ran %ld times "
             "but rt_stats counts only %lu runs from the LIFO slot: a wake from a worker "
             "puts the task in that worker's LIFO slot, which runs next. Hint: Task 3.2.",
             atomic_load(&pp_count), st.lifo_runs);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked after rt_runtime_free dropped "
             "two pending tasks that kept each other's wakers.", rt_live_tasks() - base);
}
