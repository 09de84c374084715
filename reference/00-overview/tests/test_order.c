/*
 * test_order.c - the course outline's claims, checked with your code's
 * numbers: orderings only, with wide margins, never a number of
 * nanoseconds. The test times your operations itself (median of several
 * batches), so these tests depend on Tasks 3 and 4, not on your statistics.
 * A loaded machine slows both sides; each comparison gets three tries.
 */
#include "cost_test.h"

#define TRIES 3

struct pair {
    double cheap, dear;
};

static struct pair compare(const char *cheap_name, cost_op_fn cheap, void *cc, int cb,
                           const char *dear_name, cost_op_fn dear, void *dc, int db,
                           double factor)
{
    struct pair p = {0, 0};
    for (int t = 0; t < TRIES; t++) {
        /* Warm up both (page faults, lazy binding, the thread stack cache). */
        time_op(cheap_name, cheap, cc, cb, 2);
        time_op(dear_name, dear, dc, db, 2);
        p.cheap = time_op(cheap_name, cheap, cc, cb, 15);
        p.dear = time_op(dear_name, dear, dc, db, 15);
        if (p.dear > factor * p.cheap)
            break;
    }
    return p;
}

TL_TEST(order_process_dearer_than_thread, 3, 60, "order slow")
{
    struct pair p = compare("cost_thread_create_join", cost_thread_create_join, NULL, 5,
                            "cost_process_create_join", cost_process_create_join, NULL, 1, 1.5);
    tl_check(p.dear > 1.5 * p.cheap, "median create+join: process %.0f ns, thread %.0f ns. A "
             "fork copies the page tables of the whole address space and makes a new process; "
             "a thread shares them, so the process should cost well over 1.5 times more. Check "
             "that cost_process_create_join forks and cost_thread_create_join does not "
             "(handout Task 3).", p.dear, p.cheap);
}

TL_TEST(order_thread_dearer_than_ucontext, 3, 60, "order slow")
{
    struct pair p = compare("cost_ucontext_create_join", cost_ucontext_create_join, NULL, 50,
                            "cost_thread_create_join", cost_thread_create_join, NULL, 5, 3);
    tl_check(p.dear > 3 * p.cheap, "median create+join: kernel thread %.0f ns, user context "
             "%.0f ns. A thread is a clone() system call, a scheduler wake-up and a futex wait "
             "at the join; a user context is a malloc and two swapcontext calls, so it should "
             "cost under a third. Does cost_ucontext_create_join stay on the calling thread "
             "(handout Task 3)?", p.dear, p.cheap);
}

TL_TEST(order_kernel_switch_dearer_than_user, 3, 60, "order slow")
{
    struct cost_pingpong pp = {0};
    struct cost_uswitch u;
    memset(&u, 0, sizeof u);
    int rc = cost_pingpong_start(&pp);
    tl_expect_ok(rc, "cost_pingpong_start", "Task 4 (src/switch.c)");
    rc = cost_uswitch_start(&u);
    tl_expect_ok(rc, "cost_uswitch_start", "Task 4 (src/switch.c)");
    struct pair p = compare("cost_uswitch_round", cost_uswitch_round, &u, 200,
                            "cost_pingpong_round", cost_pingpong_round, &pp, 25, 3);
    tl_expect_ok(cost_pingpong_stop(&pp, NULL), "cost_pingpong_stop", "Task 4 (src/switch.c)");
    tl_expect_ok(cost_uswitch_stop(&u, NULL), "cost_uswitch_stop", "Task 4 (src/switch.c)");
    tl_check(p.dear > 3 * p.cheap, "median round trip: two kernel threads through pipes %.0f ns, "
             "two user contexts %.0f ns. A kernel round trip is four system calls and two "
             "wake-ups through the scheduler; a user round trip is two swapcontext calls, so it "
             "should cost under a third (handout Task 4).", p.dear, p.cheap);
}
