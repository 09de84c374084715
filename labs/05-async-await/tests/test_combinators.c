/*
 * test_combinators.c - join_all, select, timeout (Task 6).
 */
#include "aio_test.h"
#include "aio_after.h"

TL_TEST(join_all_waits_for_every_child, 4, 20, "combinators")
{
    struct aio_loop *lp = loop_new();
    int p[2];
    make_pipe(p);
    char buf[8];
    long results[4] = {-9, -9, -9, -9}, res = -1;
    struct aio_future *kids[4] = {
        NEED(aio_sleep(lp, 40 * MS), "aio_sleep", "Task 2.4"),
        tagged(NULL, 7),
        NEED(aio_read(lp, p[0], buf, sizeof buf), "aio_read", "Task 3.3"),
        tagged(NEED(aio_sleep(lp, 10 * MS), "aio_sleep", "Task 2.4"), 3),
    };
    tlog_n = 0;
    spawn(lp, "joiner", NEED(aio_join_all(kids, 4, results), "aio_join_all", "Task 6.2"), &res);
    spawn(lp, "writer", after(lp, 20 * MS, aio_write(lp, p[1], "abc", 3)), NULL);
    RUN(lp, "for a join_all of four children");
    tl_check(res == 4 && results[0] == 0 && results[1] == 7 && results[2] == 3 &&
             results[3] == 0, "join_all of (sleep 40 ms, ready 7, read of 3 bytes "
             "written at 20 ms, sleep 10 ms): result %ld (want 4), children's "
             "results %s (want 0 7 3 0). Hint: Task 6.2.", res, fmt_longs(results, 4));
    tl_check(tlog_n == 2 && tlog[0] == 7 && tlog[1] == 3, "each child must be polled "
             "only until it is READY, and run to completion once: the tagged "
             "children logged %s (want 7 3). Hint: Task 6.2.", fmt_longs(tlog, tlog_n));
    EXPECT_EMPTY(lp, "after join_all");
    long r0 = -1;
    spawn(lp, "empty", NEED(aio_join_all(NULL, 0, NULL), "aio_join_all(NULL, 0)", "Task 6.2"), &r0);
    RUN(lp, "for an empty join_all");
    tl_check(r0 == 0, "join_all of no child is READY with 0, got %ld", r0);
    close(p[0]);
    close(p[1]);
    aio_loop_free(lp);
}

TL_TEST(select_takes_first_and_cancels_rest, 4, 20, "combinators")
{
    struct aio_loop *lp = loop_new();
    int p[2];
    make_pipe(p);
    char buf[8];
    long res = -1, val = -1;
    struct aio_future *kids[3] = {
        NEED(aio_sleep(lp, 5000 * MS), "aio_sleep", "Task 2.4"),
        NEED(aio_read(lp, p[0], buf, sizeof buf), "aio_read", "Task 3.3"),
        tagged(NEED(aio_sleep(lp, 20 * MS), "aio_sleep", "Task 2.4"), 42),
    };
    double t0 = tl_now();
    spawn(lp, "racer", NEED(aio_select(kids, 3, &val), "aio_select", "Task 6.3"), &res);
    RUN(lp, "for a select of (sleep 5 s, read of an empty pipe, sleep 20 ms)");
    double took = tl_now() - t0;
    tl_check(res == 2 && val == 0, "select of (sleep 5 s, read of an empty pipe, "
             "sleep 20 ms) must be won by child 2 with value 0; got index %ld value "
             "%ld. Hint: Task 6.3.", res, val);
    tl_check(took < 4.0, "select returned after %.1f s: the losers (a 5 s sleep) were "
             "still waited for. Hint: Task 6.3 frees them when the winner is READY.", took);
    EXPECT_EMPTY(lp, "after select");
    errno = 0;
    tl_check(aio_select(NULL, 0, NULL) == NULL && errno == EINVAL,
             "select of no child must fail with EINVAL");
    close(p[0]);
    close(p[1]);
    aio_loop_free(lp);
}

TL_TEST(timeout_passes_or_cancels, 4, 20, "combinators")
{
    struct aio_loop *lp = loop_new();
    int p[2];
    make_pipe(p);
    char buf[8];
    long r1 = -1, r2 = -1;
    spawn(lp, "too-slow", NEED(aio_timeout(lp, NEED(aio_read(lp, p[0], buf, sizeof buf),
                                                    "aio_read", "Task 3.3"), 30 * MS),
                               "aio_timeout", "Task 6.4"), &r1);
    spawn(lp, "in-time", NEED(aio_timeout(lp, tagged(NEED(aio_sleep(lp, 10 * MS),
                                                          "aio_sleep", "Task 2.4"), 5),
                                          2000 * MS), "aio_timeout", "Task 6.4"), &r2);
    RUN(lp, "for two timeouts");
    tl_check(r1 == -ETIMEDOUT, "a read of an empty pipe under a 30 ms timeout must "
             "end with -ETIMEDOUT (%d), got %ld. Hint: Task 6.4.", -ETIMEDOUT, r1);
    tl_check(r2 == 0, "a 10 ms sleep under a 2 s timeout must pass its result (0) "
             "through, got %ld. Hint: Task 6.4.", r2);
    EXPECT_EMPTY(lp, "after the timeouts (the read left epoll, the timers the heap)");
    errno = 0;
    tl_check(aio_timeout(lp, NULL, 1) == NULL && errno == EINVAL,
             "aio_timeout of NULL must fail with EINVAL");
    close(p[0]);
    close(p[1]);
    aio_loop_free(lp);
}
