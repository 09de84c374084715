/*
 * hidden_tls.c - lab 07's hidden tests (staff only).
 */
#include "../tests/tls_test.h"

#include <sched.h>

/* ------------------------------------------------------------------ */

static tls_key_t ok_a, ok_b;
static atomic_int ok_a_calls, ok_b_calls, ok_inner_rc = -1;
static int ok_token;

static void ok_dtor_b(void *v) { (void)v; atomic_fetch_add(&ok_b_calls, 1); }

static void ok_dtor_a(void *v)
{
    (void)v;
    atomic_fetch_add(&ok_a_calls, 1);
    tls_set(ok_b, &ok_token); /* a value under ANOTHER key: one more round */
    tls_key_t tmp;
    int rc = tls_key_create(&tmp, NULL); /* no lock of the layer may be held here */
    if (rc == 0)
        rc = tls_key_delete(tmp);
    atomic_store(&ok_inner_rc, rc);
}

static void *ok_worker(void *arg)
{
    (void)arg;
    KEY_SET(ok_a, &ok_token);
    return NULL;
}

TL_TEST(hidden_dtor_sets_other_key, 2, 10, "keys dtor")
{
    KEY_CREATE(ok_a, ok_dtor_a);
    KEY_CREATE(ok_b, ok_dtor_b);
    join(spawn(ok_worker, NULL));
    tl_check(atomic_load(&ok_inner_rc) == 0, "a destructor called tls_key_create "
             "and tls_key_delete and got %d: destructors run with no lock of the "
             "layer held and may use the whole API. Hint: Task 3.2.",
             atomic_load(&ok_inner_rc));
    tl_check(atomic_load(&ok_a_calls) == 1 && atomic_load(&ok_b_calls) == 1,
             "A's destructor stored a value under key B (which the thread had never "
             "set): B's destructor must run in the next round. Calls: A %d, B %d "
             "(want 1 and 1). Hint: Task 3.2, rounds go on while a destructor "
             "stored a value.", atomic_load(&ok_a_calls), atomic_load(&ok_b_calls));
    KEY_DELETE(ok_a);
    KEY_DELETE(ok_b);
}

/* ------------------------------------------------------------------ */

TL_TEST(hidden_slot_reused_many_times, 2, 20, "keys")
{
    tls_key_t first, low[3];
    for (int i = 0; i < 3; i++)
        KEY_CREATE(low[i], NULL);
    KEY_DELETE(low[1]);
    KEY_CREATE(first, NULL);
    tl_check(TLS_KEY_INDEX(first) == TLS_KEY_INDEX(low[1]),
             "slots %u, %u, %u taken, the middle one freed: the next key took slot "
             "%u, not the lowest free one. Hint: Task 1.1.", TLS_KEY_INDEX(low[0]),
             TLS_KEY_INDEX(low[1]), TLS_KEY_INDEX(low[2]), TLS_KEY_INDEX(first));
    static tls_key_t old[1000];
    tls_key_t k = first;
    static int token;
    for (int i = 0; i < 1000; i++) {
        KEY_SET(k, &token);
        KEY_DELETE(k);
        old[i] = k;
        tls_key_t nk;
        KEY_CREATE(nk, NULL);
        tl_check(TLS_KEY_INDEX(nk) == TLS_KEY_INDEX(k) &&
                 TLS_KEY_GEN(nk) == TLS_KEY_GEN(k) + 2,
                 "cycle %d: key %#llx deleted, the next key is %#llx (want the same "
                 "slot, generation + 2). Hint: Task 1.", i, (unsigned long long)k,
                 (unsigned long long)nk);
        tl_check(tls_get(nk) == NULL, "cycle %d: a fresh key read %p, a value "
                 "stored under the slot's previous key", i, tls_get(nk));
        k = nk;
    }
    for (int i = 0; i < 1000; i++) {
        tl_check(tls_get(old[i]) == NULL && tls_set(old[i], &token) == EINVAL &&
                 tls_key_delete(old[i]) == EINVAL,
                 "stale key number %d (%#llx) was accepted again: tls_get, tls_set "
                 "and tls_key_delete must reject every older generation. Hint: Task 1.",
                 i, (unsigned long long)old[i]);
    }
    KEY_DELETE(k);
    KEY_DELETE(low[0]);
    KEY_DELETE(low[2]);
}

