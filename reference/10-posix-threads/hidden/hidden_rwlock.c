/*
 * hidden_rwlock.c - the rwlock's hand-over order and a heavier mix.
 */
#include "../tests/ptl_test.h"

#define T3 "Task 3 (src/rwlock.c)"

static int wq2(void *arg)
{
    struct rwl *rw = arg;
    return locked_int(&rw->lock, &rw->writers_waiting) == 2;
}

static int rq1(void *arg)
{
    struct rwl *rw = arg;
    return locked_int(&rw->lock, &rw->readers_waiting) == 1;
}

static int one_idle(void *arg)
{
    struct agent **a = arg;
    return agent_idle(a[0]) || agent_idle(a[1]);
}

TL_TEST(rwl_queued_writers_go_before_readers, 3, 60, "rwlock order")
{
    static struct rwl rw;
    int rc = rwl_init(&rw);
    tl_expect_ok(rc, "rwl_init", T3);
    static struct agent r0, r1, w1, w2;
    agent_start(&r0, &rw);
    agent_start(&r1, &rw);
    agent_start(&w1, &rw);
    agent_start(&w2, &rw);
    tl_expect_ok(agent_call(&r0, AG_RDLOCK, hang_secs()), "rwl_rdlock", T3);
    agent_post(&w1, AG_WRLOCK);
    agent_post(&w2, AG_WRLOCK);
    tl_check(tl_poll_until(wq2, &rw, hang_secs()), "two writers behind a reader: "
             "writers_waiting should reach 2 (it is %d)", locked_int(&rw.lock, &rw.writers_waiting));
    agent_post(&r1, AG_RDLOCK);
    tl_check(tl_poll_until(rq1, &rw, hang_secs()) && !agent_idle(&r1),
             "a new reader got in (or did not queue) while two writers waited: writer "
             "preference keeps it out");
    tl_expect_ok(agent_call(&r0, AG_UNLOCK, hang_secs()), "rwl_unlock (reader)", T3);
    struct agent *ws[2] = {&w1, &w2};
    tl_check(tl_poll_until(one_idle, ws, hang_secs()), "the reader left but neither waiting "
             "writer got in: the last reader out must signal writer_ok");
    struct agent *first = agent_idle(&w1) ? &w1 : &w2, *second = first == &w1 ? &w2 : &w1;
    tl_expect_ok(agent_result(first, 1), "rwl_wrlock", T3);
    tl_check(!agent_idle(second) && !agent_idle(&r1), "with one writer inside, another "
             "writer or a reader got in too");
    tl_expect_ok(agent_call(first, AG_UNLOCK, hang_secs()), "rwl_unlock (first writer)", T3);
    rc = agent_result(second, hang_secs());
    tl_check(rc != -1, "the first writer left but the second waiting writer did not get "
             "in within %.0f s (the reader must wait for it: writers first)", hang_secs());
    tl_expect_ok(rc, "rwl_wrlock (second writer)", T3);
    tl_check(!agent_idle(&r1), "the queued reader got in together with the second writer");
    tl_expect_ok(agent_call(second, AG_UNLOCK, hang_secs()), "rwl_unlock (second writer)", T3);
    rc = agent_result(&r1, hang_secs());
    tl_check(rc != -1, "the last writer left but the queued reader stayed blocked: "
             "broadcast readers_ok when no writer waits any more");
    tl_expect_ok(rc, "rwl_rdlock (queued reader)", T3);
    tl_expect_ok(agent_call(&r1, AG_UNLOCK, hang_secs()), "rwl_unlock", T3);
    agent_stop(&r0);
    agent_stop(&r1);
    agent_stop(&w1);
    agent_stop(&w2);
    tl_expect_ok(rwl_destroy(&rw), "rwl_destroy", T3);
}

struct heavy {
    struct rwl rw;
    long iters;
    uint64_t seed;
    atomic_int readers_in, writers_in;
    long data[8];
    struct tl_failbox fb;
};

struct h_arg { struct heavy *h; int id; };

