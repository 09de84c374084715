/*
 * test_stackful.c - create, resume, yield, nesting and the reported misuse
 * of stackful coroutines (Tasks 2 and 3).
 */
#include "coro_test.h"

#include <pthread.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */

static int once_ran;
static coro_t *once_self;
static void *once_arg, *once_in;

static void *once_fn(void *arg, void *in)
{
    once_ran++;
    once_self = coro_self();
    once_arg = arg;
    once_in = in;
    return (void *)0x5eed;
}

TL_TEST(create_resume_to_end, 2, 10, "create")
{
    int token;
    once_ran = 0;
    tl_check(coro_self() == NULL, "coro_self() in main code returned %p, "
             "expected NULL. Hint: Task 3.6.", (void *)coro_self());
    coro_t *co;
    CO_CREATE(co, once_fn, &token, 0);
    tl_check(once_ran == 0, "coro_create ran the entry function: nothing may "
             "run before the first coro_resume. Hint: Task 3.1.");
    int st = coro_status(co);
    tl_check(st == CORO_SUSPENDED, "a new coroutine has status %s, expected "
             "CORO_SUSPENDED. Hint: Task 3.1 and 3.7.", sname(st));
    void *out = NULL;
    CO_RESUME(co, (void *)0x1a, &out, CORO_RETURNED);
    tl_check(once_ran == 1, "after one coro_resume the entry function ran %d "
             "times, expected 1.", once_ran);
    tl_check(once_self == co, "coro_self() inside the coroutine returned %p, "
             "expected the coroutine %p. Hint: coro_resume sets the running "
             "coroutine (Task 3.3).", (void *)once_self, (void *)co);
    tl_check(once_arg == &token && once_in == (void *)0x1a,
             "the entry function got (arg %p, in %p), expected (%p, 0x1a): "
             "arg is coro_create's, in is the first coro_resume's. Hint: Task "
             "2.8 (the trampoline calls fn(arg, transfer)).", once_arg,
             once_in, (void *)&token);
    tl_check(out == (void *)0x5eed, "coro_resume stored %p in *out when the "
             "entry function returned 0x5eed. Hint: the trampoline puts the "
             "return value in transfer (Task 2.8), resume hands it out (3.4).",
             out);
    st = coro_status(co);
    tl_check(st == CORO_DEAD, "after its entry function returned the "
             "coroutine has status %s, expected CORO_DEAD.", sname(st));
    tl_check(coro_self() == NULL, "back in main code coro_self() returned %p, "
             "expected NULL: the resumer must become current again (Task "
             "3.4).", (void *)coro_self());
    CO_DESTROY(co);
}

/* ------------------------------------------------------------------ */

/* Receives n, yields n * 10 and receives the next n, until it gets 0; then
 * returns the sum of what it got. Checks its own status on the way. */
static void *echo_fn(void *arg, void *in)
{
    coro_t **me = arg;
    long sum = 0;
    for (long n = (long)(intptr_t)in; n != 0;) {
        int st = coro_status(*me);
        tl_check(st == CORO_RUNNING, "inside the running coroutine, "
                 "coro_status(itself) is %s, expected CORO_RUNNING.", sname(st));
        sum += n;
        void *next = (void *)0xdead;
        int rc = coro_yield((void *)(intptr_t)(n * 10), &next);
        tl_check(rc == 0, "coro_yield inside a coroutine returned %s, "
                 "expected 0. Hint: Task 3.5.", rname(rc));
        n = (long)(intptr_t)next;
    }
    return (void *)(intptr_t)sum;
}

