/*
 * kit_tmx.c - kit code: the tracked mutex (cb_kit.h). Not graded.
 *
 * Each thread publishes what it is doing under a per-thread sequence
 * counter (odd while it changes its records), so tmx_find_cycle can take a
 * snapshot that no thread changed while it was read: a cycle in such a
 * snapshot is a real deadlock, never a passing moment.
 */
#include "cb_kit.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cb_panic_at(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: kit invariant broken: %s\n", file, line, what);
    abort();
}

static atomic_int nthreads;                       /* ids handed out */
static __thread int self_id = -1;                 /* this thread's id */
static _Atomic(struct tmx *) waiting[TMX_MAX_THREADS]; /* written by its thread */
static atomic_long seq[TMX_MAX_THREADS];          /* odd while it writes */
static _Atomic(tmx_hook_fn) hook;                 /* set by tests only */
static _Atomic(void *) hook_arg;

int tmx_self(void)
{
    if (self_id < 0) {
        self_id = atomic_fetch_add(&nthreads, 1);
        CB_ASSERT(self_id < TMX_MAX_THREADS);
    }
    return self_id;
}

void tmx_init(struct tmx *x, const char *name)
{
    CB_ASSERT(pthread_mutex_init(&x->m, NULL) == 0);
    x->name = name;
    atomic_init(&x->owner, 0);
}

void tmx_destroy(struct tmx *x)
{
    CB_ASSERT(atomic_load(&x->owner) == 0);
    pthread_mutex_destroy(&x->m);
}

void tmx_set_hook(tmx_hook_fn fn, void *arg)
{
    atomic_store(&hook_arg, arg);
    atomic_store(&hook, fn);
}

static void run_hook(struct tmx *x)
{
    tmx_hook_fn fn = atomic_load(&hook);
    if (fn)
        fn(x, atomic_load(&hook_arg));
}

void tmx_lock(struct tmx *x)
{
    int id = tmx_self();
    CB_ASSERT(atomic_load(&x->owner) != id + 1); /* not recursive */
    atomic_fetch_add(&seq[id], 1);
    atomic_store(&waiting[id], x);
    atomic_fetch_add(&seq[id], 1);
    CB_ASSERT(pthread_mutex_lock(&x->m) == 0);
    atomic_fetch_add(&seq[id], 1);
    atomic_store(&waiting[id], NULL);
    atomic_store(&x->owner, id + 1);
    atomic_fetch_add(&seq[id], 1);
    run_hook(x);
}

int tmx_trylock(struct tmx *x)
{
    int id = tmx_self();
    if (pthread_mutex_trylock(&x->m) != 0)
        return 0;
    atomic_fetch_add(&seq[id], 1);
    atomic_store(&x->owner, id + 1);
    atomic_fetch_add(&seq[id], 1);
    run_hook(x);
    return 1;
}

void tmx_unlock(struct tmx *x)
{
    int id = tmx_self();
    CB_ASSERT(atomic_load(&x->owner) == id + 1);
    atomic_fetch_add(&seq[id], 1);
    atomic_store(&x->owner, 0);
    atomic_fetch_add(&seq[id], 1);
    CB_ASSERT(pthread_mutex_unlock(&x->m) == 0);
}

struct tmx *tmx_waiting_for(int tid)
{
    if (tid < 0 || tid >= TMX_MAX_THREADS)
        return NULL;
    return atomic_load(&waiting[tid]);
}

int tmx_find_cycle(char *buf, size_t len)
{
    for (int attempt = 0; attempt < 1000; attempt++) {
        int n = atomic_load(&nthreads);
        long before[TMX_MAX_THREADS];
        struct tmx *w[TMX_MAX_THREADS];
        int next[TMX_MAX_THREADS];
        int odd = 0;
        for (int t = 0; t < n; t++) {
            before[t] = atomic_load(&seq[t]);
            odd |= (int)(before[t] & 1);
        }
        if (odd) {
            sched_yield();
            continue;
        }
        for (int t = 0; t < n; t++) {
            w[t] = atomic_load(&waiting[t]);
            next[t] = w[t] ? atomic_load(&w[t]->owner) - 1 : -1;
            if (next[t] >= n)
                next[t] = -1;
        }
        int changed = 0;
        for (int t = 0; t < n; t++)
            changed |= atomic_load(&seq[t]) != before[t];
        if (changed) {
            sched_yield();
            continue;
        }
        for (int t = 0; t < n; t++) {
            int u = t, k = 0;
            while (k <= n && u >= 0 && (u = next[u]) != t)
                k++;
            if (u != t)
                continue;
            int cyc[TMX_MAX_THREADS + 1], m = 0;
            u = t;
            do {
                cyc[m++] = u;
                u = next[u];
            } while (u != t && m < TMX_MAX_THREADS);
            size_t off = 0;
            buf[0] = '\0';
            for (int i = 0; i < m && off < len; i++) {
                int prev = cyc[(i + m - 1) % m];
                off += (size_t)snprintf(buf + off, len - off,
                                        "%sthread %d holds %s and waits for %s",
                                        i ? "; " : "", cyc[i], w[prev]->name, w[cyc[i]]->name);
            }
            return 1;
        }
        return 0;
    }
    return 0;
}
