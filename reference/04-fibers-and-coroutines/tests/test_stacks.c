/*
 * test_stacks.c - stackful stacks: a guard page below each, an overflow
 * that faults (in a child), many alive at once (Task 2).
 */
#include "coro_test.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *maps_worker(void *arg, void *in)
{
    (void)in;
    struct tl_map_look *m = arg;
    volatile char here = 0;
    m->addr = (uintptr_t)&here;
    tl_maps_look(m);
    return NULL;
}

#define GUARD_TEST_STACK (256 * 1024)

TL_TEST(guard_page_below_stack, 2, 10, "stack guard")
{
    struct tl_map_look m = {0};
    coro_t *co;
    CO_CREATE(co, maps_worker, &m, GUARD_TEST_STACK);
    CO_RESUME(co, NULL, NULL, CORO_RETURNED);
    CO_DESTROY(co);
    tl_check(m.found, "no mapping in /proc/self/maps holds the coroutine's "
             "stack address %#lx.", (unsigned long)m.addr);
    tl_check(m.hi - m.lo >= GUARD_TEST_STACK,
             "the coroutine's stack mapping %#lx-%#lx (%s) is %lu bytes, less "
             "than the %d asked for. Hint: Task 2.1.", (unsigned long)m.lo,
             (unsigned long)m.hi, m.perms, (unsigned long)(m.hi - m.lo),
             GUARD_TEST_STACK);
    tl_check(m.below_found && m.bperms[0] == '-' && m.bperms[1] == '-' &&
                 m.bperms[2] == '-' && m.bhi - m.blo >= 4096,
             "the coroutine's stack is the mapping %#lx-%#lx (%s), and %s%s: "
             "there must be a PROT_NONE guard page (shown as ---p) directly "
             "below every stack, so that an overflow faults instead of "
             "silently writing over whatever lies below. Hint: Task 2.3, "
             "mprotect the lowest page of the mapping.",
             (unsigned long)m.lo, (unsigned long)m.hi, m.perms,
             m.below_found ? "the mapping right below it has permissions "
                           : "no mapping ends right below it",
             m.below_found ? m.bperms : "");
}

/* ------------------------------------------------------------------ */

static void *overflow_fn(void *arg, void *in)
{
    (void)arg;
    (void)in;
    return (void *)(intptr_t)tl_overflow_stack(0);
}

static void overflow_child(void *p)
{
    (void)p;
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    coro_t *co = coro_create(overflow_fn, NULL, 64 * 1024);
    if (!co)
        _exit(3);
    coro_resume(co, NULL, NULL);
    _exit(4);
}

TL_TEST(overflow_hits_guard, 2, 20, "stack guard")
{
    struct tl_child c;
    tl_check(tl_run_in_child(overflow_child, NULL, 15, &c) == 0, "fork failed");
    tl_check(!(c.exited && c.code == 3), "in the child, coro_create(64 KiB) "
             "failed. Hint: Tasks 2 and 3.1.");
    tl_check(!c.timed_out, "a coroutine recursing without end on a 64 KiB "
             "stack ran for 15 s without faulting.");
    tl_check(c.signaled && c.sig == SIGSEGV,
             "a coroutine recursing without end on a 64 KiB stack should die "
             "of SIGSEGV at the guard page; the child %s %d instead. Hint: "
             "Task 2.3 (and 2.1: the stack must be its own mapping).",
             c.signaled ? "was killed by signal" : "exited with code",
             c.signaled ? c.sig : c.code);
}

/* ------------------------------------------------------------------ */

static void *count_fn(void *arg, void *in)
{
    long *counter = arg;
    long step = (long)(intptr_t)in;
    for (;;) {
        *counter += step;
        void *next = NULL;
        coro_yield((void *)(intptr_t)*counter, &next);
        step = (long)(intptr_t)next;
        if (step == 0)
            return (void *)(intptr_t)-*counter;
    }
}

TL_TEST(ten_thousand_alive, 2, 30, "scale")
{
    long n = tl_iters(10000);
    coro_t **co = calloc((size_t)n, sizeof *co);
    long *ctr = calloc((size_t)n, sizeof *ctr);
    tl_check(co && ctr, "calloc failed");
    for (long i = 0; i < n; i++)
        CO_CREATE(co[i], count_fn, &ctr[i], CORO_MIN_STACK);
    for (int round = 1; round <= 3; round++)
        for (long i = 0; i < n; i++) {
            void *out = NULL;
            CO_RESUME(co[i], (void *)(intptr_t)(i + 1), &out, CORO_YIELDED);
            tl_check((long)(intptr_t)out == round * (i + 1),
                     "with %ld coroutines alive, coroutine %ld yielded %ld in "
                     "round %d, expected %ld: each keeps its own stack and "
                     "locals.", n, i, (long)(intptr_t)out, round,
                     round * (i + 1));
        }
    for (long i = 0; i < n; i++) {
        void *out = NULL;
        CO_RESUME(co[i], (void *)0, &out, CORO_RETURNED);
        tl_check((long)(intptr_t)out == -3 * (i + 1), "coroutine %ld returned "
                 "%ld, expected %ld.", i, (long)(intptr_t)out, -3 * (i + 1));
        CO_DESTROY(co[i]);
    }
    free(co);
    free(ctr);
}