TL_TEST(resume_yield_pass_values, 4, 10, "resume yield")
{
    static coro_t *co;
    CO_CREATE(co, echo_fn, &co, 0);
    for (long n = 1; n <= 5; n++) {
        void *out = NULL;
        CO_RESUME(co, (void *)(intptr_t)n, &out, CORO_YIELDED);
        tl_check((long)(intptr_t)out == n * 10,
                 "resume %ld passed %ld in; the coroutine yields 10 times what "
                 "it received, but *out is %ld. Hint: the value crosses the "
                 "switch in co->transfer: resume puts `in` there, the "
                 "coroutine's coro_yield hands it out in *in (Task 3.5), "
                 "coro_yield's `out` goes back the same way (3.4).", n, n,
                 (long)(intptr_t)out);
        int st = coro_status(co);
        tl_check(st == CORO_SUSPENDED, "after it yielded the coroutine has "
                 "status %s, expected CORO_SUSPENDED.", sname(st));
    }
    void *out = NULL;
    CO_RESUME(co, (void *)0, &out, CORO_RETURNED);
    tl_check((long)(intptr_t)out == 15, "the coroutine returned the sum of the "
             "values it received (1+2+3+4+5 = 15); coro_resume stored %ld.",
             (long)(intptr_t)out);
    CO_DESTROY(co);
}

/* ------------------------------------------------------------------ */

static coro_t *nest_a, *nest_b, *nest_c;
static int nest_log[32], nest_n;

static void nlog(int v)
{
    if (nest_n < 32)
        nest_log[nest_n++] = v;
}

static void *nest_c_fn(void *arg, void *in)
{
    (void)arg;
    nlog(30 + (int)(intptr_t)in);
    tl_check(coro_status(nest_a) == CORO_NORMAL && coro_status(nest_b) == CORO_NORMAL &&
                 coro_status(nest_c) == CORO_RUNNING,
             "with A resuming B resuming C, and C running, the statuses are A "
             "%s, B %s, C %s; expected CORO_NORMAL, CORO_NORMAL, "
             "CORO_RUNNING. Hint: a resumer becomes CORO_NORMAL (Task 3.3).",
             sname(coro_status(nest_a)), sname(coro_status(nest_b)),
             sname(coro_status(nest_c)));
    void *v = NULL;
    coro_yield((void *)300, &v); /* back to B, not to A or main */
    nlog(30 + (int)(intptr_t)v);
    return (void *)301;
}

static void *nest_b_fn(void *arg, void *in)
{
    (void)arg;
    nlog(20 + (int)(intptr_t)in);
    void *out = NULL;
    int rc = coro_resume(nest_c, (void *)1, &out);
    tl_check(rc == CORO_YIELDED && out == (void *)300,
             "B resumed C, which yielded 300: B's coro_resume returned %s "
             "with *out %p. A yield goes back to the coroutine that resumed "
             "it. Hint: Task 3.3-3.5.", rname(rc), out);
    tl_check(coro_self() == nest_b && coro_status(nest_b) == CORO_RUNNING &&
                 coro_status(nest_a) == CORO_NORMAL,
             "after C yielded back to B, coro_self() is %p (B is %p) and B is "
             "%s, A is %s: the resumer must be current and RUNNING again, "
             "its own resumer still CORO_NORMAL. Hint: Task 3.4.",
             (void *)coro_self(), (void *)nest_b, sname(coro_status(nest_b)),
             sname(coro_status(nest_a)));
    nlog(22);
    void *v = NULL;
    coro_yield((void *)200, &v); /* back to A */
    nlog(20 + (int)(intptr_t)v);
    rc = coro_resume(nest_c, (void *)2, &out);
    tl_check(rc == CORO_RETURNED && out == (void *)301,
             "B resumed C a second time and C returned 301: coro_resume said "
             "%s with *out %p.", rname(rc), out);
    return (void *)201;
}

