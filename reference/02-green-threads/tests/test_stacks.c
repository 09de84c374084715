/*
 * test_stacks.c - stacks: a guard page below each, an overflow that
 * faults, and stacks given back after join (Task 2).
 */
#include "gt_test.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */


static void *maps_worker(void *p)
{
    struct tl_map_look *m = p;
    volatile char here = 0;
    m->addr = (uintptr_t)&here;
    tl_maps_look(m);
    return NULL;
}

/* A page multiple: rounding up must leave it as it is. */
#define GUARD_TEST_STACK (256 * 1024)

TL_TEST(guard_page_below_stack, 2, 10, "stack guard")
{
    struct tl_map_look m = {0};
    GT_START();
    gt_t t;
    GT_SPAWN(t, maps_worker, &m, GUARD_TEST_STACK);
    GT_JOIN(t, NULL);
    GT_STOP();
    tl_check(m.found, "no mapping in /proc/self/maps holds the thread's stack "
             "address %#lx.", (unsigned long)m.addr);
    tl_check(m.hi - m.lo >= GUARD_TEST_STACK,
             "the thread's stack mapping %#lx-%#lx (%s) is %lu bytes, less than "
             "the %d asked for. Hint: Task 2.1.", (unsigned long)m.lo,
             (unsigned long)m.hi, m.perms, (unsigned long)(m.hi - m.lo),
             GUARD_TEST_STACK);
    tl_check(m.below_found && m.bperms[0] == '-' && m.bperms[1] == '-' &&
                 m.bperms[2] == '-' && m.bhi - m.blo >= 4096,
             "the thread's stack is the mapping %#lx-%#lx (%s), and %s%s%s: there "
             "must be a PROT_NONE guard page (shown as ---p) directly below "
             "every stack, so that an overflow faults instead of silently "
             "writing over whatever lies below. Hint: Task 2.3, mprotect the "
             "lowest page of the mapping.",
             (unsigned long)m.lo, (unsigned long)m.hi, m.perms,
             m.below_found ? "the mapping right below it has permissions " : "no mapping ends right below it",
             m.below_found ? m.bperms : "", m.below_found ? " (not a guard page)" : "");
}

/* ------------------------------------------------------------------ */

static void *overflow_worker(void *p)
{
    (void)p;
    return (void *)(intptr_t)tl_overflow_stack(0);
}

static void overflow_child(void *p)
{
    (void)p;
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    if (gt_init() != 0)
        _exit(2);
    gt_t t = gt_spawn(overflow_worker, NULL, 64 * 1024);
    if (t <= 0)
        _exit(3);
    gt_join(t, NULL);
    _exit(4);
}

TL_TEST(overflow_hits_guard, 2, 20, "stack guard")
{
    struct tl_child c;
    tl_check(tl_run_in_child(overflow_child, NULL, 15, &c) == 0, "fork failed");
    tl_check(!(c.exited && c.code == 2), "in the child, gt_init failed. Hint: Task 4.");
    tl_check(!(c.exited && c.code == 3), "in the child, gt_spawn(64 KiB) failed. "
             "Hint: Tasks 2-4.");
    tl_check(!c.timed_out, "a thread recursing without end on a 64 KiB stack ran "
             "for 15 s without faulting.");
    tl_check(c.signaled && c.sig == SIGSEGV,
             "a thread recursing without end on a 64 KiB stack should die of "
             "SIGSEGV at the guard page; the child %s %d instead. Hint: Task "
             "2.3 (and 2.1: the stack must be its own mapping).",
             c.signaled ? "was killed by signal" : "exited with code",
             c.signaled ? c.sig : c.code);
}

/* ------------------------------------------------------------------ */

static void *touch_and_yield(void *p)
{
    volatile char buf[4096];
    buf[0] = 1;
    gt_yield();
    buf[4095] = buf[0];
    return p;
}

TL_TEST(stacks_released_after_join, 2, 10, "stack join")
{
    enum { N = 64, SZ = 1 << 20 };
    GT_START();
    gt_t t[N];
    long before = tl_vm_size_kib();
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++)
            GT_SPAWN(t[i], touch_and_yield, NULL, SZ);
        long during = tl_vm_size_kib();
        for (int i = 0; i < N; i++)
            GT_JOIN(t[i], NULL);
        long after = tl_vm_size_kib();
        tl_check(during - before >= (long)N * (SZ / 1024),
                 "with %d threads of 1 MiB stacks alive the address space grew "
                 "by only %ld KiB: each stack must be its own mmap of at least "
                 "stack_size bytes (Task 2).", N, during - before);
        tl_check(after - before < 8 * 1024,
                 "round %d: after joining %d threads with 1 MiB stacks the "
                 "address space is %ld KiB larger than before they were spawned "
                 "(%ld KiB while they were alive): gt_join must munmap the stack "
                 "of the thread it releases, guard page included. Hint: Tasks "
                 "2.5 and 5.5.", round + 1, N, after - before, during - before);
    }
    GT_STOP();
}
