/*
 * test_races.c - lab 12: the runtime's own locks, under contention.
 *
 * Each test here makes one window of the runtime wide or busy: an M on its
 * way to sleep while work arrives, a channel closed while another M polls
 * it, rings and the global queue touched by several Ms at once. A runtime
 * that keeps its locking rules passes every run; one that skips a lock
 * loses a wakeup (a message here) or is reported by ThreadSanitizer (the
 * race stage runs these tests).
 */
#include "gmp_test.h"

#include <pthread.h>
#include <sched.h>

/* ------------------------------------------------------------------ */
/* A G sent from outside while the only M heads for sleep             */
/* ------------------------------------------------------------------ */

#define NAP_NS 50000L /* how long each idle wait lingers, holding sched.lock */
#define NAP_ROUNDS 1500

static int nap_pipe[2];
static gmp_chan *nap_chan;
static atomic_long nap_done;
static atomic_int nap_quit;

/* Forever: take a value off nap_chan (parking until one comes), answer
 * on the pipe. -1 ends it. */
static void nap_echo(void *a)
{
    (void)a;
    long v;
    while (gmp_chan_recv(nap_chan, &v) && v >= 0) {
        char b = 1;
        if (write(nap_pipe[1], &b, 1) != 1)
            G_FAIL("write to the test's pipe failed (errno %s)", tl_ename(errno));
    }
}

/* Each round: hand nap_echo a value (readying it into this P's runnext),
 * then block this M in a plain read() that the runtime knows nothing of,
 * so this P stays taken: only the other M can run nap_echo, and it must be
 * woken for it. */
static void nap_sender(void *a)
{
    long rounds = (long)(intptr_t)a;
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    for (long r = 0; r < rounds && !atomic_load(&nap_quit); r++) {
        gmp_chan_send(nap_chan, &r);
        char b;
        if (read(nap_pipe[0], &b, 1) != 1 || atomic_load(&nap_quit))
            break;
        atomic_fetch_add(&nap_done, 1);
        /* the next value lands somewhere on the other M's way to sleep */
        double next = tl_now() + (double)tl_rng_below(&rng, 2 * NAP_NS) * 1e-9;
        while (tl_now() < next)
            ;
    }
    long end = -1;
    gmp_chan_send(nap_chan, &end);
}

TL_TEST(go_from_a_g_wakes_a_parking_m, 2, 60, "m1 park")
{
    tl_check(pipe(nap_pipe) == 0, "pipe failed (errno %s)", tl_ename(errno));
    nap_chan = gmp_chan_make(sizeof(long), 0);
    tl_check(nap_chan != NULL, "gmp_chan_make(sizeof(long), 0) returned NULL "
             "(errno %s). Hint: %s", tl_ename(errno),
             gmp_hint(errno, "handout Task 2.2."));
    START(2);
    /* every M's idle wait now spins NAP_NS with sched.lock held before it
     * really waits: the window between "no work seen" and "asleep" */
    tl_delay_waits(NAP_NS, TL_DELAY_OTHERS);
    long rounds = tl_iters(NAP_ROUNDS);
    GO(nap_echo, NULL);
    GO(nap_sender, (void *)(intptr_t)rounds);
    int ok = TL_WAIT_PROGRESS(atomic_load(&nap_done), rounds, 10);
    tl_delay_waits(0, 0);
    if (!ok) { /* free the spawner's M so that the runtime can stop */
        atomic_store(&nap_quit, 1);
        char b = 0;
        tl_check(write(nap_pipe[1], &b, 1) == 1, "write to the pipe failed");
    }
    FINISH("go_from_a_g_wakes_a_parking_m");
    tl_fb_report(&fb);
    tl_check(ok, "2 Ps. Round %ld of %ld: a G readied by a channel send never "
             "ran in 10 s. The sender kept its own P (blocked in a read the "
             "runtime cannot see), so only the other M could run the receiver; "
             "that M had found no work and was on its way to sleep, holding "
             "sched.lock (this test makes that way slow), and the wakeup went "
             "to nobody. wakep must signal the idle condition variable with "
             "sched.lock held; a sleeping M re-checks for work under that "
             "lock before it waits. Hint: handout Task 1.5 (wakep, stopm).",
             atomic_load(&nap_done) + 1, rounds);
    struct gmp_stats st;
    STATS(st);
    tl_check(st.m_parks > 0, "%ld goroutines were readied one at a time while "
             "one P was idle, yet no M ever slept (gmp_stats m_parks = 0): an "
             "M with nothing to run sleeps (stopm) and counts it. Hint: handout "
             "Task 1.5.", rounds);
    gmp_chan_free(nap_chan);
    close(nap_pipe[0]);
    close(nap_pipe[1]);
}