static void *nest_a_fn(void *arg, void *in)
{
    (void)arg;
    nlog(10 + (int)(intptr_t)in);
    void *out = NULL;
    int rc = coro_resume(nest_b, (void *)1, &out);
    tl_check(rc == CORO_YIELDED && out == (void *)200,
             "A resumed B (which resumed C and got 300 from it, then yielded "
             "200): A's coro_resume returned %s with *out %p.", rname(rc), out);
    nlog(12);
    coro_yield((void *)100, NULL); /* back to main */
    rc = coro_resume(nest_b, (void *)3, &out);
    tl_check(rc == CORO_RETURNED && out == (void *)201,
             "A resumed B again and B returned 201: coro_resume said %s with "
             "*out %p.", rname(rc), out);
    nlog(13);
    return (void *)101;
}

/* Depth: coroutine k resumes coroutine k+1 until the last, then each
 * returns its depth plus what it got back. */
#define CHAIN 64
static coro_t *chain[CHAIN];

static void *chain_fn(void *arg, void *in)
{
    (void)in;
    long k = (long)(intptr_t)arg;
    if (k + 1 == CHAIN)
        return (void *)(intptr_t)k;
    void *out = NULL;
    int rc = coro_resume(chain[k + 1], NULL, &out);
    tl_check(rc == CORO_RETURNED, "coroutine %ld of a chain of %d (each "
             "resumes the next) got %s from resuming the next one.", k, CHAIN,
             rname(rc));
    for (long j = 0; j < k; j++)
        tl_check(coro_status(chain[j]) == CORO_NORMAL,
                 "in a chain of nested resumes, coroutine %ld runs and "
                 "coroutine %ld (one of its resumers) has status %s, expected "
                 "CORO_NORMAL.", k, j, sname(coro_status(chain[j])));
    return (void *)(intptr_t)(k + (long)(intptr_t)out);
}

TL_TEST(nested_resume_chain, 5, 10, "nested")
{
    nest_n = 0;
    CO_CREATE(nest_a, nest_a_fn, NULL, 0);
    CO_CREATE(nest_b, nest_b_fn, NULL, 0);
    CO_CREATE(nest_c, nest_c_fn, NULL, 0);
    void *out = NULL;
    CO_RESUME(nest_a, (void *)1, &out, CORO_YIELDED);
    tl_check(out == (void *)100, "main resumed A, A resumed B, B resumed C; C "
             "yielded 300 to B, B yielded 200 to A, A yielded 100 to main. "
             "Main's coro_resume stored %p, expected 0x64 (100).", out);
    tl_check(coro_self() == NULL, "back in main code after nested resumes, "
             "coro_self() is %p, expected NULL.", (void *)coro_self());
    CO_RESUME(nest_a, NULL, &out, CORO_RETURNED);
    tl_check(out == (void *)101, "A's return value 101 should reach main; "
             "*out is %p.", out);
    static const int want[] = {11, 21, 31, 22, 12, 23, 32, 13};
    int ok = nest_n == 8;
    for (int i = 0; ok && i < 8; i++)
        ok = nest_log[i] == want[i];
    char got[256] = "";
    for (int i = 0, off = 0; i < nest_n; i++)
        off += snprintf(got + off, sizeof got - (size_t)off, "%d ", nest_log[i]);
    tl_check(ok, "order of events with nested resumes (A=1x, B=2x, C=3x):\n"
             "  expected: 11 21 31 22 12 23 32 13\n  got:      %s\n"
             "Hint: coro_yield returns to the coroutine whose coro_resume ran "
             "it (co->caller), and the values cross in transfer.", got);
    CO_DESTROY(nest_c);
    CO_DESTROY(nest_b);
    CO_DESTROY(nest_a);

    for (long k = 0; k < CHAIN; k++)
        CO_CREATE(chain[k], chain_fn, (void *)(intptr_t)k, CORO_MIN_STACK);
    CO_RESUME(chain[0], NULL, &out, CORO_RETURNED);
    long want_sum = (long)CHAIN * (CHAIN - 1) / 2;
    tl_check((long)(intptr_t)out == want_sum, "a chain of %d nested resumes "
             "returned %ld, expected %ld.", CHAIN, (long)(intptr_t)out, want_sum);
    for (long k = 0; k < CHAIN; k++)
        CO_DESTROY(chain[k]);
}

