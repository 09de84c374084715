/*
 * test_cancel.c - Tasks 5 and 6: deferred cancellation at the layer's
 * cancellation points, the cancel state, and cleanup handlers (LIFO).
 */
#include "lc_test.h"

static const enum lc_state LIFE_CANCELLED_IN_WAIT[] = {
    LC_CREATED, LC_RUNNABLE, LC_RUNNING, LC_BLOCKED, LC_RUNNABLE, LC_RUNNING, LC_TERMINATED};

/* ---- cleanup order --------------------------------------------------- */
struct order {
    char seq[32];  /* handler names in the order they ran; only the
                      thread writes, the test reads after the join */
    int n;
};

static void note(struct order *o, char c)
{
    if (o->n < 31)
        o->seq[o->n++] = c;
    o->seq[o->n] = '\0';
}
static struct order ord;
static void h_a(void *arg) { (void)arg; note(&ord, 'A'); }
static void h_b(void *arg) { (void)arg; note(&ord, 'B'); }
static void h_c(void *arg) { (void)arg; note(&ord, 'C'); }
static void h_d(void *arg) { (void)arg; note(&ord, 'D'); }

static void *cleanup_body(void *arg)
{
    TPROLOGUE();
    int *rcs = arg;
    rcs[0] = lc_cleanup_push(h_a, NULL);
    rcs[1] = lc_cleanup_push(h_b, NULL);
    rcs[2] = lc_cleanup_pop(1);            /* B runs now */
    note(&ord, '|');
    rcs[3] = lc_cleanup_push(h_c, NULL);
    rcs[4] = lc_cleanup_push(h_d, NULL);
    rcs[5] = lc_cleanup_pop(0);            /* D popped, never runs */
    note(&ord, '|');
    lc_exit(ITEM(8));                      /* C then A */
}

