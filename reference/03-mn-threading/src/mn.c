/*
 * mn.c - M:N threading: user threads on N carriers (handout Tasks 1 to 6).
 *
 * One runtime per process (rt). N workers (pthreads) each hold a carrier
 * and run its loop, mn_worker_main: pick a user thread, switch to it, and
 * when it switches back, finish what it asked for (worker->after). Spare
 * workers, started by mn_block_begin, wait without a carrier until one is
 * handed to them.
 */
#include "mn_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

__attribute__((unused)) static struct mn_runtime rt = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .idle_cv = PTHREAD_COND_INITIALIZER,
    .exit_cv = PTHREAD_COND_INITIALIZER,
};

/* The worker this kernel thread is; NULL on any other kernel thread. */
static __thread struct mn_worker *mn_tls;

/* ================================================================== */
/* Given: panics, the current worker, queues                          */
/* ================================================================== */

void mn_panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mn panic at %s:%d: %s\n", file, line, msg);
    fflush(stderr);
    abort();
}

/* This kernel thread's worker. A user thread may resume on ANOTHER kernel
 * thread after any switch, but the compiler assumes a function runs on one
 * thread throughout and may keep the address of a __thread variable in a
 * register across the call to mn_switch. So every read goes through this
 * function, which it may neither inline nor analyse (noipa). */
__attribute__((noipa)) static struct mn_worker *this_worker(void)
{
    return mn_tls;
}

/* The running user thread, or NULL on a kernel thread that runs none. */
__attribute__((unused)) static struct mn_thread *this_thread(void)
{
    struct mn_worker *w = this_worker();
    return w ? w->current : NULL;
}

__attribute__((unused)) static void q_push(struct mn_queue *q, struct mn_thread *t)
{
    t->next = NULL;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
    q->n++;
}

__attribute__((unused)) static struct mn_thread *q_pop(struct mn_queue *q)
{
    struct mn_thread *t = q->head;
    if (t) {
        q->head = t->next;
        if (!q->head)
            q->tail = NULL;
        t->next = NULL;
        q->n--;
    }
    return t;
}

static void wake(struct mn_thread *t, int locked);

/* ================================================================== */
/* Stacks and the first frame                                  Task 1  */
/* ================================================================== */

void mn_trampoline(void)
{
#ifdef SOLUTION
    struct mn_thread *t = this_thread();
    mn_exit(t->fn(t->arg));
#else
    /* TODO 1.3: the first code of a new user thread, on its own stack:
     *           mn_exit(t->fn(t->arg)) for t = this_thread(). Returning
     *           from fn IS mn_exit; there is nothing to return to. */
    MN_PANIC("mn_trampoline is not written yet: see handout task 1.3");
#endif
}

