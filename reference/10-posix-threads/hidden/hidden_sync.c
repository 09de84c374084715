/*
 * hidden_sync.c - barrier reuse across sizes and re-initialisation; once
 * over many objects in random orders.
 */
#include "../tests/ptl_test.h"

#define T4 "Task 4 (src/barrier.c)"
#define T5 "Task 5 (src/once.c)"

struct bphase {
    struct barrier *b;
    int n;
    long phases;
    atomic_long *work;   /* per phase: units done before the barrier */
    uint64_t seed;
    int id;
    struct tl_failbox *fb;
};

static void *bworker(void *arg)
{
    struct bphase *p = arg;
    struct tl_rng r;
    tl_rng_init(&r, p->seed + (uint64_t)p->id);
    for (long k = 0; k < p->phases && !tl_fb_failed(p->fb); k++) {
        long units = 1 + (long)tl_rng_below(&r, 50);
        for (long u = 0; u < units; u++)
            atomic_fetch_add(&p->work[k], 1);
        if (tl_rng_below(&r, 4) == 0)
            sched_yield();
        atomic_fetch_add(&p->work[k], 1000000);
        int rc = barrier_wait(p->b);
        if (rc != 0 && rc != BARRIER_SERIAL_THREAD) {
            tl_fb_fail(p->fb, "barrier_wait returned %d", rc);
            return NULL;
        }
        long w = atomic_load(&p->work[k]) / 1000000;
        if (w != p->n) {
            tl_fb_fail(p->fb, "barrier of %d, phase %ld: a thread left when only %ld had "
                    "finished the phase's work", p->n, k, w);
            return NULL;
        }
    }
    return NULL;
}

TL_TEST(barrier_reuse_many_sizes, 3, 60, "barrier stress")
{
    static struct barrier b;
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    for (int n = 1; n <= 7; n++) {
        static struct tl_failbox fb;
        fb = (struct tl_failbox)TL_FAILBOX_INIT;
        long phases = tl_iters(200);
        atomic_long *work = calloc((size_t)phases, sizeof *work);
        tl_check(work != NULL, "out of memory in the test");
        int rc = barrier_init(&b, (unsigned)n);
        tl_expect_ok(rc, "barrier_init (the same object again after barrier_destroy)", T4);
        pthread_t t[7];
        static struct bphase p[7];
        uint64_t seed = tl_rng_next(&r);
        for (int i = 0; i < n; i++) {
            p[i] = (struct bphase){&b, n, phases, work, seed, i, &fb};
            start_thread(&t[i], bworker, &p[i]);
        }
        int stuck = join_all(t, n, work_secs());
        tl_check(stuck == 0, "barrier of %d: %d threads stuck in barrier_wait", n, stuck);
        tl_fb_report(&fb);
        free(work);
        tl_expect_ok(barrier_destroy(&b), "barrier_destroy", T4);
    }
}

enum { NOBJ = 64, NTHR = 6 };

struct many {
    struct once o[NOBJ];
    atomic_int runs[NOBJ];
    long value[NOBJ];     /* written by init i only */
    uint64_t seed;
    struct tl_failbox fb;
};

struct m_arg { struct many *m; int id; int obj; };
static struct m_arg args[NOBJ];

static void init_obj(void *arg)
{
    struct m_arg *a = arg;
    atomic_fetch_add(&a->m->runs[a->obj], 1);
    a->m->value[a->obj] = 1000 + a->obj;
}