/* ------------------------------------------------------------------ */
/* close while another M polls the channel                            */
/* ------------------------------------------------------------------ */

#define CP_CHANS 40
#define CP_VALUES 64

struct close_poll {
    gmp_chan *c;
    atomic_int finished;   /* the poller saw the close */
};

static struct close_poll cp[CP_CHANS];
static atomic_int cp_done;

/* Nonblocking receives in a loop, never parking (a gosched now and then,
 * so that one P is enough): while the closer runs on the other P, this G
 * keeps reading the channel's state from its own M. */
static void cp_poller(void *a)
{
    struct close_poll *x = a;
    long want = 0, v = -1, polls = 0;
    double t0 = 0;
    for (;;) {
        size_t len = gmp_chan_len(x->c);
        if (len > 8) {
            G_FAIL("channel %ld: gmp_chan_len said %zu of a capacity of 8. "
                   "Hint: handout Task 2.2.", (long)(x - cp), len);
            break;
        }
        struct gmp_case rc = {.c = x->c, .dir = GMP_RECV, .elem = &v};
        int k = gmp_select(&rc, 1, 0);
        if (k == 0 && rc.ok) {
            if (v != want) {
                G_FAIL("channel %ld: received %ld where %ld was next (one "
                       "sender, FIFO). Hint: handout Task 2.3.",
                       (long)(x - cp), v, want);
                break;
            }
            want++;
        } else if (k == 0) {
            if (want != CP_VALUES)
                G_FAIL("channel %ld: closed after %ld of %d values were "
                       "received: a value sent before close was lost. Hint: "
                       "handout Task 2.5.", (long)(x - cp), want, CP_VALUES);
            break;
        } else if (too_long(&t0, 20)) {
            G_FAIL("channel %ld: no close seen in 20 s (%ld values in). Hint: "
                   "handout Tasks 2.4-2.5.", (long)(x - cp), want);
            break;
        } else if ((++polls & 63) == 0) {
            gmp_gosched();
        }
    }
    atomic_store(&x->finished, 1);
    atomic_fetch_add(&cp_done, 1);
}

static void cp_closer(void *a)
{
    struct close_poll *x = a;
    for (long i = 0; i < CP_VALUES; i++)
        gmp_chan_send(x->c, &i);
    gmp_chan_close(x->c);
}

static int go_one(void (*fn)(void *), void *arg)
{
    if (gmp_go(fn, arg))
        return 1;
    G_FAIL("gmp_go from a goroutine returned NULL (errno %s). Hint: handout "
           "Task 1.2.", tl_ename(errno));
    return 0;
}

static void cp_main(void *a)
{
    (void)a;
    for (int i = 0; i < CP_CHANS && !tl_fb_failed(&fb); i++) {
        if (!go_one(cp_poller, &cp[i]) || !go_one(cp_closer, &cp[i]))
            return;
        double t0 = 0;
        while (!atomic_load(&cp[i].finished) && !too_long(&t0, 30))
            gmp_gosched();
    }
}

TL_TEST(close_while_another_m_polls, 1, 90, "m2 race")
{
    for (int i = 0; i < CP_CHANS; i++) {
        cp[i].c = gmp_chan_make(sizeof(long), 8);
        tl_check(cp[i].c != NULL, "gmp_chan_make(sizeof(long), 8) returned NULL "
                 "(errno %s). Hint: %s", tl_ename(errno),
                 gmp_hint(errno, "handout Task 2.2."));
    }
    START(2);
    GO(cp_main, NULL);
    AWAIT_COUNT(atomic_load(&cp_done), CP_CHANS, 20,
                "2 Ps: one G sends %d values on a buffered channel and closes "
                "it while another G polls it without parking; %d of %d pollers "
                "saw the close. Hint: handout Task 2.5.", CP_VALUES,
                atomic_load(&cp_done), CP_CHANS);
    FINISH("close_while_another_m_polls");
    for (int i = 0; i < CP_CHANS; i++)
        gmp_chan_free(cp[i].c);
}

