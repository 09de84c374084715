/*
 * lockdep.c - Task 8: report a lock-order cycle before it deadlocks.
 *
 * The graph: a node per lock, an edge h -> a each time a thread acquired a
 * while holding h. If every thread nests its locks in one order, the graph
 * has no cycle. A thread holding h that asks for a, when a path a -> ... -> h
 * exists already, would add h -> a and close a cycle: some interleaving of
 * the threads that made those edges deadlocks.
 */
#include "cb.h"

#include <errno.h>
#include <string.h>

int ld_init(struct lockdep *ld)
{
    if (!ld)
        return EINVAL;
    memset(ld->edge, 0, sizeof ld->edge);
    memset(ld->nheld, 0, sizeof ld->nheld);
    return pthread_mutex_init(&ld->lock, NULL);
}

void ld_destroy(struct lockdep *ld)
{
    pthread_mutex_destroy(&ld->lock);
}

int ld_has_edge(struct lockdep *ld, int h, int a)
{
    if (!ld || h < 0 || a < 0 || h >= LD_MAX_LOCKS || a >= LD_MAX_LOCKS)
        return 0;
    CB_ASSERT(pthread_mutex_lock(&ld->lock) == 0);
    int e = ld->edge[h][a];
    CB_ASSERT(pthread_mutex_unlock(&ld->lock) == 0);
    return e;
}


int ld_acquire(struct lockdep *ld, int thread, int lock, struct ld_cycle *cyc)
{
    /* TODO 8.1: check the arguments (EINVAL), then under ld->lock: a lock
     * the thread holds already is a cycle of one (EDEADLK, n = 1); ENOMEM
     * if it holds LD_MAX_HELD locks.
     * TODO 8.2: search the recorded edges from `lock`; reaching a lock the
     * thread holds means the new edges would close a cycle: fill *cyc
     * (cb.h says how) and return EDEADLK without recording anything.
     * TODO 8.3: otherwise record held -> lock for every held lock (once
     * each) and push lock on the thread's held list. */
    (void)ld;
    (void)thread;
    (void)lock;
    (void)cyc;
    return ENOSYS;
}

int ld_release(struct lockdep *ld, int thread, int lock)
{
    (void)ld, (void)thread, (void)lock;
    /* TODO 8.4: EINVAL for bad indexes; under ld->lock, remove lock from
     * the thread's held list (any position, keep the others in order), or
     * return EPERM if the thread does not hold it. */
    return ENOSYS;
}
