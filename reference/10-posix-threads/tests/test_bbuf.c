/*
 * test_bbuf.c - Task 2, the bounded buffer: FIFO, blocking, close, and
 * exactly-once delivery under stress.
 */
#include "ptl_test.h"

#include <stdint.h>

#define T2 "Task 2 (src/bbuf.c)"

TL_TEST(bbuf_fifo_single_thread, 2, 10, "bbuf")
{
    struct bbuf b;
    void *it = NULL;
    int rc = bbuf_init(&b, 3);
    tl_expect_ok(rc, "bbuf_init(&b, 3)", T2);
    for (int i = 1; i <= 3; i++) {
        rc = bbuf_put(&b, ITEM(i));
        tl_expect_ok(rc, "bbuf_put on a buffer with a free slot", T2);
    }
    rc = bbuf_put_timed(&b, ITEM(99), 0);
    tl_expect_rc(rc, ETIMEDOUT, "bbuf_put_timed(full buffer, timeout 0)",
              "A full buffer with timeout 0 must give up at once, storing nothing.");
    for (uintptr_t i = 1; i <= 3; i++) {
        rc = bbuf_get(&b, &it);
        tl_expect_ok(rc, "bbuf_get on a non-empty buffer", T2);
        tl_check(VAL(it) == i, "bbuf_get returned item %lu, expected %lu: items must come "
                 "out in the order they went in (FIFO; head is the oldest).",
                 (unsigned long)VAL(it), (unsigned long)i);
    }
    rc = bbuf_get_timed(&b, &it, 0);
    tl_expect_rc(rc, ETIMEDOUT, "bbuf_get_timed(empty buffer, timeout 0)",
              "An empty buffer with timeout 0 must give up at once.");
    /* Wrap around the ring many times with two items inside. */
    uintptr_t next_in = 1, next_out = 1;
    for (int round = 0; round < 100; round++) {
        while (next_in - next_out < 2) {
            rc = bbuf_put(&b, ITEM(next_in));
            tl_expect_ok(rc, "bbuf_put", T2);
            next_in++;
        }
        rc = bbuf_get(&b, &it);
        tl_expect_ok(rc, "bbuf_get", T2);
        tl_check(VAL(it) == next_out, "after %d wrap-around rounds bbuf_get returned %lu, "
                 "expected %lu. Hint: index slots modulo cap: tail = (head + count) %% cap.",
                 round, (unsigned long)VAL(it), (unsigned long)next_out);
        next_out++;
    }
    /* One item inside, so that a get that skips its checks does not wait. */
    tl_expect_ok(bbuf_put(&b, ITEM(98)), "bbuf_put", T2);
    void *none = ITEM(99);
    tl_expect_rc(bbuf_get(&b, NULL), EINVAL, "bbuf_get(&b, NULL)",
              "Nowhere to store the item: check the pointer before anything else.");
    tl_expect_rc(bbuf_get_timed(&b, NULL, 0), EINVAL, "bbuf_get_timed(&b, NULL, 0)",
              "Nowhere to store the item: check the pointer before anything else.");
    tl_expect_rc(bbuf_put(NULL, none), EINVAL, "bbuf_put(NULL, item)", "Check the pointer first.");
    tl_expect_rc(bbuf_get(NULL, &none), EINVAL, "bbuf_get(NULL, &item)", "Check the pointer first.");
    tl_expect_rc(bbuf_put_timed(NULL, none, 0), EINVAL, "bbuf_put_timed(NULL, item, 0)",
              "Check the pointer first.");
    tl_expect_rc(bbuf_get_timed(NULL, &none, 0), EINVAL, "bbuf_get_timed(NULL, &item, 0)",
              "Check the pointer first.");
    tl_expect_rc(bbuf_close(NULL), EINVAL, "bbuf_close(NULL)", "Check the pointer first.");
    tl_expect_rc(bbuf_destroy(NULL), EINVAL, "bbuf_destroy(NULL)", "Check the pointer first.");
    rc = bbuf_destroy(&b);
    tl_expect_ok(rc, "bbuf_destroy of an idle buffer (one item left inside: dropped)", T2);
    struct bbuf z;
    rc = bbuf_init(&z, 0);
    tl_expect_rc(rc, EINVAL, "bbuf_init(&b, 0)", "A buffer needs at least one slot.");
    rc = bbuf_init(NULL, 4);
    tl_expect_rc(rc, EINVAL, "bbuf_init(NULL, 4)", "Check the pointer first.");
}

