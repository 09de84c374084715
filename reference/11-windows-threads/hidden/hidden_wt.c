/*
 * hidden_wt.c - lab 11's hidden tests: argument errors, a putter that
 * sleeps on a full queue, tasks that submit tasks, FLS at thread exit, a
 * thousand fibers, and the error paths (failed allocations, a thread that
 * already is a fiber) with no leak.
 */
#include "../tests/wt_test.h"

static unsigned __stdcall zero_body(void *arg)
{
    (void)arg;
    return 0;
}

TL_TEST(hidden_run_all_argument_errors, 3, 30, "threads")
{
    unsigned long c[2] = {5, 5};
    int rc = wt_run_all(0, zero_body, NULL, c);
    tl_check(rc != ENOSYS, "wt_run_all returned ENOSYS: not written yet. Do Task 1 (src/threads.c).");
    wt_expect_rc(rc, EINVAL, "wt_run_all(0 threads)", "Nothing to run is an error.");
    wt_expect_rc(wt_run_all(2, NULL, NULL, c), EINVAL, "wt_run_all(body NULL)", "Check body first.");
    wt_expect_rc(wt_run_all(2, zero_body, NULL, NULL), EINVAL, "wt_run_all(codes NULL)",
                 "Check codes first.");
    tl_check(c[0] == 5 && c[1] == 5, "a call that returned EINVAL wrote codes[]");
    volatile long long v = 40;
    tl_check(wt_add(&v, 2) == 42 && v == 42, "wt_add(&v, 2) on v == 40 must return 42 and leave 42");
    tl_check(wt_add(&v, -50) == -8, "wt_add(&v, -50) on v == 42 must return -8");
}

static struct wt_bqueue hq;

static DWORD WINAPI put_one(LPVOID arg)
{
    *(int *)arg = wt_bq_put(&hq, (void *)(uintptr_t)3);
    return 0;
}

#define putters_asleep() wt_bq_sleepers(&hq, &hq.nput_waiting)

TL_TEST(hidden_bq_put_sleeps_while_full, 4, 30, "bqueue")
{
    void *it;
    int rc1 = -1, rc2 = -1;
    int rc = wt_bq_init(&hq, 2);
    tl_check(rc != ENOSYS, "wt_bq_init returned ENOSYS: not written yet. Do Task 2 (src/bqueue.c).");
    wt_expect_ok(wt_bq_put(&hq, (void *)(uintptr_t)1), "wt_bq_put", "Task 2");
    wt_expect_ok(wt_bq_put(&hq, (void *)(uintptr_t)2), "wt_bq_put", "Task 2");
    HANDLE h = wt_start(put_one, &rc1);
    tl_check(WT_WAIT_UNTIL(putters_asleep() == 1, 10),
             "a put on a full queue (cap 2) must sleep on not_full, counted in nput_waiting; "
             "after 10 s nput_waiting is %d (rc %d)", putters_asleep(), rc1);
    wt_expect_ok(wt_bq_get(&hq, &it), "wt_bq_get on a full queue", "Task 2");
    tl_check(wt_join_within(h, 10), "a get freed a slot but the sleeping putter was not woken "
             "within 10 s: get must wake not_full");
    wt_expect_ok(rc1, "the woken wt_bq_put", "Task 2");
    h = wt_start(put_one, &rc2);
    tl_check(WT_WAIT_UNTIL(putters_asleep() == 1, 10), "the second putter never slept on the full queue");
    wt_expect_ok(wt_bq_close(&hq), "wt_bq_close", "Task 2");
    tl_check(wt_join_within(h, 10), "wt_bq_close did not wake the putter asleep on the full queue");
    wt_expect_rc(rc2, EPIPE, "a wt_bq_put woken by close", "A close while a put sleeps makes it EPIPE.");
    wt_bq_destroy(&hq);
}

static struct wt_pool hp;
static volatile LONG chain_runs;

static void chain_task(void *arg)
{
    uintptr_t depth = (uintptr_t)arg;
    InterlockedIncrement(&chain_runs);
    if (depth > 0) {
        wt_pool_submit(&hp, chain_task, (void *)(depth - 1));
        wt_pool_submit(&hp, chain_task, (void *)(depth - 1));
    }
}

