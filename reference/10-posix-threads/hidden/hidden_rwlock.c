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

TL_TEST(rwl_queued_writers_go_before_readers, 3, 30, "rwlock order")
{
    static struct rwl rw;
    int rc = rwl_init(&rw);
    expect_ok(rc, "rwl_init", T3);
    static struct agent r0, r1, w1, w2;
    agent_start(&r0, &rw);
    agent_start(&r1, &rw);
    agent_start(&w1, &rw);
    agent_start(&w2, &rw);
    expect_ok(agent_call(&r0, AG_RDLOCK, hang_secs()), "rwl_rdlock", T3);
    agent_post(&w1, AG_WRLOCK);
    agent_post(&w2, AG_WRLOCK);
    tl_check(poll_until(wq2, &rw, hang_secs()), "two writers behind a reader: "
             "writers_waiting should reach 2 (it is %d)", locked_int(&rw.lock, &rw.writers_waiting));
    agent_post(&r1, AG_RDLOCK);
    tl_check(poll_until(rq1, &rw, hang_secs()) && !agent_idle(&r1),
             "a new reader got in (or did not queue) while two writers waited: writer "
             "preference keeps it out");
    expect_ok(agent_call(&r0, AG_UNLOCK, hang_secs()), "rwl_unlock (reader)", T3);
    struct agent *ws[2] = {&w1, &w2};
    tl_check(poll_until(one_idle, ws, hang_secs()), "the reader left but neither waiting "
             "writer got in: the last reader out must signal writer_ok");
    struct agent *first = agent_idle(&w1) ? &w1 : &w2, *second = first == &w1 ? &w2 : &w1;
    expect_ok(agent_result(first, 1), "rwl_wrlock", T3);
    tl_check(!agent_idle(second) && !agent_idle(&r1), "with one writer inside, another "
             "writer or a reader got in too");
    expect_ok(agent_call(first, AG_UNLOCK, hang_secs()), "rwl_unlock (first writer)", T3);
    rc = agent_result(second, hang_secs());
    tl_check(rc != -1, "the first writer left but the second waiting writer did not get "
             "in within %.0f s (the reader must wait for it: writers first)", hang_secs());
    expect_ok(rc, "rwl_wrlock (second writer)", T3);
    tl_check(!agent_idle(&r1), "the queued reader got in together with the second writer");
    expect_ok(agent_call(second, AG_UNLOCK, hang_secs()), "rwl_unlock (second writer)", T3);
    rc = agent_result(&r1, hang_secs());
    tl_check(rc != -1, "the last writer left but the queued reader stayed blocked: "
             "broadcast readers_ok when no writer waits any more");
    expect_ok(rc, "rwl_rdlock (queued reader)", T3);
    expect_ok(agent_call(&r1, AG_UNLOCK, hang_secs()), "rwl_unlock", T3);
    agent_stop(&r0);
    agent_stop(&r1);
    agent_stop(&w1);
    agent_stop(&w2);
    expect_ok(rwl_destroy(&rw), "rwl_destroy", T3);
}

struct heavy {
    struct rwl rw;
    long iters;
    uint64_t seed;
    atomic_int readers_in, writers_in;
    long data[8];
    struct failbox fb;
};

struct h_arg { struct heavy *h; int id; };

static void *heavy_worker(void *arg)
{
    struct h_arg *a = arg;
    struct heavy *h = a->h;
    struct tl_rng r;
    tl_rng_init(&r, h->seed ^ ((uint64_t)a->id << 40));
    int writer = a->id < 2;
    for (long i = 0; i < h->iters && !fb_failed(&h->fb); i++) {
        int try = tl_rng_below(&r, 3) == 0, rc;
        if (writer) {
            rc = try ? rwl_trywrlock(&h->rw) : rwl_wrlock(&h->rw);
            if (rc == EBUSY && try)
                continue;
            if (rc) {
                fb_fail(&h->fb, "rwl_%swrlock returned %s", try ? "try" : "", ename(rc));
                return NULL;
            }
            int w = atomic_fetch_add(&h->writers_in, 1), rd = atomic_load(&h->readers_in);
            if (w || rd)
                fb_fail(&h->fb, "rwl_%swrlock let a writer in beside %d writer(s) and %d "
                        "reader(s)", try ? "try" : "", w, rd);
            for (int k = 0; k < 8; k++)
                h->data[k]++;
            atomic_fetch_sub(&h->writers_in, 1);
        } else {
            rc = try ? rwl_tryrdlock(&h->rw) : rwl_rdlock(&h->rw);
            if (rc == EBUSY && try)
                continue;
            if (rc) {
                fb_fail(&h->fb, "rwl_%srdlock returned %s", try ? "try" : "", ename(rc));
                return NULL;
            }
            atomic_fetch_add(&h->readers_in, 1);
            int w = atomic_load(&h->writers_in);
            long d0 = h->data[0], d7 = h->data[7];
            if (w || d0 != d7)
                fb_fail(&h->fb, "rwl_%srdlock let a reader in while a writer was inside "
                        "(data %ld vs %ld)", try ? "try" : "", d0, d7);
            atomic_fetch_sub(&h->readers_in, 1);
        }
        rc = rwl_unlock(&h->rw);
        if (rc) {
            fb_fail(&h->fb, "rwl_unlock returned %s", ename(rc));
            return NULL;
        }
    }
    return NULL;
}

TL_TEST(rwl_heavy_mix_with_try, 3, 30, "rwlock stress")
{
    static struct heavy h;
    memset(&h, 0, sizeof h);
    h.fb = (struct failbox)FAILBOX_INIT;
    int rc = rwl_init(&h.rw);
    expect_ok(rc, "rwl_init", T3);
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
    int stuck = join_all(t, N, 3 * hang_secs());
    tl_check(stuck == 0, "%d of %d threads (2 writers, 4 readers, some try calls) never "
             "finished: a deadlock or lost wakeup. Does a failed try leave a counter "
             "behind?", stuck, N);
    fb_report(&h.fb);
    pthread_mutex_lock(&h.rw.lock);
    int rd = h.rw.readers, wr = h.rw.writer, ww = h.rw.writers_waiting, rw_ = h.rw.readers_waiting;
    pthread_mutex_unlock(&h.rw.lock);
    tl_check(!rd && !wr && !ww && !rw_, "after every thread unlocked and left: readers=%d "
             "writer=%d writers_waiting=%d readers_waiting=%d, expected all 0", rd, wr, ww, rw_);
    expect_ok(rwl_destroy(&h.rw), "rwl_destroy", T3);
}
