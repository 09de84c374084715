/*
 * lazy.c - Task 4: a table built on first use, shared without a data race.
 *
 * Double-checked locking: a fast path that looks at the pointer without
 * the lock, and a slow path that builds the table under the lock. The fast
 * path is only safe if seeing the pointer also means seeing everything the
 * builder wrote into the table before it was published.
 */
#include "cb.h"

#include <stdlib.h>

void lazy_primes_init(struct lazy_primes *l)
{
    CB_ASSERT(pthread_mutex_init(&l->lock, NULL) == 0);
    atomic_init(&l->table, NULL);
    atomic_init(&l->builds, 0);
}

void lazy_primes_destroy(struct lazy_primes *l)
{
    free(atomic_load_explicit(&l->table, memory_order_relaxed));
    atomic_store_explicit(&l->table, NULL, memory_order_relaxed);
    pthread_mutex_destroy(&l->lock);
}

/* Sieve of Eratosthenes over a zeroed table. */
static void sieve(struct prime_table *t)
{
    t->composite[0] = t->composite[1] = 1;
    for (uint32_t p = 2; (uint64_t)p * p < PRIME_LIMIT; p++)
        if (!t->composite[p])
            for (uint32_t m = p * p; m < PRIME_LIMIT; m += p)
                t->composite[m] = 1;
}

const struct prime_table *lazy_primes_get(struct lazy_primes *l)
{
#ifdef SOLUTION
    /* Acquire: pairs with the release store below, so a reader that sees
     * the pointer also sees every entry written before it was stored. */
    struct prime_table *t = atomic_load_explicit(&l->table, memory_order_acquire);
#else
    /* TODO 4.1: a reader that takes this fast path while another thread
     * builds the table sees a half-made sieve (the test counts too many
     * primes), and ThreadSanitizer reports a data race between the
     * builder's writes to composite[] and the reader's reads. Fix it
     * without taking the lock on the fast path (handout Task 4). */
    struct prime_table *t = atomic_load_explicit(&l->table, memory_order_relaxed);
#endif
    if (t)
        return t;
    CB_ASSERT(pthread_mutex_lock(&l->lock) == 0);
    /* Relaxed is enough under the lock: whoever stored it did so holding
     * the same lock, which orders us after it. */
    t = atomic_load_explicit(&l->table, memory_order_relaxed);
    if (!t) {
#ifdef SOLUTION
        t = calloc(1, sizeof *t);
        if (t) {
            sieve(t);
            atomic_fetch_add_explicit(&l->builds, 1, memory_order_relaxed);
            /* Release, after the sieve: the entries are visible no later
             * than the pointer (pairs with the fast path's acquire). */
            atomic_store_explicit(&l->table, t, memory_order_release);
        }
#else
        atomic_store_explicit(&l->table, calloc(1, sizeof *t), memory_order_relaxed);
        t = atomic_load_explicit(&l->table, memory_order_relaxed);
        if (t) {
            sieve(t);
            atomic_fetch_add_explicit(&l->builds, 1, memory_order_relaxed);
        }
#endif
    }
    CB_ASSERT(pthread_mutex_unlock(&l->lock) == 0);
    return t;
}

int lazy_is_prime(struct lazy_primes *l, uint32_t n)
{
    const struct prime_table *t = lazy_primes_get(l);
    if (!t || n >= PRIME_LIMIT)
        return -1;
    return !t->composite[n];
}
