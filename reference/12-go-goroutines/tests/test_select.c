/*
 * test_select.c - milestone M3: select (kit-owned).
 */
#include "gmp_test.h"

#define SEL_CALL(r, cases, n, block)                                          \
    do {                                                                      \
        (r) = gmp_select((cases), (n), (block));                              \
        if ((r) == -1 && errno == ENOSYS)                                     \
            tl_fail("gmp_select returned -1 with ENOSYS (the skeleton's "     \
                    "stub). Hint: handout Task 3.1.");                        \
    } while (0)

/* A G that starts two more: `later` first, then `now`, which (runnext)
 * runs as soon as this G exits; `later` runs after it on one P. */
struct pair { void (*later)(void *), (*now)(void *); };

static void spawn_pair(void *arg)
{
    const struct pair *p = arg;
    if (!gmp_go(p->later, NULL) || !gmp_go(p->now, NULL))
        G_FAIL("gmp_go failed (errno %s). Hint: handout Task 1.2.",
               tl_ename(errno));
}

static gmp_chan *mk(size_t cap)
{
    gmp_chan *c = gmp_chan_make(sizeof(int), cap);
    int e = errno;
    tl_check(c != NULL, "gmp_chan_make returned NULL (errno %s). Hint: %s",
             tl_ename(e), gmp_hint(e, "handout Task 2.2."));
    return c;
}

/* ------------------------------------------------------------------ */
TL_TEST(select_default_and_ready, 1, 30, "m3")
{
    gmp_chan *a = mk(1), *b = mk(1), *c = mk(1);
    int va = -1, vb = -1, vc = -1, r;
    struct gmp_case cs[3] = {{a, GMP_RECV, &va, -1}, {b, GMP_RECV, &vb, -1},
                             {c, GMP_RECV, &vc, -1}};
    /* nonblocking select is allowed outside a goroutine */
    SEL_CALL(r, cs, 3, 0);
    tl_check(r == -1, "a select with a default (block = 0) over three empty "
             "channels returned %d, expected -1: no case can proceed. Hint: "
             "handout Task 3.1.", r);
    int v = 7;
    struct gmp_case put = {b, GMP_SEND, &v, -1};
    SEL_CALL(r, &put, 1, 0);
    tl_check(r == 0 && gmp_chan_len(b) == 1,
             "a select with one send case on a channel with a free buffer "
             "slot returned %d (len now %zu), expected 0 and len 1. Hint: "
             "handout Task 3.1.", r, gmp_chan_len(b));
    SEL_CALL(r, cs, 3, 0);
    tl_check(r == 1 && vb == 7 && cs[1].ok == 1 && va == -1 && vc == -1,
             "three receive cases, only the second channel holds a value (7): "
             "select returned %d with value %d ok %d (others %d, %d), "
             "expected case 1, 7, ok 1, others untouched. Hint: handout Task "
             "3.1.", r, vb, cs[1].ok, va, vc);
    gmp_chan_free(a);
    gmp_chan_free(b);
    gmp_chan_free(c);
}

/* ------------------------------------------------------------------ */
#define FAIR_ROUNDS 4000
static gmp_chan *fair_c[4];
static atomic_int fair_count[4], fair_done;

static void fair_g(void *arg)
{
    int v[4];
    struct gmp_case cs[4];
    for (int i = 0; i < 4; i++)
        cs[i] = (struct gmp_case){fair_c[i], GMP_RECV, &v[i], 0};
    for (int k = 0; k < FAIR_ROUNDS; k++) {
        int r = gmp_select(cs, 4, 1);
        if (r < 0 || r > 3) {
            G_FAIL("gmp_select over 4 ready channels returned %d. Hint: "
                   "handout Task 3.1.", r);
            return;
        }
        atomic_fetch_add(&fair_count[r], 1);
    }
    atomic_store(&fair_done, 1);
}

