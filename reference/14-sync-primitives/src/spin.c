/*
 * spin.c - Task 5 (ticket lock, MCS queue lock) and Task 6 (seqlock).
 * No futex here: these spin (sp_spin in sp_internal.h).
 */
#include "sp_internal.h"

int sp_ticket_init(struct sp_ticket *t)
{
#ifdef SOLUTION
    if (!t)
        return EINVAL;
    atomic_init(&t->next, 0);
    atomic_init(&t->serving, 0);
    return 0;
#else
    /* TODO 5.1: both counters 0. */
    return ENOSYS;
#endif
}

void sp_ticket_lock(struct sp_ticket *t)
{
#ifdef SOLUTION
    /* One atomic increment: two threads never hold the same ticket. */
    uint32_t mine = atomic_fetch_add_explicit(&t->next, 1, memory_order_relaxed);
    unsigned round = 0;
    /* acquire: pairs with the release store of the previous holder */
    while (atomic_load_explicit(&t->serving, memory_order_acquire) != mine)
        sp_spin(&round);
#else
    /* TODO 5.2: take a ticket (atomically), spin until it is served. */
#endif
}

void sp_ticket_unlock(struct sp_ticket *t)
{
#ifdef SOLUTION
    /* Only the holder writes serving, so load + store is enough; release
     * publishes the critical section to the next ticket. */
    uint32_t s = atomic_load_explicit(&t->serving, memory_order_relaxed);
    if (s == atomic_load_explicit(&t->next, memory_order_relaxed))
        sp_panic("sp_ticket_unlock of a free ticket lock (serving %u)", s);
    atomic_store_explicit(&t->serving, s + 1, memory_order_release);
#else
    /* TODO 5.3: serve the next ticket. */
#endif
}

int sp_mcs_init(struct sp_mcs *l)
{
#ifdef SOLUTION
    if (!l)
        return EINVAL;
    atomic_init(&l->tail, NULL);
    return 0;
#else
    /* TODO 5.4: an empty queue. */
    return ENOSYS;
#endif
}

void sp_mcs_lock(struct sp_mcs *l, struct sp_mcs_node *me)
{
#ifdef SOLUTION
    atomic_store_explicit(&me->next, NULL, memory_order_relaxed);
    atomic_store_explicit(&me->locked, 1, memory_order_relaxed);
    /* acq_rel: release publishes my node's fields to the predecessor that
     * links to it; acquire pairs with the previous holder's CAS on tail. */
    struct sp_mcs_node *prev = atomic_exchange_explicit(&l->tail, me, memory_order_acq_rel);
    if (!prev)
        return;
    /* release: pairs with the acquire load of next in the predecessor's unlock */
    atomic_store_explicit(&prev->next, me, memory_order_release);
    unsigned round = 0;
    /* acquire: pairs with the release store of locked = 0 in unlock */
    while (atomic_load_explicit(&me->locked, memory_order_acquire))
        sp_spin(&round);
#else
    /* TODO 5.5: swap yourself in as the tail; with a predecessor, link
     * behind it and spin on your own node. */
#endif
}

void sp_mcs_unlock(struct sp_mcs *l, struct sp_mcs_node *me)
{
#ifdef SOLUTION
    struct sp_mcs_node *next = atomic_load_explicit(&me->next, memory_order_acquire);
    if (!next) {
        struct sp_mcs_node *expect = me;
        /* release: the next locker's exchange reads the freed tail */
        if (atomic_compare_exchange_strong_explicit(&l->tail, &expect, NULL,
                                                    memory_order_release, memory_order_relaxed))
            return;
        if (!expect)
            sp_panic("sp_mcs_unlock of a free MCS lock");
        /* A successor swapped itself in but has not linked yet: wait. */
        unsigned round = 0;
        while (!(next = atomic_load_explicit(&me->next, memory_order_acquire)))
            sp_spin(&round);
    }
    atomic_store_explicit(&next->locked, 0, memory_order_release);
#else
    /* TODO 5.6: hand the lock to your successor; with none, CAS the tail
     * back to NULL; if that fails, one is linking in: wait for it. */
#endif
}

int sp_seqlock_init(struct sp_seqlock *s)
{
#ifdef SOLUTION
    if (!s)
        return EINVAL;
    atomic_init(&s->seq, 0);
    return 0;
#else
    /* TODO 6.1: seq 0 (even: no writer). */
    return ENOSYS;
#endif
}

uint32_t sp_seq_read_begin(const struct sp_seqlock *s)
{
#ifdef SOLUTION
    unsigned round = 0;
    uint32_t v;
    /* acquire: pairs with the writer's release in write_unlock, so the data
     * read after it is at least that new */
    while ((v = atomic_load_explicit((_Atomic uint32_t *)&s->seq, memory_order_acquire)) & 1)
        sp_spin(&round);
    return v;
#else
    /* TODO 6.2: wait for an even seq and return it. */
    return 1;
#endif
}

int sp_seq_read_retry(const struct sp_seqlock *s, uint32_t start)
{
#ifdef SOLUTION
    /* The data loads must complete before seq is read again: an acquire
     * fence orders them (the loads are relaxed atomics). Pairs with the
     * writer's release fence in write_lock. */
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit((_Atomic uint32_t *)&s->seq, memory_order_relaxed) != start;
#else
    /* TODO 6.3: fence, then 1 if seq moved since start. */
    return 0;
#endif
}

void sp_seq_write_lock(struct sp_seqlock *s)
{
#ifdef SOLUTION
    unsigned round = 0;
    uint32_t v = atomic_load_explicit(&s->seq, memory_order_relaxed);
    for (;;) {
        if (!(v & 1) && atomic_compare_exchange_weak_explicit(&s->seq, &v, v + 1,
                                                              memory_order_acquire,
                                                              memory_order_relaxed))
            break;
        sp_spin(&round);
        v = atomic_load_explicit(&s->seq, memory_order_relaxed);
    }
    /* The odd seq must be visible before any data store: readers that see
     * a new datum then see seq moved (pairs with the reader's fence). */
    atomic_thread_fence(memory_order_release);
#else
    /* TODO 6.4: CAS seq from even to odd (this excludes other writers),
     * then a release fence before the data stores. */
#endif
}

void sp_seq_write_unlock(struct sp_seqlock *s)
{
#ifdef SOLUTION
    uint32_t v = atomic_load_explicit(&s->seq, memory_order_relaxed);
    if (!(v & 1))
        sp_panic("sp_seq_write_unlock without the write lock (seq %u)", v);
    /* release: the data stores happen before seq becomes even */
    atomic_store_explicit(&s->seq, v + 1, memory_order_release);
#else
    /* TODO 6.5: make seq even again (release). */
#endif
}
