/*
 * ws_deque.c - the Chase-Lev work-stealing deque (handout Task 1).
 *
 * D. Chase and Y. Lev, "Dynamic Circular Work-Stealing Deque", SPAA 2005;
 * the memory orders and fences are those of N. M. Le, A. Pop, A. Cohen and
 * F. Zappa Nardelli, "Correct and Efficient Work-Stealing for Weak Memory
 * Models", PPoPP 2013 (their Figure 1), with signed indices so that
 * bottom - 1 on an empty deque is -1, not a huge unsigned number.
 *
 * The two orderings that matter:
 *  - PUBLISH: push writes the item, then (release fence) bottom; a thief
 *    reads bottom with acquire and only then the item.
 *  - THE LAST ITEM: pop stores bottom then loads top, a thief loads top
 *    then bottom. Each side needs to see the other's first access or both
 *    take the same item: a store followed by a load of another location is
 *    the one reordering x86 does (the store waits in the store buffer), so
 *    both sides put a seq_cst fence between (an mfence on x86).
 */
#include "ws_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ws_panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ws panic at %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

__attribute__((unused)) static struct ws_array *array_new(long size)
{
    struct ws_array *a = malloc(sizeof *a + (size_t)size * sizeof a->buf[0]);
    if (!a)
        return NULL;
    a->size = size;
    a->mask = size - 1;
    a->prev = NULL;
    return a;
}

struct ws_deque *ws_deque_new(unsigned log_cap)
{
    /* TODO 1.1: check log_cap (EINVAL above 30), malloc the deque and an
     * array of 2^log_cap items (array_new), top = bottom = 0 (atomic_init:
     * nobody else sees the deque yet). */
    (void)log_cap;
    errno = ENOSYS;
    return NULL;
}

void ws_deque_free(struct ws_deque *d)
{
    /* TODO 1.5: free the current array, every array on its prev (retire)
     * list, and the deque. */
    (void)d;
}

/* Owner only: an array twice the size holding items [t, b), published with
 * release so a thief that loads it (acquire) sees it filled. The old one
 * goes on the retire list: a thief that loaded it before may still read it. */
__attribute__((unused)) static struct ws_array *grow(struct ws_deque *d, struct ws_array *a,
                                                     long t, long b)
{
    /* TODO 1.4: array_new(2 * size) (NULL on failure); copy items [t, b)
     * to the SAME indices (slot i & new mask), relaxed; na->prev = a (the
     * retire list); publish with a release store of d->array. */
    (void)d; (void)a; (void)t; (void)b;
    return NULL;
}

int ws_deque_push(struct ws_deque *d, void *item)
{
    /* TODO 1.2: load bottom (relaxed), top (acquire), array (relaxed); if
     * b - t > size - 1, grow (TODO 1.4); store the item in buf[b & mask]
     * (relaxed); a RELEASE fence; store bottom = b + 1 (WS_BOTTOM_PUBLISH).
     * EINVAL for a NULL or WS_ABORT item, ENOMEM if growth failed. */
    (void)d; (void)item;
    return ENOSYS;
}

void *ws_deque_pop(struct ws_deque *d)
{
    /* TODO 1.3: b = bottom - 1 (relaxed); store bottom = b (relaxed); a
     * SEQ_CST fence (the store must be visible before top is read: why is
     * the heart of the handout); t = top (relaxed). t < b: take buf[b].
     * t == b: the last item, CAS top from t to t + 1 (seq_cst) to win it
     * from the thieves, then bottom = b + 1. t > b: empty, bottom = b + 1. */
    (void)d;
    return NULL;
}

void *ws_deque_steal(struct ws_deque *d)
{
    /* TODO 1.6: t = top (acquire); a SEQ_CST fence; b = bottom (acquire);
     * t >= b: WS_EMPTY. Else read buf[t & mask] of the array (acquire),
     * then CAS top from t to t + 1 (seq_cst): success, the item is yours;
     * failure, WS_ABORT. */
    (void)d;
    return WS_EMPTY;
}

long ws_deque_size(struct ws_deque *d)
{
    /* relaxed: a hint */
    long b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    long t = atomic_load_explicit(&d->top, memory_order_relaxed);
    return b > t ? b - t : 0;
}

long ws_deque_capacity(struct ws_deque *d)
{
    /* acquire: pairs with the release in grow */
    return atomic_load_explicit(&d->array, memory_order_acquire)->size;
}
