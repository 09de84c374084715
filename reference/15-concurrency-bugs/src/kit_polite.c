/*
 * kit_polite.c - kit code: the polite pair's lockstep stepper (cb_kit.h).
 * Not graded.
 *
 * While both threads are active, steps alternate strictly: 0, 1, 0, 1...
 * A thread whose turn it is not spins (yielding) until the other has taken
 * its step. That is the schedule under which two threads that back off by
 * the same amount stay in step for ever.
 */
#include "cb_kit.h"

#include <sched.h>

void pp_init(struct pp *p, uint64_t seed)
{
    for (int i = 0; i < 2; i++) {
        atomic_init(&p->fork[i], 0);
        atomic_init(&p->active[i], 0);
        atomic_init(&p->steps[i], 0);
        atomic_init(&p->acquired[i], 0);
        p->rng[i] = (seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(i + 1))) | 1;
    }
    atomic_init(&p->turn, 0);
}

void pp_begin(struct pp *p, int me)
{
    atomic_store(&p->active[me], 1);
}

void pp_end(struct pp *p, int me)
{
    atomic_store(&p->active[me], 0);
}

/* Wait for my turn (or for the other thread to leave). */
static void step_in(struct pp *p, int me)
{
    CB_ASSERT(me == 0 || me == 1);
    while (atomic_load(&p->turn) != me && atomic_load(&p->active[1 - me]))
        sched_yield();
}

static void step_out(struct pp *p, int me)
{
    atomic_fetch_add(&p->steps[me], 1);
    atomic_store(&p->turn, 1 - me);
}

int pp_take(struct pp *p, int me, int f)
{
    CB_ASSERT(f == 0 || f == 1);
    step_in(p, me);
    int expect = 0;
    int got = atomic_compare_exchange_strong(&p->fork[f], &expect, me + 1);
    CB_ASSERT(got || expect == 2 - me); /* never take a fork twice */
    step_out(p, me);
    return got;
}

void pp_put(struct pp *p, int me, int f)
{
    CB_ASSERT(f == 0 || f == 1);
    step_in(p, me);
    CB_ASSERT(atomic_load(&p->fork[f]) == me + 1);
    atomic_store(&p->fork[f], 0);
    step_out(p, me);
}

void pp_pause(struct pp *p, int me, int ticks)
{
    CB_ASSERT(ticks >= 1);
    for (int i = 0; i < ticks; i++) {
        step_in(p, me);
        step_out(p, me);
    }
}

uint32_t pp_random(struct pp *p, int me)
{
    uint64_t x = p->rng[me];
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p->rng[me] = x;
    return (uint32_t)(x >> 32);
}