TL_TEST(select_fair_choice, 1, 60, "m3")
{
    for (int i = 0; i < 4; i++) {
        fair_c[i] = mk(FAIR_ROUNDS);
        struct gmp_case put = {fair_c[i], GMP_SEND, NULL, 0};
        for (int k = 0, r = 0; k < FAIR_ROUNDS && r == 0; k++) {
            put.elem = &k;
            SEL_CALL(r, &put, 1, 0); /* nonblocking: allowed outside a G */
            tl_check(r == 0, "a nonblocking select sending into a buffered "
                     "channel with free slots returned %d. Hint: handout "
                     "Task 3.1.", r);
        }
    }
    START(1);
    GO(fair_g, NULL);
    AWAIT(atomic_load(&fair_done), 20, "a goroutine making %d selects over "
          "4 always-ready channels did not finish. Hint: handout Task 3.1.",
          FAIR_ROUNDS);
    FINISH("select_fair_choice");
    for (int i = 0; i < 4; i++) {
        int n = fair_count[i];
        tl_check(n >= FAIR_ROUNDS * 15 / 100 && n <= FAIR_ROUNDS * 35 / 100,
                 "over %d selects with 4 ready receive cases, the cases were "
                 "chosen %d, %d, %d and %d times; each must be near 1/4 "
                 "(15%%-35%% allowed): try the cases in a uniformly random "
                 "order (Go: pollorder, a Fisher-Yates shuffle), not in "
                 "their written order. Hint: handout Task 3.1.", FAIR_ROUNDS,
                 fair_count[0], fair_count[1], fair_count[2], fair_count[3]);
    }
    for (int i = 0; i < 4; i++)
        gmp_chan_free(fair_c[i]);
}

/* ------------------------------------------------------------------ */
static gmp_chan *cl_open, *cl_closed, *cl_later;
static atomic_int cl_r1 = -2, cl_ok1 = -2, cl_v1 = -2;
static atomic_int cl_r2 = -2, cl_ok2 = -2, cl_v2 = -2, cl_done;

static void cl_waiter(void *arg)
{
    int vo = 5, vc = 5;
    struct gmp_case cs[2] = {{cl_open, GMP_RECV, &vo, -1},
                             {cl_closed, GMP_RECV, &vc, -1}};
    atomic_store(&cl_r1, gmp_select(cs, 2, 1));
    atomic_store(&cl_ok1, cs[1].ok);
    atomic_store(&cl_v1, vc);
    int vl = 5;
    struct gmp_case cs2[2] = {{cl_open, GMP_RECV, &vo, -1},
                              {cl_later, GMP_RECV, &vl, -1}};
    atomic_store(&cl_r2, gmp_select(cs2, 2, 1)); /* parks: woken by close */
    atomic_store(&cl_ok2, cs2[1].ok);
    atomic_store(&cl_v2, vl);
    atomic_store(&cl_done, 1);
}

static void cl_closer(void *arg)
{
    gmp_chan_close(cl_later);
}

TL_TEST(select_closed_channel, 2, 30, "m3")
{
    cl_open = mk(0);
    cl_closed = mk(0);
    cl_later = mk(0);
    gmp_chan_close(cl_closed);
    START(1);
    static const struct pair waiter_then_closer = {cl_closer, cl_waiter};
    GO(spawn_pair, (void *)&waiter_then_closer); /* the waiter parks first */
    AWAIT(atomic_load(&cl_done), 10, "a select over an open channel and a "
          "closed one (then over an open one and one closed while it "
          "waits) never returned (first returned %d). Hint: handout Task "
          "3.1.", atomic_load(&cl_r1));
    FINISH("select_closed_channel");
    tl_check(cl_r1 == 1 && cl_ok1 == 0 && cl_v1 == 0,
             "select: case 0 receives from an empty open channel, case 1 "
             "from a closed one; got case %d, ok %d, value %d, expected 1, "
             "0, 0: a closed channel is always ready. Hint: handout Task 3.1.",
             cl_r1, cl_ok1, cl_v1);
    tl_check(cl_r2 == 1 && cl_ok2 == 0 && cl_v2 == 0,
             "a select parked on two channels, then the second was closed: "
             "got case %d, ok %d, value %d, expected 1, 0, 0. Hint: handout "
             "Task 3.1.", cl_r2, cl_ok2, cl_v2);
    gmp_chan_free(cl_open);
    gmp_chan_free(cl_closed);
    gmp_chan_free(cl_later);
}