TL_TEST(hidden_pool_tasks_submit_tasks, 4, 60, "pool")
{
    int rc = wt_pool_start(&hp, 3);
    tl_check(rc != ENOSYS, "wt_pool_start returned ENOSYS: not written yet. Do Task 3 (src/iocp_pool.c).");
    wt_expect_ok(rc, "wt_pool_start", "Task 3");
    chain_runs = 0;
    wt_expect_ok(wt_pool_submit(&hp, chain_task, (void *)(uintptr_t)9), "wt_pool_submit", "Task 3");
    tl_check(WT_WAIT_UNTIL(hp.handled == 1023, 30),
             "a task that submits two more, 9 levels deep, makes 1023 tasks; %ld ran, handled = %ld, "
             "after 30 s (a task may call wt_pool_submit)", (long)chain_runs, (long)hp.handled);
    wt_expect_ok(wt_pool_shutdown(&hp), "wt_pool_shutdown", "Task 3");
    tl_check(chain_runs == 1023, "%ld tasks ran, expected 1023", (long)chain_runs);
    wt_expect_rc(wt_pool_submit(&hp, chain_task, NULL), EPIPE, "wt_pool_submit after shutdown",
                 "Shutdown began: refuse new tasks.");
    wt_expect_rc(wt_pool_submit(&hp, NULL, NULL), EINVAL, "wt_pool_submit(fn NULL)", "A task needs a function.");
}

static volatile LONG hmade, hdestroyed;
static void *hmake(void *ctx)
{
    (void)ctx;
    return (void *)(uintptr_t)InterlockedIncrement(&hmade);
}
static void hdestroy(void *ctx, void *value)
{
    (void)ctx;
    (void)value;
    InterlockedIncrement(&hdestroyed);
}

static struct wt_local hfls;

static DWORD WINAPI fls_user(LPVOID arg)
{
    (void)arg;
    return wt_local_get(&hfls) != NULL ? 0 : 1;
}

TL_TEST(hidden_fls_callback_at_thread_exit, 5, 30, "local")
{
    hmade = hdestroyed = 0;
    int rc = wt_local_init(&hfls, 1, hmake, hdestroy, NULL);
    tl_check(rc != ENOSYS, "wt_local_init returned ENOSYS: not written yet. Do Task 5 (src/local.c).");
    wt_expect_ok(rc, "wt_local_init(FLS)", "Task 5");
    HANDLE h[4];
    for (int i = 0; i < 4; i++)
        h[i] = wt_start(fls_user, NULL);
    for (int i = 0; i < 4; i++)
        tl_check(wt_join_within(h[i], 10), "a thread using FLS did not end in 10 s");
    tl_check(hmade == 4 && hdestroyed == 4 && hfls.live == 0,
             "4 threads (no fibers) took an FLS value and returned: made %ld, destroyed %ld, live %ld. "
             "The FLS callback also runs when a thread exits: expected 4, 4, 0.",
             (long)hmade, (long)hdestroyed, (long)hfls.live);
    void *mine = wt_local_get(&hfls);
    tl_check(mine != NULL && hmade == 5, "the test thread's own value was not made");
    wt_expect_ok(wt_local_free(&hfls), "wt_local_free", "Task 5");
    tl_check(hdestroyed == 5 && hfls.live == 0,
             "FlsFree runs the callback for the calling thread's value: destroyed %ld, live %ld",
             (long)hdestroyed, (long)hfls.live);
}

static struct wt_sched big;
static int *order;
static int on;

static void many(void *arg)
{
    int id = (int)(uintptr_t)arg;
    for (int r = 0; r < 3; r++) {
        order[on++] = id;
        wt_fiber_yield(&big);
    }
}

TL_TEST(hidden_thousand_fibers_round_robin, 4, 60, "fibers stress")
{
    int n = (int)tl_iters(1000) + 3;
    memset(&big, 0, sizeof big);
    order = calloc((size_t)n * 3, sizeof *order);
    on = 0;
    tl_check(order != NULL, "out of memory in the test");
    for (int i = 0; i < n; i++) {
        int id = wt_fiber_spawn(&big, many, (void *)(uintptr_t)i);
        tl_check(id == i, "wt_fiber_spawn of fiber %d returned %d%s", i, id,
                 id == -ENOSYS ? ": not written yet. Do Task 4 (src/fibers.c)." : "");
    }
    wt_expect_ok(wt_sched_run(&big), "wt_sched_run", "Task 4");
    tl_check(on == 3 * n, "%d fibers, 3 rounds each: %d rounds recorded", n, on);
    for (int k = 0; k < 3 * n; k++)
        tl_check(order[k] == k % n, "round-robin over %d fibers: step %d ran fiber %d, expected %d",
                 n, k, order[k], k % n);
    tl_check(big.live == 0, "live = %d after every fiber finished", big.live);
    free(order);
}

