/*
 * test_deque.c - the Chase-Lev deque on its own, before any scheduler
 * (handout Task 1): order, growth, and every item taken exactly once while
 * thieves steal.
 */
#include "ws_test.h"

/* Items are ids, as pointers that are never NULL or WS_ABORT. */
#define ITEM(id) ((void *)(uintptr_t)((id) + 2))
#define ID(x) ((long)(uintptr_t)(x) - 2)

TL_TEST(deque_lifo_and_fifo, 5, 20, "deque")
{
    struct ws_deque *d;
    WS_NEW_DEQUE(d, 3);
    tl_check(ws_deque_pop(d) == NULL, "ws_deque_pop on a new, empty deque "
             "returned %p, expected NULL. Hint: Task 1.3 (t > b: empty).", ws_deque_pop(d));
    void *s = ws_deque_steal(d);
    tl_check(s == WS_EMPTY, "ws_deque_steal on a new, empty deque returned %p, "
             "expected WS_EMPTY. Hint: Task 1.6.", s);
    tl_expect_rc(ws_deque_push(d, NULL), EINVAL, "ws_deque_push(d, NULL)",
                 "NULL is how pop says empty, so it cannot be an item (Task 1.2).");
    for (long i = 0; i < 6; i++)
        tl_expect_ok(ws_deque_push(d, ITEM(i)), "ws_deque_push", "Task 1.2");
    tl_check(ws_deque_size(d) == 6, "after 6 pushes ws_deque_size is %ld, expected 6 "
             "(bottom - top). Hint: push stores bottom = b + 1 (Task 1.2).", ws_deque_size(d));
    long p1 = ID(ws_deque_pop(d)), p2 = ID(ws_deque_pop(d));
    tl_check(p1 == 5 && p2 == 4, "pushed items 0..5, then two pops returned %ld and %ld: "
             "pop takes from the bottom, newest first (LIFO), expected 5 then 4. Hint: "
             "Task 1.3.", p1, p2);
    long s1 = ID(ws_deque_steal(d)), s2 = ID(ws_deque_steal(d));
    tl_check(s1 == 0 && s2 == 1, "after pushes 0..5 and two pops, two steals returned "
             "%ld and %ld: steal takes from the top, oldest first (FIFO), expected 0 then "
             "1. Hint: Task 1.6.", s1, s2);
    long p3 = ID(ws_deque_pop(d)), p4 = ID(ws_deque_pop(d));
    tl_check(p3 == 3 && p4 == 2, "the two items left were 2 and 3; pops returned %ld "
             "and %ld, expected 3 then 2 (the last one through the CAS on top). Hint: "
             "Task 1.3.", p3, p4);
    void *e = ws_deque_pop(d);
    tl_check(e == NULL, "pop on a deque emptied by pops and steals returned %p, "
             "expected NULL. Hint: Task 1.3 (t > b: restore bottom, return NULL).", e);
    e = ws_deque_steal(d);
    tl_check(e == WS_EMPTY, "steal on an emptied deque returned %p, expected WS_EMPTY",
             e);
    tl_expect_ok(ws_deque_push(d, ITEM(7)), "ws_deque_push after emptying", "Task 1.3");
    long s3 = ID(ws_deque_steal(d));
    tl_check(s3 == 7, "push 7 on an emptied deque, then steal: got %ld. An empty pop "
             "must leave bottom where it was (b + 1). Hint: Task 1.3.", s3);
    ws_deque_free(d);
}

