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

#ifdef SOLUTION
/* The priority t must run at: its own, or that of the highest task
 * waiting for a mutex it owns (inherited), whichever is higher. */
static int inherited_prio(const struct sim_task *t)
{
    int p = t->base_prio;
    for (const struct smx *m = t->held; m; m = m->next_held)
        for (int i = 0; i < m->nwaiters; i++)
            if (m->waiters[i]->prio > p)
                p = m->waiters[i]->prio;
    return p;
}
#endif

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
#ifdef SOLUTION
    /* Priority inheritance, passed along the chain: the owner runs at
     * least at t's priority, and if that owner is itself blocked, so does
     * the owner of what it waits for, and so on. */
    for (struct smx *w = m; w && w->owner; w = w->owner->blocked_on) {
        if (w->owner->prio >= t->prio)
            break;
        w->owner->prio = t->prio;
    }
#else
    /* TODO 3.1: while a low task owns m and a high task waits here, a
     * middle task that never touches m runs first, for as long as it has
     * work: the test's high task finishes hundreds of ticks late. Make the
     * owner of m get the CPU as if it were the task waiting for it, also
     * when that owner waits in turn for another mutex (handout Task 3). */
#endif
    return 0;
}

void smx_unlock(struct sim *s, struct smx *m, struct sim_task *t)
{
    CB_ASSERT(m->owner == t);
    held_remove(t, m);
#ifdef SOLUTION
    /* Give back what m's waiters lent; keep what other mutexes lend. */
    t->prio = inherited_prio(t);
#else
    /* TODO 3.2: (with 3.1) when t lets go of m, it keeps only what it is
     * owed by the mutexes it still owns. */
#endif
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
#ifdef SOLUTION
    /* The new owner inherits from the waiters it now keeps waiting. */
    next->prio = inherited_prio(next);
#endif
    sim_wake(s, next);
}
