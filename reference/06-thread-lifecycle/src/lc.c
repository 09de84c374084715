/*
 * lc.c - Tasks 1 to 6: a lifecycle layer over pthreads.
 *
 * Every record field, every lc_cond queue, lives under ONE lock, lc_lock.
 * Every thread parks on its OWN condition variable (wake), and whoever
 * moves it wakes exactly that one; it re-tests its predicate after each
 * wakeup (see src/lc_internal.h). Cancellation is a flag in the record
 * that the target reads at its cancellation points: no signal, no
 * pthread_cancel.
 */
#include "lc.h"
#include "lc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SOLUTION
/* The layer's lock, and the attribute of every record's condition
 * variables (CLOCK_MONOTONIC: set up by lc_init before main, then only
 * read). */
static pthread_mutex_t lc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_condattr_t lc_cattr;

/* The calling thread's record; NULL in threads lc_create did not start. */
static __thread lc_thread *lc_me;

__attribute__((constructor)) static void lc_init(void)
{
    LC_CHECK(pthread_condattr_init(&lc_cattr));
    LC_CHECK(pthread_condattr_setclock(&lc_cattr, CLOCK_MONOTONIC));
}
#else
/* TODO 1.0: the layer's state: a static pthread_mutex_t (the one lock,
 *           see src/lc_internal.h), a static __thread pointer to the
 *           caller's record, and a pthread_condattr_t on CLOCK_MONOTONIC
 *           for the records' condition variables (set up once before
 *           main: __attribute__((constructor))). */
#endif

/* ------------------------------------------------------------------ */
/* Task 1: panics, states and the log                                  */
/* ------------------------------------------------------------------ */

void lc_panic_at(const char *file, int line, const char *what, int err)
{
#ifdef SOLUTION
    /* One fprintf, so two panicking threads cannot interleave a line. */
    fprintf(stderr, "lc panic at %s:%d: %s %s%s\n", file, line, what,
            err ? "failed: " : "is false", err ? strerrordesc_np(err) : "");
    fflush(stderr);
    abort();
#else
    /* TODO 1.1: print ONE line to stderr naming file:line, `what`, and for
     *           err != 0 its meaning (strerrordesc_np is thread-safe); for
     *           err == 0 say the invariant is false. Then flush and abort(). */
    abort();
#endif
}

#ifdef SOLUTION
/* The moves the lifecycle allows: legal[from][to]. */
static const unsigned char legal[5][5] = {
    [LC_CREATED][LC_RUNNABLE] = 1,
    [LC_RUNNABLE][LC_RUNNING] = 1,
    [LC_RUNNING][LC_BLOCKED] = 1,
    [LC_RUNNING][LC_TERMINATED] = 1,
    [LC_BLOCKED][LC_RUNNABLE] = 1,
};

/* Move t to s and log it. lc_lock held. An illegal move is a bug in the
 * layer: stop loudly. */
static void set_state(lc_thread *t, enum lc_state s)
{
    LC_ASSERT(legal[t->state][s]);
    t->state = s;
    if (t->log_len < LC_LOG_MAX)
        t->log[t->log_len] = s;
    t->log_len++;
}

/* End a wait of the layer: BLOCKED -> RUNNABLE, then wake the thread
 * (it alone waits on its wake) so it re-tests its predicate. lc_lock held. */
static void make_runnable(lc_thread *t)
{
    if (t->state == LC_BLOCKED) {
        set_state(t, LC_RUNNABLE);
        LC_CHECK(pthread_cond_signal(&t->wake));
    }
}

/* Does a cancellation request act now? lc_lock held. */
static int cancel_now(const lc_thread *t)
{
    return t->cancel_pending && !t->cancel_disabled;
}

/* Wait on cv (lc_lock held) until woken or, with a deadline, until it
 * passes: 0 or ETIMEDOUT. */
