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


void cost_sort(double *x, size_t n)
{
    /* TODO 1.1: sort x[0..n) ascending (qsort with a comparator that
     *           returns -1, 0 or 1; `return x - y` truncated to int is
     *           wrong for doubles). */
    (void)x;
    (void)n;
}


int cost_percentile(const double *v, size_t n, double p, double *out)
{
    /* TODO 1.2: EINVAL for v or out NULL, n == 0, p outside [0, 100] or
     *           NaN (note: every comparison with NaN is false), or a value
     *           of v that is not finite (isfinite).
     * TODO 1.3: copy v (malloc, ENOMEM), sort the copy, apply the type-7
     *           rule of cost.h EXACTLY as written (h = (n - 1) * p / 100 in
     *           double, lo = floor(h), x[lo] + (h - lo) * (x[lo+1] - x[lo]),
     *           x[n-1] when lo == n - 1), store it in *out, free the copy. */
    return ENOSYS;
}

int cost_summarize(const double *samples, size_t count, size_t warmup,
                   struct cost_summary *out)
{
    /* TODO 1.4: EINVAL for NULL pointers or warmup >= count; the kept
     *           samples are samples[warmup..count); EINVAL if one is not
     *           finite.
     * TODO 1.5: from a sorted copy of the kept samples: n, min, max, the
     *           mean (sum in INDEX order of the kept samples, then / n),
     *           median, p90 and p99 by the same rule as cost_percentile.
     * TODO 1.6: mad: the median of |x_i - median| (sort the deviations).
     *           Fill *out only when everything succeeded; free the copy. */
    return ENOSYS;
}
