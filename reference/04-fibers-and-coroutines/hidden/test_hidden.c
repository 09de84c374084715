/*
 * test_hidden.c - hidden tests: the same contracts as the public tests,
 * from other angles and with other inputs.
 */
#include "../tests/coro_test.h"
#include "../tests/coro_pin.h"

#include <stdint.h>
#include <valgrind/valgrind.h>

/* VmSize in KiB, or -1 under valgrind (whose own mappings move it). */
static long vm_kib(void)
{
    return RUNNING_ON_VALGRIND ? -1 : tl_vm_size_kib();
}

static void expect_no_growth(long before, const char *what)
{
    long after = vm_kib();
    if (before < 0 || after < 0)
        return;
    tl_check(after - before < 512, "%s: the address space grew by %ld KiB "
             "and stayed so: a stack (or the measure's array) was not "
             "unmapped on that path.", what, after - before);
}

static void *nop_fn(void *arg, void *in)
{
    (void)arg;
    coro_yield(in, NULL);
    return NULL;
}

static void nop_body(gen_t *g, void *arg)
{
    (void)arg;
    gen_yield(g, 1);
}

static int keep_all(long v, void *ctx)
{
    (void)v;
    (void)ctx;
    return 1;
}

/* ------------------------------------------------------------------ */

TL_TEST(hidden_out_of_memory, 3, 60, "errors oom")
{
    long vm0 = vm_kib();
    mprotect_on_failed_map = 0;
    /* coro_create: calloc, mmap, mprotect. A 1 MiB stack, so that a
     * mapping left behind shows in VmSize. */
    for (int k = 1; k <= 6; k++) {
        tl_fault_after(k);
        errno = 0;
        coro_t *co = coro_create(nop_fn, NULL, 1 << 20);
        int e = errno, fired = tl_fault_disarm();
        if (!fired) {
            tl_check(co, "coro_create failed with no injected fault (errno %s). "
                     "Hint: Tasks 2 and 3.1.",
                     tl_ename(e));
            coro_destroy(co);
            break;
        }
        tl_check(!co && e == ENOMEM, "the %d-th allocation call (calloc, mmap "
                 "or mprotect) made by coro_create failed; coro_create "
                 "returned %p with errno %s, expected NULL with ENOMEM and "
                 "nothing left allocated.", k, (void *)co, tl_ename(e));
    }
    expect_no_growth(vm0, "coro_create failing at each allocation");
    tl_check(!mprotect_on_failed_map, "after a failed mmap (MAP_FAILED), "
             "mprotect was called on MAP_FAILED: the stack allocation went on "
             "as if mmap had worked. Hint: Task 2.2, check for MAP_FAILED.");

    /* gen_create, gen_range, gen_filter. */
    gen_t *src = gen_range(0, 3, 1);
    tl_check(src, "gen_range failed (errno %s)", tl_ename(errno));
    for (int which = 0; which < 3; which++)
        for (int k = 1; k <= 8; k++) {
            tl_fault_after(k);
            errno = 0;
            gen_t *g = which == 0 ? gen_create(nop_body, NULL, 0)
                     : which == 1 ? gen_range(0, 5, 1)
                                  : gen_filter(src, keep_all, NULL);
            int e = errno, fired = tl_fault_disarm();
            if (!fired) {
                tl_check(g, "%s failed with no injected fault (errno %s).",
                         which == 0 ? "gen_create" : which == 1 ? "gen_range" : "gen_filter",
                         tl_ename(e));
                gen_destroy(g);
                break;
            }
            tl_check(!g && e == ENOMEM, "allocation call %d of %s failed; it "
                     "returned %p with errno %s, expected NULL with ENOMEM.", k,
                     which == 0 ? "gen_create" : which == 1 ? "gen_range" : "gen_filter",
                     (void *)g, tl_ename(e));
        }
    gen_destroy(src);

    /* coro_measure: calloc of the table, then each coroutine, then the
     * stackless array. */
    struct coro_mem_report r;
    int done = 0;
    for (int k = 1; k <= 16 && !done; k++) {
        tl_fault_after(k);
        errno = 0;
        int rc = coro_measure(3, CORO_MIN_STACK, &r);
        int e = errno, fired = tl_fault_disarm();
        if (!fired) {
            tl_check(rc == 0, "coro_measure failed with no injected fault "
                     "(errno %s).", tl_ename(e));
            done = 1;
            break;
        }
        tl_check(rc == -1 && e == ENOMEM, "allocation call %d of "
                 "coro_measure(3, ...) failed; it returned %d with errno %s, "
                 "expected -1 with ENOMEM (and everything it made released).",
                 k, rc, tl_ename(e));
    }
    tl_check(done, "coro_measure(3, ...) made more than 15 allocation calls?");
    expect_no_growth(vm0, "coro_measure failing at each allocation");
}

