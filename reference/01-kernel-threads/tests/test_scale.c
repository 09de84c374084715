/*
 * test_scale.c - many threads at once, many in a row, and several
 * ordinary threads creating and joining at the same time (Task 6).
 */
#include "kt_test.h"

#include <pthread.h>

static int count_tasks(void)
{
    return tl_proc_entries("/proc/self/task");
}

enum { AT_ONCE = 100 };

struct crowd {
    int go;
    int arrived;          /* atomic: bodies that started */
    long slot[AT_ONCE];
    int tid[AT_ONCE];
};

static struct crowd crowd;

static void *crowd_body(kthread_t *self, void *p)
{
    QUIET_ATOMIC(&crowd.arrived);
    (void)self;
    long i = (long)(intptr_t)p;
    crowd.tid[i] = raw_gettid();
    ANNOTATE_HAPPENS_BEFORE(&crowd.arrived);
    __atomic_fetch_add(&crowd.arrived, 1, __ATOMIC_RELEASE);
    flag_wait(&crowd.go);
    crowd.slot[i] = i * i + 1;
    return (void *)(intptr_t)(i + 7);
}

TL_TEST(hundred_threads_at_once, 5, 30, "scale")
{
    memset(&crowd, 0, sizeof crowd);
    QUIET_ATOMIC(&crowd.arrived);
    kthread_t *t[AT_ONCE];
    int base = count_tasks();
    for (long i = 0; i < AT_ONCE; i++)
        KT_CREATE(&t[i], crowd_body, (void *)(intptr_t)i, 0);
    double end = tl_now() + 20.0 * (double)tl_slow();
    while (__atomic_load_n(&crowd.arrived, __ATOMIC_ACQUIRE) < AT_ONCE && tl_now() < end)
        sched_yield();
    int arrived = __atomic_load_n(&crowd.arrived, __ATOMIC_ACQUIRE);
    ANNOTATE_HAPPENS_AFTER(&crowd.arrived);
    tl_check(arrived == AT_ONCE, "only %d of %d threads started within 20 s.",
             arrived, AT_ONCE);
    int tasks = count_tasks();
    tl_check(tasks >= base + AT_ONCE, "/proc/self/task lists %d tasks with %d "
             "threads alive (%d before): they must be threads of this process "
             "(CLONE_THREAD).", tasks, AT_ONCE, base);
    for (int i = 0; i < AT_ONCE; i++) {
        tl_check(crowd.tid[i] > 0 && kthread_tid(t[i]) == crowd.tid[i],
                 "thread %d says its tid is %d, kthread_tid() says %d.", i,
                 crowd.tid[i], (int)kthread_tid(t[i]));
        for (int j = 0; j < i; j++)
            tl_check(crowd.tid[j] != crowd.tid[i], "threads %d and %d have the "
                     "same tid %d.", j, i, crowd.tid[i]);
    }
    flag_set(&crowd.go);
    for (long i = 0; i < AT_ONCE; i++) {
        void *ret = NULL;
        KT_JOIN(t[i], &ret);
        tl_check(ret == (void *)(intptr_t)(i + 7), "thread %ld returned %ld, join "
                 "delivered %p.", i, i + 7, ret);
        tl_check(crowd.slot[i] == i * i + 1, "after join, thread %ld's result is "
                 "%ld, expected %ld: join returned before the thread finished?",
                 i, crowd.slot[i], i * i + 1);
    }
}

/* ------------------------------------------------------------------ */

static void *seq_body(kthread_t *self, void *p)
{
    (void)self;
    return (void *)((uintptr_t)p * 3);
}

