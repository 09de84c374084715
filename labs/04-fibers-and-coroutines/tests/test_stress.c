/*
 * test_stress.c - many coroutines resumed in a random (seeded) order, some
 * from main code and some from inside other coroutines, with the misuse
 * rules checked on the way. Replays with SEED=.
 */
#include "coro_test.h"

#include <stdint.h>

struct sw {
    coro_t *co;
    long id;     /* unique over the whole run */
    long limit;  /* yields before it returns */
    long yields; /* yields seen so far by its resumers */
};

static struct sw *pool;
static long npool, next_id, nested_resumes, misuse_checks;
static struct tl_rng rng;

static void *sw_fn(void *arg, void *in);

static void sw_new(struct sw *s)
{
    s->id = next_id++;
    s->limit = s->id % 7 + 1;
    s->yields = 0;
    CO_CREATE(s->co, sw_fn, s, CORO_MIN_STACK);
}

/* Resume s (suspended) as anyone: main code or a coroutine. */
static void sw_resume(struct sw *s, const char *who)
{
    void *out = NULL;
    errno = 0;
    int rc = coro_resume(s->co, (void *)(intptr_t)s->id, &out);
    if (rc == CORO_YIELDED) {
        tl_check((long)(intptr_t)out == s->id * 1000 + s->yields,
                 "coroutine #%ld yielded %ld to %s; expected %ld (its id * "
                 "1000 + its yield count). Replay with the seed above.", s->id,
                 (long)(intptr_t)out, who, s->id * 1000 + s->yields);
        s->yields++;
    } else {
        tl_check(rc == CORO_RETURNED && s->yields == s->limit &&
                     (long)(intptr_t)out == -s->id,
                 "resuming coroutine #%ld from %s: coro_resume said %s, *out "
                 "%ld, after %ld of its %ld yields; expected CORO_YIELDED, or "
                 "CORO_RETURNED with -%ld after the last.", s->id, who,
                 rname(rc), (long)(intptr_t)out, s->yields, s->limit, s->id);
    }
}

static void *sw_fn(void *arg, void *in)
{
    struct sw *me = arg;
    volatile long local[8];
    for (int i = 0; i < 8; i++)
        local[i] = me->id * 8 + i;
    tl_check((long)(intptr_t)in == me->id, "coroutine #%ld got %ld from its "
             "first resume.", me->id, (long)(intptr_t)in);
    for (long k = 0; k < me->limit; k++) {
        if (tl_rng_below(&rng, 3) == 0) {
            struct sw *o = &pool[tl_rng_below(&rng, (uint64_t)npool)];
            int st = coro_status(o->co);
            if (st == CORO_SUSPENDED) {
                nested_resumes++;
                sw_resume(o, "another coroutine (a nested resume)");
            } else if (st == CORO_RUNNING) {
                EXPECT_ERR(coro_resume(o->co, NULL, NULL), EDEADLK,
                           "a coroutine resuming itself (stress)");
                misuse_checks++;
            } else if (st == CORO_NORMAL) {
                EXPECT_ERR(coro_resume(o->co, NULL, NULL), EBUSY,
                           "a coroutine resuming one of its resumers (stress)");
                misuse_checks++;
            } else {
                EXPECT_ERR(coro_resume(o->co, NULL, NULL), ESRCH,
                           "a coroutine resuming a finished one (stress)");
                misuse_checks++;
            }
        }
        void *got = NULL;
        coro_yield((void *)(intptr_t)(me->id * 1000 + k), &got);
        tl_check((long)(intptr_t)got == me->id, "coroutine #%ld was resumed "
                 "with %ld, expected its id.", me->id, (long)(intptr_t)got);
        for (int i = 0; i < 8; i++)
            tl_check(local[i] == me->id * 8 + i, "coroutine #%ld: a local on "
                     "its stack changed from %ld to %ld across a yield (some "
                     "other coroutine wrote on this stack?).", me->id,
                     me->id * 8 + i, (long)local[i]);
    }
    return (void *)(intptr_t)-me->id;
}

TL_TEST(stress_random_resume_order, 2, 60, "stress nested errors")
{
    tl_rng_init(&rng, tl_seed());
    npool = 64;
    next_id = 1;
    nested_resumes = misuse_checks = 0;
    struct sw slots[64];
    pool = slots;
    for (long i = 0; i < npool; i++)
        sw_new(&pool[i]);
    long ops = tl_iters(20000);
    for (long op = 0; op < ops; op++) {
        struct sw *s = &pool[tl_rng_below(&rng, (uint64_t)npool)];
        int st = coro_status(s->co);
        if (st == CORO_DEAD) {
            CO_DESTROY(s->co);
            sw_new(s);
        } else {
            tl_check(st == CORO_SUSPENDED, "in main code, coroutine #%ld has "
                     "status %s: with no coroutine running, every one is "
                     "CORO_SUSPENDED or CORO_DEAD.", s->id, sname(st));
            sw_resume(s, "main code");
        }
    }
    /* Drain all first: a coroutine drained later may still look at (and
     * try to resume) any slot's coroutine, so none may be freed yet. */
    for (long i = 0; i < npool; i++)
        while (coro_status(pool[i].co) == CORO_SUSPENDED)
            sw_resume(&pool[i], "main code (draining)");
    for (long i = 0; i < npool; i++)
        CO_DESTROY(pool[i].co);
    tl_check(nested_resumes > 0, "no nested resume happened (seeded test bug)");
}
