/*
 * test_barrier.c - Task 4, the reusable barrier.
 */
#include "ptl_test.h"

#define T4 "Task 4 (src/barrier.c)"

struct phases {
    struct barrier b;
    int nthreads;
    long nphases;
    atomic_int *arrived;   /* per phase: threads that reached the barrier */
    atomic_int *serial;    /* per phase: BARRIER_SERIAL_THREAD returns */
    atomic_int stop_inject;
    struct tl_failbox fb;
};

static void *phase_worker(void *arg)
{
    struct phases *p = arg;
    for (long k = 0; k < p->nphases && !tl_fb_failed(&p->fb); k++) {
        atomic_fetch_add(&p->arrived[k], 1);
        int rc = barrier_wait(&p->b);
        if (rc != 0 && rc != BARRIER_SERIAL_THREAD) {
            tl_fb_fail(&p->fb, "barrier_wait returned %d (%s) in phase %ld: expected 0 or "
                    "BARRIER_SERIAL_THREAD", rc, tl_ename(rc), k);
            break;
        }
        if (rc == BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&p->serial[k], 1);
        int a = atomic_load(&p->arrived[k]);
        if (a != p->nthreads) {
            tl_fb_fail(&p->fb, "a thread left barrier phase %ld when only %d of %d threads had "
                    "arrived. Hint: wait while the generation is the one you arrived in "
                    "(a while loop: wakeups can be spurious, and a fast thread may already "
                    "be in the next phase).", k, a, p->nthreads);
            break;
        }
    }
    return NULL;
}

/* A spurious-wakeup injector: POSIX allows pthread_cond_wait to return for
 * no reason, so broadcasting the barrier's condvar must change nothing. */
static void *injector(void *arg)
{
    struct phases *p = arg;
    while (!atomic_load(&p->stop_inject)) {
        pthread_mutex_lock(&p->b.lock);
        pthread_cond_broadcast(&p->b.phase_done);
        pthread_mutex_unlock(&p->b.lock);
        sched_yield();
    }
    return NULL;
}

static void run_phases(int nthreads, long nphases, int inject)
{
    static struct phases p;
    memset(&p, 0, sizeof p);
    p.fb = (struct tl_failbox)TL_FAILBOX_INIT;
    p.nthreads = nthreads;
    p.nphases = nphases;
    int rc = barrier_init(&p.b, (unsigned)nthreads);
    tl_expect_ok(rc, "barrier_init", T4);
    p.arrived = calloc((size_t)nphases, sizeof *p.arrived);
    p.serial = calloc((size_t)nphases, sizeof *p.serial);
    tl_check(p.arrived && p.serial, "out of memory in the test");
    pthread_t t[16], inj;
    memset(&inj, 0, sizeof inj);
    for (int i = 0; i < nthreads; i++)
        start_thread(&t[i], phase_worker, &p);
    if (inject)
        start_thread(&inj, injector, &p);
    int stuck = join_all(t, nthreads, work_secs());
    atomic_store(&p.stop_inject, 1);
    if (inject)
        join_within(inj, hang_secs());
    if (stuck) {
        long k = 0;
        while (k < nphases && atomic_load(&p.arrived[k]) == nthreads)
            k++;
        pthread_mutex_lock(&p.b.lock);
        unsigned arr = p.b.arrived;
        unsigned long gen = p.b.generation;
        pthread_mutex_unlock(&p.b.lock);
        tl_fail("%d of %d threads stuck in barrier_wait: phase %ld had %d of %d arrivals; "
                "barrier says arrived=%u generation=%lu. If every thread arrived, a sleeper "
                "missed its release: waiting on `arrived < count` hangs when the last "
                "arrival resets arrived and a fast thread re-enters. Wait on the "
                "generation.", stuck, nthreads, k, k < nphases ? atomic_load(&p.arrived[k]) : 0,
                nthreads, arr, gen);
    }
    tl_fb_report(&p.fb);
    for (long k = 0; k < nphases; k++) {
        int s = atomic_load(&p.serial[k]);
        tl_check(s == 1, "phase %ld of %ld had %d BARRIER_SERIAL_THREAD returns, expected "
                 "exactly 1 (the last arrival gets it, everyone else 0)", k, nphases, s);
    }
    pthread_mutex_lock(&p.b.lock);
    unsigned long gen = p.b.generation;
    pthread_mutex_unlock(&p.b.lock);
    tl_check(gen == (unsigned long)nphases, "after %ld phases generation is %lu: the last "
             "arrival of each phase bumps it once", nphases, gen);
    tl_expect_ok(barrier_destroy(&p.b), "barrier_destroy after all threads left", T4);
    free(p.arrived);
    free(p.serial);
}

