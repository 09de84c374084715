/*
 * test_tstack.c - Task 6: the Treiber stack never hands one node to two
 * threads, even when nodes are pushed back at once (ABA).
 */
#include "cb_test.h"

#define T6 "Task 6 (src/tstack.c)"

static struct tstack st;
static struct ts_node pool[TS_MAX_NODES];

/* ---- one pop, with the ABA sequence forced into its window ----------- */

static __thread int aba_armed;  /* this thread's next window is the one */
static atomic_int in_window;    /* the popper is in its window */
static atomic_int reshuffled;   /* the test did pop, pop, push */
static int popped_by_thread;

static void aba_hook(enum cb_site site, void *obj, void *arg)
{
    (void)obj;
    (void)arg;
    if (site != CB_SITE_TSTACK_POP || !aba_armed)
        return;
    aba_armed = 0;
    atomic_store(&in_window, 1);
    double end = tl_now() + hang_secs();
    while (!atomic_load(&reshuffled) && tl_now() < end)
        sched_yield();
}

static void *aba_popper(void *arg)
{
    (void)arg;
    aba_armed = 1;
    popped_by_thread = tstack_pop(&st);
    return NULL;
}

TL_TEST(tstack_aba_forced, 5, 30, "tstack aba")
{
    tstack_init(&st, pool, 3);
    /* A on top of B on top of C. */
    tstack_push(&st, 2);
    tstack_push(&st, 1);
    tstack_push(&st, 0);
    atomic_store(&in_window, 0);
    atomic_store(&reshuffled, 0);
    cb_set_window(aba_hook, NULL);
    struct tl_thread w;
    tl_thread_start(&w, aba_popper, NULL);
    int entered = TL_WAIT_UNTIL(atomic_load(&in_window) || atomic_load(&w.done), hang_secs());
    tl_check(entered && atomic_load(&in_window), "tstack_pop never called "
             "cb_window(CB_SITE_TSTACK_POP) between reading top and its CAS; keep "
             "the skeleton's call where it is. Hint: handout " T6 ".");
    /* The popper read top = A and next = B. Now: pop A, pop B, push A. */
    int a = tstack_pop(&st), b = tstack_pop(&st);
    tl_check(a == 0 && b == 1, "with the stack A, B, C the test popped %d and %d, "
             "expected 0 (A) and 1 (B)", a, b);
    tstack_push(&st, 0);
    atomic_store(&reshuffled, 1);
    int done = TL_WAIT_UNTIL(atomic_load(&w.done), hang_secs());
    tl_check(done, "tstack_pop did not return");
    tl_threads_join(&w, 1);
    cb_set_window(NULL, NULL);
    int next = tstack_pop(&st), last = tstack_pop(&st);
    tl_check(popped_by_thread == 0 && next == 2 && last == -1, "ABA: a pop read "
             "top = A (node 0) with B (node 1) below it; meanwhile another thread "
             "popped A, popped B and pushed A back. The pop returned node %d, and "
             "the stack then gave %d and %d; expected 0, then 2 (C), then -1 "
             "(empty). B is the other thread's, yet %s. Hint: handout " T6 ".",
             popped_by_thread, next, last,
             next == 1 ? "the stack handed it out again: the CAS saw A on top and "
                         "swung top to the stale B" : "the stack changed wrongly");
}

/* ---- many threads, few nodes, reused at once --------------------------- */

#define NPOP 4
#define NNODES 5
static atomic_int owner[NNODES];   /* thread + 1 while popped, 0: on the stack */
static atomic_long ops[NPOP];
static uint64_t stress_seed;
static __thread struct tl_rng hook_rng;
static __thread int hook_me = -1;

static __thread int in_hook;
static __thread int pending = -1; /* a node the hook keeps until the pop ends */

