/*
 * test_sync.c - the user-level mutex and condition variable: they park the
 * user thread, not the carrier (handout Task 5).
 */
#include "mn_test.h"

static struct tl_failbox fb = TL_FAILBOX_INIT;

static void fb_reset(void)
{
    atomic_store(&fb.failed, 0);
    fb.msg[0] = '\0';
}

/* ------------------------------------------------------------------ */

static mn_mutex_t pm;
static atomic_int h_locked, w_trying, w_got, r_steps_while_w_blocked, stuck;
static atomic_long r_steps;

static void *holder(void *p)
{
    (void)p;
    int rc = mn_mutex_lock(&pm);
    if (rc != 0) {
        tl_fb_fail(&fb, "mn_mutex_lock of a free mutex returned %d (%s). "
                   "Hint: Task 5.3.", rc, tl_ename(rc));
        atomic_store(&stuck, 1);
        return NULL;
    }
    atomic_store(&h_locked, 1);
    long mark = -1;
    double t0 = 0;
    /* Hold the mutex until the waiter blocks on it AND the runner has made
     * 100 steps since: with one carrier, that proves the carrier went on
     * running others while the waiter was blocked. */
    for (;;) {
        if (atomic_load(&w_trying) && mark < 0)
            mark = atomic_load(&r_steps);
        if (mark >= 0 && atomic_load(&r_steps) - mark >= 100)
            break;
        if (past(&t0, 10) || atomic_load(&stuck)) {
            atomic_store(&stuck, 1);
            break;
        }
        mn_yield();
    }
    if (mark >= 0)
        atomic_store(&r_steps_while_w_blocked, (int)(atomic_load(&r_steps) - mark));
    mn_mutex_unlock(&pm);
    return NULL;
}

static void *waiter(void *p)
{
    (void)p;
    double t0 = 0;
    while (!atomic_load(&h_locked) && !past(&t0, 10) && !atomic_load(&stuck))
        mn_yield();
    atomic_store(&w_trying, 1);
    int rc = mn_mutex_lock(&pm); /* the holder has it: we must park */
    atomic_store(&w_got, 1);
    if (rc == 0)
        mn_mutex_unlock(&pm);
    return NULL;
}

static void *runner(void *p)
{
    (void)p;
    double t0 = 0;
    while (!atomic_load(&w_got) && !atomic_load(&stuck)) {
        atomic_fetch_add(&r_steps, 1);
        if (past(&t0, 10))
            break;
        mn_yield();
    }
    return NULL;
}

TL_TEST(mutex_parks_user_thread_not_carrier, 5, 60, "mutex")
{
    fb_reset();
    atomic_store(&h_locked, 0);
    atomic_store(&w_trying, 0);
    atomic_store(&w_got, 0);
    atomic_store(&stuck, 0);
    atomic_store(&r_steps, 0);
    atomic_store(&r_steps_while_w_blocked, 0);
    MN_START(1);
    tl_expect_ok(mn_mutex_init(&pm), "mn_mutex_init", "Task 5.2");
    mn_t h, w, r;
    MN_SPAWN(h, holder, NULL);
    MN_SPAWN(w, waiter, NULL);
    MN_SPAWN(r, runner, NULL);
    int done = TL_WAIT_UNTIL(atomic_load(&w_got), 30);
    if (!done) {
        atomic_store(&stuck, 1);
        tl_fail("with ONE carrier: thread H locks an mn_mutex, thread W blocks "
                "on it, thread R keeps yielding, and H unlocks once R has made "
                "100 steps while W waits. W never got the mutex (R made %ld "
                "steps in all, H saw %d while W was blocked). If R stopped "
                "moving when W called mn_mutex_lock, the lock blocked the "
                "CARRIER: it must park the user thread (queue it on the mutex, "
                "park_prepare, unlock the guard, park_commit) so the carrier "
                "runs the others. Hint: Tasks 5.1 and 5.3.",
                atomic_load(&r_steps), atomic_load(&r_steps_while_w_blocked));
    }
    MN_JOIN(h, NULL);
    MN_JOIN(w, NULL);
    MN_JOIN(r, NULL);
    tl_fb_report(&fb);
    tl_check(!atomic_load(&stuck) && atomic_load(&r_steps_while_w_blocked) >= 100,
             "the holder gave up waiting: thread R made only %d steps while "
             "W was blocked on the mutex (wanted 100). Hint: Task 5.3.",
             atomic_load(&r_steps_while_w_blocked));
    tl_expect_ok(mn_mutex_destroy(&pm), "mn_mutex_destroy of a free mutex", "Task 5.2");
    MN_STOP();
}

