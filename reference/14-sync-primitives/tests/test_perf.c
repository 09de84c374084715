/*
 * test_perf.c - the performance stage: mutex lock/unlock pairs per second
 * over a fixed amount of work (uncontended on one thread, then contended
 * by two). The grader compares the figure with the reference's, measured
 * in the same grading run.
 */
#include "sp_test.h"

static struct sp_mutex pm;
static long pcount; /* guarded by pm */
static long per_thread;

static void *perf_worker(void *arg)
{
    for (long i = 0; i < per_thread; i++) {
        sp_mutex_lock(&pm);
        pcount++;
        sp_mutex_unlock(&pm);
    }
    return NULL;
}

TL_TEST(perf_mutex_throughput, 0, 60, "perf slow")
{
    SP_INIT(sp_mutex_init(&pm), "Task 1 (src/mutex.c)");
    long solo = tl_iters(4000000);
    per_thread = tl_iters(1000000);
    double t0 = tl_now();
    for (long i = 0; i < solo; i++) {
        sp_mutex_lock(&pm);
        pcount++;
        sp_mutex_unlock(&pm);
    }
    struct tl_thread t[2];
    tl_thread_start(&t[0], perf_worker, NULL);
    tl_thread_start(&t[1], perf_worker, NULL);
    st_join_all(t, 2, "stuck in sp_mutex_lock");
    double dt = tl_now() - t0;
    long total = solo + 2 * per_thread;
    tl_check(pcount == total, "%ld increments under the mutex, expected %ld", pcount, total);
    tl_metric((double)total / (dt > 0 ? dt : 1e-9));
}
