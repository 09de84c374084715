/*
 * test_policy.c - Task 4: what a full pool does with one more task:
 * refuse it (TP_REJECT) or run it on the submitter's thread
 * (TP_CALLER_RUNS). TP_BLOCK is test_pool.c's submit_blocks_when_full.
 */
#include "tp_test.h"

static struct gate g = GATE_INIT;

TL_TEST(policy_reject, 3, 30, "policy")
{
    gate_reset(&g);
    hits_reset();
    tp_pool *p = make_pool(1, 1, 1, 0, TP_REJECT);
    tl_expect_ok(tp_submit(p, gate_task, &g, NULL), "tp_submit(gate_task)", T2);
    WAIT_INSIDE(&g, 1, "the first task never started on the pool's only worker");
    tl_expect_ok(tp_submit(p, count_task, ID(1), NULL), "tp_submit into the free slot", T2);
    struct tp_future f;
    for (int i = 2; i <= 4; i++) {
        int rc = tp_submit(p, count_task, ID(i), i == 2 ? &f : NULL);
        tl_check(rc == EAGAIN, "tp_submit on a full pool with policy TP_REJECT returned %d "
                 "(%s), expected EAGAIN at once (TODO 4.1).", rc, tl_ename(rc));
    }
    struct tp_stats st = stats_of(p);
    tl_check(st.rejected == 3 && st.submitted == 2 && st.queued == 1,
             "after 3 rejected submits: rejected=%lu submitted=%lu queued=%zu, expected 3 2 1",
             st.rejected, st.submitted, st.queued);
    gate_open(&g);
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    tl_check(atomic_load(&hits[1]) == 1, "the accepted task ran %d times", atomic_load(&hits[1]));
    for (int i = 2; i <= 4; i++)
        tl_check(atomic_load(&hits[i]) == 0, "rejected task %d ran %d times: a rejected task "
                 "is not queued", i, atomic_load(&hits[i]));
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}

static _Atomic(pthread_t) ran_on;
static int where_task(void *arg, long *value)
{
    atomic_store(&ran_on, pthread_self());
    *value = 77;
    return 0;
}

TL_TEST(policy_caller_runs, 3, 30, "policy")
{
    gate_reset(&g);
    hits_reset();
    tp_pool *p = make_pool(1, 1, 1, 0, TP_CALLER_RUNS);
    tl_expect_ok(tp_submit(p, gate_task, &g, NULL), "tp_submit(gate_task)", T2);
    WAIT_INSIDE(&g, 1, "the first task never started on the pool's only worker");
    tl_expect_ok(tp_submit(p, count_task, ID(1), NULL), "tp_submit into the free slot", T2);
    struct tp_future f;
    int rc = tp_submit(p, where_task, NULL, &f);
    tl_expect_ok(rc, "tp_submit on a full pool with TP_CALLER_RUNS", T4);
    long v = 0;
    rc = tp_future_get_for(&f, &v, 0);
    tl_check(rc == 0 && v == 77, "right after tp_submit returned (TP_CALLER_RUNS, pool full), "
             "its future gave rc %d (%s) value %ld: the task must already have run, on the "
             "submitting thread (TODO 4.2).", rc, tl_ename(rc), v);
    tl_check(pthread_equal(atomic_load(&ran_on), pthread_self()),
             "with TP_CALLER_RUNS the task ran on another thread, not on the submitter's");
    struct tp_stats st = stats_of(p);
    tl_check(st.caller_ran == 1 && st.submitted == 3 && st.completed == 1,
             "stats: caller_ran=%lu submitted=%lu completed=%lu, expected 1 3 1 (the gate task "
             "still runs, the counting task waits in the ring)",
             st.caller_ran, st.submitted, st.completed);
    tl_expect_ok(tp_future_destroy(&f), "tp_future_destroy", T1);
    gate_open(&g);
    tl_expect_ok(tp_shutdown(p), "tp_shutdown", T2);
    tl_check(atomic_load(&hits[1]) == 1, "the queued task ran %d times", atomic_load(&hits[1]));
    tl_expect_ok(tp_destroy(p), "tp_destroy", T2);
}