TL_TEST(deque_grows_and_keeps_order, 5, 30, "deque grow")
{
    struct ws_deque *d;
    WS_NEW_DEQUE(d, 0);
    tl_check(ws_deque_capacity(d) == 1, "ws_deque_new(0) has capacity %ld, expected "
             "2^0 = 1. Hint: Task 1.1.", ws_deque_capacity(d));
    /* Fill, steal some (top moves past 0), fill again: each growth copies a
     * range [top, bottom) that does not start at slot 0 of the array. */
    long next = 0, first = 0;
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 700; i++, next++)
            tl_expect_ok(ws_deque_push(d, ITEM(next)), "ws_deque_push", "Tasks 1.2, 1.4");
        for (int i = 0; i < 333; i++, first++) {
            void *x = ws_deque_steal(d);
            tl_check(x != WS_EMPTY && x != WS_ABORT && ID(x) == first,
                     "round %d: steal number %ld returned %ld (%p), expected item %ld: "
                     "growth lost or moved items. The new array must hold items [top, "
                     "bottom) at the same indices (slot i & mask). Hint: Task 1.4.",
                     round, first, x == WS_EMPTY || x == WS_ABORT ? -1L : ID(x), x, first);
        }
    }
    long cap = ws_deque_capacity(d);
    tl_check(cap >= next - first && (cap & (cap - 1)) == 0,
             "holding %ld items the capacity is %ld: it must be a power of two at least "
             "the number of items. Hint: Task 1.4 (double).", next - first, cap);
    for (long want = next - 1; want >= first; want--) {
        void *x = ws_deque_pop(d);
        tl_check(x != NULL && ID(x) == want, "popping everything back after growth: "
                 "got %ld (%p), expected item %ld (newest first). Hint: Task 1.4.",
                 x ? ID(x) : -1L, x, want);
    }
    tl_check(ws_deque_pop(d) == NULL, "the deque should be empty after popping all");
    ws_deque_free(d);
}

/* ------------------------------------------------------------------ */
/* One owner, several thieves: a count per item and per taker          */
/* ------------------------------------------------------------------ */

/* Each taker (0: the owner, 1..3: thieves) counts what it takes in its own
 * array with plain stores, summed after the join: no locked instruction
 * between two pops of the owner, since one (a fetch_add, say) would drain
 * the store buffer and hide exactly the reordering the fence in pop is for. */
#define MAXTAKERS 4
static struct ws_deque *_Atomic shared_dq;
static unsigned char *cnt[MAXTAKERS];
static long nitems;
static atomic_int stop_thieves;
static atomic_long stolen;

static int out_of_range(long id, const char *who)
{
    if (id >= 0 && id < nitems)
        return 0;
    tl_fb_fail(&fb, "%s returned an item that was never pushed (%ld; pushed ids are "
               "0..%ld): a stale or uninitialised slot. Hint: Tasks 1.3, 1.4.", who, id,
               nitems - 1);
    return 1;
}

static void *thief(void *arg)
{
    unsigned char *c = cnt[(long)arg + 1];
    long n = 0;
    while (!atomic_load_explicit(&stop_thieves, memory_order_relaxed)) {
        void *x = ws_deque_steal(atomic_load(&shared_dq));
        if (x == WS_EMPTY || x == WS_ABORT)
            continue;
        if (out_of_range(ID(x), "ws_deque_steal"))
            break;
        c[ID(x)]++;
        n++;
    }
    atomic_fetch_add(&stolen, n);
    return NULL;
}

static void setup(long n, unsigned logc, int nthieves)
{
    nitems = n;
    for (int i = 0; i <= nthieves; i++) {
        cnt[i] = calloc((size_t)n, 1);
        tl_check(cnt[i] != NULL, "out of memory for the test's own count arrays");
    }
    struct ws_deque *d;
    WS_NEW_DEQUE(d, logc);
    atomic_store(&shared_dq, d);
    atomic_store(&stop_thieves, 0);
    atomic_store(&stolen, 0);
}

/* The owner pops everything it can, counting with plain stores. */
static void pop_all(struct ws_deque *d)
{
    void *x;
    while ((x = ws_deque_pop(d)) != NULL) {
        if (out_of_range(ID(x), "ws_deque_pop"))
            return;
        cnt[0][ID(x)]++;
    }
}

