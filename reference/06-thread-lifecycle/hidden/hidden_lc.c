/*
 * hidden_lc.c - the same contracts with other inputs: FIFO signal and
 * broadcast, a cancel that must not steal a signal, joiners' logs,
 * handlers at return with a pending (disabled) cancel, cancel at the
 * entry of a wait, running out of memory, and Task 7 with data.
 */
#include "../tests/lc_test.h"

#include <unistd.h>

/* ---- a token queue: each waiter takes one token ---------------------- */
struct tokens {
    pthread_mutex_t m;
    struct lc_cond c;
    int n;                 /* tokens available; m */
};

static struct tokens tk = {PTHREAD_MUTEX_INITIALIZER, LC_COND_INIT, 0};

static void *take_token(void *arg)
{
    TPROLOGUE();
    pthread_mutex_lock(&tk.m);
    lc_cleanup_push(unlock_cleanup, &tk.m);
    while (tk.n == 0)
        lc_cond_wait(&tk.c, &tk.m);
    tk.n--;
    lc_cleanup_pop(1);
    return arg;
}

static void give(int n, int broadcast)
{
    pthread_mutex_lock(&tk.m);
    tk.n += n;
    int rc = broadcast ? lc_cond_broadcast(&tk.c) : lc_cond_signal(&tk.c);
    pthread_mutex_unlock(&tk.m);
    tl_expect_ok(rc, broadcast ? "lc_cond_broadcast" : "lc_cond_signal", T4);
}

static void start_queued(lc_thread **t, int n)
{
    for (int i = 0; i < n; i++) {
        int rc = lc_create(&t[i], take_token, ITEM(i + 1), LC_JOINABLE);
        tl_expect_ok(rc, "lc_create", T2);
        tl_check(wait_state(t[i], LC_BLOCKED), "waiter %d never blocked in lc_cond_wait (state %s)", i,
                 lc_state_name(lc_state(t[i])));
    }
}

/* A joiner that is not an lc thread, and a target that ends without any
 * wait of its own: only lc_exit's wakeup can reach the joiner. */
struct pj {
    lc_thread *t;
    int rc;
    void *ret;
};

static void *plain_joiner(void *arg)
{
    struct pj *p = arg;
    int rc;
    do /* EINVAL: the test's probe holds the join for a moment */
        rc = lc_timedjoin(p->t, &p->ret, hang_ms());
    while (rc == EINVAL);
    p->rc = rc;
    return NULL;
}

static atomic_int spin_go;

static void *spinner(void *arg)
{
    TPROLOGUE();
    while (!atomic_load(&spin_go))
        sched_yield();
    return arg;
}