static int wait_on(pthread_cond_t *cv, const struct timespec *deadline)
{
    if (!deadline) {
        LC_CHECK(pthread_cond_wait(cv, &lc_lock));
        return 0;
    }
    int rc = pthread_cond_timedwait(cv, &lc_lock, deadline);
    if (rc != ETIMEDOUT)
        LC_CHECK(rc);
    return rc;
}

/* Release a record nobody will touch again. */
static void record_free(lc_thread *t)
{
    LC_CHECK(pthread_cond_destroy(&t->wake));
    LC_CHECK(pthread_cond_destroy(&t->ended));
    free(t);
}
#endif

enum lc_state lc_state(lc_thread *t)
{
#ifdef SOLUTION
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    enum lc_state s = t->state;
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    return s;
#else
    /* TODO 1.2: read t->state under the layer's lock (a state is written
     *           by several threads: creator, the thread, wakers). */
    return (enum lc_state)-1;
#endif
}

int lc_state_log(lc_thread *t, enum lc_state *out, int n)
{
#ifdef SOLUTION
    if (!t)
        return -1;
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    int count = t->log_len;
    for (int i = 0; i < n && i < count && i < LC_LOG_MAX; i++)
        out[i] = t->log[i];
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    return count;
#else
    /* TODO 1.3: under the lock, copy the first min(n, LC_LOG_MAX, log_len)
     *           entries and return log_len (-1 for t NULL). Then write the
     *           one function that changes a state (TODO 1.4). */
    /* TODO 1.4: static set_state(t, s), lock held: stop with LC_ASSERT if
     *           the move is not one of the five the lifecycle allows
     *           (handout, "States"), set t->state, append s to the log
     *           (count it even when the log is full). */
    return -1;
#endif
}

/* ------------------------------------------------------------------ */
/* Task 2: create, exit, self                                          */
/* ------------------------------------------------------------------ */

#ifdef SOLUTION
/* Every lc thread starts here: RUNNING, then fn; its return is lc_exit. */
static void *lc_start(void *arg)
{
    lc_thread *t = arg;
    lc_me = t;
    /* Taking lc_lock also waits for lc_create to finish its bookkeeping
     * (tid, *out), which it does holding the lock. */
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    set_state(t, LC_RUNNING);
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    lc_exit(t->fn(t->arg));
}
#endif

int lc_create(lc_thread **out, void *(*fn)(void *), void *arg, int flags)
{
#ifdef SOLUTION
    if (!out || !fn || (flags != LC_JOINABLE && flags != LC_DETACHED))
        return EINVAL;
    lc_thread *t = calloc(1, sizeof *t);
    if (!t)
        return ENOMEM;
    t->fn = fn;
    t->arg = arg;
    t->detached = flags == LC_DETACHED;
    t->state = LC_CREATED;
    t->log[0] = LC_CREATED;
    t->log_len = 1;
    LC_CHECK(pthread_cond_init(&t->wake, &lc_cattr));
    LC_CHECK(pthread_cond_init(&t->ended, &lc_cattr));

    pthread_attr_t a;
    LC_CHECK(pthread_attr_init(&a));
    if (t->detached)
        LC_CHECK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
    /* Held across pthread_create: the new thread's first step takes
     * lc_lock, so it sees tid and the caller's *out before it runs fn,
     * and a detached thread cannot free t while we still write it. */
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    set_state(t, LC_RUNNABLE);
    pthread_t tid;
    int rc = pthread_create(&tid, &a, lc_start, t);
    if (rc == 0) {
        t->tid = tid;
        *out = t;
    }
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    LC_CHECK(pthread_attr_destroy(&a));
    if (rc != 0)
        record_free(t);
    return rc;
#else
    /* TODO 2.1: check the arguments; calloc the record (ENOMEM); state
     *           CREATED with log = {CREATED}; fn, arg, detached.
     *           Initialise its two condition variables, wake and ended,
     *           on CLOCK_MONOTONIC (pthread_condattr_setclock).
     * TODO 2.2: a pthread_attr_t, PTHREAD_CREATE_DETACHED for LC_DETACHED.
     * TODO 2.3: take the layer's lock, set_state RUNNABLE, pthread_create
     *           a start routine of yours (TODO 2.4) with the record as its
     *           argument, store tid and *out, THEN unlock. Why hold the lock
     *           across pthread_create? (handout, "Who frees what").
     *           pthread_create failed: free the record (destroy its
     *           condition variables first), return its error. */
    return ENOSYS;
#endif
}

