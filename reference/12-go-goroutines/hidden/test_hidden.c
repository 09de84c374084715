/*
 * test_hidden.c - lab 12 hidden tests (kit-owned, never copied to labs/).
 */
#include "../tests/gmp_test.h"

#include <pthread.h>

/* ------------------------------------------------------------------ */
#define OV_N 600
static atomic_int ov_runs[OV_N], ov_done;

static void ov_g(void *a)
{
    atomic_fetch_add(&ov_runs[(intptr_t)a], 1);
    atomic_fetch_add(&ov_done, 1);
}

static void ov_main(void *a)
{
    go_each(ov_g, OV_N); /* no yield: the ring overflows */
}

TL_TEST(hidden_runq_overflow_goes_global, 1, 30, "m1 hidden")
{
    START(1);
    (void)gmp_set_preempt(0); /* a preempted spawner lets the ring drain */
    GO(ov_main, NULL);
    AWAIT_COUNT(atomic_load(&ov_done), OV_N, 10,
                "one P: a G spawned %d goroutines without yielding (more "
                "than a local ring of %d holds); %d ran. Hint: handout Task "
                "1.3 (runqputslow).", OV_N, GMP_RUNQ_SIZE, atomic_load(&ov_done));
    FINISH("hidden_runq_overflow_goes_global");
    for (int i = 0; i < OV_N; i++)
        tl_check(ov_runs[i] == 1, "goroutine %d ran %d times. Hint: handout "
                 "Task 1.3.", i, ov_runs[i]);
    struct gmp_stats s;
    STATS(s);
    tl_check(s.overflows >= 1 && s.global_takes >= 1,
             "a full local ring must move half of itself and the new G to "
             "the global queue (Go: runqputslow): gmp_stats counted %lu "
             "overflows and %lu global takes. Hint: handout Task 1.3.",
             s.overflows, s.global_takes);
}

/* ------------------------------------------------------------------ */
#define SB_BURST 200
static long sb_rounds;
static atomic_uchar *sb_runs;
static atomic_long sb_done;

static void sb_g(void *a)
{
    long i = (long)(intptr_t)a;
    if (atomic_fetch_add(&sb_runs[i], 1) != 0)
        G_FAIL("goroutine %ld ran twice: a stolen G must leave the victim's "
               "queue. Hint: handout Task 1.4.", i);
    volatile int spin = 0;
    for (int k = 0; k < 2000; k++)
        spin = spin + k;
    atomic_fetch_add(&sb_done, 1);
}

static void sb_main(void *a)
{
    for (long r = 0; r < sb_rounds && !tl_fb_failed(&fb); r++) {
        for (long i = 0; i < SB_BURST; i++)
            if (!gmp_go(sb_g, (void *)(intptr_t)(r * SB_BURST + i))) {
                G_FAIL("gmp_go failed (errno %s)", tl_ename(errno));
                return;
            }
        double t0 = 0;
        while (atomic_load(&sb_done) < (r + 1) * SB_BURST && !too_long(&t0, 10))
            gmp_gosched();
    }
}

TL_TEST(hidden_steal_bursts_exactly_once, 2, 90, "m1 stress hidden")
{
    sb_rounds = tl_iters(100);
    long total = sb_rounds * SB_BURST;
    sb_runs = calloc((size_t)total, 1);
    tl_check(sb_runs != NULL, "out of memory");
    START(2);
    GO(sb_main, NULL);
    AWAIT_COUNT(atomic_load(&sb_done), total, 10,
                "bursts of %d goroutines on 2 Ps: %ld of %ld ran, then "
                "nothing moved. Hint: handout Tasks 1.4-1.5.", SB_BURST,
                atomic_load(&sb_done), total);
    FINISH("hidden_steal_bursts_exactly_once");
    for (long i = 0; i < total; i++)
        tl_check(sb_runs[i] == 1, "goroutine %ld ran %d times. Hint: handout "
                 "Task 1.4.", i, sb_runs[i]);
    free((void *)sb_runs);
}

/* ------------------------------------------------------------------ */
static gmp_chan *hp_a, *hp_b;
static long hp_rounds;
static atomic_long hp_done;

static void hp_ping(void *a)
{
    for (long i = 0; i < hp_rounds; i++) {
        long v = i;
        gmp_chan_send(hp_a, &v);
        if (!gmp_chan_recv(hp_b, &v) || v != -i) {
            G_FAIL("round %ld: got %ld back, expected %ld. Hint: handout "
                   "Tasks 2.3-2.4.", i, v, -i);
            return;
        }
        atomic_store(&hp_done, i + 1);
    }
}

static void hp_pong(void *a)
{
    for (long i = 0; i < hp_rounds; i++) {
        long v;
        if (!gmp_chan_recv(hp_a, &v))
            return;
        v = -v;
        gmp_chan_send(hp_b, &v);
    }
}

TL_TEST(hidden_ping_pong_two_ps, 2, 90, "m2 stress hidden")
{
    hp_rounds = tl_iters(20000);
    START(2);
    hp_a = gmp_chan_make(sizeof(long), 0);
    hp_b = gmp_chan_make(sizeof(long), 0);
    tl_check(hp_a && hp_b, "gmp_chan_make returned NULL (errno %s). Hint: %s",
             tl_ename(errno), gmp_hint(errno, "handout Task 2.2."));
    GO(hp_ping, NULL);
    GO(hp_pong, NULL);
    AWAIT_COUNT(atomic_load(&hp_done), hp_rounds, 10,
                "ping-pong over unbuffered channels on 2 Ps stopped after %ld "
                "of %ld rounds: a wakeup was lost between a G parking and "
                "the other side readying it (the park handshake). Hint: "
                "handout Task 2.1.", atomic_load(&hp_done), hp_rounds);
    FINISH("hidden_ping_pong_two_ps");
    gmp_chan_free(hp_a);
    gmp_chan_free(hp_b);
}

