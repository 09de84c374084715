/*
 * test_chan.c - milestone M2: channels and WaitGroup (kit-owned).
 */
#include "gmp_test.h"

#define MAKE_OR_FAIL(c, size, cap)                                            \
    do {                                                                      \
        (c) = gmp_chan_make((size), (cap));                                   \
        int mk_e_ = errno;                                                    \
        tl_check((c) != NULL, "gmp_chan_make(%zu, %zu) returned NULL "        \
                 "(errno %s). Hint: %s", (size_t)(size), (size_t)(cap),       \
                 tl_ename(mk_e_), gmp_hint(mk_e_, "handout Task 2.2."));      \
    } while (0)

/* ------------------------------------------------------------------ */
#define PP_ROUNDS 10000
static gmp_chan *pp_a, *pp_b;
static atomic_long pp_done;

static void pinger(void *a)
{
    for (long i = 0; i < PP_ROUNDS && !tl_fb_failed(&fb); i++) {
        long v = i, back = -1;
        gmp_chan_send(pp_a, &v);
        if (!gmp_chan_recv(pp_b, &back) || back != i + 1) {
            G_FAIL("ping sent %ld and got back %ld, expected %ld: an "
                   "unbuffered channel hands each value to exactly one "
                   "receiver, in order. Hint: handout Tasks 2.3-2.4.",
                   i, back, i + 1);
            return;
        }
        atomic_store(&pp_done, i + 1);
    }
}

static void ponger(void *a)
{
    for (long i = 0; i < PP_ROUNDS && !tl_fb_failed(&fb); i++) {
        long v = -1;
        if (!gmp_chan_recv(pp_a, &v) || v != i) {
            G_FAIL("pong expected %ld and received %ld. Hint: handout Task "
                   "2.4.", i, v);
            return;
        }
        v++;
        gmp_chan_send(pp_b, &v);
    }
}

TL_TEST(unbuffered_ping_pong, 2, 60, "m2")
{
    START(1);
    MAKE_OR_FAIL(pp_a, sizeof(long), 0);
    MAKE_OR_FAIL(pp_b, sizeof(long), 0);
    GO(pinger, NULL);
    GO(ponger, NULL);
    AWAIT_COUNT(atomic_load(&pp_done), PP_ROUNDS, 10,
                "two goroutines on ONE P exchanging values over two "
                "unbuffered channels stopped after %ld of %d rounds: a G "
                "that waits on a channel must park (its M runs the other G) "
                "and the other side must make it runnable again. Hint: "
                "handout Tasks 2.1, 2.3 and 2.4.", atomic_load(&pp_done),
                PP_ROUNDS);
    FINISH("unbuffered_ping_pong");
    gmp_chan_free(pp_a);
    gmp_chan_free(pp_b);
}

/* ------------------------------------------------------------------ */
static gmp_chan *bp_c;
static atomic_int bp_got, bp_sent;

static void bp_sender(void *a)
{
    int v = 42;
    atomic_store(&bp_sent, 1);
    gmp_chan_send(bp_c, &v);
}

static void bp_receiver(void *a)
{
    if (!gmp_go(bp_sender, NULL)) {
        G_FAIL("gmp_go failed (errno %s)", tl_ename(errno));
        return;
    }
    int v = 0;
    if (gmp_chan_recv(bp_c, &v))
        atomic_store(&bp_got, v);
}

TL_TEST(blocked_g_parks_not_its_m, 2, 30, "m2")
{
    START(1);
    MAKE_OR_FAIL(bp_c, sizeof(int), 0);
    GO(bp_receiver, NULL);
    AWAIT(atomic_load(&bp_got) == 42, 10,
          "one P: a G spawned a sender, then received on an empty unbuffered "
          "channel; the sender %s and the receiver got %d (expected 42). "
          "A receive with nothing to take must park the G (gopark) so the "
          "M can run the sender, not block the kernel thread. Hint: "
          "handout Tasks 2.1 and 2.4.",
          atomic_load(&bp_sent) ? "ran" : "never ran", atomic_load(&bp_got));
    FINISH("blocked_g_parks_not_its_m");
    gmp_chan_free(bp_c);
    struct gmp_stats s;
    STATS(s);
    tl_check(s.g_parks >= 1, "gmp_stats counted %lu goroutine parks; the "
             "receiver parked. Hint: handout Task 2.1.", s.g_parks);
}