/* ------------------------------------------------------------------ */

#define NWORK 8
static mn_mutex_t cm;
static long counter;        /* guarded by cm */
static atomic_int inside;   /* threads inside the critical section */
static atomic_int overlap;

static atomic_int cw_done; /* count_workers that have finished */

struct cw_arg {
    long iters;
    uint64_t seed;
};

static void *count_worker(void *p)
{
    struct cw_arg *a = p;
    struct tl_rng rng;
    tl_rng_init(&rng, a->seed);
    for (long i = 0; i < a->iters; i++) {
        int rc = mn_mutex_lock(&cm);
        if (rc != 0) {
            tl_fb_fail(&fb, "mn_mutex_lock returned %d (%s)", rc, tl_ename(rc));
            return NULL;
        }
        if (atomic_fetch_add(&inside, 1) != 0)
            atomic_store(&overlap, 1);
        long v = counter;
        if (tl_rng_below(&rng, 8) == 0)
            mn_yield(); /* holding the mutex: the others must park */
        counter = v + 1;
        atomic_fetch_sub(&inside, 1);
        mn_mutex_unlock(&cm);
        if (tl_rng_below(&rng, 4) == 0)
            mn_yield();
    }
    atomic_fetch_add(&cw_done, 1);
    return NULL;
}

/* The test's kernel thread reads mn_stats while the carriers count their
 * picks: under TSan, a counter read without the lock that guards it is a
 * reported race; everywhere, a count must never go down. 1 while sane. */
static int stats_sane(unsigned long *last_local)
{
    struct mn_stats st;
    if (mn_stats(&st) != 0 || st.local_runs < *last_local)
        return 0;
    *last_local = st.local_runs;
    return 1;
}

TL_TEST(mutex_counter_exact, 3, 60, "mutex stress")
{
    fb_reset();
    counter = 0;
    atomic_store(&inside, 0);
    atomic_store(&overlap, 0);
    atomic_store(&cw_done, 0);
    MN_START(2);
    tl_expect_ok(mn_mutex_init(&cm), "mn_mutex_init", "Task 5.2");
    struct cw_arg args[NWORK];
    mn_t id[NWORK];
    long iters = tl_iters(4000);
    for (int i = 0; i < NWORK; i++) {
        args[i].iters = iters;
        args[i].seed = tl_seed() + (uint64_t)i;
        MN_SPAWN(id[i], count_worker, &args[i]);
    }
    unsigned long last_local = 0;
    int sane = 1;
    TL_WAIT_UNTIL(!(sane = sane && stats_sane(&last_local)) || atomic_load(&cw_done) == NWORK, 60);
    for (int i = 0; i < NWORK; i++)
        MN_JOIN(id[i], NULL);
    tl_fb_report(&fb);
    tl_check(sane, "mn_stats, called while the carriers ran, failed or saw "
             "local_runs go down (last %lu). Hint: Task 2.11 (read each "
             "counter under the lock that guards it).", last_local);
    tl_check(!atomic_load(&overlap) && counter == NWORK * iters,
             "%d user threads on 2 carriers each added 1 to a counter %ld "
             "times under one mn_mutex (sometimes yielding inside): the "
             "counter is %ld, expected %ld%s. Hint: Tasks 5.3-5.4 (the "
             "unlocker hands the mutex to the first waiter, under the guard).",
             NWORK, iters, counter, NWORK * iters,
             atomic_load(&overlap) ? ", and two threads were inside at once" : "");
    tl_expect_ok(mn_mutex_destroy(&cm), "mn_mutex_destroy", "Task 5.2");
    MN_STOP();
}

/* ------------------------------------------------------------------ */

