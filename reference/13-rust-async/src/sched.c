/*
 * sched.c - the multi-threaded runtime: workers, local rings, the LIFO
 * slot, the global injector, stealing, parking; block_on and yield_now
 * (handout Tasks 3 and 4).
 */
#include "rt_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The worker this kernel thread is, or NULL (written once by the worker). */
static __thread struct rt_worker *cur_worker;

struct rt_runtime *rt_current(void)
{
    return cur_worker ? cur_worker->rt : NULL;
}

uint64_t rt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void rt_stats(struct rt_runtime *rt, struct rt_stats *o)
{
    o->polls = atomic_load_explicit(&rt->n_polls, memory_order_relaxed);
    o->spawned = atomic_load_explicit(&rt->n_spawned, memory_order_relaxed);
    o->completed = atomic_load_explicit(&rt->n_completed, memory_order_relaxed);
    o->steals = atomic_load_explicit(&rt->n_steals, memory_order_relaxed);
    o->lifo_runs = atomic_load_explicit(&rt->n_lifo, memory_order_relaxed);
    o->injector_runs = atomic_load_explicit(&rt->n_injector, memory_order_relaxed);
    o->parks = atomic_load_explicit(&rt->n_parks, memory_order_relaxed);
}

/* ================================================================== */
/* Given: the injector                                                 */
/* ================================================================== */

static void inj_push(struct rt_runtime *rt, struct rt_task *t)
{
    pthread_mutex_lock(&rt->inj_lock);
    t->next = NULL;
    if (rt->inj_tail)
        rt->inj_tail->next = t;
    else
        rt->inj_head = t;
    rt->inj_tail = t;
    atomic_store_explicit(&rt->inj_len, atomic_load_explicit(&rt->inj_len, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    pthread_mutex_unlock(&rt->inj_lock);
}

static struct rt_task *inj_pop(struct rt_runtime *rt)
{
    if (atomic_load_explicit(&rt->inj_len, memory_order_relaxed) == 0)
        return NULL; /* a hint: a push we miss here wakes us via epoch */
    pthread_mutex_lock(&rt->inj_lock);
    struct rt_task *t = rt->inj_head;
    if (t) {
        rt->inj_head = t->next;
        if (!rt->inj_head)
            rt->inj_tail = NULL;
        t->next = NULL;
        atomic_store_explicit(&rt->inj_len, atomic_load_explicit(&rt->inj_len, memory_order_relaxed) - 1,
                              memory_order_relaxed);
    }
    pthread_mutex_unlock(&rt->inj_lock);
    return t;
}

/* ================================================================== */
/* Task 3: local rings, the LIFO slot, stealing, parking               */
/* ================================================================== */

/* Push at the tail of w's ring; a full ring moves its older half and t
 * to the injector. Any thread that holds no ring lock. */
static void local_push(struct rt_worker *w, struct rt_task *t)
{
#ifdef SOLUTION
    pthread_mutex_lock(&w->lock);
    if (w->len < RT_LOCAL_CAP) {
        w->ring[(w->head + w->len) & (RT_LOCAL_CAP - 1)] = t;
        w->len++;
        pthread_mutex_unlock(&w->lock);
        return;
    }
    struct rt_task *moved[RT_LOCAL_CAP / 2];
    for (unsigned i = 0; i < RT_LOCAL_CAP / 2; i++) {
        moved[i] = w->ring[w->head];
        w->head = (w->head + 1) & (RT_LOCAL_CAP - 1);
    }
    w->len -= RT_LOCAL_CAP / 2;
    pthread_mutex_unlock(&w->lock);
    for (unsigned i = 0; i < RT_LOCAL_CAP / 2; i++)
        inj_push(w->rt, moved[i]);
    inj_push(w->rt, t);
#else
    /* TODO 3.1: under w->lock, append t to the ring; when it is full,
     * move its oldest RT_LOCAL_CAP/2 tasks, then t, to the injector
     * (inj_push, after unlocking). */
    (void)w;
    (void)t;
#endif
}

static struct rt_task *local_pop(struct rt_worker *w)
{
#ifdef SOLUTION
    struct rt_task *t = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->len) {
        t = w->ring[w->head];
        w->head = (w->head + 1) & (RT_LOCAL_CAP - 1);
        w->len--;
    }
    pthread_mutex_unlock(&w->lock);
    return t;
#else
    /* TODO 3.1: take the head of w's ring (FIFO), or NULL. */
    (void)w;
    return NULL;
#endif
}

/* Wake one parked worker if any may be parked (see struct rt_runtime). */
static void notify_idle(struct rt_runtime *rt)
{
#ifdef SOLUTION
    atomic_fetch_add_explicit(&rt->epoch, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&rt->sleepers, memory_order_seq_cst) > 0) {
        pthread_mutex_lock(&rt->idle_lock);
        pthread_cond_signal(&rt->idle_cv);
        pthread_mutex_unlock(&rt->idle_lock);
    }
#else
    /* TODO 3.4: bump rt->epoch (seq_cst), then if sleepers > 0 signal
     * idle_cv under idle_lock. */
    (void)rt;
#endif
}

