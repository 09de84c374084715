/*
 * kit_sim.c - kit code: a deterministic strict-priority scheduler for
 * simulated tasks (cb_kit.h). Not graded.
 *
 * Every tick the READY task of highest prio runs one step; among equals
 * the one that became ready first (it keeps the CPU until it blocks or
 * finishes, like SCHED_FIFO). No real threads, no clocks: the same tasks
 * always give the same schedule.
 */
#include "cb_kit.h"

#include <stdio.h>
#include <string.h>

void sim_init(struct sim *s)
{
    memset(s, 0, sizeof *s);
    s->last = -1;
}

void sim_add(struct sim *s, struct sim_task *t, const char *name, int prio,
             long start, sim_step_fn step, void *arg)
{
    CB_ASSERT(s->ntasks < SIM_MAX_TASKS);
    memset(t, 0, sizeof *t);
    t->name = name;
    t->base_prio = t->prio = prio;
    t->state = SIM_NEW;
    t->start = start;
    t->step = step;
    t->arg = arg;
    t->done_at = -1;
    s->task[s->ntasks++] = t;
}

/* Append "name xN" to the trace when the running task changes. */
static void trace_flush(struct sim *s)
{
    if (s->last < 0 || s->tlen >= sizeof s->trace - 1)
        return;
    int w = snprintf(s->trace + s->tlen, sizeof s->trace - s->tlen, "%s%s x%ld",
                     s->tlen ? ", " : "", s->task[s->last]->name, s->last_run);
    if (w > 0)
        s->tlen += (size_t)w;
    if (s->tlen > sizeof s->trace - 1)
        s->tlen = sizeof s->trace - 1;
}

static void trace_tick(struct sim *s, int who)
{
    if (who == s->last) {
        s->last_run++;
        return;
    }
    trace_flush(s);
    s->last = who;
    s->last_run = 1;
}

int sim_run(struct sim *s, long max_ticks)
{
    int all_done = 0;
    while (s->tick < max_ticks) {
        int best = -1, pending = 0;
        all_done = 1;
        for (int i = 0; i < s->ntasks; i++) {
            struct sim_task *t = s->task[i];
            if (t->state == SIM_NEW && t->start <= s->tick) {
                t->state = SIM_READY;
                t->ready_seq = s->seq++;
            }
            if (t->state != SIM_DONE)
                all_done = 0;
            if (t->state == SIM_NEW)
                pending = 1;
            if (t->state != SIM_READY)
                continue;
            struct sim_task *b = best < 0 ? NULL : s->task[best];
            if (!b || t->prio > b->prio || (t->prio == b->prio && t->ready_seq < b->ready_seq))
                best = i;
        }
        if (all_done)
            break;
        s->tick++;
        if (best < 0) {
            trace_tick(s, -1);
            if (!pending)
                break; /* everyone blocked: a deadlock */
            continue;
        }
        struct sim_task *t = s->task[best];
        trace_tick(s, best);
        t->ran++;
        if (!t->step(s, t)) {
            CB_ASSERT(t->state == SIM_READY);
            t->state = SIM_DONE;
            t->done_at = s->tick;
        }
    }
    trace_flush(s);
    s->last = -1;
    for (int i = 0; i < s->ntasks; i++)
        if (s->task[i]->state != SIM_DONE)
            return 0;
    return 1;
}

void sim_block(struct sim *s, struct sim_task *t, struct smx *m)
{
    (void)s;
    CB_ASSERT(t->state == SIM_READY);
    t->state = SIM_BLOCKED;
    t->blocked_on = m;
}

void sim_wake(struct sim *s, struct sim_task *t)
{
    CB_ASSERT(t->state == SIM_BLOCKED);
    t->state = SIM_READY;
    t->blocked_on = NULL;
    t->ready_seq = s->seq++;
}
