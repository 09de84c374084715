/*
 * sp_internal.h - helpers shared by the lab's source files (kit-owned; not
 * part of the API in include/sp.h).
 */
#ifndef SP_INTERNAL_H
#define SP_INTERNAL_H

#include "sp.h"
#include "sp_futex.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

/* A broken invariant: say which, then abort (never limp on). */
#define sp_panic(...)                                                         \
    do {                                                                      \
        fprintf(stderr, "sp: panic at %s:%d: ", __FILE__, __LINE__);          \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        abort();                                                              \
    } while (0)

/* One round of a spin loop: `pause` tells the core we spin; every 64th
 * round gives the CPU away, so that on two loaded cores a spinner cannot
 * hold up the very thread it waits for for a whole time slice. */
static inline void sp_spin(unsigned *round)
{
    if ((++*round & 63) == 0)
        sched_yield();
    else
        __builtin_ia32_pause();
}

#endif