/* ------------------------------------------------------------------ */

#define GR_KEYS 300
static tls_key_t gr_keys[GR_KEYS];

static void *gr_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        KEY_SET(gr_keys[i], (void *)(uintptr_t)(i + 1));
    KEY_SET(gr_keys[GR_KEYS - 1], (void *)(uintptr_t)GR_KEYS);
    for (int i = 0; i < 10; i++) {
        void *v = tls_get(gr_keys[i]);
        if (v != (void *)(uintptr_t)(i + 1))
            tl_fail("key %d read %p after the thread's table grew for key %d "
                    "(it had stored %p): growing must keep the old values and "
                    "zero only the new entries. Hint: Task 2.2.", i, v,
                    GR_KEYS - 1, (void *)(uintptr_t)(i + 1));
    }
    for (int i = 10; i < GR_KEYS - 1; i++)
        if (tls_get(gr_keys[i]) != NULL)
            tl_fail("key %d was never set in this thread but reads %p after the "
                    "table grew. Hint: Task 2.2.", i, tls_get(gr_keys[i]));
    if (tls_get(gr_keys[GR_KEYS - 1]) != (void *)(uintptr_t)GR_KEYS)
        tl_fail("the key that made the table grow lost its value");
    return NULL;
}

TL_TEST(hidden_table_grows_keeps_values, 2, 10, "keys")
{
    for (int i = 0; i < GR_KEYS; i++)
        KEY_CREATE(gr_keys[i], NULL);
    join(spawn(gr_worker, NULL));
    for (int i = 0; i < GR_KEYS; i++)
        KEY_DELETE(gr_keys[i]);
}

/* ------------------------------------------------------------------ */

static struct tls_dyn hd;

static void *tag_worker(void *arg)
{
    (void)arg;
    return tls_dyn_addr(&hd);
}

TL_TEST(hidden_dyn_open_errors, 2, 10, "abi dlopen")
{
    const char *path = module_path();
    struct tls_dyn d;
    memset(&d, 0, sizeof d);
    int rc = tls_dyn_open(&d, "/nonexistent/libnothing.so", "x");
    tl_check(rc == ENOENT, "tls_dyn_open of a missing file returned %d, want ENOENT (dlopen failed). Hint: handout Task 5.1.", rc);
    rc = tls_dyn_open(&d, path, "no_such_symbol");
    tl_check(rc == ENOENT, "tls_dyn_open of a symbol the module lacks returned %d, "
             "want ENOENT (the lookup failed). Hint: Task 5.1.", rc);
    rc = tls_dyn_open(&d, path, "tlsmod_bump");
    tl_check(rc == ENOEXEC, "tls_dyn_open(\"tlsmod_bump\"), a FUNCTION, returned %d, "
             "want ENOEXEC: its address is not inside the module's TLS block. "
             "Hint: Task 5.1.", rc);
    rc = tls_dyn_open(NULL, path, "x");
    tl_check(rc == EINVAL, "tls_dyn_open(NULL, ...) returned %d, want EINVAL. Hint: Task 5.1.", rc);
    rc = tls_dyn_open(&d, path, NULL);
    tl_check(rc == EINVAL, "tls_dyn_open(d, path, NULL) returned %d, want EINVAL. Hint: Task 5.1.", rc);
    rc = tls_dyn_open(&hd, path, "tlsmod_tag");
    tl_check(rc == 0, "tls_dyn_open(\"tlsmod_tag\") returned %d. Hint: Task 5.1.", rc);
    uint64_t *t = join(spawn(tag_worker, NULL));
    tl_check(t != NULL, "tls_dyn_addr returned NULL in a fresh thread: the first "
             "use must allocate that thread's block (__tls_get_addr does)");
    /* the thread is gone: its block is freed, so only compare in this one */
    uint64_t *m = tls_dyn_addr(&hd);
    tl_check(m && m[0] == 0x7e57ab1e0000cafeull && m[1] == 1 && m[3] == 3,
             "tlsmod_tag read through tls_dyn_addr holds %#llx, %llu, ..., not its "
             "initial value (0x7e57ab1e0000cafe, 1, 2, 3): wrong offset?",
             m ? (unsigned long long)m[0] : 0ull, m ? (unsigned long long)m[1] : 0ull);
    rc = tls_dyn_close(&hd);
    tl_check(rc == 0, "tls_dyn_close of an open module returned %d. Hint: Task 5.3.", rc);
    rc = tls_dyn_close(&hd);
    tl_check(rc == EINVAL, "a second tls_dyn_close returned %d, want EINVAL (handle is NULL after the first). Hint: Task 5.3.", rc);
    rc = tls_dyn_close(NULL);
    tl_check(rc == EINVAL, "tls_dyn_close(NULL) returned %d, want EINVAL. Hint: Task 5.3.", rc);
}

