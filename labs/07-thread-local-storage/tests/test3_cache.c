/*
 * test3_cache.c - Task 6: the global pool and the per-thread cache.
 */
#include "tls_test.h"

#include <sched.h>

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return x < y ? -1 : x > y;
}

/* Sort n blocks and check none overlaps the next: distinct blocks of at
 * least size bytes each. */
static void check_distinct(void **v, size_t n, size_t size, const char *who)
{
    qsort(v, n, sizeof *v, cmp_ptr);
    for (size_t i = 0; i + 1 < n; i++)
        tl_check((uintptr_t)v[i + 1] - (uintptr_t)v[i] >= size,
                 "%s handed out blocks %p and %p, %zu bytes apart, for blocks of %zu "
                 "bytes: %s. Hint: Task 6.2/6.3.", who, v[i], v[i + 1],
                 (size_t)((uintptr_t)v[i + 1] - (uintptr_t)v[i]), size,
                 v[i] == v[i + 1] ? "the SAME block twice, while the first holder "
                 "still had it" : "they overlap");
}

static struct pool_stats stats(struct pool *p)
{
    struct pool_stats st;
    memset(&st, 0xff, sizeof st);
    pool_stats(p, &st);
    return st;
}

#define DESTROY(p)                                                            \
    do {                                                                      \
        int pd_rc_ = pool_destroy(p);                                         \
        tl_check(pd_rc_ == 0, "pool_destroy returned %d (%s) when every "     \
                 "block had been freed and every other thread had exited "    \
                 "(nfree %zu of ntotal %zu). Hint: Task 6.5, and 6.4 (is "    \
                 "each exiting thread's cache flushed?).", pd_rc_,            \
                 strerror(pd_rc_), stats(p).nfree, stats(p).ntotal);          \
    } while (0)

/* ------------------------------------------------------------------ */

TL_TEST(pool_global_path, 4, 10, "cache")
{
    struct pool p;
    int rc = pool_init(NULL, 16, 16);
    tl_check(rc == EINVAL, "pool_init(NULL, ...) returned %d, want EINVAL. Hint: handout Task 6.1.", rc);
    rc = pool_init(&p, 0, 16);
    tl_check(rc == EINVAL, "pool_init with block_size 0 returned %d, want EINVAL. Hint: Task 6.1.", rc);
    rc = pool_init(&p, 16, 0);
    tl_check(rc == EINVAL, "pool_init with per_chunk 0 returned %d, want EINVAL. Hint: Task 6.1.", rc);
    POOL_INIT(&p, 40, 64);
    tl_check(p.block_size == 48, "pool_init(block_size 40) set block_size %zu: "
             "round up to a multiple of 16 (48). Hint: Task 6.1.", p.block_size);
    void *v[100];
    for (int i = 0; i < 100; i++) {
        v[i] = pool_alloc(&p);
        tl_check(v[i] != NULL, "pool_alloc number %d returned NULL. Hint: Task 6.2 "
                 "(carve a new chunk when the free list is empty).", i + 1);
        tl_check(((uintptr_t)v[i] & 15) == 0, "pool_alloc returned %p, not 16-byte "
                 "aligned", v[i]);
        memset(v[i], 0xa5, 48);
    }
    struct pool_stats st = stats(&p);
    tl_check(st.ntotal == 128 && st.nfree == 28 && st.nlocks == 100,
             "after 100 pool_alloc with 64 blocks per chunk: ntotal %zu, nfree %zu, "
             "nlocks %lu; want 128 (two chunks), 28 and 100 (one lock per call). "
             "Hint: Task 6.2.", st.ntotal, st.nfree, st.nlocks);
    for (int i = 0; i < 100; i++)
        pool_free(&p, v[i]);
    check_distinct(v, 100, 48, "pool_alloc");
    st = stats(&p);
    tl_check(st.nfree == st.ntotal && st.nlocks == 200, "after freeing all 100 "
             "blocks: nfree %zu of ntotal %zu, nlocks %lu (want all home, 200)",
             st.nfree, st.ntotal, st.nlocks);
    void *again = pool_alloc(&p);
    rc = pool_destroy(&p);
    tl_check(rc == EBUSY, "pool_destroy with a block still out returned %d, want "
             "EBUSY (nothing freed). Hint: Task 6.5.", rc);
    pool_free(&p, again);
    DESTROY(&p);
}

/* ------------------------------------------------------------------ */

#define EXPECT(P, NFREE, NLOCKS, WHAT)                                        \
    do {                                                                      \
        struct pool_stats e_ = stats(P);                                      \
        tl_check(e_.nfree == (NFREE) && e_.nlocks == (NLOCKS),                \
                 "%s: pool nfree %zu and nlocks %lu, want %zu and %lu "       \
                 "(ntotal %zu). The cache moves TCACHE_BATCH (%d) blocks per " \
                 "lock: refill when empty, flush a batch when it holds "      \
                 "TCACHE_MAX (%d). Hint: Task 6.3.", (WHAT), e_.nfree,        \
                 e_.nlocks, (size_t)(NFREE), (unsigned long)(NLOCKS),         \
                 e_.ntotal, TCACHE_BATCH, TCACHE_MAX);                        \
    } while (0)

