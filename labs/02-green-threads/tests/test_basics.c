/*
 * test_basics.c - spawn, yield order, exit and join (Tasks 3.3, 4 and 5).
 */
#include "gt_test.h"
#include "gt_log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ */

TL_TEST(init_self_and_fini, 2, 10, "init")
{
    tl_check(gt_self() == 0,
             "gt_self() returned %d before gt_init: it must return 0 when the "
             "kernel thread has no scheduler.", gt_self());
    GT_START();
    tl_check(gt_self() == 1,
             "gt_self() in the thread that called gt_init returned %d: the "
             "main green thread is id 1 (gt.h). Hint: Task 4.2.", gt_self());
    errno = 0;
    int rc = gt_init();
    tl_check(rc == -1 && errno == EBUSY,
             "a second gt_init on the same kernel thread returned %d (errno "
             "%d: %s); expected -1 with EBUSY.", rc, errno, strerror(errno));
    GT_STOP();
    tl_check(gt_self() == 0,
             "gt_self() after gt_fini returned %d: gt_fini must turn the "
             "kernel thread back into a plain one (gt_tls = NULL).", gt_self());
    GT_START();
    tl_check(gt_self() == 1, "after gt_fini and a new gt_init, gt_self() is "
             "%d, expected 1 (a new scheduler starts its ids again).", gt_self());
    GT_STOP();
}

/* ------------------------------------------------------------------ */

static int flag_ran;
static gt_t flag_self;

static void *set_flag(void *arg)
{
    flag_ran++;
    flag_self = gt_self();
    return arg;
}

TL_TEST(spawn_runs_later, 2, 10, "spawn")
{
    int token = 7;
    gt_t id;
    flag_ran = 0;
    flag_self = 0;
    GT_START();
    GT_SPAWN(id, set_flag, &token, 0);
    tl_check(id == 2, "the first gt_spawn returned id %d; ids are 2, 3, ... in "
             "spawn order (the main thread is 1).", id);
    tl_check(flag_ran == 0,
             "gt_spawn ran the new thread before returning: it must only append "
             "it to the run queue; the caller keeps running until it blocks or "
             "yields. Hint: Task 4.4.");
    gt_yield();
    tl_check(flag_ran == 1,
             "after the main thread called gt_yield, the new thread (the only "
             "other runnable one) had run %d times, expected 1. Hint: gt_yield "
             "queues the caller at the tail and switches to the head (4.8).",
             flag_ran);
    tl_check(flag_self == id, "gt_self() inside thread %d returned %d.", id,
             flag_self);
    void *ret = NULL;
    GT_JOIN(id, &ret);
    tl_check(ret == &token, "gt_join delivered retval %p, the thread returned %p.",
             ret, (void *)&token);
    GT_STOP();
}

/* ------------------------------------------------------------------ */

TL_TEST(round_robin_order, 5, 10, "order")
{
    log_n = 0;
    GT_START();
    /* Part 1: the main thread waits in gt_join while A, B, C (tags 1-3)
     * each log and yield three times. */
    struct rr_arg a[3] = {{1, 3}, {2, 3}, {3, 3}};
    gt_t id[3];
    for (int i = 0; i < 3; i++)
        GT_SPAWN(id[i], rr_worker, &a[i], 0);
    for (int i = 0; i < 3; i++)
        GT_JOIN(id[i], NULL);
    static const int want1[] = {11, 21, 31, 12, 22, 32, 13, 23, 33};
    check_log(want1, 9, "threads 1,2,3 yielding 3 times while main joins");

    /* Part 2: the main thread (tag 9) is in the rotation with D, E (4, 5),
     * which yield twice and return. */
    log_n = 0;
    struct rr_arg b[2] = {{4, 2}, {5, 2}};
    gt_t jd[2];
    for (int i = 0; i < 2; i++)
        GT_SPAWN(jd[i], rr_worker, &b[i], 0);
    for (int r = 1; r <= 3; r++) {
        log_add(90 + r);
        gt_yield();
    }
    static const int want2[] = {91, 41, 51, 92, 42, 52, 93};
    check_log(want2, 7, "main (tag 9) yielding 3 times with threads 4, 5");
    for (int i = 0; i < 2; i++)
        GT_JOIN(jd[i], NULL);
    GT_STOP();
}

/* ------------------------------------------------------------------ */

static gt_t tail_child;

static void *tail_c(void *p)
{
    (void)p;
    log_add(31);
    gt_yield();
    log_add(32);
    return NULL;
}

static void *tail_a(void *p)
{
    (void)p;
    log_add(11);
    tail_child = gt_spawn(tail_c, NULL, 0);
    gt_yield();
    log_add(12);
    return NULL;
}

static void *tail_b(void *p)
{
    (void)p;
    log_add(21);
    gt_yield();
    log_add(22);
    return NULL;
}

