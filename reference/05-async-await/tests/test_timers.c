/*
 * test_timers.c - the timer heap and sleeps (Task 2), idleness.
 */
#include "aio_test.h"

#include <sys/resource.h>

/* Tasks sleep until base + k ms, k drawn from a few values so that many
 * deadlines are equal; they must finish in (deadline, spawn order). */
TL_TEST(timers_fire_in_deadline_order_ties_fifo, 8, 30, "timers stress")
{
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    long n = tl_iters(3000);
    if (n < 50)
        n = 50;
    static long k[20000];
    struct aio_loop *lp = loop_new();
    int64_t base = aio_now(lp) + 100 * MS * tl_slow(); /* after every first poll */
    tlog_n = 0;
    for (long i = 0; i < n; i++) {
        k[i] = (long)tl_rng_below(&rng, 12);
        spawn(lp, "sleeper", tagged(NEED(aio_sleep_until(lp, base + k[i] * 2 * MS),
                                         "aio_sleep_until", "Task 2.4"), i), NULL);
    }
    RUN(lp, "for the sleepers");
    tl_check(tlog_n == n, "%ld sleepers spawned, %d finished. Hint: Task 2.", n, tlog_n);
    for (long i = 1; i < n; i++) {
        long a = tlog[i - 1], b = tlog[i];
        int ok = k[a] < k[b] || (k[a] == k[b] && a < b);
        tl_check(ok, "timers must fire in deadline order, and equal deadlines in "
                 "the order they were armed (FIFO): sleeper %ld (deadline +%ld ms) "
                 "finished right before sleeper %ld (deadline +%ld ms). Hint: the "
                 "heap orders by (deadline, seq), Task 2.1 hands out seq; check "
                 "sift_down picks the SMALLER child.", a, 2 * k[a], b, 2 * k[b]);
    }
    EXPECT_EMPTY(lp, "after every sleeper finished");
    aio_loop_free(lp);
}

TL_TEST(ten_thousand_sleepers, 6, 60, "timers")
{
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    long n = tl_iters(10000);
    struct aio_loop *lp = loop_new();
    static long res[10000];
    tlog_n = 0;
    tagged_early = -1;
    int64_t now = aio_now(lp);
    for (long i = 0; i < n; i++) {
        int64_t d = now + (int64_t)tl_rng_below(&rng, 200) * MS;
        res[i] = -1;
        struct tagged *t = (struct tagged *)tagged(NEED(aio_sleep_until(lp, d),
                                                        "aio_sleep_until", "Task 2.4"), i);
        t->deadline = d;
        spawn(lp, "sleeper", &t->base, &res[i]);
    }
    struct aio_stats st;
    aio_stats(lp, &st);
    tl_check(st.tasks == n, "%ld tasks live after %ld spawns", st.tasks, n);
    RUN(lp, "for 10,000 sleepers");
    long bad = 0;
    for (long i = 0; i < n; i++)
        bad += res[i] != 0;
    tl_check(bad == 0 && tlog_n == n, "%ld of %ld sleepers did not finish with result 0 "
             "(%d finished). Hint: Task 2.", bad, n, tlog_n);
    tl_check(tagged_early <= 0, "a sleep finished %lld ns BEFORE its deadline. "
             "Hint: Task 2.4 is READY only when aio_now() >= deadline.",
             (long long)tagged_early);
    aio_stats(lp, &st);
    tl_check(st.polls <= 3 * n, "%ld sleepers took %ld task polls: each needs two (one "
             "to arm its timer, one when it fires), so the loop polls tasks that were "
             "not woken, or polls a woken task more than once. Hint: Task 1.2 queues "
             "a task once; Task 2.3 wakes only the due timers.", n, st.polls);
    EXPECT_EMPTY(lp, "after 10,000 sleepers");
    aio_loop_free(lp);
}

TL_TEST(idle_loop_burns_no_cpu, 5, 20, "timers")
{
    struct aio_loop *lp = loop_new();
    tagged_early = -1;
    int64_t d = aio_now(lp) + 300 * MS;
    struct tagged *t = (struct tagged *)tagged(NEED(aio_sleep_until(lp, d),
                                                    "aio_sleep_until", "Task 2.4"), 1);
    t->deadline = d;
    spawn(lp, "idle", &t->base, NULL);
    struct timespec c0, c1;
    double w0 = tl_now();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    RUN(lp, "for one task sleeping 300 ms");
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    double wall = tl_now() - w0;
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    tl_check(tagged_early <= 0 && wall >= 0.29, "the 300 ms sleep ended after %.0f ms, "
             "%lld ns before its deadline. Hint: Task 2.4.", wall * 1e3,
             (long long)tagged_early);
    tl_check(cpu < 0.25 * wall, "while its one task slept, the loop used %.0f ms of "
             "CPU in %.0f ms: it must sleep in epoll_wait until the next deadline, "
             "not spin (under 25%% allowed). Hint: Task 1.7: the timeout is the "
             "earliest deadline minus now, rounded UP to whole ms.", cpu * 1e3, wall * 1e3);
    aio_loop_free(lp);
}
