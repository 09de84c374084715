/*
 * test_loop.c - tasks, the ready queue, results and misuse (Task 1).
 */
#include "aio_test.h"

TL_TEST(tasks_run_in_spawn_order, 4, 10, "loop")
{
    struct aio_loop *lp = loop_new();
    long res[5], id[5];
    tlog_n = 0;
    for (int i = 0; i < 5; i++) {
        res[i] = -1;
        id[i] = spawn(lp, "t", tagged(NULL, 10 + i), &res[i]);
        tl_check(i == 0 || id[i] > id[i - 1], "task ids must grow with each spawn: "
                 "got %ld after %ld. Hint: handout Task 1.4.", id[i], id[i - 1]);
    }
    struct aio_stats st;
    aio_stats(lp, &st);
    tl_check(st.tasks == 5 && tlog_n == 0, "after 5 spawns and before aio_run: %ld "
             "live tasks (want 5) and %d already polled (want 0: spawn only queues). "
             "Hint: Task 1.4.", st.tasks, tlog_n);
    RUN(lp, "for 5 tasks that finish at their first poll");
    static const long want[] = {10, 11, 12, 13, 14};
    int ok = tlog_n == 5;
    for (int i = 0; ok && i < 5; i++)
        ok = tlog[i] == want[i] && res[i] == want[i];
    tl_check(ok, "the ready queue is FIFO: tasks spawned with tags %s must be "
             "polled in that order and store their results; polled: %s; results: %s. "
             "Hint: Task 1.2 appends at the TAIL, aio_run pops the HEAD.",
             fmt_longs(want, 5), fmt_longs(tlog, tlog_n), fmt_longs(res, 5));
    EXPECT_EMPTY(lp, "after aio_run returned");
    aio_stats(lp, &st);
    tl_check(st.polls == 5, "5 tasks that are READY at once take 5 polls, the loop "
             "counted %ld. Hint: Task 1.7 counts each task poll.", st.polls);
    tl_check(aio_run(lp) == 0, "aio_run with no task at all must return 0 at once");
    aio_loop_free(lp);
}

/* A future that never arranges a wake-up. */
static int lost_poll(struct aio_future *f, struct aio_loop *lp)
{
    (void)f;
    (void)lp;
    return AIO_PENDING;
}
static void nop_drop(struct aio_future *f, struct aio_loop *lp)
{
    (void)f;
    (void)lp;
}
static const struct aio_future_ops lost_ops = {"lost", lost_poll, nop_drop};

TL_TEST(stuck_tasks_are_edeadlk_and_freed, 3, 10, "loop")
{
    struct aio_loop *lp = loop_new();
    struct aio_future *f = calloc(1, sizeof *f);
    f->ops = &lost_ops;
    long res = 1;
    spawn(lp, "lost", f, &res);
    errno = 0;
    int rc = aio_run(lp);
    tl_check(rc == -1 && errno == EDEADLK, "a task that answered PENDING with no "
             "timer and no fd to wake it can never run again: aio_run must return "
             "-1/EDEADLK, it returned %d (errno %s). Hint: Task 1.7.", rc, tl_ename(errno));
    struct aio_stats st;
    aio_stats(lp, &st);
    tl_check(st.tasks == 1, "the stuck task is still the loop's (%ld tasks)", st.tasks);
    aio_loop_free(lp); /* must cancel it */
    tl_check(res == -ECANCELED, "aio_loop_free cancels the tasks left: their result "
             "must be -ECANCELED (%d), got %ld. Hint: Task 1.8.", -ECANCELED, res);
}

TL_TEST(spawn_and_cancel_misuse, 2, 10, "loop")
{
    struct aio_loop *lp = loop_new();
    errno = 0;
    long id = aio_spawn(lp, NULL, tagged(NULL, 1), NULL);
    tl_check(id == -1 && errno == EINVAL, "aio_spawn with a NULL name: want -1/EINVAL, "
             "got %ld/%s. Hint: Task 1.4.", id, tl_ename(errno));
    errno = 0;
    id = aio_spawn(lp, "x", NULL, NULL);
    tl_check(id == -1 && errno == EINVAL, "aio_spawn of a NULL future: want -1/EINVAL, "
             "got %ld/%s.", id, tl_ename(errno));
    errno = 0;
    int rc = aio_cancel(lp, 12345);
    tl_check(rc == -1 && errno == ESRCH, "aio_cancel of an id no task has: want "
             "-1/ESRCH, got %d/%s. Hint: Task 4.2.", rc, tl_ename(errno));
    long done = spawn(lp, "quick", tagged(NULL, 1), NULL);
    RUN(lp, "for one quick task");
    errno = 0;
    rc = aio_cancel(lp, done);
    tl_check(rc == -1 && errno == ESRCH, "aio_cancel of a task that has finished: "
             "want -1/ESRCH, got %d/%s.", rc, tl_ename(errno));
    EXPECT_EMPTY(lp, "after misuse");
    aio_loop_free(lp);
}
