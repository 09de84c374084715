/*
 * test_rwlock.c - Task 4, the writer-preferring reader-writer lock.
 */
#include "sp_test.h"

#define T4 "Task 4 (src/sem.c)"

static struct sp_rwlock rw;
static atomic_int readers_in, writers_in;

/* An actor takes the lock (read or write), says so, holds it until the
 * test lets it go, and leaves. */
struct actor {
    int write;
    atomic_int inside, release, order;
    struct tl_thread t;
};
static atomic_int entries; /* order of entry, 1-based */

static void *actor_main(void *arg)
{
    struct actor *a = arg;
    if (a->write)
        sp_rwlock_wrlock(&rw);
    else
        sp_rwlock_rdlock(&rw);
    atomic_store(&a->order, atomic_fetch_add(&entries, 1) + 1);
    int bad;
    if (a->write)
        bad = atomic_fetch_add(&writers_in, 1) != 0 || atomic_load(&readers_in) != 0;
    else
        bad = (atomic_fetch_add(&readers_in, 1), atomic_load(&writers_in) != 0);
    if (bad)
        tl_fb_fail(&fb, "a %s entered while %d reader(s) and %d writer(s) were inside. Hint: "
                   T4 ".", a->write ? "writer" : "reader", atomic_load(&readers_in) - !a->write,
                   atomic_load(&writers_in) - a->write);
    atomic_store(&a->inside, 1);
    while (!atomic_load(&a->release))
        sched_yield();
    atomic_store(&a->inside, 0);
    atomic_fetch_sub(a->write ? &writers_in : &readers_in, 1);
    if (a->write)
        sp_rwlock_wrunlock(&rw);
    else
        sp_rwlock_rdunlock(&rw);
    return NULL;
}

static void actor_go(struct actor *a, int write)
{
    a->write = write;
    atomic_store(&a->inside, 0);
    atomic_store(&a->release, 0);
    atomic_store(&a->order, 0);
    tl_thread_start(&a->t, actor_main, a);
}

/* Wait until `sleepers` threads sleep in the futex wrapper, or a has got
 * in; fail (with `why`) if it got in. */
static void expect_blocked(struct actor *a, long sleepers, const char *why)
{
    WAIT_UNTIL(sleeping() == sleepers || atomic_load(&a->inside), "a %s should sleep here "
               "(%ld thread(s) asleep, expected %ld)", a->write ? "writer" : "reader",
               sleeping(), sleepers);
    tl_fb_report(&fb);
    tl_check(!atomic_load(&a->inside), "%s. Hint: " T4 ".", why);
}

/* Every actor has been released: join them. */
static void join_actors(struct actor **as, int n)
{
    for (int i = 0; i < n; i++)
        st_join_all(&as[i]->t, 1, "an actor is stuck in the rwlock");
}

TL_TEST(rwlock_readers_share_writers_exclude, 4, 30, "rwlock")
{
    SP_INIT(sp_rwlock_init(&rw), T4);
    tl_check(sp_rwlock_init(NULL) == EINVAL, "sp_rwlock_init(NULL) should return EINVAL");
    static struct actor r1, r2, w, r3;
    actor_go(&r1, 0);
    actor_go(&r2, 0);
    WAIT_UNTIL(atomic_load(&r1.inside) && atomic_load(&r2.inside), "two readers should hold "
               "the lock together (inside: %d and %d). Hint: " T4 ".", atomic_load(&r1.inside),
               atomic_load(&r2.inside));
    actor_go(&w, 1);
    expect_blocked(&w, 1, "a writer got the lock while two readers held it");
    atomic_store(&r1.release, 1);
    atomic_store(&r2.release, 1);
    WAIT_UNTIL(atomic_load(&w.inside), "both readers left but the waiting writer never got the "
               "lock (%ld asleep): the last reader out must wake it. Hint: " T4 ".",
               sleeping());
    actor_go(&r3, 0);
    expect_blocked(&r3, 1, "a reader got the lock while a writer held it");
    atomic_store(&w.release, 1);
    WAIT_UNTIL(atomic_load(&r3.inside), "the writer left but the waiting reader never got the "
               "lock. Hint: " T4 ": the writer's unlock wakes the readers.");
    atomic_store(&r3.release, 1);
    struct actor *all[] = {&r1, &r2, &w, &r3};
    join_actors(all, 4);
}

