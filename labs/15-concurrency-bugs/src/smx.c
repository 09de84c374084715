/*
 * smx.c - Task 3: a mutex for simulated tasks, without priority inversion.
 *
 * The scheduler (src/kit_sim.c) always runs the ready task of highest
 * priority. If a low task L owns a mutex that a high task H waits for, H
 * can run again only after L unlocks, and L runs only when nothing above
 * it is ready: a middle task M that needs no mutex at all keeps both L and
 * H off the CPU for as long as it likes.
 */
#include "cb.h"

void smx_init(struct smx *m, const char *name)
{
    m->name = name;
    m->owner = NULL;
    m->nwaiters = 0;
    m->next_held = NULL;
}

/* m joins the owner's list of held mutexes. */
static void held_push(struct sim_task *t, struct smx *m)
{
    m->next_held = t->held;
    t->held = m;
}

/* m leaves t's list. */
static void held_remove(struct sim_task *t, struct smx *m)
{
    struct smx **pp = &t->held;
    while (*pp && *pp != m)
        pp = &(*pp)->next_held;
    CB_ASSERT(*pp == m);
    *pp = m->next_held;
    m->next_held = NULL;
}


int smx_lock(struct sim *s, struct smx *m, struct sim_task *t)
{
    CB_ASSERT(m->owner != t);
    if (!m->owner) {
        m->owner = t;
        held_push(t, m);
        return 1;
    }
    CB_ASSERT(m->nwaiters < SIM_MAX_WAITERS);
    m->waiters[m->nwaiters++] = t;
    sim_block(s, t, m);
    /* TODO 3.1: while a low task owns m and a high task waits here, a
     * middle task that never touches m runs first, for as long as it has
     * work: the test's high task finishes hundreds of ticks late. Make the
     * owner of m get the CPU as if it were the task waiting for it, also
     * when that owner waits in turn for another mutex (handout Task 3). */
    return 0;
}

void smx_unlock(struct sim *s, struct smx *m, struct sim_task *t)
{
    CB_ASSERT(m->owner == t);
    held_remove(t, m);
    /* TODO 3.2: (with 3.1) when t lets go of m, it keeps only what it is
     * owed by the mutexes it still owns. */
    if (m->nwaiters == 0) {
        m->owner = NULL;
        return;
    }
    int best = 0;
    for (int i = 1; i < m->nwaiters; i++)
        if (m->waiters[i]->prio > m->waiters[best]->prio)
            best = i;
    struct sim_task *next = m->waiters[best];
    for (int i = best; i + 1 < m->nwaiters; i++)
        m->waiters[i] = m->waiters[i + 1];
    m->nwaiters--;
    m->owner = next;
    held_push(next, m);
    sim_wake(s, next);
}
