/*
 * sp.h - lab 14: synchronization primitives from futexes and atomics.
 *
 * The whole student API, one banner section per task of the handout
 * (handout/14-sync-primitives.md). Every blocking call sleeps through the
 * kit's futex wrapper (src/sp_futex.h); every spin lock spins on C11
 * atomics. The structs are public so that tests (and you) can look at
 * their words; only the functions below may change them.
 *
 * A misuse the contract rules out (unlocking a lock you do not hold, a
 * state word with a value it can never have) panics: sp_panic prints the
 * broken invariant and aborts, loudly, rather than corrupting state.
 */
#ifndef SP_H
#define SP_H

#include <stdatomic.h>
#include <stdint.h>

/* ======================================================================
 * Task 1: the three-state mutex (src/mutex.c)
 * ====================================================================== */

/* Drepper's "Futexes are tricky", mutex 3: state 0 unlocked, 1 locked and
 * nobody sleeping, 2 locked and maybe someone sleeping. */
struct sp_mutex {
    _Atomic uint32_t state; /* 0, 1 or 2; the futex word */
};
#define SP_MUTEX_INITIALIZER { 0 }

/* Make m unlocked. 0 (EINVAL if m is NULL). */
int sp_mutex_init(struct sp_mutex *m);
/* Acquire m, sleeping on the futex while another thread holds it. An
 * uncontended lock makes NO system call (one compare-and-swap). */
void sp_mutex_lock(struct sp_mutex *m);
/* Acquire m only if it is free: 0, or EBUSY (no sleep, no system call). */
int sp_mutex_trylock(struct sp_mutex *m);
/* Release m (the caller holds it). Wakes one sleeper only when the state
 * says someone may sleep (2); an unlock nobody waited for makes no system
 * call. Panics if m was not locked. */
void sp_mutex_unlock(struct sp_mutex *m);

/* ======================================================================
 * Task 2: the condition variable (src/mutex.c)
 * ====================================================================== */

/* A sequence counter: every signal or broadcast bumps seq; a waiter sleeps
 * on the value it read while it still held the mutex. */
struct sp_cond {
    _Atomic uint32_t seq;     /* the futex word: bumped by each signal/broadcast */
    _Atomic uint32_t waiters; /* threads between their registration and their
                                 return from sp_cond_wait */
};

/* 0 (EINVAL if c is NULL). */
int sp_cond_init(struct sp_cond *c);
/* Atomically (with respect to a signal made under m) release m and sleep;
 * re-acquire m before returning. May return spuriously: wait in a loop. */
void sp_cond_wait(struct sp_cond *c, struct sp_mutex *m);
/* Wake at least one waiter, if any; no system call when nobody waits. */
void sp_cond_signal(struct sp_cond *c);
/* Wake every waiter; no system call when nobody waits. */
void sp_cond_broadcast(struct sp_cond *c);

/* ======================================================================
 * Task 3: the counting semaphore and the barrier (src/sem.c)
 * ====================================================================== */

#define SP_SEM_MAX 0x7fffffffu

struct sp_sem {
    _Atomic uint32_t value;   /* the futex word: the count, <= SP_SEM_MAX */
    _Atomic uint32_t waiters; /* threads that may be about to sleep on value */
};

/* value <= SP_SEM_MAX: 0, else EINVAL. */
int sp_sem_init(struct sp_sem *s, unsigned value);
/* Take one unit, sleeping while the count is 0. */
void sp_sem_wait(struct sp_sem *s);
/* Take one unit if there is one: 0, or EAGAIN. Never sleeps. */
int sp_sem_trywait(struct sp_sem *s);
/* Give one unit back; wakes one sleeper if any may sleep, and makes no
 * system call when none can. */
void sp_sem_post(struct sp_sem *s);

#define SP_BARRIER_SERIAL 1

struct sp_barrier {
    uint32_t count;           /* threads per phase; set by init, read-only after */
    _Atomic uint32_t arrived; /* threads in the current phase so far */
    _Atomic uint32_t phase;   /* the futex word: bumped when a phase completes */
};

/* count >= 1: 0, else EINVAL. */
int sp_barrier_init(struct sp_barrier *b, unsigned count);
/* Wait until count threads have called it in this phase. The last one to
 * arrive returns SP_BARRIER_SERIAL, the others 0. Reusable at once. A
 * barrier of 1 never sleeps and never wakes (no system call). */
int sp_barrier_wait(struct sp_barrier *b);

/* ======================================================================
 * Task 4: the reader-writer lock (src/sem.c)
 * ====================================================================== */

/* Writer-preferring: once a writer waits, new readers wait behind it, so a
 * stream of readers cannot starve a writer. Built on your Task 1 mutex and
 * Task 2 condition variables. */
struct sp_rwlock {
    struct sp_mutex lock;     /* guards every field below */
    struct sp_cond readers_ok;
    struct sp_cond writer_ok;
    unsigned readers;         /* readers inside */
    unsigned writer;          /* 1 while a writer is inside */
    unsigned writers_waiting; /* writers blocked in sp_rwlock_wrlock */
};