static void *heavy_worker(void *arg)
{
    struct h_arg *a = arg;
    struct heavy *h = a->h;
    struct tl_rng r;
    tl_rng_init(&r, h->seed ^ ((uint64_t)a->id << 40));
    int writer = a->id < 2;
    for (long i = 0; i < h->iters && !tl_fb_failed(&h->fb); i++) {
        int try = tl_rng_below(&r, 3) == 0, rc;
        if (writer) {
            rc = try ? rwl_trywrlock(&h->rw) : rwl_wrlock(&h->rw);
            if (rc == EBUSY && try)
                continue;
            if (rc) {
                tl_fb_fail(&h->fb, "rwl_%swrlock returned %s", try ? "try" : "", tl_ename(rc));
                return NULL;
            }
            int w = atomic_fetch_add(&h->writers_in, 1), rd = atomic_load(&h->readers_in);
            if (w || rd)
                tl_fb_fail(&h->fb, "rwl_%swrlock let a writer in beside %d writer(s) and %d "
                        "reader(s)", try ? "try" : "", w, rd);
            for (int k = 0; k < 8; k++)
                h->data[k]++;
            atomic_fetch_sub(&h->writers_in, 1);
        } else {
            rc = try ? rwl_tryrdlock(&h->rw) : rwl_rdlock(&h->rw);
            if (rc == EBUSY && try)
                continue;
            if (rc) {
                tl_fb_fail(&h->fb, "rwl_%srdlock returned %s", try ? "try" : "", tl_ename(rc));
                return NULL;
            }
            atomic_fetch_add(&h->readers_in, 1);
            int w = atomic_load(&h->writers_in);
            long d0 = h->data[0], d7 = h->data[7];
            if (w || d0 != d7)
                tl_fb_fail(&h->fb, "rwl_%srdlock let a reader in while a writer was inside "
                        "(data %ld vs %ld)", try ? "try" : "", d0, d7);
            atomic_fetch_sub(&h->readers_in, 1);
        }
        rc = rwl_unlock(&h->rw);
        if (rc) {
            tl_fb_fail(&h->fb, "rwl_unlock returned %s", tl_ename(rc));
            return NULL;
        }
    }
    return NULL;
}

TL_TEST(rwl_heavy_mix_with_try, 3, 60, "rwlock stress")
{
    static struct heavy h;
    memset(&h, 0, sizeof h);
    h.fb = (struct tl_failbox)TL_FAILBOX_INIT;
    int rc = rwl_init(&h.rw);
    tl_expect_ok(rc, "rwl_init", T3);
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    h.seed = tl_rng_next(&r);
    h.iters = tl_iters(15000);
    enum { N = 6 };
    pthread_t t[N];
    struct h_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (struct h_arg){&h, i};
        start_thread(&t[i], heavy_worker, &a[i]);
    }
    int stuck = join_all(t, N, work_secs());
    tl_check(stuck == 0, "%d of %d threads (2 writers, 4 readers, some try calls) never "
             "finished: a deadlock or lost wakeup. Does a failed try leave a counter "
             "behind?", stuck, N);
    tl_fb_report(&h.fb);
    pthread_mutex_lock(&h.rw.lock);
    int rd = h.rw.readers, wr = h.rw.writer, ww = h.rw.writers_waiting, rw_ = h.rw.readers_waiting;
    pthread_mutex_unlock(&h.rw.lock);
    tl_check(!rd && !wr && !ww && !rw_, "after every thread unlocked and left: readers=%d "
             "writer=%d writers_waiting=%d readers_waiting=%d, expected all 0", rd, wr, ww, rw_);
    tl_expect_ok(rwl_destroy(&h.rw), "rwl_destroy", T3);
}

/* ---- a writer leaving hands the lock to EVERY queued reader ---------- */

enum { NQR = 3 };

static int readers_queued(void *arg)
{
    struct rwl *rw = arg;
    return locked_int(&rw->lock, &rw->readers_waiting) == NQR;
}

static int readers_inside(void *arg)
{
    struct rwl *rw = arg;
    return locked_int(&rw->lock, &rw->readers) == NQR;
}

TL_TEST(rwl_writer_release_wakes_all_readers, 2, 60, "rwlock wakeup")
{
    static struct rwl rw;
    int rc = rwl_init(&rw);
    tl_expect_ok(rc, "rwl_init", T3);
    tl_expect_ok(rwl_wrlock(&rw), "rwl_wrlock", T3);
    static struct agent r[NQR];
    for (int i = 0; i < NQR; i++) {
        agent_start(&r[i], &rw);
        agent_post(&r[i], AG_RDLOCK);
    }
    tl_check(tl_poll_until(readers_queued, &rw, hang_secs()),
             "%d readers called rwl_rdlock while this thread holds the write lock, but "
             "readers_waiting is %d (expected %d) after %.0f s: count each reader that "
             "waits in readers_waiting", NQR, locked_int(&rw.lock, &rw.readers_waiting),
             NQR, hang_secs());
    int ww = locked_int(&rw.lock, &rw.writers_waiting);
    tl_check(ww == 0, "no writer waits, yet writers_waiting is %d", ww);
    tl_expect_ok(rwl_unlock(&rw), "rwl_unlock (the writer)", T3);
    /* Nobody unlocks until all NQR readers are in at once. */
    tl_check(tl_poll_until(readers_inside, &rw, hang_secs()),
             "the writer left with %d readers queued and no writer waiting, but %.0f s "
             "later only %d of them hold the lock together (readers_waiting=%d). Contract: "
             "a writer leaving hands the lock to ALL waiting readers at once. Hint: "
             "pthread_cond_signal wakes one waiter; the others sleep on readers_ok until "
             "someone wakes them, and no reader's unlock does. Broadcast readers_ok.",
             NQR, hang_secs(), locked_int(&rw.lock, &rw.readers),
             locked_int(&rw.lock, &rw.readers_waiting));
    for (int i = 0; i < NQR; i++)
        tl_expect_ok(agent_result(&r[i], hang_secs()), "rwl_rdlock (a queued reader)", T3);
    for (int i = 0; i < NQR; i++)
        tl_expect_ok(agent_call(&r[i], AG_UNLOCK, hang_secs()), "rwl_unlock (a reader)", T3);
    for (int i = 0; i < NQR; i++)
        agent_stop(&r[i]);
    tl_expect_ok(rwl_destroy(&rw), "rwl_destroy", T3);
}

