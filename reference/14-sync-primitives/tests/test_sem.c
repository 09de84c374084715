/*
 * test_sem.c - Task 3, the counting semaphore and the barrier.
 */
#include "sp_test.h"

#include <signal.h>

#define T3 "Task 3 (src/sem.c)"

static void post_past_max(void *arg)
{
    fclose(stderr); /* the panic's message is expected: keep it out of the log */
    sp_sem_post(arg);
}

TL_TEST(sem_counts_without_syscalls, 3, 10, "sem")
{
    struct sp_sem s;
    SP_INIT(sp_sem_init(&s, 2), T3);
    int rc = sp_sem_init(&s, SP_SEM_MAX + 1u);
    tl_check(rc == EINVAL, "sp_sem_init above SP_SEM_MAX returned %d (%s), expected EINVAL",
             rc, tl_ename(rc));
    SP_INIT(sp_sem_init(&s, SP_SEM_MAX), T3);
    struct tl_child ch;
    tl_check(tl_run_in_child(post_past_max, &s, 10, &ch) == 0, "fork failed");
    tl_check(ch.signaled && ch.sig == SIGABRT, "sp_sem_post on a count of SP_SEM_MAX should "
             "panic (sp_panic: abort) rather than overflow; the child %s %d", ch.signaled ?
             "died of signal" : "exited with", ch.signaled ? ch.sig : ch.code);
    SP_INIT(sp_sem_init(&s, 2), T3);
    unsigned long w0 = sp_futex_my_waits(), k0 = sp_futex_my_wakes();
    sp_sem_wait(&s);
    tl_check(sp_sem_trywait(&s) == 0, "sp_sem_trywait with one unit left failed");
    rc = sp_sem_trywait(&s);
    tl_check(rc == EAGAIN, "sp_sem_trywait at 0 returned %d (%s), expected EAGAIN", rc,
             tl_ename(rc));
    for (int i = 0; i < 5; i++)
        sp_sem_post(&s);
    uint32_t v = atomic_load(&s.value);
    tl_check(v == 5, "after 5 posts on an empty semaphore the count is %u", v);
    for (int i = 0; i < 5; i++)
        sp_sem_wait(&s);
    tl_check(sp_futex_my_waits() == w0 && sp_futex_my_wakes() == k0, "a semaphore nobody "
             "waited on made %lu futex waits and %lu wakes, expected none: post wakes only "
             "when someone may sleep. Hint: " T3 ".", sp_futex_my_waits() - w0,
             sp_futex_my_wakes() - k0);
}

struct semcase {
    struct sp_sem s;
    long per;
    atomic_long taken;
    long *slots; /* plain: slot i written before post number i+1. A taker
                    that has taken c units reads slot c-1: at least c posts
                    came before its last wait, so only the semaphore's own
                    ordering makes that write visible */
};

static void *sem_taker(void *arg)
{
    struct semcase *k = arg;
    for (long i = 0; i < k->per; i++) {
        sp_sem_wait(&k->s);
        if (k->slots && k->slots[i] != i + 1)
            tl_fb_fail(&fb, "after its wait number %ld a taker read slot %ld as %ld, expected "
                       "%ld: the producer wrote it before its post. sp_sem_wait must acquire "
                       "what sp_sem_post released. Hint: " T3 ".", i + 1, i, k->slots[i], i + 1);
        atomic_fetch_add(&k->taken, 1);
    }
    return NULL;
}

TL_TEST(sem_post_wakes_a_sleeper, 3, 30, "sem")
{
    static struct semcase k;
    SP_INIT(sp_sem_init(&k.s, 0), T3);
    k.per = 1;
    struct tl_thread t[2];
    tl_thread_start(&t[0], sem_taker, &k);
    tl_thread_start(&t[1], sem_taker, &k);
    WAIT_UNTIL(sleeping() == 2, "two threads in sp_sem_wait on a count of 0 should sleep in "
               "sp_futex_wait (%ld do; %ld got a unit). Hint: " T3 ".", sleeping(),
               (long)atomic_load(&k.taken));
    sp_sem_post(&k.s);
    WAIT_UNTIL(atomic_load(&k.taken) == 1, "a post on a semaphore with two sleepers woke "
               "nobody. Hint: " T3 ": wake when waiters > 0.");
    sp_sem_post(&k.s);
    WAIT_UNTIL(atomic_load(&k.taken) == 2, "the second post did not wake the second sleeper");
    st_join_all(t, 2, "a waiter did not return");
    uint32_t v = atomic_load(&k.s.value);
    tl_check(v == 0, "two posts taken by two waits left the count at %u", v);
}

