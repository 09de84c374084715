/*
 * test_preempt.c - milestone M7: preemption by signal (kit-owned).
 *
 * Gs that compute without ever calling the runtime: only sysmon's signal
 * can take the P from them. Without it, with ONE P, the first of them
 * keeps the P forever; each loop therefore also stops at its own deadline
 * (read from the CPU's time-stamp counter: an instruction, not a call), so
 * a run without preemption ends with a message instead of a hang.
 *
 * Not in the race stage: ThreadSanitizer holds an async signal back until
 * the thread makes an intercepted call, which these loops never do (and
 * the runtime compiles preemption out under TSan).
 */
#include "gmp_test.h"

#include <x86intrin.h>

/* Time-stamp-counter ticks per second, measured once by the test thread
 * against tl_now(); a deadline in ticks needs no call to check. */
static double tsc_hz;

static void tsc_calibrate(void)
{
    double t0 = tl_now();
    unsigned long long c0 = __rdtsc();
    while (tl_now() - t0 < 0.02)
        ;
    tsc_hz = (double)(__rdtsc() - c0) / (tl_now() - t0);
}

/* The tick count secs from now. Not stretched by tl_slow: a runtime that
 * preempts ends these loops in well under a second even under valgrind,
 * and one that does not should not cost the memory stage minutes. */
static unsigned long long tsc_deadline(double secs)
{
    return __rdtsc() + (unsigned long long)(secs * tsc_hz);
}

/* ------------------------------------------------------------------ */
static volatile int bl_flag;
static unsigned long long bl_deadline;
static atomic_int bl_b_ran, bl_a_end; /* bl_a_end: 1 flag seen, 2 deadline */

static void bl_b(void *arg)
{
    (void)arg;
    atomic_store(&bl_b_ran, 1);
    bl_flag = 1;
}

static void bl_a(void *arg)
{
    (void)arg;
    if (!gmp_go(bl_b, NULL)) { /* B waits in this P's runnext */
        G_FAIL("gmp_go failed (errno %s). Hint: handout Task 1.2.",
               tl_ename(errno));
        return;
    }
    unsigned long long end = bl_deadline;
    int how = 1;
    while (!bl_flag) /* no call at all */
        if (__rdtsc() > end) {
            how = 2;
            break;
        }
    atomic_store(&bl_a_end, how);
}

TL_TEST(busy_loop_does_not_starve_others, 3, 60, "m7")
{
    tsc_calibrate();
    bl_deadline = tsc_deadline(15);
    START(1);
    int old = gmp_set_preempt(1);
    tl_check(old == 1, "gmp_set_preempt(1) right after gmp_start returned %d "
             "(errno %s), expected 1: preemption is on by default. Hint: %s",
             old, tl_ename(errno), gmp_hint(errno, "handout Task 7.1."));
    GO(bl_a, NULL);
    AWAIT(atomic_load(&bl_a_end) != 0, 30,
          "G A (busy loop on a volatile flag, no calls) had not ended after "
          "30 s, not even at its own deadline of 15 s.");
    tl_check(atomic_load(&bl_a_end) == 1 && atomic_load(&bl_b_ran),
             "with ONE P, G A started G B and then spun on a volatile flag "
             "that only B sets, calling nothing; B %s, and A stopped at its "
             "own 15 s deadline: A was never preempted. sysmon must notice "
             "a P whose schedtick has not moved for %lld ms and send its M "
             "SIGURG; the handler switches A off to the global queue (Go "
             "1.14: preemptone, doSigPreempt). Hint: handout Task 7.1.",
             atomic_load(&bl_b_ran) ? "ran only after that" : "never ran",
             GMP_TIMESLICE_NS / 1000000);
    struct gmp_stats s;
    STATS(s);
    tl_check(s.preemptions >= 1,
             "A could only stop spinning if it was preempted, but gmp_stats "
             "says preemptions = %lu: count every G the signal switched "
             "off. Hint: handout Task 7.1.", s.preemptions);
    FINISH("busy_loop_does_not_starve_others");
    tl_check(gmp_set_preempt(1) == -1 && errno == ESRCH,
             "gmp_set_preempt with no runtime up must fail with ESRCH (got "
             "errno %s). Hint: handout Task 7.1.", tl_ename(errno));
}

/* ------------------------------------------------------------------ */
/* K compute-only Gs, each counting in its own slot, each spinning until
 * EVERY slot has reached the target: no G can finish unless all of them
 * get the CPU, on 1 P and then on 2 Ps. */
#define CP_MAX 8
#define CP_TARGET 1000
static atomic_long cp_count[CP_MAX];
static atomic_int cp_done, cp_late;
static int cp_k;
static unsigned long long cp_deadline;

static int cp_all_reached(void)
{
    for (int j = 0; j < cp_k; j++)
        if (atomic_load_explicit(&cp_count[j], memory_order_relaxed) < CP_TARGET)
            return 0;
    return 1;
}

static void cp_g(void *arg)
{
    int i = (int)(intptr_t)arg;
    unsigned long long end = cp_deadline;
    while (!cp_all_reached()) { /* loads and adds only: no call */
        atomic_fetch_add_explicit(&cp_count[i], 1, memory_order_relaxed);
        if (__rdtsc() > end) {
            atomic_fetch_add(&cp_late, 1);
            break;
        }
    }
    atomic_fetch_add(&cp_done, 1);
}

static void cp_round(int nprocs, int k)
{
    cp_k = k;
    for (int j = 0; j < CP_MAX; j++)
        atomic_store(&cp_count[j], 0);
    atomic_store(&cp_done, 0);
    atomic_store(&cp_late, 0);
    cp_deadline = tsc_deadline(20);
    START(nprocs);
    for (int j = 0; j < k; j++)
        GO(cp_g, (void *)(intptr_t)j);
    AWAIT(atomic_load(&cp_done) == k, 40,
          "%d compute-only Gs on %d P(s): only %d ended within 40 s, not "
          "even at their own deadlines.", k, nprocs, atomic_load(&cp_done));
    if (atomic_load(&cp_late)) {
        char counts[256];
        int len = 0;
        for (int j = 0; j < k && len < 200; j++)
            len += snprintf(counts + len, sizeof counts - (size_t)len, " %ld",
                            atomic_load(&cp_count[j]));
        tl_fail("%d compute-only Gs on %d P(s), each counting in its own "
                "slot until all slots reach %d: %d of them stopped at their "
                "20 s deadline instead, counts:%s. A G that never calls the "
                "runtime keeps its P unless sysmon preempts it (a signal "
                "after %lld ms, the G to the global queue). Hint: handout "
                "Task 7.1.", k, nprocs, CP_TARGET, atomic_load(&cp_late),
                counts, GMP_TIMESLICE_NS / 1000000);
    }
    struct gmp_stats s;
    STATS(s);
    if (nprocs == 1)
        tl_check(s.preemptions >= (unsigned long)(k - 1),
                 "%d compute-only Gs all reached the target on 1 P, which "
                 "takes at least %d preemptions, but gmp_stats says %lu. "
                 "Hint: handout Task 7.1.", k, k - 1, s.preemptions);
    FINISH("compute_only_gs_all_progress");
}

TL_TEST(compute_only_gs_all_progress, 3, 120, "m7 stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    tsc_calibrate();
    cp_round(1, 2 + (int)tl_rng_below(&r, 3));
    cp_round(2, 3 + (int)tl_rng_below(&r, CP_MAX - 2));
}
