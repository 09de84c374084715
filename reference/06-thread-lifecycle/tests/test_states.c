/*
 * test_states.c - Tasks 1, 2 and 4: create, exit values, and the exact
 * state log of simple lives (return, sleep, condition wait).
 */
#include "lc_test.h"

static const enum lc_state LIFE_RETURN[] = {LC_CREATED, LC_RUNNABLE, LC_RUNNING, LC_TERMINATED};
static const enum lc_state LIFE_ONE_WAIT[] = {LC_CREATED, LC_RUNNABLE, LC_RUNNING, LC_BLOCKED,
                                              LC_RUNNABLE, LC_RUNNING, LC_TERMINATED};

struct seen {
    lc_thread *self;     /* lc_self() inside the thread */
    lc_thread **handle;  /* where lc_create stored the handle */
    lc_thread *handle_at_start; /* *handle, read first thing */
};

static void *report_self(void *arg)
{
    TPROLOGUE();
    struct seen *s = arg;
    s->self = lc_self();
    s->handle_at_start = *s->handle;
    return ITEM(42);
}

TL_TEST(create_join_exit_value, 3, 10, "create")
{
    static lc_thread *t;
    struct seen s = {NULL, &t, NULL};
    tl_check(lc_self() == NULL, "lc_self() in the test's main thread returned %p, expected NULL: "
             "only threads lc_create started have a record. Hint: " T2 ", TODO 2.4.", (void *)lc_self());
    int rc = lc_create(&t, report_self, &s, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create(&t, fn, arg, LC_JOINABLE)", T2);
    void *ret = NULL;
    lc_thread *h = t;
    rc = lc_join(t, &ret);
    tl_expect_ok(rc, "lc_join on a joinable thread", T3);
    tl_check(ret == ITEM(42), "lc_join gave exit value %p, expected %p (what fn returned): returning "
             "from fn is lc_exit(its value). Hint: " T2 ".", ret, ITEM(42));
    tl_check(s.handle_at_start == h, "the thread read its handle from *out as it started and saw %p, "
             "but lc_create stored %p: *out must be written before the thread can run fn (hold the "
             "layer's lock across pthread_create). Hint: " T2 ", TODO 2.3.", (void *)s.handle_at_start, (void *)h);
    tl_check(s.self == h, "lc_self() inside the thread returned %p, expected its handle %p. Hint: " T2
             ", TODO 2.4.", (void *)s.self, (void *)h);

    rc = lc_create(NULL, report_self, &s, LC_JOINABLE);
    tl_expect_rc(rc, EINVAL, "lc_create(NULL, ...)", "A NULL out is a misuse.");
    rc = lc_create(&t, NULL, &s, LC_JOINABLE);
    tl_expect_rc(rc, EINVAL, "lc_create(&t, NULL, ...)", "A NULL fn is a misuse.");
    rc = lc_create(&t, report_self, &s, 7);
    tl_expect_rc(rc, EINVAL, "lc_create(..., flags 7)", "Only LC_JOINABLE and LC_DETACHED are flags.");
}

static void *just_return(void *arg)
{
    TPROLOGUE();
    return arg;
}

TL_TEST(log_simple_return, 3, 10, "states")
{
    lc_thread *t;
    int rc = lc_create(&t, just_return, ITEM(7), LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(t, LC_TERMINATED), "the thread never reached TERMINATED (state %s after %.0f s); "
             "its fn returns at once. Hint: " T2 ", TODO 2.5.", lc_state_name(lc_state(t)), hang_secs());
    expect_log(t, LIFE_RETURN, "a thread whose fn returns at once");
    enum lc_state one[2] = {LC_TERMINATED, (enum lc_state)77};
    int k = lc_state_log(t, one, 1);
    tl_check(k == 4 && one[0] == LC_CREATED && one[1] == (enum lc_state)77, "lc_state_log(t, out, 1) "
             "returned %d with out[0] = %s, out[1] = %d, expected 4 with CREATED and out[1] untouched "
             "(77): copy at most n entries, return the full count. Hint: " T1 ", TODO 1.3.", k,
             lc_state_name(one[0]), (int)one[1]);
    enum lc_state many[8];
    for (int i = 0; i < 8; i++)
        many[i] = (enum lc_state)77;
    k = lc_state_log(t, many, 8);
    tl_check(k == 4 && many[4] == (enum lc_state)77, "lc_state_log(t, out, 8) of a 4-entry log "
             "returned %d and wrote out[4] = %d: copy only the entries that exist. Hint: " T1 ".",
             k, (int)many[4]);
    tl_check(lc_state_log(NULL, one, 1) == -1, "lc_state_log(NULL, ...) must return -1. Hint: " T1 ".");
    void *ret;
    rc = lc_join(t, &ret);
    tl_expect_ok(rc, "lc_join of a TERMINATED thread", T3);
    tl_check(ret == ITEM(7), "exit value %p, expected %p", ret, ITEM(7));
}

static void *sleep_once(void *arg)
{
    TPROLOGUE();
    int rc = lc_sleep(1);
    return ITEM(rc + 100);
}

static void *sleep_many(void *arg)
{
    TPROLOGUE();
    long bad = 0;
    for (int i = 0; i < 30; i++)
        bad += lc_sleep(0) != 0;
    return ITEM(bad);
}

TL_TEST(log_sleep, 4, 10, "states sleep")
{
    lc_thread *t;
    int rc = lc_create(&t, sleep_once, NULL, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(t, LC_TERMINATED), "a thread that calls lc_sleep(1) and returns never reached "
             "TERMINATED (state %s after %.0f s). Hint: " T4 ", TODO 4.1: when the deadline passes the "
             "sleeper makes itself RUNNABLE.", lc_state_name(lc_state(t)), hang_secs());
    expect_log(t, LIFE_ONE_WAIT, "a thread that calls lc_sleep(1) once (the sleeper logs BLOCKED, "
               "then RUNNABLE itself when its time is up, then RUNNING)");
    void *ret;
    rc = lc_join(t, &ret);
    tl_expect_ok(rc, "lc_join", T3);
    tl_check(ret == ITEM(100), "lc_sleep(1) returned %ld, expected 0", (long)(intptr_t)ret - 100);
    rc = lc_sleep(1);
    tl_expect_rc(rc, EPERM, "lc_sleep(1) from the test's main thread (not an lc thread)",
              "Only lc threads may call the layer's cancellation points. Hint: " T4 ".");

    /* A long life: 30 sleeps of 0 ms, 3 + 3 * 30 + 1 = 94 states; the log
     * keeps the first LC_LOG_MAX and counts them all. */
    rc = lc_create(&t, sleep_many, NULL, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(t, LC_TERMINATED), "a thread that calls lc_sleep(0) 30 times never TERMINATED "
             "(state %s). Hint: " T4 ".", lc_state_name(lc_state(t)));
    enum lc_state s[LC_LOG_MAX + 8];
    for (int i = 0; i < LC_LOG_MAX + 8; i++)
        s[i] = (enum lc_state)77;
    int k = lc_state_log(t, s, LC_LOG_MAX + 8);
    tl_check(k == 94, "lc_state_log counted %d states for a thread that slept 30 times, expected 94 "
             "(count every move, even past LC_LOG_MAX). Hint: " T1 ".", k);
    tl_check(s[LC_LOG_MAX] == (enum lc_state)77, "lc_state_log wrote out[LC_LOG_MAX]: only the first "
             "LC_LOG_MAX entries are kept. Hint: " T1 ", TODO 1.3.");
    for (int i = 3; i < LC_LOG_MAX; i++) {
        enum lc_state w = i % 3 == 0 ? LC_BLOCKED : i % 3 == 1 ? LC_RUNNABLE : LC_RUNNING;
        tl_check(s[i] == w, "log entry %d is %s, expected %s (a sleep is BLOCKED RUNNABLE RUNNING)",
                 i, lc_state_name(s[i]), lc_state_name(w));
    }
    void *r2 = NULL;
    rc = lc_join(t, &r2);
    tl_expect_ok(rc, "lc_join of a thread with a full log", T3);
    tl_check(r2 == ITEM(0), "lc_sleep(0) failed %ld times, expected never (0 ms is a valid time)",
             (long)(intptr_t)r2);
}

struct waiter {
    struct gate g;
    int rc;
    atomic_int left;       /* set after gate_wait returned */
    pthread_mutex_t *hold; /* the test holds it until it has seen the
                              waiter RUNNING again; NULL: no hold */
};

static void *wait_gate(void *arg)
{
    TPROLOGUE();
    struct waiter *w = arg;
    w->rc = gate_wait(&w->g);
    if (w->hold) { /* stay RUNNING, touching nothing of the layer's */
        pthread_mutex_lock(w->hold);
        pthread_mutex_unlock(w->hold);
    }
    atomic_store(&w->left, 1);
    return NULL;
}

TL_TEST(log_cond_wait_signal, 5, 10, "states cond")
{
    static pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;
    static struct waiter w = {GATE_INIT, -1, 0, &hold};
    lc_thread *t;
    pthread_mutex_lock(&hold);
    int rc = lc_create(&t, wait_gate, &w, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(t, LC_BLOCKED), "a thread waiting in lc_cond_wait for a gate was never seen "
             "BLOCKED (state %s after %.0f s). Hint: " T4 ", TODO 4.2.", lc_state_name(lc_state(t)), hang_secs());
    /* BLOCKED means queued: the signal must find it, with or without m. */
    pthread_mutex_lock(&w.g.m);
    w.g.open = 1;
    pthread_mutex_unlock(&w.g.m);
    rc = lc_cond_signal(&w.g.c);
    tl_expect_ok(rc, "lc_cond_signal", T4);
    /* The waiter now moves to RUNNING and then waits for `hold`, which
     * orders nothing of the layer's: that last move must be made under the
     * layer's lock like every other, or the race stage sees this read
     * (lc_state) meet the write. */
    tl_check(wait_state(t, LC_RUNNING), "lc_cond_signal did not wake the only waiter: it was never "
             "RUNNING again (state %s after %.0f s). Hint: " T4 ", TODO 4.3: take it off the queue, "
             "make it RUNNABLE, signal the waiter's own wake condition variable.",
             lc_state_name(lc_state(t)), hang_secs());
    pthread_mutex_unlock(&hold);
    tl_check(wait_state(t, LC_TERMINATED), "lc_cond_signal did not wake the only waiter (state %s "
             "after %.0f s). Hint: " T4 ", TODO 4.3: take it off the queue, make it RUNNABLE, "
             "signal the waiter's own wake condition variable.", lc_state_name(lc_state(t)), hang_secs());
    expect_log(t, LIFE_ONE_WAIT, "a thread that waits once in lc_cond_wait and is signalled");
    tl_expect_ok(w.rc, "lc_cond_wait (in the thread)", T4);
    tl_expect_ok(lc_join(t, NULL), "lc_join", T3);
    tl_check(w.g.c.head == NULL && w.g.c.tail == NULL, "after its only waiter was signalled, the "
             "lc_cond's queue is not empty (head %p, tail %p). Hint: " T4 ".", (void *)w.g.c.head,
             (void *)w.g.c.tail);
    rc = lc_cond_signal(&w.g.c);
    tl_expect_ok(rc, "lc_cond_signal with nobody waiting", T4);
    pthread_mutex_lock(&w.g.m);
    rc = lc_cond_wait(&w.g.c, &w.g.m);
    pthread_mutex_unlock(&w.g.m);
    tl_expect_rc(rc, EPERM, "lc_cond_wait from the test's main thread", "Only lc threads may wait.");
    tl_expect_rc(lc_cond_signal(NULL), EINVAL, "lc_cond_signal(NULL)", "");
    tl_expect_rc(lc_cond_broadcast(NULL), EINVAL, "lc_cond_broadcast(NULL)", "");
}

static int nested_after;
static volatile int really_exit = 1;

static void deep(int n)
{
    if (n == 0) {
        if (really_exit)
            lc_exit(ITEM(99));
        return;
    }
    deep(n - 1);
    nested_after = 1;
}

static void *exit_nested(void *arg)
{
    TPROLOGUE();
    deep(5);
    nested_after = 2;
    return ITEM(1);
}

TL_TEST(exit_from_nested_call, 3, 10, "create")
{
    lc_thread *t;
    int rc = lc_create(&t, exit_nested, NULL, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    void *ret = NULL;
    rc = lc_timedjoin(t, &ret, hang_ms());
    tl_expect_ok(rc, "lc_timedjoin of a thread that calls lc_exit", T3);
    tl_check(ret == ITEM(99), "lc_exit(99) five calls deep gave the joiner %p, expected %p. Hint: " T2
             ", TODO 2.5.", ret, ITEM(99));
    tl_check(nested_after == 0, "code after lc_exit ran (marker %d): lc_exit never returns, it ends "
             "the thread from any depth (pthread_exit). Hint: " T2 ".", nested_after);
}