static void finish(pthread_t *th, int nthieves, const char *task)
{
    struct ws_deque *d = atomic_load(&shared_dq);
    /* the owner is done: let the thieves drain what is left, then stop */
    double end = tl_now() + 60.0 * (double)tl_slow();
    while (ws_deque_size(d) > 0 && !tl_fb_failed(&fb) && tl_now() < end)
        sched_yield();
    atomic_store(&stop_thieves, 1);
    join_threads(th, nthieves);
    tl_fb_report(&fb);
    pop_all(d);
    tl_fb_report(&fb);
    long twice = 0, lost = 0, first_twice = -1, first_lost = -1;
    for (long i = 0; i < nitems; i++) {
        int sum = 0;
        for (int k = 0; k <= nthieves; k++)
            sum += cnt[k][i];
        if (sum > 1 && twice++ == 0)
            first_twice = i;
        if (sum == 0 && lost++ == 0)
            first_lost = i;
    }
    long st = atomic_load(&stolen);
    for (int k = 0; k <= nthieves; k++)
        free(cnt[k]);
    ws_deque_free(d);
    tl_check(twice == 0, "of %ld items (%ld stolen), %ld were taken twice (the first: item "
             "%ld), and %ld lost: a pop and a steal, or two steals, both got one item. "
             "The last items are settled by the CAS on top, and pop must make its claim "
             "(the store of bottom) visible before it reads top: the seq_cst fence between "
             "them (Task 1.3), matched by the one between the two loads in steal (Task 1.6).",
             nitems, st, twice, first_twice, lost);
    tl_check(lost == 0, "of %ld items (%ld stolen), %ld were pushed but never returned by "
             "a pop or a steal (the first: item %ld). %s", nitems, st, lost, first_lost, task);
}

TL_TEST(deque_owner_vs_thieves, 8, 120, "deque stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    setup(tl_iters(3000000), 0, 3);
    pthread_t th[3];
    start_threads(th, 3, thief);
    struct ws_deque *d = atomic_load(&shared_dq);
    long next = 0;
    while (next < nitems && !tl_fb_failed(&fb)) {
        /* a burst of pushes (now and then a long one: growth under
         * steal), then some pops */
        long k = (long)tl_rng_below(&r, tl_rng_below(&r, 16) == 0 ? 400 : 8) + 1;
        for (long i = 0; i < k && next < nitems; i++, next++) {
            int rc = ws_deque_push(d, ITEM(next));
            if (rc) {
                tl_fb_fail(&fb, "ws_deque_push returned %d (%s). Hint: Task 1.2.", rc,
                           tl_ename(rc));
                break;
            }
        }
        long pops = (long)tl_rng_below(&r, (uint64_t)k + 2);
        for (long i = 0; i < pops; i++) {
            void *x = ws_deque_pop(d);
            if (!x)
                break;
            if (out_of_range(ID(x), "ws_deque_pop"))
                break;
            cnt[0][ID(x)]++;
        }
    }
    finish(th, 3, "Hint: Tasks 1.2-1.6; a lost item is often a pop that found the "
           "deque empty but did not restore bottom, or growth that copied the wrong range.");
}

/* The last items: the owner pushes a few (1 to 16) and pops them back in a
 * tight loop while two thieves steal without pause, so pops and steals
 * meet on the last items in every round. A pop without the seq_cst fence
 * reads top while its store of bottom still waits in the store buffer (the
 * one reordering x86 makes); consecutive pops then claim items the thieves
 * still see as theirs.
 *
 * Thieves seldom win here (the owner takes back almost everything), and on
 * a loaded machine they run beside the owner only now and then. So the
 * test runs until the thieves have stolen a fixed number of items, however
 * many rounds that takes: item ids grow without end and are counted in a
 * ring of RING slots per taker. Every HALF items the owner empties the
 * deque, bumps `epoch` and waits until each thief has finished a steal it
 * began after the bump (ack), so no count of the finished half is still on
 * its way: then it checks that half and clears it for reuse. */
