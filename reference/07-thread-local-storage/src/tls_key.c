/*
 * tls_key.c - Tasks 1-3: keys, per-thread values, destructors at exit.
 */
#include "tls_internal.h"

#include <errno.h>
#include <string.h>

#ifdef SOLUTION
/* The key table. keys_lock serialises create, delete and the destructor
 * lookups at thread exit; tls_get and tls_set read a slot's gen without it. */
static pthread_mutex_t keys_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_slot slots[TLS_KEYS_MAX];

/* This thread's values. Static TLS: valid until the thread is gone, so
 * also while its pthread key destructors (our exit hook) run. */
static __thread struct tls_thread me;

/* The one pthread key this layer uses: its value in a thread is &me once
 * that thread stored a value, and its destructor is our exit hook. */
static pthread_once_t hook_once = PTHREAD_ONCE_INIT;
static pthread_key_t hook_key;
static int hook_err; /* pthread_key_create's result; written once, inside
                        pthread_once, which orders it before every reader */

/* Is key live now? Its index is in range, its generation odd, and the slot
 * still carries that generation. */
static int key_live(tls_key_t key)
{
    uint32_t i = TLS_KEY_INDEX(key), g = TLS_KEY_GEN(key);
    if (i >= TLS_KEYS_MAX || (g & 1u) == 0)
        return 0;
    return atomic_load_explicit(&slots[i].gen, memory_order_relaxed) == g;
}
#endif

int tls_key_create(tls_key_t *key, void (*dtor)(void *))
{
#ifdef SOLUTION
    if (!key)
        return EINVAL;
    TLS_CHECK(pthread_mutex_lock(&keys_lock));
    for (uint32_t i = 0; i < TLS_KEYS_MAX; i++) {
        unsigned g = atomic_load_explicit(&slots[i].gen, memory_order_relaxed);
        if (g & 1u)
            continue;
        slots[i].dtor = dtor;
        atomic_store_explicit(&slots[i].gen, g + 1, memory_order_relaxed);
        TLS_CHECK(pthread_mutex_unlock(&keys_lock));
        *key = ((uint64_t)(g + 1) << 32) | i;
        return 0;
    }
    TLS_CHECK(pthread_mutex_unlock(&keys_lock));
    return EAGAIN;
#else
    /* TODO 1.1: under one global mutex, find the LOWEST slot whose
     *           generation is even (free), store dtor, make the generation
     *           odd (+1) and return the key: index in the low 32 bits,
     *           the new generation in the high 32 (tls.h, TLS_KEY_INDEX).
     *           EINVAL for key == NULL, EAGAIN when every slot is taken. */
    return ENOSYS;
#endif
}

int tls_key_delete(tls_key_t key)
{
#ifdef SOLUTION
    TLS_CHECK(pthread_mutex_lock(&keys_lock));
    if (!key_live(key)) {
        TLS_CHECK(pthread_mutex_unlock(&keys_lock));
        return EINVAL;
    }
    uint32_t i = TLS_KEY_INDEX(key);
    slots[i].dtor = NULL;
    atomic_store_explicit(&slots[i].gen, TLS_KEY_GEN(key) + 1, memory_order_relaxed);
    TLS_CHECK(pthread_mutex_unlock(&keys_lock));
    return 0;
#else
    /* TODO 1.2: under the same mutex, check the key is live (index in
     *           range, odd generation, equal to the slot's) or return
     *           EINVAL; then forget the destructor and make the slot's
     *           generation even (+1). Call no destructor. */
    return ENOSYS;
#endif
}

#ifdef SOLUTION
static void exit_hook(void *arg);

static void hook_init(void)
{
    hook_err = pthread_key_create(&hook_key, exit_hook);
}

/* Make this thread's table hold slot i, and arm the exit hook. */
static int table_fit(uint32_t i)
{
    if (!me.armed) {
        TLS_CHECK(pthread_once(&hook_once, hook_init));
        if (hook_err != 0)
            return hook_err;
        int rc = pthread_setspecific(hook_key, &me);
        if (rc != 0)
            return rc;
        me.armed = 1;
    }
    if (i < me.cap)
        return 0;
    size_t cap = me.cap ? me.cap : 16;
    while (cap <= i)
        cap *= 2;
    struct tls_entry *e = realloc(me.e, cap * sizeof *e);
    if (!e)
        return ENOMEM;
    memset(e + me.cap, 0, (cap - me.cap) * sizeof *e);
    me.e = e;
    me.cap = cap;
    return 0;
}
#endif

void *tls_get(tls_key_t key)
{
#ifdef SOLUTION
    uint32_t i = TLS_KEY_INDEX(key);
    if (!key_live(key) || i >= me.cap || me.e[i].gen != TLS_KEY_GEN(key))
        return NULL;
    return me.e[i].value;
#else
    /* TODO 2.1: NULL unless the key is live, this thread's table reaches
     *           its index, and the entry there was stored under the same
     *           generation; else the entry's value. No lock. */
    return NULL;
#endif
}

int tls_set(tls_key_t key, const void *value)
{
#ifdef SOLUTION
    if (!key_live(key))
        return EINVAL;
    uint32_t i = TLS_KEY_INDEX(key);
    int rc = table_fit(i);
    if (rc != 0)
        return rc;
    me.e[i].gen = TLS_KEY_GEN(key);
    me.e[i].value = (void *)value;
    return 0;
#else
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
#endif
}

#ifdef SOLUTION
/* The pthread key's destructor: runs in the exiting thread, with its
 * static TLS (me) still in place. */
static void exit_hook(void *arg)
{
    struct tls_thread *t = arg;
    TLS_ASSERT(t == &me);
    for (int round = 0; round < TLS_DESTRUCTOR_ITERATIONS; round++) {
        int called = 0;
        /* t->cap and t->e are read again at every step: a destructor's
         * tls_set may grow the table. */
        for (uint32_t i = 0; i < t->cap; i++) {
            void *v = t->e[i].value;
            if (v == NULL)
                continue;
            void (*dtor)(void *) = NULL;
            TLS_CHECK(pthread_mutex_lock(&keys_lock));
            if (atomic_load_explicit(&slots[i].gen, memory_order_relaxed) == t->e[i].gen)
                dtor = slots[i].dtor;
            TLS_CHECK(pthread_mutex_unlock(&keys_lock));
            if (dtor == NULL)
                continue;
            t->e[i].value = NULL;
            dtor(v); /* no lock held: it may use every function above */
            called = 1;
        }
        if (!called)
            break;
    }
    free(t->e);
    t->e = NULL;
    t->cap = 0;
    t->armed = 0; /* glibc cleared the pthread value before calling us */
}
#else
/* TODO 3.2: the hook's destructor. Up to TLS_DESTRUCTOR_ITERATIONS rounds:
 *           for each entry with a non-NULL value whose key is still live
 *           (same generation) and has a destructor, set the entry's value
 *           to NULL, then call the destructor with the old value, holding
 *           no lock. Stop early after a round that called nothing. Then
 *           free the thread's table and reset it (cap 0, not armed). */
#endif
