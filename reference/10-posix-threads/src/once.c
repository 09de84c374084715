/*
 * once.c - Task 5: run an initialiser exactly once, cheaply ever after.
 *
 * Double-checked initialisation. The fast path is one load of `done`; it
 * must be an ACQUIRE load, pairing with the RELEASE store made after init
 * returned: a thread that reads done == 1 then also sees everything init
 * wrote. With relaxed (or plain) accesses the CPU or compiler may let it
 * see done == 1 but stale data.
 */
#include "ptl.h"

#include <errno.h>
#include <valgrind/helgrind.h>

int once_call(struct once *o, void (*init)(void *), void *arg)
{
#ifdef SOLUTION
    if (!o || !init)
        return EINVAL;
    /* Fast path. Acquire: pairs with the release store below. */
    if (atomic_load_explicit(&o->done, memory_order_acquire)) {
        /* helgrind cannot see C11 atomics: tell it about the edge (a no-op
         * outside valgrind). */
        ANNOTATE_HAPPENS_AFTER(&o->done);
        return 0;
    }
    PTL_CHECK(pthread_mutex_lock(&o->lock));
    /* Relaxed is enough here: the mutex orders us after any earlier
     * initialiser, who stored done while holding it. */
    if (!atomic_load_explicit(&o->done, memory_order_relaxed)) {
        init(arg);
        /* helgrind: stop checking `done` itself (its accesses are atomic)
         * before its only store, and give it the release edge. */
        ANNOTATE_BENIGN_RACE_SIZED(&o->done, sizeof o->done, "C11 atomic flag");
        ANNOTATE_HAPPENS_BEFORE(&o->done);
        /* Release: init's writes become visible before done == 1 does. */
        atomic_store_explicit(&o->done, 1, memory_order_release);
    }
    PTL_CHECK(pthread_mutex_unlock(&o->lock));
    return 0;
#else
    /* TODO 5.1: EINVAL for NULL o or init.
     * TODO 5.2: fast path: atomic_load_explicit(&o->done,
     *           memory_order_acquire); if 1, return 0 at once (no lock).
     * TODO 5.3: slow path: lock o->lock; test done again (another thread
     *           may have run init while you waited for the lock); if still
     *           0: call init(arg), then atomic_store_explicit(&o->done, 1,
     *           memory_order_release). Unlock. Name, in a comment, which
     *           operation each atomic pairs with.
     * TODO 5.4 (for helgrind, which cannot see C11 atomics; <valgrind/helgrind.h>
     *           is included above, and outside valgrind these cost nothing):
     *           just before the release store put
     *             ANNOTATE_BENIGN_RACE_SIZED(&o->done, sizeof o->done, "atomic");
     *             ANNOTATE_HAPPENS_BEFORE(&o->done);
     *           and just after an acquire load that saw 1 put
     *             ANNOTATE_HAPPENS_AFTER(&o->done); */
    return ENOSYS;
#endif
}
