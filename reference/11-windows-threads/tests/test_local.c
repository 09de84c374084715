/*
 * test_local.c - Task 5: a value per thread (TLS) and per fiber (FLS, its
 * callback run when the fiber is deleted).
 */
#include "wt_test.h"

#define T5 "Task 5 (src/local.c)"

static volatile LONG made, destroyed;
static void *owner_of[64];             /* value -> who destroyed it */

static void *make_value(void *ctx)
{
    LONG n = InterlockedIncrement(&made);
    (void)ctx;
    return (void *)(uintptr_t)n;
}

static volatile LONG destroy_ctx_ok = 1;
static void destroy_value(void *ctx, void *value)
{
    uintptr_t v = (uintptr_t)value;
    if (ctx != (void *)&made)
        destroy_ctx_ok = 0;
    if (v < 64)
        owner_of[v] = (void *)(uintptr_t)(GetCurrentThreadId() | 0x100000000ull);
    InterlockedIncrement(&destroyed);
}

static struct wt_local tls;

static DWORD WINAPI tls_thread(LPVOID arg)
{
    void *a = wt_local_get(&tls), *b = wt_local_get(&tls);
    ((void **)arg)[0] = a;
    ((void **)arg)[1] = b;
    wt_local_thread_exit(&tls);
    return 0;
}

TL_TEST(tls_value_per_thread, 5, 30, "local")
{
    made = destroyed = 0;
    long blocks = wt_heap_blocks();
    wt_expect_ok(wt_local_init(&tls, 0, make_value, destroy_value, (void *)&made),
                 "wt_local_init(TLS)", T5);
    void *got[6][2];
    HANDLE h[6];
    for (int i = 0; i < 6; i++)
        h[i] = wt_start(tls_thread, got[i]);
    for (int i = 0; i < 6; i++)
        tl_check(wt_join_within(h[i], 10), "a thread using wt_local_get did not end in 10 s");
    for (int i = 0; i < 6; i++) {
        tl_check(got[i][0] != NULL && got[i][0] == got[i][1],
                 "thread %d got %p then %p from wt_local_get: a thread's value is made once, "
                 "then the same one comes back", i, got[i][0], got[i][1]);
        for (int k = 0; k < i; k++)
            tl_check(got[k][0] != got[i][0], "threads %d and %d got the same value %p: each "
                     "thread has a slot of its own (TlsGetValue/TlsSetValue)", k, i, got[i][0]);
    }
    tl_check(made == 6 && destroyed == 6 && tls.live == 0,
             "6 threads each took a value and called wt_local_thread_exit: made %ld, destroyed "
             "%ld, live %ld (expected 6, 6, 0)", (long)made, (long)destroyed, (long)tls.live);
    tl_check(destroy_ctx_ok, "destroy was called with a ctx other than the one given to init");
    wt_expect_ok(wt_local_free(&tls), "wt_local_free", T5);
    wt_expect_no_leak(blocks, "6 threads' TLS values made and destroyed");
}

static struct wt_sched fs;
static struct wt_local fls;
static void *fiber_value[8];
static LONG destroyed_before_end[8];

static void fls_fiber(void *arg)
{
    int i = (int)(uintptr_t)arg;
    fiber_value[i] = wt_local_get(&fls);
    wt_fiber_yield(&fs);
    if (wt_local_get(&fls) != fiber_value[i])
        fiber_value[i] = NULL; /* a fiber's value changed across a yield */
    destroyed_before_end[i] = destroyed;
}

TL_TEST(fls_callback_at_fiber_deletion, 8, 30, "local fibers")
{
    made = destroyed = 0;
    memset(owner_of, 0, sizeof owner_of);
    memset(&fs, 0, sizeof fs);
    long blocks = wt_heap_blocks();
    wt_expect_ok(wt_local_init(&fls, 1, make_value, destroy_value, (void *)&made),
                 "wt_local_init(FLS)", T5);
    for (int i = 0; i < 5; i++)
        tl_check(wt_fiber_spawn(&fs, fls_fiber, (void *)(uintptr_t)i) == i,
                 "wt_fiber_spawn failed: Task 4 comes first");
    wt_expect_ok(wt_sched_run(&fs), "wt_sched_run", "Task 4 (src/fibers.c)");
    for (int i = 0; i < 5; i++) {
        tl_check(fiber_value[i] != NULL, "fiber %d: wt_local_get gave NULL, or another value after "
                 "a yield: each fiber keeps its own value (FlsGetValue follows the fiber)", i);
        for (int k = 0; k < i; k++)
            tl_check(fiber_value[k] != fiber_value[i], "fibers %d and %d share value %p: FLS "
                     "gives each fiber a slot of its own", k, i, fiber_value[i]);
    }
    /* Round-robin: fiber i ends after i earlier fibers were deleted. */
    for (int i = 0; i < 5; i++)
        tl_check(destroyed_before_end[i] == i,
                 "when fiber %d finished, %ld values had been destroyed, expected %d: the FLS "
                 "callback runs when the scheduler deletes a finished fiber (DeleteFiber), "
                 "once per fiber", i, (long)destroyed_before_end[i], i);
    tl_check(made == 5 && destroyed == 5 && fls.live == 0,
             "5 fibers each took a value: made %ld, destroyed %ld, live %ld after wt_sched_run "
             "(expected 5, 5, 0). Hint: FlsAlloc(callback); the callback destroys and counts.",
             (long)made, (long)destroyed, (long)fls.live);
    tl_check(destroy_ctx_ok, "destroy was called with a ctx other than the one given to init");
    wt_expect_ok(wt_local_free(&fls), "wt_local_free", T5);
    wt_expect_no_leak(blocks, "5 fibers' FLS values made and destroyed, the fibers deleted");
}
