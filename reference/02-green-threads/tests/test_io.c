/*
 * test_io.c - sleeping and I/O park only the caller (Tasks 6 and 7).
 */
#include "gt_test.h"

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Sleepers wake in deadline order                                    */
/* ------------------------------------------------------------------ */

enum { NSLEEP = 6 };
static const long sleep_ms_of[NSLEEP] = {90, 30, 150, 60, 180, 120};
static double t_call[NSLEEP], t_wake[NSLEEP];
static int wake_order[NSLEEP], n_woken, n_asleep, asleep_at_first_wake;

static void *sleeper(void *p)
{
    int i = (int)(intptr_t)p;
    n_asleep++;
    t_call[i] = tl_now();
    int rc = gt_sleep_ms(sleep_ms_of[i]);
    t_wake[i] = tl_now();
    if (n_woken == 0)
        asleep_at_first_wake = n_asleep;
    wake_order[n_woken++] = i;
    return (void *)(intptr_t)rc;
}

TL_TEST(sleepers_wake_in_deadline_order, 4, 15, "sleep")
{
    n_woken = n_asleep = asleep_at_first_wake = 0;
    GT_START();
    gt_t t[NSLEEP];
    for (int i = 0; i < NSLEEP; i++)
        GT_SPAWN(t[i], sleeper, (void *)(intptr_t)i, 0);
    for (int i = 0; i < NSLEEP; i++) {
        void *r = NULL;
        GT_JOIN(t[i], &r);
        tl_check(r == NULL, "gt_sleep_ms(%ld) returned %ld (errno %d: %s), "
                 "expected 0. Hint: Task 6.", sleep_ms_of[i], (long)(intptr_t)r,
                 errno, strerror(errno));
    }
    GT_STOP();
    tl_check(asleep_at_first_wake == NSLEEP,
             "the first sleeper woke when only %d of the %d threads had gone to "
             "sleep: gt_sleep_ms blocked the whole kernel thread (nanosleep?) "
             "instead of parking only the caller. Hint: Task 6.2, put the "
             "caller in the sleep list and gt_schedule.",
             asleep_at_first_wake, NSLEEP);
    for (int i = 0; i < NSLEEP; i++)
        tl_check(t_wake[i] - t_call[i] >= sleep_ms_of[i] / 1000.0 - 0.0005,
                 "gt_sleep_ms(%ld) returned after %.2f ms: a sleep lasts AT "
                 "LEAST the time asked. Hint: round the poll timeout up, and "
                 "wake only sleepers whose deadline has passed.",
                 sleep_ms_of[i], (t_wake[i] - t_call[i]) * 1000);
    /* Wake order must follow the deadlines (call time + duration, as seen
     * by the test). Pairs closer than 15 ms are not judged. */
    for (int k = 0; k < NSLEEP; k++)
        for (int l = k + 1; l < NSLEEP; l++) {
            int a = wake_order[k], b = wake_order[l];
            double da = t_call[a] + sleep_ms_of[a] / 1000.0;
            double db = t_call[b] + sleep_ms_of[b] / 1000.0;
            tl_check(da <= db + 0.015,
                     "sleepers woke out of deadline order: thread %d "
                     "(gt_sleep_ms(%ld), due %.1f ms after the first call) woke "
                     "before thread %d (gt_sleep_ms(%ld), due %.1f ms after). "
                     "Hint: keep the sleep list sorted by deadline (6.2) and "
                     "wake from its head (6.3).",
                     a, sleep_ms_of[a], (da - t_call[0]) * 1000, b, sleep_ms_of[b],
                     (db - t_call[0]) * 1000);
        }
}

/* ------------------------------------------------------------------ */
/* gt_read parks the reader only                                      */
/* ------------------------------------------------------------------ */

enum { R_START = 1, R_DONE, W_RUN, W_YIELDED, W_WROTE };
static int io_fd[2], io_stop[2];
static int ev[32], nev;
static char rbuf[16];
static ssize_t rn;
static int rerr;

static void ev_add(int e)
{
    if (nev < 32)
        ev[nev++] = e;
}

static void *reader(void *p)
{
    (void)p;
    ev_add(R_START);
    errno = 0;
    rn = gt_read(io_fd[0], rbuf, sizeof rbuf);
    rerr = errno;
    ev_add(R_DONE);
    return NULL;
}

static void *writer(void *p)
{
    (void)p;
    ev_add(W_RUN);
    for (int i = 0; i < 3; i++) {
        gt_yield();
        ev_add(W_YIELDED);
    }
    ssize_t w = gt_write(io_fd[1], "hello", 5);
    ev_add(W_WROTE);
    return (void *)(intptr_t)w;
}

/* Turns a process-wide block into a message: if the test has not told it
 * to stop within 5 s, it writes "X" into the pipe the reader waits on. */
static void *watchdog(void *p)
{
    (void)p;
    struct pollfd pf = {io_stop[0], POLLIN, 0};
    if (poll(&pf, 1, 5000) == 0) {
        ssize_t w = write(io_fd[1], "X", 1);
        (void)w;
    }
    return NULL;
}

static int ev_index(int e)
{
    for (int i = 0; i < nev; i++)
        if (ev[i] == e)
            return i;
    return -1;
}

TL_TEST(read_parks_only_the_reader, 5, 20, "io")
{
    nev = 0;
    rn = -2;
    GT_START();
    tl_check(pipe(io_fd) == 0 && pipe(io_stop) == 0, "pipe failed");
    pthread_t wd;
    tl_check(pthread_create(&wd, NULL, watchdog, NULL) == 0, "pthread_create failed");
    gt_t r, w;
    GT_SPAWN(r, reader, NULL, 0);
    GT_SPAWN(w, writer, NULL, 0);
    void *wr = NULL;
    GT_JOIN(r, NULL);
    GT_JOIN(w, &wr);
    ssize_t s = write(io_stop[1], "s", 1);
    (void)s;
    pthread_join(wd, NULL);
    GT_STOP();
    for (int i = 0; i < 2; i++) {
        close(io_fd[i]);
        close(io_stop[i]);
    }
    tl_check(!(rn == 1 && rbuf[0] == 'X'),
             "gt_read on an empty pipe blocked the whole process: the writer "
             "green thread never ran while the reader waited, and after 5 s the "
             "test's watchdog wrote 'X' to unblock it. Hint: Task 7.1, put the "
             "fd in O_NONBLOCK mode, and on EAGAIN park the caller and "
             "gt_schedule; the scheduler polls parked fds (7.3).");
    tl_check(rn == 5 && memcmp(rbuf, "hello", 5) == 0,
             "gt_read returned %zd (errno %d: %s) with \"%.*s\"; the writer "
             "wrote \"hello\" in one gt_write.", rn, rerr, strerror(rerr),
             rn > 0 ? (int)rn : 0, rbuf);
    tl_check(wr == (void *)5, "gt_write(\"hello\", 5) returned %ld.",
             (long)(intptr_t)wr);
    int rs = ev_index(R_START), wrun = ev_index(W_RUN), wy = ev_index(W_YIELDED),
        ww = ev_index(W_WROTE), rd = ev_index(R_DONE);
    tl_check(rs >= 0 && wrun > rs && wy > wrun && ww > wy && rd > ww,
             "event order: reader start at %d, writer runs at %d, writer yields "
             "at %d, writer wrote at %d, reader got data at %d (of %d events). "
             "While the reader waits for data, the writer must run and yield "
             "freely; the reader wakes only after the write. Hint: Tasks 7.1, "
             "7.3 and 7.4.", rs, wrun, wy, ww, rd, nev);
}
