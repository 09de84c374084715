/*
 * tstack.c - Task 6: a Treiber stack that survives node reuse (ABA).
 *
 * Pop reads the top node A and the node below it, B, then swings top from
 * A to B with a compare-and-swap. Between the read and the CAS, other
 * threads may pop A, pop B, and push A back: top is A again, so a CAS that
 * compares only "which node is on top" succeeds, and installs B, a node
 * that now belongs to somebody else.
 */
#include "cb.h"

#define IDX(w) ((uint32_t)(w))          /* index + 1 of the top, 0: empty */
#define TAG(w) ((uint32_t)((w) >> 32))  /* the high half of top */
#define WORD(tag, idx1) (((uint64_t)(tag) << 32) | (uint64_t)(idx1))

void tstack_init(struct tstack *s, struct ts_node *pool, unsigned npool)
{
    CB_ASSERT(npool <= TS_MAX_NODES);
    s->pool = pool;
    s->npool = npool;
    atomic_init(&s->top, 0);
}

/* The word that makes `idx1` the top, after `old`. */
static uint64_t next_word(uint64_t old, uint32_t idx1)
{
#ifdef SOLUTION
    /* A version number in the high half, bumped by every successful CAS:
     * top returns to node A only with another tag, so a pop that read the
     * old top fails its CAS and starts again. 2^32 changes would have to
     * happen inside one pop's window for the tag to come back. */
    return WORD(TAG(old) + 1, idx1);
#else
    /* TODO 6.1: the stress test finds one node handed to two threads
     * (and the stack then loses or repeats nodes) when, during one pop,
     * other threads pop its top node and the one below and push the top
     * one back. The CAS cannot tell that top changed and came back. Make
     * it tell, using the high half of top (handout Task 6). */
    (void)old;
    return WORD(0, idx1);
#endif
}

void tstack_push(struct tstack *s, unsigned idx)
{
    CB_ASSERT(idx < s->npool);
    struct ts_node *n = &s->pool[idx];
    uint64_t old = atomic_load_explicit(&s->top, memory_order_relaxed);
    do {
        atomic_store_explicit(&n->next, IDX(old), memory_order_relaxed);
        /* Release on success: n->next (and the caller's writes to the node)
         * before n is visible on top; pairs with pop's acquire loads. */
    } while (!atomic_compare_exchange_weak_explicit(&s->top, &old, next_word(old, idx + 1),
                                                    memory_order_release, memory_order_relaxed));
}

int tstack_pop(struct tstack *s)
{
    /* Acquire: pairs with the release CAS that pushed the top node, so its
     * next field (and its contents) are visible. */
    uint64_t old = atomic_load_explicit(&s->top, memory_order_acquire);
    for (;;) {
        uint32_t idx1 = IDX(old);
        if (idx1 == 0)
            return -1;
        uint32_t below = atomic_load_explicit(&s->pool[idx1 - 1].next, memory_order_relaxed);
        cb_window(CB_SITE_TSTACK_POP, s);
        if (atomic_compare_exchange_weak_explicit(&s->top, &old, next_word(old, below),
                                                  memory_order_acquire, memory_order_acquire))
            return (int)idx1 - 1;
    }
}
