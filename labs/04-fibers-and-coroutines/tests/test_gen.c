/*
 * test_gen.c - generators on stackful coroutines (Task 4) and pipelines,
 * pulled (generators) and pushed (values passed in through coro_resume).
 */
#include "coro_test.h"

#include <stdint.h>

/* Drain g into v[] (at most max values); the count, or -1 if gen_next
 * failed (errno kept). */
static int drain(gen_t *g, long *v, int max)
{
    int n = 0;
    long x;
    int rc;
    while ((rc = gen_next(g, &x)) == 1)
        if (n < max)
            v[n++] = x;
    return rc == 0 ? n : -1;
}

static const char *fmt_longs(const long *v, int n)
{
    static char buf[2][1024];
    static int which;
    char *b = buf[which ^= 1];
    size_t off = 0;
    b[0] = '\0';
    for (int i = 0; i < n && off < sizeof buf[0] - 24; i++)
        off += (size_t)snprintf(b + off, sizeof buf[0] - off, "%s%ld", i ? " " : "", v[i]);
    return b;
}

static void expect_seq(const char *what, const long *got, int n, const long *want, int wn)
{
    int ok = n == wn;
    for (int i = 0; ok && i < n; i++)
        ok = got[i] == want[i];
    tl_check(ok, "%s:\n  expected: %s\n  got:      %s%s", what, fmt_longs(want, wn),
             n < 0 ? "(gen_next failed: errno " : fmt_longs(got, n),
             n < 0 ? tl_ename(errno) : "");
}