void lc_exit(void *ret)
{
#ifdef SOLUTION
    lc_thread *t = lc_me;
    if (!t)
        lc_panic_at(__FILE__, __LINE__, "lc_exit by a thread lc_create did not start", EPERM);
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    t->cancel_disabled = 1; /* no cancellation acts inside the handlers */
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    /* LIFO: a handler undoes something done before the handlers pushed
     * after it, which may still depend on it. Pop first: each runs once,
     * even if it calls lc_exit itself. */
    while (t->ncleanup > 0) {
        struct lc_cleanup h = t->cleanup[--t->ncleanup];
        h.fn(h.arg);
    }
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    t->ret = ret;
    set_state(t, LC_TERMINATED);
    int detached = t->detached;
    if (t->joiner)
        make_runnable(t->joiner); /* the terminating thread wakes its joiner */
    LC_CHECK(pthread_cond_signal(&t->ended)); /* a joiner that is no lc thread */
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    /* From here t belongs to its joiner (or to lc_detach, which sees
     * TERMINATED): touch it only if nobody else ever will. */
    lc_me = NULL;
    if (detached)
        record_free(t);
    pthread_exit(NULL);
#else
    /* TODO 2.5: (the thread itself) set cancel_disabled under the lock;
     *           pop and run every cleanup handler left, last pushed first;
     *           under the lock: ret, TERMINATED, make the joiner (if an lc
     *           thread waits in lc_join) RUNNABLE, signal `ended` (for a
     *           joiner that is not an lc thread); then
     *           free the record if detached (read that flag UNDER the
     *           lock), and pthread_exit. */
    abort();
#endif
}

lc_thread *lc_self(void)
{
#ifdef SOLUTION
    return lc_me;
#else
    /* TODO 2.4: a __thread pointer to the caller's record, set first thing
     *           in your start routine, which then logs RUNNING (under the
     *           lock) and ends with lc_exit(fn(arg)). */
    return NULL;
#endif
}

/* ------------------------------------------------------------------ */
/* Task 3: join and detach                                             */
/* ------------------------------------------------------------------ */

#ifdef SOLUTION
static int join_until(lc_thread *t, void **ret, const struct timespec *deadline)
{
    if (!t)
        return EINVAL;
    if (t == lc_me)
        return EDEADLK;
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    if (t->detached || t->joining) {
        LC_CHECK(pthread_mutex_unlock(&lc_lock));
        return EINVAL;
    }
    t->joining = 1;
    /* An lc thread that has to wait is BLOCKED and parks on its own wake;
     * t's lc_exit (or, at the deadline, the joiner itself) makes it
     * RUNNABLE. Any other thread waits on t's ended. */
    lc_thread *me = lc_me;
    pthread_cond_t *cv = me ? &me->wake : &t->ended;
    int blocked = me && t->state != LC_TERMINATED;
    if (blocked) {
        t->joiner = me;
        me->in_join = 1;
        set_state(me, LC_BLOCKED);
    }
    int rc = 0;
    while (t->state != LC_TERMINATED && rc == 0)
        rc = wait_on(cv, deadline);
    if (t->state == LC_TERMINATED)
        rc = 0; /* it ended just as time ran out */
    else
        t->joining = 0; /* timed out: joinable again, untouched */
    if (blocked) {
        make_runnable(me); /* timed out: our own move */
        set_state(me, LC_RUNNING);
        me->in_join = 0;
        t->joiner = NULL;
    }
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    if (rc != 0)
        return rc;
    /* TERMINATED: the thread writes nothing more to t, and joining keeps
     * everyone else away. Reclaim the pthread (it may still be on its
     * way out of lc_exit), then the record. */
    LC_CHECK(pthread_join(t->tid, NULL));
    if (ret)
        *ret = t->ret;
    record_free(t);
    return 0;
}
#endif

