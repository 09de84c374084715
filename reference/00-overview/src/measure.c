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
#ifdef SOLUTION
    struct timespec ts;
    /* CLOCK_MONOTONIC never jumps (NTP slews it, settimeofday does not
     * touch it); glibc reads it in user space through the vDSO, no system
     * call. It cannot fail with a valid clock id and pointer. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#else
    /* TODO 2.1: clock_gettime(CLOCK_MONOTONIC, ...), as nanoseconds in a
     *           uint64_t (tv_sec * 1000000000 + tv_nsec, without overflow
     *           in 32-bit arithmetic). */
    return 0;
#endif
}

uint64_t cost_clock_step_ns(unsigned pairs)
{
#ifdef SOLUTION
    uint64_t best = 0;
    for (unsigned i = 0; i < pairs; i++) {
        uint64_t a = cost_now_ns();
        uint64_t d = cost_now_ns() - a;
        if (d != 0 && (best == 0 || d < best))
            best = d;
    }
    return best;
#else
    /* TODO 2.2: over `pairs` pairs of back-to-back readings, the smallest
     *           nonzero difference (0 if every pair read the same value,
     *           and for pairs == 0). */
    (void)pairs;
    return 0;
#endif
}

int cost_measure(cost_op_fn op, void *ctx, size_t batch, size_t count,
                 double *samples)
{
#ifdef SOLUTION
    if (!op || !samples || batch == 0 || count == 0)
        return EINVAL;
    for (size_t i = 0; i < count; i++) {
        uint64_t t0 = cost_now_ns();
        for (size_t j = 0; j < batch; j++) {
            int rc = op(ctx);
            if (rc != 0)
                return rc;
        }
        uint64_t t1 = cost_now_ns();
        samples[i] = (double)(t1 - t0) / (double)batch;
    }
    return 0;
#else
    /* TODO 2.3: EINVAL for op or samples NULL, batch 0 or count 0.
     * TODO 2.4: for each of the count samples: read the clock, call op(ctx)
     *           batch times (return the first non-zero result at once),
     *           read the clock, store (t1 - t0) / batch as a double. */
    return ENOSYS;
#endif
}

int cost_bench(cost_op_fn op, void *ctx, size_t batch, size_t count,
               size_t warmup, struct cost_summary *out)
{
#ifdef SOLUTION
    if (!op || !out || batch == 0 || warmup >= count)
        return EINVAL;
    double *s = malloc(count * sizeof *s);
    if (!s)
        return ENOMEM;
    int rc = cost_measure(op, ctx, batch, count, s);
    if (rc == 0)
        rc = cost_summarize(s, count, warmup, out);
    free(s);
    return rc;
#else
    /* TODO 2.5: EINVAL as cost_measure and cost_summarize would; malloc
     *           count samples, measure, summarise with warmup, free. */
    return ENOSYS;
#endif
}