/* ------------------------------------------------------------------ */

static coro_t *mis_outer, *mis_inner;

static void *mis_inner_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    EXPECT_ERR(coro_resume(mis_inner, NULL, NULL), EDEADLK,
               "a coroutine resuming itself");
    EXPECT_ERR(coro_resume(mis_outer, NULL, NULL), EBUSY,
               "a coroutine resuming the coroutine that resumed it");
    EXPECT_ERR(coro_destroy(mis_inner), EBUSY,
               "a coroutine destroying itself while it runs");
    EXPECT_ERR(coro_destroy(mis_outer), EBUSY,
               "a coroutine destroying its resumer (which waits on its own "
               "stack in coro_resume)");
    tl_check(coro_status(mis_inner) == CORO_RUNNING &&
                 coro_status(mis_outer) == CORO_NORMAL,
             "after the refused calls, the statuses are inner %s, outer %s: a "
             "refused resume must change nothing.",
             sname(coro_status(mis_inner)), sname(coro_status(mis_outer)));
    return (void *)7;
}

static void *mis_outer_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    void *out = NULL;
    int rc = coro_resume(mis_inner, NULL, &out);
    tl_check(rc == CORO_RETURNED && out == (void *)7,
             "the inner coroutine, after its refused calls, returned 7; the "
             "outer's coro_resume said %s, *out %p.", rname(rc), out);
    EXPECT_ERR(coro_resume(mis_inner, NULL, NULL), ESRCH,
               "a coroutine resuming a finished one");
    return NULL;
}

TL_TEST(misuse_is_reported, 5, 10, "errors")
{
    EXPECT_ERR(coro_yield(NULL, NULL), EPERM, "coro_yield from main code");
    EXPECT_ERR(coro_resume(NULL, NULL, NULL), EINVAL, "coro_resume(NULL)");
    EXPECT_ERR(coro_status(NULL), EINVAL, "coro_status(NULL)");
    EXPECT_ERR(coro_destroy(NULL), EINVAL, "coro_destroy(NULL)");
    CO_CREATE(mis_outer, mis_outer_fn, NULL, 0);
    CO_CREATE(mis_inner, mis_inner_fn, NULL, 0);
    CO_RESUME(mis_outer, NULL, NULL, CORO_RETURNED);
    void *out = (void *)0xabc;
    for (int i = 0; i < 3; i++) {
        EXPECT_ERR(coro_resume(mis_outer, NULL, &out), ESRCH,
                   "main code resuming a finished coroutine (again and again)");
        tl_check(out == (void *)0xabc, "a refused coro_resume wrote %p into "
                 "*out: on an error nothing runs and *out is left alone.", out);
    }
    tl_check(coro_status(mis_outer) == CORO_DEAD, "a finished coroutine "
             "resumed again has status %s, expected CORO_DEAD.",
             sname(coro_status(mis_outer)));
    CO_DESTROY(mis_inner);
    CO_DESTROY(mis_outer);

    /* Bad arguments to coro_create. */
    errno = 0;
    coro_t *bad = coro_create(NULL, NULL, 0);
    tl_check(!bad && errno == EINVAL, "coro_create(NULL fn) returned %p, "
             "errno %s; expected NULL with EINVAL.", (void *)bad, tl_ename(errno));
    size_t sizes[] = {1, CORO_MIN_STACK - 1, (size_t)CORO_MAX_STACK + 1};
    for (int i = 0; i < 3; i++) {
        errno = 0;
        bad = coro_create(once_fn, NULL, sizes[i]);
        tl_check(!bad && errno == EINVAL, "coro_create with stack_size %zu "
                 "returned %p, errno %s; expected NULL with EINVAL (the bounds "
                 "are [CORO_MIN_STACK, CORO_MAX_STACK], 0 for the default).",
                 sizes[i], (void *)bad, tl_ename(errno));
    }
    coro_t *edge;
    CO_CREATE(edge, once_fn, NULL, CORO_MIN_STACK);
    CO_DESTROY(edge);
    CO_CREATE(edge, once_fn, NULL, (size_t)CORO_MAX_STACK);
    CO_DESTROY(edge);
}

