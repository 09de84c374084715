/*
 * test_cancel.c - cancellation releases everything (Task 4).
 */
#include "aio_test.h"
#include "aio_after.h"

/* async def killer(ids): await sleep(10 ms); cancel each; cancel myself */
struct killer {
    struct aio_future base;
    struct aio_future *sleep;
    long *ids;
    int n;
    long self;
};
/* what the killer saw: outlives it (the loop frees a task's future) */
static struct { int rc[8], err[8], self_rc, self_err; } kill_seen;

static int killer_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct killer *k = (struct killer *)f;
    if (aio_await(k->sleep, lp) == AIO_PENDING)
        return AIO_PENDING;
    for (int i = 0; i < k->n; i++) {
        errno = 0;
        kill_seen.rc[i] = aio_cancel(lp, k->ids[i]);
        kill_seen.err[i] = errno;
    }
    errno = 0;
    kill_seen.self_rc = aio_cancel(lp, k->self);
    kill_seen.self_err = errno;
    f->result = 0;
    return AIO_READY;
}

static void killer_drop(struct aio_future *f, struct aio_loop *lp)
{
    aio_future_free(((struct killer *)f)->sleep, lp);
}

static const struct aio_future_ops killer_ops = {"killer", killer_poll, killer_drop};

TL_TEST(cancel_releases_timers_fds_memory, 7, 30, "cancel")
{
    int fds0 = count_fds();
    struct aio_loop *lp = loop_new();
    int p[2], q[2];
    make_pipe(p);
    make_pipe(q);
    struct sockaddr_storage ss;
    socklen_t len;
    const char *kind;
    int lfd = listen_any(&ss, &len, &kind);
    char buf[16];
    long res[5], ids[5];
    struct aio_future *f[5];
    /* a long sleep, a read that never gets data, a client whose server
     * never answers, a join of both kinds, a timeout around a read */
    f[0] = NEED(aio_sleep(lp, 60000 * MS), "aio_sleep", "Task 2.4");
    f[1] = NEED(aio_read(lp, p[0], buf, sizeof buf), "aio_read", "Task 3.3");
    f[2] = NEED(aio_echo_client(lp, (struct sockaddr *)&ss, len, 3, 100),
                "aio_echo_client", "Task 7.4");
    struct aio_future *kids[2] = {NEED(aio_sleep(lp, 60000 * MS), "aio_sleep", "Task 2.4"),
                                  NEED(aio_sleep(lp, 50000 * MS), "aio_sleep", "Task 2.4")};
    f[3] = NEED(aio_join_all(kids, 2, NULL), "aio_join_all", "Task 6.2");
    f[4] = NEED(aio_timeout(lp, NEED(aio_read(lp, q[0], buf + 8, 8), "aio_read", "Task 3.3"),
                            60000 * MS), "aio_timeout", "Task 6.4");
    static const char *names[5] = {"sleep", "read", "client", "join", "timeout"};
    for (int i = 0; i < 5; i++) {
        res[i] = 1;
        ids[i] = spawn(lp, names[i], f[i], &res[i]);
    }
    struct killer *k = calloc(1, sizeof *k);
    k->base.ops = &killer_ops;
    k->sleep = NEED(aio_sleep(lp, 30 * MS), "aio_sleep", "Task 2.4");
    k->ids = ids;
    k->n = 5;
    /* nobody accepts: the client's connection waits in the backlog, and
     * the client waits for a reply that never comes */
    k->self = spawn(lp, "killer", &k->base, NULL);
    memset(&kill_seen, 0x7f, sizeof kill_seen);
    double t0 = tl_now();
    RUN(lp, "while a task cancels five others");
    tl_check(tl_now() - t0 < 20, "aio_run took %.0f s: the cancelled tasks' timers "
             "were still waited for. Hint: Task 4.2.", tl_now() - t0);
    for (int i = 0; i < 5; i++)
        tl_check(kill_seen.rc[i] == 0 && res[i] == -ECANCELED, "aio_cancel of the pending "
                 "'%s' task from another task's poll: returned %d (errno %s), its "
                 "result %ld (want 0 and -ECANCELED). Hint: Task 4.2.", names[i],
                 kill_seen.rc[i], tl_ename(kill_seen.err[i]), res[i]);
    tl_check(kill_seen.self_rc == -1 && kill_seen.self_err == EDEADLK, "a task cancelling itself "
             "from its own poll must get -1/EDEADLK, got %d/%s. Hint: Task 4.2.",
             kill_seen.self_rc, tl_ename(kill_seen.self_err));
    EXPECT_EMPTY(lp, "after cancelling five pending tasks");

    /* The fds they watched must be out of epoll: watching them again works. */
    long r1 = -1;
    spawn(lp, "read-again", NEED(aio_read(lp, p[0], buf, sizeof buf), "aio_read", "Task 3.3"), &r1);
    spawn(lp, "write", after(lp, 10 * MS, aio_write(lp, p[1], "again", 5)), NULL);
    RUN(lp, "for a new read of the pipe a cancelled task had watched");
    tl_check(r1 == 5, "a new read of a pipe that a cancelled read had watched must "
             "work: result %ld (%s). Hint: -EEXIST means the cancelled future left "
             "the fd in epoll: its drop must EPOLL_CTL_DEL it (Tasks 3.2, 4.1).", r1,
             r1 < 0 ? tl_ename((int)-r1) : "bytes");
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(lfd);
    aio_loop_free(lp);
    tl_check(count_fds() == fds0, "%d fds open before, %d after: the cancelled client "
             "did not close the socket it made. Hint: Tasks 4.1, 7.5.", fds0, count_fds());
}

TL_TEST(cancel_before_run_and_loop_free, 3, 20, "cancel")
{
    int fds0 = count_fds();
    struct aio_loop *lp = loop_new();
    int p[2];
    make_pipe(p);
    char buf[4];
    long r[3] = {1, 1, 1};
    long a = spawn(lp, "never-polled", NEED(aio_sleep(lp, 1000 * MS), "aio_sleep", "Task 2.4"), &r[0]);
    tl_check(aio_cancel(lp, a) == 0 && r[0] == -ECANCELED, "cancelling a queued task "
             "that never ran: rc 0 and result -ECANCELED wanted, result %ld. Hint: "
             "Task 4.2 (and 1.3: it leaves the ready queue).", r[0]);
    spawn(lp, "sleeper", NEED(aio_sleep(lp, 60000 * MS), "aio_sleep", "Task 2.4"), &r[1]);
    spawn(lp, "reader", NEED(aio_read(lp, p[0], buf, sizeof buf), "aio_read", "Task 3.3"), &r[2]);
    spawn(lp, "short", NEED(aio_sleep(lp, 10 * MS), "aio_sleep", "Task 2.4"), NULL);
    /* run with a 10 ms task: when it ends the other two are still pending */
    struct aio_stats st;
    aio_stats(lp, &st);
    tl_check(st.tasks == 3, "3 live tasks expected, %ld", st.tasks);
    close(p[1]);
    aio_loop_free(lp);
    tl_check(r[1] == -ECANCELED && r[2] == -ECANCELED, "aio_loop_free must cancel the "
             "tasks left (-ECANCELED): results %ld %ld. Hint: Task 1.8.", r[1], r[2]);
    close(p[0]);
    tl_check(count_fds() == fds0, "%d fds before, %d after aio_loop_free: the loop's "
             "epoll fd must be closed. Hint: Task 1.8.", fds0, count_fds());
}
