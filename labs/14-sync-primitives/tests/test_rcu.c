/*
 * test_rcu.c - Task 7, userspace RCU.
 */
#include "sp_test.h"

#define T7 "Task 7 (src/rcu.c)"

static struct sp_rcu rcu;

/* A reader thread that enters a read section and stays until released;
 * on command it queues a callback from inside its section. */
struct holder {
    struct sp_rcu_reader rd;
    atomic_int inside, release, queue_cb, queued;
    struct sp_rcu_head head;
    struct tl_thread t;
};
static atomic_int cb_runs[2];

static void cb_a(struct sp_rcu_head *h) { atomic_fetch_add(&cb_runs[0], 1); }
static void cb_b(struct sp_rcu_head *h) { atomic_fetch_add(&cb_runs[1], 1); }

static void *holder_main(void *arg)
{
    struct holder *h = arg;
    if (sp_rcu_register(&rcu, &h->rd) != 0) {
        tl_fb_fail(&fb, "sp_rcu_register failed. Hint: " T7 ".");
        atomic_store(&h->inside, -1);
        return NULL;
    }
    sp_rcu_read_lock(&rcu, &h->rd);
    atomic_store(&h->inside, 1);
    while (!atomic_load(&h->release)) {
        if (atomic_load(&h->queue_cb) && !atomic_load(&h->queued)) {
            sp_call_rcu(&rcu, &h->head, cb_a);
            atomic_store(&h->queued, 1);
        }
        sched_yield();
    }
    sp_rcu_read_unlock(&rcu, &h->rd);
    atomic_store(&h->inside, 0);
    sp_rcu_unregister(&rcu, &h->rd);
    return NULL;
}

static atomic_int sync_done;
static void *synchronizer(void *arg)
{
    sp_synchronize_rcu(&rcu);
    atomic_store(&sync_done, 1);
    return NULL;
}

/* Start: A inside a read section, S in synchronize_rcu with its new epoch
 * published. */
static void old_reader_and_grace_period(struct holder *a, struct tl_thread *s)
{
    SP_INIT(sp_rcu_init(&rcu), T7);
    tl_check(sp_rcu_init(NULL) == EINVAL && sp_rcu_register(&rcu, NULL) == EINVAL,
             "sp_rcu_init(NULL) and sp_rcu_register(r, NULL) should return EINVAL");
    atomic_store(&sync_done, 0);
    tl_thread_start(&a->t, holder_main, a);
    WAIT_UNTIL(atomic_load(&a->inside) == 1, "a reader thread could not register and enter a "
               "read section. Hint: " T7 ".");
    uint64_t e0 = atomic_load(&rcu.epoch);
    tl_thread_start(s, synchronizer, NULL);
    WAIT_UNTIL(atomic_load(&rcu.epoch) != e0 || atomic_load(&sync_done), "sp_synchronize_rcu "
               "never advanced the epoch (still %llu). Hint: " T7 ", TODO 7.6.",
               (unsigned long long)e0);
}

static void check_still_waiting(const char *when)
{
    for (int i = 0; i < 200; i++)
        sched_yield();
    tl_check(!atomic_load(&sync_done), "sp_synchronize_rcu returned while a reader that entered "
             "its section before the call was still inside (%s): a grace period waits for "
             "every older reader. Hint: " T7 ", TODO 7.6.", when);
}

TL_TEST(rcu_readers_never_block, 3, 30, "rcu")
{
    static struct holder a;
    struct tl_thread s;
    old_reader_and_grace_period(&a, &s);
    static struct sp_rcu_reader b;
    tl_check(sp_rcu_register(&rcu, &b) == 0, "sp_rcu_register failed");
    unsigned long w0 = sp_futex_my_waits(), k0 = sp_futex_my_wakes();
    long n = tl_iters(100000);
    for (long i = 0; i < n; i++) {
        sp_rcu_read_lock(&rcu, &b);
        sp_rcu_read_lock(&rcu, &b);
        sp_rcu_read_unlock(&rcu, &b);
        sp_rcu_read_unlock(&rcu, &b);
    }
    tl_check(sp_futex_my_waits() == w0 && sp_futex_my_wakes() == k0, "%ld nested read sections "
             "made %lu futex waits and %lu wakes: readers never block and never make a system "
             "call. Hint: " T7 ".", n, sp_futex_my_waits() - w0, sp_futex_my_wakes() - k0);
    tl_check(atomic_load(&b.epoch) == 0, "outside its sections a reader's epoch is %llu, "
             "expected 0", (unsigned long long)atomic_load(&b.epoch));
    check_still_waiting("another reader ran 100000 sections meanwhile");
    sp_rcu_unregister(&rcu, &b);
    atomic_store(&a.release, 1);
    WAIT_UNTIL(atomic_load(&sync_done), "the old reader left but sp_synchronize_rcu did not "
               "return. Hint: " T7 ".");
    st_join_all(&s, 1, "the synchronizer is stuck");
    st_join_all(&a.t, 1, "the reader is stuck");
    sp_rcu_destroy(&rcu);
}