/* ------------------------------------------------------------------ */
/* Four Ps: overflowing rings, a busy global queue, thieves everywhere */
/* ------------------------------------------------------------------ */

#define ST_SPAWNERS 4
#define ST_EACH 600 /* more than a ring holds: a spawner left alone overflows */

static atomic_uchar st_runs[ST_SPAWNERS * ST_EACH];
static atomic_int st_done;

static void st_leaf(void *a)
{
    long i = (long)(intptr_t)a;
    if (atomic_fetch_add(&st_runs[i], 1) != 0)
        G_FAIL("goroutine %ld ran twice: a G moved between queues (steal, "
               "overflow to global, global to a ring) must leave the one it "
               "came from. Hint: handout Tasks 1.3-1.4.", i);
    for (int k = 0; k < 400; k++) /* slower than a spawn: rings fill up */
        __builtin_ia32_pause();
    atomic_fetch_add(&st_done, 1);
}

static void st_spawner(void *a)
{
    long base = (long)(intptr_t)a * ST_EACH;
    for (long i = 0; i < ST_EACH; i++) /* no yield: the ring overflows */
        if (!go_one(st_leaf, (void *)(intptr_t)(base + i)))
            return;
}

TL_TEST(four_ps_share_every_queue, 1, 90, "m1 stress race")
{
    START(4);
    for (long s = 0; s < ST_SPAWNERS; s++)
        GO(st_spawner, (void *)(intptr_t)s);
    int total = ST_SPAWNERS * ST_EACH;
    AWAIT_COUNT(atomic_load(&st_done), total, 10,
                "4 Ps, %d goroutines each spawning %d without a yield: %d of "
                "%d ran, then nothing moved. Hint: handout Tasks 1.3-1.5.",
                ST_SPAWNERS, ST_EACH, atomic_load(&st_done), total);
    FINISH("four_ps_share_every_queue");
}

/* ------------------------------------------------------------------ */
/* Runtimes started and stopped while another thread reads the stats  */
/* ------------------------------------------------------------------ */

#define CYCLES 25

static atomic_int watch_quit;
static atomic_long watch_reads;

static void watched_g(void *a)
{
    (void)a;
    atomic_fetch_add(&watch_reads, 0);
}

/* A plain kernel thread: gmp_stats and gmp_set_preempt in a loop,
 * whatever the runtime is doing (their contracts allow any thread, ESRCH
 * when no runtime is up). */
static void *watcher(void *a)
{
    (void)a;
    struct gmp_stats s;
    while (!atomic_load(&watch_quit)) {
        if (gmp_stats(&s) == 0) {
            if (s.live < 0 || s.exited > s.spawned)
                tl_fb_fail(&fb, "gmp_stats from another thread read live = "
                           "%ld, exited %lu of %lu spawned: the counters were "
                           "read while a runtime was being built or torn down. "
                           "Hint: handout Task 1.7.", s.live, s.exited, s.spawned);
            atomic_fetch_add(&watch_reads, 1);
        } else if (errno != ESRCH) {
            tl_fb_fail(&fb, "gmp_stats from another thread failed with errno %s "
                       "(only ESRCH, before the first gmp_start, is allowed). "
                       "Hint: handout Task 1.7.", tl_ename(errno));
        }
        /* the preemption knob too: ESRCH or the old setting (the
           runtime turns it on at gmp_start; this only turns it on again) */
        int old = gmp_set_preempt(1);
        if (old == -1 ? errno != ESRCH : old != 0 && old != 1)
            tl_fb_fail(&fb, "gmp_set_preempt(1) from another thread while "
                       "runtimes start and stop returned %d (errno %s): "
                       "expected 0 or 1, or -1 with ESRCH when no runtime "
                       "is up. Hint: handout Task 7.1.", old, tl_ename(errno));
        sched_yield();
    }
    return NULL;
}

