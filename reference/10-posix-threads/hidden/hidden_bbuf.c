/*
 * hidden_bbuf.c - the buffer's contracts from other angles: spurious
 * wakeups injected on its condvars, and the timed calls.
 */
#include "../tests/ptl_test.h"

#define T2 "Task 2 (src/bbuf.c)"

struct spur {
    struct bbuf b;
    long per_producer;
    int nprod;
    atomic_uchar *seen;
    atomic_int stop;
    struct tl_failbox fb;
};

struct sp_arg { struct spur *s; int id; };

static void *sp_producer(void *arg)
{
    struct sp_arg *a = arg;
    for (long i = 0; i < a->s->per_producer && !tl_fb_failed(&a->s->fb); i++) {
        int rc = bbuf_put(&a->s->b, ITEM(((uintptr_t)(a->id + 1) << 32) | (uintptr_t)i));
        if (rc) {
            tl_fb_fail(&a->s->fb, "bbuf_put returned %s", tl_ename(rc));
            break;
        }
    }
    return NULL;
}

static void *sp_consumer(void *arg)
{
    struct spur *s = arg;
    for (;;) {
        void *it;
        int rc = bbuf_get(&s->b, &it);
        if (rc == EPIPE)
            return NULL;
        if (rc) {
            tl_fb_fail(&s->fb, "bbuf_get returned %s", tl_ename(rc));
            return NULL;
        }
        long p = (long)(VAL(it) >> 32) - 1, i = (long)(VAL(it) & 0xffffffffu);
        if (p < 0 || p >= s->nprod || i >= s->per_producer) {
            tl_fb_fail(&s->fb, "with spurious wakeups going on, bbuf_get returned %#lx, which "
                    "nobody put: a consumer took an empty slot. Hint: `while`, not `if`, "
                    "around pthread_cond_wait.", (unsigned long)VAL(it));
            return NULL;
        }
        if (atomic_fetch_add(&s->seen[p * s->per_producer + i], 1)) {
            tl_fb_fail(&s->fb, "with spurious wakeups going on, bbuf_get returned producer "
                    "%ld's item #%ld twice. Hint: re-test the predicate after every wakeup.",
                    p, i);
            return NULL;
        }
    }
}

static void *sp_injector(void *arg)
{
    struct spur *s = arg;
    while (!atomic_load(&s->stop)) {
        pthread_mutex_lock(&s->b.lock);
        pthread_cond_broadcast(&s->b.not_full);
        pthread_cond_broadcast(&s->b.not_empty);
        pthread_mutex_unlock(&s->b.lock);
        sched_yield();
    }
    return NULL;
}

TL_TEST(bbuf_spurious_wakeups_harmless, 4, 60, "bbuf stress spurious")
{
    static struct spur s;
    memset(&s, 0, sizeof s);
    s.fb = (struct tl_failbox)TL_FAILBOX_INIT;
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    s.nprod = 2;
    s.per_producer = tl_iters(15000);
    size_t cap = 1 + tl_rng_below(&r, 3);
    int rc = bbuf_init(&s.b, cap);
    tl_expect_ok(rc, "bbuf_init", T2);
    s.seen = calloc((size_t)(s.nprod * s.per_producer), 1);
    tl_check(s.seen != NULL, "out of memory in the test");
    pthread_t p[2], c[2], inj;
    struct sp_arg pa[2] = {{&s, 0}, {&s, 1}};
    start_thread(&inj, sp_injector, &s);
    for (int i = 0; i < 2; i++) {
        start_thread(&c[i], sp_consumer, &s);
        start_thread(&p[i], sp_producer, &pa[i]);
    }
    int stuck = join_all(p, 2, work_secs());
    tl_check(stuck == 0, "producers did not finish (cap %zu): a lost wakeup?", cap);
    tl_expect_ok(bbuf_close(&s.b), "bbuf_close", T2);
    stuck += join_all(c, 2, hang_secs());
    atomic_store(&s.stop, 1);
    join_within(inj, hang_secs());
    tl_check(stuck == 0, "consumers did not finish after close");
    tl_fb_report(&s.fb);
    for (long k = 0; k < s.nprod * s.per_producer; k++)
        tl_check(atomic_load(&s.seen[k]) == 1, "item %ld of producer %ld was delivered %d times "
                 "with spurious wakeups injected (cap %zu). A producer that wakes with the "
                 "buffer still full must wait again, not overwrite a slot.",
                 k % s.per_producer, k / s.per_producer, atomic_load(&s.seen[k]), cap);
    free(s.seen);
    tl_expect_ok(bbuf_destroy(&s.b), "bbuf_destroy", T2);
}

struct timed_call { struct bbuf *b; long ms; int rc; void *item; double secs; atomic_int done; };

static void *timed_get(void *arg)
{
    struct timed_call *t = arg;
    double t0 = tl_now();
    t->rc = bbuf_get_timed(t->b, &t->item, t->ms);
    t->secs = tl_now() - t0;
    atomic_store(&t->done, 1);
    return NULL;
}

