/*
 * test_faults.c - what the runtime does when memory, threads or file
 * descriptors run out, and whether it gives back all it took (kit-owned).
 *
 * Each test fails the 1st, then the 2nd, then the 3rd ... allocation (or
 * mmap, mprotect, pthread_create, epoll_create1, eventfd) that one API call
 * makes, through the wrappers of gmp_test.h, until the call makes no more
 * and succeeds. Nothing assumes how many there are or in what order: every
 * failure must be reported as gmp.h says and leave nothing behind. The
 * memory stage runs them under valgrind, which sees a malloc never freed;
 * the tests themselves count the bytes mapped and the fds open, which
 * valgrind does not follow.
 */
#include "gmp_test.h"

/* A bound on the calls one API call may make: a loop that reaches it means
 * the fault never stops firing (a retry loop on ENOMEM, say). */
#define MAX_FAULTS 64

/* ------------------------------------------------------------------ */
/* M1: gmp_start and gmp_go                                            */
/* ------------------------------------------------------------------ */

static atomic_int fh_release, fh_ran;

/* Waits for the test to let go, yielding (M1 has no channels yet). */
static void fh_hold(void *a)
{
    (void)a;
    atomic_fetch_add(&fh_ran, 1);
    while (!atomic_load(&fh_release))
        gmp_gosched();
}

TL_TEST(failed_allocations_leave_nothing_behind, 1, 60, "m1")
{
    struct gmp_stats s;
    int fds0 = tl_open_fds();
    long mapped0 = atomic_load(&mapped_bytes);
    atomic_store(&fh_release, 0);
    atomic_store(&fh_ran, 0);

    /* gmp_start: its Ps and Ms, its threads, the poller's two fds */
    int n, rc = -1;
    for (n = 1; n <= MAX_FAULTS; n++) {
        tl_fault_after(n);
        rc = gmp_start(2);
        int e = errno;
        if (!tl_fault_disarm())
            break;
        tl_check(rc == -1, "gmp_start(2) returned %d although call number %d "
                 "it made (malloc, calloc, mmap, pthread_create, "
                 "epoll_create1 or eventfd) failed: a runtime missing a part "
                 "must not start. Hint: handout Task 1.7 (undo it all on "
                 "failure).", rc, n);
        tl_check(e == ENOMEM || e == EAGAIN, "gmp_start(2) failed with errno "
                 "%s when call number %d it made failed; gmp.h says ENOMEM "
                 "or EAGAIN (pass the failed call's errno on). Hint: %s",
                 tl_ename(e), n, gmp_hint(e, "handout Task 1.7."));
        tl_check(tl_open_fds() == fds0, "after gmp_start(2) failed at call "
                 "number %d, %d file descriptors are open instead of %d: "
                 "close the epoll instance and the eventfd on the way out. "
                 "Hint: handout Task 5.2.", n, tl_open_fds(), fds0);
        tl_check(atomic_load(&mapped_bytes) == mapped0, "after gmp_start(2) "
                 "failed at call number %d, %ld bytes it mapped are still "
                 "mapped. Hint: handout Task 1.7.", n,
                 atomic_load(&mapped_bytes) - mapped0);
    }
    tl_check(n <= MAX_FAULTS, "gmp_start(2) still failed with call number %d "
             "failing: does it retry a failed call forever?", MAX_FAULTS);
    tl_check(rc == 0, "gmp_start(2) failed (errno %s) with nothing failing%s "
             "Hint: %s", tl_ename(errno), n > 1 ? ", after its first calls "
             "failed in turn: did a failure leave something behind (EBUSY: "
             "the runtime still counted as up)?" : ".",
             gmp_hint(errno, "handout Task 1.7."));

    /* gmp_go from outside: the G, its stack (mmap and the guard's
       mprotect). A G made in spite of a failure (an M that could not be
       started is not an error) must run. After each failure one more
       gmp_go with nothing failing takes back whatever the failure left
       for reuse, so each round starts from the same state. */
    int made = 0;
    for (n = 1; n <= MAX_FAULTS; n++) {
        tl_fault_after(n);
        gmp_g *g = gmp_go(fh_hold, NULL);
        int e = errno;
        int fired = tl_fault_disarm();
        made += g != NULL;
        if (!fired)
            break;
        tl_check(g || e == ENOMEM, "gmp_go returned NULL with errno %s when "
                 "call number %d it made failed; gmp.h says ENOMEM (keep the "
                 "errno of the failed call). Hint: %s", tl_ename(e), n,
                 gmp_hint(e, "handout Tasks 1.1 and 1.2."));
        g = gmp_go(fh_hold, NULL);
        e = errno;
        tl_check(g != NULL, "gmp_go failed (errno %s) with nothing failing, "
                 "right after one whose call number %d failed: did that "
                 "failure leave a broken G for reuse? Hint: %s", tl_ename(e),
                 n, gmp_hint(e, "handout Tasks 1.1-1.3."));
        made++;
    }
    tl_check(n <= MAX_FAULTS, "gmp_go still failed with call number %d "
             "failing: does it retry a failed call forever?", MAX_FAULTS);
    tl_check(made >= 1, "gmp_go returned NULL (errno %s) with nothing "
             "failing, after its calls failed in turn. Hint: %s",
             tl_ename(errno), gmp_hint(errno, "handout Task 1.2."));
    /* one more failure, at the 2nd call, left for gmp_wait to clean up */
    tl_fault_after(2);
    gmp_g *g = gmp_go(fh_hold, NULL);
    int e = errno;
    if (tl_fault_disarm())
        tl_check(g || e == ENOMEM, "gmp_go returned NULL with errno %s when "
                 "its 2nd call failed; gmp.h says ENOMEM. Hint: handout "
                 "Tasks 1.1 and 1.2.", tl_ename(e));
    made += g != NULL;
    STATS(s);
    tl_check(s.spawned == (unsigned long)made, "gmp_stats counts %lu spawns "
             "but %d gmp_go calls returned a G: a failed gmp_go must not be "
             "counted (nor its G run). Hint: handout Task 1.2.", s.spawned, made);
    AWAIT(atomic_load(&fh_ran) == made, 20, "%d of the %d Gs made while "
          "calls failed ran. Hint: handout Task 1.2.", atomic_load(&fh_ran), made);
    atomic_store(&fh_release, 1);
    FINISH("failed_allocations_leave_nothing_behind");
    STATS(s);
    tl_check(s.stacks == 0, "gmp_stats says %lu stacks are mapped after "
             "gmp_wait (0 expected): is a G that never got its stack freed "
             "as if it had one? Hint: handout Task 1.1 (gmp_stack_free of a "
             "G without a stack does nothing).", s.stacks);
    tl_check(atomic_load(&mapped_bytes) == mapped0, "after gmp_wait, %ld "
             "bytes the runtime mapped with mmap are still mapped: every "
             "stack (also one whose mprotect failed) must be unmapped. Hint: "
             "handout Task 1.1.", atomic_load(&mapped_bytes) - mapped0);
    tl_check(tl_open_fds() == fds0, "after gmp_wait, %d file descriptors are "
             "open instead of %d. Hint: handout Task 5.2.", tl_open_fds(), fds0);
}