/* ---- destroy while the lock is held and in use: EBUSY, every time ---- */

struct rbusy {
    struct rwl rw;
    pthread_mutex_t m;   /* guards stop and progress (the test's own) */
    int stop;
    long progress;
    struct tl_failbox fb;
};

static void *rbusy_churn(void *arg)
{
    struct rbusy *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->m);
        int stop = s->stop;
        s->progress++;
        pthread_mutex_unlock(&s->m);
        if (stop || tl_fb_failed(&s->fb))
            return NULL;
        int rc = rwl_tryrdlock(&s->rw);
        if (rc) {
            tl_fb_fail(&s->fb, "rwl_tryrdlock beside readers only (no writer) returned %s, "
                    "expected 0", tl_ename(rc));
            return NULL;
        }
        rc = rwl_unlock(&s->rw);
        if (rc) {
            tl_fb_fail(&s->fb, "rwl_unlock of a read hold returned %s", tl_ename(rc));
            return NULL;
        }
    }
}

static long rbusy_progress(struct rbusy *s)
{
    pthread_mutex_lock(&s->m);
    long p = s->progress;
    pthread_mutex_unlock(&s->m);
    return p;
}

TL_TEST(rwl_destroy_busy_while_in_use, 1, 60, "rwlock errors")
{
    static struct rbusy s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.m, NULL);
    s.fb = (struct tl_failbox)TL_FAILBOX_INIT;
    int rc = rwl_init(&s.rw);
    tl_expect_ok(rc, "rwl_init", T3);
    static struct agent holder;
    agent_start(&holder, &s.rw);
    tl_expect_ok(agent_call(&holder, AG_RDLOCK, hang_secs()), "rwl_rdlock (the holder)", T3);
    enum { NC = 2 };
    pthread_t t[NC];
    for (int i = 0; i < NC; i++)
        start_thread(&t[i], rbusy_churn, &s);
    /* The holder keeps readers >= 1 throughout, while the churners move it
     * up and down: every destroy must see "held" and refuse. */
    long want = tl_iters(2000), calls = 0, p0 = rbusy_progress(&s);
    double end = tl_now() + hang_secs();
    int bad = 0;
    while ((calls < want || rbusy_progress(&s) - p0 < want) && tl_now() < end &&
           !tl_fb_failed(&s.fb)) {
        rc = rwl_destroy(&s.rw);
        calls++;
        if (rc != EBUSY) {
            bad = 1;
            break;
        }
    }
    pthread_mutex_lock(&s.m);
    s.stop = 1;
    long churned = s.progress - p0;
    pthread_mutex_unlock(&s.m);
    int stuck = join_all(t, NC, hang_secs());
    tl_check(!bad, "rwl_destroy returned %d (%s) on call %ld while a reader held the lock "
             "and other readers came and went; expected EBUSY every time. Contract: "
             "EBUSY while held or waited for, nothing destroyed. Hint: read the counters "
             "under rw->lock: they change under it in other threads.", rc, tl_ename(rc), calls);
    tl_check(stuck == 0, "%d of %d threads doing rwl_tryrdlock/rwl_unlock beside a "
             "reader never finished", stuck, NC);
    tl_fb_report(&s.fb);
    tl_check(churned > 0 && calls > 0, "the churning readers made no progress in %.0f s "
             "(%ld calls) while one reader held the lock", hang_secs(), churned);
    tl_expect_ok(agent_call(&holder, AG_UNLOCK, hang_secs()), "rwl_unlock (the holder)", T3);
    agent_stop(&holder);
    tl_expect_ok(rwl_destroy(&s.rw), "rwl_destroy once nobody holds or waits", T3);
    pthread_mutex_destroy(&s.m);
}
