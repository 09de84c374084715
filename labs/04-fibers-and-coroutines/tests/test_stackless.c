/*
 * test_stackless.c - stackless coroutines: the PT_* macros (Task 5) used
 * by the tests' own coroutines, and pt_range / pt_filter (Task 6) beside
 * their stackful twins.
 */
#include "coro_test.h"

#include <signal.h>
#include <stdint.h>

static const char *pname(int rc)
{
    switch (rc) {
    case PT_WAITING: return "PT_WAITING";
    case PT_YIELDED: return "PT_YIELDED";
    case PT_ENDED: return "PT_ENDED";
    default: return rname(rc);
    }
}

#define PT_HINT                                                               \
    "Hint: handout Task 5 (the PT_* macros in src/pt.h)%s."
#define ENOSYS_NOTE(rc)                                                       \
    ((rc) == -1 && errno == ENOSYS                                            \
         ? "; ENOSYS is what the skeleton's stand-in PT_BEGIN reports"        \
         : "")

/* Drain a pt_range: values into v, the count; -1 if a step gave neither
 * PT_YIELDED nor PT_ENDED (rc in *bad); -2 if it did not end within 1000
 * steps. */
static int drain_range(struct pt_range *r, long *v, int max, int *bad)
{
    int n = 0, rc, guard = 0;
    while ((rc = pt_range_step(r)) == PT_YIELDED) {
        if (++guard > 1000)
            return -2;
        if (n < max)
            v[n++] = r->value;
    }
    *bad = rc;
    return rc == PT_ENDED ? n : -1;
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

static void expect_range(long start, long stop, long step, const long *want, int wn)
{
    struct pt_range r;
    long got[64];
    int bad;
    pt_range_init(&r, start, stop, step);
    errno = 0;
    int n = drain_range(&r, got, 64, &bad);
    int ok = n == wn;
    for (int i = 0; ok && i < n; i++)
        ok = got[i] == want[i];
    char why[128] = "";
    if (n == -1)
        snprintf(why, sizeof why, "(a step returned %s%s)", pname(bad),
                 ENOSYS_NOTE(bad));
    else if (n == -2)
        snprintf(why, sizeof why, "(still yielding after 1000 steps)");
    tl_check(ok, "pt_range(%ld, %ld, %ld):\n  expected: %s\n  got:      %s%s\n"
             "Hint: Task 6.2 (and Task 5 for the macros).", start, stop, step,
             fmt_longs(want, wn), n < 0 ? "" : fmt_longs(got, n), why);
    for (int i = 0; i < 3; i++) {
        errno = 0;
        int rc = pt_range_step(&r);
        tl_check(rc == -1 && errno == ESRCH, "pt_range_step on a range that "
                 "had ended returned %s (errno %s); expected -1 with ESRCH, "
                 "every time: resuming a finished stackless coroutine is a "
                 "reported error, and nothing runs. Hint: Task 5.2 "
                 "(PT_LC_DONE in PT_BEGIN) and 5.6.", pname(rc), tl_ename(errno));
    }
}

static int odd(long v, void *ctx)
{
    (void)ctx;
    return v % 2 != 0;
}

TL_TEST(stackless_range_and_filter_twins, 4, 10, "stackless")
{
    static const long w1[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const long w2[] = {10, 7, 4, 1, -2};
    expect_range(0, 10, 1, w1, 10);
    expect_range(10, -3, -3, w2, 5);
    expect_range(5, 5, 1, w1, 0);
    expect_range(5, 9, -1, w1, 0);
    expect_range(1, 9, 0, w1, 0);
    expect_range(9, 1, 0, w1, 0);
    static const long w3[] = {10, 8, 6, 4, 2};
    expect_range(10, 0, -2, w3, 5);
    static const long w4[] = {-4, -2, 0, 2};
    expect_range(-4, 4, 2, w4, 4);

    /* The same pipeline both ways: stackless filter over a stackless range,
     * and generators; the sequences must agree. */
    struct pt_range r;
    struct pt_filter f;
    pt_range_init(&r, 1, 30, 2);
    pt_filter_init(&f, &r, odd, NULL);
    long sl[64];
    int n = 0, rc;
    errno = 0;
    while ((rc = pt_filter_step(&f)) == PT_YIELDED && n < 64)
        sl[n++] = f.value;
    tl_check(rc == PT_ENDED, "pt_filter_step over a pt_range returned %s, "
             "expected PT_YIELDED for each kept value, then PT_ENDED. Hint: "
             "Task 6.4%s.", pname(rc), ENOSYS_NOTE(rc));
    errno = 0;
    rc = pt_filter_step(&f);
    tl_check(rc == -1 && errno == ESRCH, "pt_filter_step after its end "
             "returned %s (errno %s); expected -1 with ESRCH.", pname(rc),
             tl_ename(errno));

    gen_t *src = gen_range(1, 30, 2), *flt = src ? gen_filter(src, odd, NULL) : NULL;
    tl_check(flt, "gen_range/gen_filter failed (errno %s). Hint: Task 4.",
             tl_ename(errno));
    long sf[64], v;
    int m = 0;
    while (gen_next(flt, &v) == 1 && m < 64)
        sf[m++] = v;
    gen_destroy(flt);
    gen_destroy(src);
    int same = n == m && n == 15;
    for (int i = 0; same && i < n; i++)
        same = sl[i] == sf[i] && sl[i] == 2 * i + 1;
    tl_check(same, "range(1, 30, 2) filtered to odd numbers:\n  stackless: "
             "%s\n  stackful:  %s\nboth must be 1 3 5 ... 29.",
             fmt_longs(sl, n), fmt_longs(sf, m));
}

/* ------------------------------------------------------------------ */
/* The tests' own stackless coroutines, written with your macros        */
/* ------------------------------------------------------------------ */

/* Yields i * 10 + j for i < 3 and j < i + 1 inside two nested loops and an
 * if, skips 11, stops early (PT_EXIT) at 21. */
struct grid {
    struct pt pt;
    int i, j;
    long out;
};

static int grid_step(struct grid *g)
{
    PT_BEGIN(&g->pt);
    for (g->i = 0; g->i < 3; g->i++) {
        for (g->j = 0; g->j <= g->i; g->j++) {
            if (g->i * 10 + g->j == 11)
                continue;
            g->out = g->i * 10 + g->j;
            PT_YIELD(&g->pt);
            if (g->out == 21)
                PT_EXIT(&g->pt);
        }
    }
    PT_END(&g->pt);
}

/* Straight-line: three yields, then the end. */
struct three {
    struct pt pt;
    int steps;
};

static int three_step(struct three *t)
{
    PT_BEGIN(&t->pt);
    t->steps = 1;
    PT_YIELD(&t->pt);
    t->steps = 2;
    PT_YIELD(&t->pt);
    t->steps = 3;
    PT_YIELD(&t->pt);
    t->steps = 4;
    PT_END(&t->pt);
}

TL_TEST(stackless_macros_in_loops, 3, 10, "stackless")
{
    struct three t;
    PT_INIT(&t.pt);
    t.steps = 0;
    for (int k = 1; k <= 4; k++) {
        errno = 0;
        int rc = three_step(&t);
        int want = k < 4 ? PT_YIELDED : PT_ENDED;
        tl_check(rc == want && t.steps == k,
                 "call %d of a coroutine with three PT_YIELDs returned %s "
                 "having run to step %d; expected %s at step %d: each call "
                 "continues right after the PT_YIELD where the last one "
                 "stopped. " PT_HINT, k, pname(rc), t.steps,
                 want == PT_YIELDED ? "PT_YIELDED" : "PT_ENDED", k, ENOSYS_NOTE(rc));
    }
    tl_check(t.pt.lc == PT_LC_DONE, "after PT_END, lc is %d; coro.h says "
             "PT_LC_DONE (%d). Hint: Task 5.6.", t.pt.lc, PT_LC_DONE);
    errno = 0;
    int rc = three_step(&t);
    tl_check(rc == -1 && errno == ESRCH && t.steps == 4,
             "calling a finished stackless coroutine returned %s (errno %s) "
             "and it ran to step %d; expected -1 with ESRCH and nothing run. "
             "Hint: Task 5.2.", pname(rc), tl_ename(errno), t.steps);

    struct grid g;
    PT_INIT(&g.pt);
    long got[16];
    int n = 0;
    errno = 0;
    while ((rc = grid_step(&g)) == PT_YIELDED && n < 16)
        got[n++] = g.out;
    static const long want[] = {0, 10, 20, 21};
    int ok = rc == PT_ENDED && n == 4;
    for (int i = 0; ok && i < 4; i++)
        ok = got[i] == want[i];
    tl_check(ok, "a stackless coroutine yielding from inside two nested loops "
             "and stopping with PT_EXIT at 21:\n  expected: 0 10 20 21, then "
             "PT_ENDED\n  got:      %s, then %s\nThe case label of PT_YIELD "
             "lands in the middle of the loops, and the loop counters live in "
             "the struct. " PT_HINT, fmt_longs(got, n), pname(rc), ENOSYS_NOTE(rc));
    errno = 0;
    rc = grid_step(&g);
    tl_check(rc == -1 && errno == ESRCH, "calling a coroutine that finished "
             "with PT_EXIT returned %s (errno %s); expected -1 with ESRCH. "
             "Hint: Task 5.5.", pname(rc), tl_ename(errno));
}

/* ------------------------------------------------------------------ */
/* PT_WAIT_UNTIL: a producer and a consumer around a one-slot mailbox   */
/* ------------------------------------------------------------------ */

struct mailbox {
    int full;
    long v;
};

struct producer {
    struct pt pt;
    struct mailbox *mb;
    long next, last;
    int put; /* values put in the mailbox so far */
};

struct consumer {
    struct pt pt;
    struct mailbox *mb;
    long got[32];
    int n;
};

static int producer_step(struct producer *p)
{
    PT_BEGIN(&p->pt);
    for (p->next = 1; p->next <= p->last; p->next++) {
        PT_WAIT_UNTIL(&p->pt, !p->mb->full);
        p->mb->v = p->next * p->next;
        p->mb->full = 1;
        p->put++;
    }
    PT_END(&p->pt);
}

static int consumer_step(struct consumer *c)
{
    PT_BEGIN(&c->pt);
    for (;;) {
        PT_WAIT_UNTIL(&c->pt, c->mb->full);
        if (c->mb->v < 0)
            PT_EXIT(&c->pt);
        c->got[c->n++] = c->mb->v;
        c->mb->full = 0;
    }
    PT_END(&c->pt);
}

TL_TEST(stackless_wait_until_mailbox, 3, 10, "stackless wait")
{
    struct mailbox mb = {0, 0};
    struct producer p = {.mb = &mb, .last = 5};
    struct consumer c = {.mb = &mb};
    PT_INIT(&p.pt);
    PT_INIT(&c.pt);
    /* Each round: the consumer twice (so it is called again while the
     * mailbox is still empty), then the producer, until both ended. */
    int pc = -2, cc = -2, rounds = 0, stop_sent = 0;
    while (rounds++ < 50 && !(pc == PT_ENDED && cc == PT_ENDED)) {
        for (int twice = 0; twice < 2 && cc != PT_ENDED && c.n < 32; twice++) {
            errno = 0;
            cc = consumer_step(&c);
            tl_check(cc == PT_WAITING || cc == PT_ENDED,
                     "the consumer (waiting in PT_WAIT_UNTIL for a full "
                     "mailbox) returned %s; expected PT_WAITING while it "
                     "waits. " PT_HINT, pname(cc), ENOSYS_NOTE(cc));
            tl_check(c.n <= p.put,
                     "the consumer has taken %d values but the producer has "
                     "put only %d in the mailbox: called again while the "
                     "mailbox was empty, the consumer went past its "
                     "PT_WAIT_UNTIL without testing the condition again. The "
                     "label of PT_WAIT_UNTIL must come before the test. "
                     PT_HINT, c.n, p.put, "");
        }
        if (pc != PT_ENDED) {
            errno = 0;
            pc = producer_step(&p);
            tl_check(pc == PT_WAITING || pc == PT_ENDED,
                     "the producer returned %s; expected PT_WAITING or "
                     "PT_ENDED. " PT_HINT, pname(pc), ENOSYS_NOTE(pc));
        }
        if (pc == PT_ENDED && !mb.full && !stop_sent) {
            /* Tell the consumer to stop. */
            mb.v = -1;
            mb.full = 1;
            stop_sent = 1;
        }
    }
    static const long want[] = {1, 4, 9, 16, 25};
    int ok = c.n == 5 && cc == PT_ENDED && pc == PT_ENDED;
    for (int i = 0; ok && i < 5; i++)
        ok = c.got[i] == want[i];
    tl_check(ok, "a producer and a consumer of squares around a one-slot "
             "mailbox, each waiting with PT_WAIT_UNTIL: the consumer got %s "
             "(expected 1 4 9 16 25); last results consumer %s, producer %s "
             "after %d rounds. PT_WAIT_UNTIL must test its condition again on "
             "every call and return PT_WAITING while it is false. " PT_HINT,
             fmt_longs(c.got, c.n), pname(cc), pname(pc), rounds, "");
    /* The exact schedule: the producer fills once per round, the consumer
     * empties once per round. */
    tl_check(rounds <= 9, "the exchange of 5 values took %d rounds; a "
             "PT_WAIT_UNTIL whose condition is true must go on at once in the "
             "same call (the producer fills the mailbox in the very call that "
             "finds it empty).", rounds);
}

/* ------------------------------------------------------------------ */

static void bad_lc_child(void *arg)
{
    (void)arg;
    struct three t;
    PT_INIT(&t.pt);
    three_step(&t);
    t.pt.lc = 123456; /* no such line */
    three_step(&t);
    _exit(0);
}

TL_TEST(stackless_bad_lc_panics, 1, 20, "stackless errors")
{
    struct tl_child c;
    tl_check(tl_run_in_child(bad_lc_child, NULL, 10, &c) == 0, "fork failed");
    tl_check(c.signaled && c.sig == SIGABRT,
             "a stackless coroutine called with lc = 123456, which is none of "
             "its lines, must stop loudly (pt_bad_lc: a coro panic and "
             "abort()); the child %s %d instead. Hint: the default: label of "
             "PT_BEGIN (Task 5.2).",
             c.signaled ? "was killed by signal" : "exited with code",
             c.signaled ? c.sig : c.code);
}
