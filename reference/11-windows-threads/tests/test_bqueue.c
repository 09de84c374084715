/*
 * test_bqueue.c - Task 2: the bounded queue on SRWLOCK + CONDITION_VARIABLE:
 * FIFO, close, and every item delivered exactly once under stress.
 */
#include "wt_test.h"

#define T2 "Task 2 (src/bqueue.c)"
#define ITEM(i) ((void *)(uintptr_t)(i))
#define VAL(p) ((uintptr_t)(p))

TL_TEST(bq_fifo_and_wraparound, 5, 30, "bqueue")
{
    struct wt_bqueue q;
    void *it = NULL;
    long blocks = wt_heap_blocks();
    wt_expect_ok(wt_bq_init(&q, 3), "wt_bq_init(&q, 3)", T2);
    wt_expect_rc(wt_bq_init(&q, 0), EINVAL, "wt_bq_init(&q, 0)", "A queue needs at least one slot.");
    for (int i = 1; i <= 3; i++)
        wt_expect_ok(wt_bq_put(&q, ITEM(i)), "wt_bq_put on a queue with a free slot", T2);
    for (uintptr_t i = 1; i <= 3; i++) {
        wt_expect_ok(wt_bq_get(&q, &it), "wt_bq_get on a non-empty queue", T2);
        tl_check(VAL(it) == i, "wt_bq_get returned item %lu, expected %lu: items leave in the "
                 "order they came (head is the oldest)", (unsigned long)VAL(it), (unsigned long)i);
    }
    uintptr_t in = 1, out = 1;
    for (int round = 0; round < 50; round++) {
        while (in - out < 2)
            wt_expect_ok(wt_bq_put(&q, ITEM(in++)), "wt_bq_put", T2);
        wt_expect_ok(wt_bq_get(&q, &it), "wt_bq_get", T2);
        tl_check(VAL(it) == out, "after %d rounds around the ring wt_bq_get returned %lu, expected "
                 "%lu. Hint: the tail is (head + count) %% cap.", round, (unsigned long)VAL(it),
                 (unsigned long)out);
        out++;
    }
    tl_check(q.count == in - out, "count = %lu with %lu items inside", (unsigned long)q.count,
             (unsigned long)(in - out));
    wt_expect_ok(wt_bq_close(&q), "wt_bq_close", T2);
    wt_expect_rc(wt_bq_put(&q, ITEM(77)), EPIPE, "wt_bq_put after close", "A closed queue takes nothing.");
    wt_expect_ok(wt_bq_get(&q, &it), "wt_bq_get on a closed queue that still holds items", T2);
    tl_check(VAL(it) == out, "a closed queue hands out what it holds, in order: got %lu, expected %lu",
             (unsigned long)VAL(it), (unsigned long)out);
    wt_expect_rc(wt_bq_get(&q, &it), EPIPE, "wt_bq_get on a closed, empty queue",
                 "Closed and empty: EPIPE at once, no sleep.");
    wt_expect_ok(wt_bq_close(&q), "a second wt_bq_close", T2);
    wt_expect_ok(wt_bq_destroy(&q), "wt_bq_destroy", T2);
    wt_expect_no_leak(blocks, "wt_bq_init, puts and gets, then wt_bq_destroy");
}

static struct wt_bqueue shared_q;

static DWORD WINAPI getter(LPVOID arg)
{
    void *it;
    *(int *)arg = wt_bq_get(&shared_q, &it);
    return 0;
}

#define getters_asleep() wt_bq_sleepers(&shared_q, &shared_q.nget_waiting)

TL_TEST(bq_close_wakes_all_getters, 6, 30, "bqueue")
{
    int rc[3] = {-1, -1, -1};
    HANDLE h[3];
    wt_expect_ok(wt_bq_init(&shared_q, 2), "wt_bq_init", T2);
    for (int i = 0; i < 3; i++)
        h[i] = wt_start(getter, &rc[i]);
    tl_check(WT_WAIT_UNTIL(getters_asleep() == 3, 10),
             "3 threads called wt_bq_get on an empty queue, but nget_waiting is %d after 10 s. "
             "Hint: count a getter in nget_waiting (under the lock) before it sleeps.", getters_asleep());
    wt_expect_ok(wt_bq_close(&shared_q), "wt_bq_close", T2);
    int woke = 0;
    for (int i = 0; i < 3; i++)
        woke += wt_join_within(h[i], 5);
    tl_check(woke == 3, "wt_bq_close woke %d of the 3 getters asleep on the empty queue; the rest "
             "still sleep 5 s later. Hint: close must wake EVERY sleeper "
             "(WakeAllConditionVariable), not one.", woke);
    for (int i = 0; i < 3; i++)
        wt_expect_rc(rc[i], EPIPE, "wt_bq_get woken by close on an empty queue",
                     "After the wake, an empty closed queue gives EPIPE.");
    wt_expect_ok(wt_bq_destroy(&shared_q), "wt_bq_destroy", T2);
}

