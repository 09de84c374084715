/*
 * tls_key.c - Tasks 1-3: keys, per-thread values, destructors at exit.
 */
#include "tls_internal.h"

#include <errno.h>
#include <string.h>


int tls_key_create(tls_key_t *key, void (*dtor)(void *))
{
    /* TODO 1.1: under one global mutex, find the LOWEST slot whose
     *           generation is even (free), store dtor, make the generation
     *           odd (+1) and return the key: index in the low 32 bits,
     *           the new generation in the high 32 (tls.h, TLS_KEY_INDEX).
     *           EINVAL for key == NULL, EAGAIN when every slot is taken. */
    return ENOSYS;
}

int tls_key_delete(tls_key_t key)
{
    /* TODO 1.2: under the same mutex, check the key is live (index in
     *           range, odd generation, equal to the slot's) or return
     *           EINVAL; then forget the destructor and make the slot's
     *           generation even (+1). Call no destructor. */
    return ENOSYS;
}


void *tls_get(tls_key_t key)
{
    /* TODO 2.1: NULL unless the key is live, this thread's table reaches
     *           its index, and the entry there was stored under the same
     *           generation; else the entry's value. No lock. */
    return NULL;
}

int tls_set(tls_key_t key, const void *value)
{
    /* TODO 2.2: EINVAL for a key that is not live. Grow this thread's
     *           table (a __thread struct tls_thread, tls_internal.h) so the
     *           key's index fits, new entries zeroed; then store the
     *           generation and the value in the entry.
     * TODO 3.1: the first time a thread stores a value, arm the exit hook:
     *           ONE pthread key for the whole layer (pthread_key_create
     *           inside pthread_once), whose value in this thread is set
     *           non-NULL with pthread_setspecific, so its destructor runs
     *           when the thread ends. */
    return ENOSYS;
}

/* TODO 3.2: the hook's destructor. Up to TLS_DESTRUCTOR_ITERATIONS rounds:
 *           for each entry with a non-NULL value whose key is still live
 *           (same generation) and has a destructor, set the entry's value
 *           to NULL, then call the destructor with the old value, holding
 *           no lock. Stop early after a round that called nothing. Then
 *           free the thread's table and reset it (cap 0, not armed). */