/* ---- blocking, proved by state ------------------------------------ */

struct one_call {
    struct bbuf *b;
    void *item;
    atomic_int returned;
    int rc;
};

static void *do_put(void *arg)
{
    struct one_call *c = arg;
    c->rc = bbuf_put(c->b, c->item);
    atomic_store(&c->returned, 1);
    return NULL;
}

static void *do_get(void *arg)
{
    struct one_call *c = arg;
    c->rc = bbuf_get(c->b, &c->item);
    atomic_store(&c->returned, 1);
    return NULL;
}

struct waitq { struct one_call *c; struct bbuf *b; int put; int n; };

static int returned_or_waiting(void *arg)
{
    struct waitq *w = arg;
    if (w->c && atomic_load(&w->c->returned))
        return 1;
    return locked_int(&w->b->lock, w->put ? &w->b->nput_waiting : &w->b->nget_waiting) >= w->n;
}

struct streamer {
    struct bbuf *b;
    long n;
    atomic_long done; /* calls that have returned */
    atomic_int finished;
    int rc;
};

static void *stream_put(void *arg)
{
    struct streamer *s = arg;
    for (long i = 1; i <= s->n; i++) {
        int rc = bbuf_put(s->b, ITEM(i));
        if (rc) {
            s->rc = rc;
            return NULL;
        }
        atomic_store(&s->done, i);
    }
    return NULL;
}

TL_TEST(bbuf_put_blocks_when_full, 3, 60, "bbuf")
{
    static struct bbuf b; /* static: a stuck thread may outlive the test */
    int rc = bbuf_init(&b, 2);
    tl_expect_ok(rc, "bbuf_init(&b, 2)", T2);
    tl_expect_ok(bbuf_put(&b, ITEM(1)), "bbuf_put", T2);
    tl_expect_ok(bbuf_put(&b, ITEM(2)), "bbuf_put", T2);

    static struct one_call c;
    c = (struct one_call){.b = &b, .item = ITEM(3)};
    pthread_t t;
    start_thread(&t, do_put, &c);
    struct waitq w = {&c, &b, 1, 1};
    int seen = tl_poll_until(returned_or_waiting, &w, hang_secs());
    tl_check(!atomic_load(&c.returned),
             "bbuf_put returned %d (%s) on a FULL buffer (count 2, cap 2). Contract: put "
             "waits until a slot is free. Hint: while (count == cap && !closed) "
             "pthread_cond_wait(&b->not_full, &b->lock);", c.rc, tl_ename(c.rc));
    tl_check(seen, "bbuf_put on a full buffer neither returned nor showed up in "
             "b->nput_waiting within %.0f s. Hint: count yourself in nput_waiting "
             "(under the lock) before pthread_cond_wait, out after it.", hang_secs());
    void *it = NULL;
    tl_expect_ok(bbuf_get(&b, &it), "bbuf_get", T2);
    tl_check(VAL(it) == 1, "bbuf_get returned %lu, expected 1 (FIFO)", (unsigned long)VAL(it));
    rc = join_within(t, hang_secs());
    tl_check(rc == 0, "a producer blocked on a full buffer was still blocked %.0f s after "
             "bbuf_get freed a slot: a lost wakeup. Hint: get must signal not_full "
             "after it frees a slot (while holding the lock or just after).", hang_secs());
    tl_expect_ok(c.rc, "the blocked bbuf_put, once woken,", T2);
    tl_expect_ok(bbuf_get(&b, &it), "bbuf_get", T2);
    tl_check(VAL(it) == 2, "bbuf_get returned %lu, expected 2 (FIFO)", (unsigned long)VAL(it));
    tl_expect_ok(bbuf_get(&b, &it), "bbuf_get", T2);
    tl_check(VAL(it) == 3, "bbuf_get returned %lu, expected 3: the item of the put that "
             "waited must be stored after it wakes", (unsigned long)VAL(it));

    /* A stream: after i gets, at most i + cap puts can have returned. */
    static struct streamer s;
    s = (struct streamer){.b = &b, .n = 300};
    start_thread(&t, stream_put, &s);
    for (long i = 1; i <= s.n; i++) {
        rc = bbuf_get(&b, &it);
        tl_expect_ok(rc, "bbuf_get", T2);
        tl_check(VAL(it) == (uintptr_t)i, "bbuf_get returned %lu, expected %ld (FIFO)",
                 (unsigned long)VAL(it), i);
        long p = atomic_load(&s.done);
        tl_check(p <= i + 2, "%ld bbuf_put calls had returned after only %ld gets on a "
                 "buffer of capacity 2: put stored more items than there were slots. Hint: "
                 "re-test count == cap in a loop after every wakeup.", p, i);
    }
    tl_check(join_within(t, hang_secs()) == 0, "the producer never finished");
    tl_expect_ok(s.rc, "bbuf_put in the stream", T2);
    tl_expect_ok(bbuf_destroy(&b), "bbuf_destroy", T2);
}

