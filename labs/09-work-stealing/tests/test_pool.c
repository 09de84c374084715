/*
 * test_pool.c - the fork-join scheduler (handout Tasks 2 to 4): exact
 * results of fib, quicksort and n-queens, work really stolen, idle workers
 * asleep, errors; and the figure of the performance stage.
 */
#include "ws_test.h"

/* ------------------------------------------------------------------ */
/* fib: one task per call (fib_task, ws_test.h)                        */
/* ------------------------------------------------------------------ */

static long fib_seq(int n)
{
    long a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        long c = a + b;
        a = b;
        b = c;
    }
    return a;
}

TL_TEST(pool_fib_exact, 4, 60, "pool")
{
    int n = tl_slow() > 1 ? 18 : 25;
    for (int workers = 1; workers <= 3; workers++) {
        struct ws_pool *p;
        WS_NEW_POOL(p, workers);
        struct fib f = {n, -1};
        WS_RUN(p, fib_task, &f);
        struct ws_stats st;
        tl_expect_ok(ws_pool_stats(p, &st), "ws_pool_stats", "Task 2.5");
        ws_pool_free(p);
        tl_fb_report(&fb);
        tl_check(f.r == fib_seq(n), "fib(%d) on %d workers gave %ld, expected %ld: a "
                 "join returned before its task had run, or a task ran twice or never. "
                 "Hint: Tasks 4.1-4.2.", n, workers, f.r, fib_seq(n));
        /* fib(n) spawns once per call with n >= 2: fib(n + 1) - 1 times */
        unsigned long sp = (unsigned long)fib_seq(n + 1) - 1;
        tl_check(st.spawned == sp && st.executed == sp + 1,
                 "after fib(%d) on %d workers, stats say spawned %lu and executed %lu; "
                 "expected %lu spawned and %lu executed (each spawned task once, plus the "
                 "root). Hint: Task 2.5.", n, workers, st.spawned, st.executed, sp, sp + 1);
    }
}

/* ------------------------------------------------------------------ */
/* quicksort                                                           */
/* ------------------------------------------------------------------ */

struct qs { int *a; long n; };

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

static void qs_task(void *p)
{
    struct qs *q = p;
    int *a = q->a;
    long n = q->n;
    if (n <= 512) {
        qsort(a, (size_t)n, sizeof *a, cmp_int);
        return;
    }
    int pivot = a[n / 2];
    long i = 0, j = n - 1;
    while (i <= j) {
        while (a[i] < pivot)
            i++;
        while (a[j] > pivot)
            j--;
        if (i <= j) {
            int t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
    }
    struct qs left = {a, j + 1}, right = {a + i, n - i};
    struct ws_task *t = spawn_or_fail(&fb, qs_task, &left);
    qs_task(&right);
    join_or_fail(&fb, t);
}

TL_TEST(pool_quicksort_exact, 5, 60, "pool")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    long n = tl_iters(1000000);
    int *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    tl_check(a && b, "out of memory for the test's own arrays");
    for (long i = 0; i < n; i++)
        a[i] = b[i] = (int)tl_rng_below(&r, 1000000);
    qsort(b, (size_t)n, sizeof *b, cmp_int);
    struct ws_pool *p;
    WS_NEW_POOL(p, 2);
    struct qs q = {a, n};
    WS_RUN(p, qs_task, &q);
    ws_pool_free(p);
    tl_fb_report(&fb);
    long bad = -1;
    for (long i = 0; i < n && bad < 0; i++)
        if (a[i] != b[i])
            bad = i;
    int got = bad >= 0 ? a[bad] : 0, want = bad >= 0 ? b[bad] : 0;
    free(a);
    free(b);
    tl_check(bad < 0, "parallel quicksort of %ld ints: position %ld holds %d, expected "
             "%d. A half was not sorted before its join returned. Hint: Task 4.2.", n, bad,
             got, want);
}

/* ------------------------------------------------------------------ */
/* n-queens                                                            */
/* ------------------------------------------------------------------ */

struct nq { int n, row; unsigned cols, d1, d2; long count; };

