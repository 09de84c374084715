/*
 * test_memory.c - what each kind of coroutine costs (Task 7): your own
 * measurement, checked for sense, and a million stackless coroutines.
 *
 * `make run T=memory_report` prints your figures; the handout shows the
 * reference's.
 */
#include "coro_test.h"

#include <stdint.h>

static void *idle_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    return NULL;
}

TL_TEST(memory_report, 4, 60, "memory slow")
{
    enum { N = 2000 };
    struct coro_mem_report r;
    memset(&r, 0, sizeof r);
    errno = 0;
    int rc = coro_measure(N, 0, &r);
    tl_check(rc == 0, "coro_measure(%d, 0, &r) returned %s. Hint: handout "
             "Task 7 (and Tasks 2, 3 and 6, which it uses).", N, rname(rc));
    printf("memory per coroutine, %zu of each alive at once:\n"
           "  stackful  (stack %zu KiB): %zu bytes reserved, %zu bytes resident\n"
           "  stackless (struct pt_range): %zu bytes of state, %zu bytes resident\n",
           r.n, r.stack_size / 1024, r.stackful_reserved, r.stackful_resident,
           r.stackless_bytes, r.stackless_resident);
    tl_check(r.n == N && r.stack_size == CORO_DEFAULT_STACK,
             "the report says n = %zu, stack_size = %zu; expected %d and "
             "CORO_DEFAULT_STACK (%d) for stack_size 0.", r.n, r.stack_size, N,
             CORO_DEFAULT_STACK);
    coro_t *co;
    CO_CREATE(co, idle_fn, NULL, 0);
    size_t fp = coro_footprint(co);
    CO_DESTROY(co);
    tl_check(fp >= CORO_DEFAULT_STACK + 4096 && fp < CORO_DEFAULT_STACK + 4 * 4096,
             "coro_footprint of a coroutine with the default stack is %zu "
             "bytes; it owns its record and a mapping of the %d-byte stack "
             "plus one guard page, so expected %d + 4096 + sizeof(struct coro). "
             "Hint: Task 7.1.", fp, CORO_DEFAULT_STACK, CORO_DEFAULT_STACK);
    tl_check(r.stackful_reserved == fp, "the report's stackful_reserved (%zu) "
             "is not coro_footprint of such a coroutine (%zu). Hint: Task 7.3.",
             r.stackful_reserved, fp);
    tl_check(r.stackful_resident >= 3 * 1024 && r.stackful_resident <= r.stackful_reserved,
             "stackful_resident is %zu bytes per coroutine: each of the %d "
             "stacks had its top page written (the first frame) before the "
             "measure, so the resident set grew by at least a page each, and "
             "by no more than what each reserved (%zu). Read the second field "
             "of /proc/self/statm (pages) before creating and after resuming "
             "them all. Hint: Task 7.3.", r.stackful_resident, N,
             r.stackful_reserved);
    tl_check(r.stackless_bytes == sizeof(struct pt_range),
             "stackless_bytes is %zu; a struct pt_range holds all the state "
             "of one, %zu bytes. Hint: Task 7.4.", r.stackless_bytes,
             sizeof(struct pt_range));
    tl_check(r.stackless_resident <= 4 * sizeof(struct pt_range),
             "stackless_resident is %zu bytes per coroutine, more than 4 "
             "times its struct (%zu): the measure of n structs in one array "
             "should grow the resident set by about n * sizeof. Hint: Task "
             "7.4.", r.stackless_resident, sizeof(struct pt_range));
    size_t small = r.stackless_resident > r.stackless_bytes ? r.stackless_resident
                                                            : r.stackless_bytes;
    tl_check(r.stackful_resident >= 20 * small,
             "a stackful coroutine costs %zu resident bytes, a stackless one "
             "%zu: expected the stackful one to cost at least 20 times more "
             "(a page of stack against a few dozen bytes).",
             r.stackful_resident, small);
    errno = 0;
    rc = coro_measure(0, 0, &r);
    tl_check(rc == -1 && errno == EINVAL, "coro_measure(0, ...) returned %s; "
             "expected -1 with EINVAL.", rname(rc));
}

/* ------------------------------------------------------------------ */

/* The tests' own smallest stackless coroutine: a pt and a counter. */
struct tick {
    struct pt pt;
    int n;
};

static int tick_step(struct tick *t)
{
    PT_BEGIN(&t->pt);
    t->n = 1;
    PT_YIELD(&t->pt);
    t->n = 2;
    PT_YIELD(&t->pt);
    t->n = 3;
    PT_END(&t->pt);
}

#define MILLION 1000000L

TL_TEST(million_stackless_fit, 4, 60, "memory slow")
{
    long rss0 = rss_now();
    struct pt_range *r = calloc(MILLION, sizeof *r);
    struct tick *t = calloc(MILLION, sizeof *t);
    tl_check(r && t, "calloc of a million structs failed");
    for (long i = 0; i < MILLION; i++) {
        pt_range_init(&r[i], i, i + 2, 1);
        PT_INIT(&t[i].pt);
    }
    /* Interleave them all: one step of each, round after round. */
    for (int round = 0; round < 3; round++)
        for (long i = 0; i < MILLION; i++) {
            errno = 0;
            int rc = pt_range_step(&r[i]);
            int want = round < 2 ? PT_YIELDED : PT_ENDED;
            if (rc != want || (round < 2 && r[i].value != i + round))
                tl_fail("with a million stackless ranges alive, range %ld "
                        "(%ld, %ld) step %d returned %d with value %ld; "
                        "expected %s%s. Hint: Tasks 5 and 6.2.",
                        i, i, i + 2, round + 1, rc, r[i].value,
                        want == PT_YIELDED ? "PT_YIELDED with " : "PT_ENDED",
                        want == PT_YIELDED ? (round ? "i + 1" : "i") : "");
            rc = tick_step(&t[i]);
            want = round < 2 ? PT_YIELDED : PT_ENDED;
            if (rc != want || t[i].n != round + 1)
                tl_fail("with a million stackless coroutines alive, number "
                        "%ld returned %d at its step %d (it reached n = %d). "
                        "Hint: Task 5.", i, rc, round + 1, t[i].n);
        }
    long rss1 = rss_now();
    long grew = rss1 - rss0;
    size_t each = sizeof(struct pt_range) + sizeof(struct tick);
    printf("a million stackless coroutines of each of two kinds (%zu + %zu "
           "bytes of state): the resident set grew by %.1f MiB\n",
           sizeof(struct pt_range), sizeof(struct tick), grew / 1048576.0);
    free(r);
    free(t);
    tl_check(rss0 > 0 && rss1 > 0, "could not read /proc/self/statm");
    tl_check(grew <= 64L << 20,
             "two million stackless coroutines (a million pt_range of %zu "
             "bytes, a million of the test's own of %zu bytes) made the "
             "resident set grow by %.1f MiB; their state is %.1f MiB, and the "
             "bound is 64 MiB. A stackless coroutine must cost its struct and "
             "nothing more: the PT_* macros and pt_range_step allocate "
             "nothing.", sizeof(struct pt_range), sizeof(struct tick),
             grew / 1048576.0, MILLION * (double)each / 1048576.0);
}