void rt_schedule(struct rt_task *t, int yield)
{
#ifdef SOLUTION
    struct rt_worker *w = cur_worker;
    if (w && w->rt == t->rt) {
        if (yield) {
            local_push(w, t);
        } else {
            struct rt_task *prev = w->lifo;
            w->lifo = t;
            if (prev)
                local_push(w, prev);
        }
    } else {
        inj_push(t->rt, t);
    }
    notify_idle(t->rt);
#else
    /* TODO 3.2: on a worker of t->rt: yield -> the tail of its ring;
     * otherwise t takes the LIFO slot and the task it held (if any) goes
     * to the tail of the ring. Anywhere else: the injector. Then wake a
     * parked worker (notify_idle). */
    (void)t;
    (void)yield;
    (void)inj_push, (void)local_push, (void)notify_idle;
#endif
}

/* Take half (rounded up) of another worker's ring: the first task is
 * returned, the rest go to w's own ring. NULL if all were empty. */
static struct rt_task *steal(struct rt_worker *w)
{
#ifdef SOLUTION
    struct rt_runtime *rt = w->rt;
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    int start = (int)(w->rng % (uint64_t)rt->nworkers);
    for (int i = 0; i < rt->nworkers; i++) {
        struct rt_worker *v = &rt->workers[(start + i) % rt->nworkers];
        if (v == w)
            continue;
        struct rt_task *got[RT_LOCAL_CAP / 2 + 1];
        unsigned n = 0;
        pthread_mutex_lock(&v->lock);
        unsigned take = (v->len + 1) / 2;
        for (; n < take; n++) {
            got[n] = v->ring[v->head];
            v->head = (v->head + 1) & (RT_LOCAL_CAP - 1);
        }
        v->len -= take;
        pthread_mutex_unlock(&v->lock);
        if (!n)
            continue;
        atomic_fetch_add_explicit(&rt->n_steals, 1, memory_order_relaxed);
        for (unsigned k = 1; k < n; k++)
            local_push(w, got[k]);
        return got[0];
    }
    return NULL;
#else
    /* TODO 3.3: starting from a random victim, visit the other workers;
     * from the first whose ring is not empty take half (rounded up) from
     * its head under ITS lock (never hold two ring locks), count n_steals,
     * return the first and push the rest on your own ring. */
    (void)w;
    return NULL;
#endif
}

/* Take a batch from the injector: run the first, the rest go to w's ring
 * (a fair share: len / nworkers + 1, at most RT_INJ_BATCH and what the
 * ring has room for), so tasks that came in together take turns locally. */
