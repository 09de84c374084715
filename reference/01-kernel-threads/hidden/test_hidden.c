/*
 * test_hidden.c - hidden tests: the same contracts as the public tests,
 * from other angles and with other inputs.
 */
#include "../tests/kt_test.h"

#include <signal.h>

/* ------------------------------------------------------------------ */
/* The stack holds what was asked for                                  */
/* ------------------------------------------------------------------ */

struct deep {
    size_t size;
    int done;
};

/* Touch every page from here down to (size - 1 KiB) below: that much
 * stack must be usable. A stack that is too small faults in its guard. */
static void *deep_body(kthread_t *self, void *p)
{
    (void)self;
    struct deep *d = p;
    volatile char here = 1;
    volatile char *top = &here;
    size_t reach = d->size - 1024;
    for (size_t off = 0; off < reach; off += 512)
        top[-(long)off] = 1;
    top[-(long)reach] = 1;
    d->done = 1;
    return NULL;
}

static void deep_child(void *p)
{
    signal(SIGSEGV, SIG_DFL);
    struct deep *d = p;
    kthread_t *t;
    if (kthread_create(&t, deep_body, d, d->size) != 0)
        _exit(3);
    if (kthread_join(t, NULL) != 0 || !d->done)
        _exit(4);
    _exit(42);
}

TL_TEST(hidden_stack_holds_what_was_asked, 4, 40, "stack")
{
    size_t sizes[] = {KT_MIN_STACK, 100000, 5 * 4096 + 1, 1 << 20, 0};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct deep d = {sizes[i] ? sizes[i] : KT_DEFAULT_STACK, 0};
        size_t asked = sizes[i];
        struct tl_child c;
        tl_check(tl_run_in_child(deep_child, &d, 10, &c) == 0, "fork failed");
        tl_check(!(c.exited && c.code == 3), "kthread_create with stack_size %zu "
                 "failed in the child.", asked);
        tl_check(c.exited && c.code == 42,
                 "a thread created with stack_size %zu that uses %zu bytes of its "
                 "stack %s %d: kt.h promises at least stack_size usable bytes "
                 "(KT_DEFAULT_STACK for 0) ABOVE the guard page and below the "
                 "record. Hint: Task 2.1 (round the sum UP).", asked, d.size - 1024,
                 c.signaled ? "was killed by signal" : "ended with exit code",
                 c.signaled ? c.sig : c.code);
    }
}

/* ------------------------------------------------------------------ */
/* Out of memory, and a clone that fails                               */
/* ------------------------------------------------------------------ */

static void *ret_body(kthread_t *self, void *p)
{
    (void)self;
    return p;
}

TL_TEST(hidden_failures_leave_nothing_behind, 4, 20, "errors")
{
    static const struct { long n; int want; const char *what; } cases[] = {
        {1, ENOMEM, "mmap of the stack fails"},
        {2, ENOMEM, "mprotect of the guard page fails"},
        {3, EAGAIN, "the clone system call fails with EAGAIN"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kthread_t *t = (kthread_t *)0x1;
        last_map = NULL;
        mprotect_on_map_failed = 0;
        tl_fault_after(cases[i].n);
        int rc = kthread_create(&t, ret_body, NULL, 0);
        int fired = tl_fault_disarm();
        tl_check(fired, "kthread_create returned %d (%s) after fewer than %ld calls "
                 "to mmap, mprotect and kt_clone (that order is expected: Tasks "
                 "2.2, 2.3, 4.4).", rc, tl_ename(rc), cases[i].n);
        tl_check(rc == cases[i].want, "when %s, kthread_create returned %d (%s), "
                 "expected %s.", cases[i].what, rc, tl_ename(rc), tl_ename(cases[i].want));
        tl_check(t == (kthread_t *)0x1, "when %s, kthread_create failed but wrote "
                 "*out.", cases[i].what);
        tl_check(!mprotect_on_map_failed, "when %s, kt_stack_alloc went on and "
                 "called mprotect(MAP_FAILED, ...): check mmap's result against "
                 "MAP_FAILED (Task 2.2).", cases[i].what);
        if (last_map) {
            uintptr_t lo = (uintptr_t)last_map, hi = lo + last_map_len - 1;
            tl_check(!page_mapped(lo) && !page_mapped(hi),
                     "when %s, kthread_create returned %s but the mapping %#lx-%#lx "
                     "it got from mmap is still (partly) mapped: a failed create "
                     "must unmap what it mapped (Tasks 2.3, 4.5).", cases[i].what,
                     tl_ename(rc), (unsigned long)lo, (unsigned long)hi + 1);
        }
    }
    int v = 5;
    kthread_t *t;
    KT_CREATE(&t, ret_body, &v, 0);
    void *ret = NULL;
    KT_JOIN(t, &ret);
    tl_check(ret == &v, "after the failures a normal create+join delivered %p.", ret);
}

/* ------------------------------------------------------------------ */
/* Exits at various depths while others run                           */
/* ------------------------------------------------------------------ */

enum { DEEP_N = 12 };

struct dexit {
    int go;
    int depth;
};

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) static void go_down(kthread_t *self, int left, long v)
{
    volatile long pad[8];
    pad[0] = v;
    if (left > 0)
        go_down(self, left - 1, v);
    else
        kthread_exit(self, (void *)(pad[0] * 2));
    pad[7] = pad[0];
}
#pragma GCC diagnostic pop

static struct dexit dex[DEEP_N];
static int dex_go;

static void *dexit_body(kthread_t *self, void *p)
{
    long i = (long)(intptr_t)p;
    flag_wait(&dex_go);
    if (i % 3 == 0)
        return (void *)(i * 2); /* plain return */
    go_down(self, dex[i].depth, i);
    return NULL;
}

