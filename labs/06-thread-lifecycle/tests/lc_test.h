/*
 * lc_test.h - helpers shared by lab 06's tests (not part of the API).
 *
 * Threads of the layer never call tl_fail: they record the first failure
 * in a tl_failbox (tl_util.h), and the test's main thread reports it. Waiting is polling
 * an observable state (lc_state, a flag, a free() seen) with sched_yield
 * under a deadline that only turns a hang into a message: nothing sleeps
 * to synchronise. Every thread the tests hand to lc_create starts with
 * TPROLOGUE(), which disables PTHREAD cancellation in it: the layer's own
 * cancellation must work without it.
 */
#ifndef LC_TEST_H
#define LC_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "lc.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T1 "Task 1 (states and the log, src/lc.c)"
#define T2 "Task 2 (lc_create/lc_exit, src/lc.c)"
#define T3 "Task 3 (join and detach, src/lc.c)"
#define T4 "Task 4 (lc_sleep/lc_cond_wait, src/lc.c)"
#define T5 "Task 5 (cancellation, src/lc.c)"
#define T6 "Task 6 (cleanup handlers, src/lc.c)"
#define T7 "Task 7 (src/pcancel.c)"


#define ITEM(v) ((void *)(uintptr_t)(v))

/* Every thread function the tests give lc_create starts with this. */
#define TPROLOGUE() pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL)


/* ---- deadlines ----------------------------------------------------- */
/* How long a test gives a state before calling it a hang: 10 s (more
 * under valgrind), far beyond what a correct layer needs even on a loaded
 * machine. Only a real hang reaches it. */
static inline double hang_secs(void)
{
    long slow = tl_slow();
    return 10.0 * (double)(slow > 4 ? 4 : slow);
}

static inline long hang_ms(void)
{
    return (long)(hang_secs() * 1000);
}

/* Wait until lc_state(t) == s; 1, or 0 after hang_secs(). */
static inline int wait_state(lc_thread *t, enum lc_state s)
{
    double end = tl_now() + hang_secs();
    while (lc_state(t) != s) {
        if (tl_now() > end)
            return lc_state(t) == s;
        sched_yield();
    }
    return 1;
}

/* Wait until *flag != 0; 1, or 0 after hang_secs(). */
static inline int wait_flag(atomic_int *flag)
{
    double end = tl_now() + hang_secs();
    while (!atomic_load(flag)) {
        if (tl_now() > end)
            return atomic_load(flag) != 0;
        sched_yield();
    }
    return 1;
}

/* ---- the state log ------------------------------------------------- */
static inline void fmt_log(char *buf, size_t n, const enum lc_state *s, int k)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < k && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? " " : "", lc_state_name(s[i]));
}

/* Fail unless t's log is exactly want[0..n). */
#define expect_log(t, want, what)                                             \
    do {                                                                      \
        enum lc_state got_[LC_LOG_MAX];                                       \
        int n_ = (int)(sizeof(want) / sizeof((want)[0]));                     \
        int k_ = lc_state_log((t), got_, LC_LOG_MAX);                         \
        int same_ = k_ == n_;                                                 \
        for (int i_ = 0; same_ && i_ < n_; i_++)                              \
            same_ = got_[i_] == (want)[i_];                                   \
        if (!same_) {                                                         \
            char g_[512], w_[512];                                            \
            fmt_log(g_, sizeof g_, got_, k_ < 0 ? 0 : k_ > LC_LOG_MAX ? LC_LOG_MAX : k_); \
            fmt_log(w_, sizeof w_, (want), n_);                               \
            tl_fail("state log of %s: got %d entries [%s], expected [%s]. "   \
                    "Hint: handout \"States\" says who logs which move and "  \
                    "when (" T1 ", " T4 ").", (what), k_, g_, w_);             \
        }                                                                     \
    } while (0)