/* ------------------------------------------------------------------ */

TL_TEST(hidden_pool_destroy_busy_and_limits, 2, 10, "cache")
{
    struct pool p;
    int rc = pool_init(&p, (1u << 20) + 1, 4);
    tl_check(rc == EINVAL, "pool_init with a block over 1 MiB returned %d, want EINVAL. Hint: handout Task 6.1.", rc);
    rc = pool_init(&p, 16, 65537);
    tl_check(rc == EINVAL, "pool_init with per_chunk 65537 returned %d, want EINVAL. Hint: Task 6.1.", rc);
    POOL_INIT(&p, 16, 65536);
    rc = pool_destroy(&p);
    tl_check(rc == 0, "destroying an unused pool (per_chunk 65536, allowed) "
             "returned %d. Hint: Task 6.1/6.5.", rc);
    rc = pool_destroy(NULL);
    tl_check(rc == EINVAL, "pool_destroy(NULL) returned %d, want EINVAL. Hint: "
             "Task 6.5.", rc);
    POOL_INIT(&p, (1u << 20), 1);
    tl_check(p.block_size == (1u << 20), "a 1 MiB block became %zu bytes (1 MiB is allowed and a multiple of 16). Hint: Task 6.1.", p.block_size);
    rc = pool_destroy(&p);
    tl_check(rc == 0, "destroying an unused pool returned %d, want 0. Hint: Task 6.5.", rc);
    POOL_INIT(&p, 1, 8);
    tl_check(p.block_size == 16, "block_size 1 became %zu, want 16. Hint: Task 6.1.", p.block_size);
    void *b = tcache_alloc(&p);
    tl_check(b != NULL, "tcache_alloc returned NULL on a fresh pool. Hint: Task 6.3.");
    rc = pool_destroy(&p);
    struct pool_stats st;
    pool_stats(&p, &st);
    tl_check(rc == EBUSY && st.nfree == st.ntotal - 1, "pool_destroy with one block "
             "out returned %d with nfree %zu of %zu: want EBUSY, and the caller's "
             "cache flushed first (all home but the one). Hint: Task 6.5.",
             rc, st.nfree, st.ntotal);
    tcache_free(&p, b);
    rc = pool_destroy(&p);
    tl_check(rc == 0, "pool_destroy after the last block came back returned %d, want 0. Hint: Task 6.5.", rc);

    /* An EMPTY cache needs no lock to flush. */
    POOL_INIT(&p, 16, 32);
    void *v[32];
    for (int i = 0; i < 32; i++)
        v[i] = tcache_alloc(&p);      /* one refill; the cache is now empty */
    for (int i = 1; i < 32; i++)
        pool_free(&p, v[i]);          /* 31 locks */
    pool_free(&p, NULL);              /* ignored */
    tcache_free(&p, NULL);            /* ignored */
    rc = pool_destroy(&p);
    pool_stats(&p, &st);
    tl_check(rc == EBUSY && st.nlocks == 32 && st.nfree == 31,
             "one refill, 31 pool_free, pool_free(NULL), tcache_free(NULL), then "
             "pool_destroy with one block out and the caller's cache empty: want "
             "EBUSY, nlocks 32, nfree 31; got %d, %lu, %zu (NULL must be ignored, "
             "an empty cache flushed without the lock). Hint: Tasks 6.2-6.5.",
             rc, st.nlocks, st.nfree);
    pool_free(&p, v[0]);
    rc = pool_destroy(&p);
    tl_check(rc == 0, "pool_destroy with every block home returned %d", rc);

    /* No key left: pool_init fails and says why. */
    static tls_key_t all[TLS_KEYS_MAX];
    int made = 0;
    while (made < TLS_KEYS_MAX && tls_key_create(&all[made], NULL) == 0)
        made++;
    rc = pool_init(&p, 16, 16);
    for (int i = 0; i < made; i++)
        KEY_DELETE(all[i]);
    tl_check(rc == EAGAIN, "pool_init with every key in use returned %d, want "
             "EAGAIN (tls_key_create's answer, passed on). Hint: Task 6.1.", rc);
}

