/*
 * gt_test.h - helpers shared by the lab 02 test files (kit-owned).
 */
#ifndef GT_TEST_H
#define GT_TEST_H

#include "tl_harness.h"
#include "gt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Start a scheduler on this kernel thread, or fail with a hint. */
#define GT_START()                                                            \
    tl_check(gt_init() == 0,                                                  \
             "gt_init() failed (errno %d: %s), so nothing else can be "       \
             "tested. Hint: %s", errno, strerror(errno),                      \
             errno == EBUSY                                                   \
                 ? "EBUSY: an earlier test in this process failed and left "  \
                   "its scheduler behind; run this test alone with "          \
                   "make run T=<name>."                                       \
                 : "handout Task 4 (gt_init in src/gt.c).")

/* Stop it: every spawned thread must have exited by then. */
#define GT_STOP()                                                             \
    tl_check(gt_fini() == 0,                                                  \
             "gt_fini() from the main green thread failed (errno %d: %s). "   \
             "Hint: handout Task 5.6.", errno, strerror(errno))

/* Spawn or fail with the reason. */
#define GT_SPAWN(id, fn, arg, size)                                           \
    do {                                                                      \
        (id) = gt_spawn((fn), (arg), (size));                                 \
        tl_check((id) > 0,                                                    \
                 "gt_spawn(%s, stack %zu) returned %d (errno %d: %s). "       \
                 "Hint: handout Tasks 2-4.", #fn, (size_t)(size), (int)(id),  \
                 errno, strerror(errno));                                     \
    } while (0)

/* Join or fail with the reason. */
#define GT_JOIN(id, retp)                                                     \
    do {                                                                      \
        int gt_rc_ = gt_join((id), (retp));                                   \
        tl_check(gt_rc_ == 0,                                                 \
                 "gt_join(%d) returned %d (errno %d: %s) for a live, "        \
                 "joinable thread. Hint: handout Task 5.5.", (int)(id),       \
                 gt_rc_, errno, strerror(errno));                             \
    } while (0)

/* This process's virtual size in KiB, from /proc/self/status; -1 if unknown. */
__attribute__((unused)) static long vm_size_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    long kib = -1;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

#endif
