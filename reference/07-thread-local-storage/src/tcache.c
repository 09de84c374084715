/*
 * tcache.c - Task 6: a global locked pool and a per-thread cache before it.
 */
#include "tls_internal.h"

#include <errno.h>
#include <string.h>

#ifdef SOLUTION
/* A chunk: this header, then per_chunk blocks of block_size bytes. The
 * header is 16 bytes so the blocks stay 16-byte aligned. */
struct chunk {
    struct chunk *next;
    void *pad;
};

/* Take one more chunk and put all its blocks on the free list. p->lock
 * held. 0 or ENOMEM. */
static int carve(struct pool *p)
{
    struct chunk *c = malloc(sizeof *c + p->per_chunk * p->block_size);
    if (!c)
        return ENOMEM;
    c->next = p->chunks;
    p->chunks = c;
    char *b = (char *)(c + 1);
    for (size_t k = 0; k < p->per_chunk; k++, b += p->block_size) {
        *(void **)b = p->free_list;
        p->free_list = b;
    }
    p->nfree += p->per_chunk;
    p->ntotal += p->per_chunk;
    return 0;
}

/* Pop one block off the pool's free list, carving when it is empty.
 * p->lock held. NULL on ENOMEM. */
static void *take(struct pool *p)
{
    if (!p->free_list && carve(p) != 0)
        return NULL;
    void *b = p->free_list;
    p->free_list = *(void **)b;
    p->nfree--;
    return b;
}

/* Push a block on the pool's free list. p->lock held. */
static void give(struct pool *p, void *b)
{
    *(void **)b = p->free_list;
    p->free_list = b;
    p->nfree++;
    TLS_ASSERT(p->nfree <= p->ntotal);
}

/* Move n blocks (or all, if fewer) from cache c back to its pool, under
 * one lock. */
static void flush_n(struct tcache *c, unsigned n)
{
    struct pool *p = c->pool;
    TLS_CHECK(pthread_mutex_lock(&p->lock));
    p->nlocks++;
    while (n > 0 && c->head) {
        void *b = c->head;
        c->head = *(void **)b;
        c->count--;
        give(p, b);
        n--;
    }
    TLS_CHECK(pthread_mutex_unlock(&p->lock));
}

/* The key's destructor: the exiting thread's cache goes home. */
static void cache_dtor(void *arg)
{
    struct tcache *c = arg;
    if (c->count > 0)
        flush_n(c, c->count);
    free(c);
}

/* The caller's cache of p; made (and stored under p->key) if create. */
static struct tcache *my_cache(struct pool *p, int create)
{
    struct tcache *c = tls_get(p->key);
    if (c || !create)
        return c;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->pool = p;
    if (tls_set(p->key, c) != 0) {
        free(c);
        return NULL;
    }
    return c;
}
#endif

int pool_init(struct pool *p, size_t block_size, size_t per_chunk)
{
#ifdef SOLUTION
    if (!p || block_size == 0 || block_size > (1u << 20) || per_chunk == 0 ||
        per_chunk > 65536)
        return EINVAL;
    memset(p, 0, sizeof *p);
    TLS_CHECK(pthread_mutex_init(&p->lock, NULL));
    p->block_size = (block_size + 15) & ~(size_t)15;
    p->per_chunk = per_chunk;
    int rc = tls_key_create(&p->key, cache_dtor);
    if (rc != 0) {
        TLS_CHECK(pthread_mutex_destroy(&p->lock));
        return rc;
    }
    return 0;
#else
    /* TODO 6.1: check the arguments (tls.h), zero the pool, init its
     *           mutex, round block_size up to a multiple of 16, and create
     *           the pool's key with a destructor that flushes a thread's
     *           cache back and frees it (TODO 6.4). */
    return ENOSYS;
#endif
}