#define RT_INJ_BATCH 32
static struct rt_task *inj_pop_batch(struct rt_worker *w)
{
#ifdef SOLUTION
    struct rt_runtime *rt = w->rt;
    if (atomic_load_explicit(&rt->inj_len, memory_order_relaxed) == 0)
        return NULL;
    pthread_mutex_lock(&w->lock);
    unsigned room = RT_LOCAL_CAP - w->len;
    pthread_mutex_lock(&rt->inj_lock);
    long len = atomic_load_explicit(&rt->inj_len, memory_order_relaxed);
    long want = len / rt->nworkers + 1;
    if (want > RT_INJ_BATCH)
        want = RT_INJ_BATCH;
    if (want > (long)room + 1)
        want = (long)room + 1;
    struct rt_task *first = NULL;
    long got = 0;
    while (got < want && rt->inj_head) {
        struct rt_task *t = rt->inj_head;
        rt->inj_head = t->next;
        t->next = NULL;
        if (!first)
            first = t;
        else
            w->ring[(w->head + w->len++) & (RT_LOCAL_CAP - 1)] = t;
        got++;
    }
    if (!rt->inj_head)
        rt->inj_tail = NULL;
    atomic_store_explicit(&rt->inj_len, len - got, memory_order_relaxed);
    pthread_mutex_unlock(&rt->inj_lock);
    pthread_mutex_unlock(&w->lock);
    if (first)
        atomic_fetch_add_explicit(&rt->n_injector, 1, memory_order_relaxed);
    return first;
#else
    /* TODO 3.2: like inj_pop, but move a fair share of the injector
     * (len / nworkers + 1, at most RT_INJ_BATCH and the ring's free room
     * + 1) into w's ring, returning the first. Lock order: the ring, then
     * the injector. */
    (void)w;
    return NULL;
#endif
}

static struct rt_task *next_task(struct rt_worker *w)
{
#ifdef SOLUTION
    struct rt_runtime *rt = w->rt;
    struct rt_task *t = NULL;
    w->tick++;
    if (w->tick % RT_GLOBAL_EVERY == 0 && (t = inj_pop(rt))) {
        atomic_fetch_add_explicit(&rt->n_injector, 1, memory_order_relaxed);
        return t;
    }
    if (w->lifo) {
        t = w->lifo;
        w->lifo = NULL;
        if (w->lifo_streak++ < RT_LIFO_MAX) {
            atomic_fetch_add_explicit(&rt->n_lifo, 1, memory_order_relaxed);
            return t;
        }
        local_push(w, t); /* a task that keeps waking another: let the ring run */
    }
    w->lifo_streak = 0;
    if ((t = local_pop(w)))
        return t;
    if ((t = inj_pop_batch(w)))
        return t;
    return steal(w);
#else
    /* TODO 3.2: every RT_GLOBAL_EVERY-th tick the injector first (count
     * n_injector); then the LIFO slot (count n_lifo; after RT_LIFO_MAX
     * LIFO runs in a row push it to the ring instead); then the ring;
     * then a batch from the injector (inj_pop_batch); then steal (Task 3.3). */
    (void)w;
    (void)steal;
    (void)local_pop;
    (void)inj_pop_batch;
    return NULL;
#endif
}

static void *worker_main(void *arg)
{
    struct rt_worker *w = arg;
    struct rt_runtime *rt = w->rt;
    cur_worker = w;
#ifdef SOLUTION
    while (!atomic_load_explicit(&rt->shutdown, memory_order_acquire)) {
        struct rt_task *t = next_task(w);
        if (t) {
            rt_task_run(t);
            continue;
        }
        unsigned long e = atomic_load_explicit(&rt->epoch, memory_order_seq_cst);
        if ((t = next_task(w))) {
            rt_task_run(t);
            continue;
        }
        pthread_mutex_lock(&rt->idle_lock);
        atomic_fetch_add_explicit(&rt->sleepers, 1, memory_order_seq_cst);
        if (!atomic_load_explicit(&rt->shutdown, memory_order_acquire) &&
            atomic_load_explicit(&rt->epoch, memory_order_seq_cst) == e) {
            atomic_fetch_add_explicit(&rt->n_parks, 1, memory_order_relaxed);
            pthread_cond_wait(&rt->idle_cv, &rt->idle_lock);
        }
        atomic_fetch_sub_explicit(&rt->sleepers, 1, memory_order_seq_cst);
        pthread_mutex_unlock(&rt->idle_lock);
    }
#else
    /* TODO 3.4: until rt->shutdown: run next_task's task; with none, read
     * epoch, look once more, then park: under idle_lock sleepers++ and
     * wait on idle_cv only if epoch has not moved (and no shutdown);
     * sleepers-- after. */
    (void)rt;
    (void)next_task;
#endif
    return NULL;
}

