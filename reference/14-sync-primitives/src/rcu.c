/*
 * rcu.c - Task 7: a userspace RCU with a global epoch (grace-period
 * counter) and per-reader published epochs (the handout says why this
 * design and not QSBR).
 */
#include "sp_internal.h"

int sp_rcu_init(struct sp_rcu *r)
{
#ifdef SOLUTION
    if (!r)
        return EINVAL;
    atomic_init(&r->epoch, 1);
    sp_mutex_init(&r->lock);
    r->readers = NULL;
    r->cbs = NULL;
    r->cbs_tail = &r->cbs;
    return 0;
#else
    /* TODO 7.1: epoch 1 (0 means "outside a section"), no readers, an
     * empty callback queue. */
    return ENOSYS;
#endif
}

int sp_rcu_register(struct sp_rcu *r, struct sp_rcu_reader *rd)
{
#ifdef SOLUTION
    if (!r || !rd)
        return EINVAL;
    atomic_init(&rd->epoch, 0);
    rd->nesting = 0;
    sp_mutex_lock(&r->lock);
    rd->next = r->readers;
    r->readers = rd;
    sp_mutex_unlock(&r->lock);
    return 0;
#else
    /* TODO 7.2: outside any section; push it on the registry under lock. */
    return ENOSYS;
#endif
}

void sp_rcu_unregister(struct sp_rcu *r, struct sp_rcu_reader *rd)
{
#ifdef SOLUTION
    if (rd->nesting)
        sp_panic("sp_rcu_unregister inside a read section");
    sp_mutex_lock(&r->lock);
    struct sp_rcu_reader **p = &r->readers;
    while (*p && *p != rd)
        p = &(*p)->next;
    if (!*p)
        sp_panic("sp_rcu_unregister of a reader that is not registered");
    *p = rd->next;
    sp_mutex_unlock(&r->lock);
#else
    /* TODO 7.3: unlink it from the registry under lock. */
#endif
}

void sp_rcu_read_lock(struct sp_rcu *r, struct sp_rcu_reader *rd)
{
#ifdef SOLUTION
    if (rd->nesting++ > 0)
        return;
    atomic_store_explicit(&rd->epoch, atomic_load_explicit(&r->epoch, memory_order_relaxed),
                          memory_order_relaxed);
    /* Store-load order: my published epoch before my reads of the data.
     * Pairs with the seq_cst fence in synchronize_rcu between its epoch
     * bump and its scan: either it sees my epoch, or I see the unlink
     * that the updater made before calling it. */
    atomic_thread_fence(memory_order_seq_cst);
#else
    /* TODO 7.4: on the outermost entry publish the current epoch, then a
     * full fence. No lock, no system call. */
#endif
}

void sp_rcu_read_unlock(struct sp_rcu *r, struct sp_rcu_reader *rd)
{
#ifdef SOLUTION
    if (rd->nesting == 0)
        sp_panic("sp_rcu_read_unlock outside a read section");
    if (--rd->nesting > 0)
        return;
    /* release: my reads of the data happen before synchronize_rcu (which
     * loads epoch with acquire) frees what I read */
    atomic_store_explicit(&rd->epoch, 0, memory_order_release);
#else
    /* TODO 7.5: on the outermost exit publish 0 (release). */
#endif
}

#ifdef SOLUTION
/* Run a detached list of callbacks, oldest first. */
static void run_callbacks(struct sp_rcu_head *h)
{
    while (h) {
        struct sp_rcu_head *next = h->next;
        h->fn(h);
        h = next;
    }
}
#endif

void sp_synchronize_rcu(struct sp_rcu *r)
{
#ifdef SOLUTION
    /* The callbacks queued before this call: this grace period covers them.
     * Two grace periods may run at once: each takes its own callbacks and
     * waits for the readers older than its own epoch, which is all it owes. */
    sp_mutex_lock(&r->lock);
    struct sp_rcu_head *ready = r->cbs;
    r->cbs = NULL;
    r->cbs_tail = &r->cbs;
    sp_mutex_unlock(&r->lock);

    atomic_thread_fence(memory_order_seq_cst);
    uint64_t now = atomic_fetch_add_explicit(&r->epoch, 1, memory_order_relaxed) + 1;
    atomic_thread_fence(memory_order_seq_cst);
    /* Scan under lock, but never wait holding it (register, unregister
     * and call_rcu take it): when a reader is still old, drop the lock,
     * spin, and scan again from the start. A reader met twice has either
     * left or re-entered under `now`, which this grace period ignores. */
    unsigned round = 0;
    for (;;) {
        int old = 0;
        sp_mutex_lock(&r->lock);
        for (struct sp_rcu_reader *rd = r->readers; rd && !old; rd = rd->next) {
            /* acquire: pairs with read_unlock's release store of 0 */
            uint64_t e = atomic_load_explicit(&rd->epoch, memory_order_acquire);
            old = e != 0 && e < now;
        }
        sp_mutex_unlock(&r->lock);
        if (!old)
            break;
        sp_spin(&round);
    }
    run_callbacks(ready);
#else
    /* TODO 7.6: take the callbacks queued so far; advance the epoch
     * between two full fences; wait for every reader whose published
     * epoch is non-zero and older (never waiting while you hold lock);
     * then run the callbacks you took. */
#endif
}

void sp_call_rcu(struct sp_rcu *r, struct sp_rcu_head *head, void (*fn)(struct sp_rcu_head *))
{
#ifdef SOLUTION
    head->fn = fn;
    head->next = NULL;
    sp_mutex_lock(&r->lock);
    *r->cbs_tail = head;
    r->cbs_tail = &head->next;
    sp_mutex_unlock(&r->lock);
#else
    /* TODO 7.7: append to the queue under lock (a reader may call this
     * inside its section while a grace period waits for it). */
#endif
}

void sp_rcu_destroy(struct sp_rcu *r)
{
#ifdef SOLUTION
    sp_mutex_lock(&r->lock);
    int busy = r->readers != NULL;
    sp_mutex_unlock(&r->lock);
    if (busy)
        sp_panic("sp_rcu_destroy with readers still registered");
    sp_synchronize_rcu(r);
#else
    /* TODO 7.8: no reader may be registered; one last grace period runs
     * every queued callback. */
#endif
}