TL_TEST(tcache_batches_exactly, 4, 10, "cache")
{
    struct pool p;
    POOL_INIT(&p, 32, 1000);
    void *v[100];
    v[0] = tcache_alloc(&p);
    tl_check(v[0] != NULL, "tcache_alloc returned NULL on a fresh pool. Hint: Task 6.3.");
    EXPECT(&p, 1000 - 32, 1, "after the first tcache_alloc");
    for (int i = 1; i < 32; i++)
        v[i] = tcache_alloc(&p);
    EXPECT(&p, 1000 - 32, 1, "after 32 tcache_alloc (one batch, no new lock)");
    v[32] = tcache_alloc(&p);
    EXPECT(&p, 1000 - 64, 2, "after the 33rd tcache_alloc (second refill)");
    for (int i = 33; i < 100; i++) {
        v[i] = tcache_alloc(&p);
        tl_check(v[i] != NULL, "tcache_alloc number %d returned NULL", i + 1);
    }
    EXPECT(&p, 1000 - 128, 4, "after 100 tcache_alloc (4 refills)");
    /* The cache holds 28; 36 frees fill it to 64, the 37th flushes 32
     * first; 31 more make 64 again; the 69th flushes; 31 more: 64. */
    for (int i = 0; i < 100; i++)
        tcache_free(&p, v[i]);
    EXPECT(&p, 1000 - 128 + 64, 6, "after 100 tcache_free (2 flushes of a batch, 64 kept)");
    tcache_flush(&p);
    EXPECT(&p, 1000, 7, "after tcache_flush (everything home, one lock)");
    tcache_flush(&p);
    EXPECT(&p, 1000, 7, "after a tcache_flush of an empty cache (no lock needed)");
    check_distinct(v, 100, 32, "tcache_alloc");
    DESTROY(&p);
}

/* ------------------------------------------------------------------ */

static struct pool fx_pool;

static void *fx_worker(void *arg)
{
    (void)arg;
    void *v[50];
    for (int i = 0; i < 50; i++)
        v[i] = tcache_alloc(&fx_pool);
    for (int i = 0; i < 50; i++)
        tcache_free(&fx_pool, v[i]);
    return NULL; /* 50 blocks sit in this thread's cache */
}

TL_TEST(tcache_flushed_at_thread_exit, 4, 10, "cache")
{
    POOL_INIT(&fx_pool, 64, 64);
    join(spawn(fx_worker, NULL));
    struct pool_stats st = stats(&fx_pool);
    tl_check(st.nfree == st.ntotal && st.ntotal == 64,
             "a thread allocated and freed 50 blocks through its cache, then exited: "
             "its cache must be flushed to the pool at exit (by the key's "
             "destructor), but only %zu of %zu blocks are home. Hint: Task 6.4 "
             "(and Task 3: is the destructor called?).", st.nfree, st.ntotal);
    tl_check(st.nlocks == 3, "that thread took the pool's lock %lu times; want 3 "
             "(two refills of %d, one flush at exit). Hint: Task 6.3/6.4.",
             st.nlocks, TCACHE_BATCH);
    DESTROY(&fx_pool);
}

/* ------------------------------------------------------------------ */

#define ST_THREADS 4
#define ST_HOLD 200
#define ST_BOX 256
#define ST_WORDS 8 /* block of 64 bytes */

static struct pool st_pool;
static pthread_mutex_t box_lock = PTHREAD_MUTEX_INITIALIZER;
static void *box[ST_BOX]; /* blocks in transit between threads; box_lock */
static int box_n;
static uint64_t st_seed; /* tl_seed() is read once, by the main thread */
static atomic_int st_done; /* workers finished */

static void tag(void *b, uint64_t t)
{
    for (int w = 0; w < ST_WORDS; w++)
        ((uint64_t *)b)[w] = t;
}

static void check_tag(void *b, uint64_t t, const char *when)
{
    for (int w = 0; w < ST_WORDS; w++)
        if (((uint64_t *)b)[w] != t)
            tl_fail("block %p %s: word %d is %#llx, the owner wrote %#llx there: "
                    "someone else wrote into a block while it was handed out, so "
                    "it was given to two holders at once. Hint: Task 6.3 (a block "
                    "pushed on two lists? a pool counter or list touched without "
                    "the lock?).", b, when, w, (unsigned long long)((uint64_t *)b)[w],
                    (unsigned long long)t);
}

