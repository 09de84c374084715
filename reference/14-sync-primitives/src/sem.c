/*
 * sem.c - Task 3 (counting semaphore, barrier) and Task 4 (the
 * writer-preferring reader-writer lock).
 */
#include "sp_internal.h"

int sp_sem_init(struct sp_sem *s, unsigned value)
{
#ifdef SOLUTION
    if (!s || value > SP_SEM_MAX)
        return EINVAL;
    atomic_init(&s->value, value);
    atomic_init(&s->waiters, 0);
    return 0;
#else
    /* TODO 3.1: the count starts at value (EINVAL above SP_SEM_MAX). */
    return ENOSYS;
#endif
}

int sp_sem_trywait(struct sp_sem *s)
{
#ifdef SOLUTION
    uint32_t v = atomic_load_explicit(&s->value, memory_order_relaxed);
    while (v > 0)
        /* acquire: pairs with the release of the post that gave the unit */
        if (atomic_compare_exchange_weak_explicit(&s->value, &v, v - 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
    return EAGAIN;
#else
    /* TODO 3.2: CAS the count down by one while it is above 0. */
    return ENOSYS;
#endif
}

void sp_sem_wait(struct sp_sem *s)
{
#ifdef SOLUTION
    while (sp_sem_trywait(s) != 0) {
        /* Announce, then sleep while the count is 0. seq_cst pairs with
         * post's seq_cst add then load: either post sees waiters > 0 and
         * wakes, or the kernel's compare sees value != 0. */
        atomic_fetch_add_explicit(&s->waiters, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&s->value, memory_order_seq_cst) == 0)
            sp_futex_wait(&s->value, 0);
        atomic_fetch_sub_explicit(&s->waiters, 1, memory_order_relaxed);
    }
#else
    /* TODO 3.3: take a unit; if there is none, count yourself a waiter and
     * sleep on the count while it is 0; try again. */
#endif
}

void sp_sem_post(struct sp_sem *s)
{
#ifdef SOLUTION
    uint32_t old = atomic_fetch_add_explicit(&s->value, 1, memory_order_seq_cst);
    if (old >= SP_SEM_MAX)
        sp_panic("sp_sem_post: the count overflowed SP_SEM_MAX");
    if (atomic_load_explicit(&s->waiters, memory_order_seq_cst) > 0)
        sp_futex_wake(&s->value, 1);
#else
    /* TODO 3.4: add a unit (release), then wake one sleeper only if someone
     * may sleep. */
#endif
}

int sp_barrier_init(struct sp_barrier *b, unsigned count)
{
#ifdef SOLUTION
    if (!b || count == 0)
        return EINVAL;
    b->count = count;
    atomic_init(&b->arrived, 0);
    atomic_init(&b->phase, 0);
    return 0;
#else
    /* TODO 3.5: count >= 1; nobody arrived; phase 0. */
    return ENOSYS;
#endif
}

int sp_barrier_wait(struct sp_barrier *b)
{
#ifdef SOLUTION
    /* Read the phase before arriving: it cannot move until we arrive. */
    uint32_t ph = atomic_load_explicit(&b->phase, memory_order_acquire);
    uint32_t n = atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) + 1;
    if (n > b->count)
        sp_panic("sp_barrier_wait: %u arrivals in a phase of %u", n, b->count);
    if (n == b->count) {
        /* Nobody else can touch arrived until the phase moves. */
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
        /* release: pairs with the waiters' acquire load of phase */
        atomic_fetch_add_explicit(&b->phase, 1, memory_order_release);
        if (b->count > 1)
            sp_futex_wake(&b->phase, INT_MAX);
        return SP_BARRIER_SERIAL;
    }
    while (atomic_load_explicit(&b->phase, memory_order_acquire) == ph)
        sp_futex_wait(&b->phase, ph);
    return 0;
#else
    /* TODO 3.6: note the phase, arrive; the last arrival resets arrived,
     * advances the phase and wakes everyone; the others sleep while the
     * phase is the one they noted. */
    return ENOSYS;
#endif
}

int sp_rwlock_init(struct sp_rwlock *rw)
{
#ifdef SOLUTION
    if (!rw)
        return EINVAL;
    sp_mutex_init(&rw->lock);
    sp_cond_init(&rw->readers_ok);
    sp_cond_init(&rw->writer_ok);
    rw->readers = rw->writer = rw->writers_waiting = 0;
    return 0;
#else
    /* TODO 4.1: a free lock, nobody waiting. */
    return ENOSYS;
#endif
}

void sp_rwlock_rdlock(struct sp_rwlock *rw)
{
#ifdef SOLUTION
    sp_mutex_lock(&rw->lock);
    /* Writer preference: a waiting writer goes first. */
    while (rw->writer || rw->writers_waiting)
        sp_cond_wait(&rw->readers_ok, &rw->lock);
    rw->readers++;
    sp_mutex_unlock(&rw->lock);
#else
    /* TODO 4.2: wait while a writer is inside OR waits; then count in. */
#endif
}

void sp_rwlock_rdunlock(struct sp_rwlock *rw)
{
#ifdef SOLUTION
    sp_mutex_lock(&rw->lock);
    if (rw->readers == 0 || rw->writer)
        sp_panic("sp_rwlock_rdunlock without a read lock (readers %u writer %u)", rw->readers,
                 rw->writer);
    if (--rw->readers == 0 && rw->writers_waiting)
        sp_cond_signal(&rw->writer_ok);
    sp_mutex_unlock(&rw->lock);
#else
    /* TODO 4.3: count out; the last reader out lets a waiting writer in. */
#endif
}

void sp_rwlock_wrlock(struct sp_rwlock *rw)
{
#ifdef SOLUTION
    sp_mutex_lock(&rw->lock);
    rw->writers_waiting++;
    while (rw->writer || rw->readers)
        sp_cond_wait(&rw->writer_ok, &rw->lock);
    rw->writers_waiting--;
    rw->writer = 1;
    sp_mutex_unlock(&rw->lock);
#else
    /* TODO 4.4: announce yourself (so new readers hold back), wait until
     * nobody is inside, enter. */
#endif
}

void sp_rwlock_wrunlock(struct sp_rwlock *rw)
{
#ifdef SOLUTION
    sp_mutex_lock(&rw->lock);
    if (!rw->writer)
        sp_panic("sp_rwlock_wrunlock without the write lock");
    rw->writer = 0;
    if (rw->writers_waiting)
        sp_cond_signal(&rw->writer_ok);
    else
        sp_cond_broadcast(&rw->readers_ok);
    sp_mutex_unlock(&rw->lock);
#else
    /* TODO 4.5: leave; hand over to the next writer if one waits, else let
     * every waiting reader in. */
#endif
}