TL_TEST(runtimes_come_and_go_under_watch, 1, 90, "m1 race")
{
    pthread_t w;
    tl_check(pthread_create(&w, NULL, watcher, NULL) == 0, "pthread_create failed");
    /* Ms linger on their way to sleep, holding sched.lock: a stop that
     * does not take that lock is missed by an M in the window, and
     * gmp_wait's join of it never returns */
    tl_delay_waits(NAP_NS, TL_DELAY_OTHERS);
    for (int c = 0; c < CYCLES && !tl_fb_failed(&fb); c++) {
        START(2);
        for (int i = 0; i < 4; i++)
            GO(watched_g, NULL);
        FINISH("runtimes_come_and_go_under_watch");
        /* a while with no runtime up, so that the watcher reads what
           gmp_wait left (not a wait for anything: any length passes) */
        double gap = tl_now() + 1e-3;
        while (tl_now() < gap)
            sched_yield();
    }
    tl_delay_waits(0, 0);
    atomic_store(&watch_quit, 1);
    pthread_join(w, NULL);
    tl_fb_report(&fb);
    tl_check(atomic_load(&watch_reads) > 0, "the watching thread never got a "
             "successful gmp_stats in %d start/wait cycles. Hint: handout Task "
             "1.7.", CYCLES);
}

/* ------------------------------------------------------------------ */
/* The last G exits while gmp_wait is on its way to sleep              */
/* ------------------------------------------------------------------ */

#define LE_ROUNDS 300
#define LE_NAP_NS 500000L /* gmp_wait's way to sleep, stretched */

static atomic_long le_rounds_done;
static long le_rounds;

static atomic_int le_running;

/* Says it runs, then exits after a random spin of 0-2 LE_NAP_NS: often
 * inside the window where the owner saw it live and has not slept yet. */
static void le_g(void *a)
{
    atomic_store(&le_running, 1);
    double end = tl_now() + (double)(intptr_t)a * 1e-9;
    while (tl_now() < end)
        ;
}

/* The owner of each runtime: a thread of its own, so that the test thread
 * can still report when a gmp_wait never returns. */
static void *le_owner(void *a)
{
    (void)a;
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    /* this thread's waits alone (gmp_wait's) linger LE_NAP_NS holding
     * their mutex: gmp_wait has seen one G live and is not asleep yet;
     * the Ms run at full speed */
    tl_delay_waits(LE_NAP_NS, TL_DELAY_SELF);
    for (long r = 0; r < le_rounds && !tl_fb_failed(&fb); r++) {
        if (gmp_start(1) != 0) {
            int e = errno;
            tl_fb_fail(&fb, "gmp_start(1) failed (errno %s). Hint: %s",
                       tl_ename(e), gmp_hint(e, "handout Task 1.7."));
            return NULL;
        }
        atomic_store(&le_running, 0);
        if (!gmp_go(le_g, (void *)(intptr_t)tl_rng_below(&rng, 2 * LE_NAP_NS))) {
            tl_fb_fail(&fb, "gmp_go failed (errno %s). Hint: handout Task "
                       "1.2.", tl_ename(errno));
            return NULL;
        }
        /* the G runs (its M holds no runtime lock) before gmp_wait looks */
        if (!TL_WAIT_UNTIL(atomic_load(&le_running), 10)) {
            tl_fb_fail(&fb, "a G made by gmp_go from the thread that called "
                       "gmp_start(1) did not run in 10 s. Hint: handout Tasks "
                       "1.2 and 1.5.");
            return NULL;
        }
        if (gmp_wait() != 0) {
            tl_fb_fail(&fb, "gmp_wait failed (errno %s). Hint: handout Task "
                       "1.7.", tl_ename(errno));
            return NULL;
        }
        atomic_fetch_add(&le_rounds_done, 1);
    }
    return NULL;
}

