/*
 * tp_test.h - helpers shared by lab 08's tests (not part of the API).
 *
 * Tasks that must stay busy wait at a gate that the test opens; the test
 * knows they are inside by a count, read under the gate's mutex. Waiting
 * is polling an observable state (tp_stats, a count) with sched_yield
 * under a deadline that only turns a hang into a message: nothing sleeps
 * to synchronise. Threads other than the test's own record failures in a
 * tl_failbox (tl_util.h).
 */
#ifndef TP_TEST_H
#define TP_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "tp.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T1 "Task 1 (futures, src/future.c)"
#define T2 "Task 2 (the fixed pool, src/tp.c)"
#define T3 "Task 3 (tp_shutdown_now, src/tp.c)"
#define T4 "Task 4 (saturation policies, src/tp.c)"
#define T5 "Task 5 (core/max and keep-alive, src/tp.c)"
#define T6 "Task 6 (tp_size_for, src/tp.c)"

/* How long a test gives a state before calling it a hang: 10 s (more
 * under valgrind), far beyond what a correct pool needs on a loaded
 * machine. Only a real hang reaches it. */
static inline double hang_secs(void)
{
    long slow = tl_slow();
    return 10.0 * (double)(slow > 4 ? 4 : slow);
}

static inline struct tp_stats stats_of(tp_pool *p)
{
    struct tp_stats st;
    memset(&st, 0xff, sizeof st);
    int rc = tp_stats(p, &st);
    tl_expect_ok(rc, "tp_stats", T2);
    return st;
}

/* A pool, or the test fails with the reason. */
static inline tp_pool *make_pool(unsigned core, unsigned max, size_t cap, long keep_ms,
                                 enum tp_policy pol)
{
    struct tp_config c = {core, max, cap, keep_ms, pol};
    tp_pool *p = NULL;
    int rc = tp_create(&p, &c);
    tl_expect_ok(rc, "tp_create", T2);
    tl_check(p != NULL, "tp_create returned 0 but left *out NULL");
    return p;
}

/* ---- a gate: tasks wait inside until the test opens it --------------- */
struct gate {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int open;   /* m */
    int inside; /* tasks waiting at the gate now; m */
    int passed; /* tasks that went through; m */
};
#define GATE_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0 }

static inline void gate_reset(struct gate *g)
{
    pthread_mutex_lock(&g->m);
    g->open = g->inside = g->passed = 0;
    pthread_mutex_unlock(&g->m);
}

/* A task: wait at the gate, then return 0 with value 1000. */
__attribute__((unused)) static int gate_task(void *arg, long *value)
{
    struct gate *g = arg;
    pthread_mutex_lock(&g->m);
    g->inside++;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->m);
    g->inside--;
    g->passed++;
    pthread_mutex_unlock(&g->m);
    *value = 1000;
    return 0;
}

static inline int gate_get(struct gate *g, int *field)
{
    pthread_mutex_lock(&g->m);
    int v = *field;
    pthread_mutex_unlock(&g->m);
    return v;
}

struct gate_wait { struct gate *g; int n; };
__attribute__((unused)) static int gate_has(void *arg)
{
    struct gate_wait *w = arg;
    return gate_get(w->g, &w->g->inside) >= w->n;
}

/* Wait until n tasks are inside the gate, or fail with `why`. */
#define WAIT_INSIDE(g, n, ...)                                                \
    do {                                                                      \
        struct gate_wait gw_ = {(g), (n)};                                    \
        int ok_ = tl_poll_until(gate_has, &gw_, hang_secs());                    \
        tl_check(ok_, __VA_ARGS__);                                           \
    } while (0)

static inline void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->m);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->m);
}

/* For tl_poll_until: until the pool has `live` workers. */
struct live_wait { tp_pool *p; unsigned live; };
__attribute__((unused)) static int live_is(void *arg)
{
    struct live_wait *w = arg;
    struct tp_stats st;
    tp_stats(w->p, &st);
    return st.live == w->live;
}

/* ---- counting tasks ------------------------------------------------- */
/* Each task has an id; running it adds 1 to hits[id] and records the
 * order of runs. value = id * 3; err = the id's planned error. */
#define MAXIDS 16384
static atomic_int hits[MAXIDS];
static atomic_int order[MAXIDS];
static atomic_int norder;

static inline void hits_reset(void)
{
    for (int i = 0; i < MAXIDS; i++)
        atomic_store(&hits[i], 0);
    atomic_store(&norder, 0);
}

__attribute__((unused)) static int count_task(void *arg, long *value)
{
    int id = (int)(intptr_t)arg;
    atomic_fetch_add(&hits[id], 1);
    int k = atomic_fetch_add(&norder, 1);
    if (k < MAXIDS)
        atomic_store(&order[k], id);
    *value = 3L * id;
    return id % 7 == 3 ? EDOM : 0;
}

#define ID(i) ((void *)(intptr_t)(i))

/* ---- helper threads ------------------------------------------------- */
struct helper {
    pthread_t tid;
    void *(*fn)(struct helper *);
    atomic_int done;
    int rc;
    void *a, *b;
    long x;
};

__attribute__((unused)) static void *helper_main(void *arg)
{
    struct helper *h = arg;
    h->fn(h);
    atomic_store(&h->done, 1);
    return NULL;
}

static inline void helper_start(struct helper *h, void *(*fn)(struct helper *))
{
    h->fn = fn;
    atomic_store(&h->done, 0);
    int rc = pthread_create(&h->tid, NULL, helper_main, h);
    tl_check(rc == 0, "the test could not create a thread: %s", tl_ename(rc));
}

__attribute__((unused)) static int helper_done(void *arg)
{
    return atomic_load(&((struct helper *)arg)->done);
}

/* 1 if the helper finished within secs (and is joined), 0 if still busy
 * (left running: the test is about to fail). */
static inline int helper_join(struct helper *h, double secs)
{
    if (!tl_poll_until(helper_done, h, secs))
        return 0;
    pthread_join(h->tid, NULL);
    return 1;
}

__attribute__((unused)) static void *do_shutdown(struct helper *h)
{
    h->rc = tp_shutdown((tp_pool *)h->a);
    return NULL;
}

/* ---- fault injection ------------------------------------------------- */
/* lab.conf links with -Wl,--wrap=malloc,--wrap=calloc,--wrap=pthread_create:
 * the lab's calls come here first. Allocations fail through the per-thread
 * countdown of tl_util.h (tl_fault_after(n)); pthread_create fails with
 * EAGAIN on its n-th call from now, on any thread (create_fail_after). */
static atomic_long create_countdown;
static atomic_int create_fired;

__attribute__((unused)) static void create_fail_after(long n)
{
    atomic_store(&create_fired, 0);
    atomic_store(&create_countdown, n);
}

__attribute__((unused)) static int create_disarm(void)
{
    atomic_store(&create_countdown, 0);
    return atomic_load(&create_fired);
}

TL_FAULT_WRAP_ALLOC();
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    long c = atomic_load(&create_countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&create_countdown, &c, c - 1)) {
            if (c == 1) {
                atomic_store(&create_fired, 1);
                return EAGAIN;
            }
            break;
        }
    }
    return __real_pthread_create(t, a, fn, arg);
}

#endif