TL_TEST(sem_no_lost_wakeup, 4, 60, "sem stress")
{
    static struct semcase k;
    SP_INIT(sp_sem_init(&k.s, 0), T3);
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    k.per = tl_iters(30000);
    k.slots = calloc((size_t)(2 * k.per), sizeof *k.slots);
    tl_check(k.slots != NULL, "out of memory in the test");
    sp_futex_delay_waits((long)tl_rng_below(&r, 2) * 20000);
    struct tl_thread t[2];
    tl_thread_start(&t[0], sem_taker, &k);
    tl_thread_start(&t[1], sem_taker, &k);
    for (long i = 0; i < 2 * k.per; i++) {
        k.slots[i] = i + 1;
        sp_sem_post(&k.s);
        if (tl_rng_below(&r, 4) == 0)
            sched_yield();
    }
    WAIT_PROGRESS(atomic_load(&k.taken), 2 * k.per, "%ld posts, but the takers stopped at %ld "
                  "with the count at %u and %ld asleep: a post did not wake a sleeper. "
                  "Hint: " T3 ".", 2 * k.per, (long)atomic_load(&k.taken),
                  atomic_load(&k.s.value), sleeping());
    sp_futex_delay_waits(0);
    st_join_all(t, 2, "a taker is stuck");
    tl_check(atomic_load(&k.s.value) == 0, "every posted unit was taken but the count is %u",
             atomic_load(&k.s.value));
    free(k.slots);
}

/* ---- the barrier ------------------------------------------------------ */
#define T3B "Task 3 (src/sem.c, the barrier)"

struct phases {
    struct sp_barrier b;
    int n;
    long nphases;
    atomic_int *arrived; /* per phase */
    atomic_int *serial;  /* per phase */
    atomic_long passed;
    long slot[8];         /* plain: thread i writes slot[i] before each barrier,
                             everyone reads all of them after it */
};

struct pworker {
    struct phases *p;
    int me;
};

static void *phase_worker(void *arg)
{
    struct pworker *w = arg;
    struct phases *p = w->p;
    for (long k = 0; k < p->nphases && !tl_fb_failed(&fb); k++) {
        if (k % 2 == 0)
            p->slot[w->me] = k; /* written in even phases, read in odd ones */
        else
            for (int j = 0; j < p->n; j++)
                if (p->slot[j] != k - 1) {
                    tl_fb_fail(&fb, "after barrier phase %ld thread %d saw thread %d's write "
                               "as %ld, expected %ld: a barrier orders memory (release on "
                               "arrival, acquire on leaving). Hint: " T3B ".", k - 1, w->me, j,
                               p->slot[j], k - 1);
                    return NULL;
                }
        /* relaxed: the test's counters order nothing; the barrier alone must
         * order the slot writes (TSan checks) */
        atomic_fetch_add_explicit(&p->arrived[k], 1, memory_order_relaxed);
        int rc = sp_barrier_wait(&p->b);
        if (rc != 0 && rc != SP_BARRIER_SERIAL) {
            tl_fb_fail(&fb, "sp_barrier_wait returned %d in phase %ld, expected 0 or "
                       "SP_BARRIER_SERIAL. Hint: " T3B ".", rc, k);
            break;
        }
        if (rc == SP_BARRIER_SERIAL)
            atomic_fetch_add_explicit(&p->serial[k], 1, memory_order_relaxed);
        int a = atomic_load_explicit(&p->arrived[k], memory_order_relaxed);
        if (a != p->n) {
            tl_fb_fail(&fb, "a thread left barrier phase %ld when %d of %d threads had "
                       "arrived. Hint: " T3B ": sleep while the phase is the one you noted "
                       "before arriving.", k, a, p->n);
            break;
        }
        atomic_fetch_add_explicit(&p->passed, 1, memory_order_relaxed);
    }
    return NULL;
}

TL_TEST(barrier_phases, 4, 60, "barrier stress")
{
    static struct phases p;
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    tl_check(sp_barrier_init(&p.b, 0) != 0, "sp_barrier_init with count 0 should fail "
             "(EINVAL)");
    p.n = 2 + (int)tl_rng_below(&r, 4);
    p.nphases = tl_iters(2000);
    SP_INIT(sp_barrier_init(&p.b, (unsigned)p.n), T3B);
    p.arrived = calloc((size_t)p.nphases, sizeof *p.arrived);
    p.serial = calloc((size_t)p.nphases, sizeof *p.serial);
    tl_check(p.arrived && p.serial, "out of memory in the test");
    struct tl_thread t[8];
    static struct pworker pw[8];
    for (int i = 0; i < p.n; i++) {
        pw[i] = (struct pworker){&p, i};
        tl_thread_start(&t[i], phase_worker, &pw[i]);
    }
    WAIT_PROGRESS(atomic_load(&p.passed), p.n * p.nphases, "%d threads through %ld barrier "
                  "phases stopped after %ld passes with %ld asleep: a phase's last arrival "
                  "did not release the others. Hint: " T3B ".", p.n, p.nphases,
                  (long)atomic_load(&p.passed), sleeping());
    st_join_all(t, p.n, "stuck in the barrier");
    for (long k = 0; k < p.nphases; k++)
        tl_check(atomic_load(&p.serial[k]) == 1, "phase %ld had %d SP_BARRIER_SERIAL returns, "
                 "expected exactly 1 (the last arrival)", k, atomic_load(&p.serial[k]));
    struct sp_barrier one;
    SP_INIT(sp_barrier_init(&one, 1), T3B);
    unsigned long k0 = sp_futex_my_wakes();
    tl_check(sp_barrier_wait(&one) == SP_BARRIER_SERIAL, "a barrier of 1 returns "
             "SP_BARRIER_SERIAL at once");
    tl_check(sp_futex_my_wakes() == k0, "a barrier of 1 made a futex wake: nobody can be "
             "waiting on it");
    free(p.arrived);
    free(p.serial);
}