int mn_stack_init(struct mn_thread *t)
{
#ifdef SOLUTION
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = MN_STACK_SIZE + pg;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    if (mprotect(m, pg, PROT_NONE) != 0) {
        int e = errno;
        munmap(m, len);
        errno = e;
        return -1;
    }
    t->map = m;
    t->map_len = len;
    t->vg_stack_id = VALGRIND_STACK_REGISTER(m + pg, m + len);
    /* First frame: mn_switch loads rsp = top - 16 and its ret pops the
     * trampoline; the trampoline then starts with rsp + 8 a multiple of
     * 16, as after a call. The 0 above it ends gdb's backtraces. */
    uint64_t top = (uint64_t)(uintptr_t)m + len;
    uint64_t *sp = (uint64_t *)(uintptr_t)(top - 16);
    sp[0] = (uint64_t)(uintptr_t)mn_trampoline;
    sp[1] = 0;
    memset(&t->ctx, 0, sizeof t->ctx);
    t->ctx.rsp = (uint64_t)(uintptr_t)sp;
    __asm__ volatile("stmxcsr %0" : "=m"(t->ctx.mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(t->ctx.fpucw));
    return 0;
#else
    /* TODO 1.1: as in lab 02: mmap MN_STACK_SIZE plus one page
     *           (PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK),
     *           make the LOWEST page PROT_NONE (the guard), store the mapping
     *           in t->map/t->map_len and register the usable part with
     *           VALGRIND_STACK_REGISTER. -1 on failure (errno from mmap).
     * TODO 1.2: the first frame: the address of mn_trampoline at top - 16,
     *           0 at top - 8, t->ctx zeroed with t->ctx.rsp = top - 16, and
     *           the caller's MXCSR and x87 control word copied into t->ctx
     *           (stmxcsr / fnstcw). */
    (void)t;
    errno = ENOSYS;
    return -1;
#endif
}

void mn_stack_free(struct mn_thread *t)
{
#ifdef SOLUTION
    MN_ASSERT(t->map);
    VALGRIND_STACK_DEREGISTER(t->vg_stack_id);
    if (munmap(t->map, t->map_len) != 0)
        MN_PANIC("munmap of thread %ld's stack: %s", t->id, strerror(errno)); /* GCOVR_EXCL_LINE: our own mapping */
    t->map = NULL;
#else
    /* TODO 1.4: deregister the stack from valgrind, munmap it, t->map = NULL. */
    (void)t;
#endif
}

/* ================================================================== */
/* Making a thread runnable, and waking a parked carrier     Tasks 2-4 */
/* ================================================================== */

/* t is off its stack (or new) and in no queue: queue it. From code running
 * on a carrier (a user thread, or the worker loop), on that carrier's
 * local queue; otherwise on the global queue. Then, if a carrier is
 * parked, wake one: it may take t (or steal it). locked: the caller holds
 * rt.lock already. */
__attribute__((unused)) static void make_runnable(struct mn_thread *t, int locked)
{
#ifdef SOLUTION
    struct mn_worker *w = this_worker();
    struct mn_carrier *c = w ? w->carrier : NULL;
    t->state = MN_RUNNABLE;
    if (c) {
        MN_CHECK(pthread_mutex_lock(&c->lock));
        q_push(&c->q, t);
        MN_CHECK(pthread_mutex_unlock(&c->lock));
    }
    if (!locked)
        MN_CHECK(pthread_mutex_lock(&rt.lock));
    if (!c)
        q_push(&rt.global, t);
    /* Read nidle under rt.lock: an idle carrier re-checks every queue under
     * rt.lock before it sleeps, so either it sees t, or it is already
     * asleep when we get the lock and this signal reaches it. */
    if (rt.nidle > 0)
        MN_CHECK(pthread_cond_signal(&rt.idle_cv));
    if (!locked)
        MN_CHECK(pthread_mutex_unlock(&rt.lock));
#else
    /* TODO 2.2: mark t MN_RUNNABLE and push it on the global queue
     *           (rt.global, under rt.lock unless `locked`).
     * TODO 3.2: then, still under rt.lock: if a carrier is parked
     *           (rt.nidle > 0), signal rt.idle_cv.
     * TODO 4.1: code running on a carrier (this_worker() with a carrier)
     *           pushes on that carrier's local queue instead, under the
     *           carrier's lock, released BEFORE taking rt.lock. */
    (void)t;
    (void)locked;
    MN_PANIC("make_runnable is not written yet: see handout task 2.2");
#endif
}

#ifdef SOLUTION
/* Any carrier's local queue non-empty? Caller holds rt.lock. */
static int any_local_work(void)
{
    for (int i = 0; i < rt.n; i++) {
        struct mn_carrier *d = &rt.carriers[i];
        MN_CHECK(pthread_mutex_lock(&d->lock));
        size_t n = d->q.n;
        MN_CHECK(pthread_mutex_unlock(&d->lock));
        if (n)
            return 1;
    }
    return 0;
}

static struct mn_thread *pop_global(void)
{
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    struct mn_thread *t = q_pop(&rt.global);
    if (t)
        rt.global_runs++;
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    return t;
}

static struct mn_thread *pop_local(struct mn_carrier *c)
{
    MN_CHECK(pthread_mutex_lock(&c->lock));
    struct mn_thread *t = q_pop(&c->q);
    if (t)
        c->local_runs++;
    MN_CHECK(pthread_mutex_unlock(&c->lock));
    return t;
}

/* Take the oldest thread of another carrier's local queue. */
static struct mn_thread *steal(struct mn_carrier *c)
{
    for (int i = 0; i < rt.n; i++) {
        struct mn_carrier *d = &rt.carriers[i];
        if (d == c)
            continue;
        MN_CHECK(pthread_mutex_lock(&d->lock));
        struct mn_thread *t = q_pop(&d->q);
        if (t)
            d->stolen++;
        MN_CHECK(pthread_mutex_unlock(&d->lock));
        if (t)
            return t;
    }
    return NULL;
}
#endif

/* The next user thread for worker w's carrier; parks when there is none.
 * NULL when the runtime stops. */
__attribute__((unused)) static struct mn_thread *find_work(struct mn_worker *w)
{
#ifdef SOLUTION
    struct mn_carrier *c = w->carrier;
    struct mn_thread *t;
    for (;;) {
        /* Fairness: every MN_GLOBAL_EVERY-th pick, the global queue first. */
        if (--c->countdown == 0) {
            c->countdown = MN_GLOBAL_EVERY;
            if ((t = pop_global()))
                return t;
        }
        if ((t = pop_local(c)) || (t = pop_global()) || (t = steal(c)))
            return t;
        /* Nothing anywhere: park. Register as idle, then look again under
         * rt.lock: a thread queued after our search is seen now, and one
         * queued later finds nidle > 0 and signals us. */
        MN_CHECK(pthread_mutex_lock(&rt.lock));
        if (rt.stop) {
            MN_CHECK(pthread_mutex_unlock(&rt.lock));
            return NULL;
        }
        rt.nidle++;
        if (!rt.global.head && !any_local_work()) {
            rt.parks++;
            MN_CHECK(pthread_cond_wait(&rt.idle_cv, &rt.lock));
        }
        rt.nidle--;
        MN_CHECK(pthread_mutex_unlock(&rt.lock));
    }
#else
    /* TODO 2.3: return the head of the global queue (under rt.lock); with
     *           an empty queue, return NULL if rt.stop, else look again.
     * TODO 3.1: do not spin: with nothing to run, rt.nidle++ and wait on
     *           rt.idle_cv, all under rt.lock and after one more look at
     *           the queues under that lock (handout: "Idle carriers sleep").
     * TODO 4.2: local queue first, then global, then steal from another
     *           carrier's local queue; every MN_GLOBAL_EVERY-th pick
     *           (count down w->carrier->countdown) try the global queue
     *           first. */
    (void)w;
    MN_PANIC("find_work is not written yet: see handout task 2.3");
#endif
}

/* ================================================================== */
/* The carriers' loop                                          Task 2  */
/* ================================================================== */

#ifdef SOLUTION
/* The user thread t, just off its stack, is done with the carrier. */
static void finish_exit(struct mn_thread *t)
{
    mn_stack_free(t);
    MN_TSAN_DESTROY(t->fiber);
    t->fiber = NULL;
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    t->state = MN_ZOMBIE;
    t->exited = 1;
    rt.nlive--;
    if (t->joiner)
        wake(t->joiner, 1);
    /* A kernel thread in mn_join, or mn_shutdown waiting for nlive == 0. */
    MN_CHECK(pthread_cond_broadcast(&rt.exit_cv));
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
}

/* Worker w lent its carrier to the user thread t in mn_block_begin, and t
 * has just left its block section. w becomes a spare FIRST (so t's next
 * mn_block_begin finds it), then queues t on the global queue (w holds no
 * carrier, so make_runnable picks that one), then waits until a carrier is
 * handed to it. 1 when it has one, 0 when the runtime stops. */
static int become_spare(struct mn_worker *w, struct mn_thread *t)
{
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    w->in_spares = 1;
    w->next_spare = rt.spares;
    rt.spares = w;
    make_runnable(t, 1);
    while (!w->carrier && !rt.stop)
        MN_CHECK(pthread_cond_wait(&w->cv, &rt.lock));
    int got = w->carrier != NULL;
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    return got;
}
#endif

void *mn_worker_main(void *arg)
{
#ifdef SOLUTION
    struct mn_worker *w = arg;
    mn_tls = w;
    w->fiber = MN_TSAN_CURRENT();
    for (;;) {
        struct mn_thread *t = find_work(w);
        if (!t)
            break;
        t->state = MN_RUNNING;
        w->current = t;
        w->after = MN_AFTER_NONE;
        MN_TSAN_SWITCH(t->fiber);
        mn_switch(&w->ctx, &t->ctx);
        /* t switched back: its context is saved, it is off its stack. */
        w->current = NULL;
        switch (w->after) {
        case MN_AFTER_YIELD:
            make_runnable(t, 0);
            break;
        case MN_AFTER_BLOCK_END:
            if (!become_spare(w, t))
                return NULL;
            break;
        case MN_AFTER_PARK: {
            MN_CHECK(pthread_mutex_lock(&t->plock));
            int woken = t->wake_pending;
            t->parking = t->wake_pending = 0;
            MN_CHECK(pthread_mutex_unlock(&t->plock));
            if (woken)
                make_runnable(t, 0);
            break;
        }
        case MN_AFTER_EXIT:
            finish_exit(t);
            break;
        default:
            MN_PANIC("user thread %ld switched back without saying why", t->id); /* GCOVR_EXCL_LINE */
        }
    }
    return NULL;
#else
    /* TODO 2.4: set mn_tls = w and w->fiber = MN_TSAN_CURRENT(). Loop:
     *           t = find_work(w) (NULL: return); mark t MN_RUNNING, make it
     *           w->current, MN_TSAN_SWITCH(t->fiber) and
     *           mn_switch(&w->ctx, &t->ctx). When that returns, t is off its
     *           stack: do what w->after says (make_runnable, finish
     *           a park (Task 5.1), or finish an exit: free the stack, destroy
     *           the fiber, zombie + nlive-- + wake joiners under rt.lock).
     * TODO 6.3: MN_AFTER_BLOCK_END: this worker lent its carrier away.
     *           Under rt.lock: put it on rt.spares FIRST, then queue t
     *           (global: we hold no carrier), then wait on w->cv until a
     *           carrier is handed over (continue) or rt.stop (return). */
    (void)arg;
    return NULL;
#endif
}

#ifdef SOLUTION
/* The user thread t gives its carrier back to its worker; returns when
 * some carrier runs t again. */
static void switch_to_worker(struct mn_thread *t, enum mn_after why)
{
    struct mn_worker *w = this_worker();
    w->after = why;
    MN_TSAN_SWITCH(w->fiber);
    mn_switch(&t->ctx, &w->ctx);
    /* Possibly on another kernel thread now: w is stale. */
}
#endif

/* ================================================================== */
/* Parking a user thread                                       Task 5  */
/* ================================================================== */

/* Parking is in two steps, because no lock may be held across a switch:
 * park_prepare(t), called while t puts itself on a wait queue (under that
 * queue's lock), says "t is on its way out"; then t releases the queue's
 * lock and park_commit(t) switches to the worker. A waker may pop t in
 * between: wake(t) then only leaves a note (wake_pending), and the worker,
 * once t is off its stack, queues it. Otherwise wake(t) queues it. */
__attribute__((unused)) static void park_prepare(struct mn_thread *t)
{
#ifdef SOLUTION
    if (t->blocking)
        MN_PANIC("user thread %ld would park between mn_block_begin and "
                 "mn_block_end", t->id);
    MN_CHECK(pthread_mutex_lock(&t->plock));
    t->parking = 1;
    t->state = MN_BLOCKED;
    MN_CHECK(pthread_mutex_unlock(&t->plock));
#else
    /* TODO 5.1: panic in a block section; under t->plock set t->parking
     *           and the state MN_BLOCKED. */
    (void)t;
    MN_PANIC("park_prepare is not written yet: see handout task 5.1");
#endif
}

__attribute__((unused)) static void park_commit(struct mn_thread *t)
{
#ifdef SOLUTION
    switch_to_worker(t, MN_AFTER_PARK);
#else
    /* TODO 5.1: switch to the worker with MN_AFTER_PARK; the worker then
     *           clears t->parking under t->plock and, if wake_pending was
     *           set meanwhile, clears it and make_runnable(t, 0). */
    (void)t;
#endif
}

/* Make the parked (or parking) thread t runnable. locked: as make_runnable. */
__attribute__((unused)) static void wake(struct mn_thread *t, int locked)
{
#ifdef SOLUTION
    MN_CHECK(pthread_mutex_lock(&t->plock));
    int now = !t->parking;
    if (!now)
        t->wake_pending = 1;
    MN_CHECK(pthread_mutex_unlock(&t->plock));
    if (now)
        make_runnable(t, locked);
#else
    /* TODO 5.1: under t->plock: still parking? set wake_pending (its worker
     *           will queue it). Else, after unlocking, make_runnable. */
    (void)t;
    (void)locked;
#endif
}

#ifdef SOLUTION
static void thread_free(struct mn_thread *t)
{
    pthread_mutex_destroy(&t->plock);
    free(t);
}

static void worker_free(struct mn_worker *w)
{
    pthread_cond_destroy(&w->cv);
    free(w);
}

/* A new worker holding carrier c (NULL: none). Caller holds rt.lock. */
static struct mn_worker *worker_start(struct mn_carrier *c)
{
    struct mn_worker *w = calloc(1, sizeof *w);
    if (!w) {
        errno = ENOMEM;
        return NULL;
    }
    pthread_cond_init(&w->cv, NULL);
    w->carrier = c;
    int rc = pthread_create(&w->pt, NULL, mn_worker_main, w);
    if (rc != 0) {
        worker_free(w);
        errno = EAGAIN;
        return NULL;
    }
    w->next_all = rt.workers;
    rt.workers = w;
    rt.kthreads++;
    return w;
}

/* Stop and join every worker, free them and the carriers. Caller holds
 * rt.lock, which it keeps; nobody else can be in the runtime. */
static void stop_all(void)
{
    rt.stop = 1;
    MN_CHECK(pthread_cond_broadcast(&rt.idle_cv));
    for (struct mn_worker *s = rt.spares; s; s = s->next_spare)
        MN_CHECK(pthread_cond_signal(&s->cv));
    struct mn_worker *all = rt.workers;
    rt.workers = NULL;
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    while (all) {
        struct mn_worker *w = all;
        all = w->next_all;
        MN_CHECK(pthread_join(w->pt, NULL));
        worker_free(w);
    }
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    for (int i = 0; i < rt.n; i++)
        pthread_mutex_destroy(&rt.carriers[i].lock);
    free(rt.carriers);
    rt.carriers = NULL;
}
#endif

/* ================================================================== */
/* The runtime                                                 Task 2  */
/* ================================================================== */

int mn_init(int n)
{
#ifdef SOLUTION
    if (n < 1 || n > MN_MAX_CARRIERS) {
        errno = EINVAL;
        return -1;
    }
    if (this_worker()) {
        errno = EBUSY;
        return -1;
    }
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    if (rt.up) {
        MN_CHECK(pthread_mutex_unlock(&rt.lock));
        errno = EBUSY;
        return -1;
    }
    int err = ENOMEM;
    rt.carriers = calloc((size_t)n, sizeof *rt.carriers);
    if (!rt.carriers)
        goto fail;
    rt.n = n;
    for (int i = 0; i < n; i++) {
        rt.carriers[i].index = i;
        rt.carriers[i].countdown = MN_GLOBAL_EVERY;
        pthread_mutex_init(&rt.carriers[i].lock, NULL);
    }
    rt.stop = rt.closing = 0;
    rt.next_id = 1;
    rt.owner = pthread_self();
    for (int i = 0; i < n; i++)
        if (!worker_start(&rt.carriers[i])) {
            err = errno;
            stop_all(); /* the ones already started */
            goto fail;
        }
    rt.up = 1;
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    return 0;
fail:
    free(rt.carriers);
    rt.carriers = NULL;
    rt.n = 0;
    rt.kthreads = 0;
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    errno = err;
    return -1;
#else
    /* TODO 2.1: EINVAL for n out of range; EBUSY if the runtime is up.
     *           Under rt.lock: calloc rt.carriers (index, lock, countdown
     *           = MN_GLOBAL_EVERY), set rt.n,
     *           rt.next_id = 1, rt.owner = pthread_self(); start one worker
     *           per carrier (calloc a struct mn_worker, its cv, its carrier,
     *           pthread_create(mn_worker_main), link it on rt.workers). On
     *           a failure stop and join those already started and free all:
     *           EAGAIN for pthread_create, ENOMEM for memory. */
    (void)n;
    errno = ENOSYS;
    return -1;
#endif
}

int mn_shutdown(void)
{
#ifdef SOLUTION
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    if (!rt.up || this_worker() || !pthread_equal(rt.owner, pthread_self())) {
        MN_CHECK(pthread_mutex_unlock(&rt.lock));
        errno = EPERM;
        return -1;
    }
    rt.closing = 1;
    while (rt.nlive > 0)
        MN_CHECK(pthread_cond_wait(&rt.exit_cv, &rt.lock));
    stop_all();
    for (mn_t id = 1; id < rt.next_id; id++)
        if (rt.table[id])
            thread_free(rt.table[id]); /* zombies nobody joined */
    free(rt.table);
    rt.table = NULL;
    rt.table_cap = 0;
    rt.next_id = 1;
    rt.spares = NULL;
    rt.kthreads = 0;
    rt.n = 0;
    rt.global_runs = rt.parks = rt.spares_started = 0;
    rt.up = 0;
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    return 0;
#else
    /* TODO 2.6: EPERM unless the runtime is up and the caller is the
     *           kernel thread that called mn_init. Set rt.closing, wait on
     *           rt.exit_cv until rt.nlive == 0, then set rt.stop, wake
     *           every parked carrier and spare, join every worker (without
     *           holding rt.lock), free workers, carriers, the records left
     *           in rt.table and the table, and reset rt for a new mn_init. */
    errno = ENOSYS;
    return -1;
#endif
}

mn_t mn_spawn(void *(*fn)(void *), void *arg)
{
#ifdef SOLUTION
    if (!fn) {
        errno = EINVAL;
        return -1;
    }
    struct mn_thread *t = calloc(1, sizeof *t);
    if (!t) {
        errno = ENOMEM;
        return -1;
    }
    if (mn_stack_init(t) != 0) {
        free(t);
        errno = ENOMEM;
        return -1;
    }
    pthread_mutex_init(&t->plock, NULL);
    t->fn = fn;
    t->arg = arg;
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    int err = EPERM;
    if (!rt.up || (rt.closing && !this_thread()))
        goto fail;
    err = ENOMEM;
    if ((size_t)rt.next_id >= rt.table_cap) {
        size_t cap = rt.table_cap ? 2 * rt.table_cap : 256;
        struct mn_thread **nt = realloc(rt.table, cap * sizeof *nt);
        if (!nt)
            goto fail;
        rt.table = nt;
        rt.table_cap = cap;
    }
    t->id = rt.next_id++;
    rt.table[t->id] = t;
    rt.nlive++;
    t->fiber = MN_TSAN_CREATE();
    mn_t id = t->id;
    make_runnable(t, 1);
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    return id;
fail:
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    mn_stack_free(t);
    thread_free(t);
    errno = err;
    return -1;
#else
    /* TODO 2.5: EINVAL for a NULL fn; calloc the record and mn_stack_init
     *           it (ENOMEM); store fn and arg. Under rt.lock: EPERM if the
     *           runtime is down (or closing, for a caller that is not a
     *           user thread); give it the next id in rt.table (grow it with
     *           realloc: ENOMEM), count it in rt.nlive, create its fiber
     *           (MN_TSAN_CREATE) and make_runnable(t, 1). Undo everything
     *           on each failure. */
    (void)fn;
    (void)arg;
    errno = ENOSYS;
    return -1;
#endif
}

mn_t mn_self(void)
{
#ifdef SOLUTION
    struct mn_thread *t = this_thread();
    return t ? t->id : 0;
#else
    /* TODO 2.7: the running user thread's id, 0 outside one. */
    return 0;
#endif
}

int mn_carrier(void)
{
#ifdef SOLUTION
    struct mn_worker *w = this_worker();
    return w && w->current && w->carrier ? w->carrier->index : -1;
#else
    /* TODO 2.7: the index of this worker's carrier while it runs a user
     *           thread, -1 otherwise. */
    return -1;
#endif
}

void mn_yield(void)
{
#ifdef SOLUTION
    struct mn_thread *t = this_thread();
    if (!t || t->blocking)
        return;
    switch_to_worker(t, MN_AFTER_YIELD);
#else
    /* TODO 2.8: in a user thread (and not in a block section): set the
     *           worker's `after` to MN_AFTER_YIELD, MN_TSAN_SWITCH to the
     *           worker's fiber and mn_switch(&t->ctx, &worker->ctx). The
     *           worker queues t once t is off its stack. */
#endif
}

void mn_exit(void *retval)
{
#ifdef SOLUTION
    struct mn_thread *t = this_thread();
    if (!t)
        MN_PANIC("mn_exit called outside a user thread");
    if (t->blocking)
        MN_PANIC("mn_exit called by user thread %ld between mn_block_begin "
                 "and mn_block_end", t->id);
    t->retval = retval;
    switch_to_worker(t, MN_AFTER_EXIT);
    MN_PANIC("user thread %ld ran again after mn_exit", t->id); /* GCOVR_EXCL_LINE */
#else
    /* TODO 2.9: panic outside a user thread or in a block section. Store
     *           retval and switch to the worker with MN_AFTER_EXIT: it
     *           frees the stack we stand on, which we cannot do ourselves. */
    (void)retval;
    MN_PANIC("mn_exit is not written yet: see handout task 2.9");
#endif
}

int mn_join(mn_t id, void **retval)
{
#ifdef SOLUTION
    struct mn_thread *me = this_thread();
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    int err = EPERM;
    struct mn_thread *t = NULL;
    if (!rt.up)
        goto fail;
    err = ESRCH;
    if (id <= 0 || id >= rt.next_id)
        goto fail;
    t = rt.table[id];
    err = EDEADLK;
    if (t && t == me)
        goto fail;
    err = EINVAL;
    if (!t || t->joiner || t->kjoined)
        goto fail;
    if (!t->exited) {
        if (me) {
            t->joiner = me;
            park_prepare(me);
            MN_CHECK(pthread_mutex_unlock(&rt.lock));
            park_commit(me); /* finish_exit wakes us */
            MN_CHECK(pthread_mutex_lock(&rt.lock));
        } else {
            t->kjoined = 1;
            while (!t->exited)
                MN_CHECK(pthread_cond_wait(&rt.exit_cv, &rt.lock));
        }
    }
    MN_ASSERT(t->exited);
    if (retval)
        *retval = t->retval;
    rt.table[id] = NULL;
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    thread_free(t);
    return 0;
fail:
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    errno = err;
    return -1;
#else
    /* TODO 2.10: under rt.lock: EPERM, ESRCH, EDEADLK, EINVAL (mn.h).
     *            Unless t->exited: a user thread records itself in
     *            t->joiner, park_prepare, unlocks rt.lock and park_commit
     *            (Task 5.1; finish_exit wakes it); a kernel thread sets t->kjoined and waits on
     *            rt.exit_cv. Then hand out t->retval, clear rt.table[id],
     *            unlock and free the record. */
    (void)id;
    (void)retval;
    errno = ENOSYS;
    return -1;
#endif
}

int mn_stats(struct mn_stats *out)
{
#ifdef SOLUTION
    if (!out) {
        errno = EINVAL;
        return -1;
    }
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    if (!rt.up) {
        MN_CHECK(pthread_mutex_unlock(&rt.lock));
        errno = EPERM;
        return -1;
    }
    memset(out, 0, sizeof *out);
    for (int i = 0; i < rt.n; i++) {
        struct mn_carrier *c = &rt.carriers[i];
        MN_CHECK(pthread_mutex_lock(&c->lock));
        out->local_runs += c->local_runs;
        out->steals += c->stolen;
        MN_CHECK(pthread_mutex_unlock(&c->lock));
    }
    out->global_runs = rt.global_runs;
    out->parks = rt.parks;
    out->spares = rt.spares_started;
    out->kthreads = rt.kthreads;
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    return 0;
#else
    /* TODO 2.11: EINVAL for NULL, EPERM when down; else fill *out from the
     *            counters (each read under the lock that guards it). */
    (void)out;
    errno = ENOSYS;
    return -1;
#endif
}

/* ================================================================== */
/* Blocking system calls                                       Task 6  */
/* ================================================================== */

int mn_block_begin(void)
{
#ifdef SOLUTION
    struct mn_thread *t = this_thread();
    if (!t) {
        errno = EPERM;
        return -1;
    }
    if (t->blocking) {
        errno = EINVAL;
        return -1;
    }
    struct mn_worker *w = this_worker();
    MN_CHECK(pthread_mutex_lock(&rt.lock));
    struct mn_carrier *c = w->carrier;
    struct mn_worker *s = rt.spares;
    if (s) {
        rt.spares = s->next_spare;
        s->in_spares = 0;
        s->carrier = c;
        MN_CHECK(pthread_cond_signal(&s->cv));
    } else if (worker_start(c)) {
        rt.spares_started++;
    } else {
        MN_CHECK(pthread_mutex_unlock(&rt.lock));
        errno = EAGAIN;
        return -1;
    }
    w->carrier = NULL;
    MN_CHECK(pthread_mutex_unlock(&rt.lock));
    t->blocking = 1;
    return 0;
#else
    /* TODO 6.1: EPERM outside a user thread, EINVAL inside a block
     *           section. Under rt.lock: hand this worker's carrier to a
     *           parked spare (pop rt.spares, set its carrier, signal its
     *           cv) or to a new worker (count rt.spares_started; EAGAIN if
     *           it cannot be started: keep the carrier). The worker has no
     *           carrier now; mark the thread blocking. */
    errno = ENOSYS;
    return -1;
#endif
}

int mn_block_end(void)
{
#ifdef SOLUTION
    struct mn_thread *t = this_thread();
    if (!t) {
        errno = EPERM;
        return -1;
    }
    if (!t->blocking) {
        errno = EINVAL;
        return -1;
    }
    t->blocking = 0;
    switch_to_worker(t, MN_AFTER_BLOCK_END);
    return 0;
#else
    /* TODO 6.2: EPERM, EINVAL (not in a block section). Clear blocking and
     *           switch to the worker with MN_AFTER_BLOCK_END: it queues t
     *           on the global queue, then (having no carrier) waits as a
     *           spare (Task 6.3). */
    errno = ENOSYS;
    return -1;
#endif
}

/* ================================================================== */
/* Mutex and condition variable                                Task 5  */
/* ================================================================== */

int mn_mutex_init(mn_mutex_t *m)
{
#ifdef SOLUTION
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->guard, NULL);
    return 0;
#else
    /* TODO 5.2: zero the fields and init the guard. */
    (void)m;
    return ENOSYS;
#endif
}

