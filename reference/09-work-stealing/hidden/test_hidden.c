/*
 * test_hidden.c - hidden tests of lab 09: the deque against a model, the
 * retire list freed, several ws_pool_run callers at once, joins in any
 * order and on a single worker.
 */
#include "../tests/ws_test.h"


#define ITEM(id) ((void *)(uintptr_t)((id) + 2))
#define ID(x) ((long)(uintptr_t)(x) - 2)

/* One thread, random pushes, pops and steals (the owner may steal from its
 * own deque), checked step by step against an array model of the deque. */
TL_TEST(hidden_deque_matches_model, 4, 30, "deque")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    struct ws_deque *d;
    WS_NEW_DEQUE(d, 1);
    long cap = 1 << 16, *model = malloc((size_t)cap * sizeof *model);
    tl_check(model != NULL, "out of memory for the test's model");
    long top = 0, bottom = 0, next = 0;
    for (long step = 0; step < tl_iters(300000); step++) {
        unsigned op = (unsigned)tl_rng_below(&r, 10);
        /* drift: grow for a while, then shrink, so growth meets every top */
        int grow_phase = (step / 4000) % 2 == 0;
        if (op < (grow_phase ? 6u : 3u) && bottom - top < cap - 1) {
            tl_expect_ok(ws_deque_push(d, ITEM(next)), "ws_deque_push", "Task 1.2");
            model[bottom++ % cap] = next++;
        } else if (op < 8) {
            void *x = ws_deque_pop(d);
            long want = bottom > top ? model[--bottom % cap] : -1;
            tl_check((want < 0 && x == NULL) || (x != NULL && ID(x) == want),
                     "step %ld: ws_deque_pop returned %ld (%p), the model says %ld (-1: "
                     "empty), with %ld items in it. Hint: Tasks 1.3, 1.4.", step,
                     x ? ID(x) : -1L, x, want, bottom - top);
        } else {
            void *x = ws_deque_steal(d);
            long want = bottom > top ? model[top++ % cap] : -1;
            tl_check((want < 0 && x == WS_EMPTY) ||
                     (x != WS_EMPTY && x != WS_ABORT && ID(x) == want),
                     "step %ld: ws_deque_steal (no other thread running) returned %p, the "
                     "model says item %ld (-1: WS_EMPTY), with %ld items. With no race, "
                     "steal never aborts. Hint: Tasks 1.4, 1.6.", step, x, want,
                     bottom - top);
        }
        tl_check(ws_deque_size(d) == bottom - top, "step %ld: ws_deque_size is %ld, the "
                 "model holds %ld", step, ws_deque_size(d), bottom - top);
    }
    free(model);
    ws_deque_free(d);
}

/* 20 growths: the memory stage (valgrind) sees whether the outgrown arrays
 * are freed with the deque, not leaked and not freed early. */
TL_TEST(hidden_deque_free_retired, 3, 60, "deque grow")
{
    for (int rep = 0; rep < 3; rep++) {
        struct ws_deque *d;
        WS_NEW_DEQUE(d, 0);
        long n = 1L << 18;
        for (long i = 0; i < n; i++)
            tl_expect_ok(ws_deque_push(d, ITEM(i)), "ws_deque_push", "Task 1.4");
        tl_check(ws_deque_capacity(d) == n, "after %ld pushes on a deque of capacity 1, "
                 "the capacity is %ld, expected %ld (double only when full). Hint: Task "
                 "1.4.", n, ws_deque_capacity(d), n);
        for (long i = 0; i < n / 2; i++) {
            void *x = ws_deque_steal(d);
            tl_check(x != WS_EMPTY && x != WS_ABORT && ID(x) == i, "steal %ld after 18 "
                     "growths returned %p. Hint: Task 1.4.", i, x);
        }
        ws_deque_free(d);
    }
}

/* ------------------------------------------------------------------ */

static struct ws_pool *shared_pool;

static void quick(void *p)
{
    atomic_fetch_add((atomic_long *)p, 1);
}