/* ------------------------------------------------------------------ */
static gmp_chan *pk_a, *pk_b;
static atomic_int pk_r = -2, pk_v, pk_stale = -2, pk_done;

static void pk_waiter(void *arg)
{
    int va = -1, vb = -1;
    struct gmp_case cs[2] = {{pk_a, GMP_RECV, &va, -1},
                             {pk_b, GMP_RECV, &vb, -1}};
    int r = gmp_select(cs, 2, 1);
    atomic_store(&pk_v, r == 1 ? vb : va);
    atomic_store(&pk_r, r);
    /* no one waits on pk_a any more: a send with default must not go */
    int x = 99;
    struct gmp_case snd = {pk_a, GMP_SEND, &x, -1};
    atomic_store(&pk_stale, gmp_select(&snd, 1, 0));
    atomic_store(&pk_done, 1);
}

static void pk_sender(void *arg)
{
    int v = 41;
    gmp_chan_send(pk_b, &v);
}

TL_TEST(select_parks_until_one_is_ready, 2, 30, "m3")
{
    pk_a = mk(0);
    pk_b = mk(0);
    START(1);
    static const struct pair waiter_then_sender = {pk_sender, pk_waiter};
    GO(spawn_pair, (void *)&waiter_then_sender);
    AWAIT(atomic_load(&pk_done), 10, "one P: a goroutine selecting on two "
          "empty unbuffered channels, then another sending on the second: "
          "the select never returned (got %d). It must park with a sudog on "
          "every channel, and the sender must find and ready it. Hint: "
          "handout Task 3.1.", atomic_load(&pk_r));
    FINISH("select_parks_until_one_is_ready");
    tl_check(pk_r == 1 && pk_v == 41, "the parked select returned case %d "
             "with value %d, expected case 1 and 41. Hint: handout Task 3.1.",
             pk_r, pk_v);
    tl_check(pk_stale == -1, "after the select returned, a nonblocking send "
             "on its OTHER channel (nobody receiving) returned %d, expected "
             "-1: the select left its sudog queued there. When it wakes it "
             "must take back every sudog but the one that fired (Go: "
             "selectgo's pass 3). Hint: handout Task 3.1.", pk_stale);
    gmp_chan_free(pk_a);
    gmp_chan_free(pk_b);
}

/* ------------------------------------------------------------------ */
/* Selects on both ends: senders select over three send cases, receivers */
/* over three receive cases, on 2 Ps; every value arrives exactly once.  */
/* ------------------------------------------------------------------ */
#define ST_SENDERS 3
#define ST_RECEIVERS 3
static gmp_chan *st_c[3];
static gmp_wg *st_wg;
static long st_each;
static atomic_uchar *st_seen;
static atomic_long st_got, st_recv_done;

static void st_sender(void *arg)
{
    long base = (long)(intptr_t)arg * st_each;
    for (long k = 0; k < st_each; k++) {
        int v = (int)(base + k);
        struct gmp_case cs[3];
        for (int i = 0; i < 3; i++)
            cs[i] = (struct gmp_case){st_c[i], GMP_SEND, &v, 0};
        if (gmp_select(cs, 3, 1) < 0) {
            G_FAIL("a blocking select over 3 send cases returned < 0. "
                   "Hint: handout Task 3.1.");
            break;
        }
    }
    gmp_wg_done(st_wg);
}

