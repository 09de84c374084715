/*
 * cost_internal.h - helpers shared by the src/ files (yours to extend).
 */
#ifndef COST_INTERNAL_H
#define COST_INTERNAL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stop loudly: one line naming file:line, what was false or failed, and
 * err's meaning when err != 0; then abort() (a core dump and a debugger
 * stop here). For invariants and for calls that cannot fail in a correct
 * program; never for errors a caller can meet (return those). */
__attribute__((noreturn)) static inline void cost_panic(const char *file, int line,
                                                        const char *what, int err)
{
    if (err)
        fprintf(stderr, "cost panic at %s:%d: %s failed: %s\n", file, line, what,
                strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error");
    else
        fprintf(stderr, "cost panic at %s:%d: invariant %s is false\n", file, line, what);
    fflush(stderr);
    abort();
}

#define COST_ASSERT(cond)                                                     \
    do {                                                                      \
        if (!(cond))                                                          \
            cost_panic(__FILE__, __LINE__, #cond, 0);                         \
    } while (0)

/* Sort n doubles ascending in place (all finite). */
void cost_sort(double *x, size_t n);

#endif