int mn_mutex_destroy(mn_mutex_t *m)
{
#ifdef SOLUTION
    /* Destroying a mutex some thread may still be using is the caller's
     * bug (mn.h): no lock can make it safe, so none is taken. */
    if (m->owner || m->head)
        return EBUSY;
    pthread_mutex_destroy(&m->guard);
    return 0;
#else
    /* TODO 5.2: EBUSY when owned or waited on; else destroy the guard. */
    (void)m;
    return ENOSYS;
#endif
}

int mn_mutex_lock(mn_mutex_t *m)
{
#ifdef SOLUTION
    struct mn_thread *me = this_thread();
    if (!me)
        return EPERM;
    MN_CHECK(pthread_mutex_lock(&m->guard));
    if (!m->owner) {
        m->owner = me;
        MN_CHECK(pthread_mutex_unlock(&m->guard));
        return 0;
    }
    if (m->owner == me) {
        MN_CHECK(pthread_mutex_unlock(&m->guard));
        return EDEADLK;
    }
    struct mn_queue q = {m->head, m->tail, 0};
    q_push(&q, me);
    m->head = q.head;
    m->tail = q.tail;
    park_prepare(me);
    MN_CHECK(pthread_mutex_unlock(&m->guard));
    park_commit(me);
    /* The unlocker handed the mutex to us before making us runnable. */
    MN_ASSERT(m->owner == me);
    return 0;
#else
    /* TODO 5.3: EPERM outside a user thread. Under m->guard: a free mutex
     *           becomes ours; EDEADLK if we hold it; else append us to the
     *           wait queue, park_prepare, unlock the guard, park_commit.
     *           When we run again the
     *           unlocker has made us the owner (no retry loop needed). */
    (void)m;
    return ENOSYS;
#endif
}

