/*
 * ptl.h - lab 10, POSIX threads idioms: the whole student API.
 *
 * Kit-owned and read-only: the tests include it and read some struct fields
 * (always under the struct's own lock), so keep every field and its meaning.
 * You write the functions in src/; each banner names its file and task.
 *
 * Built from pthread_mutex_* and pthread_cond_* only: pthread_rwlock_*,
 * pthread_barrier_*, pthread_once, sem_* and pthread_spin_* are forbidden in
 * your objects (the grader reads their undefined symbols).
 *
 * Error convention, as pthreads: every int-returning function returns 0 on
 * success or an errno value (EINVAL, EBUSY, ETIMEDOUT, ...). Never -1, never
 * errno. Every pthread call's result is checked: an error that cannot happen
 * in a correct program goes through PTL_CHECK, which stops the program loudly.
 */
#ifndef PTL_H
#define PTL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* ================================================================== */
/* Errors and broken invariants                 src/ptl_panic.c, Task 1 */
/* ================================================================== */

/* Print one line to stderr naming file:line, the failed expression, and
 * (when err != 0) err's symbolic meaning from strerror, then abort().
 * Any thread may call it; it never returns. err == 0 means "an invariant
 * was false" rather than "a call failed". */
__attribute__((noreturn))
void ptl_panic_at(const char *file, int line, const char *what, int err);

/* PTL_CHECK(pthread_mutex_lock(&m)): for pthread calls that cannot fail in
 * a correct program. A nonzero return is a bug: panic with file:line. */