int rt_runtime_new(int nworkers, struct rt_runtime **out)
{
    if (nworkers < 1 || nworkers > RT_MAX_WORKERS)
        return EINVAL;
    struct rt_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return ENOMEM;
    rt->nworkers = nworkers;
    pthread_mutex_init(&rt->inj_lock, NULL);
    pthread_mutex_init(&rt->idle_lock, NULL);
    pthread_cond_init(&rt->idle_cv, NULL);
    pthread_mutex_init(&rt->all_lock, NULL);
    pthread_mutex_init(&rt->io_free_lock, NULL);
    int rc = rt_driver_start(rt);
    if (rc) {
        free(rt);
        return rc;
    }
    int started = 0;
    for (int i = 0; i < nworkers; i++) {
        struct rt_worker *w = &rt->workers[i];
        w->rt = rt;
        w->id = i;
        w->rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        pthread_mutex_init(&w->lock, NULL);
    }
    for (; started < nworkers; started++)
        if ((rc = pthread_create(&rt->workers[started].thread, NULL, worker_main,
                                 &rt->workers[started])))
            break;
    if (started < nworkers) {
        atomic_store(&rt->shutdown, 1);
        pthread_mutex_lock(&rt->idle_lock);
        pthread_cond_broadcast(&rt->idle_cv);
        pthread_mutex_unlock(&rt->idle_lock);
        for (int i = 0; i < started; i++)
            pthread_join(rt->workers[i].thread, NULL);
        rt_driver_stop(rt);
        rt_driver_free(rt);
        free(rt);
        return rc;
    }
    *out = rt;
    return 0;
}

void rt_runtime_free(struct rt_runtime *rt)
{
    if (cur_worker)
        rt_panic("rt_runtime_free called from a worker thread");
    atomic_store_explicit(&rt->shutdown, 1, memory_order_seq_cst);
    pthread_mutex_lock(&rt->idle_lock);
    pthread_cond_broadcast(&rt->idle_cv);
    pthread_mutex_unlock(&rt->idle_lock);
    for (int i = 0; i < rt->nworkers; i++)
        pthread_join(rt->workers[i].thread, NULL);
    rt_driver_stop(rt);
    /* Every unfinished task: off the list (its reference is ours), dropped. */
    for (;;) {
        pthread_mutex_lock(&rt->all_lock);
        struct rt_task *t = rt->all;
        if (t) {
            rt->all = t->all_next;
            if (rt->all)
                rt->all->all_prev = NULL;
            t->all_next = t->all_prev = NULL;
        }
        pthread_mutex_unlock(&rt->all_lock);
        if (!t)
            break;
        rt_task_cancel(t);
        rt_task_unref(t);
    }
    /* Queued tasks (all complete now): release the queues' references. */
    for (int i = 0; i < rt->nworkers; i++) {
        struct rt_worker *w = &rt->workers[i];
        struct rt_task *t;
        if (w->lifo) {
            rt_task_unref(w->lifo);
            w->lifo = NULL;
        }
        while (w->len) {
            t = w->ring[w->head];
            w->head = (w->head + 1) & (RT_LOCAL_CAP - 1);
            w->len--;
            rt_task_unref(t);
        }
        pthread_mutex_destroy(&w->lock);
    }
    struct rt_task *t;
    while ((t = inj_pop(rt)))
        rt_task_unref(t);
    rt_driver_free(rt);
    pthread_mutex_destroy(&rt->inj_lock);
    pthread_mutex_destroy(&rt->idle_lock);
    pthread_cond_destroy(&rt->idle_cv);
    pthread_mutex_destroy(&rt->all_lock);
    pthread_mutex_destroy(&rt->io_free_lock);
    free(rt);
}