/* Producers put distinct numbers; consumers tick each one off. */
enum { NPROD = 3, NCONS = 3 };
struct pc {
    struct wt_bqueue q;
    long per_producer;
    volatile LONG *seen;          /* one tick per item */
    volatile LONG consumed;
    struct wt_failbox fb;
    int id;
};

static DWORD WINAPI producer(LPVOID arg)
{
    struct pc *p = arg;
    int me = InterlockedIncrement((volatile LONG *)&p->id) - 1;
    for (long i = 0; i < p->per_producer; i++) {
        uintptr_t v = (uintptr_t)me * (uintptr_t)p->per_producer + (uintptr_t)i + 1;
        int rc = wt_bq_put(&p->q, ITEM(v));
        if (rc) {
            wt_fb_fail(&p->fb, "wt_bq_put of item %lu failed with %d (%s) on an open queue",
                       (unsigned long)v, rc, wt_errname(rc));
            return 1;
        }
        if (i % 16 == 0)
            tl_perturb_point();
    }
    return 0;
}

static DWORD WINAPI consumer(LPVOID arg)
{
    struct pc *p = arg;
    uintptr_t total = (uintptr_t)NPROD * (uintptr_t)p->per_producer;
    for (;;) {
        void *it = NULL;
        int rc = wt_bq_get(&p->q, &it);
        if (rc == EPIPE)
            return 0;
        if (rc) {
            wt_fb_fail(&p->fb, "wt_bq_get failed with %d (%s)", rc, wt_errname(rc));
            return 1;
        }
        uintptr_t v = VAL(it);
        if (v < 1 || v > total) {
            wt_fb_fail(&p->fb, "wt_bq_get returned %lu, which no producer put (1..%lu): a slot "
                       "read before it was written, or twice?", (unsigned long)v, (unsigned long)total);
            return 1;
        }
        if (InterlockedIncrement(&p->seen[v - 1]) != 1) {
            wt_fb_fail(&p->fb, "item %lu came out of the queue twice", (unsigned long)v);
            return 1;
        }
        InterlockedIncrement(&p->consumed);
        tl_perturb_point();
    }
}

TL_TEST(bq_producers_consumers_exactly_once, 8, 60, "bqueue stress")
{
    static struct pc p;
    memset(&p, 0, sizeof p);
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    size_t cap = 1 + (size_t)tl_rng_below(&r, 4);
    p.per_producer = tl_iters(20000);
    long total = NPROD * p.per_producer;
    p.seen = calloc((size_t)total, sizeof *p.seen);
    tl_check(p.seen != NULL, "out of memory in the test");
    wt_expect_ok(wt_bq_init(&p.q, cap), "wt_bq_init", T2);
    HANDLE prod[NPROD], cons[NCONS];
    for (int i = 0; i < NCONS; i++)
        cons[i] = wt_start(consumer, &p);
    for (int i = 0; i < NPROD; i++)
        prod[i] = wt_start(producer, &p);
    for (int i = 0; i < NPROD; i++)
        tl_check(wt_join_within(prod[i], 40),
                 "a producer did not finish its %ld puts in 40 s (cap %lu, %d consumers taking): "
                 "a put that sleeps and is never woken? get must wake a putter after freeing a slot "
                 "(%ld of %ld items consumed)", p.per_producer, (unsigned long)cap, NCONS,
                 (long)p.consumed, total);
    tl_check(WT_WAIT_UNTIL(p.consumed == total || p.fb.failed, 20),
             "%ld of %ld items were consumed 20 s after the last put: a getter asleep although the "
             "queue holds items? put must wake a getter.", (long)p.consumed, total);
    wt_expect_ok(wt_bq_close(&p.q), "wt_bq_close", T2);
    for (int i = 0; i < NCONS; i++)
        tl_check(wt_join_within(cons[i], 10), "a consumer did not return EPIPE within 10 s of the close");
    wt_fb_report(&p.fb);
    for (long i = 0; i < total; i++)
        tl_check(p.seen[i] == 1, "item %ld was seen %ld times, expected once (seed %llu, cap %lu)",
                 i + 1, (long)p.seen[i], (unsigned long long)tl_seed(), (unsigned long)cap);
    wt_expect_ok(wt_bq_destroy(&p.q), "wt_bq_destroy", T2);
    free((void *)p.seen);
}
