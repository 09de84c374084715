/*
 * test_join.c - Task 3: timed join, the misuse errors, and detached
 * threads that free their own records.
 */
#include "lc_test.h"

#include <signal.h>

static void *wait_gate_ret(void *arg)
{
    TPROLOGUE();
    struct gate *g = arg;
    int rc = gate_wait(g);
    return ITEM(1000 + rc);
}

/* Sleeps 1 ms again and again until told to stop: each sleep's end wakes
 * every waiter of the layer, which must look again and sleep on. */
static void *noise(void *arg)
{
    TPROLOGUE();
    atomic_int *stop = arg;
    while (!atomic_load(stop))
        lc_sleep(1);
    return NULL;
}

TL_TEST(timedjoin_times_out_then_succeeds, 4, 20, "join")
{
    static struct gate g = GATE_INIT;
    static atomic_int stop;
    lc_thread *t, *nz;
    int rc = lc_create(&t, wait_gate_ret, &g, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(t, LC_BLOCKED), "the thread never blocked at the gate (state %s). Hint: " T4 ".",
             lc_state_name(lc_state(t)));
    rc = lc_create(&nz, noise, &stop, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    void *ret = ITEM(5);
    double t0 = tl_now();
    rc = lc_timedjoin(t, &ret, 30);
    double took = tl_now() - t0;
    atomic_store(&stop, 1);
    tl_expect_ok(lc_timedjoin(nz, NULL, hang_ms()), "lc_timedjoin of a thread that sleeps 1 ms at a time", T4);
    tl_expect_rc(rc, ETIMEDOUT, "lc_timedjoin(t, &ret, 30) of a thread blocked at a closed gate",
              "The thread cannot end before the gate opens. Hint: " T3 ", TODO 3.2.");
    tl_check(took >= 0.025, "lc_timedjoin(…, 30 ms) gave up after %.1f ms: wait until the deadline. "
             "Hint: " T3 ", TODO 3.2 (lc_deadline_ms).", took * 1000);
    tl_check(ret == ITEM(5), "a timed-out lc_timedjoin wrote %p to *ret: it must leave it alone", ret);
    tl_check(lc_state(t) == LC_BLOCKED, "after a timed-out join the thread is %s, expected still "
             "BLOCKED: a join never changes its target. Hint: " T3 ".", lc_state_name(lc_state(t)));
    rc = lc_timedjoin(t, &ret, 0);
    tl_expect_rc(rc, ETIMEDOUT, "lc_timedjoin(t, &ret, 0) of a blocked thread", "0 means: do not wait.");
    rc = lc_timedjoin(t, &ret, -1);
    tl_expect_rc(rc, EINVAL, "lc_timedjoin(t, &ret, -1)", "A negative timeout is a misuse.");
    gate_open(&g);
    rc = lc_timedjoin(t, &ret, hang_ms());
    tl_expect_ok(rc, "lc_timedjoin after the gate opened (the thread is still joinable after a timeout)", T3);
    tl_check(ret == ITEM(1000), "exit value %p, expected %p", ret, ITEM(1000));
}

struct misuse {
    struct gate g;
    int self_join, self_join_timed;
    int self_push_null, pop_empty, bad_state, sleep_neg, wait_null;
};

static void *misuse_thread(void *arg)
{
    TPROLOGUE();
    struct misuse *m = arg;
    m->self_join = lc_join(lc_self(), NULL);
    m->self_join_timed = lc_timedjoin(lc_self(), NULL, 10);
    m->self_push_null = lc_cleanup_push(NULL, NULL);
    m->pop_empty = lc_cleanup_pop(1);
    m->bad_state = lc_setcancelstate(7, NULL);
    m->sleep_neg = lc_sleep(-1);
    pthread_mutex_lock(&m->g.m);
    m->wait_null = lc_cond_wait(NULL, &m->g.m);
    pthread_mutex_unlock(&m->g.m);
    gate_wait(&m->g);
    return ITEM(3);
}

static void exit_from_main(void *arg)
{
    lc_exit(arg);
}

struct joiner_arg {
    lc_thread *target;
    int rc;
    void *ret;
};

static void *joiner(void *arg)
{
    TPROLOGUE();
    struct joiner_arg *j = arg;
    j->rc = lc_join(j->target, &j->ret);
    return NULL;
}

TL_TEST(misuse_errors, 5, 20, "join errors")
{
    static struct misuse m = {GATE_INIT, -1, -1, -1, -1, -1, -1, -1};
    lc_thread *t;
    int rc = lc_create(&t, misuse_thread, &m, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(t, LC_BLOCKED), "the thread never blocked at the gate (state %s). Hint: " T4 ".",
             lc_state_name(lc_state(t)));
    tl_expect_rc(m.self_join, EDEADLK, "lc_join(lc_self(), NULL)", "A thread that joins itself would wait "
              "forever: report EDEADLK. Hint: " T3 ".");
    tl_expect_rc(m.self_join_timed, EDEADLK, "lc_timedjoin(lc_self(), NULL, 10)", "Joining oneself is "
              "EDEADLK even with a timeout. Hint: " T3 ".");
    tl_expect_rc(m.self_push_null, EINVAL, "lc_cleanup_push(NULL, NULL)", "Hint: " T6 ".");
    tl_expect_rc(m.pop_empty, ENOENT, "lc_cleanup_pop(1) with nothing pushed", "Hint: " T6 ".");
    tl_expect_rc(m.bad_state, EINVAL, "lc_setcancelstate(7, NULL)", "Hint: " T5 ".");
    tl_expect_rc(m.sleep_neg, EINVAL, "lc_sleep(-1)", "Hint: " T4 ", TODO 4.1.");
    tl_expect_rc(m.wait_null, EINVAL, "lc_cond_wait(NULL, &m)", "Hint: " T4 ", TODO 4.2.");

    /* A second joiner while one waits. */
    static struct joiner_arg j;
    j.target = t;
    j.rc = -1;
    lc_thread *jt;
    rc = lc_create(&jt, joiner, &j, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create (a joiner)", T2);
    tl_check(wait_state(jt, LC_BLOCKED), "an lc thread calling lc_join on a thread blocked at a "
             "gate was never seen BLOCKED (state %s after %.0f s): a joiner that has to wait is "
             "BLOCKED. Hint: " T3 ", TODO 3.1.", lc_state_name(lc_state(jt)), hang_secs());
    rc = lc_join(t, NULL);
    tl_expect_rc(rc, EINVAL, "a second lc_join of t while another thread is joining it",
              "Only one thread may join a thread. Hint: " T3 " (the joining flag).");
    rc = lc_timedjoin(t, NULL, 0);
    tl_expect_rc(rc, EINVAL, "lc_timedjoin(t, NULL, 0) while another thread is joining t", "Hint: " T3 ".");
    rc = lc_detach(t);
    tl_expect_rc(rc, EINVAL, "lc_detach(t) while another thread is joining t",
              "The joiner will free the record; a detach would free it twice. Hint: " T3 ".");
    gate_open(&m.g);
    rc = lc_timedjoin(jt, NULL, hang_ms());
    tl_expect_ok(rc, "lc_timedjoin of the joiner thread", T3);
    tl_expect_ok(j.rc, "the first joiner's lc_join, once the target ended", T3);
    tl_check(j.ret == ITEM(3), "the joiner got exit value %p, expected %p", j.ret, ITEM(3));

    /* Detach, then detach again, join, timed join: all misuse while it lives. */
    static struct gate g2 = GATE_INIT;
    lc_thread *d;
    rc = lc_create(&d, wait_gate_ret, &g2, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(d, LC_BLOCKED), "the thread never blocked at the gate (state %s)",
             lc_state_name(lc_state(d)));
    watch_reset();
    watch(d);
    rc = lc_detach(d);
    tl_expect_ok(rc, "lc_detach of a joinable, blocked thread", T3);
    rc = lc_detach(d);
    tl_expect_rc(rc, EINVAL, "lc_detach twice", "A detached thread cannot be detached again. Hint: " T3 ".");
    rc = lc_join(d, NULL);
    tl_expect_rc(rc, EINVAL, "lc_join of a detached thread", "Nobody may join a detached thread: it frees "
              "its own record. Hint: " T3 ".");
    rc = lc_timedjoin(d, NULL, 10);
    tl_expect_rc(rc, EINVAL, "lc_timedjoin of a detached thread", "Hint: " T3 ".");
    gate_open(&g2);
    double end = tl_now() + hang_secs();
    while (watch_freed() < 1 && tl_now() < end)
        sched_yield();
    tl_check(watch_freed() == 1, "a thread detached while blocked ended (gate opened %.0f s ago) but "
             "its record was never passed to free(): a detached thread frees its own record as it "
             "terminates. Hint: " T2 ", TODO 2.5.", hang_secs());

    tl_expect_rc(lc_join(NULL, NULL), EINVAL, "lc_join(NULL, NULL)", "");
    tl_expect_rc(lc_detach(NULL), EINVAL, "lc_detach(NULL)", "");
    tl_expect_rc(lc_cancel(NULL), EINVAL, "lc_cancel(NULL)", "");
    tl_expect_rc(lc_testcancel(), EPERM, "lc_testcancel() from the test's main thread",
              "Only lc threads have a cancel state. Hint: " T5 ".");
    tl_expect_rc(lc_setcancelstate(LC_CANCEL_DISABLE, NULL), EPERM, "lc_setcancelstate from the main "
              "thread", "Hint: " T5 ".");
    tl_expect_rc(lc_cleanup_push(free, NULL), EPERM, "lc_cleanup_push from the main thread", "Hint: " T6 ".");
    tl_expect_rc(lc_cleanup_pop(0), EPERM, "lc_cleanup_pop from the main thread", "Hint: " T6 ".");

    struct tl_child ch;
    tl_check(tl_run_in_child(exit_from_main, NULL, 10 * (int)tl_slow(), &ch) == 0, "fork failed");
    tl_check(ch.signaled && ch.sig == SIGABRT, "lc_exit called by a thread lc_create did not start "
             "(the test's main thread, in a child process) must stop the program loudly with "
             "lc_panic_at (SIGABRT); the child %s %d. Hint: " T2 ", TODO 2.5, and " T1 ".",
             ch.signaled ? "died of signal" : ch.timed_out ? "hung, state" : "exited with",
             ch.signaled ? ch.sig : ch.code);
}

/* ---- detached threads free their records ---------------------------- */
#define NDET 24

static void *detached_body(void *arg)
{
    TPROLOGUE();
    static atomic_int k;
    struct gate *g = arg;
    gate_wait(g);
    if (atomic_fetch_add(&k, 1) % 2) /* half end through lc_exit */
        lc_exit(NULL);
    return NULL;
}

static void *quick(void *arg)
{
    TPROLOGUE();
    return arg;
}

TL_TEST(detached_records_are_freed, 5, 30, "detach memory")
{
    static struct gate g = GATE_INIT;
    static lc_thread *t[NDET];
    watch_reset();
    int n = (int)(NDET / (tl_slow() > 4 ? 2 : 1));
    for (int i = 0; i < n; i++) {
        int rc = lc_create(&t[i], detached_body, &g, LC_DETACHED);
        tl_expect_ok(rc, "lc_create(..., LC_DETACHED)", T2);
        watch(t[i]);
    }
    tl_check(watch_freed() == 0, "a detached thread's record was freed while the thread was still "
             "waiting at a closed gate. Hint: " T2 ".");
    gate_open(&g);
    double end = tl_now() + hang_secs();
    while (watch_freed() < n && tl_now() < end)
        sched_yield();
    tl_check(watch_freed() == n, "%d detached threads were let go %.0f s ago, but only %d of their "
             "records were passed to free(): a detached thread frees its record as it terminates "
             "(nobody will join it). Hint: " T2 ", TODO 2.5; \"Who frees what\" in the handout.",
             n, hang_secs(), watch_freed());

    /* Detach while the thread may be ending: exactly one side frees. */
    watch_reset();
    int nrace = (int)(16 / (tl_slow() > 4 ? 4 : 1));
    for (int i = 0; i < nrace; i++) {
        lc_thread *q;
        int rc = lc_create(&q, quick, NULL, LC_JOINABLE);
        tl_expect_ok(rc, "lc_create", T2);
        watch(q); /* joinable: not freed before the detach, whatever happens */
        rc = lc_detach(q);
        tl_expect_ok(rc, "lc_detach of a thread that may be ending at the same time", T3);
    }
    end = tl_now() + hang_secs();
    while (watch_freed() < nrace && tl_now() < end)
        sched_yield();
    tl_check(watch_freed() == nrace, "%d threads were detached while they ended; %d of their records "
             "were freed after %.0f s. lc_detach and lc_exit must agree, under the lock, on who frees. "
             "Hint: " T3 ", TODO 3.3; " T2 ", TODO 2.5.", nrace, watch_freed(), hang_secs());

    /* Detach after the end: lc_detach frees the record itself. */
    lc_thread *q;
    int rc = lc_create(&q, quick, NULL, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(q, LC_TERMINATED), "a thread whose fn returns never TERMINATED (state %s)",
             lc_state_name(lc_state(q)));
    watch_reset();
    watch(q);
    rc = lc_detach(q);
    tl_expect_ok(rc, "lc_detach of a TERMINATED, unjoined thread", T3);
    tl_check(watch_freed() == 1, "lc_detach of a thread that had already TERMINATED returned without "
             "freeing its record: nobody else ever will (its lc_exit saw detached == 0). Hint: " T3
             ", TODO 3.3.");
}
