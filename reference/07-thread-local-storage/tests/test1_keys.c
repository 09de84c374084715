/*
 * test1_keys.c - Tasks 1-3: keys, values, destructors at thread exit.
 */
#include "tls_test.h"

/* ------------------------------------------------------------------ */

TL_TEST(key_create_delete_basics, 3, 10, "keys")
{
    tls_key_t a = 0, b = 0;
    int rc = tls_key_create(&a, NULL);
    tl_check(rc == 0, "tls_key_create(&k, NULL) returned %d (%s) on an empty "
             "key table. Hint: handout Task 1.1.", rc, strerror(rc));
    KEY_CREATE(b, free);
    tl_check(a != 0 && b != 0 && a != b, "two live keys must be distinct and "
             "non-zero: got %#llx and %#llx. Hint: Task 1.1, the key packs the "
             "slot index and its (odd) generation.",
             (unsigned long long)a, (unsigned long long)b);
    tl_check((TLS_KEY_GEN(a) & 1) && (TLS_KEY_GEN(b) & 1),
             "a live key's generation must be odd (tls.h): got %u and %u. "
             "Hint: Task 1.1, create adds 1 to the slot's even generation.",
             TLS_KEY_GEN(a), TLS_KEY_GEN(b));
    tl_check(TLS_KEY_INDEX(a) < TLS_KEYS_MAX && TLS_KEY_INDEX(b) < TLS_KEYS_MAX &&
             TLS_KEY_INDEX(a) != TLS_KEY_INDEX(b),
             "two live keys must sit in two different slots below TLS_KEYS_MAX: "
             "indexes %u and %u", TLS_KEY_INDEX(a), TLS_KEY_INDEX(b));
    tl_check(tls_get(a) == NULL, "a new key's value must be NULL in every "
             "thread, got %p. Hint: Task 2.1.", tls_get(a));
    KEY_DELETE(a);
    rc = tls_key_delete(a);
    tl_check(rc == EINVAL, "deleting a key twice must return EINVAL (the key is "
             "stale), got %d. Hint: Task 1.2.", rc);
    rc = tls_key_create(NULL, NULL);
    tl_check(rc == EINVAL, "tls_key_create(NULL, ...) must return EINVAL, got %d. Hint: Task 1.1.", rc);
    rc = tls_key_delete(0);
    tl_check(rc == EINVAL, "tls_key_delete(0) must return EINVAL (0 is never a "
             "key: its generation is even), got %d. Hint: Task 1.2.", rc);
    rc = tls_key_delete(((tls_key_t)1 << 32) | TLS_KEYS_MAX);
    tl_check(rc == EINVAL, "tls_key_delete of a key whose index is TLS_KEYS_MAX "
             "(out of range) must return EINVAL, got %d. Hint: Task 1.2.", rc);
    rc = tls_set(0, &rc);
    tl_check(rc == EINVAL, "tls_set(0, ...) must return EINVAL, got %d. Hint: Task 2.2.", rc);
    KEY_DELETE(b);
}

/* ------------------------------------------------------------------ */

static tls_key_t pt_key;
static struct gate pt_gate = GATE_INIT(3);

static void *pt_worker(void *arg)
{
    void *seen = tls_get(pt_key);
    if (seen != NULL)
        tl_fail("a new thread saw %p under a key it never set (the main thread "
                "had stored %p there). Values are per thread: a thread starts with "
                "NULL for every key. Hint: Task 2, keep the values in a __thread "
                "table.", seen, (void *)&pt_key);
    KEY_SET(pt_key, arg);
    gate_wait(&pt_gate); /* every thread has stored its value */
    void *mine = tls_get(pt_key);
    if (mine != arg)
        tl_fail("thread %p: tls_get returned %p after this thread stored %p and "
                "two others stored their own values: one thread's tls_set showed "
                "through in another. Hint: Task 2.", arg, mine, arg);
    return NULL;
}