/* ------------------------------------------------------------------ */
#define FIFO_N 1000
static gmp_chan *ff_c;
static atomic_int ff_recv_started, ff_len8, ff_early, ff_got;

static void ff_sender(void *a)
{
    for (int i = 0; i < FIFO_N; i++) {
        gmp_chan_send(ff_c, &i);
        if (i == 7) {
            atomic_store(&ff_len8, (int)gmp_chan_len(ff_c));
            atomic_store(&ff_early, atomic_load(&ff_recv_started));
        }
    }
}

static void ff_receiver(void *a)
{
    atomic_store(&ff_recv_started, 1);
    for (int i = 0; i < FIFO_N; i++) {
        int v = -1;
        if (!gmp_chan_recv(ff_c, &v) || v != i) {
            G_FAIL("a buffered channel of cap 8 gave %d where value %d was "
                   "due: values leave in the order they were sent (a ring: "
                   "recvx, sendx). Hint: handout Tasks 2.3-2.4.", v, i);
            return;
        }
        atomic_store(&ff_got, i + 1);
    }
}

static void ff_main(void *a)
{
    /* runnext order: the sender runs first, the receiver after it */
    if (!gmp_go(ff_receiver, NULL) || !gmp_go(ff_sender, NULL))
        G_FAIL("gmp_go failed (errno %s)", tl_ename(errno));
}

TL_TEST(buffered_fifo_order, 1, 30, "m2")
{
    START(1);
    MAKE_OR_FAIL(ff_c, sizeof(int), 8);
    tl_check(gmp_chan_cap(ff_c) == 8, "gmp_chan_cap of a channel made with "
             "cap 8 returned %zu. Hint: handout Task 2.2.", gmp_chan_cap(ff_c));
    GO(ff_main, NULL);
    AWAIT_COUNT(atomic_load(&ff_got), FIFO_N, 10,
                "%d of %d values went through a channel of cap 8, then "
                "nothing moved. Hint: handout Tasks 2.3-2.4.",
                atomic_load(&ff_got), FIFO_N);
    FINISH("buffered_fifo_order");
    gmp_chan_free(ff_c);
    tl_check(atomic_load(&ff_len8) == 8 && !atomic_load(&ff_early),
             "one P: a sender put 8 values in a channel of cap 8 before any "
             "receiver ran; then gmp_chan_len was %d (expected 8) and the "
             "receiver had %s: sends into free buffer slots never block. "
             "Hint: handout Task 2.3.", atomic_load(&ff_len8),
             atomic_load(&ff_early) ? "already run" : "not run yet (good)");
}

/* ------------------------------------------------------------------ */
/* The concurrent prime sieve (the Go tour's): a generator, then a chain  */
/* of filters, one per prime found.                                      */
/* ------------------------------------------------------------------ */
#define SIEVE_MAX 120
static gmp_chan *sv_chans[SIEVE_MAX + 2];
static atomic_int sv_nchans, sv_stop, sv_found;
static int sv_primes[SIEVE_MAX];

struct filter_arg { gmp_chan *in, *out; int p; };
static struct filter_arg sv_args[SIEVE_MAX];

static void generate(void *a)
{
    gmp_chan *out = a;
    for (int v = 2; !atomic_load(&sv_stop); v++)
        gmp_chan_send(out, &v);
    gmp_chan_close(out);
}

static void filter(void *a)
{
    struct filter_arg *f = a;
    int v;
    while (gmp_chan_recv(f->in, &v))
        if (v % f->p != 0)
            gmp_chan_send(f->out, &v);
    gmp_chan_close(f->out);
}

static gmp_chan *sv_make(void)
{
    gmp_chan *c = gmp_chan_make(sizeof(int), 0);
    if (c)
        sv_chans[atomic_fetch_add(&sv_nchans, 1)] = c;
    return c;
}