TL_TEST(hidden_signal_fifo_and_broadcast, 4, 30, "cond")
{
    lc_thread *t[4];
    tk.n = 0;

    /* A plain pthread joins a thread; then four threads wait in the layer. */
    lc_thread *sp;
    int rc = lc_create(&sp, spinner, ITEM(11), LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    static struct pj pj;
    pj.t = sp;
    pj.rc = -1;
    pthread_t pt;
    tl_check(pthread_create(&pt, NULL, plain_joiner, &pj) == 0, "pthread_create failed");
    double end = tl_now() + hang_secs();
    while (lc_timedjoin(sp, NULL, 0) != EINVAL && tl_now() < end)
        sched_yield(); /* EINVAL once the other joiner is inside its wait */
    start_queued(t, 4);
    atomic_store(&spin_go, 1);
    pthread_join(pt, NULL);
    tl_check(pj.rc == 0 && pj.ret == ITEM(11), "a pthread (not an lc thread) in lc_timedjoin was not "
             "woken when its target terminated, while other threads waited in the layer: "
             "lc_timedjoin returned %s, value %p. lc_exit must signal t->ended, where a joiner "
             "that is not an lc thread waits. Hint: " T2 ", TODO 2.5.",
             tl_ename(pj.rc), pj.ret);

    give(1, 0);
    tl_check(wait_state(t[0], LC_TERMINATED), "four threads queued on an lc_cond in the order 0, 1, 2, "
             "3; one lc_cond_signal with one token: the oldest waiter (0) must wake and take it, but "
             "it is %s. Hint: " T4 ", TODO 4.3: a FIFO queue, signal takes the head.",
             lc_state_name(lc_state(t[0])));
    for (int i = 1; i < 4; i++)
        tl_check(lc_state(t[i]) == LC_BLOCKED, "after one signal, waiter %d is %s, expected still "
                 "BLOCKED: a signal wakes one waiter. Hint: " T4 ".", i, lc_state_name(lc_state(t[i])));
    give(3, 1);
    for (int i = 0; i < 4; i++) {
        void *ret;
        int rc = lc_timedjoin(t[i], &ret, hang_ms());
        tl_check(rc == 0, "after lc_cond_broadcast with enough tokens for everyone, waiter %d did not "
                 "end (lc_timedjoin: %s). Hint: " T4 ", TODO 4.4: broadcast wakes every waiter.", i, tl_ename(rc));
        tl_check(ret == ITEM(i + 1), "waiter %d returned %p", i, ret);
    }
    tl_check(tk.c.head == NULL && tk.c.tail == NULL, "the queue is not empty after everyone left");
}

TL_TEST(hidden_cancel_does_not_steal_signal, 3, 30, "cond cancel")
{
    lc_thread *t[2];
    tk.n = 0;
    start_queued(t, 2);
    int rc = lc_cancel(t[0]);
    tl_expect_ok(rc, "lc_cancel", T5);
    give(1, 0); /* at once: the cancel must have taken t[0] off the queue */
    void *ret = NULL;
    rc = lc_timedjoin(t[1], &ret, hang_ms());
    tl_check(rc == 0 && ret == ITEM(2), "waiter 0 was cancelled, then lc_cond_signal was called with "
             "one token: waiter 1 must get it, but its lc_timedjoin returned %s (value %p). lc_cancel "
             "takes its target off the queue at once, so a signal never goes to a cancelled thread. "
             "Hint: " T5 ", TODO 5.1.", tl_ename(rc), ret);
    rc = lc_timedjoin(t[0], &ret, hang_ms());
    tl_expect_ok(rc, "lc_timedjoin of the cancelled waiter", T3);
    tl_check(ret == LC_CANCELED, "the cancelled waiter ended with %p, expected LC_CANCELED", ret);
    tl_check(tk.n == 0, "%d tokens left: the cancelled waiter took one", tk.n);
}

/* ---- an lc joiner is BLOCKED; its target makes it RUNNABLE ---------- */
struct jn {
    lc_thread *target;
    int rc_timed, rc;
    void *ret;
};

static void *lc_joiner(void *arg)
{
    TPROLOGUE();
    struct jn *j = arg;
    j->rc_timed = lc_timedjoin(j->target, NULL, 20);
    j->rc = lc_join(j->target, &j->ret);
    return NULL;
}

TL_TEST(hidden_joiner_is_blocked, 3, 30, "join states")
{
    static const enum lc_state want[] = {LC_CREATED, LC_RUNNABLE, LC_RUNNING, LC_BLOCKED, LC_RUNNABLE,
                                         LC_RUNNING, LC_BLOCKED, LC_RUNNABLE, LC_RUNNING, LC_TERMINATED};
    lc_thread *w[1], *j;
    tk.n = 0;
    start_queued(w, 1);
    static struct jn a;
    a.target = w[0];
    int rc = lc_create(&j, lc_joiner, &a, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    /* Wait for the second BLOCKED: the untimed join. */
    double end = tl_now() + hang_secs();
    enum lc_state s[LC_LOG_MAX];
    while (lc_state_log(j, s, LC_LOG_MAX) < 7 && tl_now() < end)
        sched_yield();
    tl_check(lc_state(j) == LC_BLOCKED, "an lc thread in lc_join of a blocked thread is %s, expected "
             "BLOCKED (after its timed join gave up). Hint: " T3 ", TODO 3.1.", lc_state_name(lc_state(j)));
    /* lc_join is no cancellation point here: a cancel may wake it to look,
     * but it waits on. */
    tl_expect_ok(lc_cancel(j), "lc_cancel of a thread in lc_join", T5);
    rc = lc_timedjoin(j, NULL, 30);
    tl_expect_rc(rc, ETIMEDOUT, "lc_timedjoin(joiner, 30) while the joiner waits for a blocked thread",
              "The joiner cannot end before its target.");
    tl_check(lc_state(j) == LC_BLOCKED, "an lc thread in lc_join left its wait after lc_cancel (state "
             "%s), while its target is still blocked: lc_join is not a cancellation point in this "
             "layer, and a wakeup with nothing to do means: look, and wait again. Hint: " T3 ", TODO 3.1; "
             T5 ", TODO 5.1.", lc_state_name(lc_state(j)));
    give(1, 0);
    tl_check(wait_state(j, LC_TERMINATED), "the joiner never ended after its target did (state %s)",
             lc_state_name(lc_state(j)));
    expect_log(j, want, "an lc thread that times out in lc_timedjoin(20 ms) and then lc_joins (it makes "
               "itself RUNNABLE at the deadline; the target does it as it terminates)");
    tl_expect_ok(lc_join(j, NULL), "lc_join", T3);
    tl_expect_rc(a.rc_timed, ETIMEDOUT, "lc_timedjoin(…, 20) by an lc thread", "");
    tl_expect_ok(a.rc, "lc_join by an lc thread", T3);
    tl_check(a.ret == ITEM(1), "the joiner got %p, expected %p", a.ret, ITEM(1));
}

/* ---- handlers at return, with a disabled pending cancel ------------- */
static char hseq[16];
static int hn, hsleep_rc = -1, htest_rc = -1, hfull_rc = -1;
static void hx(void *arg) { hseq[hn++] = *(char *)arg; }
static void hsleep(void *arg)
{
    hseq[hn++] = *(char *)arg;
    hsleep_rc = lc_sleep(1);
    htest_rc = lc_testcancel();
}

static void *handlers_at_return(void *arg)
{
    TPROLOGUE();
    atomic_int *go = arg;
    lc_setcancelstate(LC_CANCEL_DISABLE, NULL);
    lc_cleanup_push(hsleep, "S");
    lc_cleanup_push(hx, "X");
    for (int i = 2; i < LC_CLEANUP_MAX; i++)
        lc_cleanup_push(hx, "y");
    hfull_rc = lc_cleanup_push(hx, "z");
    for (int i = 2; i < LC_CLEANUP_MAX; i++)
        lc_cleanup_pop(0);
    while (!atomic_load(go))
        sched_yield();
    lc_setcancelstate(LC_CANCEL_ENABLE, NULL); /* pending, but no point follows */
    return ITEM(77);
}

TL_TEST(hidden_handlers_run_at_return, 3, 30, "cleanup cancel")
{
    static atomic_int go;
    lc_thread *t;
    int rc = lc_create(&t, handlers_at_return, &go, LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    rc = lc_cancel(t);
    tl_expect_ok(rc, "lc_cancel", T5);
    atomic_store(&go, 1);
    void *ret = NULL;
    rc = lc_timedjoin(t, &ret, hang_ms());
    tl_expect_ok(rc, "lc_timedjoin", T3);
    tl_expect_rc(hfull_rc, ENOSPC, "lc_cleanup_push with LC_CLEANUP_MAX handlers pushed", "Hint: " T6 ".");
    tl_check(ret == ITEM(77), "the thread returned 77 with a cancel pending but no cancellation point "
             "after it; it ended with %p. Hint: returning from fn is not a cancellation point.", ret);
    tl_check(strcmp(hseq, "XS") == 0, "handlers left at return ran as \"%s\", expected \"XS\": "
             "returning from fn is lc_exit, which runs every handler left, last pushed first. "
             "Hint: " T2 ", TODO 2.5.", hseq);
    tl_check(hsleep_rc == 0 && htest_rc == 0, "inside a cleanup handler, with a cancel pending, "
             "lc_sleep returned %d and lc_testcancel %d, expected 0 and 0: handlers run with "
             "cancellation disabled. Hint: " T2 ", TODO 2.5.", hsleep_rc, htest_rc);
}

static void *just_value(void *arg)
{
    TPROLOGUE();
    return arg;
}

/* ---- cancel at the entry of a wait; cancel after the end; self ------- */
struct entry {
    struct gate g;
    atomic_int go;
    int which;
};

static void *entry_body(void *arg)
{
    TPROLOGUE();
    struct entry *e = arg;
    while (!atomic_load(&e->go))
        sched_yield();
    if (e->which == 0) {
        lc_sleep(3600 * 1000L);
    } else if (e->which == 1) {
        gate_wait(&e->g);
    } else {
        lc_cancel(lc_self());
        lc_testcancel();
    }
    return ITEM(5);
}

TL_TEST(hidden_cancel_at_entry_after_end_and_self, 3, 30, "cancel")
{
    static const enum lc_state no_wait[] = {LC_CREATED, LC_RUNNABLE, LC_RUNNING, LC_TERMINATED};
    static struct entry e[3] = {{GATE_INIT, 0, 0}, {GATE_INIT, 0, 1}, {GATE_INIT, 0, 2}};
    const char *what[3] = {"lc_sleep", "lc_cond_wait", "lc_cancel(lc_self()) then lc_testcancel"};
    for (int i = 0; i < 3; i++) {
        lc_thread *t;
        int rc = lc_create(&t, entry_body, &e[i], LC_JOINABLE);
        tl_expect_ok(rc, "lc_create", T2);
        if (i < 2)
            tl_expect_ok(lc_cancel(t), "lc_cancel", T5);
        atomic_store(&e[i].go, 1);
        tl_check(wait_state(t, LC_TERMINATED), "a thread with a cancel pending that calls %s never "
                 "ended (state %s). Hint: " T5 ".", what[i], lc_state_name(lc_state(t)));
        expect_log(t, no_wait, "a thread cancelled before it reached a cancellation point (it must "
                   "act at the entry of the wait, never BLOCKED)");
        void *ret;
        tl_expect_ok(lc_join(t, &ret), "lc_join", T3);
        tl_check(ret == LC_CANCELED, "%s with a cancel pending: exit value %p, expected LC_CANCELED",
                 what[i], ret);
    }
    tl_check(pthread_mutex_trylock(&e[1].g.m) == 0, "the gate's mutex stayed locked: a cancel at the "
             "entry of lc_cond_wait acts with m held, so the handler can unlock it");
    pthread_mutex_unlock(&e[1].g.m);

    lc_thread *t;
    int rc = lc_create(&t, just_value, ITEM(9), LC_JOINABLE);
    tl_expect_ok(rc, "lc_create", T2);
    tl_check(wait_state(t, LC_TERMINATED), "never TERMINATED");
    tl_expect_ok(lc_cancel(t), "lc_cancel of a TERMINATED thread", T5);
    void *ret;
    tl_expect_ok(lc_join(t, &ret), "lc_join", T3);
    tl_check(ret == ITEM(9), "a cancel sent after the thread ended changed its exit value to %p "
             "(expected %p): it must change nothing", ret, ITEM(9));
}

/* ---- out of memory, pthread_create failing -------------------------- */
TL_TEST(hidden_out_of_memory, 2, 30, "create errors")
{
    lc_thread *t = (lc_thread *)ITEM(1);
    fail_alloc(1);
    int rc = lc_create(&t, just_value, NULL, LC_JOINABLE);
    fail_alloc(0);
    tl_expect_rc(rc, ENOMEM, "lc_create when calloc/malloc fails", "Hint: " T2 ", TODO 2.1.");
    tl_check(t == (lc_thread *)ITEM(1), "a failed lc_create wrote %p to *out", (void *)t);
    fail_create(1);
    rc = lc_create(&t, just_value, NULL, LC_DETACHED);
    fail_create(0);
    tl_expect_rc(rc, EAGAIN, "lc_create when pthread_create fails with EAGAIN", "Return pthread_create's "
              "error (and free the record: the memory stage checks). Hint: " T2 ", TODO 2.3.");
    tl_check(t == (lc_thread *)ITEM(1), "a failed lc_create wrote %p to *out", (void *)t);
    rc = lc_create(&t, just_value, ITEM(4), LC_JOINABLE);
    tl_expect_ok(rc, "lc_create after the failures (the layer's lock must have been released)", T2);
    void *ret;
    tl_expect_ok(lc_timedjoin(t, &ret, hang_ms()), "lc_timedjoin", T3);
    tl_check(ret == ITEM(4), "exit value %p", ret);
}

/* ---- Task 7 with data: the handler runs through pop(1) -------------- */
struct rt {
    struct pc_reader r;
    atomic_int finished;
    void *ret;
};

static void *reader_tramp(void *arg)
{
    struct rt *x = arg;
    x->ret = pc_reader_main(&x->r);
    atomic_store(&x->finished, 1);
    return x->ret;
}

static int is_reading(void *arg)
{
    struct rt *x = arg;
    return atomic_load(&x->r.reading) || atomic_load(&x->finished);
}

TL_TEST(hidden_pcancel_data_pops_handler, 2, 30, "pcancel")
{
    int p[2];
    tl_check(pipe(p) == 0, "the test could not make a pipe");
    static struct rt x;
    memset(&x, 0, sizeof x);
    x.r.fd = p[0];
    x.r.bufsize = 64;
    pthread_t tid;
    tl_check(pthread_create(&tid, NULL, reader_tramp, &x) == 0, "pthread_create failed");
    tl_check(tl_poll_until(is_reading, &x, hang_secs()), "the reader never set reading. Hint: " T7 ".");
    if (!atomic_load(&x.r.reading)) {
        pthread_join(tid, NULL);
        tl_fail("pc_reader_main returned %ld before reading. Hint: " T7 ", TODO 7.1.", (long)(intptr_t)x.ret);
    }
    tl_check(write(p[1], "hello", 5) == 5, "the test could not write to the pipe");
    void *ret = NULL;
    pthread_join(tid, &ret);
    tl_check(ret == ITEM(5), "the reader read 5 bytes and returned %ld, expected 5. Hint: " T7 ".",
             (long)(intptr_t)ret);
    tl_check(atomic_load(&x.r.cleaned) == 1, "the reader returned normally but its cleanup handler did "
             "not run: pthread_cleanup_pop(1) runs it (and frees the buffer). Hint: " T7 ", TODO 7.1.");

    memset(&x, 0, sizeof x);
    x.r.fd = p[0];
    x.r.bufsize = 64;
    fail_alloc(1);
    tl_check(pthread_create(&tid, NULL, reader_tramp, &x) == 0, "pthread_create failed");
    pthread_join(tid, &ret);
    fail_alloc(0);
    tl_check(ret == ITEM(-1) && !atomic_load(&x.r.reading), "when malloc fails, pc_reader_main must "
             "return -1 without reading (it returned %ld, reading %d). Hint: " T7 ", TODO 7.1.",
             (long)(intptr_t)ret, atomic_load(&x.r.reading));
    close(p[0]);
    close(p[1]);
}