TL_TEST(rwlock_writer_goes_before_new_readers, 3, 30, "rwlock")
{
    SP_INIT(sp_rwlock_init(&rw), T4);
    static struct actor r1, w, r2;
    actor_go(&r1, 0);
    WAIT_UNTIL(atomic_load(&r1.inside), "a reader could not take a free lock. Hint: " T4 ".");
    actor_go(&w, 1);
    expect_blocked(&w, 1, "a writer got the lock while a reader held it");
    actor_go(&r2, 0);
    expect_blocked(&r2, 2, "a new reader got the lock while a writer was waiting: this lock "
                   "prefers writers (else a stream of readers starves them); readers wait "
                   "while writers_waiting > 0");
    atomic_store(&r1.release, 1);
    WAIT_UNTIL(atomic_load(&w.inside) || atomic_load(&r2.inside), "the reader left but nobody "
               "got the lock. Hint: " T4 ".");
    tl_check(atomic_load(&w.inside), "the waiting writer should go before the reader that came "
             "after it. Hint: " T4 ".");
    atomic_store(&w.release, 1);
    WAIT_UNTIL(atomic_load(&r2.inside), "the writer left but the waiting reader never got the "
               "lock. Hint: " T4 ".");
    atomic_store(&r2.release, 1);
    struct actor *all[] = {&r1, &w, &r2};
    join_actors(all, 3);
}

/* ---- a mix under stress ----------------------------------------------- */
static long shared_a, shared_b; /* written under the write lock, a == b outside */
static atomic_long rw_ops;
static long rw_per;
static uint64_t rw_seed; /* tl_seed() of the test thread (it is not for workers) */

static void *rw_mixer(void *arg)
{
    struct tl_rng r;
    tl_rng_init(&r, (uint64_t)(uintptr_t)arg * 7919 + rw_seed);
    for (long i = 0; i < rw_per && !tl_fb_failed(&fb); i++) {
        if (tl_rng_below(&r, 5) == 0) {
            sp_rwlock_wrlock(&rw);
            /* relaxed: the counters order nothing; TSan judges the lock alone */
            if (atomic_fetch_add_explicit(&writers_in, 1, memory_order_relaxed) ||
                atomic_load_explicit(&readers_in, memory_order_relaxed))
                tl_fb_fail(&fb, "a writer entered while others were inside. Hint: " T4 ".");
            shared_a++;
            busy_work(100);
            shared_b++;
            atomic_fetch_sub_explicit(&writers_in, 1, memory_order_relaxed);
            sp_rwlock_wrunlock(&rw);
        } else {
            sp_rwlock_rdlock(&rw);
            atomic_fetch_add_explicit(&readers_in, 1, memory_order_relaxed);
            if (atomic_load_explicit(&writers_in, memory_order_relaxed) || shared_a != shared_b)
                tl_fb_fail(&fb, "a reader saw a writer inside (a=%ld b=%ld). Hint: " T4 ".",
                           shared_a, shared_b);
            atomic_fetch_sub_explicit(&readers_in, 1, memory_order_relaxed);
            sp_rwlock_rdunlock(&rw);
        }
        atomic_fetch_add(&rw_ops, 1);
    }
    return NULL;
}

TL_TEST(rwlock_mix_under_stress, 3, 60, "rwlock stress")
{
    SP_INIT(sp_rwlock_init(&rw), T4);
    rw_per = tl_iters(20000);
    rw_seed = tl_seed();
    struct tl_thread t[4];
    for (int i = 0; i < 4; i++)
        tl_thread_start(&t[i], rw_mixer, (void *)(uintptr_t)(i + 1));
    WAIT_PROGRESS(atomic_load(&rw_ops), 4 * rw_per, "readers and writers stopped after %ld of "
                  "%ld operations with %ld asleep. Hint: " T4 ".", (long)atomic_load(&rw_ops),
                  4 * rw_per, sleeping());
    st_join_all(t, 4, "stuck in the rwlock");
}
