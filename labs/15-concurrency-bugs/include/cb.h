/*
 * cb.h - lab 15, concurrency bug hunts: the whole student API.
 *
 * Kit-owned and read-only. Each module below ships with ONE planted bug:
 * your src/ file compiles and mostly works, and its TODO names the symptom
 * the tests show. Fix the bug without changing any function's contract or
 * any struct here (the tests read some fields). The last module, lockdep,
 * is yours to write from scratch.
 *
 * The kit's own pieces (src/kit_*.c, never graded, never edited) are in
 * cb_kit.h: a tracked mutex that knows who holds and who waits for it, a
 * deterministic priority scheduler with simulated tasks, and a lockstep
 * stepper for the polite pair.
 *
 * Error convention: int-returning functions return 0 on success or an errno
 * value (EINVAL, EDEADLK, ...), never -1.
 */
#ifndef CB_H
#define CB_H

#include "cb_kit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* ================================================================== */
/* Bank transfers (deadlock)                          src/bank.c, Task 1 */
/* ================================================================== */

#define BANK_MAX 64

struct account {
    struct tmx lock;  /* guards balance */
    long balance;     /* >= 0 at all times; guarded by lock */
};

struct bank {
    int n;                        /* number of accounts; fixed after init */
    struct account acct[BANK_MAX];
};

/* n accounts (1..BANK_MAX) holding `initial` (>= 0) each. 0 or EINVAL. */
int bank_init(struct bank *b, int n, long initial);
void bank_destroy(struct bank *b);

/* Move `amount` from account `from` to account `to`, atomically: no thread
 * ever sees the money in both accounts or in neither. 0 when moved;
 * ENOSPC (nothing moved) when from's balance is below amount; EINVAL for a
 * bad index, from == to or amount < 0. Any number of threads may transfer
 * between any accounts at once, and every call returns. */
int bank_transfer(struct bank *b, int from, int to, long amount);

/* Account i's balance, read under its lock (-1 for a bad index). */
long bank_balance(struct bank *b, int i);

/* ================================================================== */
/* A polite pair (livelock)                          src/polite.c, Task 2 */
/* ================================================================== */

/* Two threads (me = 0 and me = 1) share two forks; each needs both to do
 * its work. All fork operations go through the kit's stepper (cb_kit.h:
 * pp_take, pp_put, pp_pause), which runs the two threads in strict
 * lockstep, as the unluckiest scheduler would. */

/* Return once thread `me` holds both forks. Both threads call it over and
 * over; each call must return after a bounded number of steps (the test
 * allows a few thousand), whatever the other thread does. */
void polite_acquire(struct pp *p, int me);

/* Put both forks down (me holds them). */
void polite_release(struct pp *p, int me);

/* ================================================================== */
/* Priority inversion (simulated)                       src/smx.c, Task 3 */
/* ================================================================== */

/* A mutex for the simulated tasks of cb_kit.h's scheduler (struct smx is
 * there). The scheduler always runs the READY task of highest t->prio.
 * A low-priority owner must not keep a higher-priority waiter waiting
 * behind tasks of middle priority. */

void smx_init(struct smx *m, const char *name);

/* Called from task t's step. 1: t owns m now. 0: m is owned by another
 * task; t is now blocked (sim_block) and owns m when it next runs (the
 * unlock hands m straight to it). t must not own m already. */
int smx_lock(struct sim *s, struct smx *m, struct sim_task *t);

/* Task t owns m: release it. If tasks wait, m goes to the waiter of
 * highest priority (the earliest to block among equals), which is made
 * ready (sim_wake). */
void smx_unlock(struct sim *s, struct smx *m, struct sim_task *t);

/* ================================================================== */
/* A lazily built table (data race)                    src/lazy.c, Task 4 */
/* ================================================================== */

#define PRIME_LIMIT (1u << 24)

struct prime_table {
    unsigned char composite[PRIME_LIMIT]; /* 1 iff n is not a prime (0 and
                                             1 included); all of it written
                                             before the table is published */
};

struct lazy_primes {
    pthread_mutex_t lock;                /* serialises the builders */
    _Atomic(struct prime_table *) table; /* NULL until built; then never
                                            changes until destroy */
    atomic_int builds;                   /* tables built so far: at most 1 */
};

void lazy_primes_init(struct lazy_primes *l);
void lazy_primes_destroy(struct lazy_primes *l);

/* The sieve, built by the first caller; every later call (from any thread)
 * returns the same complete table, cheaply (no lock once it is built).
 * NULL only if the allocation failed. */
const struct prime_table *lazy_primes_get(struct lazy_primes *l);

/* 1 if n is prime, 0 if not, -1 if n >= PRIME_LIMIT or no table. */
int lazy_is_prime(struct lazy_primes *l, uint32_t n);

/* ================================================================== */
/* A one-shot event (lost wakeup)                     src/event.c, Task 5 */
/* ================================================================== */