/* ------------------------------------------------------------------ */
/* M2: channels, WaitGroups, and more dead Gs than the cache keeps     */
/* ------------------------------------------------------------------ */

/* More than the reference's cache of 1024 dead Gs: the rest are freed. */
#define FC_GS 1100
static gmp_chan *fc_gate;
static atomic_int fc_parked, fc_done;

static void fc_wait_gate(void *a)
{
    (void)a;
    atomic_fetch_add(&fc_parked, 1);
    long v;
    if (gmp_chan_recv(fc_gate, &v) != 0)
        G_FAIL("a receive on a closed, empty channel returned a value. "
               "Hint: handout Task 2.4.");
    atomic_fetch_add(&fc_done, 1);
}

TL_TEST(failed_channel_allocations_leave_nothing_behind, 1, 90, "m2")
{
    START(2);
    int n;
    gmp_chan *c = NULL;
    for (n = 1; n <= MAX_FAULTS; n++) {
        tl_fault_after(n);
        c = gmp_chan_make(sizeof(long), 4);
        int e = errno;
        if (!tl_fault_disarm())
            break;
        tl_check(!c && e == ENOMEM, "gmp_chan_make(8, 4) returned %p (errno "
                 "%s) when call number %d it made failed: expected NULL and "
                 "ENOMEM, with what it had allocated freed. Hint: %s",
                 (void *)c, tl_ename(e), n, gmp_hint(e, "handout Task 2.2."));
    }
    tl_check(c != NULL, "gmp_chan_make(8, 4) failed (errno %s) with nothing "
             "failing. Hint: %s", tl_ename(errno), gmp_hint(errno, "handout Task 2.2."));
    gmp_chan_free(c);
    gmp_wg *wg = NULL;
    for (n = 1; n <= MAX_FAULTS; n++) {
        tl_fault_after(n);
        wg = gmp_wg_new();
        int e = errno;
        if (!tl_fault_disarm())
            break;
        tl_check(!wg && e == ENOMEM, "gmp_wg_new returned %p (errno %s) when "
                 "call number %d it made failed: expected NULL and ENOMEM. "
                 "Hint: %s", (void *)wg, tl_ename(e), n,
                 gmp_hint(e, "handout Task 2.6."));
    }
    tl_check(wg != NULL, "gmp_wg_new failed (errno %s) with nothing failing. "
             "Hint: %s", tl_ename(errno), gmp_hint(errno, "handout Task 2.6."));
    gmp_wg_free(wg);
    /* NULL is nothing, as for free() */
    gmp_chan_free(NULL);
    gmp_wg_free(NULL);

    /* FC_GS Gs alive at once, then all dead: the runtime keeps some for
       reuse and must free the others (valgrind, in the memory stage) */
    fc_gate = gmp_chan_make(sizeof(long), 0);
    tl_check(fc_gate != NULL, "gmp_chan_make failed (errno %s)", tl_ename(errno));
    atomic_store(&fc_parked, 0);
    atomic_store(&fc_done, 0);
    for (int i = 0; i < FC_GS; i++)
        GO(fc_wait_gate, NULL);
    AWAIT_COUNT(atomic_load(&fc_parked), FC_GS, 20, "%d of %d goroutines "
                "started. Hint: handout Task 1.2.", atomic_load(&fc_parked), FC_GS);
    gmp_chan_close(fc_gate);
    AWAIT_COUNT(atomic_load(&fc_done), FC_GS, 20, "closing a channel that "
                "%d goroutines wait on woke %d of them. Hint: handout Task "
                "2.4.", FC_GS, atomic_load(&fc_done));
    FINISH("failed_channel_allocations_leave_nothing_behind");
    gmp_chan_free(fc_gate);
    fc_gate = NULL; /* valgrind calls a block nothing points to lost */
}