static void *stream_get(void *arg)
{
    struct streamer *s = arg;
    for (long i = 1; i <= s->n; i++) {
        void *it = NULL;
        int rc = bbuf_get(s->b, &it);
        if (rc || VAL(it) != (uintptr_t)i) {
            s->rc = rc ? rc : -1;
            break;
        }
        atomic_store(&s->done, i);
    }
    atomic_store(&s->finished, 1);
    return NULL;
}

TL_TEST(bbuf_get_blocks_when_empty, 3, 60, "bbuf")
{
    static struct bbuf b; /* static: a stuck thread may outlive the test */
    int rc = bbuf_init(&b, 2);
    tl_expect_ok(rc, "bbuf_init(&b, 2)", T2);
    static struct one_call c;
    c = (struct one_call){.b = &b};
    pthread_t t;
    start_thread(&t, do_get, &c);
    struct waitq w = {&c, &b, 0, 1};
    int seen = tl_poll_until(returned_or_waiting, &w, hang_secs());
    tl_check(!atomic_load(&c.returned),
             "bbuf_get returned %d (%s) on an EMPTY buffer. Contract: get waits until an "
             "item arrives (or the buffer is closed). Hint: while (count == 0 && !closed) "
             "pthread_cond_wait(&b->not_empty, &b->lock);", c.rc, tl_ename(c.rc));
    tl_check(seen, "bbuf_get on an empty buffer neither returned nor showed up in "
             "b->nget_waiting within %.0f s. Hint: count yourself in nget_waiting.",
             hang_secs());
    tl_expect_ok(bbuf_put(&b, ITEM(42)), "bbuf_put", T2);
    rc = join_within(t, hang_secs());
    tl_check(rc == 0, "a consumer blocked on an empty buffer was still blocked %.0f s after "
             "bbuf_put stored an item: a lost wakeup. Hint: put must signal not_empty.",
             hang_secs());
    tl_expect_ok(c.rc, "the blocked bbuf_get, once woken,", T2);
    tl_check(VAL(c.item) == 42, "the woken bbuf_get returned item %lu, expected 42",
             (unsigned long)VAL(c.item));

    /* A stream: after i puts, at most i gets can have returned. */
    static struct streamer s;
    s = (struct streamer){.b = &b, .n = 300};
    start_thread(&t, stream_get, &s);
    for (long i = 1; i <= s.n; i++) {
        long g = atomic_load(&s.done);
        tl_check(g <= i - 1, "%ld bbuf_get calls had returned after only %ld puts: get "
                 "returned an item that was never put.", g, i - 1);
        tl_expect_ok(bbuf_put(&b, ITEM(i)), "bbuf_put", T2);
    }
    tl_check(join_within(t, hang_secs()) == 0, "the consumer never finished: a lost wakeup?");
    tl_check(s.rc == 0, "the consumer's bbuf_get failed or returned items out of order "
             "(rc %d; -1 = wrong item)", s.rc);
    tl_expect_ok(bbuf_destroy(&b), "bbuf_destroy", T2);
}

