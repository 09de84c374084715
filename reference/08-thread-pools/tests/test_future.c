/*
 * test_future.c - Task 1: a future carries a task's value and error to any
 * number of waiters; timed gets give up at their deadline, and only then.
 */
#include "tp_test.h"

static struct gate g = GATE_INIT;

static int value_task(void *arg, long *value)
{
    *value = 42;
    return 0;
}

static int failing_task(void *arg, long *value)
{
    *value = 7;
    return EIO;
}

TL_TEST(future_value_and_error, 3, 30, "future")
{
    tp_pool *p = make_pool(2, 2, 8, 0, TP_BLOCK);
    struct tp_future a, b;
    tl_expect_ok(tp_submit(p, value_task, NULL, &a), "tp_submit(value_task)", T2);
    tl_expect_ok(tp_submit(p, failing_task, NULL, &b), "tp_submit(failing_task)", T2);
    long v = -1;
    int rc = tp_future_get(&a, &v);
    tl_expect_ok(rc, "tp_future_get of a task that returned 0", T1);
    tl_check(v == 42, "tp_future_get gave value %ld, expected 42 (what the task stored in "
             "*value). Hint: the worker passes &v to fn and hands v to tp_future_complete.", v);
    v = -1;
    rc = tp_future_get(&b, &v);
    tl_expect_rc(rc, EIO, "tp_future_get of a task that returned EIO",
                 "A task's own error is carried to the future as is (Task 1, TODO 1.3).");
    tl_check(v == 7, "a failing task's value is reported too: got %ld, expected 7", v);
    /* Again: the outcome stays. NULL value is allowed. */
    tl_expect_rc(tp_future_get(&b, NULL), EIO, "a second tp_future_get(&b, NULL)",
                 "The outcome stays after the first get, and value may be NULL.");
    tl_expect_rc(tp_future_get_for(&a, &v, 0), 0, "tp_future_get_for(done future, 0)",
                 "A finished future answers at once, whatever the timeout.");
    tl_check(a.state == TP_DONE && b.state == TP_DONE && a.err == 0 && b.err == EIO,
             "after the tasks ran: a.state=%d a.err=%d b.state=%d b.err=%d; expected "
             "TP_DONE (%d) and errs 0 / EIO", a.state, a.err, b.state, b.err, TP_DONE);
    tl_expect_ok(tp_future_destroy(&a), "tp_future_destroy", T1);
    tl_expect_ok(tp_future_destroy(&b), "tp_future_destroy", T1);

    /* A pending future cannot be destroyed. */
    gate_reset(&g);
    struct tp_future c;
    tl_expect_ok(tp_submit(p, gate_task, &g, &c), "tp_submit(gate_task)", T2);
    tl_expect_rc(tp_future_destroy(&c), EBUSY, "tp_future_destroy(pending future)",
                 "A worker will still write into it: refuse while TP_PENDING.");
    gate_open(&g);
    /* Nobody waits on c: destroy it as soon as the worker has completed it. */
    double end = tl_now() + hang_secs();
    while ((rc = tp_future_destroy(&c)) == EBUSY && tl_now() < end)
        sched_yield();
    tl_expect_ok(rc, "tp_future_destroy once its task finished", T1);

    tl_expect_rc(tp_future_get(NULL, &v), EINVAL, "tp_future_get(NULL)", "Check the pointer.");
    tl_expect_rc(tp_future_destroy(NULL), EINVAL, "tp_future_destroy(NULL)", "Check the pointer.");
    tl_expect_rc(tp_future_init(NULL), EINVAL, "tp_future_init(NULL)", "Check the pointer.");
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}

/* ---- spurious wakeups do not end a get ------------------------------ */
static void *getter(struct helper *h)
{
    long v = -1;
    h->rc = tp_future_get((struct tp_future *)h->a, &v);
    h->x = v;
    return NULL;
}