int mn_mutex_unlock(mn_mutex_t *m)
{
#ifdef SOLUTION
    struct mn_thread *me = this_thread();
    MN_CHECK(pthread_mutex_lock(&m->guard));
    if (!me || m->owner != me) {
        MN_CHECK(pthread_mutex_unlock(&m->guard));
        return EPERM;
    }
    struct mn_queue q = {m->head, m->tail, 0};
    struct mn_thread *next = q_pop(&q);
    m->head = q.head;
    m->tail = q.tail;
    m->owner = next; /* hand-off: no one can barge in */
    MN_CHECK(pthread_mutex_unlock(&m->guard));
    if (next)
        wake(next, 0);
    return 0;
#else
    /* TODO 5.4: EPERM unless the caller owns m. Under m->guard: pop the
     *           first waiter and make it the owner (NULL: free). After
     *           unlocking the guard, wake the new owner. */
    (void)m;
    return ENOSYS;
#endif
}

int mn_cond_init(mn_cond_t *c)
{
#ifdef SOLUTION
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->guard, NULL);
    return 0;
#else
    /* TODO 5.5 */
    (void)c;
    return ENOSYS;
#endif
}

int mn_cond_destroy(mn_cond_t *c)
{
#ifdef SOLUTION
    if (c->head) /* as in mn_mutex_destroy: no concurrent user allowed */
        return EBUSY;
    pthread_mutex_destroy(&c->guard);
    return 0;
#else
    /* TODO 5.5 */
    (void)c;
    return ENOSYS;
#endif
}