TL_TEST(rcu_grace_period_waits_only_for_older_readers, 5, 30, "rcu")
{
    static struct holder a, b;
    struct tl_thread s;
    old_reader_and_grace_period(&a, &s);
    check_still_waiting("it had just started");
    /* b enters after the grace period began: not one to wait for. */
    tl_thread_start(&b.t, holder_main, &b);
    WAIT_UNTIL(atomic_load(&b.inside) == 1, "a new reader could not enter while "
               "sp_synchronize_rcu waited: readers never block. Hint: " T7 ".");
    check_still_waiting("a newer reader had entered");
    atomic_store(&a.release, 1);
    WAIT_UNTIL(atomic_load(&sync_done), "the reader that began before sp_synchronize_rcu left, "
               "but it is still waiting, apparently for a reader that began after it advanced "
               "the epoch (that one is still inside). Hint: " T7 ": wait only for readers whose "
               "published epoch is non-zero and older than the new one.");
    tl_check(atomic_load(&b.inside) == 1, "the newer reader left early");
    atomic_store(&b.release, 1);
    st_join_all(&s, 1, "a thread is stuck");
    st_join_all(&a.t, 1, "a thread is stuck");
    st_join_all(&b.t, 1, "a thread is stuck");
    sp_rcu_destroy(&rcu);
}

TL_TEST(rcu_callbacks_after_grace_period, 3, 30, "rcu")
{
    static struct holder a;
    static struct sp_rcu_head first, more[3];
    struct tl_thread s;
    SP_INIT(sp_rcu_init(&rcu), T7);
    tl_thread_start(&a.t, holder_main, &a);
    WAIT_UNTIL(atomic_load(&a.inside) == 1, "a reader thread could not register and enter a "
               "read section. Hint: " T7 ".");
    sp_call_rcu(&rcu, &first, cb_b);
    tl_check(atomic_load(&cb_runs[1]) == 0, "sp_call_rcu ran its callback at once, before any "
             "grace period. Hint: " T7 ", TODO 7.7.");
    uint64_t e0 = atomic_load(&rcu.epoch);
    atomic_store(&sync_done, 0);
    tl_thread_start(&s, synchronizer, NULL);
    WAIT_UNTIL(atomic_load(&rcu.epoch) != e0 || atomic_load(&sync_done), "sp_synchronize_rcu "
               "never advanced the epoch. Hint: " T7 ", TODO 7.6.");
    /* The reader queues a callback from inside its section while the
     * grace period waits for it: call_rcu must not wait for anything. */
    atomic_store(&a.queue_cb, 1);
    WAIT_UNTIL(atomic_load(&a.queued), "sp_call_rcu, called inside a read section while "
               "sp_synchronize_rcu waited for that section, did not return: call_rcu never "
               "waits, and synchronize_rcu holds no lock while it waits. Hint: " T7 ".");
    for (int i = 0; i < 300 && !atomic_load(&sync_done); i++)
        sched_yield();
    tl_check(atomic_load(&cb_runs[1]) == 0, "a call_rcu callback ran while a reader that was "
             "inside when it was queued still is: callbacks wait for a grace period. Hint: " T7
             ".");
    atomic_store(&a.release, 1);
    WAIT_UNTIL(atomic_load(&sync_done), "sp_synchronize_rcu did not return after the reader "
               "left. Hint: " T7 ".");
    tl_check(atomic_load(&cb_runs[1]) == 1, "when sp_synchronize_rcu returned, the callback "
             "queued before it had run %d times, expected 1. Hint: " T7 ", TODO 7.6.",
             atomic_load(&cb_runs[1]));
    st_join_all(&s, 1, "the synchronizer is stuck");
    st_join_all(&a.t, 1, "the reader is stuck");
    for (int i = 0; i < 3; i++)
        sp_call_rcu(&rcu, &more[i], cb_b);
    sp_rcu_destroy(&rcu);
    tl_check(atomic_load(&cb_runs[1]) == 4 && atomic_load(&cb_runs[0]) == 1, "after "
             "sp_rcu_destroy, the 3 callbacks queued last ran %d times and the one the reader "
             "queued %d times: teardown runs every queued callback exactly once. Hint: " T7
             ", TODO 7.8.", atomic_load(&cb_runs[1]) - 1, atomic_load(&cb_runs[0]));
}