static void sieve(void *a)
{
    int n = (int)(intptr_t)a;
    gmp_chan *ch = sv_make();
    if (!ch || !gmp_go(generate, ch)) {
        G_FAIL("gmp_chan_make or gmp_go failed (errno %s)", tl_ename(errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        int p = 0;
        if (!gmp_chan_recv(ch, &p)) {
            G_FAIL("the sieve's channel was closed early");
            return;
        }
        sv_primes[i] = p;
        atomic_store(&sv_found, i + 1);
        gmp_chan *next = sv_make();
        sv_args[i] = (struct filter_arg){ch, next, p};
        if (!next || !gmp_go(filter, &sv_args[i])) {
            G_FAIL("gmp_chan_make or gmp_go failed (errno %s)", tl_ename(errno));
            return;
        }
        ch = next;
    }
    /* shut the chain down: stop the generator, drain until closed */
    atomic_store(&sv_stop, 1);
    int v;
    while (gmp_chan_recv(ch, &v))
        ;
}

static void check_primes(int n, int nprocs)
{
    START(nprocs);
    GO(sieve, (void *)(intptr_t)n);
    AWAIT_COUNT(atomic_load(&sv_found), n, 10,
                "the concurrent prime sieve on %d P(s) found %d of %d primes, "
                "then stopped. Hint: handout Tasks 2.3-2.5.", nprocs,
                atomic_load(&sv_found), n);
    FINISH("prime sieve");
    int want = 2;
    for (int i = 0; i < n; i++) {
        for (;; want++) {
            int prime = 1;
            for (int d = 2; d * d <= want; d++)
                if (want % d == 0)
                    prime = 0;
            if (prime)
                break;
        }
        tl_check(sv_primes[i] == want, "prime number %d of the sieve was %d, "
                 "expected %d: a value was lost, duplicated or reordered in "
                 "a channel. Hint: handout Tasks 2.3-2.4.", i + 1,
                 sv_primes[i], want);
        want++;
    }
    for (int i = 0; i < atomic_load(&sv_nchans); i++)
        gmp_chan_free(sv_chans[i]);
}

TL_TEST(prime_sieve, 2, 60, "m2")
{
    check_primes(100, 2);
}

/* ------------------------------------------------------------------ */
static gmp_chan *cs_buf, *cs_unbuf;
static atomic_int cs_done;
static int cs_vals[5], cs_oks[5], cs_unbuf_ok = -1, cs_unbuf_v = -1;

static void cs_g(void *a)
{
    for (int i = 1; i <= 3; i++)
        gmp_chan_send(cs_buf, &i);
    gmp_chan_close(cs_buf);
    for (int k = 0; k < 5; k++) {
        cs_vals[k] = 0x5a5a;
        cs_oks[k] = gmp_chan_recv(cs_buf, &cs_vals[k]);
    }
    gmp_chan_close(cs_unbuf);
    cs_unbuf_v = 0x5a5a;
    cs_unbuf_ok = gmp_chan_recv(cs_unbuf, &cs_unbuf_v);
    atomic_store(&cs_done, 1);
}

TL_TEST(close_semantics, 2, 30, "m2")
{
    START(1);
    MAKE_OR_FAIL(cs_buf, sizeof(int), 4);
    MAKE_OR_FAIL(cs_unbuf, sizeof(int), 0);
    GO(cs_g, NULL);
    AWAIT(atomic_load(&cs_done), 10, "a goroutine sending 3 values to a "
          "buffered channel, closing it and receiving 5 times never finished. "
          "Hint: handout Tasks 2.4-2.5 (receive on a closed channel never "
          "blocks).");
    FINISH("close_semantics");
    for (int k = 0; k < 3; k++)
        tl_check(cs_oks[k] == 1 && cs_vals[k] == k + 1,
                 "after close, receive %d from a buffered channel holding "
                 "1,2,3 gave ok=%d value %d, expected ok=1 value %d: close "
                 "does not drop the buffered values. Hint: handout Task 2.4.",
                 k + 1, cs_oks[k], cs_vals[k], k + 1);
    for (int k = 3; k < 5; k++)
        tl_check(cs_oks[k] == 0 && cs_vals[k] == 0,
                 "receive %d from a closed, drained channel gave ok=%d value "
                 "%#x, expected ok=0 and the zero value (Go: v, ok := <-c "
                 "gives 0, false). Hint: handout Task 2.4.", k + 1, cs_oks[k],
                 cs_vals[k]);
    tl_check(cs_unbuf_ok == 0 && cs_unbuf_v == 0,
             "receive from a closed unbuffered channel gave ok=%d value %#x, "
             "expected 0 and 0. Hint: handout Task 2.4.", cs_unbuf_ok,
             cs_unbuf_v);
    gmp_chan_free(cs_buf);
    gmp_chan_free(cs_unbuf);
}

/* ------------------------------------------------------------------ */
#define CW_N 5
static gmp_chan *cw_c;
static atomic_int cw_woken, cw_okays;

static void cw_receiver(void *a)
{
    int v = 7;
    int ok = gmp_chan_recv(cw_c, &v);
    if (ok || v != 0)
        atomic_fetch_add(&cw_okays, 1);
    atomic_fetch_add(&cw_woken, 1);
}

static void cw_closer(void *a)
{
    go_each(cw_receiver, CW_N);
    /* wait until all of them are parked on the channel */
    double t0 = 0;
    struct gmp_stats s;
    while (gmp_stats(&s) == 0 && s.g_parks < CW_N && !too_long(&t0, 10))
        gmp_gosched();
    gmp_chan_close(cw_c);
}

TL_TEST(close_wakes_every_waiter, 2, 30, "m2")
{
    START(2);
    MAKE_OR_FAIL(cw_c, sizeof(int), 0);
    GO(cw_closer, NULL);
    AWAIT_COUNT(atomic_load(&cw_woken), CW_N, 10,
                "%d goroutines parked receiving on a channel; it was closed "
                "and only %d of them woke up: a lost wakeup. Close must wake "
                "EVERY parked receiver (and sender), not just the first "
                "(Go: closechan releases all of recvq and sendq). Hint: "
                "handout Task 2.5.", CW_N, atomic_load(&cw_woken));
    FINISH("close_wakes_every_waiter");
    tl_check(atomic_load(&cw_okays) == 0, "%d receivers woken by close got "
             "ok=1 or a nonzero value; expected ok=0 and the zero value. "
             "Hint: handout Task 2.5.", atomic_load(&cw_okays));
    gmp_chan_free(cw_c);
}

/* ------------------------------------------------------------------ */
static void send_closed_main(void *a)
{
    gmp_chan *c = gmp_chan_make(sizeof(int), 1);
    int v = 1;
    if (!c)
        _exit(4);
    gmp_chan_close(c);
    gmp_chan_send(c, &v);
    _exit(5);
}

static void send_closed_body(void)
{
    if (gmp_run(1, send_closed_main, NULL) != 0)
        _exit(3);
    _exit(6);
}

TL_TEST(send_on_closed_panics, 2, 60, "m2")
{
    EXPECT_PANIC(send_closed_body, "send on closed channel",
                 "a send on a closed channel must panic: print \"gmp panic: "
                 "send on closed channel\" on stderr and abort. Hint: handout "
                 "Task 2.3.",
                 "3: gmp_run failed, 4: gmp_chan_make failed, 5: the send "
                 "returned");
}

static void close_closed_body(void)
{
    gmp_chan *c = gmp_chan_make(sizeof(int), 0);
    if (!c)
        _exit(4);
    gmp_chan_close(c);
    gmp_chan_close(c);
    _exit(5);
}

TL_TEST(close_of_closed_panics, 1, 60, "m2")
{
    EXPECT_PANIC(close_closed_body, "close of closed channel",
                 "closing a closed channel must panic: print \"gmp panic: "
                 "close of closed channel\" and abort. Hint: handout Task 2.5.",
                 "4: gmp_chan_make failed, 5: the second close returned");
}

/* ------------------------------------------------------------------ */
#define MS_SENDERS 4
#define MS_RECEIVERS 3
static gmp_chan *ms_c;
static gmp_wg *ms_wg;
static long ms_per;
static atomic_uchar *ms_seen;
static atomic_long ms_got, ms_recv_done;

static void ms_sender(void *a)
{
    long s = (long)(intptr_t)a;
    for (long k = 0; k < ms_per; k++) {
        long v = s * ms_per + k;
        gmp_chan_send(ms_c, &v);
        if ((v & 63) == 0)
            gmp_gosched();
    }
    gmp_wg_done(ms_wg);
}

static void ms_receiver(void *a)
{
    long v;
    while (gmp_chan_recv(ms_c, &v)) {
        if (v < 0 || v >= MS_SENDERS * ms_per) {
            G_FAIL("a receiver got %ld, a value nobody sent. Hint: handout "
                   "Task 2.4.", v);
            break;
        }
        atomic_fetch_add(&ms_seen[v], 1);
        atomic_fetch_add(&ms_got, 1);
    }
    atomic_fetch_add(&ms_recv_done, 1);
}

static void ms_closer(void *a)
{
    gmp_wg_wait(ms_wg);
    gmp_chan_close(ms_c);
}

TL_TEST(many_senders_receivers_exactly_once, 2, 90, "m2 stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    size_t cap = (size_t)tl_rng_below(&r, 4);
    ms_per = tl_iters(2000);
    long total = MS_SENDERS * ms_per;
    ms_seen = calloc((size_t)total, 1);
    tl_check(ms_seen != NULL, "out of memory");
    START(2);
    MAKE_OR_FAIL(ms_c, sizeof(long), cap);
    ms_wg = gmp_wg_new();
    tl_check(ms_wg != NULL, "gmp_wg_new returned NULL (errno %s). Hint: %s",
             tl_ename(errno), gmp_hint(errno, "handout Task 2.6."));
    gmp_wg_add(ms_wg, MS_SENDERS);
    for (int i = 0; i < MS_RECEIVERS; i++)
        GO(ms_receiver, NULL);
    for (long s = 0; s < MS_SENDERS; s++)
        GO(ms_sender, (void *)(intptr_t)s);
    GO(ms_closer, NULL);
    AWAIT_COUNT(atomic_load(&ms_got), total, 10,
                "%d senders and %d receivers on a channel of cap %zu, 2 Ps: "
                "%ld of %ld values arrived, then nothing moved (a lost "
                "wakeup?). Replay with the seed printed above. Hint: handout "
                "Tasks 2.1, 2.3 and 2.4.", MS_SENDERS, MS_RECEIVERS, cap,
                atomic_load(&ms_got), total);
    AWAIT(atomic_load(&ms_recv_done) == MS_RECEIVERS, 10,
          "after the last sender finished and the channel was closed, %ld of "
          "%d receivers saw ok=0. Hint: handout Tasks 2.5-2.6.",
          atomic_load(&ms_recv_done), MS_RECEIVERS);
    FINISH("many_senders_receivers_exactly_once");
    for (long v = 0; v < total; v++)
        tl_check(ms_seen[v] == 1, "value %ld was received %d times (cap %zu); "
                 "each sent value is received exactly once. Hint: handout "
                 "Tasks 2.3-2.4.", v, ms_seen[v], cap);
    free((void *)ms_seen);
    gmp_chan_free(ms_c);
    gmp_wg_free(ms_wg);
}

/* ------------------------------------------------------------------ */
#define WG_N 10
static gmp_wg *wg;
static atomic_int wg_flags[WG_N], wg_rounds;

static void wg_worker(void *a)
{
    int i = (int)(intptr_t)a;
    for (int k = 0; k < i % 3; k++)
        gmp_gosched();
    atomic_store(&wg_flags[i], 1);
    gmp_wg_done(wg);
}

static void wg_main(void *a)
{
    gmp_wg_wait(wg); /* count 0: returns at once */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < WG_N; i++)
            atomic_store(&wg_flags[i], 0);
        gmp_wg_add(wg, WG_N);
        for (int i = 0; i < WG_N; i++)
            if (!gmp_go(wg_worker, (void *)(intptr_t)i))
                G_FAIL("gmp_go failed (errno %s)", tl_ename(errno));
        gmp_wg_wait(wg);
        for (int i = 0; i < WG_N; i++)
            if (!atomic_load(&wg_flags[i]))
                G_FAIL("round %d: gmp_wg_wait returned before worker %d "
                       "called gmp_wg_done. Hint: handout Task 2.6.", round, i);
        atomic_fetch_add(&wg_rounds, 1);
    }
}

TL_TEST(waitgroup_waits_for_all, 1, 30, "m2")
{
    START(2);
    wg = gmp_wg_new();
    tl_check(wg != NULL, "gmp_wg_new returned NULL (errno %s). Hint: %s",
             tl_ename(errno), gmp_hint(errno, "handout Task 2.6."));
    GO(wg_main, NULL);
    AWAIT(atomic_load(&wg_rounds) == 2, 10, "a goroutine waiting on a "
          "WaitGroup for 10 workers (twice, reusing it) finished %d of 2 "
          "rounds. Hint: handout Task 2.6.", atomic_load(&wg_rounds));
    FINISH("waitgroup_waits_for_all");
    gmp_wg_free(wg);
    wg = NULL; /* valgrind calls a block nothing points to lost */
}
