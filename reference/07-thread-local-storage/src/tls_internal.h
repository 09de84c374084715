/*
 * tls_internal.h - what the src/ files share (yours to extend).
 */
#ifndef TLS_INTERNAL_H
#define TLS_INTERNAL_H

#include "tls.h"

#include <stdio.h>
#include <stdlib.h>

/* A broken invariant or an impossible pthread error: one line on stderr
 * naming the place, then abort() (a core dump and a debugger stop here). */
#define TLS_PANIC(...)                                                        \
    do {                                                                      \
        fprintf(stderr, "tls panic at %s:%d: ", __FILE__, __LINE__);          \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        fflush(stderr);                                                       \
        abort();                                                              \
    } while (0)

/* TLS_CHECK(pthread_mutex_lock(&m)): a pthread call that cannot fail in a
 * correct program. */
#define TLS_CHECK(call)                                                       \
    do {                                                                      \
        int tls_rc_ = (call);                                                 \
        if (tls_rc_ != 0)                                                     \
            TLS_PANIC("%s returned %d", #call, tls_rc_);                      \
    } while (0)

/* TLS_ASSERT(cond): an invariant the code relies on. */
#define TLS_ASSERT(cond)                                                      \
    do {                                                                      \
        if (!(cond))                                                          \
            TLS_PANIC("invariant %s is false", #cond);                        \
    } while (0)

/* ------------------------------------------------------------------ */
/* The key layer's data (src/tls_key.c)                               */
/* ------------------------------------------------------------------ */

#include <stdatomic.h>

/* One slot of the global key table. */
struct tls_slot {
    atomic_uint gen;         /* even: free; odd: holds a live key. Written
                                only with keys_lock held (relaxed store: the
                                lock orders the writers); read without the
                                lock by tls_get and tls_set (relaxed load:
                                they only compare it with a key's
                                generation, no other data is published
                                with it) */
    void (*dtor)(void *);    /* the live key's destructor or NULL; keys_lock */
};

/* One thread's value for one slot: valid only while gen equals the
 * generation of the key it was stored under, so values stored under a
 * deleted key never show through a new key in the same slot. */
struct tls_entry {
    uint32_t gen;            /* generation of the key at tls_set; 0 = none */
    void *value;
};

/* A thread's table: a __thread variable, touched only by its own thread
 * (no lock). */
struct tls_thread {
    struct tls_entry *e;     /* cap entries, malloc'ed, indexed by slot;
                                freed after the destructor rounds */
    size_t cap;              /* 0 until the first tls_set */
    int armed;               /* 1 once the exit hook holds &this thread's
                                table (pthread_setspecific) */
};

/* ------------------------------------------------------------------ */
/* The cache's data (src/tcache.c)                                    */
/* ------------------------------------------------------------------ */

/* One thread's cache of one pool: the value of p->key in that thread.
 * Touched only by its own thread (no lock), then by the key's destructor
 * in that same thread at its exit. */
struct tcache {
    struct pool *pool;       /* the pool it caches, fixed */
    void *head;              /* cached blocks, linked through the first word */
    unsigned count;          /* blocks on head, 0..TCACHE_MAX */
};

#endif
