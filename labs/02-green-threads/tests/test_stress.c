/*
 * test_stress.c - random spawn/yield/join patterns, two schedulers on two
 * kernel threads, and the switch-cost figure for the perf stage.
 */
#include "gt_test.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ */
/* Random trees of threads                                            */
/* ------------------------------------------------------------------ */

enum { MAXKIDS = 8, MAXDEPTH = 4 };

struct node {
    uint64_t seed;
    int depth;
    long token;            /* unique, returned by the thread */
};

enum { ST_BUDGET = 4000, ST_ROOTS = 32 };
/* Static pools, not malloc: a failing check must not look like a leak to
 * the memory stage. A node's slot is its token. */
static long st_budget, st_spawned, st_ran, st_joined, st_next_token;
static unsigned char st_seen[ST_BUDGET + ST_ROOTS];
static struct node st_nodes[ST_BUDGET + ST_ROOTS];

static void *st_worker(void *p)
{
    struct node *me = p;
    struct tl_rng rng;
    tl_rng_init(&rng, me->seed);
    st_ran++;
    gt_t kids[MAXKIDS];
    long ktok[MAXKIDS];
    int nk = 0;
    int steps = (int)tl_rng_below(&rng, 12);
    for (int s = 0; s < steps; s++) {
        switch (tl_rng_below(&rng, 4)) {
        case 0:
        case 1:
            gt_yield();
            break;
        case 2:
            if (nk < MAXKIDS && me->depth < MAXDEPTH && st_budget > 0) {
                st_budget--;
                struct node *c = &st_nodes[st_next_token];
                c->seed = tl_rng_next(&rng);
                c->depth = me->depth + 1;
                c->token = st_next_token++;
                gt_t id = gt_spawn(st_worker, c, tl_rng_below(&rng, 2) ? 0 : GT_MIN_STACK);
                tl_check(id > 0, "gt_spawn failed in the stress test (errno %d: %s)",
                         errno, strerror(errno));
                st_spawned++;
                kids[nk] = id;
                ktok[nk] = c->token;
                nk++;
            }
            break;
        case 3:
            if (nk > 0) {
                int k = (int)tl_rng_below(&rng, (uint64_t)nk);
                void *r = NULL;
                int rc = gt_join(kids[k], &r);
                tl_check(rc == 0 && (long)(intptr_t)r == ktok[k],
                         "stress: gt_join(%d) returned %d (errno %d) with retval "
                         "%ld, expected 0 and %ld.", kids[k], rc, errno,
                         (long)(intptr_t)r, ktok[k]);
                st_joined++;
                kids[k] = kids[nk - 1];
                ktok[k] = ktok[nk - 1];
                nk--;
            }
            break;
        }
    }
    for (int k = 0; k < nk; k++) {
        void *r = NULL;
        int rc = gt_join(kids[k], &r);
        tl_check(rc == 0 && (long)(intptr_t)r == ktok[k],
                 "stress: gt_join(%d) returned %d (errno %d) with retval %ld, "
                 "expected 0 and %ld.", kids[k], rc, errno, (long)(intptr_t)r,
                 ktok[k]);
        st_joined++;
    }
    tl_check(st_seen[me->token] == 0, "stress: thread with token %ld ran twice",
             me->token);
    st_seen[me->token] = 1;
    return (void *)(intptr_t)me->token;
}

TL_TEST(stress_random_spawn_yield_join, 3, 30, "stress replay")
{
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    st_budget = tl_iters(ST_BUDGET);
    st_spawned = st_ran = st_joined = 0;
    st_next_token = 0;
    memset(st_seen, 0, sizeof st_seen);
    GT_START();
    gt_t ids[ST_ROOTS];
    struct node *roots[ST_ROOTS];
    for (int i = 0; i < ST_ROOTS; i++) {
        struct node *n = roots[i] = &st_nodes[st_next_token];
        n->seed = tl_rng_next(&rng);
        n->depth = 0;
        n->token = st_next_token++;
        GT_SPAWN(ids[i], st_worker, n, 0);
        st_spawned++;
        if (tl_rng_below(&rng, 3) == 0)
            gt_yield();
    }
    for (int i = 0; i < ST_ROOTS; i++) {
        void *r = NULL;
        GT_JOIN(ids[i], &r);
        st_joined++;
        tl_check((long)(intptr_t)r == roots[i]->token, "stress: root %d returned "
                 "%ld, expected %ld", i, (long)(intptr_t)r, roots[i]->token);
    }
    GT_STOP();
    tl_check(st_spawned == st_ran && st_ran == st_joined,
             "stress: %ld threads spawned, %ld ran, %ld joined: every spawned "
             "thread must run exactly once and be joined exactly once (replay "
             "with the seed printed above).", st_spawned, st_ran, st_joined);
    for (long i = 0; i < st_next_token; i++)
        tl_check(st_seen[i] == 1, "stress: thread with token %ld never finished", i);
}

