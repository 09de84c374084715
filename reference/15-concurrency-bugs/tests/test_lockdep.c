/*
 * test_lockdep.c - Task 6: lockdep reports a lock-order cycle before the
 * acquire that closes it, and never a consistent order. Traces replay into
 * the API (cb_test.h, ld_replay), so they are the same every run.
 */
#include "cb_test.h"

#define T6 "Task 8 (src/lockdep.c)"

TL_TEST(ld_two_lock_cycle, 4, 10, "lockdep")
{
    ld_replay("A then B, later B then A",
              "T1 acquire A\n"
              "T1 acquire B\n"
              "T1 release B\n"
              "T1 release A\n"
              "# T1 is done: this run cannot deadlock, but another one can\n"
              "T2 acquire B\n"
              "T2 acquire A !\n",
              T6);
    ld_replay("the same thread, both orders",
              "T0 acquire X\n"
              "T0 acquire Y\n"
              "T0 release Y\n"
              "T0 release X\n"
              "T0 acquire Y\n"
              "T0 acquire X !\n",
              T6);
}

TL_TEST(ld_consistent_nesting_quiet, 4, 10, "lockdep")
{
    ld_replay("one order A < B < C < D, many threads and subsets",
              "T1 acquire A\nT1 acquire B\nT1 acquire C\nT1 acquire D\n"
              "T2 acquire B\nT2 acquire D\n"
              "T3 acquire A\nT3 acquire C\n"
              "T1 release B\nT1 release D\nT1 release A\nT1 release C\n"
              "T3 release A\nT3 acquire D\nT3 release C\nT3 release D\n"
              "T2 release D\nT2 release B\n"
              "T4 acquire C\nT4 acquire D\nT4 release D\nT4 release C\n"
              "T1 acquire A\nT1 acquire D\nT1 release D\nT1 release A\n",
              T6);
    ld_replay("locks taken one at a time: no order at all",
              "T1 acquire A\nT1 release A\nT1 acquire B\nT1 release B\n"
              "T2 acquire B\nT2 release B\nT2 acquire A\nT2 release A\n",
              T6);
}

TL_TEST(ld_three_and_longer_cycles, 4, 10, "lockdep")
{
    ld_replay("three threads, three locks (dining philosophers)",
              "T1 acquire A\nT1 acquire B\nT1 release B\nT1 release A\n"
              "T2 acquire B\nT2 acquire C\nT2 release C\nT2 release B\n"
              "T3 acquire C\nT3 acquire A !\n",
              T6);
    ld_replay("a cycle of five, through edges made long ago",
              "T1 acquire L1\nT1 acquire L2\nT1 release L2\nT1 release L1\n"
              "T2 acquire L2\nT2 acquire L3\nT2 release L2\nT2 release L3\n"
              "T1 acquire L3\nT1 acquire L4\nT1 release L4\nT1 release L3\n"
              "T3 acquire L4\nT3 acquire L5\nT3 release L5\nT3 release L4\n"
              "T4 acquire L5\nT4 acquire L1 !\n"
              "# still holding L5; the reported acquire was not recorded\n"
              "T4 acquire L6\nT4 release L6\nT4 release L5\n",
              T6);
    ld_replay("the cycle closes at an outer held lock",
              "T1 acquire P\nT1 acquire Q\nT1 acquire R\nT1 release R\nT1 release Q\nT1 release P\n"
              "T2 acquire R\nT2 acquire S\nT2 acquire P !\n",
              T6);
}

TL_TEST(ld_recursive_and_duplicate_edges, 3, 10, "lockdep")
{
    ld_replay("a lock taken twice by one thread",
              "T1 acquire A\nT1 acquire A !\nT1 release A\n",
              T6);
    ld_replay("the same nesting many times, then the other way",
              "T1 acquire A\nT1 acquire B\nT1 release B\nT1 release A\n"
              "T2 acquire A\nT2 acquire B\nT2 release B\nT2 release A\n"
              "T1 acquire A\nT1 acquire B\nT1 release B\nT1 release A\n"
              "T3 acquire B\nT3 acquire A !\n"
              "T3 release B\n"
              "T3 acquire A\nT3 acquire B\nT3 release B\nT3 release A\n",
              T6);
}