static void *st_worker(void *arg)
{
    uint64_t me = (uint64_t)(uintptr_t)arg;
    struct tl_rng r;
    tl_rng_init(&r, st_seed * 31 + me);
    void *held[ST_HOLD];
    uint64_t tags[ST_HOLD];
    int n = 0;
    uint64_t seq = 0;
    long iters = tl_iters(1000000);
    for (long it = 0; it < iters; it++) {
        uint64_t op = tl_rng_below(&r, 8);
        if (op < 4 && n < ST_HOLD) {
            void *b = op == 3 && (seq & 7) == 0 ? pool_alloc(&st_pool) : tcache_alloc(&st_pool);
            tl_check(b != NULL, "tcache_alloc/pool_alloc returned NULL in the stress test");
            tags[n] = (me << 48) | ++seq;
            tag(b, tags[n]);
            held[n++] = b;
        } else if (op < 6 && n > 0) {
            int j = (int)tl_rng_below(&r, (uint64_t)n);
            check_tag(held[j], tags[j], "before its holder freed it");
            if (op == 5 && (seq & 7) == 0)
                pool_free(&st_pool, held[j]);
            else
                tcache_free(&st_pool, held[j]);
            held[j] = held[n - 1];
            tags[j] = tags[--n];
        } else if (op == 6 && n > 0) {
            /* hand a block over to whoever takes it */
            int j = (int)tl_rng_below(&r, (uint64_t)n);
            check_tag(held[j], tags[j], "before it was handed over");
            pthread_mutex_lock(&box_lock);
            if (box_n < ST_BOX) {
                tag(held[j], 0xb0b0b0b0b0b0b0b0ull);
                box[box_n++] = held[j];
                held[j] = held[n - 1];
                tags[j] = tags[--n];
            }
            pthread_mutex_unlock(&box_lock);
        } else if (op == 7) {
            /* take one and free it here: freed by another thread */
            void *b = NULL;
            pthread_mutex_lock(&box_lock);
            if (box_n > 0)
                b = box[--box_n];
            pthread_mutex_unlock(&box_lock);
            if (b) {
                check_tag(b, 0xb0b0b0b0b0b0b0b0ull, "while it waited to be taken");
                tcache_free(&st_pool, b);
            }
        }
    }
    for (int j = 0; j < n; j++) {
        check_tag(held[j], tags[j], "at the end");
        tcache_free(&st_pool, held[j]);
    }
    atomic_fetch_add(&st_done, 1);
    return NULL;
}

TL_TEST(stress_tcache_no_double_handout, 4, 60, "cache stress")
{
    POOL_INIT(&st_pool, ST_WORDS * 8, 128);
    box_n = 0;
    st_seed = tl_seed();
    pthread_t th[ST_THREADS];
    atomic_store(&st_done, 0);
    for (int t = 0; t < ST_THREADS; t++)
        th[t] = spawn(st_worker, (void *)(uintptr_t)(t + 1));
    /* Meanwhile, snapshots: pool_stats may be called at any time. */
    for (long k = tl_iters(4000); k > 0 && atomic_load(&st_done) < ST_THREADS; k--) {
        struct pool_stats sn;
        pool_stats(&st_pool, &sn);
        tl_check(sn.nfree <= sn.ntotal, "a pool_stats snapshot taken while four "
                 "threads worked showed nfree %zu > ntotal %zu. Hint: Task 6.2 "
                 "(counters change only under the lock).", sn.nfree, sn.ntotal);
        sched_yield();
    }
    for (int t = 0; t < ST_THREADS; t++)
        join(th[t]);
    for (int i = 0; i < box_n; i++)
        tcache_free(&st_pool, box[i]);
    tcache_flush(&st_pool);
    struct pool_stats st = stats(&st_pool);
    tl_check(st.nfree == st.ntotal, "after every thread freed its blocks and exited "
             "(and the main thread freed the rest and flushed): %zu of %zu blocks are "
             "home. Blocks were lost or counted twice. Hint: Task 6.3/6.4.",
             st.nfree, st.ntotal);
    DESTROY(&st_pool);
}

/* ------------------------------------------------------------------ */

static struct pool pf_pool;
static struct gate pf_gate = GATE_INIT(3);
static long pf_rounds;

static void *pf_worker(void *arg)
{
    (void)arg;
    void *v[16];
    gate_wait(&pf_gate);
    for (long r = 0; r < pf_rounds; r++) {
        for (int i = 0; i < 16; i++)
            v[i] = tcache_alloc(&pf_pool);
        for (int i = 0; i < 16; i++)
            tcache_free(&pf_pool, v[i]);
    }
    return NULL;
}

/* The figure of the performance stage: alloc+free pairs per second through
 * the caches of two threads, compared with the reference in the same
 * grading run. */
TL_TEST(perf_tcache, 0, 60, "perf")
{
    pf_rounds = tl_iters(1000000);
    POOL_INIT(&pf_pool, 64, 256);
    pf_gate.arrived = 0;
    pthread_t a = spawn(pf_worker, NULL), b = spawn(pf_worker, NULL);
    double t0 = tl_now();
    gate_wait(&pf_gate);
    join(a);
    join(b);
    double dt = tl_now() - t0;
    struct pool_stats st = stats(&pf_pool);
    tl_check(st.nfree == st.ntotal, "after the perf run %zu of %zu blocks are home",
             st.nfree, st.ntotal);
    DESTROY(&pf_pool);
    tl_metric((double)(2 * 16 * pf_rounds) / (dt > 0 ? dt : 1e-9));
}
