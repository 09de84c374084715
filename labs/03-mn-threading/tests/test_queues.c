/*
 * test_queues.c - the per-carrier local queues, the global queue's turn,
 * and stealing (handout Task 4).
 */
#include "mn_test.h"

/* ------------------------------------------------------------------ */

#define NCHILD 50
static int order[NCHILD];
static int norder;

static void *child_logs(void *p)
{
    order[norder++] = (int)(long)p; /* one carrier: no race */
    return NULL;
}

static void *spawn_children(void *p)
{
    mn_t id[NCHILD];
    (void)p;
    for (int i = 0; i < NCHILD; i++) {
        id[i] = mn_spawn(child_logs, (void *)(long)i);
        if (id[i] <= 0)
            return (void *)1L;
    }
    for (int i = 0; i < NCHILD; i++)
        if (mn_join(id[i], NULL) != 0)
            return (void *)2L;
    return NULL;
}

TL_TEST(spawned_children_use_local_queue, 3, 30, "queues")
{
    norder = 0;
    MN_START(1);
    struct mn_stats a, b;
    MN_STATS(&a);
    mn_t p;
    void *ret = (void *)3L;
    MN_SPAWN(p, spawn_children, NULL);
    MN_JOIN(p, &ret);
    MN_STATS(&b);
    MN_STOP();
    tl_check(ret == NULL, "a user thread spawning and joining %d children "
             "failed at the %s step.", NCHILD, ret == (void *)1L ? "spawn" : "join");
    unsigned long local = b.local_runs - a.local_runs;
    unsigned long global = b.global_runs - a.global_runs;
    tl_check(local >= NCHILD && global <= 2,
             "a user thread on carrier 0 spawned %d children: they belong on "
             "carrier 0's LOCAL queue, so at least %d picks must come from a "
             "local queue and only the parent's from the global one; "
             "mn_stats counted %lu local and %lu global picks. Hint: Task "
             "4.1 (make_runnable from code running on a carrier).",
             NCHILD, NCHILD, local, global);
    char got[400] = "";
    size_t off = 0;
    int fifo = norder == NCHILD;
    for (int i = 0; i < norder; i++) {
        fifo = fifo && order[i] == i;
        if (off < sizeof got - 8)
            off += (size_t)snprintf(got + off, sizeof got - off, "%d ", order[i]);
    }
    tl_check(fifo, "with one carrier, children spawned 0..%d onto its local "
             "queue must run in spawn order (a FIFO, new threads at the "
             "tail); they ran: %s", NCHILD - 1, got);
}

/* ------------------------------------------------------------------ */

static atomic_long yields;
static atomic_int c_ran, gave_up;
static atomic_long yields_when_c_ran;

static void *pinger(void *p)
{
    (void)p;
    double t0 = 0;
    while (!atomic_load(&c_ran)) {
        atomic_fetch_add(&yields, 1);
        if (past(&t0, 10)) {
            atomic_store(&gave_up, 1);
            break;
        }
        mn_yield();
    }
    return NULL;
}

static void *pinger_parent(void *p)
{
    mn_t q = mn_spawn(pinger, NULL);
    pinger(p);
    if (q > 0)
        mn_join(q, NULL);
    return NULL;
}

static void *from_outside(void *p)
{
    (void)p;
    atomic_store(&yields_when_c_ran, atomic_load(&yields));
    atomic_store(&c_ran, 1);
    return NULL;
}