TL_TEST(spawn_appends_to_tail, 2, 10, "order spawn")
{
    log_n = 0;
    tail_child = 0;
    GT_START();
    gt_t a, b;
    GT_SPAWN(a, tail_a, NULL, 0);
    GT_SPAWN(b, tail_b, NULL, 0);
    GT_JOIN(a, NULL);
    tl_check(tail_child > 0, "gt_spawn from a green thread failed (returned %d).",
             tail_child);
    static const int want[] = {11, 21, 31, 12, 22, 32};
    check_log(want, 6, "thread 1 spawns thread 3 while thread 2 is queued");
    GT_JOIN(b, NULL);
    GT_JOIN(tail_child, NULL);
    GT_STOP();
}

/* ------------------------------------------------------------------ */

/* Static, not malloc'ed: a failing check must not look like a leak to the
 * memory stage. */
enum { MANY_MAX = 10000 };
static int many_count[MANY_MAX];
static gt_t many_ids[MANY_MAX];

static void *many_worker(void *p)
{
    intptr_t i = (intptr_t)p;
    many_count[i]++;
    gt_yield();
    return (void *)(i + 1);
}

TL_TEST(spawn_join_10000_threads, 4, 30, "scale")
{
    long n = tl_iters(MANY_MAX);
    gt_t *ids = many_ids;
    memset(many_count, 0, sizeof many_count);
    GT_START();
    for (long i = 0; i < n; i++) {
        ids[i] = gt_spawn(many_worker, (void *)(intptr_t)i, 0);
        tl_check(ids[i] > 0,
                 "gt_spawn number %ld of %ld (all alive at once, default stack) "
                 "failed: errno %d (%s). Hint: each thread needs only its "
                 "mapping and record; check for leaks of earlier ones.",
                 i + 1, n, errno, strerror(errno));
        tl_check(i == 0 || ids[i] > ids[i - 1],
                 "ids must grow in spawn order: spawn %ld got %d after %d.", i + 1,
                 ids[i], ids[i - 1]);
    }
    for (long i = 0; i < n; i++) {
        void *ret = NULL;
        GT_JOIN(ids[i], &ret);
        tl_check(ret == (void *)(i + 1),
                 "thread #%ld returned %p but gt_join delivered %p.", i,
                 (void *)(i + 1), ret);
    }
    for (long i = 0; i < n; i++)
        tl_check(many_count[i] == 1,
                 "thread #%ld of %ld ran its entry function %d times; every "
                 "spawned thread must run exactly once.", i, n, many_count[i]);
    GT_STOP();
}

/* ------------------------------------------------------------------ */

static int after_exit_ran;

static void deep_exit(int depth)
{
    /* Through a volatile pointer: gcc cannot see that the recursion ends. */
    static void (*volatile again)(int) = deep_exit;
    if (depth == 0)
        gt_exit((void *)0xB0B);
    again(depth - 1);
    after_exit_ran = 1; /* never */
}

static void *exit_deep(void *p)
{
    (void)p;
    deep_exit(5);
    after_exit_ran = 1;
    return (void *)0xBAD;
}

static void *return_value(void *p)
{
    return p;
}

TL_TEST(entry_return_is_exit, 3, 10, "exit")
{
    after_exit_ran = 0;
    GT_START();
    gt_t a, b, c;
    GT_SPAWN(a, return_value, (void *)0xA11CE, 0);
    GT_SPAWN(b, exit_deep, NULL, 0);
    GT_SPAWN(c, return_value, NULL, 0);
    void *ra = NULL, *rb = NULL, *rc = (void *)1;
    GT_JOIN(a, &ra);
    tl_check(ra == (void *)0xA11CE,
             "the entry function returned 0xa11ce but gt_join delivered %p: "
             "returning from the entry function must be gt_exit(return value). "
             "Hint: the trampoline, Task 3.3.", ra);
    GT_JOIN(b, &rb);
    tl_check(rb == (void *)0xB0B,
             "gt_exit(0xb0b) called 5 calls deep was joined with %p.", rb);
    tl_check(after_exit_ran == 0,
             "code after gt_exit ran: gt_exit must never return (Task 5.4).");
    GT_JOIN(c, &rc);
    tl_check(rc == NULL, "an entry function that returned NULL was joined with %p.",
             rc);
    GT_STOP();
}

/* ------------------------------------------------------------------ */

static int jw_progress, jw_done;

static void *jw_target(void *p)
{
    (void)p;
    for (int i = 0; i < 5; i++) {
        jw_progress++;
        gt_yield();
    }
    jw_done = 1;
    return (void *)55;
}

static void *jw_green_joiner(void *p)
{
    gt_t t = *(gt_t *)p;
    void *r = NULL;
    if (gt_join(t, &r) != 0)
        return (void *)-1;
    /* report what we saw when join returned */
    return (void *)(intptr_t)(jw_done * 100 + jw_progress);
}

