/*
 * test_smx.c - Task 3: a high task waiting for a mutex that a low task
 * owns is not kept waiting by a middle task (priority inheritance), and a
 * boost ends when its mutex is released. Deterministic: the kit's
 * simulated scheduler gives the same schedule every run.
 */
#include "cb_test.h"

#define T3 "Task 3 (src/smx.c)"

/* L (1) takes M and works 4 ticks in it, then 5 more outside; H (3) comes
 * at tick 2 and needs M for 1 tick; Mid (2) comes at tick 3 with 300 ticks
 * of work and never touches M. */
struct inversion {
    struct sim s;
    struct smx m;
    struct sim_task l, h, mid;
    struct sop lops[5], hops[4], mops[2];
};

static void inversion_run(struct inversion *v)
{
    smx_init(&v->m, "M");
    struct sop lops[] = {{OP_LOCK, &v->m, 0}, {OP_WORK, NULL, 4}, {OP_UNLOCK, &v->m, 0},
                         {OP_WORK, NULL, 5}, {OP_END, NULL, 0}};
    struct sop hops[] = {{OP_LOCK, &v->m, 0}, {OP_WORK, NULL, 1}, {OP_UNLOCK, &v->m, 0},
                         {OP_END, NULL, 0}};
    struct sop mops[] = {{OP_WORK, NULL, 300}, {OP_END, NULL, 0}};
    memcpy(v->lops, lops, sizeof lops);
    memcpy(v->hops, hops, sizeof hops);
    memcpy(v->mops, mops, sizeof mops);
    sim_init(&v->s);
    sim_add(&v->s, &v->l, "L", 1, 0, script_step, v->lops);
    sim_add(&v->s, &v->h, "H", 3, 2, script_step, v->hops);
    sim_add(&v->s, &v->mid, "Mid", 2, 3, script_step, v->mops);
    int all = sim_run(&v->s, 2000);
    tl_check(all, "not every task finished within 2000 ticks (schedule: %s). "
             "Hint: handout " T3 ".", v->s.trace);
}

TL_TEST(prio_high_not_starved, 5, 10, "smx inversion")
{
    static struct inversion v;
    inversion_run(&v);
    tl_check(v.h.done_at <= 12, "priority inversion: H (priority 3) finished at "
             "tick %ld, expected by tick 12. From tick 3 it waited for M, owned "
             "by L (priority 1), while Mid (priority 2), which never touches M, "
             "ran %ld ticks first. Schedule: %s. Hint: handout " T3 ".",
             v.h.done_at, v.mid.done_at >= 0 && v.mid.done_at < v.h.done_at ? v.mid.ran : 0L,
             v.s.trace);
    tl_check(v.m.owner == NULL && v.m.nwaiters == 0, "M is still owned or waited for after everyone finished");
    tl_check(v.l.prio == 1 && v.h.prio == 3 && v.mid.prio == 2, "after the run the "
             "priorities are L %d, H %d, Mid %d, expected their own (1, 3, 2)",
             v.l.prio, v.h.prio, v.mid.prio);
}

TL_TEST(prio_boost_ends_at_unlock, 3, 10, "smx inversion")
{
    static struct inversion v;
    inversion_run(&v);
    tl_check(v.h.done_at <= 12, "H (priority 3) finished at tick %ld, expected by "
             "tick 12 (see prio_high_not_starved). Schedule: %s. Hint: handout " T3 ".",
             v.h.done_at, v.s.trace);
    tl_check(v.mid.done_at < v.l.done_at, "L finished at tick %ld, before Mid "
             "(priority 2) at tick %ld: L went on with its own work, outside M, at "
             "the priority it borrowed from H. A boost lasts only while L owns a "
             "mutex someone higher waits for. Schedule: %s. Hint: handout " T3 ".",
             v.l.done_at, v.mid.done_at, v.s.trace);
}
