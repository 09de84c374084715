/*
 * test_measure.c - Task 2, the clock and the sampling loop. The operations
 * timed here are the test's own, so the checks are exact counts and lower
 * bounds the clock itself guarantees, never an upper bound on time.
 */
#include "cost_test.h"

#define T2 "Task 2 (src/measure.c)"

TL_TEST(clock_is_monotonic_ns, 2, 10, "measure")
{
    double a = now_ns();
    uint64_t prev = cost_now_ns();
    double b = now_ns();
    tl_check(prev != 0, "cost_now_ns() returned 0. Hint: TODO 2.1, clock_gettime(CLOCK_MONOTONIC).");
    tl_check((double)prev >= a - 1e3 && (double)prev <= b + 1e3,
             "cost_now_ns() = %llu ns, but CLOCK_MONOTONIC read %.0f before and %.0f after it: "
             "it must be CLOCK_MONOTONIC in nanoseconds (tv_sec * 1000000000 + tv_nsec, in 64 "
             "bits). Hint: TODO 2.1.", (unsigned long long)prev, a, b);
    long n = tl_iters(200000);
    for (long i = 0; i < n; i++) {
        uint64_t t = cost_now_ns();
        tl_check(t >= prev, "cost_now_ns() went back from %llu to %llu",
                 (unsigned long long)prev, (unsigned long long)t);
        prev = t;
    }
    tl_check(cost_clock_step_ns(0) == 0, "cost_clock_step_ns(0) = %llu: no pair read, so no "
             "step seen: 0 (TODO 2.2)", (unsigned long long)cost_clock_step_ns(0));
    uint64_t step = cost_clock_step_ns(1000);
    tl_check(step > 0, "cost_clock_step_ns(1000) = 0: in 1000 pairs of readings the clock never "
             "moved? Hint: TODO 2.2, the smallest NONZERO difference.");
    /* The smallest step cannot be larger than the span of a slow loop of
     * readings divided by the number of times the value changed. */
    uint64_t t0 = cost_now_ns(), last = t0;
    unsigned changes = 0;
    while (changes < 100) {
        uint64_t t = cost_now_ns();
        if (t != last)
            changes++;
        last = t;
    }
    uint64_t bound = (last - t0) / changes + 1;
    uint64_t step1 = cost_clock_step_ns(20000);
    tl_check(step1 <= bound * 50 + 1000, "cost_clock_step_ns(20000) = %llu ns, but 100 changes of "
             "the clock took only %llu ns in all: you must keep the SMALLEST nonzero difference "
             "(TODO 2.2)", (unsigned long long)step1, (unsigned long long)(last - t0));
}

struct counter {
    unsigned long calls;
    unsigned long fail_at; /* return EPIPE on this call (1-based); 0 never */
    double spin_ns;        /* busy-wait this long per call */
};

static int count_op(void *ctx)
{
    struct counter *c = ctx;
    c->calls++;
    if (c->spin_ns > 0) {
        double end = now_ns() + c->spin_ns;
        while (now_ns() < end)
            ;
    }
    return c->fail_at && c->calls == c->fail_at ? EPIPE : 0;
}

TL_TEST(measure_calls_and_samples_exact, 4, 20, "measure")
{
    double s[12];
    for (int i = 0; i < 12; i++)
        s[i] = -1;
    struct counter c = {0, 0, 0};
    int rc = cost_measure(count_op, &c, 7, 10, s);
    tl_expect_ok(rc, "cost_measure(op, ctx, batch 7, count 10, s)", T2);
    tl_check(c.calls == 70, "cost_measure with batch 7 and count 10 called op %lu times, "
             "expected exactly 70 (TODO 2.4)", c.calls);
    for (int i = 0; i < 10; i++)
        tl_check(s[i] >= 0, "samples[%d] = %g: not written, or negative", i, s[i]);
    tl_check(s[10] == -1 && s[11] == -1, "cost_measure wrote past samples[count - 1] "
             "(samples[10] = %g)", s[10]);
    /* Each call busy-waits 200 us of CLOCK_MONOTONIC: a sample, in ns per
     * call, cannot be below that (the clock guarantees it). */
    struct counter slow = {0, 0, 200e3};
    rc = cost_measure(count_op, &slow, 3, 4, s);
    tl_expect_ok(rc, "cost_measure", T2);
    for (int i = 0; i < 4; i++)
        tl_check(s[i] >= 200e3 * 0.999, "samples[%d] = %.0f ns per call, but every call took at "
                 "least 200000 ns of CLOCK_MONOTONIC: time the whole batch with cost_now_ns() "
                 "and divide by batch (TODO 2.4)", i, s[i]);
    tl_check(slow.calls == 12, "op called %lu times for batch 3, count 4; expected 12", slow.calls);
    /* One call per sample: the per-call time of one 200 us call is not
     * divided into anything smaller. */
    struct counter one = {0, 0, 200e3};
    rc = cost_measure(count_op, &one, 1, 2, s);
    tl_expect_ok(rc, "cost_measure", T2);
    tl_check(s[0] >= 200e3 * 0.999 && s[1] >= 200e3 * 0.999, "batch 1: samples %.0f %.0f ns, "
             "expected >= 200000 each", s[0], s[1]);
    tl_check(one.calls == 2, "batch 1, count 2 called op %lu times", one.calls);
}

