/*
 * test_block.c - blocking system calls: mn_block_begin hands the carrier
 * to a spare so the other user threads keep running (handout Task 6).
 */
#include "mn_test.h"

#include <pthread.h>
#include <unistd.h>

static int pfd[2];
static atomic_int in_read, read_done, r_rc, after_carrier, begin_rc, begin_err;
static atomic_long steps_total, steps_during_read;
static atomic_int stop_all;

static void *reader(void *p)
{
    (void)p;
    char c;
    int rc = mn_block_begin();
    atomic_store(&begin_rc, rc);
    atomic_store(&begin_err, rc ? errno : 0);
    atomic_store(&in_read, 1);
    ssize_t n = read(pfd[0], &c, 1); /* blocks until the writer writes */
    atomic_store(&in_read, 0);
    if (rc == 0)
        rc = mn_block_end();
    atomic_store(&r_rc, rc == 0 && n == 1 ? 0 : -1);
    atomic_store(&after_carrier, mn_carrier());
    atomic_store(&read_done, 1);
    return NULL;
}

static void *stepper(void *p)
{
    (void)p;
    while (!atomic_load(&read_done) && !atomic_load(&stop_all)) {
        atomic_fetch_add(&steps_total, 1);
        if (atomic_load(&in_read))
            atomic_fetch_add(&steps_during_read, 1);
        mn_yield();
    }
    return NULL;
}

/* Writes the byte only once the others made 200 steps during the read. */
static void *writer(void *p)
{
    (void)p;
    while (atomic_load(&steps_during_read) < 200 && !atomic_load(&stop_all))
        mn_yield();
    if (!atomic_load(&stop_all) && write(pfd[1], "x", 1) != 1)
        atomic_store(&stop_all, 1);
    return NULL;
}

TL_TEST(blocked_read_does_not_stall_others, 6, 60, "block")
{
    tl_check(pipe(pfd) == 0, "pipe failed");
    atomic_store(&in_read, 0);
    atomic_store(&read_done, 0);
    atomic_store(&stop_all, 0);
    atomic_store(&steps_total, 0);
    atomic_store(&steps_during_read, 0);
    atomic_store(&after_carrier, -2);
    MN_START(1);
    mn_t r, s[3], w;
    MN_SPAWN(r, reader, NULL);
    for (int i = 0; i < 3; i++)
        MN_SPAWN(s[i], stepper, NULL);
    MN_SPAWN(w, writer, NULL);
    int ok = TL_WAIT_UNTIL(atomic_load(&read_done), 20);
    if (!ok) {
        /* Unblock the reader ourselves so the runtime can be shut down. */
        atomic_store(&stop_all, 1);
        if (write(pfd[1], "y", 1) != 1)
            tl_fail("write to the pipe failed");
        TL_WAIT_UNTIL(atomic_load(&read_done), 10);
    }
    struct mn_stats st;
    MN_STATS(&st);
    atomic_store(&stop_all, 1);
    MN_JOIN(r, NULL);
    for (int i = 0; i < 3; i++)
        MN_JOIN(s[i], NULL);
    MN_JOIN(w, NULL);
    MN_STOP();
    close(pfd[0]);
    close(pfd[1]);
    tl_check(atomic_load(&begin_rc) == 0,
             "mn_block_begin() in a user thread returned %d (errno %s). Hint: "
             "Task 6.1.", atomic_load(&begin_rc), tl_ename(atomic_load(&begin_err)));
    tl_check(ok,
             "with ONE carrier, a user thread blocked in read(2) inside "
             "mn_block_begin/mn_block_end; the pipe is written only after the "
             "other user threads make 200 steps during that read. They made "
             "%ld (%ld in all) in 20 s: the read held the only carrier. "
             "mn_block_begin must hand the carrier to a spare kernel thread "
             "(started if none is idle). Hint: Task 6.1.",
             atomic_load(&steps_during_read), atomic_load(&steps_total));
    tl_check(atomic_load(&r_rc) == 0,
             "the reader's read or mn_block_end failed. Hint: Task 6.2.");
    tl_check(atomic_load(&after_carrier) == 0,
             "after mn_block_end the reader must be back on a carrier: "
             "mn_carrier() returned %d, expected 0. Hint: Task 6.2 (end queues "
             "the thread on the global queue; a carrier runs it).",
             atomic_load(&after_carrier));
    tl_check(st.spares >= 1 && st.kthreads >= 2,
             "mn_stats says %lu spares started and %d kernel threads after a "
             "block section with one carrier; expected >= 1 and >= 2.",
             st.spares, st.kthreads);
}

