/*
 * tcache.c - Task 6: a global locked pool and a per-thread cache before it.
 */
#include "tls_internal.h"

#include <errno.h>
#include <string.h>


int pool_init(struct pool *p, size_t block_size, size_t per_chunk)
{
    /* TODO 6.1: check the arguments (tls.h), zero the pool, init its
     *           mutex, round block_size up to a multiple of 16, and create
     *           the pool's key with a destructor that flushes a thread's
     *           cache back and frees it (TODO 6.4). */
    return ENOSYS;
}

int pool_destroy(struct pool *p)
{
    /* TODO 6.5: flush and free the caller's cache (and clear its value),
     *           then EBUSY if nfree != ntotal; else free every chunk,
     *           delete the key, destroy the mutex. */
    return ENOSYS;
}

void *pool_alloc(struct pool *p)
{
    /* TODO 6.2: the global path. Under p->lock (count it in nlocks): pop a
     *           block off free_list; when it is empty, malloc a chunk and
     *           link its per_chunk blocks onto free_list first (keep the
     *           chunks in a list for pool_destroy). */
    return NULL;
}

void pool_free(struct pool *p, void *block)
{
    /* TODO 6.2: push the block on free_list under p->lock (count it). */
}

void *tcache_alloc(struct pool *p)
{
    /* TODO 6.3: the caller's cache is tls_get(p->key); the first time,
     *           calloc a struct tcache and tls_set it. Pop a block; when
     *           the cache is empty, first move TCACHE_BATCH blocks from the
     *           pool under ONE lock (one nlocks++). */
    return NULL;
}

void tcache_free(struct pool *p, void *block)
{
    /* TODO 6.3: push on the caller's cache; when it already holds
     *           TCACHE_MAX blocks, first move TCACHE_BATCH of them to the
     *           pool under ONE lock. */
}

void tcache_flush(struct pool *p)
{
    /* TODO 6.4: every cached block back to the pool, one lock. The key's
     *           destructor (pool_init) does the same at thread exit, then
     *           frees the struct tcache. */
}

void pool_stats(struct pool *p, struct pool_stats *st)
{
    /* TODO 6.2: copy the three counters under p->lock. */
    memset(st, 0, sizeof *st);
}
