/*
 * test_msg.c - Task 7: a message is released exactly once, by its last
 * holder, and never touched after that. Under AddressSanitizer (the memory
 * stage) the release really frees, so a late look at the count is a
 * heap-use-after-free; in the plain build it only counts, so the test can
 * say how many times a message was released.
 */
#include "cb_test.h"

#define T7 "Task 7 (src/msg.c)"
#define NMSG 3000

#if defined(__SANITIZE_ADDRESS__)
#define REALLY_FREE 1
#else
#define REALLY_FREE 0
#endif

static atomic_int released[NMSG];
static struct msg *msgs[NMSG];

static atomic_int released_again; /* releases of a poisoned message */

static void count_release(struct msg *m)
{
    long i = m->payload;
    if (i >= 0 && i < NMSG)
        atomic_fetch_add(&released[i], 1);
    else
        atomic_fetch_add(&released_again, 1);
    /* Poison it, as a free would: a holder that still reads the payload
     * sees -1, and ThreadSanitizer sees this write race with that read
     * unless the count's memory orders put every holder's reads first. */
    m->payload = -1;
    if (REALLY_FREE)
        free(m);
}

/* Free what the plain build kept (each message once). */
static void free_kept(int n)
{
    if (REALLY_FREE)
        return;
    for (int i = 0; i < n; i++)
        free(msgs[i]);
}

/* ---- two holders, the second unref forced into the first's window ---- */

static __thread int win_armed;
static struct tl_thread other;
static atomic_int in_window, first_done;

/* Let the other holder's whole unref run inside this one's window. */
static void unref_hook(enum cb_site site, void *obj, void *arg)
{
    (void)arg;
    if (site == CB_SITE_MSG_UNREF && win_armed && obj == msgs[0]) {
        double end = tl_now() + hang_secs();
        win_armed = 0;
        atomic_store(&in_window, 1);
        while (tl_now() < end && !atomic_load(&other.done))
            sched_yield();
    }
}

/* The second holder starts its unref only once the first is inside its
 * window (or has finished, if the window is gone). */
static void *second_holder(void *arg)
{
    (void)arg;
    double end = tl_now() + hang_secs();
    while (!atomic_load(&in_window) && !atomic_load(&first_done) && tl_now() < end)
        sched_yield();
    msg_unref(msgs[0]);
    return NULL;
}

TL_TEST(msg_last_unref_releases_once, 5, 30, "msg refcount")
{
    atomic_store(&released[0], 0);
    atomic_store(&released_again, 0);
    msgs[0] = msg_new(0, count_release);
    tl_check(msgs[0] != NULL, "msg_new returned NULL");
    msg_ref(msgs[0]); /* two holders: this thread and `other` */
    tl_check(atomic_load(&msgs[0]->refs) == 2, "after msg_new and msg_ref the count is %d, expected 2",
             atomic_load(&msgs[0]->refs));
    cb_set_window(unref_hook, NULL);
    atomic_store(&in_window, 0);
    atomic_store(&first_done, 0);
    tl_thread_start(&other, second_holder, NULL);
    win_armed = 1;
    msg_unref(msgs[0]);
    win_armed = 0;
    atomic_store(&first_done, 1);
    int done = TL_WAIT_UNTIL(atomic_load(&other.done), hang_secs());
    tl_check(done, "the second holder's msg_unref did not return");
    tl_threads_join(&other, 1);
    cb_set_window(NULL, NULL);
    int r = atomic_load(&released[0]) + atomic_load(&released_again);
    tl_check(r == 1, "two holders each called msg_unref once, the second while the "
             "first was between its decrement and its look at the count: the "
             "message was released %d times, expected exactly once. %s Hint: "
             "handout " T7 ".", r,
             r == 2 ? "Both saw the count at 0: the first looked after the second "
                      "had released it, a use after free." : "");
    free_kept(1);
}

/* ---- many messages, four holders each, all letting go at once -------- */

#define NHOLD 4
static uint64_t msg_seed;
static atomic_int passed[NHOLD];  /* messages each holder has let go of */
static __thread struct tl_rng win_rng;
static __thread int win_me;