TL_TEST(measure_stops_at_first_error, 2, 10, "measure")
{
    double s[10];
    for (int i = 0; i < 10; i++)
        s[i] = -1;
    struct counter c = {0, 13, 0};
    int rc = cost_measure(count_op, &c, 5, 10, s);
    tl_expect_rc(rc, EPIPE, "cost_measure when the 13th call of op returns EPIPE",
              "Return op's error at once (TODO 2.4).");
    tl_check(c.calls == 13, "op returned EPIPE on call 13 but cost_measure went on to %lu calls: "
             "stop at the first error", c.calls);
    tl_check(s[0] >= 0 && s[1] >= 0 && s[2] == -1, "with batch 5 the first two samples "
             "(calls 1-10) complete and the third does not: samples %g %g %g", s[0], s[1], s[2]);
    tl_expect_rc(cost_measure(NULL, &c, 1, 1, s), EINVAL, "cost_measure(NULL op)", "TODO 2.3.");
    tl_expect_rc(cost_measure(count_op, &c, 1, 1, NULL), EINVAL, "cost_measure(samples NULL)", "TODO 2.3.");
    tl_expect_rc(cost_measure(count_op, &c, 0, 1, s), EINVAL, "cost_measure(batch 0)", "TODO 2.3.");
    tl_expect_rc(cost_measure(count_op, &c, 1, 0, s), EINVAL, "cost_measure(count 0)", "TODO 2.3.");
    tl_check(c.calls == 13, "cost_measure called op on invalid arguments");
}

TL_TEST(bench_summarizes_after_warmup, 2, 20, "measure")
{
    struct counter c = {0, 0, 50e3};
    struct cost_summary s;
    memset(&s, 0, sizeof s);
    int rc = cost_bench(count_op, &c, 2, 9, 3, &s);
    tl_expect_ok(rc, "cost_bench(op, ctx, batch 2, count 9, warmup 3)", T2);
    tl_check(c.calls == 18, "cost_bench with batch 2, count 9 called op %lu times, expected 18 "
             "(the warm-up samples are taken too, then dropped)", c.calls);
    tl_check(s.n == 6, "cost_bench(count 9, warmup 3) summarised n = %zu samples, expected 6", s.n);
    tl_check(s.min >= 50e3 * 0.999 && s.min <= s.median && s.median <= s.p90 && s.p90 <= s.max,
             "cost_bench summary min %.0f median %.0f p90 %.0f max %.0f: each call spins 50000 ns, "
             "and min <= median <= p90 <= max", s.min, s.median, s.p90, s.max);
    struct counter e = {0, 4, 0};
    tl_expect_rc(cost_bench(count_op, &e, 1, 9, 3, &s), EPIPE, "cost_bench when op fails",
              "Pass op's error on.");
    unsigned long calls = c.calls;
    tl_expect_rc(cost_bench(count_op, &c, 1, 3, 3, &s), EINVAL, "cost_bench with warmup == count", "TODO 2.5.");
    tl_expect_rc(cost_bench(count_op, &c, 1, 3, 4, &s), EINVAL, "cost_bench with warmup > count", "TODO 2.5.");
    tl_expect_rc(cost_bench(count_op, &c, 0, 3, 1, &s), EINVAL, "cost_bench with batch 0", "TODO 2.5.");
    tl_expect_rc(cost_bench(NULL, &c, 1, 3, 1, &s), EINVAL, "cost_bench(NULL op)", "TODO 2.5.");
    tl_expect_rc(cost_bench(count_op, &c, 1, 3, 1, NULL), EINVAL, "cost_bench(out NULL)", "TODO 2.5.");
    tl_check(c.calls == calls, "cost_bench called op %lu times before returning EINVAL: check "
             "the arguments BEFORE measuring (cost.h)", c.calls - calls);
}