#define LAST_HINT                                                             \
    "A pop and a steal both got the last items: pop must make its claim (the "  \
    "store of bottom) visible before it reads top, with a seq_cst fence between " \
    "them (Task 1.3), matched by the one between the two loads in steal (Task "  \
    "1.6); on one item, pop must win it by a CAS on top. A lost item follows: "  \
    "top passed bottom."
#define RING (1L << 20)
#define HALF (RING / 2)
static atomic_long epoch, ack[MAXTAKERS];

static void *ring_thief(void *arg)
{
    long me = (long)arg + 1;
    unsigned char *c = cnt[me];
    long n = 0;
    while (!atomic_load_explicit(&stop_thieves, memory_order_relaxed)) {
        /* acquire: pairs with the owner's bump; a steal begun after it
         * sees what the owner did before (emptied the deque, or replaced
         * shared_dq) */
        long e = atomic_load_explicit(&epoch, memory_order_acquire);
        struct ws_deque *d = atomic_load(&shared_dq);
        void *x = d ? ws_deque_steal(d) : WS_EMPTY;
        if (x != WS_EMPTY && x != WS_ABORT) {
            c[ID(x) % RING]++;
            if ((++n & 63) == 0)
                atomic_fetch_add_explicit(&stolen, 64, memory_order_relaxed);
        }
        /* release: the count above is visible to an owner that sees ack */
        atomic_store_explicit(&ack[me], e, memory_order_release);
    }
    atomic_fetch_add_explicit(&stolen, n & 63, memory_order_relaxed);
    return NULL;
}

/* Owner: wait until every thief has finished a steal begun after now. */
static void quiesce(int nthieves)
{
    long e = atomic_fetch_add(&epoch, 1) + 1;
    for (int j = 1; j <= nthieves; j++)
        while (atomic_load_explicit(&ack[j], memory_order_acquire) < e)
            sched_yield();
}

/* Sum the counts of items [lo, hi) over the takers, clear them, and fail
 * with the first item taken twice or never. */
static void check_range(long lo, long hi, int nthieves, const char *hint)
{
    long twice = 0, lost = 0, first_twice = -1, first_lost = -1;
    for (long i = lo; i < hi; i++) {
        int sum = 0;
        for (int k = 0; k <= nthieves; k++) {
            sum += cnt[k][i % RING];
            cnt[k][i % RING] = 0;
        }
        if (sum > 1 && twice++ == 0)
            first_twice = i;
        if (sum == 0 && lost++ == 0)
            first_lost = i;
    }
    if (twice || lost) {
        atomic_store(&stop_thieves, 1);
        tl_fb_fail(&fb, "of items %ld..%ld (%ld stolen so far), %ld were taken twice (the "
                   "first: item %ld) and %ld were lost (the first: item %ld). %s", lo, hi - 1,
                   atomic_load(&stolen), twice, first_twice, lost, first_lost, hint);
    }
}

TL_TEST(deque_last_items_race, 10, 150, "deque stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    const int nth = 2;
    setup(RING, 4, nth);
    atomic_store(&epoch, 0);
    for (int k = 0; k < MAXTAKERS; k++)
        atomic_store(&ack[k], 0);
    pthread_t th[2];
    start_threads(th, nth, ring_thief);
    struct ws_deque *d = atomic_load(&shared_dq);
    long want = tl_iters(30000), next = 0;
    double cap = tl_now() + 20.0;
    for (;;) {
        long k = (long)tl_rng_below(&r, 16) + 1;
        for (long i = 0; i < k; i++, next++)
            (void)ws_deque_push(d, ITEM(next));
        void *x;
        while ((x = ws_deque_pop(d)) != NULL)
            cnt[0][ID(x) % RING]++;
        if (next % HALF >= k)
            continue; /* not across a HALF boundary yet */
        quiesce(nth);
        long hi = next - next % HALF;
        check_range(hi - HALF, hi, nth, LAST_HINT);
        if (tl_fb_failed(&fb) || atomic_load(&stolen) >= want || tl_now() > cap)
            break;
    }
    atomic_store(&stop_thieves, 1);
    join_threads(th, nth);
    tl_fb_report(&fb);
    check_range(next - next % HALF, next, nth, LAST_HINT);
    tl_fb_report(&fb);
    long st = atomic_load(&stolen);
    for (int k = 0; k <= nth; k++)
        free(cnt[k]);
    ws_deque_free(d);
    /* Stopped by the 20 s cap (a loaded machine) with fewer steals than
     * wanted is fine; next to none means steal does not work. */
    tl_check(st >= want / 20, "in 20 s the thieves stole only %ld of the %ld items "
             "pushed (the test waits for %ld): ws_deque_steal hardly ever succeeds. It "
             "must take the top item whenever top < bottom. Hint: Task 1.6.", st, next,
             want);
}