/* Now and then a holder lingers in its window until the other holders
 * have let go of the same message (or a few hundred yields passed): the
 * moment a two-step unref gets wrong. */
static void widen_hook(enum cb_site site, void *obj, void *arg)
{
    (void)arg;
    if (site != CB_SITE_MSG_UNREF || tl_rng_below(&win_rng, 4))
        return;
    int i = (int)((struct msg *)obj)->payload;
    for (int k = 0; k < 300; k++) {
        int behind = 0;
        for (int h = 0; h < NHOLD; h++)
            behind |= h != win_me && atomic_load(&passed[h]) <= i;
        if (!behind)
            return;
        sched_yield();
    }
}

static void *holder(void *arg)
{
    int me = (int)(intptr_t)arg;
    win_me = me;
    tl_rng_init(&win_rng, msg_seed + 7 * (uint64_t)me);
    /* All holders walk the messages in the same order, close together. */
    for (int i = 0; i < NMSG && !tl_fb_failed(&fb); i++) {
        if (msgs[i]->payload != i) {
            tl_fb_fail(&fb, "holder %d found message %d's payload changed to %ld "
                       "while it still held a reference: released too early. Hint: "
                       "handout " T7 ".", me, i, msgs[i]->payload);
            return NULL;
        }
        msg_unref(msgs[i]);
        atomic_store(&passed[me], i + 1);
    }
    return NULL;
}

/* How far the holders got: NHOLD * NMSG once every one has returned
 * (also a holder that stopped at a failure, which the failbox reports). */
static long holders_progress(struct tl_thread *w)
{
    if (tl_threads_done(w, NHOLD))
        return (long)NHOLD * NMSG;
    long sum = 0;
    for (int h = 0; h < NHOLD; h++)
        sum += atomic_load(&passed[h]);
    return sum;
}

/* The widening hook yields while it waits for the other holders, which
 * on a loaded machine can take a time slice a yield: the wait below fails
 * only when no holder moved on for hang_secs(), never on slowness. */
TL_TEST(msg_stress_many_holders, 4, 180, "msg refcount stress")
{
    msg_seed = tl_seed();
    for (int h = 0; h < NHOLD; h++)
        atomic_store(&passed[h], 0);
    atomic_store(&released_again, 0);
    for (int i = 0; i < NMSG; i++) {
        atomic_store(&released[i], 0);
        msgs[i] = msg_new(i, count_release);
        tl_check(msgs[i] != NULL, "msg_new returned NULL");
        for (int h = 1; h < NHOLD; h++)
            msg_ref(msgs[i]);
    }
    cb_set_window(widen_hook, NULL);
    struct tl_thread w[NHOLD];
    for (int i = 0; i < NHOLD; i++)
        tl_thread_start(&w[i], holder, (void *)(intptr_t)i);
    int moving = TL_WAIT_PROGRESS(holders_progress(w), (long)NHOLD * NMSG, hang_secs());
    tl_check(moving, "%d holders dropping their references to %d messages: none "
             "moved on for %.0f s (%ld of %d unrefs done): is msg_unref blocking? "
             "Hint: handout " T7 ".", NHOLD, NMSG, hang_secs(), holders_progress(w),
             NHOLD * NMSG);
    tl_threads_join(w, NHOLD);
    cb_set_window(NULL, NULL);
    tl_fb_report(&fb);
    int again = atomic_load(&released_again), never = 0, first = -1;
    for (int i = 0; i < NMSG; i++)
        if (atomic_load(&released[i]) != 1) {
            never++;
            if (first < 0)
                first = i;
        }
    tl_check(!again && !never, "%d holders each dropped their reference to %d "
             "messages at once: %d releases came after the message had been "
             "released already (a use after free), and %d messages were never "
             "released (the first: %d); seed %llu. Exactly one holder, the last, "
             "may release. Hint: handout " T7 ".", NHOLD, NMSG, again, never, first,
             (unsigned long long)msg_seed);
    free_kept(NMSG);
}