TL_TEST(get_set_per_thread, 4, 10, "keys")
{
    static int v1, v2, vm;
    KEY_CREATE(pt_key, NULL);
    KEY_SET(pt_key, &vm);
    tl_check(tls_get(pt_key) == &vm, "tls_get returned %p right after "
             "tls_set(key, %p) in the same thread. Hint: Task 2.",
             tls_get(pt_key), (void *)&vm);
    pt_gate.arrived = 0;
    pthread_t a = spawn(pt_worker, &v1), b = spawn(pt_worker, &v2);
    gate_wait(&pt_gate);
    join(a);
    join(b);
    tl_check(tls_get(pt_key) == &vm, "the main thread's value changed from %p "
             "to %p while two other threads set theirs. Hint: Task 2.",
             (void *)&vm, tls_get(pt_key));
    KEY_SET(pt_key, NULL);
    tl_check(tls_get(pt_key) == NULL, "after tls_set(key, NULL), tls_get "
             "returned %p", tls_get(pt_key));
    KEY_DELETE(pt_key);
}

/* ------------------------------------------------------------------ */

TL_TEST(key_reuse_detects_stale, 4, 10, "keys")
{
    static int old_value, new_value;
    tls_key_t k1, k2;
    KEY_CREATE(k1, NULL);
    KEY_SET(k1, &old_value);
    KEY_DELETE(k1);
    tl_check(tls_get(k1) == NULL, "tls_get on a deleted key returned %p (the "
             "value stored before the delete). A stale key must read NULL. "
             "Hint: Task 2.1, compare the key's generation with the slot's.",
             tls_get(k1));
    KEY_CREATE(k2, NULL);
    tl_check(TLS_KEY_INDEX(k2) == TLS_KEY_INDEX(k1),
             "the key made right after deleting slot %u got slot %u: create "
             "must take the LOWEST free slot (tls.h). Hint: Task 1.1.",
             TLS_KEY_INDEX(k1), TLS_KEY_INDEX(k2));
    tl_check(TLS_KEY_GEN(k2) == TLS_KEY_GEN(k1) + 2,
             "slot %u: key generation %u, deleted, then re-created with "
             "generation %u; delete and create each add 1, so expect %u. "
             "Hint: Task 1.", TLS_KEY_INDEX(k1), TLS_KEY_GEN(k1), TLS_KEY_GEN(k2),
             TLS_KEY_GEN(k1) + 2);
    void *v = tls_get(k2);
    tl_check(v == NULL, "a new key in a reused slot read %p, the value this thread "
             "stored under the DELETED key that had the slot before: a new key "
             "starts NULL everywhere. Hint: Task 2, store the generation with each "
             "value and compare it in tls_get.", v);
    int rc = tls_set(k1, &old_value);
    tl_check(rc == EINVAL, "tls_set through the stale key %#llx (its slot now holds "
             "key %#llx) returned %d instead of EINVAL. Hint: Task 2.2.",
             (unsigned long long)k1, (unsigned long long)k2, rc);
    tl_check(tls_get(k2) == NULL, "tls_set through a stale key changed the value "
             "of the new key in the same slot to %p", tls_get(k2));
    KEY_SET(k2, &new_value);
    tl_check(tls_get(k2) == &new_value && tls_get(k1) == NULL,
             "after tls_set(new key, %p): tls_get(new) = %p, tls_get(stale) = %p "
             "(want %p and NULL)", (void *)&new_value, tls_get(k2), tls_get(k1),
             (void *)&new_value);
    rc = tls_key_delete(k1);
    tl_check(rc == EINVAL, "tls_key_delete(stale key) returned %d while its slot "
             "holds a newer key: it must return EINVAL and leave the new key "
             "alone. Hint: Task 1.2.", rc);
    tl_check(tls_get(k2) == &new_value, "deleting a stale key broke the live key "
             "in the same slot (tls_get now %p)", tls_get(k2));
    KEY_DELETE(k2);
}

/* ------------------------------------------------------------------ */

/* What the destructors saw. */
struct dtor_log {
    atomic_int calls;
    void *last_value;
    pthread_t thread;     /* who called */
    void *get_during;     /* tls_get(own key) inside the destructor */
};
static struct dtor_log dl_a, dl_b;
static tls_key_t dv_ka, dv_kb, dv_kc;

static void dtor_a(void *v)
{
    atomic_fetch_add(&dl_a.calls, 1);
    dl_a.last_value = v;
    dl_a.thread = pthread_self();
    dl_a.get_during = tls_get(dv_ka);
}

static void dtor_b(void *v)
{
    atomic_fetch_add(&dl_b.calls, 1);
    dl_b.last_value = v;
}