TL_TEST(barrier_1000_phases, 5, 60, "barrier stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    int n = 2 + (int)tl_rng_below(&r, 5);
    run_phases(n, tl_iters(1000), 0);
}

TL_TEST(barrier_survives_spurious_wakeups, 3, 60, "barrier stress spurious")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    run_phases(3 + (int)tl_rng_below(&r, 3), tl_iters(300), 1);
}

struct lone { struct barrier *b; int rc; };

static void *lone_wait(void *arg)
{
    struct lone *l = arg;
    l->rc = barrier_wait(l->b);
    return NULL;
}

static int one_arrived(void *arg)
{
    struct barrier *b = arg;
    pthread_mutex_lock(&b->lock);
    int a = b->arrived == 1;
    pthread_mutex_unlock(&b->lock);
    return a;
}

TL_TEST(barrier_serial_and_errors, 1, 60, "barrier errors")
{
    static struct barrier b;
    int rc = barrier_init(&b, 1);
    tl_expect_ok(rc, "barrier_init(&b, 1)", T4);
    for (int i = 0; i < 3; i++)
        tl_expect_rc(barrier_wait(&b), BARRIER_SERIAL_THREAD, "barrier_wait on a barrier of 1",
                  "The only thread is the last arrival of every phase.");
    tl_expect_ok(barrier_destroy(&b), "barrier_destroy", T4);
    tl_expect_rc(barrier_init(&b, 0), EINVAL, "barrier_init(&b, 0)", "No phase can complete.");
    tl_expect_rc(barrier_init(NULL, 2), EINVAL, "barrier_init(NULL, 2)", "Check the pointer.");
    tl_expect_rc(barrier_wait(NULL), EINVAL, "barrier_wait(NULL)", "Check the pointer.");
    tl_expect_rc(barrier_destroy(NULL), EINVAL, "barrier_destroy(NULL)", "Check the pointer.");

    tl_expect_ok(barrier_init(&b, 2), "barrier_init(&b, 2)", T4);
    static struct lone l;
    l = (struct lone){&b, 12345};
    pthread_t t;
    start_thread(&t, lone_wait, &l);
    tl_check(tl_poll_until(one_arrived, &b, hang_secs()),
             "one thread in barrier_wait(count 2) did not show as arrived == 1");
    tl_expect_rc(barrier_destroy(&b), EBUSY, "barrier_destroy while a thread waits in it",
              "A partly filled phase means the barrier is in use.");
    rc = barrier_wait(&b);
    tl_check(join_within(t, hang_secs()) == 0, "the second arrival did not release the first");
    tl_check((rc == BARRIER_SERIAL_THREAD) + (l.rc == BARRIER_SERIAL_THREAD) == 1 &&
             (rc == 0 || l.rc == 0), "two threads got %d and %d from one phase: exactly "
             "one gets BARRIER_SERIAL_THREAD (%d), the other 0", rc, l.rc,
             BARRIER_SERIAL_THREAD);
    tl_expect_ok(barrier_destroy(&b), "barrier_destroy", T4);
}