static void nothing(void *arg)
{
    (void)arg;
}

TL_TEST(hidden_errors_and_failed_allocations, 6, 30, "threads bqueue fibers local")
{
    struct wt_bqueue q;
    int rc = wt_bq_init(&q, 4);
    tl_check(rc != ENOSYS, "wt_bq_init returned ENOSYS: not written yet. Do Task 2 (src/bqueue.c).");
    wt_expect_rc(wt_bq_put(&q, NULL), EINVAL, "wt_bq_put(q, NULL)", "An item is never NULL.");
    wt_expect_rc(wt_bq_get(&q, NULL), EINVAL, "wt_bq_get(q, NULL)", "Where would the item go?");
    wt_expect_rc(wt_bq_put(NULL, &q), EINVAL, "wt_bq_put(NULL, item)", "Check q.");
    wt_expect_rc(wt_bq_close(NULL), EINVAL, "wt_bq_close(NULL)", "Check q.");
    wt_expect_rc(wt_bq_destroy(NULL), EINVAL, "wt_bq_destroy(NULL)", "Check q.");
    wt_bq_destroy(&q);
    long blocks = wt_heap_blocks();
    wt_fail_alloc_after(1);
    wt_expect_rc(wt_bq_init(&q, 4), ENOMEM, "wt_bq_init when calloc fails", "Say ENOMEM.");
    wt_expect_no_leak(blocks, "a wt_bq_init that failed");

    struct wt_sched s;
    memset(&s, 0, sizeof s);
    wt_expect_rc(-wt_fiber_spawn(&s, NULL, NULL), EINVAL, "-wt_fiber_spawn(s, NULL fn)", "A fiber needs a function.");
    wt_expect_rc(wt_sched_run(NULL), EINVAL, "wt_sched_run(NULL)", "Check s.");
    wt_fiber_yield(&s); /* outside a fiber: returns */
    for (long k = 1; k <= 2; k++) {
        blocks = wt_heap_blocks();
        wt_fail_alloc_after(k);
        int id = wt_fiber_spawn(&s, nothing, NULL);
        wt_fail_alloc_after(0);
        tl_check(id == -EAGAIN, "wt_fiber_spawn when allocation %ld of its own fails returned %d, "
                 "expected -EAGAIN", k, id);
        wt_expect_no_leak(blocks, "a wt_fiber_spawn whose allocation failed");
    }
    tl_check(s.count == 0 && s.next_id == 0, "a failed spawn left %lu fiber(s) queued, next_id %d",
             (unsigned long)s.count, s.next_id);
    /* A thread that already is a fiber cannot be converted again. */
    LPVOID me = ConvertThreadToFiber(NULL);
    tl_check(me != NULL, "the test could not make its thread a fiber");
    wt_fiber_spawn(&s, nothing, NULL);
    rc = wt_sched_run(&s);
    ConvertFiberToThread();
    wt_expect_rc(rc, EAGAIN, "wt_sched_run on a thread that already is a fiber",
                 "ConvertThreadToFiber fails there: say EAGAIN.");

    struct wt_pool p;
    memset(&p, 0, sizeof p);
    wt_expect_rc(wt_pool_start(&p, WT_POOL_MAX + 1), EINVAL, "wt_pool_start(65 workers)", "At most WT_POOL_MAX.");
    wt_expect_rc(wt_pool_shutdown(NULL), EINVAL, "wt_pool_shutdown(NULL)", "Check p.");

    struct wt_local l;
    wt_expect_rc(wt_local_init(&l, 0, NULL, NULL, NULL), EINVAL, "wt_local_init(make NULL)", "make is required.");
    wt_expect_rc(wt_local_free(NULL), EINVAL, "wt_local_free(NULL)", "Check l.");
    wt_expect_ok(wt_local_init(&l, 0, hmake, hdestroy, NULL), "wt_local_init(TLS)", "Task 5");
    hdestroyed = 0;
    wt_local_thread_exit(&l); /* no value on this thread: nothing to destroy */
    tl_check(hdestroyed == 0, "wt_local_thread_exit destroyed a value this thread never made");
    wt_local_free(&l);
}