static void *dv_worker(void *arg)
{
    (void)arg;
    static int va, vc;
    KEY_SET(dv_ka, &va);
    KEY_SET(dv_kb, NULL);    /* NULL value: no call */
    KEY_SET(dv_kc, &vc);     /* no destructor: nothing to call */
    return (void *)(uintptr_t)pthread_self();
}

TL_TEST(destructor_called_with_value_at_exit, 4, 10, "keys dtor")
{
    memset(&dl_a, 0, sizeof dl_a);
    memset(&dl_b, 0, sizeof dl_b);
    KEY_CREATE(dv_ka, dtor_a);
    KEY_CREATE(dv_kb, dtor_b);
    KEY_CREATE(dv_kc, NULL);
    pthread_t t = spawn(dv_worker, NULL);
    join(t);
    int ca = atomic_load(&dl_a.calls), cb = atomic_load(&dl_b.calls);
    tl_check(ca == 1, "the exiting thread held a non-NULL value under a key with "
             "a destructor: the destructor must run exactly once by the time "
             "pthread_join returns; it ran %d times. Hint: Task 3 (the exit hook: "
             "one pthread key armed with pthread_setspecific at the first tls_set).",
             ca);
    tl_check(pthread_equal(dl_a.thread, t), "the destructor ran in another thread "
             "than the exiting one: it must run IN the exiting thread (at its "
             "exit). Hint: Task 3.");
    tl_check(dl_a.last_value != NULL && dl_a.last_value != (void *)&dv_ka,
             "the destructor got %p, not the thread's value", dl_a.last_value);
    tl_check(dl_a.get_during == NULL, "inside the destructor, tls_get(its own key) "
             "returned %p: the value must be set to NULL BEFORE the destructor is "
             "called (POSIX), so a destructor that looks sees NULL. Hint: Task 3.2.",
             dl_a.get_during);
    tl_check(cb == 0, "a destructor ran %d time(s) for a key whose value in the "
             "exiting thread was NULL: destructors run only for non-NULL values. "
             "Hint: Task 3.2.", cb);
    KEY_DELETE(dv_ka);
    KEY_DELETE(dv_kb);
    KEY_DELETE(dv_kc);
}

/* ------------------------------------------------------------------ */

static tls_key_t it_always, it_twice;
static atomic_int it_always_calls, it_twice_calls;
static int it_token;

static void dtor_always(void *v)
{
    atomic_fetch_add(&it_always_calls, 1);
    tls_set(it_always, v); /* again and again: only the limit stops it */
}

static void dtor_twice(void *v)
{
    if (atomic_fetch_add(&it_twice_calls, 1) < 2)
        tls_set(it_twice, v); /* two more rounds, then done */
}

static void *it_worker(void *arg)
{
    (void)arg;
    KEY_SET(it_always, &it_token);
    KEY_SET(it_twice, &it_token);
    return NULL;
}

TL_TEST(destructor_iterations_limit, 4, 10, "keys dtor")
{
    atomic_store(&it_always_calls, 0);
    atomic_store(&it_twice_calls, 0);
    KEY_CREATE(it_always, dtor_always);
    KEY_CREATE(it_twice, dtor_twice);
    join(spawn(it_worker, NULL));
    int a = atomic_load(&it_always_calls), t = atomic_load(&it_twice_calls);
    tl_check(a == TLS_DESTRUCTOR_ITERATIONS,
             "a destructor that stores its value again every time it runs was "
             "called %d times; there must be exactly TLS_DESTRUCTOR_ITERATIONS "
             "(%d) rounds, after which the value is dropped without a call. "
             "Hint: Task 3.2 (%s).", a, TLS_DESTRUCTOR_ITERATIONS,
             a < TLS_DESTRUCTOR_ITERATIONS ? "a value set by a destructor must "
             "cause another round" : "stop after the last round");
    tl_check(t == 3, "a destructor that stores its value again on its first two "
             "calls only must run 3 times (rounds 1, 2, 3); it ran %d times. "
             "Hint: Task 3.2.", t);
    KEY_DELETE(it_always);
    KEY_DELETE(it_twice);
}

/* ------------------------------------------------------------------ */

static tls_key_t dk_gone, dk_kept;
static atomic_int dk_gone_calls, dk_kept_calls;

static void dtor_gone(void *v) { (void)v; atomic_fetch_add(&dk_gone_calls, 1); }
static void dtor_kept(void *v) { (void)v; atomic_fetch_add(&dk_kept_calls, 1); }