struct event {
    pthread_mutex_t lock;  /* guards set */
    pthread_cond_t cv;     /* waited on by event_wait while set == 0 */
    int set;               /* 0, then 1 for good; guarded by lock */
};

void event_init(struct event *e);
void event_destroy(struct event *e);
/* Set the event: every event_wait, past and future, returns. */
void event_set(struct event *e);
/* Return once the event is set (at once if it is). */
void event_wait(struct event *e);

/* ================================================================== */
/* A Treiber stack (ABA)                             src/tstack.c, Task 6 */
/* ================================================================== */

/* A lock-free stack of nodes from a pool the caller owns. A popped node
 * is the caller's until it pushes it again (on this stack or not): nodes
 * are reused at once, never freed while the stack is in use. */

#define TS_MAX_NODES 1024

struct ts_node {
    atomic_uint next;  /* index + 1 of the node below it, 0: none; written
                          by the pusher before the CAS that publishes the
                          node, read by poppers (relaxed: the CAS on top
                          orders it) */
    long value;        /* the caller's */
};

struct tstack {
    _Atomic uint64_t top;   /* the low 32 bits: index + 1 of the top node,
                               0 when empty; the high 32 bits are yours to
                               use (0 after tstack_init) */
    struct ts_node *pool;   /* the nodes; set at init */
    unsigned npool;         /* <= TS_MAX_NODES */
};

void tstack_init(struct tstack *s, struct ts_node *pool, unsigned npool);
/* Push node idx (< npool, owned by the caller). Lock-free. */
void tstack_push(struct tstack *s, unsigned idx);
/* Pop: the index of the node that was on top, now the caller's; -1 when
 * empty. Lock-free; never hands one node to two callers. */
int tstack_pop(struct tstack *s);

/* ================================================================== */
/* A reference-counted message (use after free)         src/msg.c, Task 7 */
/* ================================================================== */

struct msg {
    atomic_int refs;                   /* holders; the message is released
                                          exactly once, when the last
                                          holder lets go */
    void (*release)(struct msg *m);    /* called once, by the last unref */
    long payload;
};

/* A new message with one reference, NULL if out of memory. release (not
 * NULL) frees it: the caller's function, called once. */
struct msg *msg_new(long payload, void (*release)(struct msg *m));
/* Another reference for a holder that has one. */
void msg_ref(struct msg *m);
/* Drop the caller's reference; the last one calls m->release(m). After
 * it, the caller must not touch m. Any number of holders at once. */
void msg_unref(struct msg *m);

/* ================================================================== */
/* Lockdep: a lock-order checker                     src/lockdep.c, Task 8 */
/* ================================================================== */

/* Threads and locks are small numbers. Before a thread acquires a lock it
 * calls ld_acquire, after it releases one, ld_release. Lockdep remembers
 * every order it has seen: "lock h was held when lock a was acquired" is
 * the edge h -> a (from any thread, at any time). An acquire that would
 * add an edge closing a cycle is a deadlock waiting to happen, even if
 * this run got lucky: ld_acquire reports it instead of recording it. */

#define LD_MAX_LOCKS 64
#define LD_MAX_THREADS 32
#define LD_MAX_HELD 16

/* A cycle: locks[0] is the lock being acquired, each locks[i] ->
 * locks[i+1] is a recorded edge, and the last lock is one the acquiring
 * thread holds (so the new edge last -> locks[0] closes it). n >= 1; n == 1
 * means the thread already holds the lock (a self-deadlock). */
struct ld_cycle {
    int n;
    int locks[LD_MAX_LOCKS];
};

struct lockdep {
    pthread_mutex_t lock;                        /* guards everything below */
    unsigned char edge[LD_MAX_LOCKS][LD_MAX_LOCKS]; /* edge[h][a]: h -> a seen */
    int held[LD_MAX_THREADS][LD_MAX_HELD];       /* locks each thread holds, */
    int nheld[LD_MAX_THREADS];                   /*   in acquisition order */
};

/* 0, or an errno value if the mutex cannot be initialised. */
int ld_init(struct lockdep *ld);
void ld_destroy(struct lockdep *ld);

/* Thread `thread` is about to acquire `lock`. 0: no cycle; the edges
 * h -> lock for every h it holds are recorded (each edge once) and lock
 * is now held. EDEADLK: this acquire closes a cycle; *cyc (if not NULL)
 * gets it, and nothing is recorded (the caller must not take the lock).
 * EINVAL: an index out of range; ENOMEM: the thread already holds
 * LD_MAX_HELD locks. Locks taken in one consistent order, however deeply
 * nested and by however many threads, are never reported. */
int ld_acquire(struct lockdep *ld, int thread, int lock, struct ld_cycle *cyc);

/* Thread `thread` released `lock` (in any order). 0; EPERM if it does not
 * hold it; EINVAL for an index out of range. Edges stay recorded. */
int ld_release(struct lockdep *ld, int thread, int lock);

/* 1 if the edge h -> a has been recorded, else 0 (for tests and tools). */
int ld_has_edge(struct lockdep *ld, int h, int a);

#endif
