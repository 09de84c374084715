/*
 * test_watchdog.c - a poll that blocks the loop is reported by name (Task 5).
 */
#include "aio_test.h"

/* A future that blocks: its first poll spins for `ns` of wall time. */
struct hog {
    struct aio_future base;
    int64_t ns;
};

static int hog_poll(struct aio_future *f, struct aio_loop *lp)
{
    int64_t end = aio_now(lp) + ((struct hog *)f)->ns;
    while (aio_now(lp) < end)
        ;
    f->result = 0;
    return AIO_READY;
}

static void hog_drop(struct aio_future *f, struct aio_loop *lp)
{
    (void)f;
    (void)lp;
}

static const struct aio_future_ops hog_ops = {"hog", hog_poll, hog_drop};

static char wd_names[8][32];
static int64_t wd_ns[8];
static int wd_n;

static void on_block(void *arg, const char *task, int64_t ns)
{
    (void)arg;
    if (wd_n < 8) {
        snprintf(wd_names[wd_n], sizeof wd_names[0], "%s", task);
        wd_ns[wd_n] = ns;
    }
    wd_n++;
}

TL_TEST(watchdog_names_the_blocking_task, 5, 40, "watchdog")
{
    struct aio_loop *lp = loop_new();
    int64_t threshold = 300 * MS * tl_slow();
    aio_watchdog(lp, threshold, on_block, NULL);
    wd_n = 0;
    struct hog *h = calloc(1, sizeof *h);
    h->base.ops = &hog_ops;
    h->ns = 4 * threshold;
    /* honest tasks around it: quick ones, and one that SLEEPS longer than
     * the threshold (waiting in epoll is not blocking the loop) */
    spawn(lp, "quick-1", tagged(NULL, 1), NULL);
    spawn(lp, "long-sleeper", NEED(aio_sleep(lp, 2 * threshold), "aio_sleep", "Task 2.4"), NULL);
    spawn(lp, "cpu-hog", &h->base, NULL);
    spawn(lp, "quick-2", tagged(NEED(aio_sleep(lp, 5 * MS), "aio_sleep", "Task 2.4"), 2), NULL);
    RUN(lp, "with the watchdog on");
    tl_check(wd_n >= 1, "the task 'cpu-hog' spun %lld ms in one poll, over the "
             "watchdog's %lld ms threshold, and nothing was reported. Hint: Task 5: "
             "time each task poll in aio_run.", (long long)(h ? 4 * threshold / MS : 0),
             (long long)(threshold / MS));
    tl_check(wd_n == 1 && strcmp(wd_names[0], "cpu-hog") == 0 && wd_ns[0] >= 4 * threshold,
             "the watchdog must report exactly the task whose poll blocked, by name, "
             "with the time it took: %d report(s), the first naming '%s' (%lld ms; "
             "want 'cpu-hog', >= %lld ms). Hint: time the poll only, not the loop's "
             "wait in epoll_wait (Task 5).", wd_n, wd_names[0],
             (long long)(wd_ns[0] / MS), (long long)(4 * threshold / MS));
    aio_loop_free(lp);
}