int pool_destroy(struct pool *p)
{
#ifdef SOLUTION
    if (!p)
        return EINVAL;
    struct tcache *c = my_cache(p, 0);
    if (c) {
        if (c->count > 0)
            flush_n(c, c->count);
        TLS_CHECK(tls_set(p->key, NULL));
        free(c);
    }
    /* No lock: by contract no other thread uses the pool any more (their
     * exits, seen through pthread_join, ordered their last writes). */
    if (p->nfree != p->ntotal)
        return EBUSY;
    for (struct chunk *k = p->chunks, *next; k; k = next) {
        next = k->next;
        free(k);
    }
    p->chunks = NULL;
    p->free_list = NULL;
    p->nfree = p->ntotal = 0;
    TLS_CHECK(tls_key_delete(p->key));
    TLS_CHECK(pthread_mutex_destroy(&p->lock));
    return 0;
#else
    /* TODO 6.5: flush and free the caller's cache (and clear its value),
     *           then EBUSY if nfree != ntotal; else free every chunk,
     *           delete the key, destroy the mutex. */
    return ENOSYS;
#endif
}

void *pool_alloc(struct pool *p)
{
#ifdef SOLUTION
    TLS_CHECK(pthread_mutex_lock(&p->lock));
    p->nlocks++;
    void *b = take(p);
    TLS_CHECK(pthread_mutex_unlock(&p->lock));
    return b;
#else
    /* TODO 6.2: the global path. Under p->lock (count it in nlocks): pop a
     *           block off free_list; when it is empty, malloc a chunk and
     *           link its per_chunk blocks onto free_list first (keep the
     *           chunks in a list for pool_destroy). */
    return NULL;
#endif
}

void pool_free(struct pool *p, void *block)
{
#ifdef SOLUTION
    if (!block)
        return;
    TLS_CHECK(pthread_mutex_lock(&p->lock));
    p->nlocks++;
    give(p, block);
    TLS_CHECK(pthread_mutex_unlock(&p->lock));
#else
    /* TODO 6.2: push the block on free_list under p->lock (count it). */
#endif
}

void *tcache_alloc(struct pool *p)
{
#ifdef SOLUTION
    struct tcache *c = my_cache(p, 1);
    if (!c)
        return NULL;
    if (c->count == 0) {
        /* Refill: TCACHE_BATCH blocks for one lock. */
        TLS_CHECK(pthread_mutex_lock(&p->lock));
        p->nlocks++;
        while (c->count < TCACHE_BATCH) {
            void *b = take(p);
            if (!b)
                break;
            *(void **)b = c->head;
            c->head = b;
            c->count++;
        }
        TLS_CHECK(pthread_mutex_unlock(&p->lock));
        if (c->count == 0)
            return NULL;
    }
    void *b = c->head;
    c->head = *(void **)b;
    c->count--;
    return b;
#else
    /* TODO 6.3: the caller's cache is tls_get(p->key); the first time,
     *           calloc a struct tcache and tls_set it. Pop a block; when
     *           the cache is empty, first move TCACHE_BATCH blocks from the
     *           pool under ONE lock (one nlocks++). */
    return NULL;
#endif
}

void tcache_free(struct pool *p, void *block)
{
#ifdef SOLUTION
    if (!block)
        return;
    struct tcache *c = my_cache(p, 1);
    if (!c) {
        pool_free(p, block); /* no memory for a cache: the global path */
        return;
    }
    if (c->count == TCACHE_MAX)
        flush_n(c, TCACHE_BATCH);
    *(void **)block = c->head;
    c->head = block;
    c->count++;
#else
    /* TODO 6.3: push on the caller's cache; when it already holds
     *           TCACHE_MAX blocks, first move TCACHE_BATCH of them to the
     *           pool under ONE lock. */
#endif
}

void tcache_flush(struct pool *p)
{
#ifdef SOLUTION
    struct tcache *c = my_cache(p, 0);
    if (c && c->count > 0)
        flush_n(c, c->count);
#else
    /* TODO 6.4: every cached block back to the pool, one lock. The key's
     *           destructor (pool_init) does the same at thread exit, then
     *           frees the struct tcache. */
#endif
}

void pool_stats(struct pool *p, struct pool_stats *st)
{
#ifdef SOLUTION
    TLS_CHECK(pthread_mutex_lock(&p->lock));
    st->nfree = p->nfree;
    st->ntotal = p->ntotal;
    st->nlocks = p->nlocks;
    TLS_CHECK(pthread_mutex_unlock(&p->lock));
#else
    /* TODO 6.2: copy the three counters under p->lock. */
    memset(st, 0, sizeof *st);
#endif
}