static int getter_waiting(void *arg)
{
    struct timed_call *t = arg;
    return atomic_load(&t->done) || locked_int(&t->b->lock, &t->b->nget_waiting) == 1;
}

static atomic_int inj_stop;
static void *get_injector(void *arg)
{
    struct bbuf *b = arg;
    while (!atomic_load(&inj_stop)) {
        pthread_mutex_lock(&b->lock);
        pthread_cond_broadcast(&b->not_empty);
        pthread_mutex_unlock(&b->lock);
        sched_yield();
    }
    return NULL;
}

TL_TEST(bbuf_timed_ops, 3, 60, "bbuf timed")
{
    static struct bbuf b;
    int rc = bbuf_init(&b, 1);
    tl_expect_ok(rc, "bbuf_init", T2);
    static struct timed_call t;
    pthread_t th;

    /* Times out, after (not before) its timeout, on the right clock. */
    t = (struct timed_call){.b = &b, .ms = 30};
    start_thread(&th, timed_get, &t);
    tl_check(join_within(th, hang_secs()) == 0, "bbuf_get_timed(empty, 30 ms) was still "
             "waiting after %.0f s. Is the deadline on the condvar's clock? (condattr "
             "CLOCK_MONOTONIC and ptl_deadline_ms, or both CLOCK_REALTIME)", hang_secs());
    tl_expect_rc(t.rc, ETIMEDOUT, "bbuf_get_timed(empty buffer, 30 ms)", "Nothing came in time.");
    tl_check(t.secs >= 0.029, "bbuf_get_timed(empty, 30 ms) gave up after %.4f s, before its "
             "timeout: mixed clocks (a CLOCK_MONOTONIC deadline on a CLOCK_REALTIME condvar)?",
             t.secs);

    /* Spurious wakeups must not extend the deadline. */
    atomic_store(&inj_stop, 0);
    pthread_t inj;
    start_thread(&inj, get_injector, &b);
    t = (struct timed_call){.b = &b, .ms = 50};
    start_thread(&th, timed_get, &t);
    rc = join_within(th, hang_secs());
    atomic_store(&inj_stop, 1);
    join_within(inj, hang_secs());
    if (rc)
        bbuf_close(&b), join_within(th, hang_secs());
    tl_check(rc == 0, "bbuf_get_timed(empty, 50 ms) never timed out while its condvar was "
             "woken again and again. Hint: compute the deadline ONCE, before the loop; a "
             "fresh deadline per wakeup lets spurious wakeups postpone it forever.");
    tl_expect_rc(t.rc, ETIMEDOUT, "bbuf_get_timed(empty, 50 ms) with spurious wakeups",
              "A wakeup with the buffer still empty must go back to waiting.");

    /* A timed get that an item arrives for. */
    t = (struct timed_call){.b = &b, .ms = 60000};
    start_thread(&th, timed_get, &t);
    tl_check(tl_poll_until(getter_waiting, &t, hang_secs()) && !atomic_load(&t.done),
             "bbuf_get_timed(empty, 60 s) returned %s at once / did not count itself in "
             "nget_waiting", tl_ename(t.rc));
    tl_expect_ok(bbuf_put(&b, ITEM(5)), "bbuf_put", T2);
    tl_check(join_within(th, hang_secs()) == 0, "a put did not wake bbuf_get_timed");
    tl_expect_ok(t.rc, "bbuf_get_timed woken by a put", T2);
    tl_check(VAL(t.item) == 5, "bbuf_get_timed returned item %lu, expected 5",
             (unsigned long)VAL(t.item));

    /* put_timed on a full buffer stores nothing. */
    tl_expect_ok(bbuf_put(&b, ITEM(6)), "bbuf_put", T2);
    tl_expect_rc(bbuf_put_timed(&b, ITEM(7), 20), ETIMEDOUT, "bbuf_put_timed(full, 20 ms)",
              "The buffer stayed full.");
    tl_expect_rc(bbuf_put_timed(&b, ITEM(7), -1), EINVAL, "bbuf_put_timed(b, item, -1)",
              "A negative timeout is an argument error.");
    void *it;
    tl_expect_rc(bbuf_get_timed(&b, &it, -5), EINVAL, "bbuf_get_timed(b, &it, -5)",
              "A negative timeout is an argument error.");
    tl_expect_ok(bbuf_get_timed(&b, &it, 0), "bbuf_get_timed(non-empty, 0)", T2);
    tl_check(VAL(it) == 6, "got %lu, expected 6: the timed-out put must not have stored 7",
             (unsigned long)VAL(it));
    tl_expect_rc(bbuf_get_timed(&b, &it, 0), ETIMEDOUT, "bbuf_get_timed(empty, 0)", "Empty.");
    tl_expect_ok(bbuf_close(&b), "bbuf_close", T2);
    tl_expect_rc(bbuf_get_timed(&b, &it, 1000), EPIPE, "bbuf_get_timed on a closed empty buffer",
              "Closed and empty: EPIPE at once, not ETIMEDOUT later.");
    tl_expect_ok(bbuf_destroy(&b), "bbuf_destroy", T2);

    /* cap * sizeof(void *) overflows size_t: calloc refuses, never a crash. */
    static struct bbuf huge;
    tl_expect_rc(bbuf_init(&huge, SIZE_MAX / 2), ENOMEM, "bbuf_init(&b, SIZE_MAX / 2)",
              "Room for that many slots cannot be allocated: when calloc returns NULL, "
              "return ENOMEM (and initialise nothing).");
}