/* ------------------------------------------------------------------ */

static struct pool xp;
static void *xp_blocks[64];

static void *xp_alloc(void *arg)
{
    (void)arg;
    for (int i = 0; i < 64; i++)
        xp_blocks[i] = tcache_alloc(&xp);
    return NULL;
}

static void *xp_free(void *arg)
{
    (void)arg;
    for (int i = 0; i < 64; i++)
        tcache_free(&xp, xp_blocks[i]);
    return NULL;
}

TL_TEST(hidden_cross_thread_free, 2, 10, "cache")
{
    POOL_INIT(&xp, 32, 100);
    join(spawn(xp_alloc, NULL));
    struct pool_stats st;
    pool_stats(&xp, &st);
    tl_check(st.ntotal == 100 && st.nfree == 36 && st.nlocks == 2,
             "a thread took 64 blocks through its cache (two refills of 32) and "
             "exited with its cache EMPTY: want ntotal 100, nfree 36, nlocks 2 (2 "
             "refills, no flush of an empty cache at exit), got %zu, %zu, %lu. "
             "Hint: Task 6.3/6.4.",
             st.ntotal, st.nfree, st.nlocks);
    join(spawn(xp_free, NULL));
    pool_stats(&xp, &st);
    tl_check(st.nfree == 100 && st.nlocks == 3,
             "another thread freed those 64 blocks into ITS cache (full, not over "
             "full: no flush yet) and exited: want all 100 home after 3 locks (one "
             "flush at exit), got nfree %zu, nlocks %lu. Hint: Task 6.3.",
             st.nfree, st.nlocks);
    int drc = pool_destroy(&xp);
    tl_check(drc == 0, "pool_destroy returned %d with every block home. Hint: Task 6.5.", drc);
}

/* ------------------------------------------------------------------ */

static tls_key_t pe_key;
static atomic_int pe_calls;

static void pe_dtor(void *v) { (void)v; atomic_fetch_add(&pe_calls, 1); }

static void *pe_worker(void *arg)
{
    if (arg)
        KEY_SET(pe_key, arg);
    pthread_exit(NULL);
}

TL_TEST(hidden_pthread_exit_runs_destructors, 2, 10, "keys dtor")
{
    static int token;
    atomic_store(&pe_calls, 0);
    KEY_CREATE(pe_key, pe_dtor);
    join(spawn(pe_worker, NULL));  /* never stored anything */
    join(spawn(pe_worker, &token));
    tl_check(atomic_load(&pe_calls) == 1, "a thread that stored a value and ended "
             "with pthread_exit caused %d destructor calls (want 1): the exit hook "
             "must catch every way a thread ends. Hint: Task 3.1.",
             atomic_load(&pe_calls));
    KEY_DELETE(pe_key);
}

