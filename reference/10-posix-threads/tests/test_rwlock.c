/*
 * test_rwlock.c - Task 3, the writer-preferring reader-writer lock.
 */
#include "ptl_test.h"

#define T3 "Task 3 (src/rwlock.c)"

/* ---- readers together, writers alone -------------------------------- */

struct rwmix {
    struct rwl rw;
    long iters;
    uint64_t seed;
    atomic_int readers_in, writers_in;
    long a, b; /* a == b whenever no writer is inside; written under wrlock */
    struct tl_failbox fb;
};

struct mix_arg { struct rwmix *x; int id; };

static void *mix_worker(void *arg)
{
    struct mix_arg *ma = arg;
    struct rwmix *x = ma->x;
    struct tl_rng r;
    tl_rng_init(&r, x->seed + (uint64_t)ma->id);
    for (long i = 0; i < x->iters && !tl_fb_failed(&x->fb); i++) {
        if (tl_rng_below(&r, 5) != 0) {
            int rc = rwl_rdlock(&x->rw);
            if (rc) {
                tl_fb_fail(&x->fb, "rwl_rdlock returned %s", tl_ename(rc));
                return NULL;
            }
            atomic_fetch_add(&x->readers_in, 1);
            int w = atomic_load(&x->writers_in);
            long a = x->a, b = x->b;
            if (w != 0 || a != b)
                tl_fb_fail(&x->fb, "a reader got in while a writer was inside (writers "
                        "inside=%d, a=%ld b=%ld): rdlock must wait while writer == 1", w, a, b);
            atomic_fetch_sub(&x->readers_in, 1);
            rc = rwl_unlock(&x->rw);
            if (rc)
                tl_fb_fail(&x->fb, "rwl_unlock of a read hold returned %s", tl_ename(rc));
        } else {
            int rc = rwl_wrlock(&x->rw);
            if (rc) {
                tl_fb_fail(&x->fb, "rwl_wrlock returned %s", tl_ename(rc));
                return NULL;
            }
            int w = atomic_fetch_add(&x->writers_in, 1);
            int rd = atomic_load(&x->readers_in);
            if (w != 0 || rd != 0)
                tl_fb_fail(&x->fb, "a writer got in with %d other writer(s) and %d reader(s) "
                        "inside: wrlock must wait until writer == 0 and readers == 0", w, rd);
            x->a++;
            x->b++;
            atomic_fetch_sub(&x->writers_in, 1);
            rc = rwl_unlock(&x->rw);
            if (rc)
                tl_fb_fail(&x->fb, "rwl_unlock of a write hold returned %s", tl_ename(rc));
        }
    }
    return NULL;
}

TL_TEST(rwl_readers_share_writers_exclude, 3, 60, "rwlock stress")
{
    static struct rwmix x;
    memset(&x, 0, sizeof x);
    x.fb = (struct tl_failbox)TL_FAILBOX_INIT;
    int rc = rwl_init(&x.rw);
    tl_expect_ok(rc, "rwl_init", T3);

    /* Two readers at once, deterministically: we hold a read lock and an
     * agent must get one too, without waiting. */
    tl_expect_ok(rwl_rdlock(&x.rw), "rwl_rdlock", T3);
    static struct agent ag;
    agent_start(&ag, &x.rw);
    rc = agent_call(&ag, AG_RDLOCK, hang_secs());
    tl_check(rc != -1, "a second reader was still waiting in rwl_rdlock %.0f s after the "
             "first reader got in (no writer anywhere). Readers share the lock: wait only "
             "while a writer holds or waits.", hang_secs());
    tl_expect_ok(rc, "rwl_rdlock by a second reader", T3);
    pthread_mutex_lock(&x.rw.lock);
    int readers = x.rw.readers;
    pthread_mutex_unlock(&x.rw.lock);
    tl_check(readers == 2, "two threads hold read locks but rw->readers is %d", readers);
    tl_expect_ok(agent_call(&ag, AG_UNLOCK, hang_secs()), "rwl_unlock by the second reader", T3);
    tl_expect_ok(rwl_unlock(&x.rw), "rwl_unlock by the first reader", T3);
    agent_stop(&ag);

    /* A random mix. */
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    x.seed = tl_rng_next(&r);
    x.iters = tl_iters(20000);
    enum { N = 4 };
    pthread_t t[N];
    struct mix_arg ma[N];
    for (int i = 0; i < N; i++) {
        ma[i] = (struct mix_arg){&x, i};
        start_thread(&t[i], mix_worker, &ma[i]);
    }
    int stuck = join_all(t, N, work_secs());
    tl_check(stuck == 0, "%d of %d threads never finished %ld random rdlock/wrlock/unlock "
             "calls: a deadlock or a lost wakeup (who wakes waiting readers when the last "
             "queued writer leaves?)", stuck, N, x.iters);
    tl_fb_report(&x.fb);
    tl_expect_ok(rwl_destroy(&x.rw), "rwl_destroy", T3);
}