/* ------------------------------------------------------------------ */

static int be[8];
static pthread_t kt_before, kt_inside;

static void *block_misuse(void *p)
{
    (void)p;
    errno = 0;
    be[0] = mn_block_end() == -1 && errno == EINVAL;  /* not in a section */
    be[1] = mn_block_begin() == 0;
    errno = 0;
    be[2] = mn_block_begin() == -1 && errno == EINVAL; /* nested */
    be[3] = mn_carrier() == -1;                         /* holds none */
    kt_before = pthread_self();
    mn_yield();                                         /* a no-op here */
    kt_inside = pthread_self();
    be[4] = mn_block_end() == 0;
    be[5] = mn_carrier() == 0;
    return NULL;
}

TL_TEST(block_section_errors, 2, 30, "block")
{
    errno = 0;
    int rc = mn_block_begin();
    tl_check(rc == -1 && errno == EPERM, "mn_block_begin() with no runtime "
             "returned %d (errno %s); expected -1 with EPERM.", rc, tl_ename(errno));
    MN_START(1);
    errno = 0;
    rc = mn_block_begin();
    tl_check(rc == -1 && errno == EPERM, "mn_block_begin() from a kernel "
             "thread that is not a user thread returned %d (errno %s); "
             "expected -1 with EPERM.", rc, tl_ename(errno));
    errno = 0;
    rc = mn_block_end();
    tl_check(rc == -1 && errno == EPERM, "mn_block_end() from a kernel thread "
             "returned %d (errno %s); expected -1 with EPERM.", rc, tl_ename(errno));
    mn_t t;
    MN_SPAWN(t, block_misuse, NULL);
    MN_JOIN(t, NULL);
    MN_STOP();
    static const char *what[6] = {
        "mn_block_end outside a block section must fail with EINVAL",
        "mn_block_begin in a user thread must return 0",
        "a nested mn_block_begin must fail with EINVAL",
        "inside a block section the thread holds no carrier: mn_carrier() must be -1",
        "mn_block_end must return 0",
        "after mn_block_end the thread runs on a carrier again: mn_carrier() must be 0"};
    for (int i = 0; i < 6; i++)
        tl_check(be[i], "%s. Hint: Task 6.", what[i]);
    tl_check(pthread_equal(kt_before, kt_inside),
             "mn_yield inside a block section moved the thread to another "
             "kernel thread: it must be a no-op there (mn.h).");
}

/* ------------------------------------------------------------------ */

static atomic_int sections_ok;

static void *many_sections(void *p)
{
    (void)p;
    for (int i = 0; i < 20; i++) {
        if (mn_block_begin() != 0)
            return NULL;
        (void)getppid(); /* a system call, as a stand-in */
        if (mn_block_end() != 0)
            return NULL;
        atomic_fetch_add(&sections_ok, 1);
    }
    return NULL;
}

TL_TEST(spares_are_reused, 2, 30, "block")
{
    atomic_store(&sections_ok, 0);
    MN_START(1);
    mn_t t;
    MN_SPAWN(t, many_sections, NULL);
    MN_JOIN(t, NULL);
    struct mn_stats st;
    MN_STATS(&st);
    MN_STOP();
    tl_check(atomic_load(&sections_ok) == 20, "only %d of 20 block sections "
             "completed. Hint: Task 6.", atomic_load(&sections_ok));
    tl_check(st.spares == 1 && st.kthreads == 2,
             "20 block sections one after the other, with one carrier, "
             "started %lu spare kernel threads (%d alive at the end); one is "
             "enough: the kernel thread a section leaves in mn_block_end "
             "becomes the spare the next section hands the carrier to. "
             "Register it as a spare BEFORE queuing the thread, so the next "
             "section finds it. Hint: Task 6.3.", st.spares, st.kthreads);
}