/* ------------------------------------------------------------------ */

static void down_up(gen_t *g, long depth, long max)
{
    volatile char pad[96];
    pad[0] = (char)depth;
    gen_yield(g, depth);
    if (depth + 1 < max)
        down_up(g, depth + 1, max);
    gen_yield(g, -depth - (long)pad[0] + (long)(char)depth);
}

static void deep_body(gen_t *g, void *arg)
{
    down_up(g, 0, *(long *)arg);
}

TL_TEST(hidden_deep_recursive_generator, 2, 30, "gen")
{
    long max = 1500;
    gen_t *g = gen_create(deep_body, &max, 1 << 20);
    tl_check(g, "gen_create(1 MiB stack) failed (errno %s).", tl_ename(errno));
    long v, i = 0;
    while (gen_next(g, &v) == 1) {
        long want = i < max ? i : -(2 * max - 1 - i);
        tl_check(v == want, "a generator yielding on the way down and up of a "
                 "recursion %ld deep gave %ld as value %ld, expected %ld.", max,
                 v, i, want);
        i++;
    }
    tl_check(i == 2 * max, "the recursive generator gave %ld values, expected "
             "%ld.", i, 2 * max);
    gen_destroy(g);
}

/* ------------------------------------------------------------------ */

static uint32_t get_mxcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}

static void set_mxcsr(uint32_t v)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static uint16_t get_fpucw(void)
{
    uint16_t v;
    __asm__ volatile("fnstcw %0" : "=m"(v));
    return v;
}

static void set_fpucw(uint16_t v)
{
    __asm__ volatile("fldcw %0" : : "m"(v));
}

static void *fp_look(void *arg, void *in)
{
    (void)in;
    uint32_t *seen = arg;
    seen[0] = get_mxcsr();
    seen[1] = get_fpucw();
    return NULL;
}

TL_TEST(hidden_fp_inherited_at_create, 2, 10, "switch fp")
{
    uint32_t mx0 = get_mxcsr();
    uint16_t cw0 = get_fpucw();
    uint32_t seen[2] = {0, 0};
    set_mxcsr((mx0 & ~0x6000u) | 0x4000u);
    set_fpucw((uint16_t)((cw0 & ~0x0c00u) | 0x0c00u));
    coro_t *co = coro_create(fp_look, seen, 0);
    set_mxcsr(mx0);
    set_fpucw(cw0);
    tl_check(co, "coro_create failed (errno %s)", tl_ename(errno));
    coro_resume(co, NULL, NULL);
    coro_destroy(co);
    tl_check((seen[0] & 0x6000u) == 0x4000u && (seen[1] & 0x0c00u) == 0x0c00u,
             "the creator had SSE rounding upward and x87 toward zero when it "
             "called coro_create; the coroutine started with MXCSR %#x and "
             "control word %#x (rounding bits %#x, %#x; expected 0x4000, "
             "0xc00): a coroutine starts with its creator's modes. Hint: Task "
             "2.7.", seen[0], seen[1], seen[0] & 0x6000u, seen[1] & 0x0c00u);
    tl_check(get_mxcsr() == mx0 && get_fpucw() == cw0, "main code's modes "
             "changed after resuming a coroutine (MXCSR %#x, was %#x).",
             get_mxcsr(), mx0);
}

/* ------------------------------------------------------------------ */

static coro_t *pn_a, *pn_b;

static void pn_yield(void)
{
    coro_yield(NULL, NULL);
}

static void pn_resume_b(void)
{
    coro_resume(pn_b, NULL, NULL);
}