#define NPAIRS 4
struct pingpong {
    mn_mutex_t m;
    mn_cond_t cv[2];
    int turn;           /* whose move: 0 or 1 (m) */
    long moves;         /* (m) */
    long rounds;
    atomic_long progress;
};
static struct pingpong pp[NPAIRS];

struct pp_arg {
    struct pingpong *g;
    int side;
};

static void *player(void *p)
{
    struct pp_arg *a = p;
    struct pingpong *g = a->g;
    for (long r = 0; r < g->rounds; r++) {
        mn_mutex_lock(&g->m);
        while (g->turn != a->side)
            mn_cond_wait(&g->cv[a->side], &g->m);
        g->moves++;
        g->turn = 1 - a->side;
        mn_cond_signal(&g->cv[1 - a->side]);
        mn_mutex_unlock(&g->m);
        atomic_fetch_add(&g->progress, 1);
    }
    return NULL;
}

static long pp_progress(void)
{
    long s = 0;
    for (int i = 0; i < NPAIRS; i++)
        s += atomic_load(&pp[i].progress);
    return s;
}

TL_TEST(cond_ping_pong_no_lost_wakeup, 3, 240, "cond stress")
{
    MN_START(2);
    struct pp_arg args[NPAIRS][2];
    mn_t id[NPAIRS][2];
    long rounds = tl_iters(5000);
    for (int i = 0; i < NPAIRS; i++) {
        memset(&pp[i], 0, sizeof pp[i]);
        tl_expect_ok(mn_mutex_init(&pp[i].m), "mn_mutex_init", "Task 5.2");
        tl_expect_ok(mn_cond_init(&pp[i].cv[0]), "mn_cond_init", "Task 5.5");
        tl_expect_ok(mn_cond_init(&pp[i].cv[1]), "mn_cond_init", "Task 5.5");
        pp[i].rounds = rounds;
    }
    for (int i = 0; i < NPAIRS; i++)
        for (int s = 0; s < 2; s++) {
            args[i][s] = (struct pp_arg){&pp[i], s};
            MN_SPAWN(id[i][s], player, &args[i][s]);
        }
    long want = 2L * NPAIRS * rounds;
    int ok = TL_WAIT_PROGRESS(pp_progress(), want, 10);
    tl_check(ok,
             "%d pairs of user threads on 2 carriers play ping-pong with an "
             "mn_mutex and two mn_conds (%ld moves each side); progress "
             "stopped for 10 s at %ld of %ld moves: a wakeup was lost (a signal "
             "that found no waiter while one was about to wait, or a woken "
             "thread that was never queued). Hint: Task 5.6 (queue on the "
             "condvar BEFORE unlocking the mutex) and 5.1 (wake during a "
             "park leaves a note for the worker).",
             NPAIRS, rounds, pp_progress(), want);
    for (int i = 0; i < NPAIRS; i++)
        for (int s = 0; s < 2; s++)
            MN_JOIN(id[i][s], NULL);
    for (int i = 0; i < NPAIRS; i++) {
        tl_check(pp[i].moves == 2 * rounds, "pair %d made %ld moves, expected "
                 "%ld.", i, pp[i].moves, 2 * rounds);
        tl_expect_ok(mn_cond_destroy(&pp[i].cv[0]), "mn_cond_destroy", "Task 5.5");
        tl_expect_ok(mn_cond_destroy(&pp[i].cv[1]), "mn_cond_destroy", "Task 5.5");
        tl_expect_ok(mn_mutex_destroy(&pp[i].m), "mn_mutex_destroy", "Task 5.2");
    }
    MN_STOP();
}

/* ------------------------------------------------------------------ */

static mn_mutex_t em;
static mn_cond_t ec;
static int e_flag;
static int e_rc[8];

static void *err_waiter(void *p)
{
    (void)p;
    mn_mutex_lock(&em);
    while (!e_flag)
        mn_cond_wait(&ec, &em);
    mn_mutex_unlock(&em);
    return NULL;
}

