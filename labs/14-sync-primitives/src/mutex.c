/*
 * mutex.c - Task 1 (the three-state futex mutex) and Task 2 (the
 * sequence-counter condition variable).
 */
#include "sp_internal.h"

int sp_mutex_init(struct sp_mutex *m)
{
    /* TODO 1.1: set the state word to 0 (unlocked); EINVAL for NULL. */
    return ENOSYS;
}

void sp_mutex_lock(struct sp_mutex *m)
{
    /* TODO 1.2: CAS 0 -> 1 (no system call); when that fails, swap in 2
     * and sleep on the word while it is 2, until your swap finds 0. */
}

int sp_mutex_trylock(struct sp_mutex *m)
{
    /* TODO 1.3: one CAS 0 -> 1: 0 on success, EBUSY otherwise. */
    return ENOSYS;
}

void sp_mutex_unlock(struct sp_mutex *m)
{
    /* TODO 1.4: 1 -> 0 with no system call; 2 -> 0 and wake one sleeper;
     * anything else is a misuse: sp_panic. */
}

int sp_cond_init(struct sp_cond *c)
{
    /* TODO 2.1: zero both words; EINVAL for NULL. */
    return ENOSYS;
}

void sp_cond_wait(struct sp_cond *c, struct sp_mutex *m)
{
    /* TODO 2.2: register as a waiter and read seq while you hold m; unlock;
     * sleep on seq while it still has the value you read; lock m again. */
}


void sp_cond_signal(struct sp_cond *c)
{
    /* TODO 2.3: bump seq, then wake one sleeper if anyone waits. */
}

void sp_cond_broadcast(struct sp_cond *c)
{
    /* TODO 2.4: as signal, but wake them all. */
}
