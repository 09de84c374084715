/*
 * cost_test.h - helpers shared by lab 00's tests (not part of the API).
 *
 * Statistics are checked exactly against values worked out by hand (or by
 * the oracle below, which applies cost.h's rule word for word). Timings are
 * never checked against a number of nanoseconds: only one model against
 * another, with a wide margin, and the test takes its own samples so that a
 * mistake in your statistics cannot fail a timing test.
 */
#ifndef COST_TEST_H
#define COST_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "cost.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>


/* The oracle: cost.h's type-7 rule on a sorted array, as written there. */
static int oracle_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double oracle_sorted_pct(const double *x, size_t n, double p)
{
    double h = (double)(n - 1) * p / 100.0;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

static inline double oracle_pct(const double *v, size_t n, double p)
{
    double *x = malloc(n * sizeof *x);
    tl_check(x != NULL, "out of memory in the test");
    memcpy(x, v, n * sizeof *x);
    qsort(x, n, sizeof *x, oracle_cmp);
    double r = oracle_sorted_pct(x, n, p);
    free(x);
    return r;
}

/* "%s" of up to 12 values, for messages. */
static inline const char *show(const double *v, size_t n)
{
    static __thread char buf[512];
    size_t k = 0;
    k += (size_t)snprintf(buf + k, sizeof buf - k, "{");
    for (size_t i = 0; i < n && i < 12 && k < sizeof buf; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%g", i ? ", " : "", v[i]);
    if (k < sizeof buf)
        snprintf(buf + k, sizeof buf - k, "%s}", n > 12 ? ", ..." : "");
    return buf;
}

/* ---- timing, the test's own ------------------------------------------ */

static inline double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The median, over `samples` samples, of the time per call of op(ctx) in
 * batches of `batch`; fails the test if op returns non-zero. */
static inline double time_op(const char *what, cost_op_fn op, void *ctx, int batch,
                             int samples)
{
    double s[64];
    if (samples > 64)
        samples = 64;
    for (int i = 0; i < samples; i++) {
        double t0 = now_ns();
        for (int j = 0; j < batch; j++) {
            int rc = op(ctx);
            tl_check(rc == 0, "%s returned %d (%s) while being timed, expected 0%s", what, rc,
                     tl_ename(rc), rc == ENOSYS ? ". ENOSYS is the skeleton's stub: do Tasks 3 and 4 of the handout first" : "");
        }
        s[i] = (now_ns() - t0) / batch;
    }
    qsort(s, (size_t)samples, sizeof s[0], oracle_cmp);
    return oracle_sorted_pct(s, (size_t)samples, 50);
}

/* Threads of this process now (entries of /proc/self/task). */
static inline int task_count(void)
{
    return tl_proc_entries("/proc/self/task");
}

static void *noop_thread(void *arg)
{
    return arg;
}

/* task_count() once the runtime's own helper threads exist: ThreadSanitizer
 * starts a background thread at the first pthread_create, so one thread is
 * created and joined before the count is taken. */
static inline int baseline_tasks(void)
{
    pthread_t t;
    tl_check(pthread_create(&t, NULL, noop_thread, NULL) == 0, "the test could not create a thread");
    pthread_join(t, NULL);
    return task_count();
}

/* task_count(), polled until it equals want or 5 s (times TL_SLOW) pass: a
 * joined thread's entry can outlive pthread_join by a moment (the kernel
 * wakes the joiner before it has finished tearing the thread down). */
static inline int tasks_settle(int want)
{
    double end = now_ns() + 5e9 * (double)tl_slow();
    int n;
    while ((n = task_count()) != want && now_ns() < end)
        sched_yield();
    return n;
}

/* Open file descriptors of this process now. */
static inline int fd_count(void)
{
    return tl_open_fds();
}

#endif