TL_TEST(future_get_waits_through_wakeups, 3, 30, "future")
{
    gate_reset(&g);
    tp_pool *p = make_pool(1, 1, 4, 0, TP_BLOCK);
    static struct tp_future f;
    tl_expect_ok(tp_submit(p, gate_task, &g, &f), "tp_submit(gate_task)", T2);
    WAIT_INSIDE(&g, 1, "the task never started on the pool's worker");
    static struct helper h;
    h = (struct helper){.a = &f};
    helper_start(&h, getter);
    /* Wake the getter for nothing, many times, as a spurious wakeup would. */
    for (int i = 0; i < 2000 && !atomic_load(&h.done); i++) {
        pthread_mutex_lock(&f.m);
        pthread_cond_broadcast(&f.cv);
        pthread_mutex_unlock(&f.m);
        if (i % 16 == 0)
            sched_yield();
    }
    tl_check(!atomic_load(&h.done),
             "tp_future_get returned %d (%s) with value %ld while the task was still "
             "running: a wakeup is not an answer. Hint: `while (f->state == TP_PENDING) "
             "pthread_cond_wait(...)`, never `if` (TODO 1.3).", h.rc, tl_ename(h.rc), h.x);
    gate_open(&g);
    tl_check(helper_join(&h, hang_secs()),
             "tp_future_get still waits %.0f s after its task finished: a lost wakeup. "
             "Hint: tp_future_complete sets state under f->m, then broadcasts f->cv "
             "(TODO 1.2).", hang_secs());
    tl_expect_ok(h.rc, "tp_future_get, once the task finished,", T1);
    tl_check(h.x == 1000, "tp_future_get gave %ld, expected 1000", h.x);
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
    tl_expect_ok(tp_future_destroy(&f), "tp_future_destroy", T1);
}

/* ---- timed gets ------------------------------------------------------ */
static void *timed_getter(struct helper *h)
{
    long v = -1;
    struct timespec d;
    clock_gettime(CLOCK_MONOTONIC, &d);
    d.tv_sec += (time_t)(3 * hang_secs());
    h->rc = tp_future_timedget((struct tp_future *)h->a, &v, &d);
    h->x = v;
    return NULL;
}

TL_TEST(future_timed_get, 3, 60, "future")
{
    gate_reset(&g);
    tp_pool *p = make_pool(1, 1, 4, 0, TP_BLOCK);
    static struct tp_future f;
    tl_expect_ok(tp_submit(p, gate_task, &g, &f), "tp_submit(gate_task)", T2);
    WAIT_INSIDE(&g, 1, "the task never started on the pool's worker");
    long v = -5;
    int rc = tp_future_get_for(&f, &v, 0);
    tl_expect_rc(rc, ETIMEDOUT, "tp_future_get_for(pending, 0)",
                 "Timeout 0 on a pending future: give up at once (TODO 1.5).");
    double t0 = tl_now();
    rc = tp_future_get_for(&f, &v, 30);
    double dt = tl_now() - t0;
    tl_expect_rc(rc, ETIMEDOUT, "tp_future_get_for(pending, 30 ms)",
                 "The task is held at a gate: the get must time out (TODO 1.4).");
    tl_check(dt >= 0.029, "tp_future_get_for(pending, 30 ms) gave up after %.1f ms, before "
             "its deadline. Hint: pthread_cond_timedwait takes an ABSOLUTE time on the "
             "condvar's clock (CLOCK_MONOTONIC here: pthread_condattr_setclock).", dt * 1e3);
    tl_check(v == -5, "a timed-out get wrote %ld into *value: leave it alone", v);
    struct timespec past;
    clock_gettime(CLOCK_MONOTONIC, &past);
    past.tv_sec -= 1;
    tl_expect_rc(tp_future_timedget(&f, &v, &past), ETIMEDOUT,
                 "tp_future_timedget(pending, a deadline 1 s ago)",
                 "A deadline already past never waits.");
    past.tv_nsec = 0; /* a valid time too */
    tl_expect_rc(tp_future_timedget(&f, &v, &past), ETIMEDOUT,
                 "tp_future_timedget(pending, {1 s ago, tv_nsec 0})",
                 "tv_nsec 0 is a valid time: only values outside [0, 1e9) are EINVAL.");
    struct timespec bad = past;
    bad.tv_nsec = 1000000000L;
    tl_expect_rc(tp_future_timedget(&f, &v, &bad), EINVAL, "tp_future_timedget(tv_nsec = 1e9)",
                 "Not a valid time: check tv_nsec is in [0, 1e9).");
    tl_expect_rc(tp_future_timedget(&f, &v, NULL), EINVAL, "tp_future_timedget(deadline NULL)",
                 "Check the pointer.");
    tl_expect_rc(tp_future_get_for(&f, &v, -1), EINVAL, "tp_future_get_for(timeout -1)",
                 "A negative timeout is an error.");
    /* A waiter with a far deadline is woken by the completion. */
    static struct helper h;
    h = (struct helper){.a = &f};
    helper_start(&h, timed_getter);
    gate_open(&g);
    tl_check(helper_join(&h, 2 * hang_secs()),
             "tp_future_timedget with a deadline far away still waited %.0f s after the "
             "task finished: the completion must wake timed waiters too (broadcast).",
             2 * hang_secs());
    tl_expect_ok(h.rc, "tp_future_timedget woken by the completion", T1);
    tl_check(h.x == 1000, "tp_future_timedget gave %ld, expected 1000", h.x);
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
    tl_expect_ok(tp_future_destroy(&f), "tp_future_destroy", T1);
}
