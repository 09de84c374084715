/*
 * polite.c - Task 2: a polite pair that always gets its work done.
 *
 * Each thread takes its own fork, then tries the other's. If the other is
 * taken, it politely puts its own fork down, waits, and tries again, so it
 * never holds one fork while blocking on the other (no deadlock). But two
 * equally polite threads can stay in step for ever: both take, both find
 * the other fork taken, both put down, both wait the same time...
 */
#include "cb.h"

void polite_acquire(struct pp *p, int me)
{
    int mine = me, theirs = 1 - me;
    /* TODO 2.1: under the kit's lockstep scheduler both threads run this
     * loop for ever and neither returns: the test counts thousands of
     * steps and no acquisition (a livelock). Make each call return after a
     * bounded number of steps, whatever the other thread does (Task 2). */
    for (;;) {
        if (pp_take(p, me, mine)) {
            if (pp_take(p, me, theirs))
                return;
            pp_put(p, me, mine);
        }
        pp_pause(p, me, 1);
    }
}

void polite_release(struct pp *p, int me)
{
    pp_put(p, me, 1 - me);
    pp_put(p, me, me);
}