static void pn_resume_a(void)
{
    coro_resume(pn_a, NULL, NULL);
}

static void *pn_b_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    for (int i = 0;; i++)
        pin_check(3, i, pn_yield, "coro_yield (in B, resumed by A)");
    return NULL;
}

static void *pn_a_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    for (int i = 0;; i++) {
        pin_check(2, i, pn_resume_b, "coro_resume(B) from inside A");
        pin_check(2, i + 1000, pn_yield, "coro_yield (in A)");
    }
    return NULL;
}

TL_TEST(hidden_callee_saved_nested, 2, 10, "switch abi nested")
{
    pn_a = coro_create(pn_a_fn, NULL, 0);
    pn_b = coro_create(pn_b_fn, NULL, 0);
    tl_check(pn_a && pn_b, "coro_create failed (errno %s)", tl_ename(errno));
    for (int i = 0; i < 15; i++)
        pin_check(1, i, pn_resume_a, "coro_resume(A) (A resumes B inside)");
    coro_destroy(pn_a);
    coro_destroy(pn_b);
}

/* ------------------------------------------------------------------ */

static coro_t *mm_a, *mm_b, *mm_c;
static int mm_done;

static void *mm_c_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    EXPECT_ERR(coro_resume(mm_a, NULL, NULL), EBUSY,
               "resuming the resumer of one's resumer (two levels up)");
    EXPECT_ERR(coro_destroy(mm_a), EBUSY, "destroying a coroutine two levels up");
    EXPECT_ERR(coro_destroy(mm_b), EBUSY, "destroying one's resumer");
    tl_check(coro_status(mm_a) == CORO_NORMAL && coro_status(mm_b) == CORO_NORMAL,
             "after refused calls, A is %s and B is %s; both must stay "
             "CORO_NORMAL.", sname(coro_status(mm_a)), sname(coro_status(mm_b)));
    /* A coroutine created and finished inside another. */
    coro_t *local = coro_create(nop_fn, NULL, 0);
    tl_check(local, "coro_create inside a coroutine failed (errno %s).", tl_ename(errno));
    void *out = NULL;
    int rc = coro_resume(local, (void *)9, &out);
    tl_check(rc == CORO_YIELDED && out == (void *)9 && coro_self() == mm_c,
             "a coroutine created inside C and resumed by C: resume said %s "
             "with %p, and coro_self() is then %p (C is %p).", rname(rc), out,
             (void *)coro_self(), (void *)mm_c);
    rc = coro_resume(local, NULL, NULL);
    tl_check(rc == CORO_RETURNED, "resume said %s", rname(rc));
    EXPECT_ERR(coro_resume(local, NULL, NULL), ESRCH, "resuming a finished "
               "coroutine from inside another");
    tl_check(coro_destroy(local) == 0, "coro_destroy of a finished coroutine "
             "inside another failed (errno %s).", tl_ename(errno));
    mm_done = 1;
    return NULL;
}

static void *mm_b_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    coro_resume(mm_c, NULL, NULL);
    EXPECT_ERR(coro_resume(mm_c, NULL, NULL), ESRCH, "B resuming C after C "
               "finished");
    return NULL;
}

static void *mm_a_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    coro_resume(mm_b, NULL, NULL);
    coro_yield(NULL, NULL);
    return NULL;
}

TL_TEST(hidden_misuse_more, 3, 10, "errors nested")
{
    mm_done = 0;
    mm_a = coro_create(mm_a_fn, NULL, 0);
    mm_b = coro_create(mm_b_fn, NULL, 0);
    mm_c = coro_create(mm_c_fn, NULL, 0);
    tl_check(mm_a && mm_b && mm_c, "coro_create failed (errno %s)", tl_ename(errno));
    int rc = coro_resume(mm_a, NULL, NULL);
    tl_check(rc == CORO_YIELDED && mm_done, "main -> A -> B -> C: C's checks "
             "%s, and A's resume said %s (expected CORO_YIELDED).",
             mm_done ? "ran" : "did not all run", rname(rc));
    tl_check(coro_status(mm_b) == CORO_DEAD && coro_status(mm_c) == CORO_DEAD &&
                 coro_status(mm_a) == CORO_SUSPENDED,
             "statuses after the chain unwound: A %s, B %s, C %s; expected "
             "CORO_SUSPENDED, CORO_DEAD, CORO_DEAD.", sname(coro_status(mm_a)),
             sname(coro_status(mm_b)), sname(coro_status(mm_c)));
    EXPECT_ERR(coro_yield(NULL, NULL), EPERM, "coro_yield from main code after "
               "nested coroutines came back");
    tl_check(coro_destroy(mm_a) == 0 && coro_destroy(mm_b) == 0 &&
                 coro_destroy(mm_c) == 0,
             "coro_destroy failed (errno %s)", tl_ename(errno));
}