static void *dk_worker(void *arg)
{
    KEY_SET(dk_gone, arg);
    KEY_SET(dk_kept, arg);
    KEY_DELETE(dk_gone); /* this thread still holds a value under it */
    return NULL;
}

TL_TEST(deleted_key_no_destructor, 3, 10, "keys dtor")
{
    static int token;
    atomic_store(&dk_gone_calls, 0);
    atomic_store(&dk_kept_calls, 0);
    KEY_CREATE(dk_gone, dtor_gone);
    KEY_CREATE(dk_kept, dtor_kept);
    join(spawn(dk_worker, &token));
    tl_check(atomic_load(&dk_gone_calls) == 0,
             "the destructor of a key deleted before the thread exited ran %d "
             "time(s): tls_key_delete means no destructor is ever called for "
             "values stored under that key. Hint: Task 3.2, check the entry's "
             "generation against the slot's before calling.",
             atomic_load(&dk_gone_calls));
    tl_check(atomic_load(&dk_kept_calls) == 1, "the destructor of the live key "
             "ran %d times (want 1)", atomic_load(&dk_kept_calls));
    KEY_DELETE(dk_kept);
}

/* ------------------------------------------------------------------ */

#define MK_THREADS 3
static tls_key_t mk_keys[TLS_KEYS_MAX];
static atomic_long mk_calls;
static atomic_ulong mk_sum;

static void dtor_sum(void *v)
{
    atomic_fetch_add(&mk_calls, 1);
    atomic_fetch_add(&mk_sum, (unsigned long)(uintptr_t)v);
}

static void *mk_worker(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    for (int i = 0; i < TLS_KEYS_MAX; i++)
        KEY_SET(mk_keys[i], (void *)((t << 16) | (uintptr_t)(i + 1)));
    for (int i = TLS_KEYS_MAX - 1; i >= 0; i--) {
        void *v = tls_get(mk_keys[i]);
        if (v != (void *)((t << 16) | (uintptr_t)(i + 1)))
            tl_fail("thread %lu, key %d of %d: tls_get returned %p, want %p. "
                    "Hint: Task 2 (does the thread's table grow and keep what it "
                    "held?).", (unsigned long)t, i, TLS_KEYS_MAX, v,
                    (void *)((t << 16) | (uintptr_t)(i + 1)));
    }
    return NULL;
}

TL_TEST(thousands_of_keys, 3, 30, "keys dtor")
{
    atomic_store(&mk_calls, 0);
    atomic_store(&mk_sum, 0);
    for (int i = 0; i < TLS_KEYS_MAX; i++) {
        int rc = tls_key_create(&mk_keys[i], dtor_sum);
        tl_check(rc == 0, "tls_key_create number %d of TLS_KEYS_MAX (%d) returned "
                 "%d (%s). Hint: Task 1.1 (the table has TLS_KEYS_MAX slots; a "
                 "pthread key per key would stop at PTHREAD_KEYS_MAX = 1024).",
                 i + 1, TLS_KEYS_MAX, rc, strerror(rc));
    }
    tls_key_t extra = 0;
    int rc = tls_key_create(&extra, NULL);
    tl_check(rc == EAGAIN, "with all TLS_KEYS_MAX keys in use, tls_key_create "
             "returned %d (want EAGAIN). Hint: Task 1.1.", rc);
    pthread_t th[MK_THREADS];
    for (int t = 0; t < MK_THREADS; t++)
        th[t] = spawn(mk_worker, (void *)(uintptr_t)(t + 1));
    for (int t = 0; t < MK_THREADS; t++)
        join(th[t]);
    unsigned long want = 0;
    for (unsigned long t = 1; t <= MK_THREADS; t++)
        for (unsigned long i = 0; i < TLS_KEYS_MAX; i++)
            want += (t << 16) | (i + 1);
    long calls = atomic_load(&mk_calls);
    tl_check(calls == (long)MK_THREADS * TLS_KEYS_MAX,
             "%d threads each held a value under all %d keys: %ld destructor "
             "calls were expected at their exits, there were %ld. Hint: Task 3.2.",
             MK_THREADS, TLS_KEYS_MAX, (long)MK_THREADS * TLS_KEYS_MAX, calls);
    tl_check(atomic_load(&mk_sum) == want, "the destructors were called %ld times "
             "but not each with its own thread's value (sum %lu, want %lu)",
             calls, (unsigned long)atomic_load(&mk_sum), want);
    for (int i = 0; i < TLS_KEYS_MAX; i++)
        KEY_DELETE(mk_keys[i]);
}

