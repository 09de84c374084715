/*
 * test_once.c - Task 5, once with an atomic fast path.
 */
#include "ptl_test.h"

#define T5 "Task 5 (src/once.c)"

struct shared {
    int ready_a;       /* written by init only */
    long table[64];    /* written by init only */
    int ready_b;
};

struct race {
    struct once o;
    struct shared data;
    atomic_int runs;
    pthread_barrier_t gate; /* the test may use pthread barriers; you may not */
    struct tl_failbox fb;
};

static void init_shared(void *arg)
{
    struct race *r = arg;
    atomic_fetch_add(&r->runs, 1);
    sched_yield(); /* widen the window in which others arrive */
    r->data.ready_a = 1;
    for (int i = 0; i < 64; i++)
        r->data.table[i] = (long)i * i + 7;
    r->data.ready_b = 1;
}

static void *racer(void *arg)
{
    struct race *r = arg;
    pthread_barrier_wait(&r->gate);
    int rc = once_call(&r->o, init_shared, r);
    if (rc) {
        tl_fb_fail(&r->fb, "once_call returned %d (%s)%s", rc, tl_ename(rc),
                rc == ENOSYS ? ": still the skeleton, see " T5 : "");
        return NULL;
    }
    /* Every caller, fast path or slow, must see everything init wrote. */
    if (r->data.ready_a != 1 || r->data.ready_b != 1 || r->data.table[63] != 63L * 63 + 7)
        tl_fb_fail(&r->fb, "once_call returned before init's writes were visible (ready_a=%d "
                "ready_b=%d). Hint: the fast path needs an ACQUIRE load of done, paired "
                "with a RELEASE store after init returns.", r->data.ready_a, r->data.ready_b);
    return NULL;
}

TL_TEST(once_runs_init_exactly_once, 4, 60, "once stress")
{
    enum { N = 8 };
    long rounds = tl_iters(200);
    for (long k = 0; k < rounds; k++) {
        static struct race r;
        memset(&r, 0, sizeof r);
        r.o = (struct once)ONCE_INIT;
        r.fb = (struct tl_failbox)TL_FAILBOX_INIT;
        pthread_barrier_init(&r.gate, NULL, N);
        pthread_t t[N];
        for (int i = 0; i < N; i++)
            start_thread(&t[i], racer, &r);
        int stuck = 0;
        stuck += join_all(t, N, hang_secs());
        tl_check(stuck == 0, "%d of %d threads never returned from once_call (a lock never "
                 "released?)", stuck, N);
        pthread_barrier_destroy(&r.gate);
        tl_fb_report(&r.fb);
        int runs = atomic_load(&r.runs);
        tl_check(runs == 1, "round %ld: %d threads raced into once_call and init ran %d "
                 "times, expected exactly 1. Hint: after taking the mutex, test done AGAIN: "
                 "another thread may have run init while you waited.", k, N, runs);
        tl_check(atomic_load(&r.o.done) == 1, "after once_call returned, o->done is %d "
                 "(expected 1)", atomic_load(&r.o.done));
        pthread_mutex_destroy(&r.o.lock);
    }
}

static int calls;
static void count_call(void *arg)
{
    (void)arg;
    calls++;
}

struct fast { struct once *o; int rc; };

static void *fast_caller(void *arg)
{
    struct fast *f = arg;
    f->rc = once_call(f->o, count_call, NULL);
    return NULL;
}

TL_TEST(once_fast_path_takes_no_lock, 2, 60, "once")
{
    static struct once o = ONCE_INIT;
    calls = 0;
    int rc = once_call(&o, count_call, NULL);
    tl_expect_ok(rc, "once_call", T5);
    tl_check(calls == 1, "the first once_call ran init %d times, expected 1", calls);
    tl_expect_ok(once_call(&o, count_call, NULL), "a second once_call", T5);
    tl_check(calls == 1, "a second once_call ran init again (%d runs)", calls);
    /* With o->lock held elsewhere, a call on a done once must still return:
     * the fast path is one acquire load, no lock. */
    pthread_mutex_lock(&o.lock);
    static struct fast f;
    f = (struct fast){&o, -1};
    pthread_t t;
    start_thread(&t, fast_caller, &f);
    rc = join_within(t, hang_secs());
    pthread_mutex_unlock(&o.lock);
    if (rc != 0)
        join_within(t, hang_secs());
    tl_check(rc == 0, "once_call on an initialised once blocked while another thread held "
             "o->lock: the fast path must not take the mutex. Hint: if "
             "(atomic_load_explicit(&o->done, memory_order_acquire)) return 0;");
    tl_expect_ok(f.rc, "once_call on the fast path", T5);
    tl_check(calls == 1, "init ran again on the fast path");
    tl_expect_rc(once_call(NULL, count_call, NULL), EINVAL, "once_call(NULL, ...)", "Check the pointers.");
    tl_expect_rc(once_call(&o, NULL, NULL), EINVAL, "once_call(&o, NULL, ...)", "Check the pointers.");
}