/* ------------------------------------------------------------------ */

static int mult_of(long v, void *ctx)
{
    return v % (long)(intptr_t)ctx == 0;
}

TL_TEST(hidden_stackless_interleaved, 2, 30, "stackless")
{
    enum { N = 400, LEN = 40 };
    static struct pt_range r[N];
    static struct pt_filter f[N];
    static long expect_next[N];
    static int ended[N];
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    for (int i = 0; i < N; i++) {
        pt_range_init(&r[i], i, i + LEN, 1);
        pt_filter_init(&f[i], &r[i], mult_of, (void *)(intptr_t)(i % 5 + 1));
        long m = i % 5 + 1, first = i;
        while (first % m)
            first++;
        expect_next[i] = first;
        ended[i] = 0;
    }
    int left = N;
    for (long op = 0; left > 0 && op < 10L * N * LEN; op++) {
        int i = (int)tl_rng_below(&rng, N);
        if (ended[i])
            continue;
        int rc = pt_filter_step(&f[i]);
        long m = i % 5 + 1;
        if (expect_next[i] < i + LEN) {
            tl_check(rc == PT_YIELDED && f[i].value == expect_next[i],
                     "filter %d (multiples of %ld in %d..%d), interleaved at "
                     "random with %d others: step gave %s with %ld, expected "
                     "PT_YIELDED with %ld. All their state must be in their "
                     "structs.", i, m, i, i + LEN - 1, N - 1, rname(rc),
                     f[i].value, expect_next[i]);
            expect_next[i] += m;
        } else {
            tl_check(rc == PT_ENDED, "filter %d should have ended; step gave %s.",
                     i, rname(rc));
            ended[i] = 1;
            left--;
        }
    }
    tl_check(left == 0, "%d filters never ended", left);
}

/* ------------------------------------------------------------------ */

TL_TEST(hidden_measure_no_leak, 2, 60, "memory")
{
    struct coro_mem_report r;
    EXPECT_ERR(coro_measure(1, 0, NULL), EINVAL, "coro_measure with r NULL");
    EXPECT_ERR(coro_measure(1, CORO_MIN_STACK - 1, &r), EINVAL,
               "coro_measure with a stack below CORO_MIN_STACK");
    EXPECT_ERR(coro_measure(1, (size_t)CORO_MAX_STACK + 1, &r), EINVAL,
               "coro_measure with a stack above CORO_MAX_STACK");
    long vm0 = vm_kib();
    tl_check(coro_measure(1, (size_t)CORO_MAX_STACK, &r) == 0,
             "coro_measure(1, CORO_MAX_STACK) failed (errno %s).", tl_ename(errno));
    /* 1024 * sizeof(struct pt_range) is a whole number of pages. Several
     * times, so that an array or stacks left mapped add up in VmSize. */
    int rc = 0;
    for (int k = 0; k < (RUNNING_ON_VALGRIND ? 1 : 16) && rc == 0; k++)
        rc = coro_measure(1024, CORO_MIN_STACK, &r);
    tl_check(rc == 0, "coro_measure(1024, CORO_MIN_STACK) failed (errno %s).",
             tl_ename(errno));
    coro_t *co = coro_create(nop_fn, NULL, CORO_MIN_STACK);
    tl_check(co, "coro_create failed");
    size_t fp = coro_footprint(co);
    coro_destroy(co);
    tl_check(r.n == 1024 && r.stack_size == CORO_MIN_STACK &&
                 r.stackful_reserved == fp,
             "coro_measure(1024, CORO_MIN_STACK): n %zu, stack_size %zu, "
             "stackful_reserved %zu; expected 1024, %d, %zu (coro_footprint "
             "of such a coroutine).", r.n, r.stack_size, r.stackful_reserved,
             CORO_MIN_STACK, fp);
    tl_check(coro_footprint(NULL) == 0, "coro_footprint(NULL) is %zu, "
             "expected 0.", coro_footprint(NULL));
    expect_no_growth(vm0, "after coro_measure returned");
}