#define GEN_OK(g, call)                                                       \
    do {                                                                      \
        errno = 0;                                                            \
        (g) = (call);                                                         \
        tl_check((g) != NULL, "%s returned NULL (errno %s). Hint: handout "   \
                 "Task 4.", #call, tl_ename(errno));                             \
    } while (0)

/* ------------------------------------------------------------------ */

static void fib_body(gen_t *g, void *arg)
{
    long n = *(long *)arg, a = 0, b = 1;
    for (long i = 0; i < n; i++) {
        gen_yield(g, a);
        long t = a + b;
        a = b;
        b = t;
    }
}

/* An in-order walk of a binary search tree over 1..15, yielding from the
 * depth of the recursion: only a stackful coroutine can do this as is. */
struct node {
    long key;
    struct node *l, *r;
};

static struct node *build(struct node *pool, int *used, long lo, long hi)
{
    if (lo > hi)
        return NULL;
    long mid = (lo + hi) / 2;
    struct node *n = &pool[(*used)++];
    n->key = mid;
    n->l = build(pool, used, lo, mid - 1);
    n->r = build(pool, used, mid + 1, hi);
    return n;
}

static void walk(gen_t *g, const struct node *n)
{
    if (!n)
        return;
    walk(g, n->l);
    gen_yield(g, n->key);
    walk(g, n->r);
}

static void walk_body(gen_t *g, void *arg)
{
    walk(g, arg);
}

TL_TEST(generator_sequences, 4, 10, "gen")
{
    long got[64];
    gen_t *g;

    GEN_OK(g, gen_range(0, 10, 1));
    static const long w1[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    expect_seq("gen_range(0, 10, 1)", got, drain(g, got, 64), w1, 10);
    gen_destroy(g);

    GEN_OK(g, gen_range(10, -3, -3));
    static const long w2[] = {10, 7, 4, 1, -2};
    expect_seq("gen_range(10, -3, -3)", got, drain(g, got, 64), w2, 5);
    gen_destroy(g);

    GEN_OK(g, gen_range(10, 0, -2));
    static const long w2b[] = {10, 8, 6, 4, 2};
    expect_seq("gen_range(10, 0, -2)", got, drain(g, got, 64), w2b, 5);
    gen_destroy(g);

    GEN_OK(g, gen_range(3, 12, 4));
    static const long w3[] = {3, 7, 11};
    expect_seq("gen_range(3, 12, 4)", got, drain(g, got, 64), w3, 3);
    gen_destroy(g);

    GEN_OK(g, gen_range(5, 5, 1));
    expect_seq("gen_range(5, 5, 1) (empty)", got, drain(g, got, 64), w1, 0);
    gen_destroy(g);
    GEN_OK(g, gen_range(5, 9, -1));
    expect_seq("gen_range(5, 9, -1) (empty)", got, drain(g, got, 64), w1, 0);
    gen_destroy(g);

    long n = 12;
    GEN_OK(g, gen_create(fib_body, &n, 0));
    static const long wf[] = {0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89};
    expect_seq("a generator whose body yields 12 Fibonacci numbers", got,
               drain(g, got, 64), wf, 12);
    gen_destroy(g);

    struct node pool[15];
    int used = 0;
    struct node *root = build(pool, &used, 1, 15);
    GEN_OK(g, gen_create(walk_body, root, 0));
    static const long wt[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    expect_seq("a generator that yields from inside a recursive in-order tree "
               "walk (gen_yield called 4 calls deep)", got, drain(g, got, 64), wt, 15);
    gen_destroy(g);
}

/* ------------------------------------------------------------------ */

static int body_runs;

static void two_body(gen_t *g, void *arg)
{
    (void)arg;
    body_runs++;
    gen_yield(g, 41);
    gen_yield(g, 42);
}

TL_TEST(generator_exhausted_stays_done, 1, 10, "gen")
{
    body_runs = 0;
    gen_t *g;
    GEN_OK(g, gen_create(two_body, NULL, 0));
    tl_check(body_runs == 0, "gen_create ran the body: nothing runs before the "
             "first gen_next. Hint: Task 4.1.");
    long v = 0;
    int rc1 = gen_next(g, &v);
    tl_check(rc1 == 1 && v == 41, "first gen_next: %d with %ld, expected 1 "
             "with 41.", rc1, v);
    int rc2 = gen_next(g, &v);
    tl_check(rc2 == 1 && v == 42, "second gen_next: %d with %ld, expected 1 "
             "with 42.", rc2, v);
    for (int i = 0; i < 3; i++) {
        errno = 0;
        v = -7;
        int rc = gen_next(g, &v);
        tl_check(rc == 0 && v == -7, "gen_next number %d on a generator whose "
                 "body has returned gave %d (errno %s), *out %ld; expected 0 "
                 "every time with *out untouched: an exhausted generator stays "
                 "exhausted, which is not an error (its coroutine is dead: do "
                 "not resume it again). Hint: Task 4.2, g->done.", i + 3, rc,
                 tl_ename(errno), v);
    }
    tl_check(body_runs == 1, "the body ran %d times.", body_runs);
    tl_check(gen_destroy(g) == 0, "gen_destroy of an exhausted generator "
             "failed (errno %s).", tl_ename(errno));
    errno = 0;
    gen_t *bad = gen_range(0, 10, 0);
    tl_check(!bad && errno == EINVAL, "gen_range with step 0 returned %p, "
             "errno %s; expected NULL with EINVAL.", (void *)bad, tl_ename(errno));
}

/* ------------------------------------------------------------------ */

static gen_t *mg_outer, *mg_inner;
static int mg_checked;

static void mg_inner_body(gen_t *g, void *arg)
{
    (void)arg;
    /* Runs inside mg_outer's gen_next of mg_inner. */
    EXPECT_ERR(gen_next(g, NULL), EDEADLK, "gen_next of a generator from its own body");
    EXPECT_ERR(gen_next(mg_outer, NULL), EBUSY,
               "gen_next of the generator that is pulling from this one");
    EXPECT_ERR(gen_yield(mg_outer, 1), EPERM,
               "gen_yield to another generator than the one whose body runs");
    EXPECT_ERR(gen_destroy(mg_outer), EBUSY,
               "gen_destroy of the generator that waits in a nested gen_next");
    EXPECT_ERR(gen_destroy(g), EBUSY, "gen_destroy of the running generator");
    mg_checked = 1;
    gen_yield(g, 5);
}

static void mg_outer_body(gen_t *g, void *arg)
{
    (void)arg;
    long v;
    while (gen_next(mg_inner, &v) == 1)
        gen_yield(g, v * 2);
}

TL_TEST(generator_misuse, 3, 10, "gen errors")
{
    mg_checked = 0;
    EXPECT_ERR(gen_next(NULL, NULL), EINVAL, "gen_next(NULL)");
    EXPECT_ERR(gen_yield(NULL, 1), EINVAL, "gen_yield(NULL, 1)");
    EXPECT_ERR(gen_destroy(NULL), EINVAL, "gen_destroy(NULL)");
    errno = 0;
    gen_t *bad = gen_create(NULL, NULL, 0);
    tl_check(!bad && errno == EINVAL, "gen_create(NULL body) returned %p, "
             "errno %s; expected NULL with EINVAL.", (void *)bad, tl_ename(errno));
    errno = 0;
    bad = gen_create(two_body, NULL, 100);
    tl_check(!bad && errno == EINVAL, "gen_create with stack_size 100 returned "
             "%p, errno %s; expected NULL with EINVAL (coro_create's error).",
             (void *)bad, tl_ename(errno));
    GEN_OK(mg_inner, gen_create(mg_inner_body, NULL, 0));
    GEN_OK(mg_outer, gen_create(mg_outer_body, NULL, 0));
    EXPECT_ERR(gen_yield(mg_inner, 3), EPERM, "gen_yield from main code");
    long v = 0;
    int rc = gen_next(mg_outer, &v);
    tl_check(mg_checked, "the inner body did not get to its checks (gen_next "
             "of the outer said %d).", rc);
    tl_check(rc == 1 && v == 10, "after the refused calls the pipeline should "
             "still work: gen_next(outer) gave %d with %ld, expected 1 with 10.",
             rc, v);
    rc = gen_next(mg_outer, &v);
    tl_check(rc == 0, "the outer generator should now be exhausted (gen_next "
             "said %d).", rc);
    tl_check(gen_destroy(mg_outer) == 0 && gen_destroy(mg_inner) == 0,
             "gen_destroy failed (errno %s).", tl_ename(errno));
}

/* ------------------------------------------------------------------ */

static int is_even(long v, void *ctx)
{
    (void)ctx;
    return v % 2 == 0;
}

static int is_multiple(long v, void *ctx)
{
    return v % *(long *)ctx == 0;
}

static int keep_none(long v, void *ctx)
{
    (void)v;
    (void)ctx;
    return 0;
}

TL_TEST(pipeline_producer_filter_consumer, 4, 10, "gen pipeline nested")
{
    long got[128];
    long three = 3;
    gen_t *src, *even, *by3;
    GEN_OK(src, gen_range(1, 40, 1));
    GEN_OK(even, gen_filter(src, is_even, NULL));
    GEN_OK(by3, gen_filter(even, is_multiple, &three));
    static const long want[] = {6, 12, 18, 24, 30, 36};
    expect_seq("range 1..39 -> keep even -> keep multiples of 3 (two filters, "
               "each pulling from the one before with a nested resume)", got,
               drain(by3, got, 128), want, 6);
    tl_check(gen_next(src, NULL) == 0, "after the pipeline ended, its source "
             "is not exhausted: a filter must pull until its source ends.");
    gen_destroy(by3);
    gen_destroy(even);
    gen_destroy(src);

    GEN_OK(src, gen_range(0, 100, 7));
    GEN_OK(even, gen_filter(src, keep_none, NULL));
    expect_seq("a filter that keeps nothing", got, drain(even, got, 128), want, 0);
    gen_destroy(even);
    gen_destroy(src);

    errno = 0;
    gen_t *bad = gen_filter(NULL, is_even, NULL);
    tl_check(!bad && errno == EINVAL, "gen_filter(NULL src) returned %p, "
             "errno %s; expected NULL with EINVAL.", (void *)bad, tl_ename(errno));
    GEN_OK(src, gen_range(0, 1, 1));
    errno = 0;
    bad = gen_filter(src, NULL, NULL);
    tl_check(!bad && errno == EINVAL, "gen_filter(src, NULL keep) returned "
             "%p, errno %s; expected NULL with EINVAL.", (void *)bad, tl_ename(errno));
    gen_destroy(src);
}

/* ------------------------------------------------------------------ */
/* Push: values go IN through coro_resume, stage by stage              */
/* ------------------------------------------------------------------ */

static coro_t *sink_co, *square_co;
static long sink_v[64];
static int sink_n;

/* Receives values until it gets NULL; returns how many it got. */
static void *sink_fn(void *arg, void *in)
{
    (void)arg;
    while (in) {
        if (sink_n < 64)
            sink_v[sink_n++] = *(long *)in;
        coro_yield(NULL, &in);
    }
    return (void *)(intptr_t)sink_n;
}

/* Receives values; passes the square of each odd one on to the sink, by
 * resuming it from inside this coroutine. NULL ends it, and the sink. */
static void *square_fn(void *arg, void *in)
{
    (void)arg;
    long sq;
    while (in) {
        long v = *(long *)in;
        if (v % 2) {
            sq = v * v;
            int rc = coro_resume(sink_co, &sq, NULL);
            tl_check(rc == CORO_YIELDED, "the middle stage resumed the sink "
                     "with a value: coro_resume said %s.", rname(rc));
        }
        coro_yield(NULL, &in);
    }
    void *count = NULL;
    int rc = coro_resume(sink_co, NULL, &count);
    tl_check(rc == CORO_RETURNED, "the sink should return when it gets NULL; "
             "coro_resume said %s.", rname(rc));
    return count;
}

TL_TEST(push_pipeline_values_in, 2, 10, "pipeline nested resume")
{
    sink_n = 0;
    CO_CREATE(sink_co, sink_fn, NULL, 0);
    CO_CREATE(square_co, square_fn, NULL, 0);
    for (long v = 1; v <= 9; v++)
        CO_RESUME(square_co, &v, NULL, CORO_YIELDED);
    void *count = NULL;
    CO_RESUME(square_co, NULL, &count, CORO_RETURNED);
    static const long want[] = {1, 9, 25, 49, 81};
    expect_seq("main pushes 1..9 into a stage that squares the odd ones and "
               "pushes them on (coro_resume(sink, &value) from inside a "
               "coroutine): what the sink received", sink_v, sink_n, want, 5);
    tl_check((long)(intptr_t)count == 5, "the sink's count, returned through "
             "two stages, is %ld, expected 5.", (long)(intptr_t)count);
    CO_DESTROY(square_co);
    CO_DESTROY(sink_co);
}
