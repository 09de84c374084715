/*
 * hidden_stats.c - Task 1 against the oracle on random samples (many ties,
 * fractions, negatives), and the corners the public tests leave out.
 */
#include "../tests/cost_test.h"

#define T1 "Task 1 (src/stats.c)"

static double draw(struct tl_rng *r, int kind)
{
    switch (kind) {
    case 0: return (double)tl_rng_below(r, 5);                       /* heavy ties */
    case 1: return (double)tl_rng_below(r, 1000000) / 1024.0;        /* exact fractions */
    case 2: return ((double)tl_rng_below(r, 2000001) - 1e6) / 3.0;   /* negatives, inexact */
    default: return tl_rng_below(r, 50) ? 1000 + (double)tl_rng_below(r, 100)
                                        : 1e7 + (double)tl_rng_below(r, 1000); /* outliers */
    }
}

TL_TEST(hidden_percentile_matches_oracle, 3, 60, "stats stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    static const double ps[] = {0, 1, 10, 25, 33.3, 50, 66.7, 75, 90, 95, 99, 99.9, 100};
    long rounds = tl_iters(400);
    for (long k = 0; k < rounds; k++) {
        size_t n = 1 + (size_t)tl_rng_below(&r, k % 10 == 0 ? 2000 : 40);
        int kind = (int)tl_rng_below(&r, 4);
        double *v = malloc(n * sizeof *v), *x = malloc(n * sizeof *x);
        tl_check(v && x, "out of memory in the test");
        for (size_t i = 0; i < n; i++)
            v[i] = draw(&r, kind);
        memcpy(x, v, n * sizeof *x);
        qsort(x, n, sizeof *x, oracle_cmp);
        for (size_t j = 0; j < sizeof ps / sizeof ps[0]; j++) {
            double got = -1, want = oracle_sorted_pct(x, n, ps[j]);
            int rc = cost_percentile(v, n, ps[j], &got);
            tl_expect_ok(rc, "cost_percentile", T1);
            tl_check(got == want, "cost_percentile(%s, n=%zu, p=%g) = %.17g, expected %.17g "
                     "(cost.h's rule, evaluated as written). Replay with the seed printed above.",
                     show(v, n), n, ps[j], got, want);
        }
        size_t warm = (size_t)tl_rng_below(&r, n);
        struct cost_summary s;
        int rc = cost_summarize(v, n, warm, &s);
        tl_expect_ok(rc, "cost_summarize", T1);
        size_t m = n - warm;
        double sum = 0;
        for (size_t i = warm; i < n; i++)
            sum += v[i];
        memcpy(x, v + warm, m * sizeof *x);
        qsort(x, m, sizeof *x, oracle_cmp);
        double med = oracle_sorted_pct(x, m, 50);
        double p90 = oracle_sorted_pct(x, m, 90), p99 = oracle_sorted_pct(x, m, 99);
        double mn = x[0], mx = x[m - 1];
        for (size_t i = 0; i < m; i++)
            x[i] = fabs(x[i] - med);
        qsort(x, m, sizeof *x, oracle_cmp);
        double mad = oracle_sorted_pct(x, m, 50);
        tl_check(s.n == m && s.min == mn && s.max == mx && s.median == med && s.p90 == p90 &&
                 s.p99 == p99 && s.mad == mad && s.mean == sum / (double)m,
                 "cost_summarize(n=%zu, warmup=%zu) of %s: got n=%zu min=%.17g max=%.17g "
                 "mean=%.17g median=%.17g p90=%.17g p99=%.17g mad=%.17g; expected n=%zu "
                 "min=%.17g max=%.17g mean=%.17g median=%.17g p90=%.17g p99=%.17g mad=%.17g",
                 n, warm, show(v, n), s.n, s.min, s.max, s.mean, s.median, s.p90, s.p99, s.mad,
                 m, mn, mx, sum / (double)m, med, p90, p99, mad);
        free(v);
        free(x);
    }
}

