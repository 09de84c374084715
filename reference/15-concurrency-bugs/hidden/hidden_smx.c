/*
 * hidden_smx.c - priority inheritance through a chain of owners, and a
 * release that keeps what other mutexes still lend.
 */
#include "../tests/cb_test.h"

#define T3 "Task 3 (src/smx.c)"

static struct sim s;
static struct smx a, b;

static void fresh_mutexes(void)
{
    smx_init(&a, "A");
    smx_init(&b, "B");
}

/* Add Mid, priority 3 from tick `start`, 300 ticks of work and no mutex;
 * run everything to the end. */
static void hog_and_run(struct sim *s, struct sim_task *mid, long start)
{
    static const struct sop hog[] = {{OP_WORK, NULL, 300}, {OP_END, NULL, 0}};
    sim_add(s, mid, "Mid", 3, start, script_step, (void *)hog);
    tl_check(sim_run(s, 2000), "not every task finished (schedule: %s)", s->trace);
}

TL_TEST(prio_hidden_chain, 4, 10, "smx inversion")
{
    static struct sim_task l, m2, h, mid;
    fresh_mutexes();
    static const struct sop lops[] = {{OP_LOCK, &a, 0}, {OP_WORK, NULL, 4}, {OP_UNLOCK, &a, 0},
                                      {OP_END, NULL, 0}};
    static const struct sop m2ops[] = {{OP_LOCK, &b, 0}, {OP_LOCK, &a, 0}, {OP_WORK, NULL, 2},
                                       {OP_UNLOCK, &a, 0}, {OP_UNLOCK, &b, 0}, {OP_END, NULL, 0}};
    static const struct sop hops[] = {{OP_LOCK, &b, 0}, {OP_WORK, NULL, 1}, {OP_UNLOCK, &b, 0},
                                      {OP_END, NULL, 0}};
    sim_init(&s);
    sim_add(&s, &l, "L", 1, 0, script_step, (void *)lops);
    sim_add(&s, &m2, "M2", 2, 1, script_step, (void *)m2ops);
    sim_add(&s, &h, "H", 4, 3, script_step, (void *)hops);
    hog_and_run(&s, &mid, 4);
    tl_check(h.done_at <= 25, "H (4) waits for B, owned by M2 (2), which waits for "
             "A, owned by L (1); Mid (3) must not run before H: H finished at tick "
             "%ld, expected by 25. The boost must pass along the chain of owners. "
             "Schedule: %s. Hint: handout " T3 ".", h.done_at, s.trace);
    tl_check(l.prio == 1 && m2.prio == 2 && h.prio == 4, "priorities after the run: "
             "L %d, M2 %d, H %d; expected 1, 2, 4", l.prio, m2.prio, h.prio);

    /* A real deadlock among simulated tasks (A then B against B then A):
     * smx_lock must still return, and the run ends with both blocked. */
    static struct sim s2;
    static struct smx x, y;
    static struct sim_task t1, t2;
    smx_init(&x, "X");
    smx_init(&y, "Y");
    static const struct sop t1ops[] = {{OP_LOCK, &x, 0}, {OP_WORK, NULL, 2}, {OP_LOCK, &y, 0},
                                       {OP_UNLOCK, &y, 0}, {OP_UNLOCK, &x, 0}, {OP_END, NULL, 0}};
    static const struct sop t2ops[] = {{OP_LOCK, &y, 0}, {OP_LOCK, &x, 0}, {OP_UNLOCK, &x, 0},
                                       {OP_UNLOCK, &y, 0}, {OP_END, NULL, 0}};
    sim_init(&s2);
    sim_add(&s2, &t1, "T1", 1, 0, script_step, (void *)t1ops);
    sim_add(&s2, &t2, "T2", 2, 1, script_step, (void *)t2ops);
    int all = sim_run(&s2, 100);
    tl_check(!all && t1.state == SIM_BLOCKED && t2.state == SIM_BLOCKED,
             "T1 (X then Y) and T2 (Y then X) deadlock: both must end up blocked, "
             "and smx_lock must return (state T1 %d, T2 %d). Schedule: %s",
             (int)t1.state, (int)t2.state, s2.trace);
    tl_check(t1.prio == 2 && t2.prio == 2, "in the deadlock T1 (1) owns X that T2 (2) "
             "waits for, so T1 runs at 2; got T1 %d, T2 %d", t1.prio, t2.prio);
}

TL_TEST(prio_hidden_two_mutexes, 3, 10, "smx inversion")
{
    static struct sim_task l, h1, h2, mid;
    fresh_mutexes();
    static const struct sop lops[] = {{OP_LOCK, &a, 0}, {OP_LOCK, &b, 0}, {OP_WORK, NULL, 4},
                                      {OP_UNLOCK, &a, 0}, {OP_WORK, NULL, 3}, {OP_UNLOCK, &b, 0},
                                      {OP_WORK, NULL, 5}, {OP_END, NULL, 0}};
    /* H1 and H2 each need their mutex for one tick. */
    static const struct sop hops[2][4] = {
        {{OP_LOCK, &a, 0}, {OP_WORK, NULL, 1}, {OP_UNLOCK, &a, 0}, {OP_END, NULL, 0}},
        {{OP_LOCK, &b, 0}, {OP_WORK, NULL, 1}, {OP_UNLOCK, &b, 0}, {OP_END, NULL, 0}},
    };
    sim_init(&s);
    sim_add(&s, &l, "L", 1, 0, script_step, (void *)lops);
    for (int k = 0; k < 2; k++)
        sim_add(&s, k ? &h2 : &h1, k ? "H2" : "H1", 5 - k, 3 + k, script_step, (void *)hops[k]);
    hog_and_run(&s, &mid, 5);
    tl_check(h1.done_at <= 20, "H1 (5), waiting for A owned by L (1), finished at "
             "tick %ld, expected by 20. Schedule: %s. Hint: handout " T3 ".",
             h1.done_at, s.trace);
    tl_check(h2.done_at <= 30, "H2 (4) waits for B, which L (1) still owns after it "
             "released A to H1; Mid (3) must not run first. H2 finished at tick %ld, "
             "expected by 30: releasing A must keep the boost that B's waiter lends. "
             "Schedule: %s. Hint: handout " T3 ".", h2.done_at, s.trace);
    tl_check(mid.done_at < l.done_at, "L finished its own work (after both mutexes) "
             "at tick %ld, before Mid (3) at %ld: it kept a boost it no longer had a "
             "reason for. Schedule: %s", l.done_at, mid.done_at, s.trace);
}