TL_TEST(global_queue_is_not_starved, 4, 30, "queues fairness")
{
    atomic_store(&yields, 0);
    atomic_store(&c_ran, 0);
    atomic_store(&gave_up, 0);
    MN_START(1);
    mn_t p, c;
    MN_SPAWN(p, pinger_parent, NULL);
    /* Wait until the two yielders keep the one carrier's local queue busy. */
    int busy = TL_WAIT_UNTIL(atomic_load(&yields) > 20 || atomic_load(&gave_up), 10);
    MN_SPAWN(c, from_outside, NULL);
    long at_spawn = atomic_load(&yields);
    TL_WAIT_UNTIL(atomic_load(&c_ran) || atomic_load(&gave_up), 20);
    atomic_store(&c_ran, 1); /* let the yielders finish either way */
    MN_JOIN(p, NULL);
    MN_JOIN(c, NULL);
    MN_STOP();
    tl_check(busy, "two user threads that yield to each other on one carrier "
             "made only %ld yields. Hint: Tasks 2.8 and 4.1.", atomic_load(&yields));
    tl_check(!atomic_load(&gave_up),
             "a thread spawned from outside (the GLOBAL queue) never ran while "
             "two threads kept yielding to each other on the only carrier's "
             "local queue for 10 s (%ld yields): the global queue starved. Every "
             "MN_GLOBAL_EVERY-th pick must look at the global queue first. "
             "Hint: Task 4.2.", atomic_load(&yields));
    long waited = atomic_load(&yields_when_c_ran) - at_spawn;
    tl_check(waited <= 4L * MN_GLOBAL_EVERY,
             "the thread on the global queue ran only after %ld yields of the "
             "two local yielders; with a look at the global queue every "
             "MN_GLOBAL_EVERY (%d) picks it runs within about %d. Hint: Task "
             "4.2.", waited, MN_GLOBAL_EVERY, MN_GLOBAL_EVERY);
}

/* ------------------------------------------------------------------ */

static atomic_int started[2], carrier_of[2], give_up;

static void *wait_for_sibling(void *p)
{
    int me = (int)(long)p;
    atomic_store(&carrier_of[me], mn_carrier());
    atomic_store(&started[me], 1);
    /* No yield: the sibling can only start on ANOTHER carrier. */
    while (!(atomic_load(&started[0]) && atomic_load(&started[1])) &&
           !atomic_load(&give_up))
        ;
    return NULL;
}

static void *spawn_two(void *p)
{
    (void)p;
    mn_t a = mn_spawn(wait_for_sibling, (void *)0L);
    mn_t b = mn_spawn(wait_for_sibling, (void *)1L);
    if (a > 0)
        mn_join(a, NULL);
    if (b > 0)
        mn_join(b, NULL);
    return NULL;
}

TL_TEST(idle_carrier_steals_work, 4, 60, "queues steal")
{
    for (int i = 0; i < 2; i++) {
        atomic_store(&started[i], 0);
        atomic_store(&carrier_of[i], -1);
    }
    atomic_store(&give_up, 0);
    MN_START(2);
    struct mn_stats a, b;
    /* Both carriers asleep first: then only a wakeup can bring the second
     * one to the children (parks is counted before each sleep). */
    TL_WAIT_UNTIL(mn_stats(&a) == 0 && a.parks >= 2, 10);
    MN_STATS(&a);
    mn_t p;
    MN_SPAWN(p, spawn_two, NULL);
    int both = TL_WAIT_UNTIL(atomic_load(&started[0]) && atomic_load(&started[1]), 20);
    int s0 = atomic_load(&started[0]), s1 = atomic_load(&started[1]);
    atomic_store(&give_up, 1);
    MN_JOIN(p, NULL);
    MN_STATS(&b);
    MN_STOP();
    tl_check(both,
             "a user thread spawned two children that spin (without yielding) "
             "until both have started; they sit on ONE carrier's local queue, "
             "so the other carrier must steal one. In 20 s, started: child 0 "
             "%s, child 1 %s. Hint: Task 4.2 (an idle carrier tries the other local "
             "queues before it parks) and Task 3.2 (queuing work wakes a "
             "parked carrier).", s0 ? "yes" : "no", s1 ? "yes" : "no");
    tl_check(atomic_load(&carrier_of[0]) != atomic_load(&carrier_of[1]),
             "the two children ran at once but both on carrier %d?",
             atomic_load(&carrier_of[0]));
    tl_check(b.steals > a.steals, "a child ran on the other carrier, but "
             "mn_stats().steals did not grow (%lu -> %lu): count a pick from "
             "another carrier's queue as a steal.", a.steals, b.steals);
}