/* ---- readers and an updater that retires nodes ------------------------ */
#define LIVE 0x11feu
#define DEAD 0xdeadu
struct node {
    struct sp_rcu_head head; /* first: a head is a node */
    _Atomic unsigned magic;
    long value; /* plain: set before publication, -1 once reclaimed */
};
static _Atomic(struct node *) current;
static struct node **graveyard;
static atomic_long retired, reads;
static atomic_int updating;

static void retire(struct sp_rcu_head *h)
{
    struct node *n = (struct node *)h;
    atomic_store_explicit(&n->magic, DEAD, memory_order_relaxed);
    n->value = -1; /* a plain write: TSan checks it against the readers' reads */
    graveyard[atomic_fetch_add(&retired, 1)] = n;
}

static void *rcu_reader(void *arg)
{
    struct sp_rcu_reader rd;
    if (sp_rcu_register(&rcu, &rd) != 0)
        return NULL;
    while (atomic_load(&updating) && !tl_fb_failed(&fb)) {
        sp_rcu_read_lock(&rcu, &rd);
        struct node *n = atomic_load_explicit(&current, memory_order_acquire);
        if (n->value < 0)
            tl_fb_fail(&fb, "a reader inside its read section read a node that a call_rcu "
                       "callback had already reclaimed. Hint: " T7 ".");
        for (int i = 0; i < 20; i++) {
            unsigned m = atomic_load_explicit(&n->magic, memory_order_relaxed);
            if (m != LIVE) {
                tl_fb_fail(&fb, "a reader inside its read section found the node it loaded "
                           "already reclaimed (magic %#x, value %ld): a callback ran before "
                           "the grace period ended. Hint: " T7 ".", m, n->value);
                break;
            }
        }
        sp_rcu_read_unlock(&rcu, &rd);
        atomic_fetch_add(&reads, 1);
    }
    sp_rcu_unregister(&rcu, &rd);
    return NULL;
}

TL_TEST(rcu_retired_nodes_outlive_their_readers, 3, 60, "rcu stress")
{
    SP_INIT(sp_rcu_init(&rcu), T7);
    long n = tl_iters(20000);
    graveyard = calloc((size_t)n + 1, sizeof *graveyard);
    struct node *first = calloc(1, sizeof *first);
    tl_check(graveyard && first, "out of memory in the test");
    atomic_store(&first->magic, LIVE);
    atomic_store(&current, first);
    atomic_store(&updating, 1);
    struct tl_thread t[2];
    tl_thread_start(&t[0], rcu_reader, NULL);
    tl_thread_start(&t[1], rcu_reader, NULL);
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    for (long i = 1; i <= n && !tl_fb_failed(&fb); i++) {
        struct node *m = calloc(1, sizeof *m);
        tl_check(m != NULL, "out of memory in the test");
        m->value = i;
        atomic_store_explicit(&m->magic, LIVE, memory_order_relaxed);
        struct node *old = atomic_exchange_explicit(&current, m, memory_order_acq_rel);
        sp_call_rcu(&rcu, &old->head, retire);
        if (tl_rng_below(&r, 16) == 0)
            sp_synchronize_rcu(&rcu);
    }
    atomic_store(&updating, 0);
    st_join_all(t, 2, "a reader is stuck");
    long before = atomic_load(&retired);
    sp_rcu_destroy(&rcu);
    long after = atomic_load(&retired);
    tl_check(after == n, "%ld nodes were retired with call_rcu but %ld callbacks ran (%ld of "
             "them before teardown). Hint: " T7 ".", n, after, before);
    for (long i = 0; i < after; i++)
        free(graveyard[i]);
    free(atomic_load(&current));
    free(graveyard);
}