/* ================================================================== */
/* Task 4: block_on, join from a thread, yield_now                     */
/* ================================================================== */

/* A thread parker with a reference count: block_on's waker. */
struct parker {
    atomic_long refs;   /* as for tasks: relaxed up, acq_rel down */
    pthread_mutex_t m;  /* guards notified */
    pthread_cond_t cv;
    int notified;
};

static struct rt_waker parker_clone(const void *data);

static void parker_unref(struct parker *p)
{
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
        pthread_mutex_destroy(&p->m);
        pthread_cond_destroy(&p->cv);
        free(p);
    }
}

static void parker_wake_by_ref(const void *data)
{
#ifdef SOLUTION
    struct parker *p = (struct parker *)data;
    pthread_mutex_lock(&p->m);
    p->notified = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->m);
#else
    /* TODO 4.1: set notified and signal cv, under m. */
    (void)data;
#endif
}

static void parker_wake(const void *data)
{
    parker_wake_by_ref(data);
    parker_unref((struct parker *)data);
}

static void parker_drop(const void *data)
{
    parker_unref((struct parker *)data);
}

static const struct rt_waker_vtable parker_vtable = {
    parker_clone, parker_wake, parker_wake_by_ref, parker_drop,
};

static struct rt_waker parker_clone(const void *data)
{
    struct parker *p = (struct parker *)data;
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return (struct rt_waker){&parker_vtable, p};
}

static struct parker *parker_new(void)
{
    struct parker *p = calloc(1, sizeof *p);
    if (!p)
        rt_panic("out of memory for a parker");
    atomic_init(&p->refs, 1);
    pthread_mutex_init(&p->m, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

/* Wait until p was woken since the last park, and consume that wake. */
static void parker_park(struct parker *p)
{
#ifdef SOLUTION
    pthread_mutex_lock(&p->m);
    while (!p->notified)
        pthread_cond_wait(&p->cv, &p->m);
    p->notified = 0;
    pthread_mutex_unlock(&p->m);
#else
    /* TODO 4.1: wait on cv until notified, then clear it (under m). */
    (void)p;
#endif
}

intptr_t rt_block_on(struct rt_runtime *rt, struct rt_future *fut)
{
    (void)rt;
    if (cur_worker)
        rt_panic("rt_block_on called from a worker thread (it would stall the worker)");
    struct parker *p = parker_new();
    struct rt_context cx = {{&parker_vtable, p}}; /* borrowed: block_on's reference */
#ifdef SOLUTION
    while (fut->poll(fut, &cx) != RT_READY)
        parker_park(p);
#else
    /* TODO 4.2: poll fut; while it is pending, park until woken, then poll
     * again (never poll without a wake). */
    (void)parker_park, (void)cx;
    fut->output = -ENOSYS;
#endif
    intptr_t out = fut->output;
    if (fut->drop)
        fut->drop(fut);
    parker_unref(p);
    return out;
}

int rt_join_wait(struct rt_join *j, intptr_t *out)
{
    if (cur_worker)
        rt_panic("rt_join_wait called from a worker thread: poll the join handle instead");
    struct parker *p = parker_new();
    struct rt_context cx = {{&parker_vtable, p}};
    int r;
    while ((r = rt_join_poll(j, &cx, out)) == RT_PENDING)
        parker_park(p);
    rt_join_detach(j);
    parker_unref(p);
    return r;
}

void rt_yield_init(struct rt_yield *y)
{
    y->yielded = 0;
}

int rt_yield_poll(struct rt_yield *y, struct rt_context *cx)
{
#ifdef SOLUTION
    if (y->yielded)
        return RT_READY;
    y->yielded = 1;
    rt_waker_wake_by_ref(&cx->waker);
    return RT_PENDING;
#else
    /* TODO 4.3: the first poll wakes its own task and is pending; the
     * second is ready. */
    (void)y;
    (void)cx;
    return RT_READY;
#endif
}
