/*
 * test_mutex.c - Task 1, the three-state mutex.
 */
#include "sp_test.h"

#define T1 "Task 1 (src/mutex.c)"

TL_TEST(mutex_uncontended_makes_no_syscall, 4, 10, "mutex")
{
    struct sp_mutex m;
    SP_INIT(sp_mutex_init(&m), T1);
    unsigned long w0 = sp_futex_my_waits(), k0 = sp_futex_my_wakes();
    for (int i = 0; i < 1000; i++) {
        sp_mutex_lock(&m);
        uint32_t s = atomic_load(&m.state);
        tl_check(s == 1, "after an uncontended sp_mutex_lock the state is %u, expected 1 "
                 "(locked, nobody waiting). Hint: " T1 ", the fast path CAS 0 -> 1.", s);
        sp_mutex_unlock(&m);
        s = atomic_load(&m.state);
        tl_check(s == 0, "after sp_mutex_unlock the state is %u, expected 0. Hint: " T1 ".", s);
    }
    unsigned long w = sp_futex_my_waits() - w0, k = sp_futex_my_wakes() - k0;
    tl_check(w == 0 && k == 0, "1000 uncontended lock/unlock pairs made %lu futex waits and "
             "%lu futex wakes, expected none: the uncontended path is one atomic each way, and "
             "unlock wakes only when the state was 2. Hint: " T1 ".", w, k);
    tl_check(sp_mutex_trylock(&m) == 0, "sp_mutex_trylock of a free mutex failed");
    int rc = sp_mutex_trylock(&m);
    tl_check(rc == EBUSY, "sp_mutex_trylock of a held mutex returned %d (%s), expected EBUSY",
             rc, tl_ename(rc));
    sp_mutex_unlock(&m);
    tl_check(sp_futex_my_waits() == w0 && sp_futex_my_wakes() == k0,
             "sp_mutex_trylock or its unlock made a futex call; trylock never sleeps");
    struct sp_mutex s = SP_MUTEX_INITIALIZER;
    sp_mutex_lock(&s);
    sp_mutex_unlock(&s);
    tl_check(sp_mutex_init(NULL) == EINVAL, "sp_mutex_init(NULL) should return EINVAL");
}

static void m_lock(void *l, void *n) { sp_mutex_lock(l); }
static void m_unlock(void *l, void *n) { sp_mutex_unlock(l); }

TL_TEST(mutex_excludes_under_stress, 5, 60, "mutex stress")
{
    static struct sp_mutex m;
    static struct excl e;
    SP_INIT(sp_mutex_init(&m), T1);
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    int n = 2 + (int)tl_rng_below(&r, 3);
    e = (struct excl){m_lock, m_unlock, &m, 0, 0, 0, 0, 0};
    run_exclusion(&e, n, tl_iters(100000), T1);
    uint32_t s = atomic_load(&m.state);
    tl_check(s == 0, "after every thread unlocked, the state is %u, expected 0", s);
}

/* Two threads asleep on a held mutex: one unlock wakes one, and that one's
 * unlock must wake the other. A waiter that takes the lock as 1 instead of
 * 2 forgets the other sleeper, whose wake then never comes. */
struct sleeper {
    struct sp_mutex *m;
    atomic_int got;
};

static void *sleeper_main(void *arg)
{
    struct sleeper *s = arg;
    sp_mutex_lock(s->m);
    atomic_fetch_add(&s->got, 1);
    sp_mutex_unlock(s->m);
    return NULL;
}

TL_TEST(mutex_wakes_every_sleeper, 4, 30, "mutex")
{
    static struct sp_mutex m;
    static struct sleeper s;
    SP_INIT(sp_mutex_init(&m), T1);
    s.m = &m;
    atomic_store(&s.got, 0);
    sp_mutex_lock(&m);
    struct tl_thread t[3];
    for (int i = 0; i < 3; i++) {
        tl_thread_start(&t[i], sleeper_main, &s);
        WAIT_UNTIL(sleeping() >= i + 1, "%d thread(s) should be asleep in sp_futex_wait on a "
                   "held mutex, %ld are (and %d got the lock while the test held it). Hint: "
                   T1 ": a contended lock sleeps on the state word.", i + 1, sleeping(),
                   atomic_load(&s.got));
    }
    uint32_t st = atomic_load(&m.state);
    tl_check(st == 2, "with three threads asleep on it the state is %u, expected 2 (locked, "
             "maybe waiters)", st);
    unsigned long k0 = sp_futex_my_wakes();
    sp_mutex_unlock(&m);
    tl_check(sp_futex_my_wakes() == k0 + 1, "unlock of a mutex with sleepers made %lu futex "
             "wakes, expected exactly 1 (wake one; it will wake the next)",
             sp_futex_my_wakes() - k0);
    WAIT_UNTIL(atomic_load(&s.got) == 3, "after the unlock only %d of 3 sleepers got the lock; "
               "%ld still sleep on state %u. A lost wakeup: a sleeper that wins the lock "
               "after a wait must take it as 2 (others may still sleep), or its unlock will "
               "not wake them. Hint: " T1 ", TODO 1.2.", atomic_load(&s.got), sleeping(),
               atomic_load(&m.state));
    st_join_all(t, 3, "a sleeper did not return");
    st = atomic_load(&m.state);
    tl_check(st == 0, "after everyone unlocked, the state is %u, expected 0", st);
}