/* ------------------------------------------------------------------ */
/* M4: gmp_after, and gmp_sleep(0)                                     */
/* ------------------------------------------------------------------ */

static gmp_chan *ft_ok;
static atomic_int ft_done;

static void ft_receive(void *a)
{
    (void)a;
    long long when;
    if (gmp_chan_recv(ft_ok, &when) != 1)
        G_FAIL("no value from gmp_after(0)'s channel. Hint: handout Task 4.3.");
    /* a later deadline than every timer pushed before: when it fires,
       every earlier one has been run (or was never pushed) */
    gmp_chan *later = gmp_after(1000000);
    if (!later) {
        G_FAIL("gmp_after(1 ms) returned NULL (errno %s)", tl_ename(errno));
        return;
    }
    if (gmp_chan_recv(later, &when) != 1)
        G_FAIL("no value from gmp_after(1 ms)'s channel. Hint: handout Task 4.3.");
    gmp_chan_free(later);
    atomic_store(&ft_done, 1);
}

TL_TEST(failed_timer_allocations_leave_nothing_behind, 1, 60, "m4")
{
    START(2);
    int n;
    gmp_chan *c = NULL;
    for (n = 1; n <= MAX_FAULTS; n++) {
        tl_fault_after(n);
        c = gmp_after(0);
        int e = errno;
        if (!tl_fault_disarm())
            break;
        tl_check(!c && e == ENOMEM, "gmp_after(0) returned %p (errno %s) when "
                 "call number %d it made (its channel, or room in the timer "
                 "heap) failed: expected NULL and ENOMEM, and no timer left "
                 "to fire. Hint: %s", (void *)c, tl_ename(e), n,
                 gmp_hint(e, "handout Task 4.3."));
    }
    tl_check(c != NULL, "gmp_after(0) failed (errno %s) with nothing "
             "failing. Hint: %s", tl_ename(errno), gmp_hint(errno, "handout Task 4.3."));
    ft_ok = c;
    atomic_store(&ft_done, 0);
    GO(ft_receive, NULL);
    AWAIT(atomic_load(&ft_done), 20, "a goroutine waiting on gmp_after(0) "
          "and then gmp_after(1 ms) did not finish in 20 s. Hint: handout "
          "Tasks 4.2 and 4.3.");
    FINISH("failed_timer_allocations_leave_nothing_behind");
    gmp_chan_free(ft_ok);
    ft_ok = NULL;
}

/* gmp_sleep(ns <= 0) is gmp_gosched: to the back of the global queue, so
 * the G in runnext runs first, and no timer is involved. */
static char sz_order[4];
static atomic_int sz_n;

static void sz_other(void *a)
{
    (void)a;
    sz_order[atomic_fetch_add(&sz_n, 1)] = 'B';
}

static void sz_main(void *a)
{
    (void)a;
    if (!gmp_go(sz_other, NULL)) { /* into this P's runnext */
        G_FAIL("gmp_go failed (errno %s)", tl_ename(errno));
        return;
    }
    gmp_sleep(0);
    sz_order[atomic_fetch_add(&sz_n, 1)] = 'A';
    gmp_sleep(-5);
    sz_order[atomic_fetch_add(&sz_n, 1)] = 'A';
}

TL_TEST(sleep_zero_yields_like_gosched, 1, 30, "m4")
{
    struct gmp_stats s;
    START(1);
    gmp_set_preempt(0); /* an exact schedule */
    atomic_store(&sz_n, 0);
    GO(sz_main, NULL);
    FINISH("sleep_zero_yields_like_gosched");
    STATS(s);
    tl_check(atomic_load(&sz_n) == 3 && memcmp(sz_order, "BAA", 3) == 0,
             "with one P, a G that made a G (its runnext) and called "
             "gmp_sleep(0), then gmp_sleep(-5), ran in the order %.*s "
             "(A: the sleeper after each sleep, B: the new G); expected BAA: "
             "ns <= 0 yields as gmp_gosched does. Hint: handout Task 4.1.",
             atomic_load(&sz_n), sz_order);
    tl_check(s.timers_fired == 0, "gmp_sleep(0) and gmp_sleep(-5) ran %lu "
             "timers: ns <= 0 yields as gmp_gosched, with no timer. Hint: "
             "handout Task 4.1.", s.timers_fired);
}