/* ---- destroy while threads wait in put: EBUSY, every time ------------ */

struct bbusy {
    struct bbuf b;
    pthread_mutex_t m;   /* guards stop and progress (the test's own) */
    int stop;
    long progress;
    int blocked_rc[2];
};

struct bb_arg { struct bbusy *s; int id; };

static void *bbusy_blocked(void *arg)
{
    struct bb_arg *a = arg;
    a->s->blocked_rc[a->id] = bbuf_put(&a->s->b, ITEM(2 + a->id));
    return NULL;
}

/* Wakes the blocked producers again and again (a spurious wakeup for
 * them): each one leaves its wait, counts itself out and back in, and
 * waits again, all under b->lock. */
static void *bbusy_waker(void *arg)
{
    struct bbusy *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->m);
        int stop = s->stop;
        s->progress++;
        pthread_mutex_unlock(&s->m);
        if (stop)
            return NULL;
        pthread_mutex_lock(&s->b.lock);
        pthread_cond_broadcast(&s->b.not_full);
        pthread_mutex_unlock(&s->b.lock);
        sched_yield();
    }
}

static long bbusy_progress(struct bbusy *s)
{
    pthread_mutex_lock(&s->m);
    long p = s->progress;
    pthread_mutex_unlock(&s->m);
    return p;
}

static int two_puts_waiting(void *arg)
{
    struct bbuf *b = arg;
    return locked_int(&b->lock, &b->nput_waiting) == 2;
}

TL_TEST(bbuf_destroy_busy_while_in_use, 1, 60, "bbuf errors")
{
    static struct bbusy s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.m, NULL);
    int rc = bbuf_init(&s.b, 1);
    tl_expect_ok(rc, "bbuf_init(&b, 1)", T2);
    tl_expect_ok(bbuf_put(&s.b, ITEM(1)), "bbuf_put into an empty buffer", T2);
    pthread_t blocked[2], waker;
    static struct bb_arg a[2];
    for (int i = 0; i < 2; i++) {
        a[i] = (struct bb_arg){&s, i};
        start_thread(&blocked[i], bbusy_blocked, &a[i]);
    }
    tl_check(tl_poll_until(two_puts_waiting, &s.b, hang_secs()),
             "two bbuf_put calls into a full buffer of 1 did not show up as nput_waiting == 2 "
             "within %.0f s (it is %d)", hang_secs(), locked_int(&s.b.lock, &s.b.nput_waiting));
    start_thread(&waker, bbusy_waker, &s);
    /* Two producers stay blocked throughout while their wakeups move
     * nput_waiting: every destroy must see the waiters and refuse. */
    long want = tl_iters(2000), calls = 0, p0 = bbusy_progress(&s);
    double end = tl_now() + hang_secs();
    int bad = 0;
    while ((calls < want || bbusy_progress(&s) - p0 < want) && tl_now() < end) {
        rc = bbuf_destroy(&s.b);
        calls++;
        if (rc != EBUSY) {
            bad = 1;
            break;
        }
    }
    pthread_mutex_lock(&s.m);
    s.stop = 1;
    long woken = s.progress - p0;
    pthread_mutex_unlock(&s.m);
    tl_check(!bad, "bbuf_destroy returned %d (%s) on call %ld while two producers were "
             "blocked in bbuf_put (and being woken spuriously); expected EBUSY every time. "
             "Contract: EBUSY while a thread is blocked in put or get, nothing freed. "
             "Hint: read nput_waiting/nget_waiting under b->lock: other threads change "
             "them under it.", rc, tl_ename(rc), calls);
    tl_check(join_within(waker, hang_secs()) == 0, "the test's waker thread did not stop");
    tl_expect_ok(bbuf_close(&s.b), "bbuf_close", T2);
    int stuck = join_all(blocked, 2, hang_secs());
    tl_check(stuck == 0, "%d producer(s) stayed blocked in bbuf_put after bbuf_close", stuck);
    for (int i = 0; i < 2; i++)
        tl_expect_rc(s.blocked_rc[i], EPIPE, "a bbuf_put blocked until bbuf_close",
                  "Close wakes blocked producers: their item was not stored.");
    tl_check(woken > 0 && calls > 0, "the waker made no progress in %.0f s (%ld destroy "
             "calls)", hang_secs(), calls);
    tl_expect_ok(bbuf_destroy(&s.b), "bbuf_destroy once nobody waits", T2);
    pthread_mutex_destroy(&s.m);
}