/* ---- close --------------------------------------------------------- */

TL_TEST(bbuf_close_wakes_all_waiters, 4, 60, "bbuf close")
{
    enum { N = 3 };
    static struct bbuf b; /* static: a stuck thread may outlive the test */
    static struct one_call c[N];
    int rc = bbuf_init(&b, 1);
    tl_expect_ok(rc, "bbuf_init(&b, 1)", T2);
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        c[i] = (struct one_call){.b = &b, .item = ITEM(1000)};
        start_thread(&t[i], do_get, &c[i]);
    }
    struct waitq w = {NULL, &b, 0, N};
    tl_check(tl_poll_until(returned_or_waiting, &w, hang_secs()),
             "%d consumers on an empty buffer did not all show up in nget_waiting "
             "(it says %d; did one return early?)", N, locked_int(&b.lock, &b.nget_waiting));
    tl_expect_ok(bbuf_close(&b), "bbuf_close", T2);
    int stuck = 0;
    for (int i = 0; i < N; i++)
        stuck += join_within(t[i], i == 0 ? hang_secs() : 0.5) != 0;
    tl_check(stuck == 0, "bbuf_close did not wake every blocked bbuf_get: %d of %d consumers "
             "still blocked after close (nget_waiting=%d), a lost wakeup. Hint: closing "
             "changes the predicate of EVERY waiter: pthread_cond_broadcast both condvars; "
             "pthread_cond_signal wakes only one.", stuck, N,
             locked_int(&b.lock, &b.nget_waiting));
    for (int i = 0; i < N; i++) {
        tl_expect_rc(c[i].rc, EPIPE, "bbuf_get woken by bbuf_close on an empty buffer",
                  "Closed and empty means no item will ever come: return EPIPE.");
        tl_check(VAL(c[i].item) == 1000, "a bbuf_get that failed with EPIPE wrote *item");
    }
    tl_expect_ok(bbuf_destroy(&b), "bbuf_destroy", T2);

    /* Blocked producers. */
    rc = bbuf_init(&b, 1);
    tl_expect_ok(rc, "bbuf_init(&b, 1)", T2);
    tl_expect_ok(bbuf_put(&b, ITEM(7)), "bbuf_put", T2);
    for (int i = 0; i < N; i++) {
        c[i] = (struct one_call){.b = &b, .item = ITEM(100 + i)};
        start_thread(&t[i], do_put, &c[i]);
    }
    w = (struct waitq){NULL, &b, 1, N};
    tl_check(tl_poll_until(returned_or_waiting, &w, hang_secs()),
             "%d producers on a full buffer did not all show up in nput_waiting (it says %d)",
             N, locked_int(&b.lock, &b.nput_waiting));
    tl_expect_ok(bbuf_close(&b), "bbuf_close", T2);
    stuck = 0;
    for (int i = 0; i < N; i++)
        stuck += join_within(t[i], i == 0 ? hang_secs() : 0.5) != 0;
    tl_check(stuck == 0, "bbuf_close did not wake every blocked bbuf_put: %d of %d producers "
             "still blocked after close (nput_waiting=%d), a lost wakeup. Hint: broadcast "
             "not_full too.", stuck, N, locked_int(&b.lock, &b.nput_waiting));
    for (int i = 0; i < N; i++)
        tl_expect_rc(c[i].rc, EPIPE, "bbuf_put woken by bbuf_close",
                  "A put on a closed buffer stores nothing and returns EPIPE.");
    tl_expect_rc(bbuf_put(&b, ITEM(8)), EPIPE, "bbuf_put after bbuf_close", "Closed is forever.");
    void *it = NULL;
    rc = bbuf_get(&b, &it);
    tl_expect_ok(rc, "bbuf_get on a closed buffer that still holds an item (drain)", T2);
    tl_check(VAL(it) == 7, "draining a closed buffer returned %lu, expected the item put "
             "before close (7); the failed puts must not have stored theirs",
             (unsigned long)VAL(it));
    tl_expect_rc(bbuf_get(&b, &it), EPIPE, "bbuf_get on a closed, drained buffer",
              "Nothing left and nothing will come: EPIPE.");
    tl_expect_ok(bbuf_close(&b), "a second bbuf_close (idempotent)", T2);
    tl_expect_ok(bbuf_destroy(&b), "bbuf_destroy", T2);
}