/* Growth under steal: many short lives of a deque that starts with room
 * for ONE item, so every round grows it 8 or 9 times while three thieves
 * steal from it (and so read the arrays being replaced). A deque is freed
 * only at the end, after the thieves are joined: one may still hold it. */
TL_TEST(deque_grow_while_stealing, 6, 120, "deque grow stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    const int nth = 3;
    setup(RING, 0, nth);
    long rounds = tl_iters(1500), next = 0, done = 0;
    struct ws_deque **all = calloc((size_t)rounds + 1, sizeof *all);
    tl_check(all != NULL, "out of memory for the test's own array");
    all[done++] = atomic_load(&shared_dq);
    pthread_t th[3];
    start_threads(th, nth, thief);
    for (long round = 0; round < rounds && !tl_fb_failed(&fb); round++) {
        struct ws_deque *d = ws_deque_new(0);
        if (!d) {
            tl_fb_fail(&fb, "ws_deque_new(0) failed (%s). Hint: Task 1.1.", tl_ename(errno));
            break;
        }
        all[done++] = d;
        atomic_store(&shared_dq, d);
        long n = 200 + (long)tl_rng_below(&r, 300), most = 0;
        for (long i = 0; i < n && next < RING; i++, next++) {
            int rc = ws_deque_push(d, ITEM(next));
            if (rc) {
                tl_fb_fail(&fb, "ws_deque_push (growing) returned %d (%s). Hint: Task "
                           "1.4.", rc, tl_ename(rc));
                break;
            }
            long sz = ws_deque_size(d);
            if (sz > most)
                most = sz;
            if (tl_rng_below(&r, 8) == 0) {
                void *x = ws_deque_pop(d);
                if (x && !out_of_range(ID(x), "ws_deque_pop"))
                    cnt[0][ID(x)]++;
            }
        }
        long cap = ws_deque_capacity(d);
        if (cap < most || (cap & (cap - 1)) != 0)
            tl_fb_fail(&fb, "a deque that held %ld items at once has capacity %ld: it must "
                       "grow by doubling to at least that. Hint: Task 1.4.", most, cap);
        pop_all(d);
    }
    atomic_store(&stop_thieves, 1);
    join_threads(th, nth);
    nitems = next; /* after the join: the thieves read it */
    tl_fb_report(&fb);
    long twice = 0, lost = 0, first = -1;
    for (long i = 0; i < nitems; i++) {
        int sum = 0;
        for (int k = 0; k <= nth; k++)
            sum += cnt[k][i];
        twice += sum > 1;
        lost += sum == 0;
        if (sum != 1 && first < 0)
            first = i;
    }
    for (int k = 0; k <= nth; k++)
        free(cnt[k]);
    for (long i = 0; i < done; i++)
        ws_deque_free(all[i]);
    free(all);
    tl_check(twice == 0 && lost == 0, "growing deques under steal: of %ld items (%ld "
             "stolen), %ld were taken twice and %ld lost (the first wrong: item %ld). The "
             "new array must hold items [top, bottom) at the same indices (slot i & mask) "
             "before it is published (release store of array), and the old one must stay "
             "as it was for a thief that loaded it (retire it, never free or reuse it "
             "while the deque lives). Hint: Task 1.4.", nitems, atomic_load(&stolen), twice,
             lost, first);
}
