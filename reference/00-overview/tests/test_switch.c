/*
 * test_switch.c - Task 4: the two ping-pongs count every round, end
 * cleanly, and refuse to be used when not running.
 */
#include "cost_test.h"

#define T4 "Task 4 (src/switch.c)"

TL_TEST(pingpong_rounds_counted, 4, 30, "switch")
{
    int tasks = baseline_tasks(), fds = fd_count();
    struct cost_pingpong pp = {0};
    int rc = cost_pingpong_start(&pp);
    tl_expect_ok(rc, "cost_pingpong_start", T4);
    tl_check(tasks_settle(tasks + 1) == tasks + 1, "after cost_pingpong_start there are %d threads, "
             "expected %d: start runs one partner thread (TODO 4.1)", task_count(), tasks + 1);
    tl_check(fd_count() == fds + 4, "after cost_pingpong_start %d descriptors are open, %d "
             "before: two pipes are four descriptors (TODO 4.1)", fd_count(), fds);
    long n = tl_iters(20000) + 3;
    for (long i = 0; i < n; i++) {
        rc = cost_pingpong_round(&pp);
        tl_expect_ok(rc, "cost_pingpong_round", T4);
    }
    tl_check(pp.rounds == (unsigned long)n, "pp.rounds = %lu after %ld rounds (TODO 4.3)",
             pp.rounds, n);
    unsigned long served = 0;
    rc = cost_pingpong_stop(&pp, &served);
    tl_expect_ok(rc, "cost_pingpong_stop", T4);
    tl_check(served == (unsigned long)n, "the partner answered %lu rounds, the caller made %ld: "
             "each round is one byte there and one back; 'q' ends the partner without an answer "
             "(TODO 4.2, 4.4)", served, n);
    tl_check(tasks_settle(tasks) == tasks, "after cost_pingpong_stop %d threads remain, expected %d: "
             "join the partner (TODO 4.4)", task_count(), tasks);
    tl_check(fd_count() == fds, "after cost_pingpong_stop %d descriptors are open, %d before: "
             "close all four (TODO 4.4)", fd_count(), fds);
    tl_check(pp.running == 0, "running = %d after stop, expected 0", pp.running);
    /* It can start again, and a stop without rounds counts 0. */
    rc = cost_pingpong_start(&pp);
    tl_expect_ok(rc, "cost_pingpong_start (a second time, after stop)", T4);
    tl_check(pp.rounds == 0, "a new start must reset rounds (got %lu)", pp.rounds);
    rc = cost_pingpong_stop(&pp, NULL);
    tl_expect_ok(rc, "cost_pingpong_stop(pp, NULL)", T4);
    tl_check(tasks_settle(tasks) == tasks && fd_count() == fds, "a start/stop pair left %d threads and "
             "%d descriptors (expected %d and %d)", task_count(), fd_count(), tasks, fds);
}

TL_TEST(uswitch_rounds_counted, 4, 30, "switch")
{
    int tasks = baseline_tasks();
    struct cost_uswitch u;
    memset(&u, 0, sizeof u);
    int rc = cost_uswitch_start(&u);
    tl_expect_ok(rc, "cost_uswitch_start", T4);
    tl_check(u.running == 1 && u.stack != NULL, "after cost_uswitch_start running = %d, stack = %p "
             "(TODO 4.5)", u.running, u.stack);
    tl_check(u.served == 0, "the coroutine counted %lu rounds before any round: its first entry "
             "is start's, not a round (TODO 4.6)", u.served);
    long n = tl_iters(100000) + 5;
    for (long i = 0; i < n; i++) {
        rc = cost_uswitch_round(&u);
        tl_expect_ok(rc, "cost_uswitch_round", T4);
        if (i == 2)
            tl_check(u.served == 3 && u.rounds == 3, "after 3 rounds served = %lu, rounds = %lu: each "
                     "round is one switch in and one back, counted on both sides (TODO 4.6, 4.7)",
                     u.served, u.rounds);
    }
    tl_check(tasks_settle(tasks) == tasks, "cost_uswitch uses a kernel thread (%d tasks, %d before)",
             task_count(), tasks);
    unsigned long served = 0;
    rc = cost_uswitch_stop(&u, &served);
    tl_expect_ok(rc, "cost_uswitch_stop", T4);
    tl_check(served == (unsigned long)n && u.rounds == (unsigned long)n, "after %ld rounds the "
             "coroutine served %lu and rounds = %lu (TODO 4.6 to 4.8)", n, served, u.rounds);
    tl_check(u.running == 0, "running = %d after stop, expected 0", u.running);
    rc = cost_uswitch_start(&u);
    tl_expect_ok(rc, "cost_uswitch_start (again, after stop)", T4);
    tl_check(u.rounds == 0 && u.served == 0, "a new start must reset the counts (rounds %lu, "
             "served %lu)", u.rounds, u.served);
    rc = cost_uswitch_round(&u);
    tl_expect_ok(rc, "cost_uswitch_round", T4);
    rc = cost_uswitch_stop(&u, NULL);
    tl_expect_ok(rc, "cost_uswitch_stop(u, NULL)", T4);
}

TL_TEST(switch_state_errors, 2, 10, "switch")
{
    struct cost_pingpong pp = {0};
    struct cost_uswitch u;
    memset(&u, 0, sizeof u);
    tl_expect_rc(cost_pingpong_round(&pp), EINVAL, "cost_pingpong_round before start", "Check running.");
    tl_expect_rc(cost_pingpong_stop(&pp, NULL), EINVAL, "cost_pingpong_stop before start", "Check running.");
    tl_expect_rc(cost_pingpong_start(NULL), EINVAL, "cost_pingpong_start(NULL)", "TODO 4.1.");
    tl_expect_rc(cost_pingpong_round(NULL), EINVAL, "cost_pingpong_round(NULL)", "TODO 4.3.");
    tl_expect_rc(cost_pingpong_stop(NULL, NULL), EINVAL, "cost_pingpong_stop(NULL)", "TODO 4.4.");
    tl_expect_rc(cost_uswitch_round(&u), EINVAL, "cost_uswitch_round before start", "Check running.");
    tl_expect_rc(cost_uswitch_stop(&u, NULL), EINVAL, "cost_uswitch_stop before start", "Check running.");
    tl_expect_rc(cost_uswitch_start(NULL), EINVAL, "cost_uswitch_start(NULL)", "TODO 4.5.");
    tl_expect_rc(cost_uswitch_round(NULL), EINVAL, "cost_uswitch_round(NULL)", "TODO 4.7.");
    tl_expect_rc(cost_uswitch_stop(NULL, NULL), EINVAL, "cost_uswitch_stop(NULL)", "TODO 4.8.");
    int rc = cost_pingpong_start(&pp);
    tl_expect_ok(rc, "cost_pingpong_start", T4);
    tl_expect_rc(cost_pingpong_start(&pp), EINVAL, "cost_pingpong_start while running",
              "A second partner would leak the first.");
    tl_expect_ok(cost_pingpong_stop(&pp, NULL), "cost_pingpong_stop", T4);
    rc = cost_uswitch_start(&u);
    tl_expect_ok(rc, "cost_uswitch_start", T4);
    tl_expect_rc(cost_uswitch_start(&u), EINVAL, "cost_uswitch_start while running",
              "It would leak the first stack.");
    tl_expect_ok(cost_uswitch_stop(&u, NULL), "cost_uswitch_stop", T4);
}
