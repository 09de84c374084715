/*
 * test_threads.c - Task 1: many threads started, all waited for, every exit
 * code collected; an atomic add with no lost update.
 */
#include "wt_test.h"

#define T1 "Task 1 (src/threads.c)"

static unsigned __stdcall code_of_arg(void *arg)
{
    return (unsigned)(uintptr_t)arg;
}

TL_TEST(run_all_collects_exit_codes, 6, 30, "threads")
{
    void *args[5];
    unsigned long codes[5];
    for (int i = 0; i < 5; i++) {
        args[i] = (void *)(uintptr_t)(i * 7 + 1);
        codes[i] = 999;
    }
    long blocks = wt_heap_blocks();
    wt_expect_ok(wt_run_all(5, code_of_arg, args, codes), "wt_run_all(5 threads)", T1);
    for (int i = 0; i < 5; i++)
        tl_check(codes[i] == (unsigned long)(i * 7 + 1),
                 "thread %d returned %d but codes[%d] = %lu. Hint: GetExitCodeThread on "
                 "handle i, after the thread has ended, into codes[i].", i, i * 7 + 1, i, codes[i]);
    wt_expect_no_leak(blocks, "wt_run_all(5 threads)");
    unsigned long one = 999;
    wt_expect_ok(wt_run_all(1, code_of_arg, NULL, &one), "wt_run_all(1 thread, args NULL)", T1);
    tl_check(one == 0, "with args NULL every thread gets NULL, so this body returns 0; "
             "codes[0] = %lu", one);
}

static volatile long long ran;

static unsigned __stdcall count_and_return_index(void *arg)
{
    wt_add(&ran, 1);
    return 1000u + (unsigned)(uintptr_t)arg;
}

TL_TEST(run_all_more_than_64_threads, 6, 60, "threads")
{
    enum { N = 150 };
    static void *args[N];
    static unsigned long codes[N];
    for (int i = 0; i < N; i++)
        args[i] = (void *)(uintptr_t)i;
    ran = 0;
    DWORD before = 0, after = 0;
    GetProcessHandleCount(GetCurrentProcess(), &before);
    int rc = wt_run_all(N, count_and_return_index, args, codes);
    wt_expect_ok(rc, "wt_run_all(150 threads)", T1);
    tl_check(ran == N, "wt_run_all returned while %lld of %d threads had run their body. "
             "Hint: WaitForMultipleObjects waits for at most 64 handles per call "
             "(MAXIMUM_WAIT_OBJECTS), and with more it fails at once: wait in groups.",
             (long long)ran, N);
    for (int i = 0; i < N; i++)
        tl_check(codes[i] == 1000ul + (unsigned long)i,
                 "codes[%d] = %lu, expected %d (thread i's exit code goes to codes[i])",
                 i, codes[i], 1000 + i);
    GetProcessHandleCount(GetCurrentProcess(), &after);
    tl_check(after <= before + 8, "the process holds %lu handles after wt_run_all, %lu before: "
             "close every thread handle (CloseHandle) once its exit code is read",
             (unsigned long)after, (unsigned long)before);
}

struct adder {
    long iters;
    long long delta;
    struct wt_failbox *fb;
};

static volatile long long total;

static DWORD WINAPI add_many(LPVOID arg)
{
    struct adder *a = arg;
    for (long i = 0; i < a->iters; i++) {
        long long now = wt_add(&total, a->delta);
        if ((now - a->delta) % 2 != 0 && a->delta % 2 == 0 && total % 2 == 0) {
            wt_fb_fail(a->fb, "wt_add returned %lld after adding %lld: it must return the "
                       "value AFTER the add", now, a->delta);
            return 1;
        }
        if (i % 64 == 0)
            tl_perturb_point();
    }
    return 0;
}

TL_TEST(add_is_atomic_under_contention, 4, 60, "threads stress")
{
    struct wt_failbox fb = {0};
    long n = tl_iters(200000);
    struct adder a[4] = {{n, 2, &fb}, {n, 2, &fb}, {n, -2, &fb}, {n, 4, &fb}};
    total = 0;
    long long first = wt_add(&total, 5);
    tl_check(first == 5, "wt_add(&c, 5) on c == 0 returned %lld, expected 5 (the new value)", first);
    HANDLE h[4];
    for (int i = 0; i < 4; i++)
        h[i] = wt_start(add_many, &a[i]);
    for (int i = 0; i < 4; i++)
        tl_check(wt_join_within(h[i], 30), "an adder thread did not finish in 30 s");
    wt_fb_report(&fb);
    long long want = 5 + n * (2 + 2 - 2 + 4);
    tl_check(total == want, "4 threads added %ld times each: the total is %lld, expected %lld: "
             "updates were lost. Hint: one InterlockedExchangeAdd64, not a read then a write.",
             n, (long long)total, want);
}
