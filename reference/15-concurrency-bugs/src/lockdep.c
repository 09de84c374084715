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

#ifdef SOLUTION
/* Breadth-first from `from` over the recorded edges; the first lock the
 * thread holds that it reaches (the nearest) ends the cycle, written to
 * *cyc as from, ..., that lock. 1 if one was found. Caller holds ld->lock. */
static int find_cycle(struct lockdep *ld, int thread, int from, struct ld_cycle *cyc)
{
    int parent[LD_MAX_LOCKS], queue[LD_MAX_LOCKS], head = 0, tail = 0;
    unsigned char held[LD_MAX_LOCKS] = {0};
    for (int i = 0; i < ld->nheld[thread]; i++)
        held[ld->held[thread][i]] = 1;
    for (int i = 0; i < LD_MAX_LOCKS; i++)
        parent[i] = -2; /* not reached */
    parent[from] = -1;
    queue[tail++] = from;
    while (head < tail) {
        int u = queue[head++];
        if (u != from && held[u]) {
            int path[LD_MAX_LOCKS], n = 0;
            for (int v = u; v >= 0; v = parent[v])
                path[n++] = v;
            if (cyc) {
                cyc->n = n;
                for (int i = 0; i < n; i++)
                    cyc->locks[i] = path[n - 1 - i];
            }
            return 1;
        }
        for (int v = 0; v < LD_MAX_LOCKS; v++)
            if (ld->edge[u][v] && parent[v] == -2) {
                parent[v] = u;
                queue[tail++] = v;
            }
    }
    return 0;
}
#endif

int ld_acquire(struct lockdep *ld, int thread, int lock, struct ld_cycle *cyc)
{
#ifdef SOLUTION
    if (!ld || thread < 0 || thread >= LD_MAX_THREADS || lock < 0 || lock >= LD_MAX_LOCKS)
        return EINVAL;
    CB_ASSERT(pthread_mutex_lock(&ld->lock) == 0);
    int rc = 0;
    int *held = ld->held[thread];
    int n = ld->nheld[thread];
    for (int i = 0; i < n && !rc; i++)
        if (held[i] == lock) {
            /* Held already: a non-recursive lock waits for itself. */
            if (cyc) {
                cyc->n = 1;
                cyc->locks[0] = lock;
            }
            rc = EDEADLK;
        }
    if (!rc && n == LD_MAX_HELD)
        rc = ENOMEM;
    if (!rc && n > 0 && find_cycle(ld, thread, lock, cyc))
        rc = EDEADLK;
    if (!rc) {
        for (int i = 0; i < n; i++)
            ld->edge[held[i]][lock] = 1; /* set, not counted: once each */
        held[n] = lock;
        ld->nheld[thread] = n + 1;
    }
    CB_ASSERT(pthread_mutex_unlock(&ld->lock) == 0);
    return rc;
#else
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
#endif
}

int ld_release(struct lockdep *ld, int thread, int lock)
{
#ifdef SOLUTION
    if (!ld || thread < 0 || thread >= LD_MAX_THREADS || lock < 0 || lock >= LD_MAX_LOCKS)
        return EINVAL;
    CB_ASSERT(pthread_mutex_lock(&ld->lock) == 0);
    int *held = ld->held[thread];
    int n = ld->nheld[thread], i = 0;
    while (i < n && held[i] != lock)
        i++;
    int found = i < n;
    if (found) {
        memmove(&held[i], &held[i + 1], (size_t)(n - i - 1) * sizeof held[0]);
        ld->nheld[thread] = n - 1;
    }
    CB_ASSERT(pthread_mutex_unlock(&ld->lock) == 0);
    return found ? 0 : EPERM;
#else
    (void)ld, (void)thread, (void)lock;
    /* TODO 8.4: EINVAL for bad indexes; under ld->lock, remove lock from
     * the thread's held list (any position, keep the others in order), or
     * return EPERM if the thread does not hold it. */
    return ENOSYS;
#endif
}
