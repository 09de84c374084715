/*
 * sem.c - Task 3 (counting semaphore, barrier) and Task 4 (the
 * writer-preferring reader-writer lock).
 */
#include "sp_internal.h"

int sp_sem_init(struct sp_sem *s, unsigned value)
{
    /* TODO 3.1: the count starts at value (EINVAL above SP_SEM_MAX). */
    return ENOSYS;
}

int sp_sem_trywait(struct sp_sem *s)
{
    /* TODO 3.2: CAS the count down by one while it is above 0. */
    return ENOSYS;
}

void sp_sem_wait(struct sp_sem *s)
{
    /* TODO 3.3: take a unit; if there is none, count yourself a waiter and
     * sleep on the count while it is 0; try again. */
}

void sp_sem_post(struct sp_sem *s)
{
    /* TODO 3.4: add a unit (release), then wake one sleeper only if someone
     * may sleep. */
}

int sp_barrier_init(struct sp_barrier *b, unsigned count)
{
    /* TODO 3.5: count >= 1; nobody arrived; phase 0. */
    return ENOSYS;
}

int sp_barrier_wait(struct sp_barrier *b)
{
    /* TODO 3.6: note the phase, arrive; the last arrival resets arrived,
     * advances the phase and wakes everyone; the others sleep while the
     * phase is the one they noted. */
    return ENOSYS;
}

int sp_rwlock_init(struct sp_rwlock *rw)
{
    /* TODO 4.1: a free lock, nobody waiting. */
    return ENOSYS;
}

void sp_rwlock_rdlock(struct sp_rwlock *rw)
{
    /* TODO 4.2: wait while a writer is inside OR waits; then count in. */
}

void sp_rwlock_rdunlock(struct sp_rwlock *rw)
{
    /* TODO 4.3: count out; the last reader out lets a waiting writer in. */
}

void sp_rwlock_wrlock(struct sp_rwlock *rw)
{
    /* TODO 4.4: announce yourself (so new readers hold back), wait until
     * nobody is inside, enter. */
}

void sp_rwlock_wrunlock(struct sp_rwlock *rw)
{
    /* TODO 4.5: leave; hand over to the next writer if one waits, else let
     * every waiting reader in. */
}