/* ------------------------------------------------------------------ */

static tls_key_t sv_old, sv_new;
static atomic_int sv_old_calls, sv_new_calls;
static struct gate sv_g1 = GATE_INIT(2), sv_g2 = GATE_INIT(2);

static void sv_dtor_old(void *v) { (void)v; atomic_fetch_add(&sv_old_calls, 1); }
static void sv_dtor_new(void *v) { (void)v; atomic_fetch_add(&sv_new_calls, 1); }

static void *sv_worker(void *arg)
{
    KEY_SET(sv_old, arg);
    gate_wait(&sv_g1); /* main deletes sv_old and makes sv_new in its slot */
    gate_wait(&sv_g2);
    return NULL;
}

TL_TEST(hidden_stale_value_no_dtor_after_reuse, 2, 10, "keys dtor")
{
    static int token;
    KEY_CREATE(sv_old, sv_dtor_old);
    pthread_t t = spawn(sv_worker, &token);
    gate_wait(&sv_g1);
    KEY_DELETE(sv_old);
    KEY_CREATE(sv_new, sv_dtor_new);
    tl_check(TLS_KEY_INDEX(sv_new) == TLS_KEY_INDEX(sv_old), "the new key did not "
             "reuse the freed slot (lowest free). Hint: Task 1.1.");
    gate_wait(&sv_g2);
    join(t);
    tl_check(atomic_load(&sv_old_calls) == 0 && atomic_load(&sv_new_calls) == 0,
             "a thread held a value under a key deleted (and its slot reused by a "
             "new key) before it exited: no destructor may run for it, but the old "
             "one ran %d and the new one %d time(s). Hint: Task 3.2, compare the "
             "entry's generation with the slot's.", atomic_load(&sv_old_calls),
             atomic_load(&sv_new_calls));
    KEY_DELETE(sv_new);
}

/* ------------------------------------------------------------------ */

static struct pool om;
static tls_key_t om_key;

static void *om_worker(void *arg)
{
    (void)arg;
    static int token;
    /* tls_set: the thread's first table (realloc) fails */
    tl_fault_after(1);
    int rc = tls_set(om_key, &token);
    int fired = tl_fault_disarm();
    if (!fired || rc != ENOMEM)
        tl_fail("tls_set with its table allocation failing returned %d (fault "
                "fired: %d), want ENOMEM. Hint: Task 2.2, check realloc.", rc, fired);
    if (tls_get(om_key) != NULL)
        tl_fail("a failed tls_set stored its value anyway");
    KEY_SET(om_key, &token);
    if (tls_get(om_key) != &token)
        tl_fail("tls_set after a failed one did not store its value");
    /* tcache_alloc: the cache itself (calloc) cannot be made */
    tl_fault_after(1);
    void *b = tcache_alloc(&om);
    fired = tl_fault_disarm();
    if (!fired || b != NULL)
        tl_fail("tcache_alloc with calloc failing returned %p (fault fired: %d), "
                "want NULL. Hint: Task 6.3.", b, fired);
    /* tcache_free without memory for a cache: the block goes home directly */
    void *g = pool_alloc(&om);
    if (!g)
        tl_fail("pool_alloc returned NULL");
    struct pool_stats before, after;
    pool_stats(&om, &before);
    tl_fault_after(1);
    tcache_free(&om, g);
    fired = tl_fault_disarm();
    pool_stats(&om, &after);
    if (!fired || after.nfree != before.nfree + 1)
        tl_fail("tcache_free with no memory for a cache must free through the "
                "pool (nfree %zu -> %zu, fault fired: %d). Hint: tls.h, "
                "tcache_free.", before.nfree, after.nfree, fired);
    return NULL;
}

