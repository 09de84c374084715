/*
 * test_pool.c - Task 3: the completion-port pool: every posted task runs
 * exactly once, and shutdown ends every worker.
 */
#include "wt_test.h"

#define T3 "Task 3 (src/iocp_pool.c)"

struct tick {
    volatile LONG *runs;
    long n;
};

static struct tick ticks;

static void tick_task(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    if (i < (uintptr_t)ticks.n)
        InterlockedIncrement(&ticks.runs[i]);
    if (i % 32 == 0)
        tl_perturb_point();
}

struct submitter {
    struct wt_pool *p;
    long from, to;
    struct wt_failbox *fb;
};

static DWORD WINAPI submit_range(LPVOID arg)
{
    struct submitter *s = arg;
    for (long i = s->from; i < s->to; i++) {
        int rc = wt_pool_submit(s->p, tick_task, (void *)(uintptr_t)i);
        if (rc) {
            wt_fb_fail(s->fb, "wt_pool_submit of task %ld returned %d (%s) on a running pool",
                       i, rc, wt_errname(rc));
            return 1;
        }
    }
    return 0;
}

struct shutdown_call {
    struct wt_pool *p;
    int rc;
};

static DWORD WINAPI call_shutdown(LPVOID arg)
{
    struct shutdown_call *c = arg;
    c->rc = wt_pool_shutdown(c->p);
    return 0;
}

/* Shutdown on a helper thread, so that one that never returns is a message. */
static void shutdown_within(struct wt_pool *p, double secs, const char *context)
{
    static struct shutdown_call c;
    c.p = p;
    c.rc = -1;
    HANDLE h = wt_start(call_shutdown, &c);
    tl_check(wt_join_within(h, secs),
             "wt_pool_shutdown(%s, %d workers) has not returned after %.0f s: a worker still "
             "sleeps in GetQueuedCompletionStatus. Hint: each quit packet ends ONE worker, so "
             "post one per worker, then wait for them all.", context, p->nworkers, secs);
    wt_expect_ok(c.rc, "wt_pool_shutdown", T3);
}

TL_TEST(pool_runs_each_task_exactly_once, 8, 60, "pool stress")
{
    static struct wt_pool p;
    struct wt_failbox fb = {0};
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    int workers = 2 + (int)tl_rng_below(&r, 5);
    ticks.n = tl_iters(30000);
    ticks.runs = calloc((size_t)ticks.n, sizeof *ticks.runs);
    tl_check(ticks.runs != NULL, "out of memory in the test");
    wt_expect_ok(wt_pool_start(&p, workers), "wt_pool_start", T3);
    struct submitter s[3];
    HANDLE h[3];
    for (int i = 0; i < 3; i++) {
        s[i] = (struct submitter){&p, ticks.n * i / 3, ticks.n * (i + 1) / 3, &fb};
        h[i] = wt_start(submit_range, &s[i]);
    }
    for (int i = 0; i < 3; i++)
        tl_check(wt_join_within(h[i], 30), "a thread calling wt_pool_submit did not finish in 30 s");
    wt_fb_report(&fb);
    shutdown_within(&p, 30, "with tasks queued");
    long twice = 0, never = 0, first = -1;
    for (long i = 0; i < ticks.n; i++) {
        if (ticks.runs[i] == 0 && first < 0)
            first = i;
        never += ticks.runs[i] == 0;
        twice += ticks.runs[i] > 1;
    }
    tl_check(never == 0 && twice == 0,
             "%ld tasks posted to %d workers: %ld never ran (the first: task %ld), %ld ran more "
             "than once. Every packet is taken by exactly one GetQueuedCompletionStatus; the quit "
             "packets go in behind the tasks, so a graceful shutdown runs them all first (seed %llu).",
             ticks.n, workers, never, first, twice, (unsigned long long)tl_seed());
    tl_check(p.handled == ticks.n && p.submitted == ticks.n,
             "submitted = %ld, handled = %ld, expected %ld each (Interlocked counts)",
             (long)p.submitted, (long)p.handled, ticks.n);
    free((void *)ticks.runs);
}

TL_TEST(pool_shutdown_ends_every_worker, 6, 60, "pool")
{
    static struct wt_pool p;
    wt_expect_rc(wt_pool_start(&p, 0), EINVAL, "wt_pool_start(&p, 0)", "A pool needs a worker.");
    wt_expect_ok(wt_pool_start(&p, 8), "wt_pool_start(&p, 8)", T3);
    tl_check(p.port != NULL && p.nworkers == 8, "after wt_pool_start(&p, 8): port %p, nworkers %d",
             (void *)p.port, p.nworkers);
    shutdown_within(&p, 10, "idle");
    tl_check(p.port == NULL && p.nworkers == 0,
             "after shutdown the port is closed (port = NULL) and nworkers is 0; saw %p and %d",
             (void *)p.port, p.nworkers);
    wt_expect_ok(wt_pool_start(&p, 3), "wt_pool_start again after a shutdown", T3);
    shutdown_within(&p, 10, "restarted");
}
