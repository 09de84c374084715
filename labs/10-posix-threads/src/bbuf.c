/*
 * bbuf.c - Task 2: a bounded producer-consumer buffer.
 *
 * One mutex guards the ring; two condition variables say why a thread
 * waits: not_full (producers) and not_empty (consumers). Every wait sits in
 * a loop that re-tests its predicate, because a wakeup only means "look
 * again": it may be spurious, or another thread may have got there first.
 */
#include "ptl.h"
#include "ptl_internal.h"

#include <errno.h>
#include <stdlib.h>

int bbuf_init(struct bbuf *b, size_t cap)
{
    /* TODO 2.1: check the arguments (EINVAL), allocate cap slots (ENOMEM),
     *           set every counter to 0, then initialise the mutex and both
     *           condition variables. Use a pthread_condattr_t with
     *           pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) so timed
     *           waits (TODO 2.5) use the clock ptl_deadline_ms() reads.
     *           pthread_*_init can fail (ENOMEM, EAGAIN): undo what you did
     *           and return that error. */
    return ENOSYS;
}

int bbuf_destroy(struct bbuf *b)
{
    /* TODO 2.7: EBUSY if a thread waits (read the counters under the
     *           lock); else destroy both condvars and the mutex (PTL_CHECK)
     *           and free the slots. */
    return ENOSYS;
}


int bbuf_put(struct bbuf *b, void *item)
{
    /* TODO 2.2: lock; while the buffer is full and not closed, count
     *           yourself in nput_waiting, pthread_cond_wait on not_full,
     *           count yourself out. A `while`, never an `if`: wakeups can
     *           be spurious, and another producer may take the slot first.
     *           If closed: unlock, return EPIPE. Else store the item at
     *           (head + count) % cap, count++, signal not_empty (one item
     *           is work for one consumer), unlock. Check every pthread
     *           call with PTL_CHECK. */
    return ENOSYS;
}

int bbuf_get(struct bbuf *b, void **item)
{
    /* TODO 2.3: the mirror of put: wait on not_empty while count == 0 and
     *           not closed; closed and empty -> EPIPE (items left after a
     *           close are still delivered); else take slots[head], advance
     *           head, count--, signal not_full. */
    return ENOSYS;
}

int bbuf_close(struct bbuf *b)
{
    /* TODO 2.4: set closed under the lock and wake EVERY waiter on both
     *           condition variables. Think: how many threads does
     *           pthread_cond_signal wake, and how many must see `closed`? */
    return ENOSYS;
}

int bbuf_put_timed(struct bbuf *b, void *item, long timeout_ms)
{
    /* TODO 2.5: as bbuf_put, but compute the deadline once with
     *           ptl_deadline_ms() and wait with pthread_cond_timedwait.
     *           On ETIMEDOUT re-test the predicate once more (a get may
     *           have freed a slot just as time ran out): still full ->
     *           return ETIMEDOUT without storing. timeout_ms == 0: never
     *           wait. timeout_ms < 0: EINVAL. Tip: write one static helper
     *           put_until(b, item, deadline or NULL) used by both. */
    return ENOSYS;
}

int bbuf_get_timed(struct bbuf *b, void **item, long timeout_ms)
{
    /* TODO 2.6: the mirror of TODO 2.5 for get. */
    return ENOSYS;
}
