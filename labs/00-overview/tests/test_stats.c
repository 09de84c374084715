/*
 * test_stats.c - Task 1, robust statistics, checked exactly on samples
 * whose answers were worked out by hand from cost.h's rule.
 */
#include "cost_test.h"

#define T1 "Task 1 (src/stats.c)"

/* Exact where the arithmetic is exact (halves and quarters), else to 1e-9. */
static void pct_is(const double *v, size_t n, double p, double want, int exact)
{
    double got = -12345.0;
    int rc = cost_percentile(v, n, p, &got);
    tl_expect_ok(rc, "cost_percentile", T1);
    int ok = exact ? got == want : fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want));
    tl_check(ok, "cost_percentile(%s, n=%zu, p=%g) = %.17g, expected %.17g. Rule (cost.h): "
             "sort, h = (n-1)*p/100, lo = floor(h), x[lo] + (h-lo)*(x[lo+1]-x[lo]). "
             "Hint: handout Task 1, the worked example.", show(v, n), n, p, got, want);
}

TL_TEST(percentile_type7_exact, 5, 10, "stats")
{
    const double four[] = {40, 10, 30, 20}; /* sorted: 10 20 30 40 */
    pct_is(four, 4, 0, 10, 1);
    pct_is(four, 4, 25, 17.5, 1);   /* h = 0.75: not 10 or 20 (nearest rank), not 12.5 (type 6) */
    pct_is(four, 4, 50, 25, 1);     /* h = 1.5: the mean of the two middle values */
    pct_is(four, 4, 75, 32.5, 1);   /* h = 2.25 */
    pct_is(four, 4, 90, 37, 0);     /* h = 2.7 */
    pct_is(four, 4, 100, 40, 1);
    const double five[] = {5, 1, 4, 2, 3};
    pct_is(five, 5, 50, 3, 1);      /* odd n: the middle value */
    pct_is(five, 5, 25, 2, 1);      /* h = 1 exactly */
    pct_is(five, 5, 10, 1.4, 0);    /* h = 0.4 */
    pct_is(five, 5, 99, 4.96, 0);   /* h = 3.96 */
    /* Close fractional values: a comparator returning (int)(x - y) says
     * they are all equal and leaves them unsorted. */
    const double close[] = {0.3, 0.1, 0.25, 0.2};
    pct_is(close, 4, 0, 0.1, 1);
    pct_is(close, 4, 100, 0.3, 1);
    pct_is(close, 4, 50, 0.225, 0);
    const double neg[] = {0.25, -1.5, -0.75};
    pct_is(neg, 3, 50, -0.75, 1);
    pct_is(neg, 3, 75, -0.25, 1);   /* h = 1.5 */
    /* A longer, reversed input. */
    double rev[1001];
    for (int i = 0; i <= 1000; i++)
        rev[i] = 1000 - i;
    pct_is(rev, 1001, 50, 500, 1);
    pct_is(rev, 1001, 99, 990, 1);
    pct_is(rev, 1001, 12.5, 125, 1);
}

TL_TEST(percentile_edges_n1_even_ties, 4, 10, "stats")
{
    const double one[] = {7.5};
    pct_is(one, 1, 0, 7.5, 1);
    pct_is(one, 1, 50, 7.5, 1);
    pct_is(one, 1, 99, 7.5, 1);
    pct_is(one, 1, 100, 7.5, 1);
    const double two[] = {9, 3};
    pct_is(two, 2, 50, 6, 1);
    pct_is(two, 2, 0, 3, 1);
    pct_is(two, 2, 100, 9, 1);
    const double ties[] = {2, 9, 2, 2};
    pct_is(ties, 4, 50, 2, 1);
    pct_is(ties, 4, 90, 6.9, 0);    /* h = 2.7, between the last 2 and the 9 */
    const double many[] = {3, 100, 3, 1, 3, 3};
    pct_is(many, 6, 50, 3, 1);
    pct_is(many, 6, 0, 1, 1);
    const double same[] = {4, 4, 4, 4, 4};
    for (int p = 0; p <= 100; p += 5)
        pct_is(same, 5, p, 4, 1);
}

