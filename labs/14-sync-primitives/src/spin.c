/*
 * spin.c - Task 5 (ticket lock, MCS queue lock) and Task 6 (seqlock).
 * No futex here: these spin (sp_spin in sp_internal.h).
 */
#include "sp_internal.h"

int sp_ticket_init(struct sp_ticket *t)
{
    /* TODO 5.1: both counters 0. */
    return ENOSYS;
}

void sp_ticket_lock(struct sp_ticket *t)
{
    /* TODO 5.2: take a ticket (atomically), spin until it is served. */
}

void sp_ticket_unlock(struct sp_ticket *t)
{
    /* TODO 5.3: serve the next ticket. */
}

int sp_mcs_init(struct sp_mcs *l)
{
    /* TODO 5.4: an empty queue. */
    return ENOSYS;
}

void sp_mcs_lock(struct sp_mcs *l, struct sp_mcs_node *me)
{
    /* TODO 5.5: swap yourself in as the tail; with a predecessor, link
     * behind it and spin on your own node. */
}

void sp_mcs_unlock(struct sp_mcs *l, struct sp_mcs_node *me)
{
    /* TODO 5.6: hand the lock to your successor; with none, CAS the tail
     * back to NULL; if that fails, one is linking in: wait for it. */
}

int sp_seqlock_init(struct sp_seqlock *s)
{
    /* TODO 6.1: seq 0 (even: no writer). */
    return ENOSYS;
}

uint32_t sp_seq_read_begin(const struct sp_seqlock *s)
{
    /* TODO 6.2: wait for an even seq and return it. */
    return 1;
}

int sp_seq_read_retry(const struct sp_seqlock *s, uint32_t start)
{
    /* TODO 6.3: fence, then 1 if seq moved since start. */
    return 0;
}

void sp_seq_write_lock(struct sp_seqlock *s)
{
    /* TODO 6.4: CAS seq from even to odd (this excludes other writers),
     * then a release fence before the data stores. */
}

void sp_seq_write_unlock(struct sp_seqlock *s)
{
    /* TODO 6.5: make seq even again (release). */
}