/* ------------------------------------------------------------------ */
#define MT_THREADS 4
#define MT_EACH 500
static atomic_int mt_runs[MT_THREADS * MT_EACH], mt_done, mt_gofail;

static void mt_g(void *a)
{
    atomic_fetch_add(&mt_runs[(intptr_t)a], 1);
    atomic_fetch_add(&mt_done, 1);
}

static void *mt_thread(void *a)
{
    long t = (long)(intptr_t)a;
    for (long i = 0; i < MT_EACH; i++)
        if (!gmp_go(mt_g, (void *)(intptr_t)(t * MT_EACH + i)))
            atomic_store(&mt_gofail, errno ? errno : -1);
    return NULL;
}

TL_TEST(hidden_spawn_from_many_threads, 2, 60, "m1 hidden")
{
    START(2);
    pthread_t th[MT_THREADS];
    for (long t = 0; t < MT_THREADS; t++)
        tl_check(pthread_create(&th[t], NULL, mt_thread, (void *)(intptr_t)t) == 0,
                 "pthread_create failed");
    for (int t = 0; t < MT_THREADS; t++)
        pthread_join(th[t], NULL);
    tl_check(!mt_gofail, "gmp_go from a kernel thread that is not an M "
             "failed (errno %s). Hint: handout Task 1.2.",
             tl_ename(mt_gofail));
    AWAIT_COUNT(atomic_load(&mt_done), MT_THREADS * MT_EACH, 10,
                "%d kernel threads spawned %d goroutines each at once; %d "
                "ran. Hint: handout Tasks 1.2 and 1.5 (global queue, "
                "wakep).", MT_THREADS, MT_EACH, atomic_load(&mt_done));
    FINISH("hidden_spawn_from_many_threads");
    for (int i = 0; i < MT_THREADS * MT_EACH; i++)
        tl_check(mt_runs[i] == 1, "goroutine %d ran %d times. Hint: handout "
                 "Task 1.3.", i, mt_runs[i]);
}

/* ------------------------------------------------------------------ */
/* The prime sieve again, on one P: every channel operation that waits
 * parks and another goroutine must run. */
static gmp_chan *hs_out[60];
static int hs_prime[60];
static atomic_int hs_found;

struct hs_f { gmp_chan *in, *out; int p; };
static struct hs_f hs_fs[60];
static gmp_chan *hs_first;
static atomic_int hs_stop;

/* Unlike the public sieve, each filter writes to a channel of cap 2. */
static void hs_gen(void *a)
{
    int v = 2;
    do {
        gmp_chan_send(hs_first, &v);
    } while (++v && !atomic_load(&hs_stop));
    gmp_chan_close(hs_first);
}

static void hs_filter(void *a)
{
    struct hs_f *f = a;
    for (;;) {
        int v = 0, ok = gmp_chan_recv(f->in, &v);
        if (!ok) {
            gmp_chan_close(f->out);
            return;
        }
        if (v % f->p == 0)
            continue;
        gmp_chan_send(f->out, &v);
    }
}

static void hs_main(void *a)
{
    int n = (int)(intptr_t)a;
    gmp_chan *ch = hs_first;
    if (!gmp_go(hs_gen, NULL))
        G_FAIL("gmp_go failed");
    for (int i = 0; i < n; i++) {
        int p;
        if (!gmp_chan_recv(ch, &p))
            return;
        hs_prime[i] = p;
        atomic_store(&hs_found, i + 1);
        hs_fs[i] = (struct hs_f){ch, hs_out[i], p};
        if (!gmp_go(hs_filter, &hs_fs[i]))
            G_FAIL("gmp_go failed");
        ch = hs_out[i];
    }
    atomic_store(&hs_stop, 1);
    int v;
    while (gmp_chan_recv(ch, &v))
        ;
}

TL_TEST(hidden_sieve_one_p, 1, 60, "m2 hidden")
{
    int n = 50;
    START(1);
    hs_first = gmp_chan_make(sizeof(int), 0);
    tl_check(hs_first != NULL, "gmp_chan_make returned NULL (errno %s). "
             "Hint: %s", tl_ename(errno), gmp_hint(errno, "handout Task 2.2."));
    for (int i = 0; i < n; i++)
        tl_check((hs_out[i] = gmp_chan_make(sizeof(int), 2)) != NULL,
                 "gmp_chan_make failed");
    GO(hs_main, (void *)(intptr_t)n);
    AWAIT_COUNT(atomic_load(&hs_found), n, 10,
                "the prime sieve on ONE P found %d of %d primes. Hint: "
                "handout Tasks 2.1-2.5.", atomic_load(&hs_found), n);
    FINISH("hidden_sieve_one_p");
    int known[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47,
                   53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107,
                   109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
                   173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229};
    for (int i = 0; i < n; i++)
        tl_check(hs_prime[i] == known[i], "prime %d of the sieve on one P "
                 "was %d, expected %d. Hint: handout Tasks 2.3-2.4.", i + 1,
                 hs_prime[i], known[i]);
    gmp_chan_free(hs_first);
    for (int i = 0; i < n; i++)
        gmp_chan_free(hs_out[i]);
}