int lc_join(lc_thread *t, void **ret)
{
#ifdef SOLUTION
    return join_until(t, ret, NULL);
#else
    /* TODO 3.1: EINVAL/EDEADLK checks; under the lock: EINVAL if detached
     *           or someone is joining; mark joining. If the caller is an lc
     *           thread and t has not TERMINATED, it becomes BLOCKED (note
     *           it in t->joiner and its own in_join). Wait WHILE t is not
     *           TERMINATED: an lc joiner on its own wake, any other thread
     *           on t->ended. Then the lc joiner is RUNNING again (t's
     *           lc_exit made it RUNNABLE); unlock; pthread_join the
     *           pthread, hand out the exit value, free the record. Tip: one static helper with an optional
     *           deadline serves TODO 3.2 too. */
    return ENOSYS;
#endif
}

int lc_timedjoin(lc_thread *t, void **ret, long timeout_ms)
{
#ifdef SOLUTION
    if (timeout_ms < 0)
        return EINVAL;
    struct timespec d = lc_deadline_ms(timeout_ms);
    return join_until(t, ret, &d);
#else
    /* TODO 3.2: as lc_join with pthread_cond_timedwait and ONE deadline
     *           (lc_deadline_ms, before the loop). On ETIMEDOUT look once
     *           more: TERMINATED after all -> join; else clear joining and
     *           return ETIMEDOUT, the thread untouched (an lc joiner makes
     *           itself RUNNABLE: its time is up). */
    return ENOSYS;
#endif
}

int lc_detach(lc_thread *t)
{
#ifdef SOLUTION
    if (!t)
        return EINVAL;
    int rc = 0, free_now = 0;
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    if (t->detached || t->joining) {
        rc = EINVAL;
    } else {
        t->detached = 1;
        LC_CHECK(pthread_detach(t->tid));
        /* Already gone through lc_exit, which saw detached == 0 and left
         * the record to us. */
        free_now = t->state == LC_TERMINATED;
    }
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    if (free_now)
        record_free(t);
    return rc;
#else
    /* TODO 3.3: under the lock: EINVAL if already detached or joined;
     *           set detached, pthread_detach the pthread; if the thread has
     *           already TERMINATED, free the record yourself (after the
     *           unlock): its lc_exit saw detached == 0 and left it. */
    return ENOSYS;
#endif
}

/* ------------------------------------------------------------------ */
/* Task 4: sleep and condition wait                                    */
/* ------------------------------------------------------------------ */

int lc_sleep(long ms)
{
#ifdef SOLUTION
    lc_thread *t = lc_me;
    if (!t)
        return EPERM;
    if (ms < 0)
        return EINVAL;
    struct timespec d = lc_deadline_ms(ms);
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    int cancel = cancel_now(t);
    if (!cancel) {
        set_state(t, LC_BLOCKED);
        /* Made RUNNABLE by lc_cancel, or by ourselves once the time is
         * up (we play the timer). Any other wakeup: sleep again. */
        while (t->state == LC_BLOCKED)
            if (wait_on(&t->wake, &d) == ETIMEDOUT)
                make_runnable(t);
        set_state(t, LC_RUNNING);
        cancel = cancel_now(t);
    }
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    if (cancel)
        lc_exit(LC_CANCELED);
    return 0;
#else
    /* TODO 4.1: EPERM for a thread that is not an lc thread, EINVAL for
     *           ms < 0. One deadline. Under the lock: a pending, enabled
     *           cancel acts at once (cancellation point). Else BLOCKED;
     *           wait WHILE still BLOCKED; when the deadline passes, make
     *           yourself RUNNABLE; then RUNNING. Act on a
     *           cancel after the unlock: lc_exit(LC_CANCELED). */
    return ENOSYS;
#endif
}