/* ---- no writer starvation ------------------------------------------- */

static int rdwait_or_done(void *arg)
{
    struct agent *a = arg;
    return agent_idle(a) || locked_int(&a->rw->lock, &a->rw->readers_waiting) >= 1;
}

static int writer_queued(void *arg)
{
    struct agent *a = arg;
    return agent_idle(a) || locked_int(&a->rw->lock, &a->rw->writers_waiting) >= 1;
}

TL_TEST(rwl_no_writer_starvation, 4, 60, "rwlock starvation")
{
    enum { LIMIT = 200 };
    static struct rwl rw;
    int rc = rwl_init(&rw);
    tl_expect_ok(rc, "rwl_init", T3);
    static struct agent rd[2], wr;
    agent_start(&rd[0], &rw);
    agent_start(&rd[1], &rw);
    agent_start(&wr, &rw);
    tl_expect_ok(agent_call(&rd[0], AG_RDLOCK, hang_secs()), "rwl_rdlock (first reader)", T3);

    /* A writer arrives and must queue behind the reader. */
    agent_post(&wr, AG_WRLOCK);
    tl_check(tl_poll_until(writer_queued, &wr, hang_secs()),
             "a writer in rwl_wrlock behind a reader neither got in nor showed up in "
             "rw->writers_waiting within %.0f s. Hint: writers_waiting++ before waiting.",
             hang_secs());
    tl_check(!agent_idle(&wr), "rwl_wrlock returned %d while a reader held the lock: a writer "
             "must wait until readers == 0", wr.rc);

    /* Readers hand the lock over: a reader lets go only after the next one
     * got in. With a reader-preferring lock this never ends; with writer
     * preference the next reader queues behind the writer. */
    int handovers = 0, holder = 0;
    for (; handovers < LIMIT; handovers++) {
        struct agent *next = &rd[1 - holder];
        agent_post(next, AG_RDLOCK);
        tl_check(tl_poll_until(rdwait_or_done, next, hang_secs()),
                 "a reader in rwl_rdlock neither got in nor showed up in "
                 "rw->readers_waiting within %.0f s. Hint: count waiting readers.",
                 hang_secs());
        if (!agent_idle(next))
            break; /* it waits: the writer is next */
        tl_expect_ok(agent_result(next, 1), "rwl_rdlock", T3);
        tl_expect_ok(agent_call(&rd[holder], AG_UNLOCK, hang_secs()), "rwl_unlock (reader)", T3);
        holder = 1 - holder;
    }
    tl_check(handovers < LIMIT,
             "writer starvation: %d times a new reader got in while a writer was waiting "
             "(readers overlapped hand over hand, so the lock was never free). Contract: "
             "while writers_waiting > 0, rwl_rdlock waits. Hint: the reader's wait "
             "condition must include writers_waiting, not just writer.", handovers);
    /* The holder leaves: the writer, not the waiting reader, goes next. */
    tl_expect_ok(agent_call(&rd[holder], AG_UNLOCK, hang_secs()), "rwl_unlock (last reader)", T3);
    rc = agent_result(&wr, hang_secs());
    tl_check(rc != -1, "the last reader left but the waiting writer was still blocked %.0f s "
             "later: the last reader out must signal writer_ok (a lost wakeup)", hang_secs());
    tl_expect_ok(rc, "rwl_wrlock", T3);
    tl_check(!agent_idle(&rd[1 - holder]), "a queued reader got in while the writer holds "
             "the lock");
    tl_expect_ok(agent_call(&wr, AG_UNLOCK, hang_secs()), "rwl_unlock (writer)", T3);
    rc = agent_result(&rd[1 - holder], hang_secs());
    tl_check(rc != -1, "the writer left but the queued reader stayed blocked: the writer's "
             "unlock must broadcast readers_ok when no other writer waits");
    tl_expect_ok(rc, "rwl_rdlock of the queued reader", T3);
    tl_expect_ok(agent_call(&rd[1 - holder], AG_UNLOCK, hang_secs()), "rwl_unlock", T3);
    agent_stop(&rd[0]);
    agent_stop(&rd[1]);
    agent_stop(&wr);
    tl_expect_ok(rwl_destroy(&rw), "rwl_destroy", T3);
}

