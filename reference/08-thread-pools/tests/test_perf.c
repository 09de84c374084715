/*
 * test_perf.c - the performance stage: tasks of fixed tiny work per
 * second, one submitter, two workers. The grader compares the figure with
 * the reference's, measured in the same grading run.
 */
#include "tp_test.h"

static atomic_long perf_runs;

static int tiny_task(void *arg, long *value)
{
    atomic_fetch_add_explicit(&perf_runs, 1, memory_order_relaxed);
    return 0;
}

TL_TEST(perf_task_throughput, 0, 60, "perf slow")
{
    long n = tl_iters(1000000);
    atomic_store(&perf_runs, 0);
    tp_pool *p = make_pool(2, 2, 256, 0, TP_BLOCK);
    double t0 = tl_now();
    for (long i = 0; i < n; i++) {
        int rc = tp_submit(p, tiny_task, NULL, NULL);
        if (rc)
            tl_expect_ok(rc, "tp_submit", T2);
    }
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    double dt = tl_now() - t0;
    tl_check(atomic_load(&perf_runs) == n, "%ld tasks ran, expected %ld",
             (long)atomic_load(&perf_runs), n);
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
    tl_metric((double)n / (dt > 0 ? dt : 1e-9));
}
