/*
 * rcu.c - Task 7: a userspace RCU with a global epoch (grace-period
 * counter) and per-reader published epochs (the handout says why this
 * design and not QSBR).
 */
#include "sp_internal.h"

int sp_rcu_init(struct sp_rcu *r)
{
    /* TODO 7.1: epoch 1 (0 means "outside a section"), no readers, an
     * empty callback queue. */
    return ENOSYS;
}

int sp_rcu_register(struct sp_rcu *r, struct sp_rcu_reader *rd)
{
    /* TODO 7.2: outside any section; push it on the registry under lock. */
    return ENOSYS;
}

void sp_rcu_unregister(struct sp_rcu *r, struct sp_rcu_reader *rd)
{
    /* TODO 7.3: unlink it from the registry under lock. */
}

void sp_rcu_read_lock(struct sp_rcu *r, struct sp_rcu_reader *rd)
{
    /* TODO 7.4: on the outermost entry publish the current epoch, then a
     * full fence. No lock, no system call. */
}

void sp_rcu_read_unlock(struct sp_rcu *r, struct sp_rcu_reader *rd)
{
    /* TODO 7.5: on the outermost exit publish 0 (release). */
}


void sp_synchronize_rcu(struct sp_rcu *r)
{
    /* TODO 7.6: take the callbacks queued so far; advance the epoch
     * between two full fences; wait for every reader whose published
     * epoch is non-zero and older (never waiting while you hold lock);
     * then run the callbacks you took. */
}

void sp_call_rcu(struct sp_rcu *r, struct sp_rcu_head *head, void (*fn)(struct sp_rcu_head *))
{
    /* TODO 7.7: append to the queue under lock (a reader may call this
     * inside its section while a grace period waits for it). */
}

void sp_rcu_destroy(struct sp_rcu *r)
{
    /* TODO 7.8: no reader may be registered; one last grace period runs
     * every queued callback. */
}
