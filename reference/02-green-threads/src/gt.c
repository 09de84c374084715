/*
 * gt.c - green threads: stacks, the first frame, the scheduler, join,
 * sleep and I/O (handout Tasks 2 to 7; Task 1 is src/gt_switch.S).
 *
 * One struct gt_sched per kernel thread, reached through the thread-local
 * pointer gt_tls. Nothing here takes a lock: only the owning kernel thread
 * ever touches its scheduler, and green threads never migrate.
 */
#include "gt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

/* This kernel thread's scheduler; NULL outside gt_init .. gt_fini. */
static __thread struct gt_sched *gt_tls __attribute__((unused));

/* ================================================================== */
/* Given: panics and small list helpers                               */
/* ================================================================== */

void gt_panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One fprintf: the line stays whole even if another kernel thread
     * panics at the same moment. */
    fprintf(stderr, "gt panic at %s:%d: %s\n", file, line, msg);
    fflush(stderr);
    abort();
}

void gt_switch_missing(void) /* GCOVR_EXCL_START: only the skeleton's gt_switch.S calls it */
{
    fprintf(stderr, "gt_switch is not written yet: see handout task 1 "
                    "(src/gt_switch.S)\n");
    fflush(stderr);
    abort();
} /* GCOVR_EXCL_STOP */

static inline uint64_t gt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Append t (already GT_RUNNABLE) at the tail of the run queue. */
static inline void runq_push(struct gt_sched *s, struct gt_thread *t)
{
    GT_ASSERT(t->state == GT_RUNNABLE);
    t->next = NULL;
    if (s->runq_tail)
        s->runq_tail->next = t;
    else
        s->runq_head = t;
    s->runq_tail = t;
}

/* Remove and return the next thread to run, or NULL if the queue is empty:
 * the head, except in the kit's stress runs, where tl_perturb_pick now and
 * then picks one of the next few instead (seeded, so a failing order
 * replays). A correct scheduler never relies on the queue's order. */
static inline struct gt_thread *runq_pop(struct gt_sched *s)
{
    struct gt_thread *prev = NULL, *t = s->runq_head;
    if (t && t->next && tl_perturb_pick) {
        unsigned n = 1;
        for (struct gt_thread *u = t->next; u && n < 8; u = u->next)
            n++;
        for (unsigned k = tl_perturb_pick(n); k > 0 && t->next; k--) {
            prev = t;
            t = t->next;
        }
    }
    if (t) {
        if (prev)
            prev->next = t->next;
        else
            s->runq_head = t->next;
        if (s->runq_tail == t)
            s->runq_tail = prev;
        t->next = NULL;
    }
    return t;
}

static inline void make_runnable(struct gt_sched *s, struct gt_thread *t)
{
    t->state = GT_RUNNABLE;
    runq_push(s, t);
}

/* Give t the next id and record it in the table. 0, or -1 (ENOMEM). */
static inline int table_add(struct gt_sched *s, struct gt_thread *t)
{
    if ((size_t)s->next_id >= s->table_cap) {
        size_t cap = s->table_cap ? 2 * s->table_cap : 64;
        struct gt_thread **nt = realloc(s->table, cap * sizeof *nt);
        if (!nt) {
            errno = ENOMEM;
            return -1;
        }
        memset(nt + s->table_cap, 0, (cap - s->table_cap) * sizeof *nt);
        s->table = nt;
        s->table_cap = cap;
    }
    t->id = s->next_id++;
    s->table[t->id] = t;
    return 0;
}

/* The live record of id, or NULL with errno ESRCH (never spawned here) or
 * EINVAL (spawned, but already released by join or detach). */
static inline struct gt_thread *table_find(struct gt_sched *s, gt_t id)
{
    if (id <= 0 || id >= s->next_id) {
        errno = ESRCH;
        return NULL;
    }
    if (!s->table[id]) {
        errno = EINVAL;
        return NULL;
    }
    return s->table[id];
}

/* Forget a zombie that is off its stack: its id, its stack, its record. */
static inline void release(struct gt_sched *s, struct gt_thread *t)
{
    GT_ASSERT(t->state == GT_ZOMBIE);
    GT_ASSERT(t != s->current);
    s->table[t->id] = NULL;
    gt_stack_free(t);
    free(t);
}

/* Release the detached threads that exited. Called right after a switch
 * lands in a thread: whoever is on the dead list has switched away, so no
 * one runs on those stacks any more. */
