/*
 * test_fibers.c - Task 4: the fiber scheduler's round-robin order.
 */
#include "wt_test.h"

#define T4 "Task 4 (src/fibers.c)"

static struct wt_sched sched;
static char trace[256];
static int tn;

struct looper {
    char name;
    int rounds;
};

static void loop_fiber(void *arg)
{
    struct looper *l = arg;
    for (int i = 0; i < l->rounds; i++) {
        if (tn < (int)sizeof trace - 1)
            trace[tn++] = l->name;
        wt_fiber_yield(&sched);
    }
}

/* A fresh scheduler and an empty trace for each test. */
static void reset(void)
{
    memset(&sched, 0, sizeof sched);
    memset(trace, 0, sizeof trace);
    tn = 0;
}

static void spawn_or_fail(wt_fiber_fn fn, void *arg, int want_id)
{
    int id = wt_fiber_spawn(&sched, fn, arg);
    tl_check(id != -ENOSYS, "wt_fiber_spawn returned -ENOSYS: not written yet. Do %s.", T4);
    tl_check(id == want_id, "wt_fiber_spawn returned %d, expected id %d (ids count 0, 1, 2... "
             "in spawn order)", id, want_id);
}

TL_TEST(fibers_round_robin_order, 8, 30, "fibers")
{
    reset();
    static struct looper a = {'A', 3}, b = {'B', 1}, c = {'C', 4};
    long blocks = wt_heap_blocks();
    spawn_or_fail(loop_fiber, &a, 0);
    spawn_or_fail(loop_fiber, &b, 1);
    spawn_or_fail(loop_fiber, &c, 2);
    wt_expect_ok(wt_sched_run(&sched), "wt_sched_run", T4);
    const char *want = "ABCACACC";
    tl_check(strcmp(trace, want) == 0,
             "three fibers (A 3 rounds, B 1, C 4; each records its letter then yields) ran in "
             "the order \"%s\"; round-robin gives \"%s\". Hint: a yielding fiber goes to the "
             "TAIL of the queue; a finished one leaves it.", trace, want);
    wt_expect_no_leak(blocks, "3 fibers spawned and run to their end");
    tl_check(sched.live == 0 && sched.count == 0, "after wt_sched_run: live = %d, count = %lu "
             "(both 0: every fiber finished and deleted)", sched.live, (unsigned long)sched.count);
    /* Converting again fails (ERROR_ALREADY_FIBER) while the thread is one. */
    LPVOID again = ConvertThreadToFiber(NULL);
    tl_check(again != NULL, "wt_sched_run returned with the thread still a fiber (GetLastError "
             "%lu): ConvertFiberToThread at the end", (unsigned long)GetLastError());
    ConvertFiberToThread();
}

static void child(void *arg)
{
    if (tn < (int)sizeof trace - 1)
        trace[tn++] = *(char *)arg;
}

static void parent(void *arg)
{
    static char x = 'x';
    if (tn < (int)sizeof trace - 1)
        trace[tn++] = *(char *)arg;
    wt_fiber_spawn(&sched, child, &x);
    wt_fiber_yield(&sched);
    if (tn < (int)sizeof trace - 1)
        trace[tn++] = (char)(*(char *)arg - 'a' + 'A');
}

TL_TEST(fiber_spawned_by_fiber_joins_the_tail, 4, 30, "fibers")
{
    reset();
    static char names[2] = {'p', 'q'};
    for (int i = 0; i < 2; i++)
        spawn_or_fail(parent, &names[i], i);
    wt_expect_ok(wt_sched_run(&sched), "wt_sched_run", T4);
    tl_check(!strcmp(trace, "pqxPxQ"),
             "fibers p and q each spawn a child x and yield: the order was \"%s\", round-robin "
             "gives \"pqxPxQ\" (a fiber spawned by a fiber goes to the tail, behind the others)",
             trace);
}
