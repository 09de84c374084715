/*
 * test_cond.c - Task 2, the condition variable.
 */
#include "sp_test.h"

#define T2 "Task 2 (src/mutex.c)"

struct cv_case {
    struct sp_mutex m;
    struct sp_cond c;
    int flag;          /* guarded by m */
    atomic_int woke;
};

static void *cv_waiter(void *arg)
{
    struct cv_case *k = arg;
    sp_mutex_lock(&k->m);
    while (!k->flag)
        sp_cond_wait(&k->c, &k->m);
    sp_mutex_unlock(&k->m);
    atomic_fetch_add(&k->woke, 1);
    return NULL;
}

TL_TEST(cond_signal_and_broadcast_wake_sleepers, 4, 30, "cond")
{
    static struct cv_case k;
    SP_INIT(sp_mutex_init(&k.m), "Task 1 (src/mutex.c)");
    SP_INIT(sp_cond_init(&k.c), T2);
    tl_check(sp_cond_init(NULL) == EINVAL, "sp_cond_init(NULL) should return EINVAL");
    unsigned long k0 = sp_futex_my_wakes();
    sp_cond_signal(&k.c);
    sp_cond_broadcast(&k.c);
    tl_check(sp_futex_my_wakes() == k0, "signal and broadcast with nobody waiting made %lu "
             "futex wakes, expected none. Hint: " T2 ", count the waiters.",
             sp_futex_my_wakes() - k0);
    struct tl_thread t[3];
    tl_thread_start(&t[0], cv_waiter, &k);
    WAIT_UNTIL(sleeping() == 1, "a thread in sp_cond_wait should sleep in sp_futex_wait "
               "(%ld do; woke %d). Hint: " T2 ".", sleeping(), atomic_load(&k.woke));
    sp_mutex_lock(&k.m);
    k.flag = 1;
    sp_cond_signal(&k.c);
    sp_mutex_unlock(&k.m);
    WAIT_UNTIL(atomic_load(&k.woke) == 1, "sp_cond_signal did not wake the one waiter (still "
               "%ld asleep). Hint: " T2 ": bump seq, then wake.", sleeping());
    st_join_all(t, 1, "the signalled waiter did not return");
    k.flag = 0;
    atomic_store(&k.woke, 0);
    for (int i = 0; i < 3; i++)
        tl_thread_start(&t[i], cv_waiter, &k);
    WAIT_UNTIL(sleeping() == 3, "three threads in sp_cond_wait should all sleep (%ld do)",
               sleeping());
    sp_mutex_lock(&k.m);
    k.flag = 1;
    sp_cond_broadcast(&k.c);
    sp_mutex_unlock(&k.m);
    WAIT_UNTIL(atomic_load(&k.woke) == 3, "sp_cond_broadcast woke %d of 3 waiters. Hint: "
               T2 ": wake them all (INT_MAX).", atomic_load(&k.woke));
    st_join_all(t, 3, "a waiter did not return");
}

/* Ping-pong: two threads hand a turn back and forth, each waiting on its
 * own condition variable. One lost wakeup stops it for good. */
struct pingpong {
    struct sp_mutex m;
    struct sp_cond cv[2];
    int turn;          /* guarded by m: whose turn, 0 or 1 */
    atomic_long rounds;
    long n;
};

static void *pp_player(void *arg)
{
    struct pingpong *p = (struct pingpong *)((uintptr_t)arg & ~(uintptr_t)1);
    int me = (int)((uintptr_t)arg & 1);
    for (long i = 0; i < p->n; i++) {
        sp_mutex_lock(&p->m);
        while (p->turn != me)
            sp_cond_wait(&p->cv[me], &p->m);
        p->turn = !me;
        sp_cond_signal(&p->cv[!me]);
        sp_mutex_unlock(&p->m);
        atomic_fetch_add(&p->rounds, 1);
    }
    return NULL;
}

TL_TEST(cond_no_lost_wakeup, 4, 60, "cond stress")
{
    static struct pingpong p __attribute__((aligned(2)));
    SP_INIT(sp_mutex_init(&p.m), "Task 1 (src/mutex.c)");
    SP_INIT(sp_cond_init(&p.cv[0]), T2);
    SP_INIT(sp_cond_init(&p.cv[1]), T2);
    p.n = tl_iters(20000);
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    /* In some runs, every futex wait is late by up to 20 us. */
    sp_futex_delay_waits((long)tl_rng_below(&r, 2) * 20000);
    struct tl_thread t[2];
    tl_thread_start(&t[0], pp_player, (void *)((uintptr_t)&p | 0));
    tl_thread_start(&t[1], pp_player, (void *)((uintptr_t)&p | 1));
    WAIT_PROGRESS(atomic_load(&p.rounds), 2 * p.n, "ping-pong stopped after %ld of %ld turns "
                  "with both players asleep: a wakeup was lost. A waiter must read seq while it "
                  "still holds the mutex, and sleep only while seq is still that value. Hint: "
                  T2 ".", (long)atomic_load(&p.rounds), 2 * p.n);
    sp_futex_delay_waits(0);
    st_join_all(t, 2, "a player is stuck");
}