TL_TEST(last_exit_wakes_gmp_wait, 1, 60, "m1 park")
{
    le_rounds = tl_iters(LE_ROUNDS);
    atomic_store(&le_rounds_done, 0);
    struct tl_thread owner;
    tl_thread_start(&owner, le_owner, NULL);
    int ok = TL_WAIT_PROGRESS(atomic_load(&le_rounds_done), le_rounds, 10);
    tl_delay_waits(0, 0);
    tl_fb_report(&fb);
    tl_check(ok, "start, go one G, gmp_wait, %ld times: in round %ld "
             "gmp_wait did not return for 10 s. The G had exited while "
             "gmp_wait was between its look at `live` (1) and its sleep (this "
             "test makes that step slow), and the wakeup went to nobody. The "
             "last G's exit must broadcast `done` holding sched.lock, the "
             "lock gmp_wait holds from its look to its sleep. Hint: handout "
             "Tasks 1.5 and 1.7.", le_rounds, (long)atomic_load(&le_rounds_done) + 1);
    tl_threads_join(&owner, 1);
}

/* ------------------------------------------------------------------ */
/* Half a full ring, handed to the global queue, taken by another M    */
/* ------------------------------------------------------------------ */

/* One G more than a ring and runnext hold: the last spawn overflows. */
#define OV2_N (GMP_RUNQ_SIZE + 2)

static int ov2_pipe[2];
static atomic_int ov2_blocked, ov2_spawned, ov2_ran;
static atomic_uchar ov2_runs[OV2_N + 1];

/* Holds its P: a read() the runtime cannot see, until the test writes. */
static void ov2_blocker(void *a)
{
    (void)a;
    atomic_store_explicit(&ov2_blocked, 1, memory_order_relaxed);
    char b;
    if (read(ov2_pipe[0], &b, 1) != 1)
        G_FAIL("read from the test's pipe failed (errno %s)", tl_ename(errno));
}

static void ov2_leaf(void *a)
{
    if (atomic_fetch_add(&ov2_runs[(intptr_t)a], 1) != 0)
        G_FAIL("goroutine %ld ran twice. Hint: handout Task 1.3.", (long)(intptr_t)a);
    atomic_fetch_add_explicit(&ov2_ran, 1, memory_order_relaxed);
}

/* Fills its ring while the other P is held, so the last go overflows;
 * then keeps its P, touching nothing the runtime shares, until the other
 * M has run goroutines out of the global queue. The flags are relaxed on
 * purpose: no happens-before edge from here reaches that M except the
 * ones the runtime itself makes. */
static void ov2_spawner(void *a)
{
    (void)a;
    for (long i = 0; i < OV2_N; i++)
        if (!gmp_go(ov2_leaf, (void *)(intptr_t)i)) {
            G_FAIL("gmp_go from a goroutine returned NULL (errno %s). Hint: "
                   "handout Task 1.2.", tl_ename(errno));
            break;
        }
    atomic_store_explicit(&ov2_spawned, 1, memory_order_relaxed);
    double t0 = 0;
    while (atomic_load_explicit(&ov2_ran, memory_order_relaxed) == 0 && !too_long(&t0, 10))
        __builtin_ia32_pause();
}

TL_TEST(overflow_is_taken_by_another_m, 1, 60, "m1 race")
{
    tl_check(pipe(ov2_pipe) == 0, "pipe failed (errno %s)", tl_ename(errno));
    START(2);
    GO(ov2_blocker, NULL);
    int held = TL_WAIT_UNTIL(atomic_load_explicit(&ov2_blocked, memory_order_relaxed), 10);
    if (held) {
        GO(ov2_spawner, NULL);
        TL_WAIT_UNTIL(atomic_load_explicit(&ov2_spawned, memory_order_relaxed) ||
                      tl_fb_failed(&fb), 10);
        /* one more from outside, into the global queue the overflow just
           filled: this thread has no happens-before edge from that
           overflow but sched.lock's */
        GO(ov2_leaf, (void *)(intptr_t)OV2_N);
    }
    char b = 1;
    tl_check(write(ov2_pipe[1], &b, 1) == 1, "write to the pipe failed");
    AWAIT_COUNT(atomic_load(&ov2_ran), OV2_N + 1, 10,
                "2 Ps, one held by a G blocked in read(): a G spawned %d "
                "goroutines without yielding (the last overflows its ring "
                "into the global queue), the test one more from outside, then "
                "the other P was let go; %d ran. Hint: handout Task 1.3 "
                "(runqputslow).", OV2_N + 1,
                atomic_load(&ov2_ran));
    FINISH("overflow_is_taken_by_another_m");
    close(ov2_pipe[0]);
    close(ov2_pipe[1]);
    tl_check(held, "a goroutine spawned from outside never started in 10 s. "
             "Hint: handout Tasks 1.2 and 1.5.");
}