static void *caller(void *arg)
{
    long rounds = (long)arg;
    /* trivial roots first: the worker finishes one just as its caller goes
     * to wait, so a done flag set or announced outside the lock that the
     * caller waits under loses the wakeup (and the caller waits for good) */
    atomic_long n = 0;
    for (long i = 0; i < 6 * rounds && !tl_fb_failed(&fb); i++) {
        int rc = ws_pool_run(shared_pool, quick, &n);
        if (rc || atomic_load(&n) != i + 1) {
            tl_fb_fail(&fb, "ws_pool_run(quick) from one of 3 threads calling at once: rc "
                       "%d (%s), the root ran %ld times after %ld calls. Hint: Task 2.3.",
                       rc, tl_ename(rc), (long)atomic_load(&n), i + 1);
            break;
        }
    }
    for (long i = 0; i < rounds && !tl_fb_failed(&fb); i++) {
        struct fib f = {12 + (int)(i % 4), -1};
        long want[] = {144, 233, 377, 610};
        int rc = ws_pool_run(shared_pool, fib_task, &f);
        if (rc || f.r != want[i % 4])
            tl_fb_fail(&fb, "ws_pool_run from one of 3 threads calling at once: rc %d (%s), "
                       "fib(%d) = %ld, expected %ld. Each caller must wait for ITS root "
                       "task (Task 2.3).", rc, tl_ename(rc), f.n, f.r, want[i % 4]);
    }
    return NULL;
}

TL_TEST(hidden_pool_many_callers, 4, 120, "pool stress")
{
    WS_NEW_POOL(shared_pool, 2);
    /* one caller alone first: no other root's broadcast can rescue it */
    atomic_long n = 0;
    for (long i = 0; i < tl_iters(5000); i++) {
        WS_RUN(shared_pool, quick, &n);
        tl_check(atomic_load(&n) == i + 1, "ws_pool_run returned before its root ran "
                 "(%ld runs after %ld calls). Hint: Task 2.3.", (long)atomic_load(&n), i + 1);
    }
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        int rc = pthread_create(&th[i], NULL, caller, (void *)tl_iters(300));
        tl_check(rc == 0, "pthread_create: %s", tl_ename(rc));
    }
    join_threads(th, 3);
    ws_pool_free(shared_pool);
    tl_fb_report(&fb);
}

/* A task spawns children that spawn grandchildren, and joins them in
 * spawn order (oldest first), or shuffled: a join must not assume that
 * its task is the newest one on the deque. With one worker nobody can
 * steal, so the joiner must run what it waits for itself. */
struct fan { int depth; long sum; unsigned seed; };

