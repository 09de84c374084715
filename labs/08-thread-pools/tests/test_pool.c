/*
 * test_pool.c - Task 2: the fixed pool. Order on one worker, a submitter
 * blocked by a full ring, graceful shutdown that runs every accepted task
 * and wakes every worker, and exactly-once execution under stress.
 */
#include "tp_test.h"

static struct gate g = GATE_INIT;

TL_TEST(create_and_errors, 2, 30, "pool")
{
    tp_pool *p = NULL;
    struct tp_config bad[] = {
        {0, 1, 4, 0, TP_BLOCK},  {2, 1, 4, 0, TP_BLOCK},
        {1, TP_MAX_THREADS + 1, 4, 0, TP_BLOCK}, {1, 1, 0, 0, TP_BLOCK},
        {1, 1, 4, -1, TP_BLOCK}, {1, 1, 4, 0, (enum tp_policy)7},
    };
    const char *why[] = {"core 0", "max < core", "max > TP_MAX_THREADS", "queue_cap 0",
                         "keepalive_ms < 0", "an unknown policy"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = tp_create(&p, &bad[i]);
        tl_check(rc == EINVAL, "tp_create with %s returned %d (%s), expected EINVAL. "
                 "Hint: check every field of cfg first (TODO 2.1).", why[i], rc, tl_ename(rc));
    }
    tl_expect_rc(tp_create(NULL, &bad[0]), EINVAL, "tp_create(NULL, cfg)", "Check the pointers.");
    tl_expect_rc(tp_create(&p, NULL), EINVAL, "tp_create(&p, NULL)", "Check the pointers.");

    p = make_pool(1, TP_MAX_THREADS, 1, 0, TP_REJECT); /* max may be TP_MAX_THREADS */
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
    p = make_pool(3, 5, 4, 100, TP_BLOCK);
    struct tp_stats st = stats_of(p);
    tl_check(st.live == 3 && st.spawned == 3 && st.queued == 0 && st.submitted == 0 &&
             st.completed == 0 && st.retired == 0,
             "a new pool with core 3: live=%u spawned=%lu queued=%zu submitted=%lu "
             "completed=%lu retired=%lu; expected 3 3 0 0 0 0 (tp_create starts core "
             "workers and counts them).", st.live, st.spawned, st.queued, st.submitted,
             st.completed, st.retired);
    tl_expect_rc(tp_submit(p, NULL, NULL, NULL), EINVAL, "tp_submit(p, NULL fn)",
                 "No function to run: EINVAL.");
    tl_expect_rc(tp_submit(NULL, count_task, NULL, NULL), EINVAL, "tp_submit(NULL pool)",
                 "Check the pointer.");
    tl_expect_rc(tp_stats(p, NULL), EINVAL, "tp_stats(p, NULL)", "Check the pointer.");
    tl_expect_rc(tp_stats(NULL, &st), EINVAL, "tp_stats(NULL, &st)", "Check the pointer.");
    tl_expect_rc(tp_destroy(p), EBUSY, "tp_destroy of a running pool",
                 "Workers still use it: shut it down first (TODO 2.6).");
    tl_expect_rc(tp_shutdown(NULL), EINVAL, "tp_shutdown(NULL)", "Check the pointer.");
    tl_expect_rc(tp_destroy(NULL), EINVAL, "tp_destroy(NULL)", "Check the pointer.");
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    st = stats_of(p);
    tl_check(st.live == 0, "after tp_shutdown returned, live = %u, expected 0: every worker "
             "has ended (and was joined).", st.live);
    tl_expect_rc(tp_shutdown(p), EALREADY, "a second tp_shutdown", "A pool shuts down once.");
    struct tp_task *un = NULL;
    size_t n = 0;
    tl_expect_rc(tp_shutdown_now(p, &un, &n), EALREADY, "tp_shutdown_now after tp_shutdown",
                 "A pool shuts down once.");
    struct tp_future f;
    tl_expect_rc(tp_submit(p, count_task, ID(1), &f), ESHUTDOWN, "tp_submit after shutdown",
                 "A pool that was shut down accepts nothing.");
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}