static inline void reap_dead(struct gt_sched *s)
{
    while (s->dead) {
        struct gt_thread *t = s->dead;
        s->dead = t->next;
        release(s, t);
    }
}

/* ================================================================== */
/* Stacks                                                      Task 2  */
/* ================================================================== */

int gt_stack_alloc(struct gt_thread *t, size_t size)
{
#ifdef SOLUTION
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t usable = (size + pg - 1) & ~(pg - 1);
    size_t len = usable + pg;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    /* The guard page is the LOWEST page: a stack grows down into it. */
    if (mprotect(m, pg, PROT_NONE) != 0) {
        int e = errno;
        munmap(m, len);
        errno = e;
        return -1;
    }
    t->map = m;
    t->map_len = len;
    /* Tell memcheck this range is a stack, so it follows our switches. */
    t->vg_stack_id = VALGRIND_STACK_REGISTER(m + pg, m + len);
    return 0;
#else
    /* TODO 2.1: round size up to a whole number of pages
     *           (sysconf(_SC_PAGESIZE)) and add ONE page for the guard.
     * TODO 2.2: mmap that many bytes, PROT_READ|PROT_WRITE,
     *           MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK. On MAP_FAILED return -1
     *           (mmap has set errno).
     * TODO 2.3: mprotect the LOWEST page PROT_NONE: that is the guard page.
     *           On failure munmap and return -1.
     * TODO 2.4: store the mapping in t->map and t->map_len, and register the
     *           usable part with valgrind:
     *           t->vg_stack_id = VALGRIND_STACK_REGISTER(low, high);
     *           (a no-op outside valgrind). */
    (void)t;
    (void)size;
    errno = ENOSYS;
    return -1;
#endif
}

void gt_stack_free(struct gt_thread *t)
{
#ifdef SOLUTION
    if (!t->map)
        return;
    VALGRIND_STACK_DEREGISTER(t->vg_stack_id);
    if (munmap(t->map, t->map_len) != 0)
        GT_PANIC("munmap of thread %d's stack failed: %s", t->id, strerror(errno)); /* GCOVR_EXCL_LINE: cannot fail on our own mapping */
    t->map = NULL;
    t->map_len = 0;
#else
    /* TODO 2.5: if t has a stack: VALGRIND_STACK_DEREGISTER(t->vg_stack_id),
     *           munmap the whole mapping (guard page included), and set
     *           t->map to NULL. A failing munmap is a bug: GT_PANIC. */
    (void)t;
#endif
}

/* ================================================================== */
/* The first frame and the trampoline                          Task 3  */
/* ================================================================== */

void gt_trampoline(void)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    /* We got here through a gt_switch, like any thread that resumes. */
    reap_dead(s);
    struct gt_thread *t = s->current;
    gt_exit(t->fn(t->arg));
#else
    /* TODO 3.3: this runs on the new thread's stack, after the first
     *           gt_switch into it. Call reap_dead(gt_tls) (like every
     *           thread just switched to), then
     *           gt_exit(current->fn(current->arg)): returning from fn IS
     *           gt_exit. There is nothing to return to. */
    GT_PANIC("gt_trampoline is not written yet: see handout task 3");
#endif
}

