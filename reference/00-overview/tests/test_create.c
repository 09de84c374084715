/*
 * test_create.c - Task 3: each create+join really makes, runs and ends its
 * unit, and leaves nothing behind.
 */
#include "cost_test.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define T3 "Task 3 (src/create.c)"

TL_TEST(process_child_has_own_memory, 3, 20, "create")
{
    unsigned long counter = 0;
    long n = tl_iters(50) + 1;
    for (long i = 0; i < n; i++) {
        int rc = cost_process_create_join(&counter);
        tl_expect_ok(rc, "cost_process_create_join", T3);
    }
    tl_check(counter == 0, "after %ld cost_process_create_join calls the parent's counter is "
             "%lu: the increment must happen in the CHILD, whose memory is a copy (TODO 3.2). "
             "Did the parent increment it?", n, counter);
    errno = 0;
    pid_t w = waitpid(-1, NULL, WNOHANG);
    tl_check(w == -1 && errno == ECHILD, "after cost_process_create_join returned, waitpid(-1) "
             "found a child (%d): every child must be reaped by waitpid, or it stays a zombie "
             "(TODO 3.3)", (int)w);
    int rc = cost_process_create_join(NULL);
    tl_expect_ok(rc, "cost_process_create_join(NULL)", T3);
    /* A child that ran the body: counted through shared memory here. */
    unsigned long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    tl_check(shared != MAP_FAILED, "mmap failed in the test");
    rc = cost_process_create_join(shared);
    tl_expect_ok(rc, "cost_process_create_join", T3);
    tl_check(*shared == 1, "with ctx in MAP_SHARED memory, the child's increment should be seen "
             "(got %lu, expected 1): did the child run the body before _exit(0)? (TODO 3.2)", *shared);
    munmap(shared, 4096);
}

TL_TEST(thread_create_join_counts, 3, 20, "create")
{
    unsigned long counter = 0;
    int before = baseline_tasks();
    long n = tl_iters(200) + 1;
    for (long i = 0; i < n; i++) {
        int rc = cost_thread_create_join(&counter);
        tl_expect_ok(rc, "cost_thread_create_join", T3);
        tl_check(counter == (unsigned long)i + 1, "after %ld calls the counter is %lu: each "
                 "thread adds 1, and the join makes it visible before the call returns (TODO 3.4, "
                 "3.5)", i + 1, counter);
    }
    tl_check(tasks_settle(before) == before, "%d threads in the process after the calls, %d before: "
             "each thread must be joined (TODO 3.5)", task_count(), before);
    int rc = cost_thread_create_join(NULL);
    tl_expect_ok(rc, "cost_thread_create_join(NULL)", T3);
}

TL_TEST(ucontext_create_join_counts, 3, 20, "create")
{
    unsigned long counter = 0;
    int before = baseline_tasks();
    long n = tl_iters(1000) + 1;
    for (long i = 0; i < n; i++) {
        int rc = cost_ucontext_create_join(&counter);
        tl_expect_ok(rc, "cost_ucontext_create_join", T3);
        tl_check(counter == (unsigned long)i + 1, "after %ld calls the counter is %lu: the context's "
                 "body adds 1 and returns, and uc_link resumes the caller (TODO 3.6, 3.7)", i + 1,
                 counter);
    }
    tl_check(tasks_settle(before) == before, "cost_ucontext_create_join made a kernel thread (%d tasks, "
             "%d before): a user context runs on the caller's thread", task_count(), before);
    int rc = cost_ucontext_create_join(NULL);
    tl_expect_ok(rc, "cost_ucontext_create_join(NULL)", T3);
}