int lc_cond_wait(struct lc_cond *c, pthread_mutex_t *m)
{
#ifdef SOLUTION
    lc_thread *t = lc_me;
    if (!t)
        return EPERM;
    if (!c || !m)
        return EINVAL;
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    if (cancel_now(t)) { /* m is held, as after a wait */
        LC_CHECK(pthread_mutex_unlock(&lc_lock));
        lc_exit(LC_CANCELED);
    }
    t->woken = 0;
    t->next = NULL;
    t->waiting_on = c;
    if (c->tail)
        c->tail->next = t;
    else
        c->head = t;
    c->tail = t;
    set_state(t, LC_BLOCKED);
    /* Queued and BLOCKED under lc_lock before m is let go: a signaller,
     * who needs lc_lock, cannot miss us. */
    LC_CHECK(pthread_mutex_unlock(m));
    while (t->state == LC_BLOCKED)
        LC_CHECK(pthread_cond_wait(&t->wake, &lc_lock));
    /* Off the queue now: a signal took us (woken), or lc_cancel did. */
    LC_ASSERT(t->waiting_on == NULL);
    int cancel = !t->woken;
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    LC_CHECK(pthread_mutex_lock(m)); /* m before lc_lock: the lock order */
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    set_state(t, LC_RUNNING);
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    if (cancel)
        lc_exit(LC_CANCELED);
    return 0;
#else
    /* TODO 4.2: EPERM/EINVAL. Under the layer's lock: act on a pending,
     *           enabled cancel (m stays held: the handlers unlock it).
     *           Append yourself to c's FIFO queue (waiting_on, next),
     *           BLOCKED, and only then unlock m. Wait WHILE BLOCKED. Woken
     *           by a signal (woken) or by lc_cancel (not woken). Unlock
     *           the layer's lock, lock m, then (lock again) RUNNING. Act on
     *           the cancel last, with m held. */
    return ENOSYS;
#endif
}

#ifdef SOLUTION
/* Take t off c's queue. lc_lock held; t is in c's queue. */
static void unqueue(struct lc_cond *c, lc_thread *t)
{
    lc_thread **pp = &c->head, *prev = NULL;
    while (*pp != t) {
        LC_ASSERT(*pp != NULL);
        prev = *pp;
        pp = &(*pp)->next;
    }
    *pp = t->next;
    if (c->tail == t)
        c->tail = prev;
    t->next = NULL;
    t->waiting_on = NULL;
}

/* Wake the oldest waiter of c, if any: 1 if there was one. lc_lock held. */
static int wake_one(struct lc_cond *c)
{
    lc_thread *t = c->head;
    if (!t)
        return 0;
    unqueue(c, t);
    t->woken = 1;
    make_runnable(t);
    return 1;
}
#endif

int lc_cond_signal(struct lc_cond *c)
{
#ifdef SOLUTION
    if (!c)
        return EINVAL;
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    wake_one(c);
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    return 0;
#else
    /* TODO 4.3: under the lock, take the oldest waiter off the queue, mark
     *           it woken and make it RUNNABLE (which signals its own wake
     *           condition variable, so it re-tests). */
    return ENOSYS;
#endif
}

int lc_cond_broadcast(struct lc_cond *c)
{
#ifdef SOLUTION
    if (!c)
        return EINVAL;
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    while (wake_one(c))
        ;
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    return 0;
#else
    /* TODO 4.4: the same for every waiter, oldest first. */
    return ENOSYS;
#endif
}

/* ------------------------------------------------------------------ */
/* Task 5: cancellation                                                */
/* ------------------------------------------------------------------ */