void gt_context_init(struct gt_thread *t)
{
#ifdef SOLUTION
    /* The top of the mapping is page aligned, so 16-byte aligned. gt_switch
     * loads rsp = top - 16 and its ret pops sp[0], the trampoline. The
     * trampoline then starts with rsp = top - 8, i.e. rsp + 8 is a
     * multiple of 16: exactly what a call instruction would have left.
     * sp[1] is the trampoline's "return address": 0 ends backtraces. */
    uint64_t top = (uint64_t)(uintptr_t)t->map + t->map_len;
    GT_ASSERT(top % 16 == 0);
    uint64_t *sp = (uint64_t *)(uintptr_t)(top - 16);
    sp[0] = (uint64_t)(uintptr_t)gt_trampoline;
    sp[1] = 0;
    memset(&t->ctx, 0, sizeof t->ctx);
    t->ctx.rsp = (uint64_t)(uintptr_t)sp;
    /* A new thread inherits the spawner's floating-point modes. */
    __asm__ volatile("stmxcsr %0" : "=m"(t->ctx.mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(t->ctx.fpucw));
#else
    /* TODO 3.1: the stack top is t->map + t->map_len (page aligned). Write
     *           the address of gt_trampoline in the 8 bytes at top - 16 and
     *           0 in the 8 bytes at top - 8 (a fake return address for the
     *           trampoline: it ends gdb's backtraces). Set every field of
     *           t->ctx to 0, then t->ctx.rsp = top - 16. Check the ABI
     *           rule: at the trampoline's first instruction rsp + 8 must be
     *           a multiple of 16.
     * TODO 3.2: copy the CALLER's MXCSR and x87 control word into t->ctx
     *           (inline asm: stmxcsr %0 / fnstcw %0 with an "=m" operand),
     *           so the new thread inherits the spawner's FP modes. */
    GT_PANIC("gt_context_init is not written yet: see handout task 3 "
             "(thread %d)", t->id);
#endif
}

/* ================================================================== */
/* The scheduler                                               Task 4  */
/* ================================================================== */

void gt_schedule(struct gt_sched *s)
{
#ifdef SOLUTION
    struct gt_thread *prev = s->current;
    struct gt_thread *next;
    for (;;) {
        if (s->sleepers)
            gt_wake_sleepers(s, gt_now_ns());
        if (s->n_io)
            gt_poll_io(s, 0);
        if ((next = runq_pop(s)))
            break;
        /* Nothing runnable: wait in poll() for an fd or the next deadline. */
        if (!s->sleepers && !s->n_io)
            GT_PANIC("deadlock: no green thread can ever run again (thread %d "
                     "is blocking, the run queue is empty, nobody sleeps or "
                     "waits for I/O: every thread waits in gt_join or gt_fini)",
                     prev->id);
        int timeout = -1;
        if (s->sleepers) {
            uint64_t now = gt_now_ns();
            if (s->sleepers->wake_ns <= now)
                continue;
            uint64_t wait_ns = s->sleepers->wake_ns - now;
            timeout = (int)((wait_ns + 999999) / 1000000);
        }
        gt_poll_io(s, timeout);
    }
    next->state = GT_RUNNING;
    s->current = next;
    if (next != prev) {
        gt_switch(&prev->ctx, &next->ctx);
        GT_ASSERT(s->current == prev); /* back in prev, maybe much later */
        reap_dead(s);
    }
#else
    /* TODO 4.5: the caller (s->current) has already queued itself or set a
     *           blocked state. Pick the next thread:
     *           next = runq_pop(s). (Later, Task 6.4 and 7.4: first wake
     *           expired sleepers and poll the I/O list without waiting;
     *           when the run queue is still empty, wait in gt_poll_io with
     *           a timeout until the earliest deadline, then try again.)
     * TODO 4.6: no runnable thread and nothing to wait for is a deadlock:
     *           GT_PANIC with a message that says so.
     * TODO 4.7: mark next GT_RUNNING and make it s->current. If it is not
     *           the caller, gt_switch(&prev->ctx, &next->ctx); when that
     *           returns (we were switched back to), call reap_dead(s). */
    (void)s;
    GT_PANIC("gt_schedule is not written yet: see handout task 4");
#endif
}

int gt_init(void)
{
#ifdef SOLUTION
    if (gt_tls) {
        errno = EBUSY;
        return -1;
    }
    struct gt_sched *s = calloc(1, sizeof *s);
    struct gt_thread *m = calloc(1, sizeof *m);
    if (!s || !m) {
        free(s);
        free(m);
        errno = ENOMEM;
        return -1;
    }
    s->next_id = 1;
    if (table_add(s, m) != 0) {
        free(s);
        free(m);
        return -1;
    }
    GT_ASSERT(m->id == 1);
    m->state = GT_RUNNING;
    s->current = s->main = m;
    s->nlive = 1;
    gt_tls = s;
    return 0;
#else
    /* TODO 4.1: EBUSY if gt_tls is already set. calloc a struct gt_sched
     *           and a struct gt_thread for the caller (ENOMEM on failure).
     * TODO 4.2: s->next_id = 1; table_add(s, main) gives it id 1. The main
     *           thread has no stack mapping and no fn: it is GT_RUNNING on
     *           the kernel thread's own stack. Set s->current, s->main,
     *           s->nlive = 1, and finally gt_tls = s. */
    errno = ENOSYS;
    return -1;
#endif
}

gt_t gt_self(void)
{
#ifdef SOLUTION
    return gt_tls ? gt_tls->current->id : 0;
#else
    /* TODO 4.3: the current thread's id, 0 without a scheduler. */
    return 0;
#endif
}

gt_t gt_spawn(void *(*fn)(void *), void *arg, size_t stack_size)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    if (!s) {
        errno = EPERM;
        return -1;
    }
    if (!fn || (stack_size != 0 &&
                (stack_size < GT_MIN_STACK || stack_size > GT_MAX_STACK))) {
        errno = EINVAL;
        return -1;
    }
    struct gt_thread *t = calloc(1, sizeof *t);
    if (!t) {
        errno = ENOMEM;
        return -1;
    }
    if (gt_stack_alloc(t, stack_size ? stack_size : GT_DEFAULT_STACK) != 0) {
        free(t);
        errno = ENOMEM;
        return -1;
    }
    if (table_add(s, t) != 0) {
        gt_stack_free(t);
        free(t);
        return -1;
    }
    t->fn = fn;
    t->arg = arg;
    gt_context_init(t);
    make_runnable(s, t);
    s->nlive++;
    return t->id;
#else
    /* TODO 4.4: check the arguments (EPERM, EINVAL: see gt.h), calloc the
     *           record, gt_stack_alloc (Task 2) with GT_DEFAULT_STACK for 0,
     *           table_add, store fn and arg, gt_context_init (Task 3), then
     *           make_runnable (tail of the run queue) and count it in
     *           s->nlive. Undo what was done on each failure path. Do NOT
     *           switch: the caller keeps running. */
    (void)fn;
    (void)arg;
    (void)stack_size;
    errno = ENOSYS;
    return -1;
#endif
}

