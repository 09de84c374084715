/*
 * test_stress.c - everything at once: random lives (return, sleep, wait at
 * a gate, long sleep), random cancels racing with wakeups, detached
 * threads, joins in random order; every log must be a legal path.
 */
#include "lc_test.h"

enum kind { K_RETURN, K_SLEEP, K_GATE, K_LONG };

struct plan {
    int i;
    enum kind kind;
    int cancel, detached;
    long sleep_ms;
};

static struct gate start_gate, mid_gate;
#define NMAX 64

static void *life(void *arg)
{
    TPROLOGUE();
    struct plan *p = arg;
    gate_wait(&start_gate);
    switch (p->kind) {
    case K_SLEEP: lc_sleep(p->sleep_ms); break;
    case K_GATE: lc_testcancel(); break;
    case K_LONG: lc_sleep(3600 * 1000L); break;
    default: break;
    }
    /* The mid gate opens after every cancel was sent: a cancelled thread
     * meets a cancellation point here at the latest (lc_cond_wait if the
     * gate is still closed, else lc_testcancel). */
    gate_wait(&mid_gate);
    lc_testcancel();
    return ITEM(p->i + 1);
}

static const unsigned char legal[5][5] = {
    [LC_CREATED][LC_RUNNABLE] = 1, [LC_RUNNABLE][LC_RUNNING] = 1, [LC_RUNNING][LC_BLOCKED] = 1,
    [LC_RUNNING][LC_TERMINATED] = 1, [LC_BLOCKED][LC_RUNNABLE] = 1,
};

static void check_path(lc_thread *t, int i)
{
    enum lc_state s[LC_LOG_MAX];
    int k = lc_state_log(t, s, LC_LOG_MAX);
    char buf[512];
    fmt_log(buf, sizeof buf, s, k < 0 ? 0 : k > LC_LOG_MAX ? LC_LOG_MAX : k);
    tl_check(k >= 4 && k <= LC_LOG_MAX && s[0] == LC_CREATED && s[k - 1] == LC_TERMINATED,
             "thread %d's log [%s] (%d entries) must start with CREATED and end with TERMINATED. "
             "Hint: " T1 ".", i, buf, k);
    for (int j = 1; j < k; j++)
        tl_check((unsigned)s[j - 1] < 5 && (unsigned)s[j] < 5 && legal[s[j - 1]][s[j]],
                 "thread %d's log [%s] moves %s -> %s, which the lifecycle does not allow. "
                 "Hint: handout \"States\".", i, buf, lc_state_name(s[j - 1]), lc_state_name(s[j]));
}

TL_TEST(stress_lifecycle_mix, 5, 60, "stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    static struct plan plan[NMAX];
    static lc_thread *t[NMAX];
    static int order[NMAX];
    int rounds = (int)tl_iters(12);
    for (int round = 0; round < rounds; round++) {
        start_gate = (struct gate)GATE_INIT;
        mid_gate = (struct gate)GATE_INIT;
        int n = 8 + (int)tl_rng_below(&r, NMAX - 8 + 1);
        if (tl_slow() > 1)
            n = 8 + n / 4;
        watch_reset();
        int ndet = 0;
        for (int i = 0; i < n; i++) {
            struct plan *p = &plan[i];
            p->i = i;
            p->kind = (enum kind)tl_rng_below(&r, 4);
            p->cancel = p->kind == K_LONG || tl_rng_below(&r, 2);
            p->detached = !p->cancel && tl_rng_below(&r, 3) == 0;
            p->sleep_ms = (long)tl_rng_below(&r, 3);
            int rc = lc_create(&t[i], life, p, p->detached ? LC_DETACHED : LC_JOINABLE);
            tl_expect_ok(rc, "lc_create", T2);
            if (p->detached) {
                watch(t[i]); /* still at the start gate: cannot be freed yet */
                ndet++;
            }
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = (int)tl_rng_below(&r, (uint64_t)i + 1);
            int x = order[i]; order[i] = order[j]; order[j] = x;
        }
        int open_at = (int)tl_rng_below(&r, (uint64_t)n + 1);
        for (int k = 0; k <= n; k++) {
            if (k == open_at)
                gate_open(&start_gate);
            if (k < n && plan[order[k]].cancel) {
                int rc = lc_cancel(t[order[k]]);
                tl_expect_ok(rc, "lc_cancel", T5);
            }
        }
        gate_open(&mid_gate);
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (plan[i].detached)
                continue;
            tl_check(wait_state(t[i], LC_TERMINATED), "round %d: thread %d (kind %d, cancel %d) is "
                     "still %s after %.0f s. Replay with the seed. Hint: a lost wakeup, or a cancel "
                     "that did not end a wait (" T4 ", " T5 ").", round, i, plan[i].kind, plan[i].cancel,
                     lc_state_name(lc_state(t[i])), hang_secs());
            check_path(t[i], i);
            enum lc_state ls[LC_LOG_MAX];
            char lbuf[512];
            int lk = lc_state_log(t[i], ls, LC_LOG_MAX);
            fmt_log(lbuf, sizeof lbuf, ls, lk > LC_LOG_MAX ? LC_LOG_MAX : lk);
            void *ret = NULL;
            int rc = lc_join(t[i], &ret);
            tl_expect_ok(rc, "lc_join", T3);
            void *want = plan[i].cancel ? LC_CANCELED : ITEM(i + 1);
            tl_check(ret == want, "round %d: thread %d (kind %d, %scancelled, log [%s]) ended with %p, "
                     "expected %p. Hint: every cancelled thread reaches the mid gate's lc_cond_wait or the lc_testcancel after it and must "
                     "end with LC_CANCELED; others return i + 1.", round, i, plan[i].kind,
                     plan[i].cancel ? "" : "not ", lbuf, ret, want);
        }
        double end = tl_now() + hang_secs();
        while (watch_freed() < ndet && tl_now() < end)
            sched_yield();
        tl_check(watch_freed() == ndet, "round %d: %d of %d detached threads' records were freed "
                 "after %.0f s. Hint: " T2 ", TODO 2.5.", round, watch_freed(), ndet, hang_secs());
    }
}
