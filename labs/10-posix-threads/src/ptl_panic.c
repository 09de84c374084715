/*
 * ptl_panic.c - Task 1: stop loudly on an impossible pthread error.
 */
#include "ptl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ptl_panic_at(const char *file, int line, const char *what, int err)
{
    /* TODO 1.1: print ONE line to stderr that names file:line, what, the
     *           number err and its meaning (strerror(err), or the
     *           thread-safe strerrordesc_np(err)); for err == 0 say the
     *           invariant `what` is false. Example:
     *   ptl panic at src/bbuf.c:42: pthread_mutex_lock(&b->lock) returned 22 (Invalid argument)
     * TODO 1.2: flush stderr, then abort() (a core dump and a debugger
     *           stop here; exit() would run atexit handlers in a broken
     *           process). */
    abort();
}
