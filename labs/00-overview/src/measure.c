/*
 * measure.c - Task 2: reading the clock and taking samples.
 *
 * One sample times a BATCH of calls and divides: an operation that takes
 * 50 ns cannot be timed alone with a clock read that itself costs ~20 ns
 * and steps in tens of nanoseconds, but 1000 of them in a row can.
 */
#include "cost.h"
#include "cost_internal.h"

#include <errno.h>
#include <time.h>

uint64_t cost_now_ns(void)
{
    /* TODO 2.1: clock_gettime(CLOCK_MONOTONIC, ...), as nanoseconds in a
     *           uint64_t (tv_sec * 1000000000 + tv_nsec, without overflow
     *           in 32-bit arithmetic). */
    return 0;
}

uint64_t cost_clock_step_ns(unsigned pairs)
{
    /* TODO 2.2: over `pairs` pairs of back-to-back readings, the smallest
     *           nonzero difference (0 if every pair read the same value,
     *           and for pairs == 0). */
    (void)pairs;
    return 0;
}

int cost_measure(cost_op_fn op, void *ctx, size_t batch, size_t count,
                 double *samples)
{
    /* TODO 2.3: EINVAL for op or samples NULL, batch 0 or count 0.
     * TODO 2.4: for each of the count samples: read the clock, call op(ctx)
     *           batch times (return the first non-zero result at once),
     *           read the clock, store (t1 - t0) / batch as a double. */
    return ENOSYS;
}

int cost_bench(cost_op_fn op, void *ctx, size_t batch, size_t count,
               size_t warmup, struct cost_summary *out)
{
    /* TODO 2.5: EINVAL as cost_measure and cost_summarize would; malloc
     *           count samples, measure, summarise with warmup, free. */
    return ENOSYS;
}
