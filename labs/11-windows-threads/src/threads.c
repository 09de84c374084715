/*
 * threads.c - Task 1: start many threads, wait for all, collect exit codes.
 */
#include "wt.h"

#include <errno.h>
#include <process.h>
#include <stdlib.h>


int wt_run_all(size_t n, wt_body_fn body, void *const *args, unsigned long *codes)
{
    /* TODO 1.1: check the arguments (EINVAL), then start n threads with
     *           _beginthreadex(NULL, 0, body, arg, 0, NULL), keeping the
     *           handles (0 from _beginthreadex: stop starting, EAGAIN).
     * TODO 1.2: wait for all of them: WaitForMultipleObjects takes at most
     *           MAXIMUM_WAIT_OBJECTS (64) handles per call, so wait in groups.
     * TODO 1.3: GetExitCodeThread for each into codes[i], then CloseHandle
     *           every handle (a leaked handle keeps the thread object alive). */
    (void)n; (void)body; (void)args; (void)codes;
    return ENOSYS;
}

long long wt_add(volatile long long *counter, long long delta)
{
    /* TODO 1.4: one Interlocked call; it returns the value BEFORE the add. */
    (void)counter; (void)delta;
    return 0;
}