int sp_rwlock_init(struct sp_rwlock *rw);
void sp_rwlock_rdlock(struct sp_rwlock *rw);
void sp_rwlock_rdunlock(struct sp_rwlock *rw);
void sp_rwlock_wrlock(struct sp_rwlock *rw);
void sp_rwlock_wrunlock(struct sp_rwlock *rw);

/* ======================================================================
 * Task 5: spin locks: ticket, MCS queue lock (src/spin.c)
 * ====================================================================== */

/* FIFO: a thread takes a ticket and spins until it is served. */
struct sp_ticket {
    _Atomic uint32_t next;    /* the next ticket to hand out */
    _Atomic uint32_t serving; /* the ticket that holds the lock */
};

int sp_ticket_init(struct sp_ticket *t);
void sp_ticket_lock(struct sp_ticket *t);
void sp_ticket_unlock(struct sp_ticket *t);

/* Mellor-Crummey and Scott: each waiter spins on its own node. The caller
 * owns the node from lock until unlock returns. */
struct sp_mcs_node {
    _Atomic(struct sp_mcs_node *) next; /* the successor, set by it */
    _Atomic uint32_t locked;            /* 1 while this node must wait */
};
struct sp_mcs {
    _Atomic(struct sp_mcs_node *) tail; /* the last node in the queue, NULL if free */
};

int sp_mcs_init(struct sp_mcs *l);
void sp_mcs_lock(struct sp_mcs *l, struct sp_mcs_node *me);
void sp_mcs_unlock(struct sp_mcs *l, struct sp_mcs_node *me);

/* ======================================================================
 * Task 6: the seqlock (src/spin.c)
 * ====================================================================== */

/* Writers exclude each other and make seq odd while they write; readers
 * never write anything, and retry when seq was odd or moved. The data a
 * seqlock guards must be read and written with relaxed atomics. */
struct sp_seqlock {
    _Atomic uint32_t seq; /* even: no writer inside; odd: a writer is */
};

int sp_seqlock_init(struct sp_seqlock *s);
/* Start a read: the sequence number to give sp_seq_read_retry. */
uint32_t sp_seq_read_begin(const struct sp_seqlock *s);
/* 1 if what was read since sp_seq_read_begin may be torn: read again. */
int sp_seq_read_retry(const struct sp_seqlock *s, uint32_t start);
void sp_seq_write_lock(struct sp_seqlock *s);
void sp_seq_write_unlock(struct sp_seqlock *s);

/* ======================================================================
 * Task 7: userspace RCU (src/rcu.c)
 * ====================================================================== */

/* An epoch (grace-period counter) design: each reader thread registers a
 * struct sp_rcu_reader and publishes, on entry, the epoch it saw.
 * synchronize_rcu advances the epoch and waits for every reader still
 * inside a section it entered under an older epoch. */
struct sp_rcu_reader {
    _Atomic uint64_t epoch;       /* 0 outside a read section, else the epoch seen
                                     on entry (written by its thread, read by
                                     synchronize_rcu) */
    unsigned nesting;             /* its thread only */
    struct sp_rcu_reader *next;   /* registry link; guarded by sp_rcu.lock */
};

struct sp_rcu_head {
    struct sp_rcu_head *next;     /* queue link; guarded by sp_rcu.lock */
    void (*fn)(struct sp_rcu_head *);
};

struct sp_rcu {
    _Atomic uint64_t epoch;           /* >= 1; advanced by synchronize_rcu */
    struct sp_mutex lock;             /* guards readers, cbs, cbs_tail; held
                                         only briefly, never while waiting */
    struct sp_rcu_reader *readers;    /* the registry; guarded by lock */
    struct sp_rcu_head *cbs, **cbs_tail; /* call_rcu's queue, oldest first; lock */
};

int sp_rcu_init(struct sp_rcu *r);
/* Add the calling thread's reader to the registry (before its first
 * read_lock): 0, or EINVAL. Never waits for a grace period. */
int sp_rcu_register(struct sp_rcu *r, struct sp_rcu_reader *rd);
/* Remove it (outside any read section). */
void sp_rcu_unregister(struct sp_rcu *r, struct sp_rcu_reader *rd);
/* Enter / leave a read-side section. Never block, never make a system
 * call; may nest. */
void sp_rcu_read_lock(struct sp_rcu *r, struct sp_rcu_reader *rd);
void sp_rcu_read_unlock(struct sp_rcu *r, struct sp_rcu_reader *rd);
/* Wait for every read section that began before the call; not for those
 * that begin after it advanced the epoch. Then run the callbacks queued
 * before the call. Never from inside a read section (deadlock). */
void sp_synchronize_rcu(struct sp_rcu *r);
/* Queue fn(head) to run after a grace period. Never blocks. */
void sp_call_rcu(struct sp_rcu *r, struct sp_rcu_head *head, void (*fn)(struct sp_rcu_head *));
/* Teardown: one last grace period, then every queued callback runs. Every
 * reader must be unregistered first. */
void sp_rcu_destroy(struct sp_rcu *r);

#endif