int mn_cond_wait(mn_cond_t *c, mn_mutex_t *m)
{
#ifdef SOLUTION
    struct mn_thread *me = this_thread();
    if (!me)
        return EPERM;
    /* No guard needed: while we own m nobody else writes m->owner, and a
     * caller that does not own m breaks the contract anyway. */
    if (m->owner != me)
        return EPERM;
    /* Queue first, unlock m second: a signaller needs m to change the
     * predicate, and by then we are on c's queue. */
    MN_CHECK(pthread_mutex_lock(&c->guard));
    struct mn_queue q = {c->head, c->tail, 0};
    q_push(&q, me);
    c->head = q.head;
    c->tail = q.tail;
    park_prepare(me);
    MN_CHECK(pthread_mutex_unlock(&c->guard));
    mn_mutex_unlock(m);
    park_commit(me);
    return mn_mutex_lock(m);
#else
    /* TODO 5.6: EPERM outside a user thread or if we do not own m (no
     *           lock: only we change m->owner from us). Under c->guard:
     *           queue us on c, park_prepare; unlock the guard; THEN
     *           mn_mutex_unlock(m); park_commit; when woken,
     *           mn_mutex_lock(m). */
    (void)c;
    (void)m;
    return ENOSYS;
#endif
}

int mn_cond_signal(mn_cond_t *c)
{
#ifdef SOLUTION
    MN_CHECK(pthread_mutex_lock(&c->guard));
    struct mn_queue q = {c->head, c->tail, 0};
    struct mn_thread *t = q_pop(&q);
    c->head = q.head;
    c->tail = q.tail;
    MN_CHECK(pthread_mutex_unlock(&c->guard));
    if (t)
        wake(t, 0);
    return 0;
#else
    /* TODO 5.7: pop the first waiter under c->guard; wake() it after
     *           unlocking the guard. */
    (void)c;
    return ENOSYS;
#endif
}

int mn_cond_broadcast(mn_cond_t *c)
{
#ifdef SOLUTION
    MN_CHECK(pthread_mutex_lock(&c->guard));
    struct mn_thread *t = c->head;
    c->head = c->tail = NULL;
    MN_CHECK(pthread_mutex_unlock(&c->guard));
    while (t) {
        struct mn_thread *next = t->next;
        wake(t, 0);
        t = next;
    }
    return 0;
#else
    /* TODO 5.7: take the whole queue under c->guard, then wake each
     *           (read ->next first: a woken thread is relinked). */
    (void)c;
    return ENOSYS;
#endif
}