static long nq_seq(int n, int row, unsigned cols, unsigned d1, unsigned d2)
{
    if (row == n)
        return 1;
    long c = 0;
    unsigned free_ = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (free_) {
        unsigned bit = free_ & -free_;
        free_ -= bit;
        c += nq_seq(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    return c;
}

/* One task per placement in the first rows, sequential below. */
static void nq_task(void *p)
{
    struct nq *q = p;
    if (q->row >= 3) {
        q->count = nq_seq(q->n, q->row, q->cols, q->d1, q->d2);
        return;
    }
    struct nq kids[32];
    struct ws_task *t[32];
    int k = 0;
    unsigned free_ = ~(q->cols | q->d1 | q->d2) & ((1u << q->n) - 1);
    while (free_) {
        unsigned bit = free_ & -free_;
        free_ -= bit;
        kids[k] = (struct nq){q->n, q->row + 1, q->cols | bit, (q->d1 | bit) << 1,
                              (q->d2 | bit) >> 1, 0};
        t[k] = spawn_or_fail(&fb, nq_task, &kids[k]);
        k++;
    }
    q->count = 0;
    for (int i = k - 1; i >= 0; i--) {
        join_or_fail(&fb, t[i]);
        q->count += kids[i].count;
    }
}

TL_TEST(pool_nqueens_exact, 5, 60, "pool")
{
    static const long known[] = {1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680};
    int top = tl_slow() > 1 ? 9 : 11;
    struct ws_pool *p;
    WS_NEW_POOL(p, 2);
    for (int n = 4; n <= top; n++) {
        struct nq q = {n, 0, 0, 0, 0, -1};
        WS_RUN(p, nq_task, &q);
        tl_fb_report(&fb);
        tl_check(q.count == known[n], "%d-queens on 2 workers counted %ld solutions, "
                 "expected %ld: some subtree was counted before its task finished, twice, "
                 "or never. Hint: Tasks 4.1-4.2.", n, q.count, known[n]);
    }
    ws_pool_free(p);
}

/* ------------------------------------------------------------------ */
/* Stealing, observed                                                  */
/* ------------------------------------------------------------------ */

static atomic_int child_ran_on;  /* worker id + 1, 0 while not run */
static int root_on;

static void marker(void *p)
{
    (void)p;
    atomic_store(&child_ran_on, ws_worker_id() + 1);
}

/* The root spawns one child and then does NOT join: it waits, without
 * running anything, until the child has run. The only way the child runs
 * is that another worker steals it (woken by the spawn if it was parked). */
static void holder(void *p)
{
    (void)p;
    root_on = ws_worker_id();
    struct ws_task *t = spawn_or_fail(&fb, marker, NULL);
    if (!t)
        return;
    double end = tl_now() + 30.0 * (double)tl_slow();
    while (!atomic_load(&child_ran_on) && tl_now() < end)
        sched_yield();
    if (!atomic_load(&child_ran_on))
        tl_fb_fail(&fb, "worker %d spawned a task and kept its CPU; in %.0f s no other "
                   "worker stole it. A spawn must wake a parked worker (Task 3), which "
                   "then steals from a random victim (Task 2.2).", root_on, 30.0 * (double)tl_slow());
    join_or_fail(&fb, t);
}

TL_TEST(pool_steals_counted, 5, 90, "pool steal")
{
    for (int workers = 2; workers <= 4; workers += 2) {
        struct ws_pool *p;
        WS_NEW_POOL(p, workers);
        for (int round = 0; round < 20; round++) {
            atomic_store(&child_ran_on, 0);
            WS_RUN(p, holder, NULL);
            tl_fb_report(&fb);
            int on = atomic_load(&child_ran_on) - 1;
            tl_check(on >= 0 && on < workers && on != root_on,
                     "the child spawned by a task on worker %d ran on worker %d (pool of "
                     "%d): ws_worker_id must say which worker runs the task, and the "
                     "child can only have been stolen. Hint: Task 2.2.", root_on, on, workers);
        }
        struct ws_stats st;
        tl_expect_ok(ws_pool_stats(p, &st), "ws_pool_stats", "Task 2.5");
        ws_pool_free(p);
        tl_check(st.steals >= 20, "20 tasks were run by a worker that did not spawn them, "
                 "yet ws_pool_stats counts %lu steals (pool of %d). Count each task a "
                 "worker takes from another's deque. Hint: Task 2.2.", st.steals, workers);
    }
}

/* A ping-pong that makes a spawn meet a worker on its way to sleep: the
 * root spawns one task and waits (without running anything) until another
 * worker has run it, again and again. Each time, the other worker runs the
 * task, finds nothing more and goes to park just as the root spawns the
 * next one. If the spawner can miss the parker (no seq_cst fence between
 * its push and its read of nidle; or the parker's last look at the deques
 * comes before it announces itself), the worker sleeps with a task
 * waiting, and the root waits for good. */
static atomic_long pp_done;
static void pp_child(void *p)
{
    (void)p;
    atomic_fetch_add(&pp_done, 1);
}

static void pp_root(void *p)
{
    long rounds = *(long *)p;
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    /* joined at the end: a join here would wait for the child's done flag
     * (set after pp_done) and so spawn the next child late */
    struct ws_task **t = calloc((size_t)rounds, sizeof *t);
    if (!t) {
        tl_fb_fail(&fb, "out of memory for the test's own array");
        return;
    }
    long i;
    for (i = 0; i < rounds && !tl_fb_failed(&fb); i++) {
        /* a random pause first, so that the spawn meets the other worker
         * at every point of its way from its last task to sleep */
        for (unsigned spin = (unsigned)tl_rng_below(&r, 64); spin; spin--)
            __asm__ volatile("pause");
        t[i] = spawn_or_fail(&fb, pp_child, NULL);
        if (!t[i])
            break;
        double end = tl_now() + 30.0 * (double)tl_slow();
        for (long spin = 0; atomic_load(&pp_done) <= i && tl_now() < end; spin++)
            if (spin > 2000)
                sched_yield();
        if (atomic_load(&pp_done) <= i)
            tl_fb_fail(&fb, "round %ld of %ld: a task spawned while the other worker was "
                       "going to sleep was not run in %.0f s: that worker sleeps with work "
                       "waiting. A spawner must see a worker that is parking (its nidle++ "
                       "then a last look at the deques; the spawner's push, a seq_cst fence, "
                       "then its read of nidle). Hint: Task 3.", i, rounds,
                       30.0 * (double)tl_slow());
    }
    while (i-- > 0)
        join_or_fail(&fb, t[i]);
    free(t);
}

TL_TEST(pool_spawn_wakes_parked_worker, 4, 120, "pool steal stress")
{
    struct ws_pool *p;
    WS_NEW_POOL(p, 2);
    long rounds = tl_iters(5000);
    atomic_store(&pp_done, 0);
    WS_RUN(p, pp_root, &rounds);
    ws_pool_free(p);
    tl_fb_report(&fb);
}

/* ------------------------------------------------------------------ */
/* Idle workers sleep                                                  */
/* ------------------------------------------------------------------ */

TL_TEST(pool_idle_workers_park, 4, 60, "pool idle")
{
    struct ws_pool *p;
    WS_NEW_POOL(p, 3);
    struct fib f = {15, -1};
    WS_RUN(p, fib_task, &f);
    tl_fb_report(&fb);
    /* Nothing to run now: over a window of wall time the process (3 idle
     * workers, this thread asleep) must use almost no CPU. The sleep is
     * the measurement window, not a synchronisation. */
    double window = 0.4 * (double)tl_slow();
    double c0 = cpu_seconds(), t0 = tl_now();
    struct timespec ts = {(time_t)window, (long)((window - (double)(time_t)window) * 1e9)};
    nanosleep(&ts, NULL);
    double used = cpu_seconds() - c0, wall = tl_now() - t0;
    struct ws_stats st;
    tl_expect_ok(ws_pool_stats(p, &st), "ws_pool_stats", "Task 2.5");
    ws_pool_free(p);
    tl_check(used < 0.25 * wall, "with nothing to run, the pool's 3 workers used %.3f s "
             "of CPU in %.3f s of wall time (%.0f%%): idle workers are spinning. A worker "
             "that finds no work anywhere must sleep on a condition variable until a "
             "spawn or ws_pool_run wakes it. Hint: Task 3.", used, wall, 100.0 * used / wall);
    tl_check(st.parks >= 3, "ws_pool_stats().parks is %lu after all 3 workers went idle; "
             "each time a worker goes to sleep counts. Hint: Task 3.", st.parks);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static atomic_int inner_rc, inner_id, inner_spawn_errno;
static void noop(void *p) { (void)p; }
static void run_inside(void *p)
{
    atomic_store(&inner_rc, ws_pool_run(p, noop, NULL));
    atomic_store(&inner_id, ws_worker_id());
    errno = 0;
    struct ws_task *t = ws_spawn(NULL, NULL);
    atomic_store(&inner_spawn_errno, t ? -1 : errno);
    /* a ws_join with a NULL task from a worker is a caller bug: not tested */
}

TL_TEST(pool_errors, 2, 30, "pool errors")
{
    errno = 0;
    tl_check(ws_pool_new(0) == NULL && errno == EINVAL, "ws_pool_new(0) must fail with "
             "EINVAL (errno %s). Hint: Task 2.1.", tl_ename(errno));
    errno = 0;
    tl_check(ws_pool_new(WS_MAX_WORKERS + 1) == NULL && errno == EINVAL,
             "ws_pool_new(%d) must fail with EINVAL (errno %s). Hint: Task 2.1.",
             WS_MAX_WORKERS + 1, tl_ename(errno));
    errno = 0;
    tl_check(ws_deque_new(31) == NULL && errno == EINVAL, "ws_deque_new(31) must fail "
             "with EINVAL (errno %s). Hint: Task 1.1.", tl_ename(errno));
    errno = 0;
    tl_check(ws_spawn(noop, NULL) == NULL && errno == EPERM, "ws_spawn from the test's "
             "thread (not a worker) must fail with EPERM (errno %s): there is no deque "
             "to push on. Hint: Task 4.1.", tl_ename(errno));
    tl_expect_rc(ws_join(NULL), EPERM, "ws_join from the test's thread", "Only a task "
                 "joins (Task 4.2).");
    tl_check(ws_worker_id() == -1, "ws_worker_id() on the test's thread is %d, expected "
             "-1. Hint: Task 2.2.", ws_worker_id());
    /* the largest deque the API allows is not refused as invalid (it may
     * well be refused for lack of memory: 2^30 slots of 8 bytes) */
    errno = 0;
    struct ws_deque *big = ws_deque_new(30);
    tl_check(big || errno != EINVAL, "ws_deque_new(30) failed with EINVAL: 30 is the "
             "largest log_cap allowed, not past it. Hint: Task 1.1.");
    ws_deque_free(big);
    struct ws_pool *p;
    WS_NEW_POOL(p, WS_MAX_WORKERS);
    ws_pool_free(p);
    WS_NEW_POOL(p, 2);
    tl_expect_rc(ws_pool_run(NULL, noop, NULL), EINVAL, "ws_pool_run(NULL, ...)", "Task 2.3.");
    tl_expect_rc(ws_pool_run(p, NULL, NULL), EINVAL, "ws_pool_run(p, NULL, ...)", "Task 2.3.");
    atomic_store(&inner_rc, -1);
    WS_RUN(p, run_inside, p);
    tl_expect_rc(atomic_load(&inner_rc), EPERM, "ws_pool_run from inside a task",
                 "A worker that waited for a root would hold its deque hostage (Task 2.3).");
    tl_expect_rc(atomic_load(&inner_spawn_errno), EINVAL, "ws_spawn(NULL, ...) from a task "
                 "(errno)", "A task needs a function (Task 4.1).");
    int id = atomic_load(&inner_id);
    tl_check(id == 0 || id == 1, "ws_worker_id() inside a task on a pool of 2 is %d, "
             "expected 0 or 1. Hint: Task 2.2.", id);
    struct ws_stats st;
    tl_expect_rc(ws_pool_stats(NULL, &st), EINVAL, "ws_pool_stats(NULL, ...)", "Task 2.5.");
    ws_pool_free(p);
    ws_pool_free(NULL);
    ws_deque_free(NULL);
}

/* ------------------------------------------------------------------ */
/* Performance stage                                                   */
/* ------------------------------------------------------------------ */

TL_TEST(perf_fib, 0, 120, "perf")
{
    struct ws_pool *p;
    WS_NEW_POOL(p, 2);
    int n = 30;
    struct fib f = {n, -1};
    double t0 = tl_now();
    WS_RUN(p, fib_task, &f);
    double dt = tl_now() - t0;
    ws_pool_free(p);
    tl_fb_report(&fb);
    tl_check(f.r == fib_seq(n), "fib(%d) gave %ld, expected %ld", n, f.r, fib_seq(n));
    double tasks = (double)fib_seq(n + 1);
    printf("fib(%d): %.0f tasks in %.3f s, %.2f M tasks/s\n", n, tasks, dt, tasks / dt / 1e6);
    tl_metric(tasks / dt);
}