static void *many_worker(void *arg)
{
    struct m_arg *a = arg;
    struct many *m = a->m;
    struct tl_rng r;
    tl_rng_init(&r, m->seed + (uint64_t)a->id);
    int order[NOBJ];
    for (int i = 0; i < NOBJ; i++)
        order[i] = i;
    for (int i = NOBJ - 1; i > 0; i--) {
        int j = (int)tl_rng_below(&r, (uint64_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < NOBJ; i++) {
            int k = order[i];
            int rc = once_call(&m->o[k], init_obj, &args[k]);
            if (rc) {
                tl_fb_fail(&m->fb, "once_call returned %s", tl_ename(rc));
                return NULL;
            }
            if (m->value[k] != 1000 + k) {
                tl_fb_fail(&m->fb, "once_call(object %d) returned but its init's write is not "
                        "visible (value %ld)", k, m->value[k]);
                return NULL;
            }
        }
    return NULL;
}

TL_TEST(once_many_objects, 2, 60, "once stress")
{
    static struct many m;
    long rounds = tl_iters(20);
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    for (long round = 0; round < rounds; round++) {
        memset(&m, 0, sizeof m);
        m.fb = (struct tl_failbox)TL_FAILBOX_INIT;
        m.seed = tl_rng_next(&r);
        for (int i = 0; i < NOBJ; i++) {
            m.o[i] = (struct once)ONCE_INIT;
            args[i] = (struct m_arg){&m, 0, i};
        }
        pthread_t t[NTHR];
        static struct m_arg ta[NTHR];
        for (int i = 0; i < NTHR; i++) {
            ta[i] = (struct m_arg){&m, i, 0};
            start_thread(&t[i], many_worker, &ta[i]);
        }
        int stuck = join_all(t, NTHR, work_secs());
        tl_check(stuck == 0, "%d threads stuck in once_call over %d objects", stuck, NOBJ);
        tl_fb_report(&m.fb);
        for (int i = 0; i < NOBJ; i++)
            tl_check(atomic_load(&m.runs[i]) == 1, "object %d: init ran %d times with %d "
                     "threads calling once_call on %d objects in random orders", i,
                     atomic_load(&m.runs[i]), NTHR, NOBJ);
        for (int i = 0; i < NOBJ; i++)
            pthread_mutex_destroy(&m.o[i].lock);
    }
}

/* ---- destroy while a phase fills up: EBUSY, every time --------------- */

struct bgbusy {
    struct barrier b;
    long phases;
    atomic_long arriving; /* bumped by a worker just before each barrier_wait */
    struct tl_failbox fb;
};

static void *bgbusy_worker(void *arg)
{
    struct bgbusy *s = arg;
    for (long k = 0; k < s->phases && !tl_fb_failed(&s->fb); k++) {
        atomic_fetch_add(&s->arriving, 1);
        int rc = barrier_wait(&s->b);
        if (rc != 0 && rc != BARRIER_SERIAL_THREAD) {
            tl_fb_fail(&s->fb, "barrier_wait returned %d", rc);
            return NULL;
        }
    }
    return NULL;
}

static int some_arrived(void *arg)
{
    struct barrier *b = arg;
    pthread_mutex_lock(&b->lock);
    unsigned a = b->arrived;
    pthread_mutex_unlock(&b->lock);
    return a >= 1;
}

TL_TEST(barrier_destroy_busy_while_in_use, 1, 60, "barrier errors")
{
    enum { NW = 3 };
    static struct bgbusy s;
    memset(&s, 0, sizeof s);
    s.fb = (struct tl_failbox)TL_FAILBOX_INIT;
    s.phases = tl_iters(200);
    int rc = barrier_init(&s.b, NW + 1);
    tl_expect_ok(rc, "barrier_init", T4);
    pthread_t t[NW];
    for (int i = 0; i < NW; i++)
        start_thread(&t[i], bgbusy_worker, &s);
    /* Each phase: once a worker has arrived, the phase stays partly filled
     * until this thread arrives too, while the other workers arrive. Every
     * destroy in between must refuse. The destroys go on until every worker
     * is on its way in (an atomic count, which orders nothing about the
     * barrier's own fields), so arrivals land between them: under the race
     * stage an unlocked read of arrived in barrier_destroy is a data race
     * with those arrivals, and is reported. */
    for (long k = 0; k < s.phases && !tl_fb_failed(&s.fb); k++) {
        tl_check(tl_poll_until(some_arrived, &s.b, hang_secs()),
                 "phase %ld: no worker showed up in arrived within %.0f s", k, hang_secs());
        double end = tl_now() + hang_secs();
        for (int i = 0; i < 20 || atomic_load(&s.arriving) < (long)NW * (k + 1); i++) {
            rc = barrier_destroy(&s.b);
            tl_check(rc == EBUSY, "barrier_destroy returned %d (%s) in phase %ld while "
                     "threads were arriving (a phase partly filled); expected EBUSY. "
                     "Contract: EBUSY while a phase is partly filled, nothing destroyed. "
                     "Hint: read arrived under b->lock: arriving threads change it under "
                     "it.", rc, tl_ename(rc), k);
            tl_check(tl_now() < end, "phase %ld: the workers did not all reach barrier_wait "
                     "within %.0f s", k, hang_secs());
            sched_yield();
        }
        rc = barrier_wait(&s.b);
        tl_check(rc == 0 || rc == BARRIER_SERIAL_THREAD, "barrier_wait returned %d", rc);
    }
    int stuck = join_all(t, NW, hang_secs());
    tl_check(stuck == 0, "%d of %d threads stuck in barrier_wait", stuck, NW);
    tl_fb_report(&s.fb);
    tl_expect_ok(barrier_destroy(&s.b), "barrier_destroy after every thread left", T4);
}