TL_TEST(queue_runs_in_order_on_one_worker, 3, 30, "pool")
{
    gate_reset(&g);
    hits_reset();
    tp_pool *p = make_pool(1, 1, 64, 0, TP_BLOCK);
    tl_expect_ok(tp_submit(p, gate_task, &g, NULL), "tp_submit(gate_task)", T2);
    WAIT_INSIDE(&g, 1, "the first task never started on the pool's only worker");
    for (int i = 1; i <= 50; i++)
        tl_expect_ok(tp_submit(p, count_task, ID(i), NULL), "tp_submit", T2);
    struct tp_stats st = stats_of(p);
    tl_check(st.queued == 50 && st.submitted == 51,
             "50 tasks behind a busy worker: queued=%zu submitted=%lu, expected 50 and 51",
             st.queued, st.submitted);
    gate_open(&g);
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    int n = atomic_load(&norder);
    tl_check(n == 50, "%d counting tasks ran, expected 50: graceful shutdown runs every "
             "queued task (workers leave only when the ring is empty).", n);
    for (int i = 0; i < 50; i++)
        tl_check(atomic_load(&order[i]) == i + 1,
                 "run number %d was task %d, expected %d: one worker takes tasks in the "
                 "order they were queued (FIFO ring: take at head, add at (head + count) %% cap).",
                 i + 1, atomic_load(&order[i]), i + 1);
    st = stats_of(p);
    tl_check(st.completed == 51, "stats.completed = %lu, expected 51", st.completed);
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}

static void *submit_one(struct helper *h)
{
    h->rc = tp_submit((tp_pool *)h->a, count_task, ID(h->x), (struct tp_future *)h->b);
    return NULL;
}

struct blocked_wait { tp_pool *p; unsigned n; struct helper *h; };
static int blocked_or_returned(void *arg)
{
    struct blocked_wait *w = arg;
    if (w->h && atomic_load(&w->h->done))
        return 1;
    struct tp_stats st;
    tp_stats(w->p, &st);
    return st.blocked >= w->n;
}

TL_TEST(submit_blocks_when_full, 3, 60, "pool")
{
    gate_reset(&g);
    hits_reset();
    tp_pool *p = make_pool(1, 1, 2, 0, TP_BLOCK);
    tl_expect_ok(tp_submit(p, gate_task, &g, NULL), "tp_submit(gate_task)", T2);
    WAIT_INSIDE(&g, 1, "the first task never started on the pool's only worker");
    tl_expect_ok(tp_submit(p, count_task, ID(1), NULL), "tp_submit", T2);
    tl_expect_ok(tp_submit(p, count_task, ID(2), NULL), "tp_submit", T2);
    static struct helper h;
    static struct tp_future f;
    h = (struct helper){.a = p, .b = &f, .x = 4};
    helper_start(&h, submit_one);
    struct blocked_wait bw = {p, 1, &h};
    int seen = tl_poll_until(blocked_or_returned, &bw, hang_secs());
    tl_check(!atomic_load(&h.done),
             "tp_submit returned %d (%s) with the ring full (cap 2) and the only worker "
             "busy, policy TP_BLOCK: it must wait for a slot (TODO 2.3).", h.rc, tl_ename(h.rc));
    tl_check(seen, "tp_submit on a full ring neither returned nor showed up in "
             "stats.blocked within %.0f s. Hint: blocked++ before waiting on not_full, "
             "blocked-- after.", hang_secs());
    gate_open(&g);
    tl_check(helper_join(&h, hang_secs()),
             "a submitter blocked on a full ring still waits %.0f s after the worker "
             "took tasks off it: a lost wakeup. Hint: a worker that takes a task signals "
             "not_full when a submitter is blocked.", hang_secs());
    tl_expect_ok(h.rc, "the blocked tp_submit, once woken,", T2);
    long v = 0;
    tl_expect_ok(tp_future_get(&f, &v), "tp_future_get", T1);
    tl_check(v == 12, "the blocked task's future gave %ld, expected 12", v);
    tl_expect_ok(tp_future_destroy(&f), "tp_future_destroy", T1);
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    for (int i = 1; i <= 4; i++)
        tl_check(atomic_load(&hits[i]) == (i != 3), "task %d ran %d times, expected %d", i,
                 atomic_load(&hits[i]), i != 3);
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}