/* Claim node i for thread me: 0, or fail the test (it has an owner). */
static int claim(int i, int me)
{
    if (i < 0 || i >= NNODES) {
        tl_fb_fail(&fb, "tstack_pop returned %d, not a node of the pool (0..%d)", i, NNODES - 1);
        return -1;
    }
    int prev = atomic_exchange(&owner[i], me + 1);
    if (prev) {
        tl_fb_fail(&fb, "ABA: tstack_pop gave node %d to thread %d while thread %d "
                   "still had it (popped, not pushed back), after %ld operations "
                   "(seed %llu). A pop whose CAS saw its old top come back "
                   "installed a stale next. Hint: handout " T6 ".", i, me, prev - 1,
                   atomic_load(&ops[me]), (unsigned long long)stress_seed);
        return -1;
    }
    return 0;
}

/* Now and then, inside one of its own pops' windows, thread 0 plays the
 * other thread of the ABA story: pop the top, pop the next, push the top
 * back, and keep the next until the interrupted pop has returned. */
static void stress_hook(enum cb_site site, void *obj, void *arg)
{
    (void)obj;
    (void)arg;
    if (site != CB_SITE_TSTACK_POP || hook_me != 0 || in_hook || pending >= 0 ||
        tl_rng_below(&hook_rng, 8))
        return;
    in_hook = 1;
    int a = tstack_pop(&st);
    if (a >= 0 && claim(a, 0) == 0) {
        int b = tstack_pop(&st);
        if (b >= 0 && claim(b, 0) == 0)
            pending = b;
        atomic_store(&owner[a], 0);
        tstack_push(&st, (unsigned)a);
    }
    in_hook = 0;
}

static void *stress_popper(void *arg)
{
    int me = (int)(intptr_t)arg;
    hook_me = me;
    tl_rng_init(&hook_rng, stress_seed + 31 * (uint64_t)me);
    for (long k = 0; k < tl_iters(20000) && !tl_fb_failed(&fb); k++) {
        int i = tstack_pop(&st);
        atomic_fetch_add(&ops[me], 1);
        if (pending >= 0) {
            atomic_store(&owner[pending], 0);
            tstack_push(&st, (unsigned)pending);
            pending = -1;
        }
        if (i < 0) {
            sched_yield();
            continue;
        }
        if (claim(i, me) != 0)
            break;
        pool[i].value++;
        atomic_store(&owner[i], 0);
        tstack_push(&st, (unsigned)i);
        atomic_fetch_add(&ops[me], 1);
    }
    return NULL;
}

TL_TEST(tstack_stress_node_reuse, 4, 60, "tstack aba stress")
{
    stress_seed = tl_seed();
    tstack_init(&st, pool, NNODES);
    for (int i = 0; i < NNODES; i++) {
        atomic_store(&owner[i], 0);
        tstack_push(&st, (unsigned)i);
    }
    cb_set_window(stress_hook, NULL);
    struct tl_thread w[NPOP];
    for (int i = 0; i < NPOP; i++)
        tl_thread_start(&w[i], stress_popper, (void *)(intptr_t)i);
    long last = -1;
    double end = tl_now() + hang_secs();
    while (!tl_threads_done(w, NPOP)) {
        long now = 0;
        for (int i = 0; i < NPOP; i++)
            now += atomic_load(&ops[i]);
        if (now != last) {
            last = now;
            end = tl_now() + hang_secs();
        }
        tl_check(tl_now() < end || tl_fb_failed(&fb), "the stack made no progress "
                 "for %.0f s (a cycle of nodes after a corruption?)", hang_secs());
        if (tl_fb_failed(&fb))
            break;
        pause_ms(1);
    }
    tl_fb_report(&fb);
    tl_threads_join(w, NPOP);
    cb_set_window(NULL, NULL);
    int seen[NNODES] = {0}, n = 0, i;
    while ((i = tstack_pop(&st)) >= 0 && n <= NNODES) {
        tl_check(i < NNODES && !seen[i], "after the run the stack holds node %d twice "
                 "(or a node not in the pool): it is corrupt, a pop whose CAS saw its old top "
                 "come back installed a stale next (seed %llu). Hint: "
                 "handout " T6 ".", i, (unsigned long long)stress_seed);
        seen[i] = 1;
        n++;
    }
    tl_check(n == NNODES, "after the run the stack holds %d nodes, expected all %d "
             "(seed %llu): nodes were lost. Hint: handout " T6 ".", n, NNODES,
             (unsigned long long)stress_seed);
}
