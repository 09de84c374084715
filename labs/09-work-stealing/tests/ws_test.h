/*
 * ws_test.h - helpers shared by the lab 09 tests (kit-owned).
 *
 * Threads other than the test's own never call tl_check: they record the
 * first failure in a tl_failbox and stop; the test thread reports it after
 * joining them. Nothing sleeps to synchronise: a deadline only turns a
 * hang into a message.
 */
#ifndef WS_TEST_H
#define WS_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "ws.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WS_NEW_DEQUE(d, logc)                                                 \
    do {                                                                      \
        (d) = ws_deque_new(logc);                                             \
        tl_check((d) != NULL, "ws_deque_new(%d) returned NULL (errno %s), "   \
                 "so nothing else can be tested. Hint: handout Task 1.1.",    \
                 (int)(logc), tl_ename(errno));                               \
    } while (0)

/* EAGAIN from pthread_create is the machine's (threads or memory short for
 * a moment, on a host shared with other graders), not the lab's: it is
 * retried for a while before it counts as a failure. */
#define WS_NEW_POOL(p, n)                                                     \
    do {                                                                      \
        (p) = ws_pool_new(n);                                                 \
        for (int ws_try_ = 0; !(p) && errno == EAGAIN && ws_try_ < 100;       \
             ws_try_++) {                                                     \
            struct timespec ws_ts_ = {0, 20 * 1000 * 1000};                   \
            nanosleep(&ws_ts_, NULL);                                         \
            (p) = ws_pool_new(n);                                             \
        }                                                                     \
        tl_check((p) != NULL, "ws_pool_new(%d) returned NULL (errno %s), "    \
                 "so nothing else can be tested. Hint: handout Task 2.1.%s",  \
                 (int)(n), tl_ename(errno),                                   \
                 errno == EAGAIN ? " EAGAIN for 2 s: the machine is out of "  \
                 "threads (pthread_create), not necessarily your code." : ""); \
    } while (0)

#define WS_RUN(p, fn, arg)                                                    \
    do {                                                                      \
        int ws_rc_ = ws_pool_run((p), (fn), (arg));                           \
        tl_expect_ok(ws_rc_, "ws_pool_run(" #fn ")", "Task 2.3");             \
    } while (0)

/* Where tasks and helper threads record the first failure (they never
 * call tl_check); the test thread reports it. */
static struct tl_failbox fb = TL_FAILBOX_INIT;

/* For use inside tasks: spawn or record a failure and return NULL. */
__attribute__((unused)) static struct ws_task *spawn_or_fail(struct tl_failbox *fb, ws_fn fn,
                                                             void *arg)
{
    struct ws_task *t = ws_spawn(fn, arg);
    if (!t)
        tl_fb_fail(fb, "ws_spawn from a task on worker %d returned NULL (errno %s). "
                   "Hint: handout Task 4.1.", ws_worker_id(), tl_ename(errno));
    return t;
}

__attribute__((unused)) static void join_or_fail(struct tl_failbox *fb, struct ws_task *t)
{
    if (!t)
        return;
    int rc = ws_join(t);
    if (rc)
        tl_fb_fail(fb, "ws_join from the task that spawned it returned %d (%s). "
                   "Hint: handout Task 4.2.", rc, tl_ename(rc));
}

/* fib(n) as one task per call: the tests' standard tree of work. */
struct fib { int n; long r; };

__attribute__((unused)) static void fib_task(void *p)
{
    struct fib *f = p;
    if (f->n < 2) {
        f->r = f->n;
        return;
    }
    struct fib a = {f->n - 1, 0}, b = {f->n - 2, 0};
    struct ws_task *t = spawn_or_fail(&fb, fib_task, &a);
    fib_task(&b);
    join_or_fail(&fb, t);
    f->r = a.r + b.r;
}

__attribute__((unused)) static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start n threads running fn(i), or fail the test. */
__attribute__((unused)) static void start_threads(pthread_t *th, int n, void *(*fn)(void *))
{
    for (int i = 0; i < n; i++) {
        int rc = pthread_create(&th[i], NULL, fn, (void *)(long)i);
        tl_check(rc == 0, "pthread_create failed (%s): the machine is out of "
                 "threads, not a bug in your code", tl_ename(rc));
    }
}

__attribute__((unused)) static void join_threads(pthread_t *th, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

/* ------------------------------------------------------------------ */
/* Fault injection                                                    */
/* ------------------------------------------------------------------ */

/* lab.conf links the tests with -Wl,--wrap=malloc,calloc,pthread_create:
 * the calls src/ws_*.c make come here first. They go straight through
 * unless tl_fault_after(n) armed a fault on THIS kernel thread: then the
 * n-th of them fails (ENOMEM; EAGAIN for pthread_create). */
TL_FAULT_WRAP_ALLOC();
TL_FAULT_WRAP_PTHREAD_CREATE();

#endif