#define PTL_CHECK(call)                                                       \
    do {                                                                      \
        int ptl_rc_ = (call);                                                 \
        if (ptl_rc_ != 0)                                                     \
            ptl_panic_at(__FILE__, __LINE__, #call, ptl_rc_);                 \
    } while (0)

/* PTL_ASSERT(count <= cap): an invariant the code relies on. */
#define PTL_ASSERT(cond)                                                      \
    do {                                                                      \
        if (!(cond))                                                          \
            ptl_panic_at(__FILE__, __LINE__, "invariant " #cond, 0);          \
    } while (0)

/* ================================================================== */
/* Bounded buffer (producer-consumer)               src/bbuf.c, Task 2 */
/* ================================================================== */

struct bbuf {
    pthread_mutex_t lock;     /* guards every field below except cap */
    pthread_cond_t not_full;  /* waited on by put while count == cap;
                                 signalled by get after it frees a slot */
    pthread_cond_t not_empty; /* waited on by get while count == 0;
                                 signalled by put after it fills a slot */
    void **slots;             /* cap entries, owned (malloc/free); lock */
    size_t cap;               /* > 0, set by init, never changes */
    size_t head;              /* index of the oldest item, < cap; lock */
    size_t count;             /* items stored, 0 <= count <= cap; lock */
    int closed;               /* 0 -> 1 once, never back; lock */
    int nput_waiting;         /* threads blocked in put (between their
                                 count++ before a wait and count-- after
                                 it); lock. Tests read it to see a block. */
    int nget_waiting;         /* the same for get; lock */
};

/* Any thread, before any other use. cap > 0. Condition variables measure
 * timeouts on CLOCK_MONOTONIC. 0, EINVAL (b NULL, cap 0), ENOMEM. */
int bbuf_init(struct bbuf *b, size_t cap);

/* Free the buffer; items still inside are dropped (not freed). 0, EINVAL,
 * EBUSY (a thread is blocked in put or get: nothing is freed). */
int bbuf_destroy(struct bbuf *b);

/* Append item at the tail, waiting while the buffer is full. Items come out
 * of get in the order put stored them, each exactly once. 0, EINVAL, EPIPE
 * (closed, before or while waiting: item was not stored). */
int bbuf_put(struct bbuf *b, void *item);

/* Remove the oldest item into *item, waiting while empty. After close, the
 * items still inside are delivered first. 0, EINVAL, EPIPE (closed and
 * empty: *item untouched). */
int bbuf_get(struct bbuf *b, void **item);

/* As put/get, but give up timeout_ms milliseconds after the call (one
 * deadline for the whole call, however many wakeups). timeout_ms == 0 never
 * waits. ETIMEDOUT (nothing stored / nothing taken), EINVAL (timeout < 0). */
int bbuf_put_timed(struct bbuf *b, void *item, long timeout_ms);
int bbuf_get_timed(struct bbuf *b, void **item, long timeout_ms);

/* Close: every put from now on, and every blocked put, returns EPIPE; gets
 * drain what is left, then return EPIPE. Wakes every waiter. Idempotent.
 * 0, EINVAL. */
int bbuf_close(struct bbuf *b);

/* ================================================================== */
/* Reader-writer lock, writer-preferring           src/rwlock.c, Task 3 */
/* ================================================================== */

struct rwl {
    pthread_mutex_t lock;      /* guards every field below */
    pthread_cond_t readers_ok; /* readers wait here while a writer holds
                                  or waits; broadcast when that ends */
    pthread_cond_t writer_ok;  /* writers wait here while anyone holds;
                                  signalled when the lock becomes free */
    int readers;               /* readers holding it now, >= 0; lock */
    int writer;                /* 1 while a writer holds it; then
                                  readers == 0; lock */
    pthread_t owner;           /* the writer, meaningful iff writer; lock */
    int writers_waiting;       /* threads blocked in wrlock; lock.
                                  > 0 keeps new readers out */
    int readers_waiting;       /* threads blocked in rdlock; lock */
};

/* 0, EINVAL. */
int rwl_init(struct rwl *rw);
/* 0, EINVAL, EBUSY (held, or a thread waits: nothing destroyed). */
int rwl_destroy(struct rwl *rw);

/* Shared access: any number of readers together, never with a writer.
 * Writer preference: while a writer holds OR WAITS, new readers wait, so
 * a stream of overlapping readers cannot starve a writer. 0, EINVAL. */
int rwl_rdlock(struct rwl *rw);

/* Exclusive access. 0, EINVAL, EDEADLK (the caller already holds it for
 * writing). */
int rwl_wrlock(struct rwl *rw);

/* Never wait. EBUSY where rdlock/wrlock would have waited. */
int rwl_tryrdlock(struct rwl *rw);
int rwl_trywrlock(struct rwl *rw);

/* Release the caller's hold, read or write. Waking: the last reader out or
 * a writer leaving hands the lock to a waiting writer first, else to all
 * waiting readers. 0, EINVAL, EPERM (not held at all, or write-held by
 * another thread). */
int rwl_unlock(struct rwl *rw);

/* ================================================================== */
/* Reusable barrier                                src/barrier.c, Task 4 */
/* ================================================================== */

/* Returned by barrier_wait to exactly one thread per phase. */
#define BARRIER_SERIAL_THREAD (-1)

struct barrier {
    pthread_mutex_t lock;       /* guards every field below but count */
    pthread_cond_t phase_done;  /* waited on until generation changes;
                                   broadcast by the last arrival */
    unsigned count;             /* threads per phase, > 0, fixed */
    unsigned arrived;           /* arrivals in this generation,
                                   0 <= arrived < count between calls */
    unsigned long generation;   /* phase number; +1 by the last arrival,
                                   who also resets arrived to 0. A waiter
                                   leaves when it differs from the value
                                   it saw on arrival. */
};

/* 0, EINVAL (b NULL, count 0). */
int barrier_init(struct barrier *b, unsigned count);

/* Call after every thread has returned from barrier_wait (e.g. after
 * joining them). 0, EINVAL, EBUSY (a phase is partly filled). */
int barrier_destroy(struct barrier *b);

/* Block until count threads have called it in this phase. Returns
 * BARRIER_SERIAL_THREAD to exactly one of them (the last arrival), 0 to the
 * others, or EINVAL. The barrier is immediately reusable: a thread may call
 * it again for the next phase before the others have woken up. */
int barrier_wait(struct barrier *b);

/* ================================================================== */
/* Once, with an atomic fast path                     src/once.c, Task 5 */
/* ================================================================== */

struct once {
    atomic_int done;       /* 0, then 1 after init returned. Written once,
                              store-release, under lock; read load-acquire
                              without lock on the fast path: the pair makes
                              init's writes visible to fast-path callers. */
    pthread_mutex_t lock;  /* serialises the slow path */
};

#define ONCE_INIT { 0, PTHREAD_MUTEX_INITIALIZER }

/* Run init(arg) exactly once per struct once, however many threads call;
 * every caller returns only after init has returned, and then sees all of
 * init's writes. Once done, a call is one acquire load (no lock taken).
 * init must not call once_call on the same object. 0, EINVAL (NULL). */
int once_call(struct once *o, void (*init)(void *), void *arg);

/* ================================================================== */
/* Parallel word count (map-reduce)                     src/wc.c, Task 6 */
/* ================================================================== */

/* A word is a maximal run of bytes that are not ASCII white space
 * (' ', '\t', '\n', '\v', '\f', '\r'). Words compare byte for byte. */
#define WC_MAX_THREADS 64

struct wc_entry {
    struct wc_entry *next;  /* the next entry in the same bucket */
    unsigned long count;    /* occurrences, > 0 */
    size_t len;             /* bytes in word, > 0 */
    char word[];            /* len bytes then a NUL, owned by the entry */
};

/* A chained hash table, owned by one thread at a time (no lock). */
struct wc_table {
    struct wc_entry **buckets; /* nbuckets heads, owned */
    size_t nbuckets;           /* a power of two, fixed after init */
    size_t distinct;           /* entries in the table */
    unsigned long total;       /* sum of every entry's count */
};

/* nbuckets is rounded up to a power of two (at least 16). 0, EINVAL,
 * ENOMEM. */
int wc_table_init(struct wc_table *t, size_t nbuckets);
/* Add n to word's count, inserting it if new. 0, EINVAL, ENOMEM. */
int wc_table_add(struct wc_table *t, const char *word, size_t len,
                 unsigned long n);
/* The count of word, 0 if absent. */
unsigned long wc_lookup(const struct wc_table *t, const char *word, size_t len);
/* Free every entry and the buckets; *t becomes empty (nbuckets 0). */
void wc_table_free(struct wc_table *t);

/* Cut text[0, len) into nparts ranges [bounds[i], bounds[i+1]) with
 * bounds[0] = 0, bounds[nparts] = len, non-decreasing, and no bound inside
 * a word, so each word lies in exactly one range (ranges may be empty).
 * bounds has nparts + 1 entries. 0, EINVAL (nparts < 1, NULL). */
int wc_split(const char *text, size_t len, int nparts, size_t *bounds);

/* Count the words of text[0, len) with nthreads threads: split, each
 * thread counts its range into its own table (map, no sharing), then the
 * tables are merged into *out (reduce). *out equals a sequential count.
 * On success the caller owns *out (wc_table_free). 0, EINVAL (nthreads
 * outside 1..WC_MAX_THREADS, NULL), ENOMEM, EAGAIN (pthread_create): on
 * error every thread started was joined and nothing leaks. */
int wc_count(const char *text, size_t len, int nthreads, struct wc_table *out);

#endif
