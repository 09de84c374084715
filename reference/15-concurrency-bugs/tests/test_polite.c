/*
 * test_polite.c - Task 2: two polite threads under a lockstep scheduler
 * both get their work done (no livelock).
 */
#include "cb_test.h"

#define T2 "Task 2 (src/polite.c)"
/* Steps (of both threads together) with no acquisition before the test
 * calls it a livelock. A correct backoff needs a few dozen. */
#define LIVELOCK_STEPS 20000L

static struct pp pair;

struct side {
    int me;
    long rounds;
};

static void *side_main(void *arg)
{
    struct side *s = arg;
    for (long k = 0; k < s->rounds && !tl_fb_failed(&fb); k++) {
        long before = atomic_load(&pair.steps[s->me]);
        polite_acquire(&pair, s->me);
        long took = atomic_load(&pair.steps[s->me]) - before;
        if (atomic_load(&pair.fork[0]) != s->me + 1 || atomic_load(&pair.fork[1]) != s->me + 1)
            tl_fb_fail(&fb, "polite_acquire(me = %d) returned while fork 0 is held "
                       "by %d and fork 1 by %d (0: nobody; 1: thread 0; 2: thread 1). "
                       "It must return holding both. Hint: handout " T2 ".",
                       s->me, atomic_load(&pair.fork[0]), atomic_load(&pair.fork[1]));
        else if (took > LIVELOCK_STEPS / 4)
            tl_fb_fail(&fb, "polite_acquire(me = %d) took %ld of its own steps: a "
                       "call must return within a bounded number. Hint: handout " T2 ".",
                       s->me, took);
        atomic_fetch_add(&pair.acquired[s->me], 1);
        pp_pause(&pair, s->me, 1); /* the work, holding both forks */
        polite_release(&pair, s->me);
    }
    pp_end(&pair, s->me);
    return NULL;
}

TL_TEST(polite_pair_makes_progress, 6, 60, "polite livelock")
{
    pp_init(&pair, tl_seed());
    pp_begin(&pair, 0);
    pp_begin(&pair, 1);
    struct side s[2] = {{0, tl_iters(300)}, {1, tl_iters(300)}};
    struct tl_thread w[2];
    for (int i = 0; i < 2; i++)
        tl_thread_start(&w[i], side_main, &s[i]);
    long last_acq = 0, steps_at_acq = 0, last_steps = 0;
    double stalled_since = tl_now();
    while (!tl_threads_done(w, 2)) {
        long acq = atomic_load(&pair.acquired[0]) + atomic_load(&pair.acquired[1]);
        long steps = atomic_load(&pair.steps[0]) + atomic_load(&pair.steps[1]);
        if (acq != last_acq) {
            last_acq = acq;
            steps_at_acq = steps;
        }
        tl_check(steps - steps_at_acq < LIVELOCK_STEPS, "livelock: the two threads "
                 "took %ld steps (thread 0: %ld, thread 1: %ld) since the last "
                 "acquisition, and %ld acquisitions in all: both keep taking their "
                 "own fork, finding the other's taken, putting theirs down and "
                 "waiting, in step with each other. Busy, polite, and going "
                 "nowhere. Hint: handout " T2 ".", steps - steps_at_acq,
                 atomic_load(&pair.steps[0]), atomic_load(&pair.steps[1]), acq);
        if (steps != last_steps) {
            last_steps = steps;
            stalled_since = tl_now();
        }
        tl_check(tl_now() - stalled_since < hang_secs(), "the polite pair took no "
                 "step for %.0f s (after %ld acquisitions): a thread is stuck "
                 "outside the stepper. Hint: handout " T2 ".", hang_secs(), acq);
        sched_yield();
    }
    tl_threads_join(w, 2);
    tl_fb_report(&fb);
    long acq = atomic_load(&pair.acquired[0]) + atomic_load(&pair.acquired[1]);
    tl_check(acq == s[0].rounds + s[1].rounds, "%ld acquisitions, expected %ld",
             acq, s[0].rounds + s[1].rounds);
}