/* ------------------------------------------------------------------ */

static int gd_end_reached;

static void gd_body(gen_t *g, void *arg)
{
    (void)arg;
    for (long v = 0; v < 10; v++)
        gen_yield(g, v);
    gd_end_reached = 1;
}

TL_TEST(hidden_generator_destroy_midway, 2, 20, "gen destroy")
{
    long vm0 = vm_kib();
    gd_end_reached = 0;
    for (int round = 0; round < 30; round++) {
        gen_t *fresh = gen_create(gd_body, NULL, 128 * 1024);
        gen_t *mid = gen_create(gd_body, NULL, 128 * 1024);
        gen_t *src = gen_range(0, 100, 1);
        gen_t *flt = src ? gen_filter(src, keep_all, NULL) : NULL;
        tl_check(fresh && mid && flt, "gen_create/gen_range/gen_filter failed "
                 "(errno %s)", tl_ename(errno));
        long v;
        for (int k = 0; k < 3; k++) {
            tl_check(gen_next(mid, &v) == 1 && v == k, "gen_next gave a wrong value");
            tl_check(gen_next(flt, &v) == 1 && v == k, "the filter gave a wrong value");
        }
        tl_check(gen_destroy(fresh) == 0 && gen_destroy(mid) == 0 &&
                     gen_destroy(flt) == 0 && gen_destroy(src) == 0,
                 "gen_destroy of a suspended generator failed (errno %s).",
                 tl_ename(errno));
    }
    tl_check(!gd_end_reached, "a generator destroyed midway ran on to its end.");
    expect_no_growth(vm0, "generators destroyed midway");
}

/* ------------------------------------------------------------------ */

struct waiter {
    struct pt pt;
    int gate;  /* the condition */
    int evals; /* how many times the condition was evaluated */
    int stage;
};

static int gate_open(struct waiter *w)
{
    w->evals++;
    return w->gate;
}

static int waiter_step(struct waiter *w)
{
    PT_BEGIN(&w->pt);
    w->stage = 1;
    PT_WAIT_UNTIL(&w->pt, gate_open(w)); /* open at first: no stop */
    w->stage = 2;
    PT_YIELD(&w->pt);
    w->gate = 0;
    w->stage = 3;
    PT_WAIT_UNTIL(&w->pt, gate_open(w));
    w->stage = 4;
    PT_END(&w->pt);
}

TL_TEST(hidden_wait_until_rechecks, 2, 10, "stackless wait")
{
    struct waiter w = {.gate = 1};
    PT_INIT(&w.pt);
    int rc = waiter_step(&w);
    tl_check(rc == PT_YIELDED && w.stage == 2 && w.evals == 1,
             "PT_WAIT_UNTIL on a condition that is already true must not "
             "stop: the first call should reach the PT_YIELD after it "
             "(PT_YIELDED, stage 2, the condition evaluated once); got %s, "
             "stage %d, %d evaluations.", rname(rc), w.stage, w.evals);
    for (int k = 1; k <= 3; k++) {
        rc = waiter_step(&w);
        tl_check(rc == PT_WAITING && w.stage == 3 && w.evals == 1 + k,
                 "call %d with the condition false: got %s at stage %d after "
                 "%d evaluations; expected PT_WAITING at stage 3 after %d (the "
                 "condition tested once per call, at the wait).", k + 1,
                 rname(rc), w.stage, w.evals, 1 + k);
    }
    w.gate = 1;
    rc = waiter_step(&w);
    tl_check(rc == PT_ENDED && w.stage == 4 && w.evals == 5,
             "with the condition true again the wait should go on to PT_END: "
             "got %s at stage %d, %d evaluations.", rname(rc), w.stage, w.evals);
}