static void *err_checker(void *p)
{
    (void)p;
    /* The waiter ran first (one carrier, FIFO) and waits on ec. */
    e_rc[0] = mn_mutex_unlock(&em);          /* not ours: EPERM */
    e_rc[1] = mn_cond_wait(&ec, &em);        /* not ours: EPERM */
    e_rc[2] = mn_mutex_lock(&em);            /* 0 */
    e_rc[3] = mn_mutex_lock(&em);            /* again: EDEADLK */
    e_rc[4] = mn_mutex_destroy(&em);         /* locked: EBUSY */
    e_rc[5] = mn_cond_destroy(&ec);          /* a waiter: EBUSY */
    e_flag = 1;
    mn_cond_broadcast(&ec);
    mn_mutex_unlock(&em);
    return NULL;
}

TL_TEST(mutex_cond_errors, 2, 30, "mutex cond")
{
    e_flag = 0;
    MN_START(1);
    tl_expect_ok(mn_mutex_init(&em), "mn_mutex_init", "Task 5.2");
    tl_expect_ok(mn_cond_init(&ec), "mn_cond_init", "Task 5.5");
    int rc = mn_mutex_lock(&em);
    tl_expect_rc(rc, EPERM, "mn_mutex_lock from a kernel thread that is not a user thread",
                 "Only user threads can park (mn.h).");
    rc = mn_cond_wait(&ec, &em);
    tl_expect_rc(rc, EPERM, "mn_cond_wait from a kernel thread", "Only user threads can park.");
    mn_t w, c;
    MN_SPAWN(w, err_waiter, NULL);
    MN_SPAWN(c, err_checker, NULL);
    MN_JOIN(c, NULL);
    MN_JOIN(w, NULL);
    static const int want[6] = {EPERM, EPERM, 0, EDEADLK, EBUSY, EBUSY};
    static const char *what[6] = {
        "mn_mutex_unlock of a mutex another thread holds",
        "mn_cond_wait with a mutex the caller does not hold",
        "mn_mutex_lock of a free mutex",
        "mn_mutex_lock of a mutex the caller already holds",
        "mn_mutex_destroy of a locked mutex",
        "mn_cond_destroy of a condvar a thread waits on"};
    for (int i = 0; i < 6; i++)
        tl_expect_rc(e_rc[i], want[i], what[i], "See mn.h. Hint: Task 5.");
    tl_expect_ok(mn_cond_destroy(&ec), "mn_cond_destroy", "Task 5.5");
    tl_expect_ok(mn_mutex_destroy(&em), "mn_mutex_destroy", "Task 5.2");
    MN_STOP();
}

/* ------------------------------------------------------------------ */

#define NKW 6
static mn_mutex_t km;
static mn_cond_t kc;
static atomic_long tickets, consumed;

static void *ticket_taker(void *p)
{
    long want = (long)p;
    for (long i = 0; i < want; i++) {
        mn_mutex_lock(&km);
        long t;
        /* tickets is bumped by a kernel thread that cannot take km: it
         * broadcasts again and again, so no wakeup can be lost for good */
        while ((t = atomic_load(&tickets)) == 0 ||
               !atomic_compare_exchange_strong(&tickets, &t, t - 1))
            if (t == 0)
                mn_cond_wait(&kc, &km);
        mn_mutex_unlock(&km);
        atomic_fetch_add(&consumed, 1);
    }
    return NULL;
}

