/*
 * test_size.c - Task 6: the sizing rule N = ncpu * (1 + wait / compute),
 * exactly, and what it buys on tasks that mostly wait: counted, with two
 * pools side by side on the same machine at the same time.
 */
#include "tp_test.h"

#include <time.h>

struct size_case { unsigned ncpu; long wait, compute; unsigned want; };

TL_TEST(size_rule_exact, 3, 10, "size")
{
    static const struct size_case c[] = {
        {1, 0, 100, 1},          /* pure compute: one per CPU */
        {4, 0, 7, 4},
        {2, 10000000, 1000000, 22}, /* 2 * (1 + 10) */
        {8, 50, 50, 16},         /* half waiting: twice the CPUs */
        {2, 1, 3, 3},            /* 2 * 4/3 = 2.67 -> 3 (round UP) */
        {3, 1, 2, 5},            /* 3 * 1.5 = 4.5 -> 5 */
        {16, 3000, 1000, 64},
        {1, 999, 1000, 2},       /* 1.999 -> 2 */
        {64, 1000000, 1000, TP_MAX_THREADS}, /* capped */
        {0, 10, 10, 0},          /* nonsense -> 0 */
        {2, 10, 0, 0},
        {2, 10, -5, 0},
        {2, -1, 10, 0},
    };
    for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
        unsigned got = tp_size_for(c[i].ncpu, c[i].wait, c[i].compute);
        tl_check(got == c[i].want,
                 "tp_size_for(ncpu %u, wait %ld ns, compute %ld ns) = %u, expected %u. The "
                 "rule: ncpu * (1 + wait/compute), computed exactly (no floating point), "
                 "rounded UP, capped at TP_MAX_THREADS (%d), 0 for nonsense (TODO 6.1).",
                 c[i].ncpu, c[i].wait, c[i].compute, got, c[i].want, TP_MAX_THREADS);
    }
    /* no overflow: ncpu * (wait + compute) does not fit in 64 bits here */
    unsigned got = tp_size_for(1u << 31, 0x7fffffffffffffffL, 0x7fffffffffffffffL);
    tl_check(got == TP_MAX_THREADS, "tp_size_for(2^31, LONG_MAX, LONG_MAX) = %u, expected "
             "%d (the cap): the product overflows 64 bits, use unsigned __int128", got,
             TP_MAX_THREADS);
}

/* ---- the experiment ------------------------------------------------- */
/* Each task blocks in a timed wait for WAIT_MS (costing no CPU, like a
 * disk or network request), then does a small fixed amount of counted work
 * (COMPUTE_ITERS rounds of xorshift). */
#define WAIT_MS 10
#define COMPUTE_ITERS 20000
#define NCPU 2

struct xpool {
    atomic_int inside;  /* tasks in their wait now */
    atomic_int peak;    /* most tasks ever in their wait at once */
    atomic_long done;
    atomic_ulong sum;   /* checksum of the compute parts */
};
static struct xpool xa, xb;

static uint64_t compute(uint64_t x)
{
    for (int i = 0; i < COMPUTE_ITERS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

static int mixed_task(void *arg, long *value)
{
    struct xpool *x = arg;
    int now = atomic_fetch_add(&x->inside, 1) + 1;
    int pk = atomic_load(&x->peak);
    while (now > pk && !atomic_compare_exchange_weak(&x->peak, &pk, now))
        ;
    struct timespec d = {0, WAIT_MS * 1000000L};
    while (nanosleep(&d, &d) != 0 && errno == EINTR)
        ;
    atomic_fetch_sub(&x->inside, 1);
    atomic_fetch_add(&x->sum, compute(88172645463325252ULL));
    atomic_fetch_add(&x->done, 1);
    return 0;
}

TL_TEST(sizing_rule_beats_ncpu_pool, 5, 60, "size slow")
{
    unsigned n = tp_size_for(NCPU, WAIT_MS * 1000000L, 1000000L);
    tl_check(n == 22, "tp_size_for(%d, %d ms wait, 1 ms compute) = %u, expected 22: do "
             "size_rule_exact first", NCPU, WAIT_MS, n);
    memset(&xa, 0, sizeof xa);
    memset(&xb, 0, sizeof xb);
    const int m = 4 * 22; /* the same fixed task set for each pool */
    tp_pool *a = make_pool(NCPU, NCPU, (size_t)m, 0, TP_BLOCK); /* one thread per CPU */
    tp_pool *b = make_pool(n, n, (size_t)m, 0, TP_BLOCK);       /* sized by the rule */
    for (int i = 0; i < m; i++) {
        tl_expect_ok(tp_submit(a, mixed_task, &xa, NULL), "tp_submit", T2);
        tl_expect_ok(tp_submit(b, mixed_task, &xb, NULL), "tp_submit", T2);
    }
    /* When the rule's pool has run all m tasks, count what the other one did
     * in the same time on the same machine: no clock involved. */
    tl_expect_ok(tp_shutdown(b), "tp_shutdown", T2);
    long done_a = atomic_load(&xa.done);
    long done_b = atomic_load(&xb.done);
    tl_expect_ok(tp_shutdown(a), "tp_shutdown", T2);
    tl_check(done_b == m && atomic_load(&xa.done) == m,
             "each pool must run all %d tasks: %ld and %ld", m, (long)atomic_load(&xa.done), done_b);
    uint64_t one = compute(88172645463325252ULL);
    tl_check(atomic_load(&xa.sum) == one * (uint64_t)m && atomic_load(&xb.sum) == one * (uint64_t)m,
             "the compute parts' checksums are wrong: a task ran twice or not at all");
    int pa = atomic_load(&xa.peak), pb = atomic_load(&xb.peak);
    tl_check(pa <= NCPU, "a pool of %d workers had %d tasks running at once", NCPU, pa);
    tl_check(done_a * 2 <= done_b,
             "tasks that wait %d ms and compute ~%d rounds: while the pool of %u workers "
             "(the rule's size) ran all %ld tasks, the pool of %d workers ran %ld; the rule's "
             "pool must do at least 2x as many (ideal: ~%ux). Most peak concurrency seen: "
             "%d vs %d. Hint: does the pool really start core workers, and do they wait "
             "for work without holding the lock while a task runs?", WAIT_MS, COMPUTE_ITERS,
             n, done_b, NCPU, done_a, n / NCPU, pb, pa);
    tl_check(pb > NCPU, "the pool of %u workers never had more than %d tasks waiting at once "
             "(peak %d): its workers do not run in parallel", n, NCPU, pb);
    tl_expect_ok(tp_destroy(a), "tp_destroy", T2);
    tl_expect_ok(tp_destroy(b), "tp_destroy", T2);
}
