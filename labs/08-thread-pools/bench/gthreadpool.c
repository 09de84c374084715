/* bench/gthreadpool.c - the peer of bench/pool.c: the same tasks
 * (work.h) through GLib's GThreadPool with the same number of threads
 * (exclusive, so exactly that many), pushed from one thread; the clock
 * stops when g_thread_pool_free(pool, FALSE, TRUE) has run every queued
 * task and joined. GThreadPool's queue (a GAsyncQueue) is unbounded, so
 * the submitter never waits for a slot. Prints
 * `tl-bench ops=<tasks> ns=<elapsed>`. */
#include "work.h"

#include <glib.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

static atomic_uint_least64_t sum;
static long iters;

static void task(gpointer data, gpointer user)
{
    (void)user;
    /* GThreadPool refuses NULL data: items are numbered from 1 */
    uint64_t i = (uint64_t)(uintptr_t)data - 1;
    atomic_fetch_add_explicit(&sum, bench_work(i, iters), memory_order_relaxed);
}

int main(int argc, char **argv)
{
    int threads;
    long ntasks;
    bench_args(argc, argv, &threads, &iters, &ntasks);
    GError *err = NULL;
    GThreadPool *p = g_thread_pool_new(task, NULL, threads, TRUE, &err);
    if (!p) {
        fprintf(stderr, "gthreadpool: g_thread_pool_new: %s\n", err ? err->message : "?");
        return 1;
    }
    long t0 = bench_now_ns();
    for (long i = 0; i < ntasks; i++)
        if (!g_thread_pool_push(p, (gpointer)(uintptr_t)(i + 1), &err)) {
            fprintf(stderr, "gthreadpool: push: %s\n", err ? err->message : "?");
            return 1;
        }
    g_thread_pool_free(p, FALSE, TRUE);
    long dt = bench_now_ns() - t0;
    if (atomic_load(&sum) != bench_expected(ntasks, iters)) {
        fprintf(stderr, "gthreadpool: wrong checksum: a task ran twice or not at all\n");
        return 1;
    }
    printf("tl-bench ops=%ld ns=%ld\n", ntasks, dt);
    return 0;
}