/* ---- many producers and consumers ---------------------------------- */

struct mpmc {
    struct bbuf b;
    long per_producer;
    int nprod;
    atomic_uchar *seen;        /* nprod * per_producer */
    atomic_ullong sum;
    struct tl_failbox fb;
};

struct prod_arg { struct mpmc *m; int id; };

static void *mp_producer(void *arg)
{
    struct prod_arg *a = arg;
    for (long s = 0; s < a->m->per_producer && !tl_fb_failed(&a->m->fb); s++) {
        uintptr_t v = ((uintptr_t)(a->id + 1) << 32) | (uintptr_t)s;
        int rc = bbuf_put(&a->m->b, ITEM(v));
        if (rc) {
            tl_fb_fail(&a->m->fb, "bbuf_put failed with %s while consumers were running", tl_ename(rc));
            break;
        }
    }
    return NULL;
}

static void *mp_consumer(void *arg)
{
    struct mpmc *m = arg;
    long last[8];
    for (int p = 0; p < 8; p++)
        last[p] = -1;
    for (;;) {
        void *it;
        int rc = bbuf_get(&m->b, &it);
        if (rc == EPIPE)
            return NULL;
        if (rc) {
            tl_fb_fail(&m->fb, "bbuf_get failed with %s", tl_ename(rc));
            return NULL;
        }
        uintptr_t v = VAL(it);
        long p = (long)(v >> 32) - 1, s = (long)(v & 0xffffffffu);
        if (p < 0 || p >= m->nprod || s >= m->per_producer) {
            tl_fb_fail(&m->fb, "bbuf_get returned %#lx, which no producer put (a stale or "
                    "uninitialised slot?)", (unsigned long)v);
            return NULL;
        }
        if (s <= last[p]) {
            tl_fb_fail(&m->fb, "one consumer got producer %ld's item #%ld after its item #%ld: "
                    "items must leave in FIFO order", p, s, last[p]);
            return NULL;
        }
        last[p] = s;
        if (atomic_fetch_add(&m->seen[p * m->per_producer + s], 1) != 0) {
            tl_fb_fail(&m->fb, "bbuf_get returned an item twice: producer %ld's item #%ld. "
                    "Hint: a consumer that woke must re-test count under the lock (while, "
                    "not if) before taking slots[head].", p, s);
            return NULL;
        }
        atomic_fetch_add(&m->sum, v);
    }
}

TL_TEST(bbuf_exactly_once_stress, 5, 60, "bbuf stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    int nprod = 2 + (int)tl_rng_below(&r, 3), ncons = 2 + (int)tl_rng_below(&r, 3);
    size_t cap = 1 + tl_rng_below(&r, 8);
    static struct mpmc m;
    memset(&m, 0, sizeof m);
    m.fb = (struct tl_failbox)TL_FAILBOX_INIT;
    m.nprod = nprod;
    m.per_producer = tl_iters(40000) / nprod + 1;
    int rc = bbuf_init(&m.b, cap);
    tl_expect_ok(rc, "bbuf_init", T2);
    long total = m.per_producer * nprod;
    m.seen = calloc((size_t)total, sizeof *m.seen);
    tl_check(m.seen != NULL, "out of memory in the test");
    pthread_t pt[4], ct[4];
    struct prod_arg pa[4];
    for (int i = 0; i < ncons; i++)
        start_thread(&ct[i], mp_consumer, &m);
    for (int i = 0; i < nprod; i++) {
        pa[i] = (struct prod_arg){&m, i};
        start_thread(&pt[i], mp_producer, &pa[i]);
    }
    int stuck = join_all(pt, nprod, work_secs());
    if (stuck) {
        pthread_mutex_lock(&m.b.lock);
        size_t cnt = m.b.count;
        pthread_mutex_unlock(&m.b.lock);
        tl_fail("%d of %d producers (cap %zu, %d consumers) made no progress for a long "
                "time: count=%zu nput_waiting=%d nget_waiting=%d. Threads asleep while the "
                "buffer has room/items: a lost wakeup.", stuck, nprod, cap, ncons, cnt,
                locked_int(&m.b.lock, &m.b.nput_waiting), locked_int(&m.b.lock, &m.b.nget_waiting));
    }
    tl_expect_ok(bbuf_close(&m.b), "bbuf_close", T2);
    stuck += join_all(ct, ncons, hang_secs());
    tl_check(stuck == 0, "%d consumers still blocked after every item was put and the buffer "
             "was closed: close must wake all waiters, and gets must drain then EPIPE", stuck);
    tl_fb_report(&m.fb);
    unsigned long long want = 0;
    for (long p = 0; p < nprod; p++)
        for (long s = 0; s < m.per_producer; s++) {
            int n = atomic_load(&m.seen[p * m.per_producer + s]);
            tl_check(n == 1, "producer %ld's item #%ld was delivered %d times (each item "
                     "exactly once; %d producers, %d consumers, cap %zu)", p, s, n, nprod,
                     ncons, cap);
            want += ((unsigned long long)(p + 1) << 32) | (unsigned long long)s;
        }
    tl_check(atomic_load(&m.sum) == want, "checksum of delivered items %llu, expected %llu",
             (unsigned long long)atomic_load(&m.sum), want);
    free(m.seen);
    tl_expect_ok(bbuf_destroy(&m.b), "bbuf_destroy", T2);
}