TL_TEST(shutdown_drains_every_task, 4, 60, "pool")
{
    gate_reset(&g);
    hits_reset();
    tp_pool *p = make_pool(2, 2, 64, 0, TP_BLOCK);
    tl_expect_ok(tp_submit(p, gate_task, &g, NULL), "tp_submit(gate_task)", T2);
    tl_expect_ok(tp_submit(p, gate_task, &g, NULL), "tp_submit(gate_task)", T2);
    WAIT_INSIDE(&g, 2, "two gate tasks never both started on a pool of 2 workers");
    for (int i = 1; i <= 16; i++)
        tl_expect_ok(tp_submit(p, count_task, ID(i), NULL), "tp_submit", T2);
    static struct helper h;
    h = (struct helper){.a = p};
    helper_start(&h, do_shutdown);
    /* Keep submitting until the shutdown refuses: each one accepted must run.
     * The ring holds 64, so at the latest a submit blocks until the
     * shutdown wakes it (with ESHUTDOWN). */
    int id = 17, rc;
    while ((rc = tp_submit(p, count_task, ID(id), NULL)) == 0 && id < MAXIDS - 1)
        id++;
    tl_expect_rc(rc, ESHUTDOWN, "tp_submit while tp_shutdown runs",
                 "Once shutdown begins, submits are refused (TODO 2.3/2.5).");
    int accepted = id - 17;
    tl_check(!atomic_load(&h.done), "tp_shutdown returned while two workers were still "
             "inside their tasks: it must join every worker.");
    gate_open(&g);
    tl_check(helper_join(&h, hang_secs()), "tp_shutdown did not return within %.0f s of "
             "the last task's end", hang_secs());
    tl_expect_ok(h.rc, "tp_shutdown", T2);
    for (int i = 1; i < 17 + accepted; i++)
        tl_check(atomic_load(&hits[i]) == 1,
                 "task %d (accepted before the shutdown) ran %d times, expected exactly once: "
                 "graceful shutdown drains the ring. Hint: a worker leaves only when "
                 "count == 0 AND the pool is no longer running.", i, atomic_load(&hits[i]));
    struct tp_stats st = stats_of(p);
    tl_check(st.completed == st.submitted && st.queued == 0,
             "after tp_shutdown: submitted=%lu completed=%lu queued=%zu; every accepted task "
             "must have run", st.submitted, st.completed, st.queued);
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}

struct idle_wait { tp_pool *p; unsigned n; };
static int idle_at_least(void *arg)
{
    struct idle_wait *w = arg;
    struct tp_stats st;
    tp_stats(w->p, &st);
    return st.idle >= w->n;
}