TL_TEST(hidden_summary_edge_cases, 3, 20, "stats")
{
    struct cost_summary s;
    /* A warm-up sample that is not finite is discarded, not an error. */
    const double w[] = {NAN, INFINITY, 4, 2};
    int rc = cost_summarize(w, 4, 2, &s);
    tl_expect_ok(rc, "cost_summarize({NaN, inf | 4, 2}, warmup 2)", T1);
    tl_check(s.n == 2 && s.min == 2 && s.max == 4 && s.median == 3 && s.mad == 1 && s.mean == 3,
             "summary of {4, 2}: n=%zu min=%g max=%g median=%g mad=%g mean=%g, expected 2 2 4 3 1 3 "
             "(only the KEPT samples must be finite)", s.n, s.min, s.max, s.median, s.mad, s.mean);
    tl_check(fabs(s.p90 - 3.8) < 1e-12 && fabs(s.p99 - 3.98) < 1e-12, "p90=%.17g p99=%.17g "
             "of {2, 4}, expected 3.8 and 3.98", s.p90, s.p99);
    const double same[] = {7, 7, 7, 7, 7, 7, 7};
    rc = cost_summarize(same, 7, 0, &s);
    tl_expect_ok(rc, "cost_summarize", T1);
    tl_check(s.min == 7 && s.max == 7 && s.median == 7 && s.p99 == 7 && s.mad == 0 && s.mean == 7,
             "all samples 7: min %g max %g median %g p99 %g mad %g mean %g", s.min, s.max,
             s.median, s.p99, s.mad, s.mean);
    /* Outliers move the mean, not the median or the mad. */
    const double out[] = {10, 11, 12, 13, 1e9};
    rc = cost_summarize(out, 5, 0, &s);
    tl_expect_ok(rc, "cost_summarize", T1);
    tl_check(s.median == 12 && s.mad == 1 && s.max == 1e9 && s.mean == (46 + 1e9) / 5,
             "{10, 11, 12, 13, 1e9}: median %g (12), mad %g (1), max %g, mean %.17g", s.median,
             s.mad, s.max, s.mean);
    /* The warm-up is the FIRST samples, whatever their values. */
    const double order[] = {1, 2, 300, 400, 500};
    rc = cost_summarize(order, 5, 2, &s);
    tl_expect_ok(rc, "cost_summarize", T1);
    tl_check(s.min == 300 && s.n == 3 && s.median == 400, "warmup 2 of {1, 2, 300, 400, 500}: "
             "min %g, n %zu, median %g; the first two samples are dropped, not the smallest",
             s.min, s.n, s.median);
    const double neg[] = {-4, -1, -2, -8};
    rc = cost_summarize(neg, 4, 0, &s);
    tl_expect_ok(rc, "cost_summarize", T1);
    /* sorted -8 -4 -2 -1: median -3; deviations 5 1 1 2 -> 1 1 2 5: mad 1.5 */
    tl_check(s.min == -8 && s.max == -1 && s.median == -3 && s.mad == 1.5 && s.mean == -3.75,
             "{-4, -1, -2, -8}: min %g max %g median %g mad %g mean %g, expected -8 -1 -3 1.5 -3.75",
             s.min, s.max, s.median, s.mad, s.mean);
}

TL_TEST(hidden_percentile_p_extremes, 2, 10, "stats")
{
    const double two[] = {2, 1};
    double got;
    int rc = cost_percentile(two, 2, 1e-9, &got);
    tl_expect_ok(rc, "cost_percentile", T1);
    tl_check(got == 1 + 1e-11 * 1, "p = 1e-9 of {1, 2}: %.17g, expected 1 + 1e-11", got);
    rc = cost_percentile(two, 2, 100, &got);
    tl_expect_ok(rc, "cost_percentile", T1);
    tl_check(got == 2, "p = 100 of {2, 1} = %g, expected the maximum 2", got);
    rc = cost_percentile(two, 2, 0, &got);
    tl_expect_ok(rc, "cost_percentile", T1);
    tl_check(got == 1, "p = 0 of {2, 1} = %g, expected the minimum 1", got);
    double big[100];
    for (int i = 0; i < 100; i++)
        big[i] = (i * 37) % 100; /* a permutation of 0..99 */
    rc = cost_percentile(big, 100, 99.999, &got);
    tl_expect_ok(rc, "cost_percentile", T1);
    tl_check(fabs(got - 99 * 0.99999) < 1e-9, "p = 99.999 of 0..99 = %.17g, expected %.17g", got,
             99 * 0.99999);
    rc = cost_percentile(big, 100, 100, &got);
    tl_expect_ok(rc, "cost_percentile", T1);
    tl_check(got == 99, "p = 100 of 0..99 = %g", got);
    const double tiny[] = {1e-300, 5e-301};
    rc = cost_percentile(tiny, 2, 50, &got);
    tl_expect_ok(rc, "cost_percentile", T1);
    tl_check(got == 5e-301 + 0.5 * (1e-300 - 5e-301), "tiny values: %g", got);
}