/* ------------------------------------------------------------------ */
/* Gs a thief took, taken again by a third M                          */
/* ------------------------------------------------------------------ */

#define RS_N 64

/* pipes: 0 and 1 hold the other two Ps at first, 2 the spawner's, 3 the
 * first leaf's */
static int rs_pipe[4][2];
static atomic_int rs_first = 1, rs_ran, rs_holding, rs_blocked;
static atomic_uchar rs_runs[RS_N];

/* Blocks its M (so its P too) in a read() the runtime cannot see. The
 * flags here are relaxed on purpose: they must add no happens-before
 * edge the runtime does not make itself. */
static void rs_hold(int which)
{
    char b;
    if (read(rs_pipe[which][0], &b, 1) != 1)
        G_FAIL("read from the test's pipe failed (errno %s)", tl_ename(errno));
}

static void rs_blocker(void *a)
{
    atomic_fetch_add_explicit(&rs_blocked, 1, memory_order_relaxed);
    rs_hold((int)(intptr_t)a);
}

/* The first leaf to run holds the P of the M that stole it, with the rest
 * of what that M stole in its ring. */
static void rs_leaf(void *a)
{
    long i = (long)(intptr_t)a;
    if (atomic_fetch_add(&rs_runs[i], 1) != 0)
        G_FAIL("goroutine %ld ran twice. Hint: handout Task 1.4.", i);
    if (atomic_exchange_explicit(&rs_first, 0, memory_order_relaxed)) {
        atomic_store_explicit(&rs_holding, 1, memory_order_relaxed);
        rs_hold(3);
        return;
    }
    atomic_fetch_add_explicit(&rs_ran, 1, memory_order_relaxed);
}

/* Fills its P's ring (no thief is free), then holds that P too. */
static void rs_spawner(void *a)
{
    (void)a;
    for (long i = 0; i < RS_N; i++)
        if (!gmp_go(rs_leaf, (void *)(intptr_t)i)) {
            G_FAIL("gmp_go from a goroutine returned NULL (errno %s). Hint: "
                   "handout Task 1.2.", tl_ename(errno));
            break;
        }
    atomic_fetch_add_explicit(&rs_blocked, 1, memory_order_relaxed);
    rs_hold(2);
}

static int rs_release(int which)
{
    char b = 1;
    return write(rs_pipe[which][1], &b, 1) == 1;
}

TL_TEST(stolen_gs_can_be_stolen_again, 1, 60, "m1 race")
{
    for (int i = 0; i < 4; i++)
        tl_check(pipe(rs_pipe[i]) == 0, "pipe failed (errno %s)", tl_ename(errno));
    START(3);
    GO(rs_blocker, (void *)0);
    GO(rs_blocker, (void *)1);
    int ok = TL_WAIT_UNTIL(atomic_load_explicit(&rs_blocked, memory_order_relaxed) == 2, 10);
    GO(rs_spawner, NULL);
    ok = ok && TL_WAIT_UNTIL(atomic_load_explicit(&rs_blocked, memory_order_relaxed) == 3, 10);
    /* one M free: it steals half the spawner's ring and runs the first
       leaf, which holds it; then the last M is let go, and must run every
       other leaf, some of them out of the held thief's ring */
    tl_check(rs_release(0), "write to the pipe failed");
    ok = ok && TL_WAIT_UNTIL(atomic_load_explicit(&rs_holding, memory_order_relaxed), 10);
    tl_check(rs_release(1), "write to the pipe failed");
    ok = ok && TL_WAIT_PROGRESS(atomic_load_explicit(&rs_ran, memory_order_relaxed),
                                RS_N - 1, 10);
    int held = atomic_load_explicit(&rs_holding, memory_order_relaxed);
    tl_check(rs_release(2) && (!held || rs_release(3)), "write to the pipe failed");
    FINISH("stolen_gs_can_be_stolen_again");
    tl_fb_report(&fb);
    tl_check(ok, "3 Ps: a G spawned %d goroutines while the other Ps were held "
             "and then held its own P (blocked in a read the runtime cannot "
             "see); the first of them to run held the P of the M that stole "
             "it the same way. The third M ran %d of the other %d: what a "
             "thief moved into its own ring must be there for the next thief. "
             "Hint: handout Task 1.4 (runqsteal).", RS_N,
             atomic_load(&rs_ran), RS_N - 1);
    for (int i = 0; i < 4; i++) {
        close(rs_pipe[i][0]);
        close(rs_pipe[i][1]);
    }
}