TL_TEST(percentile_leaves_input_alone, 3, 10, "stats")
{
    double v[] = {9, 1, 8, 2, 7, 3, 6, 4, 5};
    double copy[9];
    memcpy(copy, v, sizeof v);
    double got;
    int rc = cost_percentile(v, 9, 50, &got);
    tl_expect_ok(rc, "cost_percentile", T1);
    tl_check(memcmp(v, copy, sizeof v) == 0, "cost_percentile changed its input: before %s, "
             "after %s. Contract: v is read, never modified. Hint: sort a malloc'd copy (TODO 1.3).",
             show(copy, 9), show(v, 9));
    tl_check(got == 5, "median of 1..9 = %g, expected 5", got);
    struct cost_summary s;
    rc = cost_summarize(v, 9, 2, &s);
    tl_expect_ok(rc, "cost_summarize", T1);
    tl_check(memcmp(v, copy, sizeof v) == 0, "cost_summarize changed its input: before %s, "
             "after %s. Contract: samples is never modified (TODO 1.5).", show(copy, 9), show(v, 9));
}

TL_TEST(percentile_rejects_bad_arguments, 4, 10, "stats")
{
    const double v[] = {1, 2, 3};
    double out = 42;
    tl_expect_rc(cost_percentile(NULL, 3, 50, &out), EINVAL, "cost_percentile(NULL, 3, 50, &out)", "TODO 1.2.");
    tl_expect_rc(cost_percentile(v, 3, 50, NULL), EINVAL, "cost_percentile(v, 3, 50, NULL)", "TODO 1.2.");
    tl_expect_rc(cost_percentile(v, 0, 50, &out), EINVAL, "cost_percentile with n == 0",
              "There is no percentile of nothing (TODO 1.2).");
    tl_expect_rc(cost_percentile(v, 3, -0.001, &out), EINVAL, "cost_percentile with p = -0.001", "p must be in [0, 100].");
    tl_expect_rc(cost_percentile(v, 3, 100.001, &out), EINVAL, "cost_percentile with p = 100.001", "p must be in [0, 100].");
    tl_expect_rc(cost_percentile(v, 3, NAN, &out), EINVAL, "cost_percentile with p = NaN",
              "Every comparison with NaN is false: `p < 0 || p > 100` lets it through.");
    const double bad1[] = {1, NAN, 3}, bad2[] = {1, 2, INFINITY}, bad3[] = {-INFINITY, 2, 3};
    tl_expect_rc(cost_percentile(bad1, 3, 50, &out), EINVAL, "cost_percentile of {1, NaN, 3}", "Reject values that are not finite.");
    tl_expect_rc(cost_percentile(bad2, 3, 50, &out), EINVAL, "cost_percentile of {1, 2, inf}", "Reject values that are not finite (isfinite).");
    tl_expect_rc(cost_percentile(bad3, 3, 50, &out), EINVAL, "cost_percentile of {-inf, 2, 3}", "Reject values that are not finite (isfinite).");
    tl_check(out == 42, "cost_percentile wrote *out = %g on an error: it must leave it untouched", out);
}

static void summary_is(const char *what, const struct cost_summary *s, const struct cost_summary *w,
                       double tol)
{
#define FIELD(f)                                                                              \
    tl_check(fabs(s->f - w->f) <= tol * fmax(1.0, fabs(w->f)),                                 \
             "cost_summarize(%s): " #f " = %.17g, expected %.17g (n=%zu min=%g max=%g mean=%g " \
             "median=%g p90=%g p99=%g mad=%g). Hint: handout Task 1.", what, s->f, w->f, s->n,  \
             s->min, s->max, s->mean, s->median, s->p90, s->p99, s->mad)
    tl_check(s->n == w->n, "cost_summarize(%s): n = %zu, expected %zu (count - warmup: the "
             "warm-up samples are dropped, TODO 1.4)", what, s->n, w->n);
    FIELD(min); FIELD(max); FIELD(mean); FIELD(median); FIELD(p90); FIELD(p99); FIELD(mad);
#undef FIELD
}

