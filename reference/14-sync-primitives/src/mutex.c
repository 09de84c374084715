/*
 * mutex.c - Task 1 (the three-state futex mutex) and Task 2 (the
 * sequence-counter condition variable).
 */
#include "sp_internal.h"

int sp_mutex_init(struct sp_mutex *m)
{
#ifdef SOLUTION
    if (!m)
        return EINVAL;
    atomic_init(&m->state, 0);
    return 0;
#else
    /* TODO 1.1: set the state word to 0 (unlocked); EINVAL for NULL. */
    return ENOSYS;
#endif
}

void sp_mutex_lock(struct sp_mutex *m)
{
#ifdef SOLUTION
    uint32_t c = 0;
    /* The fast path: 0 -> 1, acquire (pairs with the release in unlock). */
    if (atomic_compare_exchange_strong_explicit(&m->state, &c, 1, memory_order_acquire,
                                                memory_order_relaxed))
        return;
    /* Contended: say "maybe someone sleeps" (2) before sleeping. Whoever
     * gets the lock from here on takes it as 2, because other sleepers may
     * remain and only a 2 makes their unlock wake one of them. */
    if (c != 2)
        c = atomic_exchange_explicit(&m->state, 2, memory_order_acquire);
    while (c != 0) {
        sp_futex_wait(&m->state, 2);
        c = atomic_exchange_explicit(&m->state, 2, memory_order_acquire);
    }
#else
    /* TODO 1.2: CAS 0 -> 1 (no system call); when that fails, swap in 2
     * and sleep on the word while it is 2, until your swap finds 0. */
#endif
}

int sp_mutex_trylock(struct sp_mutex *m)
{
#ifdef SOLUTION
    uint32_t c = 0;
    return atomic_compare_exchange_strong_explicit(&m->state, &c, 1, memory_order_acquire,
                                                   memory_order_relaxed) ? 0 : EBUSY;
#else
    /* TODO 1.3: one CAS 0 -> 1: 0 on success, EBUSY otherwise. */
    return ENOSYS;
#endif
}

void sp_mutex_unlock(struct sp_mutex *m)
{
#ifdef SOLUTION
    /* release: the critical section's writes reach the next owner. */
    uint32_t old = atomic_fetch_sub_explicit(&m->state, 1, memory_order_release);
    if (old == 1)
        return; /* nobody sleeps: no system call */
    if (old != 2)
        sp_panic("sp_mutex_unlock of a mutex that was not locked (state %u)", old);
    atomic_store_explicit(&m->state, 0, memory_order_release);
    sp_futex_wake(&m->state, 1);
#else
    /* TODO 1.4: 1 -> 0 with no system call; 2 -> 0 and wake one sleeper;
     * anything else is a misuse: sp_panic. */
#endif
}

int sp_cond_init(struct sp_cond *c)
{
#ifdef SOLUTION
    if (!c)
        return EINVAL;
    atomic_init(&c->seq, 0);
    atomic_init(&c->waiters, 0);
    return 0;
#else
    /* TODO 2.1: zero both words; EINVAL for NULL. */
    return ENOSYS;
#endif
}

void sp_cond_wait(struct sp_cond *c, struct sp_mutex *m)
{
#ifdef SOLUTION
    /* Both reads happen while m is held: a signaller that changes the
     * predicate under m and then signals either runs before this (and the
     * caller saw the predicate) or bumps seq after we read it (and the
     * kernel's compare in the wait sees the new value). seq_cst on
     * waiters pairs with the signaller's seq_cst bump then load. */
    atomic_fetch_add_explicit(&c->waiters, 1, memory_order_seq_cst);
    uint32_t seen = atomic_load_explicit(&c->seq, memory_order_seq_cst);
    sp_mutex_unlock(m);
    sp_futex_wait(&c->seq, seen);
    atomic_fetch_sub_explicit(&c->waiters, 1, memory_order_relaxed);
    sp_mutex_lock(m);
#else
    /* TODO 2.2: register as a waiter and read seq while you hold m; unlock;
     * sleep on seq while it still has the value you read; lock m again. */
#endif
}

#ifdef SOLUTION
static void cond_wake(struct sp_cond *c, int n)
{
    atomic_fetch_add_explicit(&c->seq, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&c->waiters, memory_order_seq_cst) > 0)
        sp_futex_wake(&c->seq, n);
}
#endif

void sp_cond_signal(struct sp_cond *c)
{
#ifdef SOLUTION
    cond_wake(c, 1);
#else
    /* TODO 2.3: bump seq, then wake one sleeper if anyone waits. */
#endif
}

void sp_cond_broadcast(struct sp_cond *c)
{
#ifdef SOLUTION
    cond_wake(c, INT_MAX);
#else
    /* TODO 2.4: as signal, but wake them all. */
#endif
}