/* ------------------------------------------------------------------ */
/* A WaitGroup's counter moved by Gs on two Ps and by plain threads    */
/* ------------------------------------------------------------------ */

#define WC_GS 8
#define WC_ROUNDS 2000

static gmp_wg *wc_wg;
static long wc_rounds;
static atomic_int wc_loops_done; /* Gs and threads through their loops */
static atomic_int wc_woke;

/* +1 then -1, wc_rounds times: the counter never drops below the test's
 * own 1, so the waiter may not wake until the test takes that away. a is
 * non-NULL in a G (which yields now and then), NULL in a plain thread. */
static void wc_g(void *a)
{
    for (long r = 0; r < wc_rounds; r++) {
        gmp_wg_add(wc_wg, 1);
        if (a && r % 64 == 0)
            gmp_gosched();
        gmp_wg_done(wc_wg);
    }
    atomic_fetch_add(&wc_loops_done, 1);
}

static void *wc_thread(void *a)
{
    wc_g(a);
    return NULL;
}

static void wc_waiter(void *a)
{
    (void)a;
    gmp_wg_wait(wc_wg);
    atomic_store(&wc_woke, 1);
}

TL_TEST(waitgroup_counts_every_add, 1, 90, "m2 stress")
{
    wc_rounds = tl_iters(WC_ROUNDS);
    atomic_store(&wc_loops_done, 0);
    atomic_store(&wc_woke, 0);
    START(2);
    wc_wg = gmp_wg_new();
    tl_check(wc_wg != NULL, "gmp_wg_new returned NULL (errno %s). Hint: %s",
             tl_ename(errno), gmp_hint(errno, "handout Task 2.6."));
    gmp_wg_add(wc_wg, 1); /* the test's: held until every loop is done */
    GO(wc_waiter, NULL);
    for (int i = 0; i < WC_GS; i++)
        GO(wc_g, (void *)1);
    /* gmp_wg_add is for any thread: two that are no M move it too */
    struct tl_thread t[2];
    for (int i = 0; i < 2; i++)
        tl_thread_start(&t[i], wc_thread, NULL);
    AWAIT_COUNT(atomic_load(&wc_loops_done), WC_GS + 2, 20,
                "%d Gs on 2 Ps and 2 plain threads each did gmp_wg_add(+1) "
                "then gmp_wg_done %ld times; %d of them finished, then "
                "nothing for 20 s. Hint: handout Task 2.6.", WC_GS, wc_rounds,
                atomic_load(&wc_loops_done));
    tl_threads_join(t, 2);
    tl_check(!atomic_load(&wc_woke), "gmp_wg_wait returned while the counter "
             "was at least 1 all along (the test held 1; everybody else added "
             "1 before each done): an add was lost, and the counter reached 0 "
             "early. The counter is shared by every M and thread: each add "
             "changes it under the WaitGroup's lock. Hint: handout Task 2.6.");
    gmp_wg_done(wc_wg); /* now it is 0: the waiter wakes */
    AWAIT(atomic_load(&wc_woke), 20,
          "the counter went from 1 to 0 (the test's own gmp_wg_done after "
          "%ld adds and dones by others) and the G in gmp_wg_wait did not "
          "wake in 20 s: an add or done was lost and the counter is not 0. "
          "Hint: handout Task 2.6.", (WC_GS + 2) * wc_rounds);
    FINISH("waitgroup_counts_every_add");
    gmp_wg_free(wc_wg);
}