TL_TEST(ld_errors_and_release_order, 2, 10, "lockdep")
{
    static struct lockdep ld;
    tl_check(ld_init(&ld) == 0, "ld_init failed");
    struct ld_cycle c;
    int rc = ld_acquire(&ld, 0, 1, &c);
    tl_expect_ok(rc, "ld_acquire(T0, lock 1)", T6);
    tl_expect_rc(ld_release(&ld, 0, 2), EPERM, "ld_release(T0, lock 2)", "T0 does not hold lock 2.");
    tl_expect_rc(ld_release(&ld, 1, 1), EPERM, "ld_release(T1, lock 1)", "lock 1 is T0's, not T1's.");
    tl_expect_rc(ld_acquire(&ld, LD_MAX_THREADS, 1, &c), EINVAL, "ld_acquire(thread LD_MAX_THREADS)", "out of range.");
    tl_expect_rc(ld_acquire(&ld, 0, LD_MAX_LOCKS, &c), EINVAL, "ld_acquire(lock LD_MAX_LOCKS)", "out of range.");
    tl_expect_rc(ld_acquire(&ld, -1, 0, &c), EINVAL, "ld_acquire(thread -1)", "out of range.");
    tl_expect_rc(ld_release(&ld, 0, -1), EINVAL, "ld_release(lock -1)", "out of range.");
    tl_expect_rc(ld_release(&ld, LD_MAX_THREADS, 0), EINVAL, "ld_release(thread LD_MAX_THREADS)", "out of range.");
    tl_expect_rc(ld_release(&ld, 0, LD_MAX_LOCKS), EINVAL, "ld_release(lock LD_MAX_LOCKS)", "out of range.");
    /* Fill T0 up to LD_MAX_HELD, release out of order, nothing reported. */
    for (int l = 2; l <= LD_MAX_HELD; l++)
        tl_expect_ok(ld_acquire(&ld, 0, l, NULL), "ld_acquire while nesting deeper", T6);
    tl_expect_rc(ld_acquire(&ld, 0, 40, &c), ENOMEM, "ld_acquire of a 17th held lock",
                 "a thread holds at most LD_MAX_HELD locks.");
    tl_check(!ld_has_edge(&ld, 1, 40) && !ld_has_edge(&ld, 40, 1), "an acquire that failed recorded an edge");
    tl_expect_ok(ld_release(&ld, 0, 5), "ld_release of a lock in the middle", T6);
    tl_expect_ok(ld_release(&ld, 0, 1), "ld_release of the first lock", T6);
    tl_expect_ok(ld_acquire(&ld, 0, 40, &c), "ld_acquire after two releases", T6);
    tl_check(ld_has_edge(&ld, 2, 40) && !ld_has_edge(&ld, 1, 40) && !ld_has_edge(&ld, 5, 40),
             "after releasing locks 1 and 5 and taking 40, the edges into 40 must "
             "come from the locks still held (2, 3, 4, 6...), not from 1 or 5");
    tl_check(ld_has_edge(&ld, 1, 2) && !ld_has_edge(&ld, 2, 1), "the edge 1 -> 2 (taken "
             "in that order) is missing, or 2 -> 1 was recorded");
    /* Edges stay recorded after a release: now 40 -> 2 closes a cycle. */
    for (int l = 2; l <= LD_MAX_HELD; l++)
        if (l != 5)
            tl_expect_ok(ld_release(&ld, 0, l), "ld_release", T6);
    tl_expect_ok(ld_acquire(&ld, 3, 40, &c), "T3 takes 40", T6);
    rc = ld_acquire(&ld, 3, 2, &c);
    tl_check(rc == EDEADLK && c.n == 2 && c.locks[0] == 2 && c.locks[1] == 40,
             "T3 holds 40 and asks for 2, after T0 took 40 while holding 2: expected "
             "EDEADLK and the cycle {2, 40}, got %s and n = %d", tl_ename(rc), c.n);
    tl_expect_rc(ld_acquire(&ld, 3, 2, NULL), EDEADLK, "ld_acquire with cyc == NULL",
                 "the cycle is reported even when the caller does not want it written.");
    tl_expect_ok(ld_release(&ld, 3, 40), "ld_release", T6);
    tl_check(ld_has_edge(&ld, -1, 0) == 0 && ld_has_edge(&ld, 0, LD_MAX_LOCKS) == 0,
             "ld_has_edge out of range must be 0");
    ld_destroy(&ld);
}

/* ---- real threads, one order: never reported, and race free --------- */

static struct lockdep shared_ld;
static uint64_t nest_seed; /* set before the threads start */
static pthread_mutex_t real[4] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                  PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};

static void *nester(void *arg)
{
    int me = (int)(intptr_t)arg;
    struct tl_rng r;
    tl_rng_init(&r, nest_seed + (uint64_t)me);
    for (long k = 0; k < tl_iters(3000) && !tl_fb_failed(&fb); k++) {
        int lo = (int)tl_rng_below(&r, 3);
        int hi = lo + 1 + (int)tl_rng_below(&r, (uint64_t)(3 - lo));
        int rc = ld_acquire(&shared_ld, me, lo, NULL);
        if (rc == 0) {
            pthread_mutex_lock(&real[lo]);
            rc = ld_acquire(&shared_ld, me, hi, NULL);
            if (rc == 0) {
                pthread_mutex_lock(&real[hi]);
                pthread_mutex_unlock(&real[hi]);
                rc = ld_release(&shared_ld, me, hi);
            }
            pthread_mutex_unlock(&real[lo]);
            if (rc == 0)
                rc = ld_release(&shared_ld, me, lo);
        }
        if (rc != 0) {
            tl_fb_fail(&fb, "thread %d nesting lock %d inside %d (always the lower "
                       "first): a call returned %s, expected 0. Hint: handout " T6 ".",
                       me, hi, lo, tl_ename(rc));
            break;
        }
    }
    return NULL;
}

TL_TEST(ld_threads_concurrently, 2, 60, "lockdep race")
{
    tl_check(ld_init(&shared_ld) == 0, "ld_init failed");
    nest_seed = tl_seed();
    struct tl_thread w[4];
    for (int i = 0; i < 4; i++)
        tl_thread_start(&w[i], nester, (void *)(intptr_t)i);
    double end = tl_now() + 3 * hang_secs();
    while (!tl_threads_done(w, 4)) {
        tl_check(tl_now() < end, "four threads calling lockdep did not finish in %.0f s",
                 3 * hang_secs());
        pause_ms(1);
    }
    tl_threads_join(w, 4);
    tl_fb_report(&fb);
    struct ld_cycle c;
    tl_expect_ok(ld_acquire(&shared_ld, 9, 3, &c), "ld_acquire(T9, 3)", T6);
    int rc = ld_acquire(&shared_ld, 9, 0, &c);
    tl_check(rc == EDEADLK && c.n >= 2 && c.locks[0] == 0 && c.locks[c.n - 1] == 3,
             "after many threads nested 0..3 in order, T9 holding 3 and asking for "
             "0 must get EDEADLK with a cycle from 0 to 3; got %s, n = %d",
             tl_ename(rc), c.n);
    ld_destroy(&shared_ld);
}