void gt_yield(void)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    if (!s)
        return;
    make_runnable(s, s->current);
    gt_schedule(s);
#else
    /* TODO 4.8: no scheduler: return. Else put the current thread at the
     *           tail of the run queue (make_runnable) and gt_schedule. */
#endif
}

int gt_fini(void)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    if (!s || s->current != s->main) {
        errno = EPERM;
        return -1;
    }
    while (s->nlive > 1) {
        s->main->state = GT_FINI_WAIT; /* gt_exit wakes us at nlive == 1 */
        gt_schedule(s);
    }
    GT_ASSERT(!s->runq_head && !s->sleepers && !s->io_head);
    reap_dead(s);
    for (gt_t id = 2; id < s->next_id; id++)
        if (s->table[id])
            release(s, s->table[id]); /* exited, never joined */
    free(s->table);
    free(s->pfds);
    free(s->main);
    free(s);
    gt_tls = NULL;
    return 0;
#else
    /* TODO 5.6: EPERM unless the caller is the main thread. While other
     *           threads are alive (s->nlive > 1): set the main thread
     *           GT_FINI_WAIT and gt_schedule (gt_exit wakes it). Then
     *           release every thread still in the table (unjoined
     *           zombies), free the table, pfds, main record and s, and set
     *           gt_tls = NULL. */
    errno = ENOSYS;
    return -1;
#endif
}

/* ================================================================== */
/* Exit, join, detach                                          Task 5  */
/* ================================================================== */

void gt_exit(void *retval)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    if (!s)
        GT_PANIC("gt_exit called on a kernel thread without a green "
                 "scheduler (call gt_init first)");
    struct gt_thread *cur = s->current;
    if (cur == s->main)
        GT_PANIC("gt_exit called from the main green thread (id 1): it runs "
                 "on the kernel thread's own stack and cannot exit; call "
                 "gt_fini and return instead");
    cur->retval = retval;
    cur->state = GT_ZOMBIE;
    s->nlive--;
    if (cur->joiner) {
        GT_ASSERT(cur->joiner->state == GT_JOINING &&
                  cur->joiner->join_target == cur);
        make_runnable(s, cur->joiner);
    }
    if (s->nlive == 1 && s->main->state == GT_FINI_WAIT)
        make_runnable(s, s->main);
    if (cur->detached) {
        /* Still on our stack: the next thread to run releases it. */
        cur->next = s->dead;
        s->dead = cur;
    }
    gt_schedule(s);
    GT_PANIC("thread %d was scheduled after gt_exit", cur->id); /* GCOVR_EXCL_LINE: a zombie is never queued again */
#else
    /* TODO 5.1: panic if there is no scheduler or the caller is the main
     *           thread (see gt.h). Store retval, become GT_ZOMBIE, count
     *           one less in s->nlive.
     * TODO 5.2: wake the joiner, if any (make_runnable). If only the main
     *           thread is left alive and it waits in gt_fini, wake it too.
     * TODO 5.3: a detached thread goes on s->dead: it cannot free its own
     *           stack (it is running on it); the next thread to run will.
     * TODO 5.4: gt_schedule. It never comes back: panic if it does. */
    (void)retval;
    GT_PANIC("gt_exit is not written yet: see handout task 5");