TL_TEST(join_waits_for_exit, 4, 10, "join")
{
    jw_progress = jw_done = 0;
    GT_START();
    gt_t t;
    GT_SPAWN(t, jw_target, NULL, 0);
    void *r = NULL;
    GT_JOIN(t, &r);
    tl_check(jw_done == 1 && jw_progress == 5,
             "gt_join returned before the thread exited (progress=%d of 5, "
             "done=%d). Hint: join must block (GT_JOINING + gt_schedule) until "
             "the target's gt_exit makes the joiner runnable (Task 5.5).",
             jw_progress, jw_done);
    tl_check(r == (void *)55, "gt_join delivered %p, the thread returned 0x37.", r);

    /* The same with a green thread as the joiner. */
    jw_progress = jw_done = 0;
    gt_t t2, j;
    GT_SPAWN(t2, jw_target, NULL, 0);
    GT_SPAWN(j, jw_green_joiner, &t2, 0);
    void *seen = NULL;
    GT_JOIN(j, &seen);
    tl_check(seen == (void *)105,
             "a green thread's gt_join of another thread returned early or "
             "failed: it saw %ld (expected 105 = done*100 + progress 5; -1 means "
             "gt_join failed).", (long)(intptr_t)seen);
    GT_STOP();
}

/* ------------------------------------------------------------------ */

static void *yield_thrice(void *p)
{
    for (int i = 0; i < 3; i++)
        gt_yield();
    return p;
}

struct jres {
    gt_t target;
    int rc;
    int err;
};

static void *try_join(void *p)
{
    struct jres *j = p;
    errno = 0;
    j->rc = gt_join(j->target, NULL);
    j->err = errno;
    return NULL;
}

static void expect_err(int rc, int err, int want, const char *call, const char *why)
{
    tl_check(rc == -1 && err == want,
             "%s returned %d (errno %d: %s); expected -1 with %s: %s", call, rc,
             err, strerror(err), want == EDEADLK ? "EDEADLK" : want == ESRCH ? "ESRCH" : "EINVAL",
             why);
}

TL_TEST(join_errors, 4, 10, "join errors")
{
    GT_START();
    errno = 0;
    int rc = gt_join(gt_self(), NULL);
    expect_err(rc, errno, EDEADLK, "gt_join(gt_self())", "a thread cannot wait for itself.");
    gt_t bad[] = {0, -3, 12345};
    for (int i = 0; i < 3; i++) {
        char what[64];
        snprintf(what, sizeof what, "gt_join(%d)", bad[i]);
        errno = 0;
        rc = gt_join(bad[i], NULL);
        expect_err(rc, errno, ESRCH, what, "no thread with that id was ever spawned.");
    }
    gt_t t;
    GT_SPAWN(t, yield_thrice, NULL, 0);
    GT_JOIN(t, NULL);
    errno = 0;
    rc = gt_join(t, NULL);
    expect_err(rc, errno, EINVAL, "a second gt_join of the same thread",
               "it was released by the first join; its id is never valid again.");

    /* Two green threads join the same target: the second gets EINVAL at
     * once, the first waits. Then a green thread joins main: EINVAL. */
    gt_t x, j1, j2, jm;
    GT_SPAWN(x, yield_thrice, (void *)9, 0);
    struct jres r1 = {x, 0, 0}, r2 = {x, 0, 0}, rm = {1, 0, 0};
    GT_SPAWN(j1, try_join, &r1, 0);
    GT_SPAWN(j2, try_join, &r2, 0);
    GT_SPAWN(jm, try_join, &rm, 0);
    GT_JOIN(j1, NULL);
    GT_JOIN(j2, NULL);
    GT_JOIN(jm, NULL);
    tl_check(r1.rc == 0, "the first of two joiners of one thread failed: rc %d "
             "errno %d (%s).", r1.rc, r1.err, strerror(r1.err));
    expect_err(r2.rc, r2.err, EINVAL, "a second concurrent gt_join of one thread",
               "another thread is already waiting to join it.");
    expect_err(rm.rc, rm.err, EINVAL, "gt_join(1) from a spawned thread",
               "the main green thread never exits, so nobody may join it.");
    GT_STOP();
}

/* ------------------------------------------------------------------ */

static int bystander_runs;

static void *bystander(void *p)
{
    (void)p;
    bystander_runs++;
    return NULL;
}

TL_TEST(join_after_exit, 2, 10, "join")
{
    bystander_runs = 0;
    flag_ran = 0;
    GT_START();
    gt_t t, b;
    GT_SPAWN(t, set_flag, (void *)42, 0);
    gt_yield(); /* t runs and exits */
    tl_check(flag_ran == 1, "the thread did not run during the main thread's "
             "gt_yield (ran %d times).", flag_ran);
    GT_SPAWN(b, bystander, NULL, 0);
    void *r = NULL;
    GT_JOIN(t, &r);
    tl_check(r == (void *)42, "joining a thread that had already exited gave %p, "
             "expected its retval 0x2a.", r);
    tl_check(bystander_runs == 0,
             "gt_join of a thread that had ALREADY exited let another thread run "
             "(%d times): it must return at once without blocking or yielding.",
             bystander_runs);
    GT_JOIN(b, NULL);
    GT_STOP();
}