/* ---- the lost-wakeup detector -------------------------------------- */

static void *lw_producer(void *arg)
{
    struct streamer *s = arg;
    for (long i = 1; i <= s->n; i++) {
        if ((s->rc = bbuf_put(s->b, ITEM(i))) != 0)
            return NULL;
        atomic_store(&s->done, i);
    }
    return NULL;
}

TL_TEST(bbuf_lost_wakeup_detector, 4, 60, "bbuf stress wakeup")
{
    static struct bbuf b;
    int rc = bbuf_init(&b, 1);
    tl_expect_ok(rc, "bbuf_init(&b, 1)", T2);
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    long n = tl_iters(20000 + (long)tl_rng_below(&r, 10000));
    static struct streamer prod, cons;
    prod = (struct streamer){.b = &b, .n = n};
    cons = (struct streamer){.b = &b, .n = n};
    pthread_t pt, ct;
    start_thread(&ct, stream_get, &cons);
    start_thread(&pt, lw_producer, &prod);
    /* Capacity 1 means every item is a hand-off: each put must wake the
     * consumer and each get the producer. A missed wakeup stops both. */
    long last = -1;
    double stall_since = tl_now();
    for (;;) {
        long c = atomic_load(&cons.done), d = c + atomic_load(&prod.done);
        if (c >= n || atomic_load(&cons.finished))
            break;
        if (d != last) {
            last = d;
            stall_since = tl_now();
        } else if (tl_now() - stall_since > hang_secs()) {
            pthread_mutex_lock(&b.lock);
            size_t cnt = b.count;
            int pw = b.nput_waiting, gw = b.nget_waiting;
            pthread_mutex_unlock(&b.lock);
            bbuf_close(&b); /* let the stuck threads go */
            join_within(pt, 1);
            join_within(ct, 1);
            tl_fail("lost wakeup: no progress for %.0f s after %ld of %ld items went "
                    "through a capacity-1 buffer; count=%zu nput_waiting=%d "
                    "nget_waiting=%d. A thread is asleep although its predicate is true: "
                    "test the predicate and change the state under the lock, signal after "
                    "the change, wait in a while loop.", hang_secs(), c, n, cnt, pw, gw);
        }
        sched_yield(); /* poll progress; the deadline only names a hang */
    }
    tl_check(join_within(ct, hang_secs()) == 0, "the consumer did not finish");
    tl_check(join_within(pt, hang_secs()) == 0,
             "the producer or consumer did not finish");
    tl_check(cons.rc == 0, "the consumer got an error or an out-of-order item after %ld "
             "items (rc %d; -1 = wrong item)", atomic_load(&cons.done), cons.rc);
    tl_expect_ok(prod.rc, "bbuf_put", T2);
    tl_expect_ok(bbuf_destroy(&b), "bbuf_destroy", T2);
}