static void fan_task(void *p)
{
    struct fan *f = p;
    if (f->depth == 0) {
        f->sum = 1;
        return;
    }
    enum { K = 6 };
    struct fan kids[K];
    struct ws_task *t[K];
    int order[K];
    for (int i = 0; i < K; i++) {
        kids[i] = (struct fan){f->depth - 1, 0, f->seed * 31 + (unsigned)i};
        t[i] = spawn_or_fail(&fb, fan_task, &kids[i]);
        order[i] = i;
    }
    if (f->seed % 2) /* shuffle */
        for (int i = K - 1; i > 0; i--) {
            int j = (int)((f->seed >> 1) % (unsigned)(i + 1));
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
    f->sum = 1;
    for (int i = 0; i < K; i++) {
        join_or_fail(&fb, t[order[i]]);
        f->sum += kids[order[i]].sum;
    }
}

TL_TEST(hidden_join_any_order, 4, 120, "pool")
{
    int depth = tl_slow() > 1 ? 4 : 6;
    long want = 0, pw = 1;
    for (int i = 0; i <= depth; i++, pw *= 6)
        want += pw;
    for (int workers = 1; workers <= 3; workers++) {
        struct ws_pool *p;
        WS_NEW_POOL(p, workers);
        for (unsigned seed = 0; seed < 4; seed++) {
            struct fan f = {depth, 0, seed};
            WS_RUN(p, fan_task, &f);
            tl_fb_report(&fb);
            tl_check(f.sum == want, "a tree of tasks (6 children each, depth %d, joins "
                     "%s) on %d worker(s) counted %ld nodes, expected %ld. Hint: Task 4.2: "
                     "a join runs whatever it pops or steals until ITS task is done.",
                     depth, seed % 2 ? "shuffled" : "oldest first", workers, f.sum, want);
        }
        ws_pool_free(p);
    }
}

/* ------------------------------------------------------------------ */
/* Out of memory, out of threads                                       */
/* ------------------------------------------------------------------ */

static void noop(void *p) { (void)p; }

/* On one worker (nobody steals): a spawn whose malloc fails, then a spawn
 * whose task is allocated but whose push must grow the full deque (64
 * slots: ws_deque_new(6)) and cannot. */
static void oom_task(void *p)
{
    (void)p;
    tl_fault_after(1);
    errno = 0;
    struct ws_task *t = ws_spawn(noop, NULL);
    int fired = tl_fault_disarm();
    if (t || errno != ENOMEM || !fired) {
        tl_fb_fail(&fb, "ws_spawn whose malloc fails must return NULL with errno ENOMEM "
                   "(got %p, errno %s). Hint: Task 4.1.", (void *)t, tl_ename(errno));
        return;
    }
    struct ws_task *kids[64];
    for (int i = 0; i < 64; i++)
        kids[i] = spawn_or_fail(&fb, noop, NULL);
    tl_fault_after(2); /* 1: the task, 2: the bigger array */
    errno = 0;
    t = ws_spawn(noop, NULL);
    fired = tl_fault_disarm();
    if (fired && (t || errno != ENOMEM))
        tl_fb_fail(&fb, "ws_spawn on a full deque whose growth fails must return NULL with "
                   "errno ENOMEM and free the task it made (got %p, errno %s). Hint: Task "
                   "4.1.", (void *)t, tl_ename(errno));
    if (t)
        join_or_fail(&fb, t);
    for (int i = 63; i >= 0; i--)
        join_or_fail(&fb, kids[i]);
}

TL_TEST(hidden_out_of_memory, 4, 60, "errors")
{
    /* the deque: each of its two allocations */
    for (int k = 1; k <= 2; k++) {
        tl_fault_after(k);
        errno = 0;
        struct ws_deque *d = ws_deque_new(3);
        int fired = tl_fault_disarm();
        tl_check(d == NULL && errno == ENOMEM && fired, "ws_deque_new with allocation %d "
                 "failing returned %p (errno %s): expected NULL and ENOMEM, having freed "
                 "what it allocated. Hint: Task 1.1.", k, (void *)d, tl_ename(errno));
    }
    /* growth fails: the push fails and the deque is as it was */
    struct ws_deque *d;
    WS_NEW_DEQUE(d, 0);
    tl_expect_ok(ws_deque_push(d, (void *)16), "ws_deque_push", "Task 1.2");
    tl_fault_after(1);
    int rc = ws_deque_push(d, (void *)32);
    int fired = tl_fault_disarm();
    tl_check(rc == ENOMEM && fired, "ws_deque_push on a full deque whose growth fails "
             "returned %d (%s), expected ENOMEM. Hint: Task 1.4.", rc, tl_ename(rc));
    void *x = ws_deque_pop(d);
    tl_check(ws_deque_capacity(d) == 1 && x == (void *)16, "after a failed growth the deque "
             "must be unchanged (capacity 1, holding the one item): capacity %ld, pop "
             "returned %p. Hint: Task 1.4.", ws_deque_capacity(d), x);
    ws_deque_free(d);
    /* the pool: every allocation and thread creation of ws_pool_new, in turn */
    int k;
    struct ws_pool *p = NULL;
    for (k = 1; k < 40; k++) {
        tl_fault_after(k);
        errno = 0;
        p = ws_pool_new(2);
        fired = tl_fault_disarm();
        if (!fired)
            break;
        tl_check(p == NULL && (errno == ENOMEM || errno == EAGAIN), "ws_pool_new(2) with "
                 "its call number %d (malloc, calloc or pthread_create) failing returned %p "
                 "(errno %s): expected NULL and that call's error, with every thread "
                 "started stopped and joined and everything freed. Hint: Task 2.1.", k,
                 (void *)p, tl_ename(errno));
    }
    tl_check(p != NULL, "ws_pool_new(2) with no call failing returned NULL (errno %s)",
             tl_ename(errno));
    ws_pool_free(p);
    WS_NEW_POOL(p, 1);
    WS_RUN(p, oom_task, NULL);
    ws_pool_free(p);
    tl_fb_report(&fb);
}

/* Pools started and stopped at once, over and over: ws_pool_free meets the
 * workers on their way to their first sleep. stop must be set, and the
 * workers woken, under the lock they test stop under before they wait, or
 * a worker that has just tested it sleeps for good (and the join hangs). */
TL_TEST(hidden_pool_new_free_cycles, 2, 60, "pool stress")
{
    long n = tl_iters(10000);
    for (long i = 0; i < n; i++) {
        struct ws_pool *p;
        WS_NEW_POOL(p, 2);
        ws_pool_free(p);
    }
}