TL_TEST(summary_exact_with_warmup, 5, 10, "stats")
{
    /* Two slow warm-up samples, then 10 14 12 11 13 120. */
    const double s1[] = {1000, 900, 10, 14, 12, 11, 13, 120};
    struct cost_summary got;
    memset(&got, 0, sizeof got);
    int rc = cost_summarize(s1, 8, 2, &got);
    tl_expect_ok(rc, "cost_summarize", T1);
    /* sorted 10 11 12 13 14 120: median 12.5, p90 h=4.5 -> 67, p99 h=4.95 ->
     * 114.7; deviations 2.5 1.5 .5 .5 1.5 107.5, sorted .5 .5 1.5 1.5 2.5 107.5:
     * mad 1.5. */
    struct cost_summary w1 = {6, 10, 120, 30, 12.5, 67, 114.7, 1.5};
    summary_is("{1000, 900 | 10, 14, 12, 11, 13, 120}, warmup 2", &got, &w1, 1e-12);
    /* Exactly representable ones are exact. */
    tl_check(got.median == 12.5 && got.p90 == 67 && got.mad == 1.5 && got.mean == 30,
             "median/p90/mad/mean must be exactly 12.5/67/1.5/30, got %.17g/%.17g/%.17g/%.17g",
             got.median, got.p90, got.mad, got.mean);

    /* No warm-up, odd n. */
    const double s2[] = {5, 1, 4, 2, 3};
    rc = cost_summarize(s2, 5, 0, &got);
    tl_expect_ok(rc, "cost_summarize", T1);
    /* deviations from 3: 2 2 1 1 0 -> sorted 0 1 1 2 2: mad 1 */
    struct cost_summary w2 = {5, 1, 5, 3, 3, 4.6, 4.96, 1};
    summary_is("{5, 1, 4, 2, 3}, warmup 0", &got, &w2, 1e-12);

    /* One kept sample. */
    const double s3[] = {99, 3.25};
    rc = cost_summarize(s3, 2, 1, &got);
    tl_expect_ok(rc, "cost_summarize", T1);
    struct cost_summary w3 = {1, 3.25, 3.25, 3.25, 3.25, 3.25, 3.25, 0};
    summary_is("{99 | 3.25}, warmup 1", &got, &w3, 0);
}

TL_TEST(summary_rejects_bad_arguments, 2, 10, "stats")
{
    const double v[] = {1, 2, 3};
    struct cost_summary s, before;
    memset(&s, 0x5a, sizeof s);
    before = s;
    tl_expect_rc(cost_summarize(NULL, 3, 0, &s), EINVAL, "cost_summarize(NULL, ...)", "TODO 1.4.");
    tl_expect_rc(cost_summarize(v, 3, 0, NULL), EINVAL, "cost_summarize(v, 3, 0, NULL)", "TODO 1.4.");
    tl_expect_rc(cost_summarize(v, 3, 3, &s), EINVAL, "cost_summarize with warmup == count",
              "Nothing would be left to summarise (TODO 1.4).");
    tl_expect_rc(cost_summarize(v, 3, 7, &s), EINVAL, "cost_summarize with warmup > count", "TODO 1.4.");
    tl_expect_rc(cost_summarize(v, 0, 0, &s), EINVAL, "cost_summarize with count == 0", "TODO 1.4.");
    const double bad[] = {1, 2, NAN};
    tl_expect_rc(cost_summarize(bad, 3, 0, &s), EINVAL, "cost_summarize of {1, 2, NaN}",
              "A kept sample that is not finite is an error.");
    tl_check(memcmp(&s, &before, sizeof s) == 0, "cost_summarize wrote *out on an error: it must "
             "fill it only on success (TODO 1.6)");
}