TL_TEST(ten_thousand_in_a_row, 5, 60, "scale")
{
    long n = tl_iters(10000);
    int lines0 = maps_lines();
    for (long i = 1; i <= n; i++) {
        kthread_t *t;
        int rc = kthread_create(&t, seq_body, (void *)(uintptr_t)i, 0);
        tl_check(rc == 0, "kthread_create number %ld of %ld (one at a time, each "
                 "joined before the next) returned %d (%s). Hint: is every "
                 "stack unmapped by join (Task 5.3)?", i, n, rc, tl_ename(rc));
        void *ret = NULL;
        KT_JOIN(t, &ret);
        tl_check(ret == (void *)(uintptr_t)(i * 3), "thread %ld returned %ld, join "
                 "delivered %p.", i, i * 3, ret);
    }
    int lines1 = maps_lines();
    /* A leak adds a line or two per thread; valgrind adds a few of its own. */
    tl_check(lines1 <= lines0 + 16, "after %ld create+join pairs /proc/self/maps has "
             "%d lines, %d before: mappings leak. Hint: Task 5.3.", n, lines1, lines0);
}

/* ------------------------------------------------------------------ */

enum { CREATORS = 4, BATCH = 8 };

static int creators_total;     /* atomic: bodies run */

static void *count_body(kthread_t *self, void *p)
{
    (void)self;
    QUIET_ATOMIC(&creators_total);
    __atomic_fetch_add(&creators_total, 1, __ATOMIC_RELAXED);
    return p;
}

struct creator {
    uint64_t seed;
    long rounds;
    char fail[256];
};

static void *creator_main(void *p)
{
    struct creator *c = p;
    struct tl_rng rng;
    tl_rng_init(&rng, c->seed);
    for (long r = 0; r < c->rounds && !c->fail[0]; r++) {
        kthread_t *t[BATCH];
        int order[BATCH];
        for (int i = 0; i < BATCH; i++) {
            int rc = kthread_create(&t[i], count_body, (void *)(uintptr_t)(r * BATCH + i + 1), 0);
            if (rc != 0) {
                snprintf(c->fail, sizeof c->fail, "kthread_create returned %d (%s)",
                         rc, tl_ename(rc));
                return NULL;
            }
            order[i] = i;
        }
        for (int i = BATCH - 1; i > 0; i--) {
            int j = (int)tl_rng_below(&rng, (uint64_t)i + 1);
            int x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        for (int k = 0; k < BATCH; k++) {
            int i = order[k];
            void *ret = NULL;
            int rc = kthread_join(t[i], &ret);
            if (rc != 0 || ret != (void *)(uintptr_t)(r * BATCH + i + 1)) {
                snprintf(c->fail, sizeof c->fail, "kthread_join returned %d (%s) "
                         "with value %p, expected 0 and %p", rc, tl_ename(rc), ret,
                         (void *)(uintptr_t)(r * BATCH + i + 1));
                return NULL;
            }
            /* No second join here: another creator may already have got a
             * new thread at the same address (kt.h). */
        }
    }
    return NULL;
}

TL_TEST(creators_in_many_pthreads, 5, 60, "stress registry")
{
    struct creator c[CREATORS];
    pthread_t pt[CREATORS];
    long rounds = tl_iters(150);
    uint64_t seed = tl_seed();
    QUIET_ATOMIC(&creators_total);
    __atomic_store_n(&creators_total, 0, __ATOMIC_RELAXED);
    for (int i = 0; i < CREATORS; i++) {
        c[i].seed = seed + (uint64_t)i * 7919;
        c[i].rounds = rounds;
        c[i].fail[0] = '\0';
        tl_check(pthread_create(&pt[i], NULL, creator_main, &c[i]) == 0,
                 "pthread_create failed");
    }
    for (int i = 0; i < CREATORS; i++)
        pthread_join(pt[i], NULL);
    for (int i = 0; i < CREATORS; i++)
        tl_check(!c[i].fail[0], "with %d ordinary threads creating and joining "
                 "kthreads at once, creator %d saw: %s. Hint: the registry is "
                 "shared by every creator and joiner: every access under "
                 "kt_registry_lock (Task 6).", CREATORS, i, c[i].fail);
    int total = __atomic_load_n(&creators_total, __ATOMIC_RELAXED);
    tl_check(total == CREATORS * rounds * BATCH, "%d thread bodies ran, expected "
             "%ld.", total, CREATORS * rounds * BATCH);
}