/* ------------------------------------------------------------------ */
/* Two kernel threads, two independent schedulers                     */
/* ------------------------------------------------------------------ */

enum { TS_THREADS = 8, TS_ROUNDS = 10 };

struct ts_sched {
    int log[TS_THREADS * TS_ROUNDS];
    int n;
    int init_rc, init_err, fini_rc, first_id;
    int ok_self;
};

static void *ts_green(void *p)
{
    struct ts_sched *s = p;
    gt_t me = gt_self();
    for (int r = 0; r < TS_ROUNDS; r++) {
        s->log[s->n++] = me;
        gt_yield();
    }
    return NULL;
}

static void *ts_kernel(void *p)
{
    struct ts_sched *s = p;
    s->init_rc = gt_init();
    s->init_err = errno;
    if (s->init_rc != 0)
        return NULL;
    gt_t ids[TS_THREADS];
    for (int i = 0; i < TS_THREADS; i++) {
        ids[i] = gt_spawn(ts_green, s, GT_MIN_STACK);
        if (i == 0)
            s->first_id = ids[0];
    }
    for (int i = 0; i < TS_THREADS; i++)
        gt_join(ids[i], NULL);
    s->ok_self = gt_self() == 1;
    s->fini_rc = gt_fini();
    return NULL;
}

TL_TEST(two_schedulers_in_two_pthreads, 1, 20, "tls")
{
    struct ts_sched s[2];
    memset(s, 0, sizeof s);
    pthread_t k[2];
    for (int i = 0; i < 2; i++)
        tl_check(pthread_create(&k[i], NULL, ts_kernel, &s[i]) == 0, "pthread_create");
    for (int i = 0; i < 2; i++)
        pthread_join(k[i], NULL);
    tl_check(gt_self() == 0, "gt_self() on the test's own kernel thread, which "
             "never called gt_init, returned %d: the scheduler must be "
             "thread-local (__thread).", gt_self());
    for (int i = 0; i < 2; i++) {
        tl_check(s[i].init_rc == 0, "gt_init on kernel thread %d failed (errno "
                 "%d: %s): each kernel thread gets its own scheduler (a __thread "
                 "pointer), so two may exist at once. Hint: Task 4.1.", i,
                 s[i].init_err, strerror(s[i].init_err));
        tl_check(s[i].first_id == 2, "the first spawn on kernel thread %d got id "
                 "%d; each scheduler numbers its own threads from 2.", i,
                 s[i].first_id);
        tl_check(s[i].n == TS_THREADS * TS_ROUNDS, "kernel thread %d logged %d "
                 "turns, expected %d.", i, s[i].n, TS_THREADS * TS_ROUNDS);
        for (int j = 0; j < s[i].n; j++)
            tl_check(s[i].log[j] == 2 + j % TS_THREADS,
                     "kernel thread %d: turn %d went to green thread %d, expected "
                     "%d (round-robin, each scheduler on its own).", i, j,
                     s[i].log[j], 2 + j % TS_THREADS);
        tl_check(s[i].ok_self && s[i].fini_rc == 0, "kernel thread %d: gt_self "
                 "after the joins was not 1, or gt_fini failed.", i);
    }
}

/* ------------------------------------------------------------------ */
/* Switch cost: fixed work, a figure for the perf stage               */
/* ------------------------------------------------------------------ */

static long pp_n;
static int pp_turn, pp_bad;

static void *pp_worker(void *p)
{
    int me = (int)(intptr_t)p;
    for (long i = 0; i < pp_n; i++) {
        if (pp_turn != me)
            pp_bad++;
        pp_turn = !me;
        gt_yield();
    }
    return NULL;
}

TL_TEST(perf_switch, 0, 30, "perf")
{
    pp_n = tl_iters(300000);
    pp_turn = 0;
    pp_bad = 0;
    GT_START();
    gt_t a, b;
    GT_SPAWN(a, pp_worker, (void *)0, 0);
    GT_SPAWN(b, pp_worker, (void *)1, 0);
    double t0 = tl_now();
    GT_JOIN(a, NULL);
    GT_JOIN(b, NULL);
    double dt = tl_now() - t0;
    GT_STOP();
    tl_check(pp_bad == 0, "two threads yielding to each other did not strictly "
             "alternate (%d of %ld turns out of order).", pp_bad, 2 * pp_n);
    tl_metric((double)(2 * pp_n) / (dt > 0 ? dt : 1e-9));
}
