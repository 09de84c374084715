/*
 * hidden_sync.c - hidden tests: trylock in a contended mix, and rounds of
 * broadcasts.
 */
#include "../tests/sp_test.h"

#define T1 "Task 1 (src/mutex.c)"
#define T2 "Task 2 (src/mutex.c)"

static struct sp_mutex hm;
static long hcount; /* guarded by hm */
static atomic_int hinside;
static atomic_long hdone;
static long hper;

/* Odd rounds take the mutex by polling trylock, even ones by lock. */
static void take_mixed(long round)
{
    if (!(round & 1)) {
        sp_mutex_lock(&hm);
        return;
    }
    while (sp_mutex_trylock(&hm) != 0)
        sched_yield();
}

static void *try_mixer(void *arg)
{
    long round = 0;
    while (round < hper && !tl_fb_failed(&fb)) {
        take_mixed(round++);
        /* relaxed: hinside orders nothing; TSan judges the mutex alone */
        int was = atomic_fetch_add_explicit(&hinside, 1, memory_order_relaxed);
        hcount++;
        atomic_fetch_sub_explicit(&hinside, 1, memory_order_relaxed);
        sp_mutex_unlock(&hm);
        if (was)
            tl_fb_fail(&fb, "two threads inside a mutex taken by lock and trylock. Hint: " T1);
        /* relaxed: a progress count only. A seq_cst add here would chain
           the threads' sections in happens-before by itself and hide from
           TSan a trylock that does not acquire */
        atomic_fetch_add_explicit(&hdone, 1, memory_order_relaxed);
    }
    return NULL;
}

TL_TEST(hidden_mutex_trylock_in_a_contended_mix, 2, 60, "mutex stress")
{
    SP_INIT(sp_mutex_init(&hm), T1);
    hper = tl_iters(50000);
    sp_mutex_lock(&hm);
    unsigned long w0 = sp_futex_my_waits();
    struct tl_thread t[3];
    tl_thread_start(&t[0], try_mixer, NULL);
    WAIT_UNTIL(sleeping() == 1, "a thread in sp_mutex_lock on a held mutex should sleep");
    int rc = sp_mutex_trylock(&hm);
    tl_check(rc == EBUSY, "sp_mutex_trylock of a held mutex with a sleeper returned %d (%s), "
             "expected EBUSY", rc, tl_ename(rc));
    tl_check(sp_futex_my_waits() == w0, "sp_mutex_trylock slept");
    uint32_t s = atomic_load(&hm.state);
    tl_check(s == 2, "a failed trylock changed the state of a mutex with a sleeper to %u "
             "(expected 2: the sleeper still needs its wake)", s);
    sp_mutex_unlock(&hm);
    tl_thread_start(&t[1], try_mixer, NULL);
    tl_thread_start(&t[2], try_mixer, NULL);
    WAIT_PROGRESS(atomic_load(&hdone), 3 * hper, "lock and trylock threads stopped after %ld of "
                  "%ld sections. Hint: " T1 ".", (long)atomic_load(&hdone), 3 * hper);
    st_join_all(t, 3, "stuck in the mutex");
    tl_check(hcount == 3 * hper, "the counter is %ld, expected %ld", hcount, 3 * hper);
}

/* A coordinator broadcasts a new round to waiters again and again; every
 * waiter must see every round. */
static struct sp_mutex bm;
static struct sp_cond round_cv;
static long round_no, acks; /* guarded by bm */
static long nrounds;
static atomic_long seen_total;

static void *round_waiter(void *arg)
{
    for (long r = 1; r <= nrounds; r++) {
        sp_mutex_lock(&bm);
        while (round_no < r)
            sp_cond_wait(&round_cv, &bm);
        acks++;
        sp_mutex_unlock(&bm);
        atomic_fetch_add(&seen_total, 1);
    }
    return NULL;
}

TL_TEST(hidden_cond_broadcast_rounds, 3, 60, "cond stress")
{
    SP_INIT(sp_mutex_init(&bm), T1);
    SP_INIT(sp_cond_init(&round_cv), T2);
    nrounds = tl_iters(3000);
    struct tl_thread t[3];
    for (int i = 0; i < 3; i++)
        tl_thread_start(&t[i], round_waiter, NULL);
    for (long r = 1; r <= nrounds; r++) {
        sp_mutex_lock(&bm);
        round_no = r;
        sp_cond_broadcast(&round_cv);
        while (acks < 3 * r) {
            sp_mutex_unlock(&bm);
            /* a bounded wait: only a stall fails */
            if (!TL_WAIT_PROGRESS(atomic_load(&seen_total), 3 * r, HANG_SECS))
                tl_fail("round %ld: %ld of 3 waiters saw the broadcast; the rest sleep. Hint: "
                        T2 ", broadcast wakes every waiter.", r,
                        (long)atomic_load(&seen_total) - 3 * (r - 1));
            sp_mutex_lock(&bm);
        }
        sp_mutex_unlock(&bm);
    }
    st_join_all(t, 3, "a waiter is stuck");
}