TL_TEST(shutdown_wakes_every_idle_worker, 3, 60, "pool")
{
    hits_reset();
    tp_pool *p = make_pool(4, 4, 4, 0, TP_BLOCK);
    for (int i = 1; i <= 8; i++)
        tl_expect_ok(tp_submit(p, count_task, ID(i), NULL), "tp_submit", T2);
    struct idle_wait iw = {p, 4};
    tl_check(tl_poll_until(idle_at_least, &iw, hang_secs()),
             "4 workers with nothing to do never all showed up in stats.idle (%u). Hint: "
             "idle++ before the wait for work, idle-- after.", stats_of(p).idle);
    static struct helper h;
    h = (struct helper){.a = p};
    helper_start(&h, do_shutdown);
    /* tp_destroy refuses until the shutdown has joined every worker. */
    double end = tl_now() + hang_secs();
    int rc;
    while ((rc = tp_destroy(p)) == EBUSY && tl_now() < end)
        sched_yield();
    if (rc == EBUSY) {
        struct tp_stats st = stats_of(p);
        tl_fail("tp_shutdown of a pool with 4 idle workers did not return within %.0f s; "
                "live=%u idle=%u: workers sleep on not_empty and nobody woke them. "
                "Hint: shutdown changes the predicate for EVERY worker: "
                "pthread_cond_broadcast, not signal (TODO 2.5).", hang_secs(), st.live, st.idle);
    }
    tl_expect_ok(rc, "tp_destroy once tp_shutdown has joined every worker", T2);
    tl_check(helper_join(&h, hang_secs()), "tp_shutdown did not return after it joined "
             "every worker");
    tl_expect_ok(h.rc, "tp_shutdown", T2);
}

static void *do_submit_gate(struct helper *h)
{
    h->rc = tp_submit((tp_pool *)h->a, count_task, ID(h->x), NULL);
    return NULL;
}

static int all_blocked(void *arg)
{
    struct tp_stats st;
    tp_stats((tp_pool *)arg, &st);
    return st.blocked >= 3;
}

TL_TEST(blocked_submitter_sees_shutdown, 3, 60, "pool")
{
    gate_reset(&g);
    hits_reset();
    tp_pool *p = make_pool(1, 1, 1, 0, TP_BLOCK);
    tl_expect_ok(tp_submit(p, gate_task, &g, NULL), "tp_submit(gate_task)", T2);
    WAIT_INSIDE(&g, 1, "the first task never started on the pool's only worker");
    tl_expect_ok(tp_submit(p, count_task, ID(1), NULL), "tp_submit", T2);
    static struct helper s[3], h;
    for (int i = 0; i < 3; i++) {
        s[i] = (struct helper){.a = p, .x = 2 + i};
        helper_start(&s[i], do_submit_gate);
    }
    int blocked = tl_poll_until(all_blocked, p, hang_secs());
    for (int i = 0; i < 3; i++)
        tl_check(!atomic_load(&s[i].done), "tp_submit on a full ring (TP_BLOCK) returned %d "
                 "(%s) instead of waiting", s[i].rc, tl_ename(s[i].rc));
    tl_check(blocked, "3 submitters waiting on a full ring never all showed up in "
             "stats.blocked (%u)", stats_of(p).blocked);
    h = (struct helper){.a = p};
    helper_start(&h, do_shutdown);
    for (int i = 0; i < 3; i++) {
        tl_check(helper_join(&s[i], hang_secs()),
                 "a submitter blocked on a full ring still waits %.0f s after tp_shutdown began "
                 "(%u still blocked): each must be woken and refused. Hint: shutdown changes the "
                 "predicate of EVERY blocked submitter: broadcast not_full; the submit loop "
                 "re-tests the pool's state after every wakeup.", hang_secs(),
                 stats_of(p).blocked);
        tl_expect_rc(s[i].rc, ESHUTDOWN, "a blocked tp_submit woken by tp_shutdown",
                     "Its task was never queued: ESHUTDOWN.");
    }
    gate_open(&g);
    tl_check(helper_join(&h, hang_secs()), "tp_shutdown did not return");
    tl_check(atomic_load(&hits[1]) == 1 && atomic_load(&hits[2]) + atomic_load(&hits[3]) +
             atomic_load(&hits[4]) == 0,
             "task 1 (queued) ran %d times, tasks 2-4 (refused) %d %d %d times; expected 1, 0",
             atomic_load(&hits[1]), atomic_load(&hits[2]), atomic_load(&hits[3]),
             atomic_load(&hits[4]));
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}

