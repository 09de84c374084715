/*
 * test_pcancel.c - Task 7: pthread_cancel of a thread blocked in read(2)
 * on a pipe nobody writes; its cleanup handler runs, on its own thread.
 */
#include "lc_test.h"

#include <unistd.h>

struct rt {
    struct pc_reader r;
    atomic_int finished; /* pc_reader_main returned (it must not, here) */
    void *ret;
};

static void *reader_tramp(void *arg)
{
    struct rt *x = arg;
    x->ret = pc_reader_main(&x->r);
    atomic_store(&x->finished, 1);
    return x->ret;
}

static int reading_or_finished(void *arg)
{
    struct rt *x = arg;
    return atomic_load(&x->r.reading) || atomic_load(&x->finished);
}

TL_TEST(pcancel_blocked_read, 5, 20, "pcancel memory")
{
    int p[2];
    tl_check(pipe(p) == 0, "the test could not make a pipe");
    static struct rt x;
    memset(&x, 0, sizeof x);
    x.r.fd = p[0];
    x.r.bufsize = 4096;
    pthread_t tid;
    int rc = pthread_create(&tid, NULL, reader_tramp, &x);
    tl_check(rc == 0, "the test could not create a thread: %s", tl_ename(rc));
    tl_check(tl_poll_until(reading_or_finished, &x, hang_secs()), "pc_reader_main never set reading = 1 "
             "(%.0f s). Hint: " T7 ", TODO 7.1.", hang_secs());
    if (atomic_load(&x.finished)) {
        pthread_join(tid, NULL);
        tl_fail("pc_reader_main returned %ld without data on the pipe (reading = %d): it must block in "
                "read(2) until cancelled. Hint: " T7 ", TODO 7.1.", (long)(intptr_t)x.ret,
                atomic_load(&x.r.reading));
    }
    void *ret = NULL;
    rc = pc_cancel_and_join(tid, &ret);
    tl_expect_ok(rc, "pc_cancel_and_join of the blocked reader", T7);
    tl_check(ret == PTHREAD_CANCELED, "the cancelled reader's exit value is %p, expected "
             "PTHREAD_CANCELED (%p): read(2) is a cancellation point, the thread must end there. "
             "Hint: " T7 ".", ret, PTHREAD_CANCELED);
    tl_check(!atomic_load(&x.finished), "pc_reader_main returned although it was cancelled");
    tl_check(atomic_load(&x.r.cleaned) == 1, "the reader was cancelled but its cleanup handler did not "
             "run (cleaned = %d): pthread_cleanup_push it before the read. Hint: " T7 ", TODO 7.2.",
             atomic_load(&x.r.cleaned));
    tl_check(pthread_equal(x.r.cleanup_thread, tid), "the cleanup handler ran on another thread "
             "than the reader: cancellation unwinds the TARGET thread, which runs its own handlers. "
             "Store pthread_self() in the handler. Hint: " T7 ", TODO 7.2.");
    close(p[0]);
    close(p[1]);
}