int lc_cancel(lc_thread *t)
{
#ifdef SOLUTION
    if (!t)
        return EINVAL;
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    t->cancel_pending = 1;
    if (t->state == LC_BLOCKED) {
        if (!t->cancel_disabled && !t->in_join) {
            /* The canceller ends the wait: off the queue first, so a
             * signal meant for a waiter goes to one that will take it. */
            if (t->waiting_on)
                unqueue(t->waiting_on, t);
            make_runnable(t);
        } else {
            /* It cannot act now, but it is woken to look all the same
             * (a wakeup with nothing to do: it must wait again). */
            LC_CHECK(pthread_cond_signal(&t->wake));
        }
    }
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    return 0;
#else
    /* TODO 5.1: under the lock: mark the request; if t is BLOCKED in
     *           lc_sleep or lc_cond_wait (not in lc_join, which is no
     *           cancellation point here) and its cancel state is ENABLE,
     *           take it off its lc_cond queue (if in one) and make it
     *           RUNNABLE. Any other BLOCKED thread: only signal its wake
     *           (it looks, finds nothing to do, and waits again). Nothing
     *           else: t acts on the request itself, at a cancellation
     *           point. */
    return ENOSYS;
#endif
}

int lc_testcancel(void)
{
#ifdef SOLUTION
    lc_thread *t = lc_me;
    if (!t)
        return EPERM;
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    int cancel = cancel_now(t);
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    if (cancel)
        lc_exit(LC_CANCELED);
    return 0;
#else
    /* TODO 5.2: EPERM; a pending request with cancel state ENABLE:
     *           lc_exit(LC_CANCELED); else return 0. */
    return ENOSYS;
#endif
}

int lc_setcancelstate(int state, int *old)
{
#ifdef SOLUTION
    lc_thread *t = lc_me;
    if (!t)
        return EPERM;
    if (state != LC_CANCEL_ENABLE && state != LC_CANCEL_DISABLE)
        return EINVAL;
    LC_CHECK(pthread_mutex_lock(&lc_lock));
    if (old)
        *old = t->cancel_disabled ? LC_CANCEL_DISABLE : LC_CANCEL_ENABLE;
    t->cancel_disabled = state == LC_CANCEL_DISABLE;
    LC_CHECK(pthread_mutex_unlock(&lc_lock));
    return 0;
#else
    /* TODO 5.3: EPERM, EINVAL; under the lock, report the old state and
     *           set the new one. Do NOT act on a pending request here. */
    return ENOSYS;
#endif
}

/* ------------------------------------------------------------------ */
/* Task 6: cleanup handlers                                            */
/* ------------------------------------------------------------------ */

int lc_cleanup_push(void (*fn)(void *), void *arg)
{
#ifdef SOLUTION
    lc_thread *t = lc_me;
    if (!t)
        return EPERM;
    if (!fn)
        return EINVAL;
    if (t->ncleanup == LC_CLEANUP_MAX)
        return ENOSPC;
    t->cleanup[t->ncleanup].fn = fn;
    t->cleanup[t->ncleanup].arg = arg;
    t->ncleanup++;
    return 0;
#else
    /* TODO 6.1: EPERM, EINVAL, ENOSPC; push onto the caller's own stack
     *           (only the thread itself touches it: no lock). */
    return ENOSYS;
#endif
}

int lc_cleanup_pop(int execute)
{
#ifdef SOLUTION
    lc_thread *t = lc_me;
    if (!t)
        return EPERM;
    if (t->ncleanup == 0)
        return ENOENT;
    struct lc_cleanup h = t->cleanup[--t->ncleanup];
    if (execute)
        h.fn(h.arg);
    return 0;
#else
    /* TODO 6.2: EPERM, ENOENT; pop the top handler, run it if execute.
     *           TODO 2.5 runs the rest at exit. */
    return ENOSYS;
#endif
}
