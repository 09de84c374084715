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
#ifdef SOLUTION
    if (log_cap > 30) {
        errno = EINVAL;
        return NULL;
    }
    struct ws_deque *d = malloc(sizeof *d);
    struct ws_array *a = array_new(1L << log_cap);
    if (!d || !a) {
        free(d);
        free(a);
        errno = ENOMEM;
        return NULL;
    }
    atomic_init(&d->top, 0);
    atomic_init(&d->bottom, 0);
    atomic_init(&d->array, a);
    return d;
#else
    /* TODO 1.1: check log_cap (EINVAL above 30), malloc the deque and an
     * array of 2^log_cap items (array_new), top = bottom = 0 (atomic_init:
     * nobody else sees the deque yet). */
    (void)log_cap;
    errno = ENOSYS;
    return NULL;
#endif
}

void ws_deque_free(struct ws_deque *d)
{
#ifdef SOLUTION
    if (!d)
        return;
    /* Every thread is done: relaxed is enough, the joins ordered us. */
    struct ws_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    while (a) {
        struct ws_array *prev = a->prev;
        free(a);
        a = prev;
    }
    free(d);
#else
    /* TODO 1.5: free the current array, every array on its prev (retire)
     * list, and the deque. */
    (void)d;
#endif
}

/* Owner only: an array twice the size holding items [t, b), published with
 * release so a thief that loads it (acquire) sees it filled. The old one
 * goes on the retire list: a thief that loaded it before may still read it. */
__attribute__((unused)) static struct ws_array *grow(struct ws_deque *d, struct ws_array *a,
                                                     long t, long b)
{
#ifdef SOLUTION
    struct ws_array *na = array_new(a->size * 2);
    if (!na)
        return NULL;
    for (long i = t; i < b; i++)
        atomic_store_explicit(&na->buf[i & na->mask],
                              atomic_load_explicit(&a->buf[i & a->mask], memory_order_relaxed),
                              memory_order_relaxed);
    na->prev = a;
    /* release: pairs with the acquire load of array in steal. The paper
     * stores relaxed here and leans on push's release fence; the release
     * costs nothing on x86 and orders the array's initialisation for a
     * thief that reads this pointer before the bottom that follows it. */
    atomic_store_explicit(&d->array, na, memory_order_release);
    return na;
#else
    /* TODO 1.4: array_new(2 * size) (NULL on failure); copy items [t, b)
     * to the SAME indices (slot i & new mask), relaxed; na->prev = a (the
     * retire list); publish with a release store of d->array. */
    (void)d; (void)a; (void)t; (void)b;
    return NULL;
#endif
}

int ws_deque_push(struct ws_deque *d, void *item)
{
#ifdef SOLUTION
    if (!item || item == WS_ABORT)
        return EINVAL;
    /* relaxed: only the owner writes bottom */
    long b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    /* acquire: pairs with the CAS on top in steal (a slot a thief has
     * taken may be reused only after its read of the slot) */
    long t = atomic_load_explicit(&d->top, memory_order_acquire);
    /* relaxed: only the owner writes array */
    struct ws_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    if (b - t > a->size - 1) {
        a = grow(d, a, t, b);
        if (!a)
            return ENOMEM;
    }
    /* relaxed: published by the fence and the store of bottom below */
    atomic_store_explicit(&a->buf[b & a->mask], item, memory_order_relaxed);
    /* release fence: pairs with the acquire load of bottom in steal; the
     * item (and what it points to) is visible before the new bottom */
    atomic_thread_fence(memory_order_release);
    /* relaxed after the fence (release under TSan: ws_internal.h) */
    atomic_store_explicit(&d->bottom, b + 1, WS_BOTTOM_PUBLISH);
    return 0;
#else
    /* TODO 1.2: load bottom (relaxed), top (acquire), array (relaxed); if
     * b - t > size - 1, grow (TODO 1.4); store the item in buf[b & mask]
     * (relaxed); a RELEASE fence; store bottom = b + 1 (WS_BOTTOM_PUBLISH).
     * EINVAL for a NULL or WS_ABORT item, ENOMEM if growth failed. */
    (void)d; (void)item;
    return ENOSYS;
#endif
}

void *ws_deque_pop(struct ws_deque *d)
{
#ifdef SOLUTION
    /* relaxed: only the owner writes bottom and array */
    long b = atomic_load_explicit(&d->bottom, memory_order_relaxed) - 1;
    struct ws_array *a = atomic_load_explicit(&d->array, memory_order_relaxed);
    /* relaxed: claims slot b; the fence below orders it before the load of top */
    atomic_store_explicit(&d->bottom, b, memory_order_relaxed);
    /* seq_cst fence: pairs with the seq_cst fence in steal. Without it the
     * store of bottom may still sit in the store buffer when top is read:
     * a thief then sees the old bottom and takes item b while we take it too. */
    atomic_thread_fence(memory_order_seq_cst);
    /* relaxed: ordered by the fence */
    long t = atomic_load_explicit(&d->top, memory_order_relaxed);
    void *x;
    if (t <= b) {
        /* relaxed: we wrote it */
        x = atomic_load_explicit(&a->buf[b & a->mask], memory_order_relaxed);
        if (t == b) {
            /* the last item: race the thieves for it with a CAS on top
             * (seq_cst, pairs with the CAS in steal) */
            if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                         memory_order_relaxed))
                x = NULL;
            /* relaxed: the deque is empty, top = b + 1 either way */
            atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
        }
    } else {
        x = NULL;
        /* relaxed: undo the claim, the deque was empty */
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
    }
    return x;
#else
    /* TODO 1.3: b = bottom - 1 (relaxed); store bottom = b (relaxed); a
     * SEQ_CST fence (the store must be visible before top is read: why is
     * the heart of the handout); t = top (relaxed). t < b: take buf[b].
     * t == b: the last item, CAS top from t to t + 1 (seq_cst) to win it
     * from the thieves, then bottom = b + 1. t > b: empty, bottom = b + 1. */
    (void)d;
    return NULL;
#endif
}

void *ws_deque_steal(struct ws_deque *d)
{
#ifdef SOLUTION
    /* acquire: pairs with the CAS on top of other thieves and pop */
    long t = atomic_load_explicit(&d->top, memory_order_acquire);
    /* seq_cst fence: pairs with the fence in pop (top before bottom here,
     * bottom before top there) */
    atomic_thread_fence(memory_order_seq_cst);
    /* acquire: pairs with push's release fence + store of bottom */
    long b = atomic_load_explicit(&d->bottom, memory_order_acquire);
    if (t >= b)
        return WS_EMPTY;
    /* acquire: pairs with the release store in grow (the paper: consume) */
    struct ws_array *a = atomic_load_explicit(&d->array, memory_order_acquire);
    /* relaxed: the item is ours only if the CAS below succeeds */
    void *x = atomic_load_explicit(&a->buf[t & a->mask], memory_order_relaxed);
    /* seq_cst: pairs with the CAS in pop and in other thieves; a failure
     * means someone took item t first */
    if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return WS_ABORT;
    return x;
#else
    /* TODO 1.6: t = top (acquire); a SEQ_CST fence; b = bottom (acquire);
     * t >= b: WS_EMPTY. Else read buf[t & mask] of the array (acquire),
     * then CAS top from t to t + 1 (seq_cst): success, the item is yours;
     * failure, WS_ABORT. */
    (void)d;
    return WS_EMPTY;
#endif
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
