/*
 * test_now.c - Task 3: immediate shutdown hands back every task it took
 * out of the ring, none of which runs, while running tasks finish.
 */
#include "tp_test.h"

static struct gate g = GATE_INIT;

struct owned { int id; char pad[28]; };

static struct gate g2 = GATE_INIT; /* never opened before the checks */

/* None of these may ever run: they are all handed back. One run by
 * mistake counts itself, then waits at g2 so that the test can say so
 * (the test frees o: it must outlive a task run by mistake). */
static int owned_task(void *arg, long *value)
{
    struct owned *o = arg;
    atomic_fetch_add(&hits[o->id], 1);
    *value = o->id;
    return gate_task(&g2, value);
}

static int any_owned_ran(void)
{
    int n = 0;
    for (int i = 1; i <= 8; i++)
        n += atomic_load(&hits[i]);
    return n;
}

static int now_returned_or_ran(void *arg)
{
    return atomic_load(&((struct helper *)arg)->done) || any_owned_ran();
}

static void *do_now(struct helper *h)
{
    struct tp_task *un = NULL;
    size_t n = 0;
    h->rc = tp_shutdown_now((tp_pool *)h->a, &un, &n);
    h->b = un;
    h->x = (long)n;
    return NULL;
}

static int ring_empty(void *arg)
{
    struct tp_stats st;
    tp_stats((tp_pool *)arg, &st);
    return st.queued == 0;
}

static int all_idle(void *arg)
{
    struct tp_stats st;
    tp_stats((tp_pool *)arg, &st);
    return st.idle == 3;
}

TL_TEST(shutdown_now_hands_back_unrun, 5, 60, "now")
{
    gate_reset(&g);
    gate_reset(&g2);
    hits_reset();
    tp_pool *p = make_pool(2, 2, 8, 0, TP_BLOCK);
    tl_expect_ok(tp_submit(p, gate_task, &g, NULL), "tp_submit(gate_task)", T2);
    tl_expect_ok(tp_submit(p, gate_task, &g, NULL), "tp_submit(gate_task)", T2);
    WAIT_INSIDE(&g, 2, "two gate tasks never both started on a pool of 2 workers");
    static struct tp_future f[8];
    for (int i = 0; i < 8; i++) {
        struct owned *o = malloc(sizeof *o);
        tl_check(o != NULL, "malloc");
        o->id = i + 1;
        tl_expect_ok(tp_submit(p, owned_task, o, &f[i]), "tp_submit", T2);
    }
    static struct helper h;
    h = (struct helper){.a = p};
    helper_start(&h, do_now);
    /* The workers are held at the gate: only tp_shutdown_now can empty the ring. */
    int emptied = tl_poll_until(ring_empty, p, hang_secs());
    gate_open(&g);
    tl_poll_until(now_returned_or_ran, &h, hang_secs());
    for (int id = 1; id <= 8; id++)
        tl_check(atomic_load(&hits[id]) == 0,
                 "task %d was taken back by tp_shutdown_now (both workers were busy, so none "
                 "of the 8 queued tasks could have started) AND then run by a worker: the "
                 "caller frees what a handed-back task owns, so that worker uses freed "
                 "memory. Hint: copy the ring out and empty it (count = 0) in the same "
                 "critical section that marks the pool stopped (TODO 3.1).", id);
    tl_check(helper_join(&h, hang_secs()), "tp_shutdown_now did not return within %.0f s "
             "of the running tasks' end: it must wake and join every worker.", hang_secs());
    tl_expect_ok(h.rc, "tp_shutdown_now", T3);
    struct tp_task *un = h.b;
    size_t n = (size_t)h.x;
    tl_check(emptied, "tp_shutdown_now did not empty the ring within %.0f s (stats.queued "
             "stayed above 0) while both workers were busy", hang_secs());
    tl_check(n == 8, "tp_shutdown_now handed back %zu tasks, expected the 8 still queued "
             "(both workers were held inside gate tasks).", n);
    for (int i = 0; i < 8; i++) {
        struct owned *o = un[i].arg;
        tl_check(un[i].fn == owned_task && un[i].fut == &f[i] && o->id == i + 1,
                 "handed-back task %d is not the %d-th task queued (fn, arg and future as "
                 "submitted, in queue order)", i, i + 1);
        long v = -1;
        int rc = tp_future_get_for(&f[i], &v, 0);
        tl_expect_rc(rc, ECANCELED, "tp_future_get of a handed-back task",
                     "Its task will never run: tp_shutdown_now completes the future as "
                     "TP_CANCELLED, so that nobody waits forever.");
        tl_expect_ok(tp_future_destroy(&f[i]), "tp_future_destroy", T1);
        free(o);
    }
    free(un);
    tl_check(gate_get(&g, &g.passed) == 2, "the 2 running tasks must finish normally");
    struct tp_stats st = stats_of(p);
    tl_check(st.live == 0 && st.queued == 0, "after tp_shutdown_now: live=%u queued=%zu, "
             "expected 0 0", st.live, st.queued);
    tl_expect_rc(tp_shutdown_now(p, &un, &n), EALREADY, "a second tp_shutdown_now",
                 "A pool shuts down once.");
    tl_expect_rc(tp_submit(p, count_task, ID(1), NULL), ESHUTDOWN, "tp_submit after "
                 "tp_shutdown_now", "A stopped pool accepts nothing.");
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);

    /* An idle pool hands back nothing, and wakes all its idle workers. */
    p = make_pool(3, 3, 4, 0, TP_BLOCK);
    tl_check(tl_poll_until(all_idle, p, hang_secs()), "3 workers with nothing to do never "
             "all showed up in stats.idle (%u)", stats_of(p).idle);
    un = (struct tp_task *)&n;
    n = 99;
    tl_expect_ok(tp_shutdown_now(p, &un, &n), "tp_shutdown_now of an idle pool", T3);
    tl_check(n == 0 && un == NULL, "tp_shutdown_now of an idle pool gave n=%zu unrun=%p, "
             "expected 0 and NULL", n, (void *)un);
    tl_expect_rc(tp_shutdown_now(NULL, &un, &n), EINVAL, "tp_shutdown_now(NULL, ...)",
                 "Check the pointers.");
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}