static void st_receiver(void *arg)
{
    int v[3];
    struct gmp_case cs[3];
    for (int i = 0; i < 3; i++)
        cs[i] = (struct gmp_case){st_c[i], GMP_RECV, &v[i], 0};
    for (int open = 3; open > 0;) {
        int r = gmp_select(cs, 3, 1);
        if (r < 0 || r > 2) {
            G_FAIL("a blocking select over 3 receive cases returned %d. "
                   "Hint: handout Task 3.1.", r);
            break;
        }
        if (!cs[r].ok) { /* closed: as in Go, a nil channel is never ready */
            cs[r].c = NULL;
            open--;
            continue;
        }
        if (v[r] < 0 || v[r] >= ST_SENDERS * st_each) {
            G_FAIL("a select received %d, which nobody sent", v[r]);
            break;
        }
        if (atomic_fetch_add(&st_seen[v[r]], 1) != 0)
            G_FAIL("value %d arrived twice; each value sent by a select "
                   "arrives exactly once (one waker wins a select's G). "
                   "Hint: handout Task 3.1.", v[r]);
        atomic_fetch_add(&st_got, 1); /* all counted, none twice: once each */
    }
    atomic_fetch_add(&st_recv_done, 1);
}

static void st_closer(void *arg)
{
    gmp_wg_wait(st_wg);
    for (int i = 0; i < 3; i++)
        gmp_chan_close(st_c[i]);
}

static void st_main(void *arg)
{
    go_each(st_receiver, ST_RECEIVERS);
    go_each(st_sender, ST_SENDERS);
    go_each(st_closer, 1);
}

TL_TEST(select_both_ends_exactly_once, 2, 90, "m3 stress")
{
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    st_each = tl_iters(3000);
    long total = ST_SENDERS * st_each;
    st_seen = calloc((size_t)total, 1);
    tl_check(st_seen != NULL, "out of memory");
    size_t caps[3];
    for (int i = 0; i < 3; i++) {
        caps[i] = (size_t)tl_rng_below(&rng, 3);
        st_c[i] = mk(caps[i]);
    }
    st_wg = gmp_wg_new();
    tl_check(st_wg != NULL, "gmp_wg_new failed (errno %s)", tl_ename(errno));
    gmp_wg_add(st_wg, ST_SENDERS);
    START(2);
    GO(st_main, NULL);
    AWAIT_COUNT(atomic_load(&st_got), total, 10,
                "selects on both ends (3 senders, 3 receivers, channels of "
                "cap %zu, %zu, %zu, 2 Ps): %ld of %ld values arrived, then "
                "nothing moved. A select's sudog must be won (selectdone) by "
                "exactly one waker. Replay with the seed above. Hint: "
                "handout Task 3.1.", caps[0], caps[1], caps[2],
                atomic_load(&st_got), total);
    long rd = 0;
    AWAIT((rd = atomic_load(&st_recv_done)) == ST_RECEIVERS, 10,
          "all three channels were closed, yet only %ld of %d receiving "
          "selects saw the three closes (a receive case on a closed channel "
          "is always ready). Hint: handout Task 3.1.", rd, ST_RECEIVERS);
    FINISH("select_both_ends_exactly_once");
    tl_check(atomic_load(&st_got) == total, "%ld values arrived, %ld were "
             "sent. Hint: handout Task 3.1.", atomic_load(&st_got), total);
    free((void *)st_seen);
    for (int i = 0; i < 3; i++)
        gmp_chan_free(st_c[i]);
    gmp_wg_free(st_wg);
}

/* ------------------------------------------------------------------ */
/* The widest select gmp.h allows                                      */
/* ------------------------------------------------------------------ */

#define WIDE 64 /* gmp.h: 1..64 cases */

static gmp_chan *wide_c[WIDE];
static atomic_int wide_done;

/* Case i's channel: a permutation (37 is prime to 64), so the cases are
 * not in the order of the channels' addresses and lockorder must sort. */
static int wide_of(int i)
{
    return (i * 37) % WIDE;
}

/* Every channel holds one value: 64 blocking selects must take each of
 * them exactly once, then a 65-case select is refused, then a select that
 * names one channel twice takes its value once (lockorder locks it once). */
