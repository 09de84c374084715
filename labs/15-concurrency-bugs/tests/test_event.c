/*
 * test_event.c - Task 5: event_set wakes a thread in event_wait, however
 * late the waiter is between reading `set` and falling asleep.
 *
 * tl_delay_waits makes every pthread_cond_wait of the waiter spin first,
 * holding its mutex, as if the kernel preempted it right after it read
 * set == 0. The test sets the event while the waiter sits in that gap: a
 * setter that takes the mutex waits the gap out; one that does not lands
 * in it, and its wakeup finds nobody asleep yet.
 */
#include "cb_test.h"

#define T5 "Task 5 (src/event.c)"
#define GAP_NS 400000000L /* 0.4 s between the waiter's read and its sleep */

static struct event ev;

static void *waiter(void *arg)
{
    (void)arg;
    event_wait(&ev);
    return NULL;
}

TL_TEST(event_set_wakes_sleeper, 5, 30, "event lostwakeup")
{
    event_init(&ev);
    tl_delay_waits(GAP_NS, TL_DELAY_OTHERS); /* the waiter's waits, not this thread's */
    struct tl_thread w;
    tl_thread_start(&w, waiter, NULL);
    /* Wait until the waiter holds the mutex (it is reading `set` or in the
     * gap), then give it a moment to reach the gap. */
    double end = tl_now() + hang_secs();
    int busy = 0;
    while (!busy && !atomic_load(&w.done) && tl_now() < end) {
        int rc = pthread_mutex_trylock(&ev.lock);
        if (rc == 0)
            pthread_mutex_unlock(&ev.lock);
        busy = rc == EBUSY;
        sched_yield();
    }
    tl_check(!atomic_load(&w.done), "event_wait returned before the event was set");
    tl_check(busy, "the waiter never took the event's mutex in %.0f s", hang_secs());
    pause_ms(40);
    double set_at = tl_now();
    event_set(&ev);
    double limit = (double)GAP_NS * 1e-9 + hang_secs();
    int woke = TL_WAIT_UNTIL(atomic_load(&w.done), limit);
    tl_delay_waits(0, 0);
    tl_check(woke, "lost wakeup: event_wait is still asleep %.1f s after event_set "
             "returned. The waiter had read set == 0 and was on its way to sleep "
             "when event_set changed set and signalled: the signal found nobody "
             "waiting, and nothing will signal again. Hint: handout " T5 ".",
             tl_now() - set_at);
    tl_threads_join(&w, 1);
    /* Set already: a later wait returns at once, on this thread too. */
    event_wait(&ev);
    event_destroy(&ev);
}