TL_TEST(cond_broadcast_from_kernel_thread, 3, 240, "cond")
{
    atomic_store(&tickets, 0);
    atomic_store(&consumed, 0);
    MN_START(2);
    tl_expect_ok(mn_mutex_init(&km), "mn_mutex_init", "Task 5.2");
    tl_expect_ok(mn_cond_init(&kc), "mn_cond_init", "Task 5.5");
    long each = tl_iters(400);
    mn_t id[NKW];
    for (int i = 0; i < NKW; i++)
        MN_SPAWN(id[i], ticket_taker, (void *)each);
    long total = each * NKW;
    double end = tl_now() + 10.0 * (double)tl_slow(); /* pushed on by progress */
    long seen = 0;
    for (long given = 0; atomic_load(&consumed) < total && tl_now() < end;) {
        if (atomic_load(&consumed) != seen) {
            seen = atomic_load(&consumed);
            end = tl_now() + 10.0 * (double)tl_slow();
        }
        if (given < total && atomic_load(&tickets) < 4) {
            atomic_fetch_add(&tickets, 1);
            given++;
        }
        /* from a plain kernel thread, without km: signal and broadcast */
        int rc = given % 2 ? mn_cond_signal(&kc) : mn_cond_broadcast(&kc);
        tl_expect_ok(rc, "mn_cond_signal/broadcast from a kernel thread", "Task 5.7");
    }
    tl_check(atomic_load(&consumed) == total,
             "%d user threads wait on an mn_cond for tickets that the test's "
             "own kernel thread hands out, signalling or broadcasting after "
             "each (and again and again), without holding the mutex; progress stopped for 10 s at %ld of %ld tickets taken. A "
             "user thread woken from a kernel thread goes to the GLOBAL queue "
             "(no carrier), and a parked carrier must be woken for it. Hint: "
             "Tasks 5.7, 2.2 and 3.2.", NKW, atomic_load(&consumed), total);
    for (int i = 0; i < NKW; i++)
        MN_JOIN(id[i], NULL);
    tl_expect_ok(mn_cond_destroy(&kc), "mn_cond_destroy", "Task 5.5");
    tl_expect_ok(mn_mutex_destroy(&km), "mn_mutex_destroy", "Task 5.2");
    MN_STOP();
}

/* ------------------------------------------------------------------ */

static mn_mutex_t hm;
static mn_cond_t hc;
static atomic_int hflag, hstop;
static atomic_long hrounds;

static void *hs_waiter(void *p)
{
    long want = (long)p;
    for (long i = 0; i < want && !atomic_load(&hstop); i++) {
        mn_mutex_lock(&hm);
        while (!atomic_load(&hflag) && !atomic_load(&hstop))
            mn_cond_wait(&hc, &hm);
        atomic_store(&hflag, 0);
        mn_mutex_unlock(&hm);
        atomic_fetch_add(&hrounds, 1);
    }
    return NULL;
}

/* Never parks on the condvar: spins (on its own carrier) until the waiter
 * has taken the flag, then raises it again and signals. */
static void *hs_signaller(void *p)
{
    long want = (long)p;
    for (long i = 0; i < want && !atomic_load(&hstop); i++) {
        while (atomic_load(&hflag) && !atomic_load(&hstop))
            ; /* spin: keep this carrier, so the waiter runs on the other */
        mn_mutex_lock(&hm);
        atomic_store(&hflag, 1);
        mn_cond_signal(&hc);
        mn_mutex_unlock(&hm);
    }
    return NULL;
}

TL_TEST(cond_handshake_across_carriers, 3, 240, "cond stress")
{
    atomic_store(&hflag, 0);
    atomic_store(&hstop, 0);
    atomic_store(&hrounds, 0);
    MN_START(2);
    tl_expect_ok(mn_mutex_init(&hm), "mn_mutex_init", "Task 5.2");
    tl_expect_ok(mn_cond_init(&hc), "mn_cond_init", "Task 5.5");
    long rounds = tl_iters(8000);
    mn_t w, s;
    MN_SPAWN(w, hs_waiter, (void *)rounds);
    MN_SPAWN(s, hs_signaller, (void *)rounds);
    int ok = TL_WAIT_PROGRESS(atomic_load(&hrounds), rounds, 10);
    atomic_store(&hstop, 1);
    if (!ok)
        for (int i = 0; i < 100 && !TL_WAIT_UNTIL(0, 0.001); i++)
            mn_cond_broadcast(&hc);
    MN_JOIN(w, NULL);
    MN_JOIN(s, NULL);
    tl_check(ok, "a waiter and a signaller on different carriers hand a flag "
             "back and forth with an mn_mutex and an mn_cond (%ld rounds); "
             "progress stopped for 10 s after %ld: a wakeup was lost. The waiter "
             "must be on the condvar's queue BEFORE it releases the mutex: a "
             "signaller that takes the mutex next must find it there. Hint: "
             "Task 5.6.", rounds, atomic_load(&hrounds));
    tl_expect_ok(mn_cond_destroy(&hc), "mn_cond_destroy", "Task 5.5");
    tl_expect_ok(mn_mutex_destroy(&hm), "mn_mutex_destroy", "Task 5.2");
    MN_STOP();
}