TL_TEST(cleanup_lifo_and_pop, 4, 10, "cleanup")
{
    static int rcs[6] = {-1, -1, -1, -1, -1, -1};
    lc_thread *t;
    int rc = lc_create(&t, cleanup_body, rcs, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    void *ret = NULL;
    rc = lc_timedjoin(t, &ret, hang_ms());
    tl_expect_ok(rc, "lc_timedjoin", T3);
    for (int i = 0; i < 6; i++)
        tl_expect_ok(rcs[i], i == 2 || i == 5 ? "lc_cleanup_pop" : "lc_cleanup_push", T6);
    tl_check(strcmp(ord.seq, "B||CA") == 0, "push A, push B, pop(1), push C, push D, pop(0), "
             "lc_exit: the handlers ran as \"%s\", expected \"B||CA\" ('|' marks the thread's "
             "own steps): pop(1) runs the top handler at once, pop(0) discards it, and lc_exit runs "
             "the rest last pushed first. Hint: " T6 " and " T2 ", TODO 2.5.", ord.seq);
    tl_check(ret == ITEM(8), "exit value %p, expected %p", ret, ITEM(8));
}

/* ---- cancelling a thread blocked in lc_cond_wait --------------------- */
struct cw {
    struct gate g;
    atomic_int unlocked_by_handler; /* the handler found m held, unlocked it */
    atomic_int returned;            /* lc_cond_wait returned (must not) */
};

static void unlock_m(void *arg)
{
    struct cw *c = arg;
    /* lc_cond_wait locks m again before acting on the cancel. */
    int busy = pthread_mutex_trylock(&c->g.m) == EBUSY;
    if (!busy)
        pthread_mutex_unlock(&c->g.m);
    atomic_store(&c->unlocked_by_handler, busy ? 1 : -1);
    if (busy)
        pthread_mutex_unlock(&c->g.m);
}

static void *cw_body(void *arg)
{
    TPROLOGUE();
    struct cw *c = arg;
    lc_cleanup_push(unlock_m, c);
    pthread_mutex_lock(&c->g.m);
    while (!c->g.open)
        lc_cond_wait(&c->g.c, &c->g.m);
    atomic_store(&c->returned, 1);
    pthread_mutex_unlock(&c->g.m);
    lc_cleanup_pop(0);
    return ITEM(1);
}

TL_TEST(cancel_wakes_cond_waiter, 5, 20, "cancel cond")
{
    static struct cw c = {GATE_INIT, 0, 0};
    lc_thread *t;
    int rc = lc_create(&t, cw_body, &c, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(t, LC_BLOCKED), "the thread never blocked in lc_cond_wait (state %s). Hint: " T4 ".",
             lc_state_name(lc_state(t)));
    rc = lc_cancel(t);
    tl_expect_ok(rc, "lc_cancel of a thread blocked in lc_cond_wait", T5);
    tl_check(wait_state(t, LC_TERMINATED), "lc_cancel did not end a thread blocked in lc_cond_wait "
             "(state %s %.0f s later; nobody signals that condition). lc_cancel must end the wait "
             "(take it off the queue, make it RUNNABLE) and the thread must act on the request. The "
             "test's threads have PTHREAD cancellation disabled: the layer's cancellation is its own. "
             "Hint: " T5 ", TODO 5.1, and " T4 ", TODO 4.2.", lc_state_name(lc_state(t)), hang_secs());
    expect_log(t, LIFE_CANCELLED_IN_WAIT, "a thread cancelled while in lc_cond_wait (the canceller "
               "makes it RUNNABLE, it logs RUNNING, then TERMINATED)");
    tl_check(c.g.c.head == NULL, "the cancelled waiter is still in the lc_cond's queue: a later "
             "signal would go to a thread that is gone. Hint: " T5 ", TODO 5.1.");
    void *ret = NULL;
    rc = lc_join(t, &ret);
    tl_expect_ok(rc, "lc_join of a cancelled thread", T3);
    tl_check(ret == LC_CANCELED, "a cancelled thread's exit value is %p, expected LC_CANCELED (%p). "
             "Hint: " T5 ".", ret, LC_CANCELED);
    tl_check(atomic_load(&c.returned) == 0, "lc_cond_wait returned to its caller after a cancel: a "
             "cancelled wait never returns. Hint: " T4 ", TODO 4.2.");
    tl_check(atomic_load(&c.unlocked_by_handler) == 1, "the cleanup handler found the mutex %s: "
             "lc_cond_wait must lock m again before acting on a cancel (as pthread_cond_wait does), "
             "so the handler can unlock it. Hint: " T4 ", TODO 4.2.",
             atomic_load(&c.unlocked_by_handler) == 0 ? "(the handler never ran)" : "unlocked");
    tl_check(pthread_mutex_trylock(&c.g.m) == 0, "the gate's mutex is still locked after the "
             "cancelled thread ended");
    pthread_mutex_unlock(&c.g.m);
}

/* ---- cancelling a thread in a long lc_sleep ------------------------- */
static atomic_int sleep_returned;

static void *long_sleep(void *arg)
{
    TPROLOGUE();
    lc_sleep(3600 * 1000L);
    atomic_store(&sleep_returned, 1);
    return NULL;
}

TL_TEST(cancel_wakes_sleeper, 3, 20, "cancel sleep")
{
    lc_thread *t;
    int rc = lc_create(&t, long_sleep, NULL, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(t, LC_BLOCKED), "a thread in lc_sleep(one hour) was never seen BLOCKED "
             "(state %s). Hint: " T4 ", TODO 4.1.", lc_state_name(lc_state(t)));
    rc = lc_cancel(t);
    tl_expect_ok(rc, "lc_cancel of a sleeping thread", T5);
    void *ret = NULL;
    rc = lc_timedjoin(t, &ret, hang_ms());
    tl_check(rc == 0, "lc_cancel did not end a one-hour lc_sleep: lc_timedjoin(%ld ms) returned %s "
             "(thread state %s). The canceller makes a BLOCKED thread RUNNABLE, and the sleeper's "
             "wait loop sees that it is no longer BLOCKED. PTHREAD cancellation is disabled in the "
             "test's threads. Hint: " T5 ", TODO 5.1; " T4 ", TODO 4.1.", hang_ms(), tl_ename(rc),
             rc == ETIMEDOUT ? lc_state_name(lc_state(t)) : "?");
    tl_check(ret == LC_CANCELED, "exit value %p, expected LC_CANCELED", ret);
    tl_check(!atomic_load(&sleep_returned), "lc_sleep returned after a cancel");
}

/* ---- deferred: nothing happens until a cancellation point ---------- */
struct deferred {
    atomic_int go, reached, after;
};

static void *deferred_body(void *arg)
{
    TPROLOGUE();
    struct deferred *d = arg;
    while (!atomic_load(&d->go)) /* no cancellation point in here */
        sched_yield();
    atomic_store(&d->reached, 1);
    lc_testcancel();
    atomic_store(&d->after, 1);
    return ITEM(2);
}

/* A compute loop whose only cancellation point is lc_testcancel. */
static void *compute(void *arg)
{
    TPROLOGUE();
    atomic_long *spins = arg;
    for (;;) {
        lc_testcancel();
        atomic_fetch_add_explicit(spins, 1, memory_order_relaxed);
    }
    return NULL;
}

static int spun(void *arg)
{
    return atomic_load_explicit((atomic_long *)arg, memory_order_relaxed) > 0;
}

/* Flips its own cancel state while another thread cancels it. */
static atomic_int flips_done;

static void *flipper(void *arg)
{
    TPROLOGUE();
    atomic_int *ready = arg;
    int old = -1;
    atomic_store(ready, 1);
    while (!atomic_load(&flips_done)) {
        lc_setcancelstate(LC_CANCEL_DISABLE, &old);
        lc_setcancelstate(LC_CANCEL_DISABLE, &old);
    }
    lc_setcancelstate(LC_CANCEL_ENABLE, &old);
    lc_testcancel();
    return ITEM(old);
}

TL_TEST(cancel_is_deferred, 3, 20, "cancel")
{
    static atomic_int ready;
    lc_thread *f;
    int rcf = lc_create(&f, flipper, &ready, LC_JOINABLE);
    tl_expect_ok(rcf, "lc_create", T2);
    tl_check(wait_flag(&ready), "the thread never started");
    for (int i = 0; i < 200; i++) /* cancel state and requests, from two threads at once */
        tl_expect_ok(lc_cancel(f), "lc_cancel of a thread that changes its cancel state", T5);
    atomic_store(&flips_done, 1);
    void *fret = NULL;
    rcf = lc_timedjoin(f, &fret, hang_ms());
    tl_check(rcf == 0 && fret == LC_CANCELED, "a thread that kept cancellation disabled while it was "
             "cancelled, then enabled it and called lc_testcancel, ended with %p (join %s), expected "
             "LC_CANCELED. Hint: " T5 ", TODO 5.3.", fret, tl_ename(rcf));

    static atomic_long spins;
    lc_thread *c;
    int rc0 = lc_create(&c, compute, &spins, LC_JOINABLE);
    tl_expect_ok(rc0, "lc_create", T2);
    tl_check(tl_poll_until(spun, &spins, hang_secs()), "the compute loop never ran");
    tl_expect_ok(lc_cancel(c), "lc_cancel of a thread in a compute loop", T5);
    void *cret = NULL;
    rc0 = lc_timedjoin(c, &cret, hang_ms());
    tl_check(rc0 == 0 && cret == LC_CANCELED, "a thread that calls lc_testcancel in a loop was "
             "cancelled: lc_timedjoin returned %s, exit value %p, expected 0 and LC_CANCELED. "
             "Hint: " T5 ", TODO 5.2.", tl_ename(rc0), cret);

    static struct deferred d;
    lc_thread *t;
    int rc = lc_create(&t, deferred_body, &d, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    rc = lc_cancel(t);
    tl_expect_ok(rc, "lc_cancel of a running thread", T5);
    rc = lc_cancel(t);
    tl_expect_ok(rc, "a second lc_cancel of the same thread", T5);
    atomic_store(&d.go, 1);
    void *ret = NULL;
    rc = lc_timedjoin(t, &ret, hang_ms());
    tl_expect_ok(rc, "lc_timedjoin of a cancelled thread", T3);
    tl_check(atomic_load(&d.reached) == 1, "the thread was stopped before it reached lc_testcancel: "
             "cancellation is deferred, it acts only at a cancellation point. Hint: " T5 ".");
    tl_check(atomic_load(&d.after) == 0 && ret == LC_CANCELED, "lc_testcancel with a pending request "
             "returned (code after it ran: %d; exit value %p): it must end the thread with "
             "LC_CANCELED. Hint: " T5 ", TODO 5.2.", atomic_load(&d.after), ret);
}

/* ---- disabled: the request waits ----------------------------------- */
struct disabled {
    atomic_int ready, cancelled, stage;
    int old1, old2, rc_test, rc_sleep;
};

static void *disabled_body(void *arg)
{
    TPROLOGUE();
    struct disabled *d = arg;
    d->old1 = -1;
    lc_setcancelstate(LC_CANCEL_DISABLE, &d->old1);
    atomic_store(&d->ready, 1);
    while (!atomic_load(&d->cancelled))
        sched_yield();
    d->rc_test = lc_testcancel();   /* disabled: returns */
    atomic_store(&d->stage, 1);
    d->rc_sleep = lc_sleep(1);      /* disabled: sleeps, returns */
    atomic_store(&d->stage, 2);
    lc_setcancelstate(LC_CANCEL_ENABLE, &d->old2); /* does not act */
    atomic_store(&d->stage, 3);
    lc_testcancel();                /* acts */
    atomic_store(&d->stage, 4);
    return NULL;
}

/* Blocked with cancellation disabled: lc_cancel may wake it to look, but
 * it must go back to waiting. */
struct blocked_disabled {
    struct gate g;
    int sleep_ms;     /* 0: wait at the gate; else lc_sleep(sleep_ms) */
};

static void *blocked_disabled_body(void *arg)
{
    TPROLOGUE();
    struct blocked_disabled *b = arg;
    lc_setcancelstate(LC_CANCEL_DISABLE, NULL);
    if (b->sleep_ms)
        lc_sleep(b->sleep_ms);
    else
        gate_wait(&b->g);
    lc_setcancelstate(LC_CANCEL_ENABLE, NULL);
    lc_testcancel();
    return ITEM(1);
}

TL_TEST(cancel_disabled_stays_pending, 3, 30, "cancel")
{
    static const enum lc_state one_wait[] = {LC_CREATED, LC_RUNNABLE, LC_RUNNING, LC_BLOCKED,
                                             LC_RUNNABLE, LC_RUNNING, LC_TERMINATED};
    static struct blocked_disabled bd[2] = {{GATE_INIT, 0}, {GATE_INIT, 0}};
    bd[1].sleep_ms = (int)(300 * tl_slow());
    for (int i = 0; i < 2; i++) {
        lc_thread *b;
        int rc = lc_create(&b, blocked_disabled_body, &bd[i], LC_JOINABLE);
        tl_expect_ok(rc, "lc_create", T2);
        tl_check(wait_state(b, LC_BLOCKED), "the thread never blocked (state %s)", lc_state_name(lc_state(b)));
        tl_expect_ok(lc_cancel(b), "lc_cancel of a blocked thread with cancellation disabled", T5);
        if (i == 0) {
            /* It has nothing to do but wait: give a wrong wakeup time to show. */
            rc = lc_timedjoin(b, NULL, 30);
            tl_expect_rc(rc, ETIMEDOUT, "lc_timedjoin(…, 30) of a thread with cancellation disabled, "
                      "blocked at a closed gate, after lc_cancel", "A disabled thread cannot be "
                      "cancelled out of its wait, and lc_cancel's wakeup is one with nothing to do: "
                      "it must look, and wait again (a while loop, not an if). Hint: " T4 ", TODO 4.2.");
            tl_check(lc_state(b) == LC_BLOCKED, "a thread with cancellation disabled left its wait "
                     "after lc_cancel (state %s). Hint: " T5 ", TODO 5.1.", lc_state_name(lc_state(b)));
            gate_open(&bd[i].g);
        }
        tl_check(wait_state(b, LC_TERMINATED), "the thread never ended (state %s)",
                 lc_state_name(lc_state(b)));
        expect_log(b, one_wait, i == 0 ? "a disabled thread cancelled at a gate, then let through"
                   : "a disabled thread cancelled in lc_sleep (the sleep runs to its end)");
        void *ret = NULL;
        tl_expect_ok(lc_join(b, &ret), "lc_join", T3);
        tl_check(ret == LC_CANCELED, "after re-enabling, lc_testcancel must act on the request that "
                 "waited: exit value %p, expected LC_CANCELED. Hint: " T5 ".", ret);
    }


    static struct disabled d;
    lc_thread *t;
    int rc = lc_create(&t, disabled_body, &d, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_flag(&d.ready), "the thread never got past lc_setcancelstate");
    rc = lc_cancel(t);
    tl_expect_ok(rc, "lc_cancel", T5);
    atomic_store(&d.cancelled, 1);
    void *ret = NULL;
    rc = lc_timedjoin(t, &ret, hang_ms());
    tl_expect_ok(rc, "lc_timedjoin", T3);
    tl_check(d.old1 == LC_CANCEL_ENABLE, "lc_setcancelstate reported old state %d, expected "
             "LC_CANCEL_ENABLE (a new thread starts enabled). Hint: " T5 ".", d.old1);
    tl_check(atomic_load(&d.stage) >= 2, "with cancellation DISABLED, a pending request ended the "
             "thread at stage %d (1: in lc_sleep, 0: in lc_testcancel): a disabled request waits. "
             "Hint: " T5 ".", atomic_load(&d.stage));
    tl_check(d.rc_test == 0 && d.rc_sleep == 0, "with cancellation disabled, lc_testcancel returned "
             "%d and lc_sleep %d, expected 0 and 0", d.rc_test, d.rc_sleep);
    tl_check(atomic_load(&d.stage) == 3, "%s", atomic_load(&d.stage) == 2
             ? "lc_setcancelstate(ENABLE) acted on the pending request itself: it is not a "
               "cancellation point; the next one (lc_testcancel) acts. Hint: " T5 ", TODO 5.3."
             : "after re-enabling, lc_testcancel did not act on the pending request. Hint: " T5 ".");
    tl_check(d.old2 == LC_CANCEL_DISABLE, "old state %d, expected LC_CANCEL_DISABLE", d.old2);
    tl_check(ret == LC_CANCELED, "exit value %p, expected LC_CANCELED", ret);
}