#endif
}

int gt_join(gt_t id, void **retval)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    if (!s) {
        errno = EPERM;
        return -1;
    }
    struct gt_thread *cur = s->current;
    struct gt_thread *t = table_find(s, id);
    if (!t)
        return -1;
    if (t == cur) {
        errno = EDEADLK;
        return -1;
    }
    if (t == s->main || t->detached || t->joiner) {
        errno = EINVAL;
        return -1;
    }
    /* Would we wait for a thread that (through others) waits for us? */
    for (struct gt_thread *x = t; x->state == GT_JOINING; x = x->join_target)
        if (x->join_target == cur) {
            errno = EDEADLK;
            return -1;
        }
    if (t->state != GT_ZOMBIE) {
        t->joiner = cur;
        cur->join_target = t;
        cur->state = GT_JOINING;
        gt_schedule(s); /* gt_exit of t makes us runnable again */
        cur->join_target = NULL;
        GT_ASSERT(t->state == GT_ZOMBIE);
    }
    if (retval)
        *retval = t->retval;
    release(s, t);
    return 0;
#else
    /* TODO 5.5: errors first, in this order: EPERM (no scheduler),
     *           table_find (ESRCH, EINVAL), EDEADLK (id is the caller),
     *           EINVAL (main thread, detached, already has a joiner),
     *           EDEADLK (follow join_target from t: reaching the caller is
     *           a join cycle). Then, unless t is already a zombie: record
     *           t->joiner and cur->join_target, become GT_JOINING and
     *           gt_schedule. Finally hand out t->retval and release(s, t):
     *           t is off its stack, so its stack can go. */
    (void)id;
    (void)retval;
    errno = ENOSYS;
    return -1;
#endif
}

int gt_detach(gt_t id)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    if (!s) {
        errno = EPERM;
        return -1;
    }
    struct gt_thread *t = table_find(s, id);
    if (!t)
        return -1;
    if (t == s->main || t->detached || t->joiner) {
        errno = EINVAL;
        return -1;
    }
    t->detached = 1;
    if (t->state == GT_ZOMBIE)
        release(s, t); /* a zombie is never the running thread */
    return 0;
#else
    /* TODO 5.7: the same errors as gt_join (but a thread may detach
     *           itself). Set t->detached; release a zombie at once. */
    (void)id;
    errno = ENOSYS;
    return -1;
#endif
}

/* ================================================================== */
/* Sleeping                                                    Task 6  */
/* ================================================================== */

void gt_wake_sleepers(struct gt_sched *s, uint64_t now_ns)
{
#ifdef SOLUTION
    while (s->sleepers && s->sleepers->wake_ns <= now_ns) {
        struct gt_thread *t = s->sleepers;
        s->sleepers = t->next;
        make_runnable(s, t);
    }
#else
    /* TODO 6.3: the sleep list is sorted: pop from its head while the
     *           deadline has passed, make_runnable each one. */
    (void)s;
    (void)now_ns;
#endif
}

int gt_sleep_ms(long ms)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    if (!s) {
        errno = EPERM;
        return -1;
    }
    if (ms < 0) {
        errno = EINVAL;
        return -1;
    }
    if (ms == 0) {
        gt_yield();
        return 0;
    }
    struct gt_thread *cur = s->current;
    cur->wake_ns = gt_now_ns() + (uint64_t)ms * 1000000ull;
    /* Insert after every sleeper with a deadline <= ours: ties stay FIFO. */
    struct gt_thread **link = &s->sleepers;
    while (*link && (*link)->wake_ns <= cur->wake_ns)
        link = &(*link)->next;
    cur->next = *link;
    *link = cur;
    cur->state = GT_SLEEPING;
    gt_schedule(s);
    return 0;
#else
    /* TODO 6.1: EPERM, EINVAL; ms == 0 is gt_yield.
     * TODO 6.2: wake_ns = now (CLOCK_MONOTONIC, ns) + ms. Insert the
     *           caller in s->sleepers, kept sorted by wake_ns, AFTER any
     *           sleeper with the same deadline. Become GT_SLEEPING and
     *           gt_schedule. (6.3 is gt_wake_sleepers, 6.4 is in
     *           gt_schedule: wake sleepers before picking, and when nothing
     *           is runnable wait in gt_poll_io(s, ms until the earliest
     *           deadline, rounded UP).) */
    (void)ms;
    errno = ENOSYS;
    return -1;
#endif
}