TL_TEST(hidden_exits_at_any_depth, 3, 20, "exit")
{
    kthread_t *t[DEEP_N];
    dex_go = 0;
    for (long i = 0; i < DEEP_N; i++) {
        dex[i].depth = (int)(i * 37 % 200);
        KT_CREATE(&t[i], dexit_body, (void *)(intptr_t)i, 0);
    }
    flag_set(&dex_go);
    for (long i = DEEP_N - 1; i >= 0; i--) {
        void *ret = NULL;
        KT_JOIN(t[i], &ret);
        tl_check(ret == (void *)(i * 2), "thread %ld (%s) delivered %p, expected "
                 "%#lx.", i, i % 3 ? "kthread_exit deep in its stack" : "returned",
                 ret, (unsigned long)(i * 2));
    }
}

/* ------------------------------------------------------------------ */
/* Tid words cleared, tasks counted                                    */
/* ------------------------------------------------------------------ */

static int count_tasks(void)
{
    return tl_proc_entries("/proc/self/task");
}

enum { TASKS_N = 30 };
static int tasks_go;
static int tasks_started;

static void *tasks_body(kthread_t *self, void *p)
{
    (void)self;
    QUIET_ATOMIC(&tasks_started);
    __atomic_fetch_add(&tasks_started, 1, __ATOMIC_RELEASE);
    flag_wait(&tasks_go);
    return p;
}

TL_TEST(hidden_tid_words_and_task_count, 3, 30, "proc")
{
    kthread_t *t[TASKS_N];
    int tids[TASKS_N];
    tasks_go = 0;
    QUIET_ATOMIC(&tasks_started);
    tasks_started = 0;
    int base = count_tasks();
    for (int i = 0; i < TASKS_N; i++)
        KT_CREATE(&t[i], tasks_body, NULL, 0);
    double end = tl_now() + 10.0 * (double)tl_slow();
    while (__atomic_load_n(&tasks_started, __ATOMIC_ACQUIRE) < TASKS_N && tl_now() < end)
        sched_yield();
    int n = count_tasks();
    tl_check(n == base + TASKS_N, "with %d threads alive /proc/self/task lists %d "
             "tasks, %d before.", TASKS_N, n, base);
    for (int i = 0; i < TASKS_N; i++)
        tids[i] = (int)kthread_tid(t[i]);
    flag_set(&tasks_go);
    for (int i = 0; i < TASKS_N; i++) {
        end = tl_now() + 10.0 * (double)tl_slow();
        while (kthread_tid(t[i]) != 0 && tl_now() < end)
            sched_yield();
        tl_check(kthread_tid(t[i]) == 0, "thread %d (tid %d) returned, but 10 s "
                 "later its tid word still reads %d (CLONE_CHILD_CLEARTID, Task 4.4).",
                 i, tids[i], (int)kthread_tid(t[i]));
    }
    for (int i = 0; i < TASKS_N; i++)
        KT_JOIN(t[i], NULL);
    for (int i = 0; i < TASKS_N; i++)
        tl_check(task_gone_within(tids[i], 10), "/proc/self/task/%d is still "
                 "listed 10 s after its join.", tids[i]);
}

/* ------------------------------------------------------------------ */
/* Join in any order                                                   */
/* ------------------------------------------------------------------ */

enum { ORDER_N = 24 };
static int order_go;

static void *order_body(kthread_t *self, void *p)
{
    (void)self;
    flag_wait(&order_go);
    return (void *)((intptr_t)p + 100);
}

TL_TEST(hidden_join_in_any_order, 3, 20, "join")
{
    kthread_t *t[ORDER_N];
    int joined[ORDER_N] = {0};
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    order_go = 0;
    for (long i = 0; i < ORDER_N; i++)
        KT_CREATE(&t[i], order_body, (void *)(intptr_t)i, 0);
    /* Join half before they may run (they block in join), then the rest. */
    int first = 1;
    for (int k = 0; k < ORDER_N; k++) {
        long i;
        do
            i = (long)tl_rng_below(&rng, ORDER_N);
        while (joined[i]);
        joined[i] = 1;
        if (first) {
            first = 0;
            flag_set(&order_go);
        }
        void *ret = NULL;
        KT_JOIN(t[i], &ret);
        tl_check(ret == (void *)(intptr_t)(i + 100), "thread %ld delivered %p, "
                 "expected %ld.", i, ret, i + 100);
    }
}

/* ------------------------------------------------------------------ */
/* kthread_exit on the wrong task stops loudly                         */
/* ------------------------------------------------------------------ */

static int wrong_go;

static void *wrong_body(kthread_t *self, void *p)
{
    (void)self;
    flag_wait(&wrong_go);
    return p;
}

static void wrong_child(void *p)
{
    (void)p;
    kthread_t *t;
    if (kthread_create(&t, wrong_body, NULL, 0) != 0)
        _exit(3);
    /* The main thread calls kthread_exit with another thread's handle. */
    kthread_exit(t, NULL);
}

TL_TEST(hidden_exit_from_the_wrong_task_panics, 3, 20, "exit errors")
{
    struct tl_child c;
    tl_check(tl_run_in_child(wrong_child, NULL, 10, &c) == 0, "fork failed");
    tl_check(!(c.exited && c.code == 3), "kthread_create failed in the child.");
    tl_check(c.signaled && c.sig == SIGABRT,
             "kthread_exit(t, ...) called by a task that is not t must stop the "
             "process loudly with SIGABRT (kt.h); the child %s %d. Hint: Task 3.3.",
             c.timed_out ? "hung (timed out); signal/code" :
             c.signaled ? "was killed by signal" : "exited with code",
             c.signaled ? c.sig : c.code);
}
