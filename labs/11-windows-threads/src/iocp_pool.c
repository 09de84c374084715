/*
 * iocp_pool.c - Task 3: a thread pool whose work queue is an I/O
 * completion port (lab 08's pool, with the kernel's queue).
 */
#include "wt.h"

#include <errno.h>


int wt_pool_start(struct wt_pool *p, int nworkers)
{
    /* TODO 3.1: CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0,
     *           nworkers) makes a port that only carries posted packets.
     *           Then nworkers threads (CreateThread), each looping on
     *           GetQueuedCompletionStatus(port, &bytes, &key, &ov, INFINITE):
     *           key WT_POOL_QUIT returns; any other key is the task's
     *           function, ov its arg: run it, then handled++ (Interlocked). */
    (void)p; (void)nworkers;
    return ENOSYS;
}

int wt_pool_submit(struct wt_pool *p, wt_task_fn fn, void *arg)
{
    /* TODO 3.2: EPIPE once shutting down; else submitted++ and post one
     *           packet: PostQueuedCompletionStatus(port, 0, (ULONG_PTR)fn,
     *           (LPOVERLAPPED)arg). */
    (void)p; (void)fn; (void)arg;
    return ENOSYS;
}

int wt_pool_shutdown(struct wt_pool *p)
{
    /* TODO 3.3: shutting_down = 1; post ONE quit packet PER WORKER (one in
     *           total ends one worker and leaves the rest asleep forever);
     *           wait for every worker; close the worker handles and the port. */
    (void)p;
    return ENOSYS;
}