/* ---- exactly once, many submitters ---------------------------------- */
#define NSUB 4
struct sub_arg {
    tp_pool *p;
    int first, n;
    uint64_t seed;
    struct tl_failbox *fb;
};

static void *submitter(void *arg)
{
    struct sub_arg *a = arg;
    struct tl_rng r;
    tl_rng_init(&r, a->seed);
    struct tp_future fut[16];
    int ids[16], nf = 0;
    for (int i = 0; i < a->n && !tl_fb_failed(a->fb); i++) {
        int id = a->first + i;
        int want_future = tl_rng_below(&r, 2) == 0;
        int rc = tp_submit(a->p, count_task, ID(id), want_future ? &fut[nf] : NULL);
        if (rc) {
            tl_fb_fail(a->fb, "tp_submit of task %d returned %d (%s), expected 0", id, rc,
                       tl_ename(rc));
            break;
        }
        if (want_future)
            ids[nf++] = id;
        if (nf == 16 || i == a->n - 1) {
            for (int k = 0; k < nf; k++) {
                long v = -1;
                rc = tp_future_get(&fut[k], &v);
                int want = ids[k] % 7 == 3 ? EDOM : 0;
                if (rc != want || v != 3L * ids[k])
                    tl_fb_fail(a->fb, "the future of task %d gave rc %d (%s) value %ld; expected "
                               "rc %s value %ld", ids[k], rc, tl_ename(rc), v, tl_ename(want),
                               3L * ids[k]);
                tp_future_destroy(&fut[k]);
            }
            nf = 0;
        }
    }
    return NULL;
}

TL_TEST(exactly_once_many_submitters, 5, 120, "pool stress")
{
    hits_reset();
    uint64_t seed = tl_seed();
    struct tl_rng r;
    tl_rng_init(&r, seed);
    int per = (int)tl_iters(3000);
    /* small ring and a short keep-alive: submitters block, workers come and go */
    unsigned core = 1 + (unsigned)tl_rng_below(&r, 2);
    size_t cap = 1 + tl_rng_below(&r, 8);
    tp_pool *p = make_pool(core, 4, cap, (long)tl_rng_below(&r, 3), TP_BLOCK);
    static struct tl_failbox fb = TL_FAILBOX_INIT;
    static struct sub_arg a[NSUB];
    pthread_t t[NSUB];
    for (int i = 0; i < NSUB; i++) {
        a[i] = (struct sub_arg){p, i * per, per, tl_rng_next(&r), &fb};
        tl_check(pthread_create(&t[i], NULL, submitter, &a[i]) == 0, "pthread_create failed");
    }
    for (int i = 0; i < NSUB; i++)
        pthread_join(t[i], NULL);
    tl_fb_report(&fb);
    struct tp_stats before = stats_of(p);
    tl_check(before.live >= core && before.live <= 4,
             "while the pool runs, live must stay between core (%u) and max (4): it is %u "
             "(spawned %lu, retired %lu). A worker left its loop while the pool was running: "
             "after a wakeup that found the ring empty (another worker took the task), it "
             "must wait again. Hint: `while`, not `if`, around the wait for work.",
             core, before.live, before.spawned, before.retired);
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    for (int id = 0; id < NSUB * per; id++)
        tl_check(atomic_load(&hits[id]) == 1,
                 "task %d ran %d times, expected exactly once (core %u, cap %zu, %d submitters "
                 "x %d tasks). Hint: take a task off the ring (head, count) in the same "
                 "critical section that finds it; re-test count == 0 after every wakeup.",
                 id, atomic_load(&hits[id]), core, cap, NSUB, per);
    struct tp_stats st = stats_of(p);
    tl_check(st.submitted == (unsigned long)(NSUB * per) && st.completed == st.submitted,
             "stats: submitted=%lu completed=%lu, expected both %d", st.submitted, st.completed,
             NSUB * per);
    tl_check(st.spawned - st.retired <= 4, "stats: spawned %lu - retired %lu > max 4",
             st.spawned, st.retired);
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}
