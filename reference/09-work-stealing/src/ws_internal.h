/*
 * ws_internal.h - lab 09's private structures (student-owned: you may add
 * fields, but the tests use only include/ws.h).
 */
#ifndef WS_INTERNAL_H
#define WS_INTERNAL_H

#include "ws.h"

#include <pthread.h>
#include <stdatomic.h>

/* A broken invariant: print "ws panic at FILE:LINE: ..." and abort. */
__attribute__((noreturn, format(printf, 3, 4)))
void ws_panic_at(const char *file, int line, const char *fmt, ...);
#define WS_PANIC(...) ws_panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* ThreadSanitizer does not model atomic_thread_fence (GCC says so with
 * -Wtsan, and TSan's own docs list standalone fences as unsupported). The
 * deque's push publishes an item with a release FENCE followed by a
 * relaxed store of bottom; TSan sees only the relaxed store, misses the
 * happens-before edge to a thief's acquire load of bottom, and would report
 * a race on the task the item points to. Under TSan only, that one store
 * becomes a release store: what the fence + relaxed store guarantee for
 * this pairing, said in a form TSan understands. Nothing else changes, so
 * TSan still sees a missing acquire, a missing CAS, or a plain access. */
#if defined(__SANITIZE_THREAD__)
#define WS_BOTTOM_PUBLISH memory_order_release
#else
#define WS_BOTTOM_PUBLISH memory_order_relaxed
#endif

/* One circular array. Written only by the owner before it is published
 * (ws_deque.array, release); after that size, mask and prev never change.
 * Item i (top <= i < bottom) lives in buf[i & mask]. */
struct ws_array {
    long size;                /* a power of two */
    long mask;                /* size - 1 */
    struct ws_array *prev;    /* the array this one replaced (owner only):
                                 the retire list, freed by ws_deque_free */
    _Atomic(void *) buf[];    /* relaxed loads and stores: ordering comes
                                 from top, bottom and the fences */
};

/* Invariant: 0 <= bottom - top <= array->size when the owner is not inside
 * pop (pop may make bottom = top - 1 for a moment). top only grows, by the
 * CAS of a steal or of the pop that takes the last item. */
struct ws_deque {
    _Alignas(64) _Atomic long top;    /* next to steal: CAS by thieves and by
                                         pop on the last item */
    _Alignas(64) _Atomic long bottom; /* next free slot: owner writes */
    _Atomic(struct ws_array *) array; /* owner writes (release), thieves
                                         read (acquire) */
};

/* A spawned task. fn and arg are written before the push that publishes
 * the task (the release in push pairs with the thief's acquire of bottom);
 * done is set last by whoever ran it and read by the joiner, which then
 * frees the task: nobody touches the task after the store of done. */
struct ws_task {
    ws_fn fn;
    void *arg;
    int root;           /* 1: a ws_pool_run root (done announced on
                           done_cv); fixed before the task is published */
    _Atomic int done;   /* 0 -> 1 once: release store after fn returns,
                           acquire load in ws_join */
};

/* A ws_pool_run in progress: lives on the caller's stack. */
struct ws_root {
    struct ws_task task;
    struct ws_root *next;  /* pool->inject list, under pool->lock */
};

struct ws_worker {
    struct ws_pool *pool;
    int id;
    pthread_t thread;
    struct ws_deque *dq;          /* pushed and popped by this worker only */
    uint64_t rng;                 /* victim choice, this worker only */
    /* counts: written by this worker only (relaxed), summed by stats */
    _Atomic unsigned long spawned, executed, steals, parks;
};

struct ws_pool {
    int n;
    struct ws_worker *w;          /* n workers, fixed after ws_pool_new */
    pthread_mutex_t lock;         /* guards inject, epoch, stop, the
                                     sleep on idle_cv, and a root's done */
    pthread_cond_t idle_cv;       /* parked workers wait here */
    pthread_cond_t done_cv;       /* ws_pool_run callers wait here */
    struct ws_root *inject;       /* roots not yet taken by a worker */
    _Atomic int ninject;          /* length of inject (written under lock;
                                     read without it, seq_cst, by workers
                                     looking for work) */
    unsigned long epoch;          /* bumped (under lock) to wake parked workers */
    _Atomic int nidle;            /* workers between "going idle" and
                                     waking: seq_cst, read by pushers after
                                     their seq_cst fence (Dekker pairing,
                                     see ws_pool.c, wake_one) */
    _Atomic int stop;             /* set by ws_pool_free, under lock */
};

#endif