static void wide_g(void *a)
{
    (void)a;
    struct gmp_case cs[WIDE + 1];
    long got[WIDE], seen[WIDE] = {0};
    for (int i = 0; i < WIDE; i++)
        cs[i] = (struct gmp_case){.c = wide_c[wide_of(i)], .dir = GMP_RECV, .elem = &got[i]};
    for (int round = 0; round < WIDE; round++) {
        int k = gmp_select(cs, WIDE, 1);
        if (k < 0 || k >= WIDE || !cs[k].ok || got[k] != 1000 + wide_of(k) || seen[k]++) {
            G_FAIL("round %d of a %d-case select over channels holding one "
                   "value each: returned %d (ok %d, value %ld, case taken "
                   "before: %s). Each ready case once, its own value. Hint: "
                   "handout Task 3.1.", round, WIDE, k, k >= 0 && k < WIDE ? cs[k].ok : -1,
                   k >= 0 && k < WIDE ? got[k] : -1L, k >= 0 && k < WIDE && seen[k] > 1 ? "yes" : "no");
            break;
        }
        cs[k].c = NULL; /* a nil channel: never ready again */
    }
    cs[WIDE] = cs[0];
    errno = 0;
    if (!tl_fb_failed(&fb) && (gmp_select(cs, WIDE + 1, 0) != -1 || errno != EINVAL))
        G_FAIL("gmp_select with %d cases must fail with EINVAL (1..%d); errno %s. "
               "Hint: handout Task 3.1.", WIDE + 1, WIDE, tl_ename(errno));
    long v = 7, w[2] = {-1, -1};
    gmp_chan_send(wide_c[5], &v); /* cap 1, empty: does not block */
    struct gmp_case twice[2] = {{.c = wide_c[5], .dir = GMP_RECV, .elem = &w[0]},
                                {.c = wide_c[5], .dir = GMP_RECV, .elem = &w[1]}};
    int k = tl_fb_failed(&fb) ? 0 : gmp_select(twice, 2, 1);
    if (!tl_fb_failed(&fb) && (k < 0 || k > 1 || w[k] != 7 || w[1 - k] != -1))
        G_FAIL("a select whose two cases receive from the SAME channel (holding "
               "7) returned case %d with values %ld and %ld: one case gets the "
               "value once. lockorder sorts the channels by address and locks "
               "a channel named twice only once. Hint: handout Task 3.1.", k,
               w[0], w[1]);
    atomic_store(&wide_done, 1);
}

TL_TEST(select_over_sixty_four_channels, 1, 30, "m3")
{
    for (int i = 0; i < WIDE; i++) {
        wide_c[i] = gmp_chan_make(sizeof(long), 1);
        tl_check(wide_c[i] != NULL, "gmp_chan_make(sizeof(long), 1) returned NULL "
                 "(errno %s). Hint: %s", tl_ename(errno), gmp_hint(errno, "handout Task 2.2."));
    }
    START(1);
    for (int i = 0; i < WIDE; i++) {
        long v = 1000 + i; /* from outside: a nonblocking send, a slot is free */
        struct gmp_case put = {.c = wide_c[i], .dir = GMP_SEND, .elem = &v};
        tl_check(gmp_select(&put, 1, 0) == 0, "a nonblocking send from outside "
                 "into an empty buffered channel (cap 1) did not proceed. Hint: "
                 "handout Task 3.1.");
    }
    GO(wide_g, NULL);
    AWAIT(atomic_load(&wide_done), 20, "a G selecting over %d ready channels "
          "(cases not in address order), then over one channel named twice, "
          "did not finish in 20 s: a select that locks a channel twice, or "
          "not in one global order, deadlocks. Hint: handout Task 3.1 "
          "(lockorder).", WIDE);
    FINISH("select_over_sixty_four_channels");
    for (int i = 0; i < WIDE; i++)
        gmp_chan_free(wide_c[i]);
}