/* ------------------------------------------------------------------ */

#define SK_THREADS 4
static atomic_long sk_dtor_calls, sk_values_set;
static uint64_t sk_seed; /* tl_seed() is read once, by the main thread */
static tls_key_t sk_left[SK_THREADS][8]; /* keys each thread left live */
static int sk_nleft[SK_THREADS];

static void dtor_count(void *v) { (void)v; atomic_fetch_add(&sk_dtor_calls, 1); }

static void *sk_worker(void *arg)
{
    struct tl_rng r;
    tl_rng_init(&r, sk_seed + (uint64_t)(uintptr_t)arg);
    long iters = tl_iters(200000);
    tls_key_t mine[8];
    int n = 0;
    for (long it = 0; it < iters; it++) {
        uint64_t op = tl_rng_below(&r, 4);
        if (op == 0 && n < 8) {
            int rc = tls_key_create(&mine[n], dtor_count);
            if (rc == EAGAIN)
                continue;
            tl_check(rc == 0, "tls_key_create under concurrency returned %d (%s). Hint: handout Task 1.1.", rc, strerror(rc));
            n++;
        } else if (op == 1 && n > 0) {
            int j = (int)tl_rng_below(&r, (uint64_t)n);
            tls_key_t k = mine[j];
            tls_set(k, NULL); /* its value goes with it (deleted: no dtor) */
            int rc = tls_key_delete(k);
            if (rc != 0)
                tl_fail("thread %lu: tls_key_delete of its own live key %#llx returned "
                        "%d while other threads created and deleted other keys: the "
                        "key table lost an update. Hint: Task 1, create and delete "
                        "must hold the same mutex.", (unsigned long)(uintptr_t)arg,
                        (unsigned long long)k, rc);
            rc = tls_set(k, &mine[0]);
            if (rc != EINVAL)
                tl_fail("tls_set through a key this thread had just deleted "
                        "returned %d, want EINVAL", rc);
            mine[j] = mine[--n];
        } else if (n > 0) {
            int j = (int)tl_rng_below(&r, (uint64_t)n);
            void *want = (void *)(uintptr_t)(tl_rng_next(&r) | 1);
            if (tls_set(mine[j], want) != 0)
                tl_fail("tls_set of a live key failed under concurrency");
            void *got = tls_get(mine[j]);
            if (got != want)
                tl_fail("thread %lu: tls_get returned %p right after tls_set(%p) "
                        "on its own key %#llx while other threads created and "
                        "deleted keys (another thread's key got the same "
                        "slot AND generation?). Hint: Task 1.",
                        (unsigned long)(uintptr_t)arg, got, want,
                        (unsigned long long)mine[j]);
        }
    }
    for (int j = 0; j < n; j++) {
        if (tls_get(mine[j]) != NULL)
            atomic_fetch_add(&sk_values_set, 1);
        sk_left[(uintptr_t)arg - 1][j] = mine[j];
    }
    sk_nleft[(uintptr_t)arg - 1] = n;
    /* keys left live with values: their destructors run at exit */
    return NULL;
}

TL_TEST(stress_keys_concurrent, 3, 60, "keys stress")
{
    atomic_store(&sk_dtor_calls, 0);
    atomic_store(&sk_values_set, 0);
    sk_seed = tl_seed();
    pthread_t th[SK_THREADS];
    for (int t = 0; t < SK_THREADS; t++)
        th[t] = spawn(sk_worker, (void *)(uintptr_t)(t + 1));
    for (int t = 0; t < SK_THREADS; t++)
        join(th[t]);
    tl_check(atomic_load(&sk_dtor_calls) == atomic_load(&sk_values_set),
             "%ld values were held under live keys at thread exit but %ld "
             "destructor calls happened. Hint: Task 3.",
             atomic_load(&sk_values_set), atomic_load(&sk_dtor_calls));
    for (int t = 0; t < SK_THREADS; t++)
        for (int j = 0; j < sk_nleft[t]; j++)
            KEY_DELETE(sk_left[t][j]);
}