/* ---- a gate: threads wait in lc_cond_wait until it opens ------------ */
struct gate {
    pthread_mutex_t m;
    struct lc_cond c;
    int open;      /* guarded by m */
};
#define GATE_INIT { PTHREAD_MUTEX_INITIALIZER, LC_COND_INIT, 0 }

static inline void unlock_cleanup(void *m)
{
    pthread_mutex_unlock(m);
}

/* From an lc thread: wait until the gate opens. 0 or lc_cond_wait's error.
 * A cancellation point: a cancelled lc_cond_wait holds m again, and the
 * handler pushed here unlocks it (the classic pattern). */
static inline int gate_wait(struct gate *g)
{
    int rc = 0;
    pthread_mutex_lock(&g->m);
    int pushed = lc_cleanup_push(unlock_cleanup, &g->m) == 0;
    while (!g->open && rc == 0)
        rc = lc_cond_wait(&g->c, &g->m);
    if (pushed)
        lc_cleanup_pop(1); /* runs it: unlocks m */
    else
        pthread_mutex_unlock(&g->m);
    return rc;
}

static inline void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->m);
    g->open = 1;
    int rc = lc_cond_broadcast(&g->c);
    pthread_mutex_unlock(&g->m);
    tl_expect_ok(rc, "lc_cond_broadcast", T4);
}

/* ---- fault injection and the watch on free() ----------------------- */
/* lab.conf links every test program with --wrap for malloc, calloc, free
 * and pthread_create, so the lab's calls come through here.
 * fail_alloc(n), n >= 1: the n-th malloc/calloc from now returns NULL.
 * fail_create(1): the next pthread_create returns EAGAIN.
 * watch(p): remember p; watch_freed() counts watched pointers passed to
 * free() since watch_reset(). */
static atomic_long alloc_countdown;
static atomic_int create_fails;
#define WATCH_MAX 512
static pthread_mutex_t watch_m = PTHREAD_MUTEX_INITIALIZER;
static void *watch_ptr[WATCH_MAX]; /* guarded by watch_m */
static int watch_done[WATCH_MAX];  /* guarded by watch_m */
static int nwatch;                 /* guarded by watch_m */

__attribute__((unused)) static void fail_alloc(long n)
{
    atomic_store(&alloc_countdown, n);
}

__attribute__((unused)) static void fail_create(int on)
{
    atomic_store(&create_fails, on);
}

__attribute__((unused)) static void watch_reset(void)
{
    pthread_mutex_lock(&watch_m);
    nwatch = 0;
    pthread_mutex_unlock(&watch_m);
}

__attribute__((unused)) static void watch(void *p)
{
    pthread_mutex_lock(&watch_m);
    if (nwatch < WATCH_MAX) {
        watch_ptr[nwatch] = p;
        watch_done[nwatch] = 0;
        nwatch++;
    }
    pthread_mutex_unlock(&watch_m);
}

__attribute__((unused)) static int watch_freed(void)
{
    pthread_mutex_lock(&watch_m);
    int k = 0;
    for (int i = 0; i < nwatch; i++)
        k += watch_done[i];
    pthread_mutex_unlock(&watch_m);
    return k;
}

static int alloc_fails_now(void)
{
    long c = atomic_load(&alloc_countdown);
    while (c > 0)
        if (atomic_compare_exchange_weak(&alloc_countdown, &c, c - 1))
            return c == 1;
    return 0;
}

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void __real_free(void *p);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void __wrap_free(void *p);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

void *__wrap_malloc(size_t size)
{
    if (alloc_fails_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (alloc_fails_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return __real_calloc(n, size);
}

void __wrap_free(void *p)
{
    if (p) {
        pthread_mutex_lock(&watch_m);
        for (int i = 0; i < nwatch; i++)
            if (watch_ptr[i] == p && !watch_done[i]) {
                watch_done[i] = 1;
                break;
            }
        pthread_mutex_unlock(&watch_m);
    }
    __real_free(p);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    if (atomic_exchange(&create_fails, 0))
        return EAGAIN;
    return __real_pthread_create(t, a, fn, arg);
}

#endif