static void *om_worker2(void *arg)
{
    (void)arg;
    /* a cache made (calloc) but tls_set cannot grow the table (realloc):
     * the cache must be freed again, and NULL returned */
    tls_key_t filler[20];
    for (int i = 0; i < 20; i++)
        KEY_CREATE(filler[i], NULL);
    tl_fault_after(2);
    void *b = tcache_alloc(&om);
    int fired = tl_fault_disarm();
    for (int i = 0; i < 20; i++)
        KEY_DELETE(filler[i]);
    if (!fired || b != NULL)
        tl_fail("tcache_alloc with tls_set failing (ENOMEM) returned %p (fault "
                "fired: %d), want NULL and no leak. Hint: Task 6.3.", b, fired);
    return NULL;
}

static void *om_worker3(void *arg)
{
    (void)arg;
    /* the refill needs a chunk, and malloc fails */
    void *warm = tcache_alloc(&om);   /* the cache exists now */
    tcache_free(&om, warm);
    tcache_flush(&om);
    struct pool_stats st;
    pool_stats(&om, &st);
    void *hold[64];
    size_t n = 0;
    while (n < st.nfree)
        hold[n++] = pool_alloc(&om);  /* empty the pool */
    tl_fault_after(1);
    void *b = tcache_alloc(&om);
    int f1 = tl_fault_disarm();
    tl_fault_after(1);
    void *c = pool_alloc(&om);
    int f2 = tl_fault_disarm();
    for (size_t i = 0; i < n; i++)
        pool_free(&om, hold[i]);
    if (!f1 || b != NULL || !f2 || c != NULL)
        tl_fail("with the pool empty and malloc failing for a new chunk, "
                "tcache_alloc returned %p and pool_alloc %p (faults fired: %d %d): "
                "both must return NULL. Hint: Task 6.2.", b, c, f1, f2);
    return NULL;
}

TL_TEST(hidden_out_of_memory, 2, 20, "keys cache")
{
    KEY_CREATE(om_key, NULL);
    POOL_INIT(&om, 32, 16);
    join(spawn(om_worker, NULL));
    join(spawn(om_worker2, NULL));
    join(spawn(om_worker3, NULL));
    KEY_DELETE(om_key);
    int rc = pool_destroy(&om);
    tl_check(rc == 0, "pool_destroy after the out-of-memory runs returned %d: a "
             "block was lost on an error path. Hint: Task 6.", rc);
}

/* ------------------------------------------------------------------ */

static tls_key_t ek_key;
static atomic_int ek_calls;
static atomic_int ek_done;

static void ek_dtor(void *v) { (void)v; atomic_fetch_add(&ek_calls, 1); }

static void *ek_worker(void *arg)
{
    tls_set(ek_key, arg); /* may fail with EINVAL: the key may be gone */
    atomic_fetch_add(&ek_done, 1);
    return NULL;
}

/* Threads exit (and look up their destructors) while the main thread
 * deletes and re-creates keys in the very slot they use. */
TL_TEST(hidden_exit_while_keys_change, 1, 30, "keys dtor stress")
{
    static int token;
    long rounds = tl_iters(200);
    for (long r = 0; r < rounds; r++) {
        atomic_store(&ek_calls, 0);
        atomic_store(&ek_done, 0);
        KEY_CREATE(ek_key, ek_dtor);
        tls_key_t k0 = ek_key;
        pthread_t t[2] = {spawn(ek_worker, &token), spawn(ek_worker, &token)};
        while (atomic_load(&ek_done) < 1)
            sched_yield();
        KEY_DELETE(k0);
        tls_key_t k1;
        KEY_CREATE(k1, ek_dtor);
        join(t[0]);
        join(t[1]);
        tl_check(atomic_load(&ek_calls) <= 2, "2 threads, one value each, yet %d "
                 "destructor calls", atomic_load(&ek_calls));
        KEY_DELETE(k1);
    }
}
