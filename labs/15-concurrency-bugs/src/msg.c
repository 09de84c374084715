/*
 * msg.c - Task 7: a reference count that releases exactly once.
 *
 * Each holder drops its reference with msg_unref; the one that drops the
 * last must release the message, and only that one. "Decrement, then look
 * at the count" is two steps: between them, the other holders may drop
 * theirs too, and then two threads both see zero (one of them reading a
 * message that is already gone).
 */
#include "cb.h"

#include <stdlib.h>

struct msg *msg_new(long payload, void (*release)(struct msg *m))
{
    CB_ASSERT(release != NULL);
    struct msg *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    m->release = release;
    m->payload = payload;
    return m;
}

void msg_ref(struct msg *m)
{
    /* Relaxed: the caller holds a reference already, so the count cannot
     * reach zero meanwhile; nothing else is published by this increment. */
    int old = atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    CB_ASSERT(old > 0);
}

void msg_unref(struct msg *m)
{
    /* TODO 7.1: with several holders letting go at once, the message is
     * sometimes released twice, and AddressSanitizer reports a
     * heap-use-after-free on m->refs (handout Task 7). */
    atomic_fetch_sub(&m->refs, 1);
    cb_window(CB_SITE_MSG_UNREF, m);
    if (atomic_load(&m->refs) == 0)
        m->release(m);
}
