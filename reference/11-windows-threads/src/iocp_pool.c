/*
 * iocp_pool.c - Task 3: a thread pool whose work queue is an I/O
 * completion port (lab 08's pool, with the kernel's queue).
 */
#include "wt.h"

#include <errno.h>

#ifdef SOLUTION
static DWORD WINAPI worker(LPVOID arg)
{
    struct wt_pool *p = arg;
    for (;;) {
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED ov;
        WT_CHECK(GetQueuedCompletionStatus(p->port, &bytes, &key, &ov, INFINITE));
        if (key == WT_POOL_QUIT)
            return 0;
        ((wt_task_fn)key)((void *)ov);
        InterlockedIncrement(&p->handled);
    }
}

/* One quit packet per worker, behind whatever is queued (the port is first
 * in, first out); wait for them all, then close every handle. */
static void stop_workers(struct wt_pool *p)
{
    for (int i = 0; i < p->nworkers; i++)
        WT_CHECK(PostQueuedCompletionStatus(p->port, 0, WT_POOL_QUIT, NULL));
    for (int at = 0; at < p->nworkers; at += MAXIMUM_WAIT_OBJECTS) {
        int k = p->nworkers - at < MAXIMUM_WAIT_OBJECTS ? p->nworkers - at : MAXIMUM_WAIT_OBJECTS;
        DWORD r = WaitForMultipleObjects((DWORD)k, p->workers + at, TRUE, INFINITE);
        WT_ASSERT(r < WAIT_OBJECT_0 + (DWORD)k);
    }
    for (int i = 0; i < p->nworkers; i++)
        WT_CHECK(CloseHandle(p->workers[i]));
    WT_CHECK(CloseHandle(p->port));
    p->port = NULL;
    p->nworkers = 0;
}
#endif

int wt_pool_start(struct wt_pool *p, int nworkers)
{
#ifdef SOLUTION
    if (!p || nworkers < 1 || nworkers > WT_POOL_MAX)
        return EINVAL;
    p->submitted = p->handled = p->shutting_down = 0;
    p->nworkers = 0;
    /* No file handle: a port made only to carry posted packets. */
    p->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, (DWORD)nworkers);
    if (!p->port)
        return EAGAIN;
    for (int i = 0; i < nworkers; i++) {
        HANDLE h = CreateThread(NULL, 0, worker, p, 0, NULL);
        if (!h) {
            stop_workers(p); /* the ones already running */
            return EAGAIN;
        }
        p->workers[p->nworkers++] = h;
    }
    return 0;
#else
    /* TODO 3.1: CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0,
     *           nworkers) makes a port that only carries posted packets.
     *           Then nworkers threads (CreateThread), each looping on
     *           GetQueuedCompletionStatus(port, &bytes, &key, &ov, INFINITE):
     *           key WT_POOL_QUIT returns; any other key is the task's
     *           function, ov its arg: run it, then handled++ (Interlocked). */
    (void)p; (void)nworkers;
    return ENOSYS;
#endif
}

int wt_pool_submit(struct wt_pool *p, wt_task_fn fn, void *arg)
{
#ifdef SOLUTION
    if (!p || !fn)
        return EINVAL;
    if (p->shutting_down)
        return EPIPE;
    InterlockedIncrement(&p->submitted);
    WT_CHECK(PostQueuedCompletionStatus(p->port, 0, (ULONG_PTR)fn, (LPOVERLAPPED)arg));
    return 0;
#else
    /* TODO 3.2: EPIPE once shutting down; else submitted++ and post one
     *           packet: PostQueuedCompletionStatus(port, 0, (ULONG_PTR)fn,
     *           (LPOVERLAPPED)arg). */
    (void)p; (void)fn; (void)arg;
    return ENOSYS;
#endif
}

int wt_pool_shutdown(struct wt_pool *p)
{
#ifdef SOLUTION
    if (!p || !p->port)
        return EINVAL;
    InterlockedExchange(&p->shutting_down, 1);
    stop_workers(p);
    return 0;
#else
    /* TODO 3.3: shutting_down = 1; post ONE quit packet PER WORKER (one in
     *           total ends one worker and leaves the rest asleep forever);
     *           wait for every worker; close the worker handles and the port. */
    (void)p;
    return ENOSYS;
#endif
}
