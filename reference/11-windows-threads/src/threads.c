/*
 * threads.c - Task 1: start many threads, wait for all, collect exit codes.
 */
#include "wt.h"

#include <errno.h>
#include <process.h>
#include <stdlib.h>

#ifdef SOLUTION
/* Wait for handles h[0..n) in groups of at most MAXIMUM_WAIT_OBJECTS:
 * WaitForMultipleObjects refuses more than 64 handles at once. */
static void wait_all(HANDLE *h, size_t n)
{
    for (size_t at = 0; at < n; at += MAXIMUM_WAIT_OBJECTS) {
        size_t k = n - at < MAXIMUM_WAIT_OBJECTS ? n - at : MAXIMUM_WAIT_OBJECTS;
        DWORD r = WaitForMultipleObjects((DWORD)k, h + at, TRUE, INFINITE);
        WT_ASSERT(r < WAIT_OBJECT_0 + k);
    }
}
#endif

int wt_run_all(size_t n, wt_body_fn body, void *const *args, unsigned long *codes)
{
#ifdef SOLUTION
    if (n == 0 || !body || !codes)
        return EINVAL;
    HANDLE *h = calloc(n, sizeof *h);
    if (!h)
        return EAGAIN;
    size_t started = 0;
    for (; started < n; started++) {
        /* _beginthreadex, not CreateThread: the C runtime's per-thread
         * state (errno, strtok) is set up and torn down with the thread. */
        uintptr_t t = _beginthreadex(NULL, 0, body, args ? args[started] : NULL, 0, NULL);
        if (t == 0)
            break;
        h[started] = (HANDLE)t;
    }
    wait_all(h, started);
    int rc = started == n ? 0 : EAGAIN;
    for (size_t i = 0; i < started; i++) {
        DWORD code;
        WT_CHECK(GetExitCodeThread(h[i], &code));
        WT_ASSERT(code != STILL_ACTIVE);
        if (rc == 0)
            codes[i] = code;
        WT_CHECK(CloseHandle(h[i]));
    }
    free(h);
    return rc;
#else
    /* TODO 1.1: check the arguments (EINVAL), then start n threads with
     *           _beginthreadex(NULL, 0, body, arg, 0, NULL), keeping the
     *           handles (0 from _beginthreadex: stop starting, EAGAIN).
     * TODO 1.2: wait for all of them: WaitForMultipleObjects takes at most
     *           MAXIMUM_WAIT_OBJECTS (64) handles per call, so wait in groups.
     * TODO 1.3: GetExitCodeThread for each into codes[i], then CloseHandle
     *           every handle (a leaked handle keeps the thread object alive). */
    (void)n; (void)body; (void)args; (void)codes;
    return ENOSYS;
#endif
}

long long wt_add(volatile long long *counter, long long delta)
{
#ifdef SOLUTION
    return InterlockedExchangeAdd64(counter, delta) + delta;
#else
    /* TODO 1.4: one Interlocked call; it returns the value BEFORE the add. */
    (void)counter; (void)delta;
    return 0;
#endif
}
