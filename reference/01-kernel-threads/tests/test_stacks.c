/*
 * test_stacks.c - a guard page below each stack, an overflow that faults,
 * and stacks given back by join (Task 2, and 5.3).
 */
#include "kt_test.h"

#include <signal.h>


struct parked {
    int go, started;
    uintptr_t local;
};

static void *parked_body(kthread_t *self, void *p)
{
    (void)self;
    struct parked *k = p;
    volatile int here = 0;
    k->local = (uintptr_t)&here;
    flag_set(&k->started);
    flag_wait(&k->go);
    return NULL;
}

/* A page multiple: rounding up must keep at least this much. */
#define GUARD_TEST_STACK (256 * 1024)

TL_TEST(guard_page_below_stack, 4, 10, "stack guard")
{
    struct parked k = {0};
    kthread_t *t;
    KT_CREATE(&t, parked_body, &k, GUARD_TEST_STACK);
    tl_check(flag_within(&k.started, 10), "the thread never ran. Hint: Tasks 1-3.");
    struct tl_map_look m = {0};
    m.addr = k.local;
    tl_maps_look(&m);
    flag_set(&k.go);
    KT_JOIN(t, NULL);
    tl_check(m.found, "no mapping in /proc/self/maps holds the thread's stack "
             "address %#lx.", (unsigned long)m.addr);
    tl_check(m.hi - m.lo >= GUARD_TEST_STACK,
             "the thread's stack mapping %#lx-%#lx (%s) is %lu bytes, less than "
             "the %d asked for. Hint: Task 2.1.", (unsigned long)m.lo,
             (unsigned long)m.hi, m.perms, (unsigned long)(m.hi - m.lo),
             GUARD_TEST_STACK);
    tl_check(m.below_found && strncmp(m.bperms, "---", 3) == 0 && m.bhi - m.blo >= 4096,
             "the thread's stack is the mapping %#lx-%#lx (%s), and %s%s%s: there "
             "must be a PROT_NONE guard page (shown as ---p) directly below the "
             "stack, so that an overflow faults instead of silently writing over "
             "whatever lies below. Hint: Task 2.3, mprotect the lowest page.",
             (unsigned long)m.lo, (unsigned long)m.hi, m.perms,
             m.below_found ? "the mapping right below it has permissions " : "no mapping ends right below it",
             m.below_found ? m.bperms : "", m.below_found ? " (not a guard page)" : "");
    tl_check(!page_mapped(m.addr) && !page_mapped(m.blo),
             "after kthread_join the thread's stack page %#lx is %s and its guard "
             "page %#lx is %s: join must munmap the whole mapping (Tasks 2.5, 5.3).",
             (unsigned long)m.addr, page_mapped(m.addr) ? "still mapped" : "gone",
             (unsigned long)m.blo, page_mapped(m.blo) ? "still mapped" : "gone");
}

/* ------------------------------------------------------------------ */

static void *overflow_body(kthread_t *self, void *p)
{
    (void)self;
    (void)p;
    return (void *)(intptr_t)tl_overflow_stack(0);
}

static void overflow_child(void *p)
{
    (void)p;
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    kthread_t *t;
    if (kthread_create(&t, overflow_body, NULL, 64 * 1024) != 0)
        _exit(3);
    kthread_join(t, NULL);
    _exit(4);
}

TL_TEST(overflow_hits_the_guard, 5, 20, "stack guard")
{
    struct tl_child c;
    tl_check(tl_run_in_child(overflow_child, NULL, 15, &c) == 0, "fork failed");
    tl_check(!(c.exited && c.code == 3), "in the child, kthread_create(64 KiB) "
             "failed. Hint: Tasks 1-4.");
    tl_check(!c.timed_out, "a thread recursing without end on a 64 KiB stack ran "
             "for 15 s without faulting (or its join never returned).");
    tl_check(c.signaled && c.sig == SIGSEGV,
             "a thread recursing without end on a 64 KiB stack should die of "
             "SIGSEGV at the guard page, which kills the whole process; the "
             "process %s %d instead. Hint: Task 2.3 (and 2.1: the stack must be "
             "its own mapping).", c.signaled ? "was killed by signal" : "exited with code",
             c.signaled ? c.sig : c.code);
}

/* ------------------------------------------------------------------ */

enum { UNMAP_N = 50, UNMAP_SZ = 1 << 20 };


TL_TEST(stacks_unmapped_after_join, 5, 30, "stack join")
{
    static struct parked k[UNMAP_N];
    kthread_t *t[UNMAP_N];
    int lines0 = maps_lines();
    long vm0 = tl_vm_size_kib();
    for (int round = 0; round < 3; round++) {
        memset(k, 0, sizeof k);
        for (int i = 0; i < UNMAP_N; i++)
            KT_CREATE(&t[i], parked_body, &k[i], UNMAP_SZ);
        for (int i = 0; i < UNMAP_N; i++)
            tl_check(flag_within(&k[i].started, 10), "thread %d never ran.", i);
        long during = tl_vm_size_kib();
        for (int i = 0; i < UNMAP_N; i++)
            flag_set(&k[i].go);
        for (int i = 0; i < UNMAP_N; i++)
            KT_JOIN(t[i], NULL);
        tl_check(during - vm0 >= (long)UNMAP_N * (UNMAP_SZ / 1024),
                 "with %d threads of 1 MiB stacks alive the address space grew by "
                 "only %ld KiB: each stack must be its own mmap of at least "
                 "stack_size bytes (Task 2).", UNMAP_N, during - vm0);
        for (int i = 0; i < UNMAP_N; i++)
            tl_check(!page_mapped(k[i].local),
                     "round %d: after kthread_join, thread %d's stack page %#lx is "
                     "still mapped: join must munmap the stack (Tasks 2.5, 5.3).",
                     round + 1, i, (unsigned long)k[i].local);
        long vm1 = tl_vm_size_kib();
        int lines1 = maps_lines();
        tl_check(vm1 - vm0 < 1024 && lines1 <= lines0 + 16,
                 "round %d: after joining %d threads with 1 MiB stacks the address "
                 "space is %ld KiB larger than before (%ld KiB while they were "
                 "alive) and /proc/self/maps has %d lines instead of %d: join must "
                 "munmap the whole mapping, guard page and record included. Hint: "
                 "Tasks 2.5 and 5.3.", round + 1, UNMAP_N, vm1 - vm0, during - vm0,
                 lines1, lines0);
    }
}
