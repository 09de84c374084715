/*
 * stats.c - Task 1: robust statistics over timing samples.
 *
 * Timings are skewed: most samples sit near the true cost and a few are far
 * above it (an interrupt, a preemption, a page fault). The median and the
 * minimum barely move when such outliers come and go; the mean does. Every
 * function works on a sorted COPY: the caller's samples stay as they were.
 */
#include "cost.h"
#include "cost_internal.h"

#include <errno.h>
#include <math.h>

#ifdef SOLUTION
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
#endif

void cost_sort(double *x, size_t n)
{
#ifdef SOLUTION
    qsort(x, n, sizeof *x, cmp_double);
#else
    /* TODO 1.1: sort x[0..n) ascending (qsort with a comparator that
     *           returns -1, 0 or 1; `return x - y` truncated to int is
     *           wrong for doubles). */
    (void)x;
    (void)n;
#endif
}

#ifdef SOLUTION
/* The type-7 percentile of an already sorted, non-empty array. */
static double sorted_percentile(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p / 100.0;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* A sorted copy of v[0..n), or NULL (ENOMEM). */
static double *sorted_copy(const double *v, size_t n)
{
    double *x = malloc(n * sizeof *x);
    if (!x)
        return NULL;
    memcpy(x, v, n * sizeof *x);
    cost_sort(x, n);
    return x;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}
#endif

int cost_percentile(const double *v, size_t n, double p, double *out)
{
#ifdef SOLUTION
    if (!v || !out || n == 0 || !(p >= 0.0 && p <= 100.0) || !all_finite(v, n))
        return EINVAL;
    double *x = sorted_copy(v, n);
    if (!x)
        return ENOMEM;
    *out = sorted_percentile(x, n, p);
    free(x);
    return 0;
#else
    /* TODO 1.2: EINVAL for v or out NULL, n == 0, p outside [0, 100] or
     *           NaN (note: every comparison with NaN is false), or a value
     *           of v that is not finite (isfinite).
     * TODO 1.3: copy v (malloc, ENOMEM), sort the copy, apply the type-7
     *           rule of cost.h EXACTLY as written (h = (n - 1) * p / 100 in
     *           double, lo = floor(h), x[lo] + (h - lo) * (x[lo+1] - x[lo]),
     *           x[n-1] when lo == n - 1), store it in *out, free the copy. */
    return ENOSYS;
#endif
}

int cost_summarize(const double *samples, size_t count, size_t warmup,
                   struct cost_summary *out)
{
#ifdef SOLUTION
    if (!samples || !out || warmup >= count)
        return EINVAL;
    const double *kept = samples + warmup;
    size_t n = count - warmup;
    if (!all_finite(kept, n))
        return EINVAL;
    double *x = sorted_copy(kept, n);
    if (!x)
        return ENOMEM;
    struct cost_summary s;
    s.n = n;
    s.min = x[0];
    s.max = x[n - 1];
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += kept[i];
    s.mean = sum / (double)n;
    s.median = sorted_percentile(x, n, 50.0);
    s.p90 = sorted_percentile(x, n, 90.0);
    s.p99 = sorted_percentile(x, n, 99.0);
    /* Reuse the copy for the deviations: x is no longer needed sorted. */
    for (size_t i = 0; i < n; i++)
        x[i] = fabs(x[i] - s.median);
    cost_sort(x, n);
    s.mad = sorted_percentile(x, n, 50.0);
    free(x);
    *out = s;
    return 0;
#else
    /* TODO 1.4: EINVAL for NULL pointers or warmup >= count; the kept
     *           samples are samples[warmup..count); EINVAL if one is not
     *           finite.
     * TODO 1.5: from a sorted copy of the kept samples: n, min, max, the
     *           mean (sum in INDEX order of the kept samples, then / n),
     *           median, p90 and p99 by the same rule as cost_percentile.
     * TODO 1.6: mad: the median of |x_i - median| (sort the deviations).
     *           Fill *out only when everything succeeded; free the copy. */
    return ENOSYS;
#endif
}