/* ------------------------------------------------------------------ */

static int midway_reached_end;

static void *midway_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    for (int i = 0; i < 3; i++)
        coro_yield((void *)(intptr_t)i, NULL);
    midway_reached_end = 1;
    return NULL;
}

TL_TEST(destroy_suspended_midway, 2, 10, "destroy")
{
    midway_reached_end = 0;
    long before = tl_vm_size_kib();
    for (int round = 0; round < 50; round++) {
        coro_t *fresh, *mid;
        CO_CREATE(fresh, midway_fn, NULL, 256 * 1024);
        CO_CREATE(mid, midway_fn, NULL, 256 * 1024);
        CO_RESUME(mid, NULL, NULL, CORO_YIELDED);
        CO_RESUME(mid, NULL, NULL, CORO_YIELDED);
        CO_DESTROY(fresh); /* never ran */
        CO_DESTROY(mid);   /* stopped in its second yield */
    }
    long after = tl_vm_size_kib();
    tl_check(!midway_reached_end, "a destroyed coroutine ran on to its end: "
             "coro_destroy must only release it.");
    tl_check(after - before < 2048, "after creating and destroying 100 "
             "coroutines with 256 KiB stacks (half of them stopped midway) the "
             "address space grew by %ld KiB: coro_destroy must munmap the "
             "whole stack, guard page included. Hint: Task 2.5 and 3.8.",
             after - before);
}

/* ------------------------------------------------------------------ */
/* The running coroutine is per kernel thread                         */
/* ------------------------------------------------------------------ */

static pthread_barrier_t two_bar;

static void *two_inner(void *arg, void *in)
{
    (void)in;
    /* Both kernel threads are inside a coroutine here, at the same time. */
    pthread_barrier_wait(&two_bar);
    coro_t *me = coro_self();
    pthread_barrier_wait(&two_bar);
    return me == *(coro_t **)arg ? (void *)1 : (void *)2;
}

static void *two_thread(void *p)
{
    static __thread coro_t *mine;
    mine = coro_create(two_inner, &mine, 0);
    if (!mine)
        return (void *)3;
    void *out = NULL;
    int rc = coro_resume(mine, NULL, &out);
    coro_t *after = coro_self();
    coro_destroy(mine);
    (void)p;
    if (rc != CORO_RETURNED)
        return (void *)4;
    if (after != NULL)
        return (void *)5;
    return out;
}

TL_TEST(two_kernel_threads_own_chains, 1, 20, "tls")
{
    pthread_t t[2];
    pthread_barrier_init(&two_bar, NULL, 2);
    for (int i = 0; i < 2; i++)
        tl_check(pthread_create(&t[i], NULL, two_thread, NULL) == 0,
                 "pthread_create failed");
    void *r[2];
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], &r[i]);
    pthread_barrier_destroy(&two_bar);
    for (int i = 0; i < 2; i++) {
        tl_check(r[i] != (void *)3 && r[i] != (void *)4,
                 "in kernel thread %d, %s. Hint: Tasks 2 and 3.", i,
                 r[i] == (void *)3 ? "coro_create failed"
                                   : "coro_resume did not see the coroutine return");
        tl_check(r[i] == (void *)1,
                 "two kernel threads each ran a coroutine at the same time; in "
                 "thread %d %s. The running coroutine must be per kernel "
                 "thread: a __thread pointer, not a plain static. Hint: "
                 "coro_cur in src/coro.c.", i,
                 r[i] == (void *)2 ? "coro_self() named the other thread's coroutine"
                                   : "coro_self() was not NULL back in the thread's main code");
    }
}