/* ================================================================== */
/* I/O without blocking the others                             Task 7  */
/* ================================================================== */

void gt_poll_io(struct gt_sched *s, int timeout_ms)
{
#ifdef SOLUTION
    size_t n = 0;
    GT_ASSERT(s->n_io <= s->pfds_cap || s->n_io == 0);
    for (struct gt_thread *t = s->io_head; t; t = t->next) {
        s->pfds[n].fd = t->wait_fd;
        s->pfds[n].events = t->wait_events;
        s->pfds[n].revents = 0;
        n++;
    }
    GT_ASSERT(n == s->n_io);
    int r = poll(s->pfds, (nfds_t)n, timeout_ms);
    if (r < 0) {
        if (errno == EINTR)
            return;
        GT_PANIC("poll failed: %s", strerror(errno));
    }
    if (r == 0)
        return;
    /* Wake the ready ones in list order; keep the rest in theirs. */
    struct gt_thread **link = &s->io_head, *last = NULL;
    size_t i = 0;
    while (*link) {
        struct gt_thread *t = *link;
        if (s->pfds[i++].revents) { /* ready, or POLLERR/HUP/NVAL: retry */
            *link = t->next;
            s->n_io--;
            make_runnable(s, t);
        } else {
            last = t;
            link = &t->next;
        }
    }
    s->io_tail = last;
#else
    /* TODO 7.3: fill s->pfds from the I/O list (fd, events), poll() them
     *           with timeout_ms (EINTR: just return; other errors: panic).
     *           Move every thread whose revents is not 0 to the run queue,
     *           in list order, and unlink it from the I/O list (fix io_tail
     *           and n_io). Any revents counts: on POLLERR/POLLHUP/POLLNVAL
     *           the retried read or write reports the error. */
    (void)s;
    (void)timeout_ms;
#endif
}

#ifdef SOLUTION
/* Make fd non-blocking (if it is not already). 0 or -1 (errno). */
static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return 0;
}

/* Park the current thread on the I/O list until fd has events. */
static int park_io(struct gt_sched *s, int fd, short events)
{
    if (s->n_io + 1 > s->pfds_cap) {
        size_t cap = s->pfds_cap ? 2 * s->pfds_cap : 16;
        struct pollfd *p = realloc(s->pfds, cap * sizeof *p);
        if (!p) {
            errno = ENOMEM;
            return -1;
        }
        s->pfds = p;
        s->pfds_cap = cap;
    }
    struct gt_thread *cur = s->current;
    cur->wait_fd = fd;
    cur->wait_events = events;
    cur->state = GT_IO_WAIT;
    cur->next = NULL;
    if (s->io_tail)
        s->io_tail->next = cur;
    else
        s->io_head = cur;
    s->io_tail = cur;
    s->n_io++;
    gt_schedule(s);
    return 0;
}
#endif

ssize_t gt_read(int fd, void *buf, size_t n)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    if (!s) {
        errno = EPERM;
        return -1;
    }
    if (set_nonblock(fd) != 0)
        return -1;
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (park_io(s, fd, POLLIN) != 0)
            return -1;
    }
#else
    /* TODO 7.1: EPERM without a scheduler. Put fd in O_NONBLOCK mode
     *           (fcntl F_GETFL, then F_SETFL with O_NONBLOCK added). Loop:
     *           read(); a result >= 0 is returned; EINTR retries; EAGAIN
     *           parks the caller: record fd and POLLIN in the thread, set
     *           GT_IO_WAIT, append it to the I/O list (grow s->pfds so it
     *           can hold n_io entries: ENOMEM), gt_schedule, and retry;
     *           any other error returns -1. */
    (void)fd;
    (void)buf;
    (void)n;
    errno = ENOSYS;
    return -1;
#endif
}

ssize_t gt_write(int fd, const void *buf, size_t n)
{
#ifdef SOLUTION
    struct gt_sched *s = gt_tls;
    if (!s) {
        errno = EPERM;
        return -1;
    }
    if (set_nonblock(fd) != 0)
        return -1;
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(fd, (const char *)buf + done, n - done);
        if (r >= 0) {
            done += (size_t)r;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (park_io(s, fd, POLLOUT) != 0)
            return -1;
    }
    return (ssize_t)done;
#else
    /* TODO 7.2: as gt_read, with POLLOUT, and loop until all n bytes are
     *           written (write may take only part of them). */
    (void)fd;
    (void)buf;
    (void)n;
    errno = ENOSYS;
    return -1;
#endif
}
