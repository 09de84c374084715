/*
 * hidden_smx.c - priority inheritance through a chain of owners, and a
 * release that keeps what other mutexes still lend.
 */
#include "../tests/cb_test.h"

#define T3 "Task 3 (src/smx.c)"

TL_TEST(prio_hidden_chain, 4, 10, "smx inversion")
{
    static struct sim s;
    static struct smx a, b;
    static struct sim_task l, m2, h, mid;
    smx_init(&a, "A");
    smx_init(&b, "B");
    static const struct sop lops[] = {{OP_LOCK, &a, 0}, {OP_WORK, NULL, 4}, {OP_UNLOCK, &a, 0},
                                      {OP_END, NULL, 0}};
    static const struct sop m2ops[] = {{OP_LOCK, &b, 0}, {OP_LOCK, &a, 0}, {OP_WORK, NULL, 2},
                                       {OP_UNLOCK, &a, 0}, {OP_UNLOCK, &b, 0}, {OP_END, NULL, 0}};
    static const struct sop hops[] = {{OP_LOCK, &b, 0}, {OP_WORK, NULL, 1}, {OP_UNLOCK, &b, 0},
                                      {OP_END, NULL, 0}};
    static const struct sop mops[] = {{OP_WORK, NULL, 300}, {OP_END, NULL, 0}};
    sim_init(&s);
    sim_add(&s, &l, "L", 1, 0, script_step, (void *)lops);
    sim_add(&s, &m2, "M2", 2, 1, script_step, (void *)m2ops);
    sim_add(&s, &h, "H", 4, 3, script_step, (void *)hops);
    sim_add(&s, &mid, "Mid", 3, 4, script_step, (void *)mops);
    tl_check(sim_run(&s, 2000), "not every task finished (schedule: %s)", s.trace);
    tl_check(h.done_at <= 25, "H (4) waits for B, owned by M2 (2), which waits for "
             "A, owned by L (1); Mid (3) must not run before H: H finished at tick "
             "%ld, expected by 25. The boost must pass along the chain of owners. "
             "Schedule: %s. Hint: handout " T3 ".", h.done_at, s.trace);
    tl_check(l.prio == 1 && m2.prio == 2 && h.prio == 4, "priorities after the run: "
             "L %d, M2 %d, H %d; expected 1, 2, 4", l.prio, m2.prio, h.prio);
}

TL_TEST(prio_hidden_two_mutexes, 3, 10, "smx inversion")
{
    static struct sim s;
    static struct smx a, b;
    static struct sim_task l, h1, h2, mid;
    smx_init(&a, "A");
    smx_init(&b, "B");
    static const struct sop lops[] = {{OP_LOCK, &a, 0}, {OP_LOCK, &b, 0}, {OP_WORK, NULL, 4},
                                      {OP_UNLOCK, &a, 0}, {OP_WORK, NULL, 3}, {OP_UNLOCK, &b, 0},
                                      {OP_WORK, NULL, 5}, {OP_END, NULL, 0}};
    static const struct sop h1ops[] = {{OP_LOCK, &a, 0}, {OP_WORK, NULL, 1}, {OP_UNLOCK, &a, 0},
                                       {OP_END, NULL, 0}};
    static const struct sop h2ops[] = {{OP_LOCK, &b, 0}, {OP_WORK, NULL, 1}, {OP_UNLOCK, &b, 0},
                                       {OP_END, NULL, 0}};
    static const struct sop mops[] = {{OP_WORK, NULL, 300}, {OP_END, NULL, 0}};
    sim_init(&s);
    sim_add(&s, &l, "L", 1, 0, script_step, (void *)lops);
    sim_add(&s, &h1, "H1", 5, 3, script_step, (void *)h1ops);
    sim_add(&s, &h2, "H2", 4, 4, script_step, (void *)h2ops);
    sim_add(&s, &mid, "Mid", 3, 5, script_step, (void *)mops);
    tl_check(sim_run(&s, 2000), "not every task finished (schedule: %s)", s.trace);
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
