/*
 * chan.c - channels (Go: runtime/chan.go) and a WaitGroup.
 *
 * A channel is a lock, a ring buffer of cap values, and two FIFO queues of
 * parked Gs (sudogs): receivers waiting for a value and senders waiting
 * for room. A value goes straight from a sender to a parked receiver (or
 * the other way) without touching the buffer when someone is waiting.
 *
 * M7 (Task 7.2): every public function here starts with GMP_NOPREEMPT(),
 * so the preemption signal never switches a G off while it holds a
 * channel's lock.
 */
#include "gmp_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


gmp_chan *gmp_chan_make(size_t elemsize, size_t cap)
{
    /* TODO 2.2: allocate the hchan and its ring of cap * elemsize bytes. */
    errno = ENOSYS;
    return NULL;
}


void gmp_chan_send(gmp_chan *c, const void *elem)
{
    /* TODO 2.3: chansend. Closed: gmp_panic. A parked receiver: copy to
     *           it, success = 1, gmp_ready it. Room in buf: copy in. Else
     *           park on sendq with a sudog on your stack (PARK_PARKING under
     *           c->lock, then gmp_park); woken with success 0 = closed. */
    gmp_panic("gmp_chan_send is not written yet: handout Task 2.3");
}

int gmp_chan_recv(gmp_chan *c, void *elem)
{
    /* TODO 2.4: chanrecv. A parked sender: take its value (cap 0) or the
     *           buffer's head and put its value at the tail; ready it.
     *           A value in buf: take it. Closed and empty: zero, 0. Else
     *           park on recvq; woken with success 0 = closed. */
    gmp_panic("gmp_chan_recv is not written yet: handout Task 2.4");
}

void gmp_chan_close(gmp_chan *c)
{
    /* TODO 2.5: closechan. Closed already: gmp_panic. Mark closed, take
     *           EVERY parked receiver (zeroed value, success 0) and sender
     *           (success 0) off the queues, then ready them all. */
    gmp_panic("gmp_chan_close is not written yet: handout Task 2.5");
}

size_t gmp_chan_len(gmp_chan *c)
{
    /* TODO 2.2 */
    return 0;
}

size_t gmp_chan_cap(gmp_chan *c)
{
    /* TODO 2.2 */
    return 0;
}

void gmp_chan_free(gmp_chan *c)
{
    /* TODO 2.2 */
}

/* ================================================================== */
/* select (Task 3.1; Go: selectgo)                                     */
/* ================================================================== */


int gmp_select(struct gmp_case *cases, int n, int block)
{
    /* TODO 3.1: selectgo. Lock the cases' channels in address order; try
     *           them in a random order (pollorder) and do the first that
     *           can proceed. None: -1 without block; else a sudog on every
     *           channel (isselect, its case index), park, and when woken
     *           (g->param: the sudog that won) take the others back. A
     *           waker must win g->selectdone before it may use a select's
     *           sudog. */
    errno = ENOSYS;
    return -1;
}

/* ================================================================== */
/* WaitGroup (Task 2.6)                                                */
/* ================================================================== */

gmp_wg *gmp_wg_new(void)
{
    /* TODO 2.6 */
    errno = ENOSYS;
    return NULL;
}

void gmp_wg_add(gmp_wg *wg, long delta)
{
    /* TODO 2.6: count += delta (below 0: gmp_panic); at 0 ready every
     *           waiter, after unlocking. */
    gmp_panic("gmp_wg_add is not written yet: handout Task 2.6");
}

void gmp_wg_done(gmp_wg *wg)
{
    gmp_wg_add(wg, -1);
}

void gmp_wg_wait(gmp_wg *wg)
{
    /* TODO 2.6: park on waiters unless the count is 0. */
    gmp_panic("gmp_wg_wait is not written yet: handout Task 2.6");
}

void gmp_wg_free(gmp_wg *wg)
{
    /* TODO 2.6 */
}
