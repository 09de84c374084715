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
}

void gt_stack_free(struct gt_thread *t)
{
    /* TODO 2.5: if t has a stack: VALGRIND_STACK_DEREGISTER(t->vg_stack_id),
     *           munmap the whole mapping (guard page included), and set
     *           t->map to NULL. A failing munmap is a bug: GT_PANIC. */
    (void)t;
}

/* ================================================================== */
/* The first frame and the trampoline                          Task 3  */
/* ================================================================== */

void gt_trampoline(void)
{
    /* TODO 3.3: this runs on the new thread's stack, after the first
     *           gt_switch into it. Call reap_dead(gt_tls) (like every
     *           thread just switched to), then
     *           gt_exit(current->fn(current->arg)): returning from fn IS
     *           gt_exit. There is nothing to return to. */
    GT_PANIC("gt_trampoline is not written yet: see handout task 3");
}

void gt_context_init(struct gt_thread *t)
{
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
}

/* ================================================================== */
/* The scheduler                                               Task 4  */
/* ================================================================== */

void gt_schedule(struct gt_sched *s)
{
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
}

int gt_init(void)
{
    /* TODO 4.1: EBUSY if gt_tls is already set. calloc a struct gt_sched
     *           and a struct gt_thread for the caller (ENOMEM on failure).
     * TODO 4.2: s->next_id = 1; table_add(s, main) gives it id 1. The main
     *           thread has no stack mapping and no fn: it is GT_RUNNING on
     *           the kernel thread's own stack. Set s->current, s->main,
     *           s->nlive = 1, and finally gt_tls = s. */
    errno = ENOSYS;
    return -1;
}

gt_t gt_self(void)
{
    /* TODO 4.3: the current thread's id, 0 without a scheduler. */
    return 0;
}

gt_t gt_spawn(void *(*fn)(void *), void *arg, size_t stack_size)
{
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
}

void gt_yield(void)
{
    /* TODO 4.8: no scheduler: return. Else put the current thread at the
     *           tail of the run queue (make_runnable) and gt_schedule. */
}

int gt_fini(void)
{
    /* TODO 5.6: EPERM unless the caller is the main thread. While other
     *           threads are alive (s->nlive > 1): set the main thread
     *           GT_FINI_WAIT and gt_schedule (gt_exit wakes it). Then
     *           release every thread still in the table (unjoined
     *           zombies), free the table, pfds, main record and s, and set
     *           gt_tls = NULL. */
    errno = ENOSYS;
    return -1;
}

/* ================================================================== */
/* Exit, join, detach                                          Task 5  */
/* ================================================================== */

void gt_exit(void *retval)
{
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
}

int gt_join(gt_t id, void **retval)
{
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
}

int gt_detach(gt_t id)
{
    /* TODO 5.7: the same errors as gt_join (but a thread may detach
     *           itself). Set t->detached; release a zombie at once. */
    (void)id;
    errno = ENOSYS;
    return -1;
}

/* ================================================================== */
/* Sleeping                                                    Task 6  */
/* ================================================================== */

void gt_wake_sleepers(struct gt_sched *s, uint64_t now_ns)
{
    /* TODO 6.3: the sleep list is sorted: pop from its head while the
     *           deadline has passed, make_runnable each one. */
    (void)s;
    (void)now_ns;
}

int gt_sleep_ms(long ms)
{
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
}

/* ================================================================== */
/* I/O without blocking the others                             Task 7  */
/* ================================================================== */

void gt_poll_io(struct gt_sched *s, int timeout_ms)
{
    /* TODO 7.3: fill s->pfds from the I/O list (fd, events), poll() them
     *           with timeout_ms (EINTR: just return; other errors: panic).
     *           Move every thread whose revents is not 0 to the run queue,
     *           in list order, and unlink it from the I/O list (fix io_tail
     *           and n_io). Any revents counts: on POLLERR/POLLHUP/POLLNVAL
     *           the retried read or write reports the error. */
    (void)s;
    (void)timeout_ms;
}


ssize_t gt_read(int fd, void *buf, size_t n)
{
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
}

ssize_t gt_write(int fd, const void *buf, size_t n)
{
    /* TODO 7.2: as gt_read, with POLLOUT, and loop until all n bytes are
     *           written (write may take only part of them). */
    (void)fd;
    (void)buf;
    (void)n;
    errno = ENOSYS;
    return -1;
}