/* ---- try variants and error codes ------------------------------------ */

TL_TEST(rwl_try_and_error_codes, 3, 60, "rwlock errors")
{
    static struct rwl rw;
    int rc = rwl_init(&rw);
    tl_expect_ok(rc, "rwl_init", T3);
    tl_expect_rc(rwl_unlock(&rw), EPERM, "rwl_unlock of a lock nobody holds",
              "Unlocking what is not held is detectable here: return EPERM, change nothing.");
    static struct agent other;
    agent_start(&other, &rw);

    tl_expect_ok(rwl_wrlock(&rw), "rwl_wrlock", T3);
    tl_expect_rc(rwl_wrlock(&rw), EDEADLK, "rwl_wrlock by the thread that already holds it",
              "Waiting for yourself never ends: compare owner with pthread_self().");
    tl_expect_rc(agent_call(&other, AG_TRYRD, hang_secs()), EBUSY,
              "rwl_tryrdlock while another thread holds the write lock", "Never wait: EBUSY.");
    tl_expect_rc(agent_call(&other, AG_TRYWR, hang_secs()), EBUSY,
              "rwl_trywrlock while another thread holds the write lock", "Never wait: EBUSY.");
    tl_expect_rc(agent_call(&other, AG_UNLOCK, hang_secs()), EPERM,
              "rwl_unlock by a thread that does not own the write lock",
              "Only the owner may release a write hold.");
    tl_expect_ok(rwl_unlock(&rw), "rwl_unlock by the writer", T3);

    tl_expect_ok(rwl_rdlock(&rw), "rwl_rdlock", T3);
    tl_expect_rc(agent_call(&other, AG_TRYWR, hang_secs()), EBUSY,
              "rwl_trywrlock while a reader holds the lock", "A writer needs readers == 0.");
    tl_expect_ok(agent_call(&other, AG_TRYRD, hang_secs()), "rwl_tryrdlock beside a reader", T3);
    tl_expect_ok(agent_call(&other, AG_UNLOCK, hang_secs()), "rwl_unlock (second reader)", T3);
    tl_expect_rc(rwl_destroy(&rw), EBUSY, "rwl_destroy while a reader holds the lock",
              "Destroying a lock in use must fail and change nothing.");

    /* A queued writer closes the door to new readers, try or not. */
    agent_post(&other, AG_WRLOCK);
    tl_check(tl_poll_until(writer_queued, &other, hang_secs()),
             "a writer behind a reader did not show up in writers_waiting");
    tl_check(!agent_idle(&other), "rwl_wrlock returned while a reader held the lock");
    tl_expect_rc(rwl_tryrdlock(&rw), EBUSY, "rwl_tryrdlock while a writer waits",
              "Writer preference: a queued writer keeps new readers out, try or not.");
    tl_expect_ok(rwl_unlock(&rw), "rwl_unlock (reader)", T3);
    rc = agent_result(&other, hang_secs());
    tl_check(rc != -1, "the waiting writer was not woken when the only reader left");
    tl_expect_ok(rc, "rwl_wrlock", T3);
    tl_expect_ok(agent_call(&other, AG_UNLOCK, hang_secs()), "rwl_unlock (writer)", T3);
    tl_expect_ok(rwl_trywrlock(&rw), "rwl_trywrlock on a free lock", T3);
    tl_expect_ok(rwl_unlock(&rw), "rwl_unlock", T3);
    tl_expect_rc(rwl_unlock(&rw), EPERM, "a second rwl_unlock", "Nothing is held any more.");
    agent_stop(&other);
    tl_expect_ok(rwl_destroy(&rw), "rwl_destroy", T3);
    tl_expect_rc(rwl_init(NULL), EINVAL, "rwl_init(NULL)", "Check the pointer.");
    tl_expect_rc(rwl_destroy(NULL), EINVAL, "rwl_destroy(NULL)", "Check the pointer.");
    tl_expect_rc(rwl_rdlock(NULL), EINVAL, "rwl_rdlock(NULL)", "Check the pointer.");
    tl_expect_rc(rwl_wrlock(NULL), EINVAL, "rwl_wrlock(NULL)", "Check the pointer.");
    tl_expect_rc(rwl_tryrdlock(NULL), EINVAL, "rwl_tryrdlock(NULL)", "Check the pointer.");
    tl_expect_rc(rwl_trywrlock(NULL), EINVAL, "rwl_trywrlock(NULL)", "Check the pointer.");
    tl_expect_rc(rwl_unlock(NULL), EINVAL, "rwl_unlock(NULL)", "Check the pointer.");
}
