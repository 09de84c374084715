/*
 * test_hidden.c - hidden tests of lab 03: out of memory and no more
 * kernel threads, mutex hand-off order, shutdown, many blocked readers,
 * floating-point modes and the guard page.
 */
#include "../tests/mn_test.h"

#include <fenv.h>
#include <signal.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

static void *ret_arg(void *p)
{
    return p;
}

/* ------------------------------------------------------------------ */

TL_TEST(hidden_out_of_memory, 3, 60, "oom hidden")
{
    /* mn_init(2): each allocation in turn fails, then it works. */
    int failed = 0;
    for (long k = 1; k <= 12; k++) {
        tl_fault_after(k);
        int rc = mn_init(2);
        int e = errno;
        int fired = tl_fault_disarm();
        if (!fired) {
            tl_check(rc == 0, "mn_init(2) failed (errno %s) with no fault "
                     "injected.", tl_ename(e));
            MN_STOP();
            break;
        }
        failed++;
        tl_check(rc == -1 && (e == ENOMEM || e == EAGAIN),
                 "when the %ld-th allocation or thread creation of mn_init(2) "
                 "fails, mn_init must return -1 with ENOMEM or EAGAIN; it "
                 "returned %d (errno %s). Hint: Task 2.1.", k, rc, tl_ename(e));
        MN_START(2); /* nothing was left behind: a new init works */
        MN_STOP();
    }
    tl_check(failed >= 3, "only %d fault sites in mn_init(2)? (expected the "
             "carriers, each worker and each pthread_create)", failed);

    /* mn_spawn: each allocation in turn fails. */
    MN_START(1);
    int spawn_failed = 0;
    for (long k = 1; k <= 8; k++) {
        last_mprotect = NULL;
        tl_fault_after(k);
        mn_t id = mn_spawn(ret_arg, (void *)k);
        int e = errno;
        int fired = tl_fault_disarm();
        if (fired && last_mprotect) {
            /* the stack was mapped: whatever failed, it must be gone */
            struct tl_map_look ml = {.addr = (uintptr_t)last_mprotect};
            tl_maps_look(&ml);
            tl_check(!ml.found, "the %ld-th allocation of mn_spawn failed "
                     "after its stack was mapped at %p, and that mapping is "
                     "still there: a failed spawn must munmap it. Hint: "
                     "Tasks 1.1 and 2.5.", k, last_mprotect);
        }
        if (!fired) {
            tl_check(id > 0, "mn_spawn failed (errno %s) with no fault injected.",
                     tl_ename(e));
            void *r = NULL;
            MN_JOIN(id, &r);
            tl_check(id == 1, "the first successful spawn after %d failed ones "
                     "got id %ld: a failed spawn must not use up an id.",
                     spawn_failed, (long)id);
            break;
        }
        spawn_failed++;
        tl_check(id == -1 && e == ENOMEM,
                 "when the %ld-th allocation of mn_spawn fails (record, stack "
                 "or id table), it must return -1 with ENOMEM; it returned "
                 "%ld (errno %s). Hint: Task 2.5.", k, (long)id, tl_ename(e));
    }
    tl_check(!mprotect_on_failed_map, "mn_spawn called mprotect on "
             "MAP_FAILED: a failed mmap of the stack went unnoticed. Hint: "
             "Task 1.1.");
    tl_check(spawn_failed >= 4, "only %d fault sites in the first mn_spawn? "
             "(expected the record, the stack and its guard page, and the id "
             "table)", spawn_failed);
    MN_STOP();
}

/* ------------------------------------------------------------------ */

static atomic_int bb_rc, bb_err, bb_carrier, bb_again;

static void *begin_without_thread(void *p)
{
    (void)p;
    tl_fault_after(1); /* this kernel thread's next pthread_create (or alloc) */
    int rc = mn_block_begin();
    atomic_store(&bb_err, rc ? errno : 0);
    tl_fault_disarm();
    atomic_store(&bb_rc, rc);
    atomic_store(&bb_carrier, mn_carrier());
    if (rc == 0)
        mn_block_end();
    /* Without the fault it works. */
    rc = mn_block_begin();
    if (rc == 0)
        rc = mn_block_end();
    atomic_store(&bb_again, rc);
    return NULL;
}

TL_TEST(hidden_no_spare_thread, 2, 60, "block hidden")
{
    MN_START(1);
    mn_t t;
    MN_SPAWN(t, begin_without_thread, NULL);
    MN_JOIN(t, NULL);
    struct mn_stats st;
    MN_STATS(&st);
    MN_STOP();
    tl_check(atomic_load(&bb_rc) == -1 && atomic_load(&bb_err) == EAGAIN,
             "mn_block_begin when no spare can be started (allocation or "
             "pthread_create fails) must return -1 with EAGAIN; it returned "
             "%d (errno %s). Hint: Task 6.1.", atomic_load(&bb_rc),
             tl_ename(atomic_load(&bb_err)));
    tl_check(atomic_load(&bb_carrier) == 0,
             "after a failed mn_block_begin the thread keeps its carrier: "
             "mn_carrier() must be 0, it was %d.", atomic_load(&bb_carrier));
    tl_check(atomic_load(&bb_again) == 0 && st.spares == 1,
             "after the failure, a block section must work again (got %d) "
             "and start exactly one spare (started %lu).",
             atomic_load(&bb_again), st.spares);
}

/* ------------------------------------------------------------------ */

static mn_mutex_t fm;
static int got_order[8], ngot;
static atomic_int queued;

static void *fifo_waiter(void *p)
{
    atomic_fetch_add(&queued, 1);
    mn_mutex_lock(&fm);
    got_order[ngot++] = (int)(long)p;
    mn_mutex_unlock(&fm);
    return NULL;
}

static void *fifo_holder(void *p)
{
    (void)p;
    mn_mutex_lock(&fm);
    mn_t w[5];
    for (int i = 0; i < 5; i++)
        w[i] = mn_spawn(fifo_waiter, (void *)(long)(i + 1));
    /* One carrier, local FIFO: yielding lets each waiter run and park. */
    while (atomic_load(&queued) < 5)
        mn_yield();
    mn_yield();
    mn_mutex_unlock(&fm);
    /* No barging: relocking now must queue us behind the five. */
    mn_mutex_lock(&fm);
    got_order[ngot++] = 9;
    mn_mutex_unlock(&fm);
    for (int i = 0; i < 5; i++)
        if (w[i] > 0)
            mn_join(w[i], NULL);
    return NULL;
}

TL_TEST(hidden_mutex_fifo_handoff, 2, 30, "mutex hidden")
{
    ngot = 0;
    atomic_store(&queued, 0);
    MN_START(1);
    tl_expect_ok(mn_mutex_init(&fm), "mn_mutex_init", "Task 5.2");
    mn_t h;
    MN_SPAWN(h, fifo_holder, NULL);
    MN_JOIN(h, NULL);
    MN_STOP();
    int ok = ngot == 6;
    for (int i = 0; ok && i < 5; i++)
        ok = got_order[i] == i + 1;
    ok = ok && got_order[5] == 9;
    tl_check(ok, "five user threads queued on a held mn_mutex in order 1..5; "
             "the holder (9) unlocked and at once locked again. Expected the "
             "order 1 2 3 4 5 9 (FIFO hand-off: unlock gives the mutex to the "
             "first waiter, so the unlocker cannot barge in); got %d entries: "
             "%d %d %d %d %d %d. Hint: Task 5.4.", ngot, got_order[0],
             got_order[1], got_order[2], got_order[3], got_order[4], got_order[5]);
    tl_expect_ok(mn_mutex_destroy(&fm), "mn_mutex_destroy", "Task 5.2");
}

/* ------------------------------------------------------------------ */

static atomic_int sd_done, sd_shutdown_rc, sd_shutdown_err;

static void *late_child(void *p)
{
    (void)p;
    for (int i = 0; i < 20; i++)
        mn_yield();
    atomic_fetch_add(&sd_done, 1);
    return NULL;
}

static void *keeps_going(void *p)
{
    (void)p;
    errno = 0;
    int rc = mn_shutdown(); /* not allowed from a user thread */
    atomic_store(&sd_shutdown_err, errno);
    atomic_store(&sd_shutdown_rc, rc);
    for (int i = 0; i < 50; i++) {
        mn_yield();
        if (i % 10 == 0)
            mn_spawn(late_child, NULL); /* user threads may spawn while closing */
    }
    atomic_fetch_add(&sd_done, 1);
    return NULL;
}

TL_TEST(hidden_shutdown_waits_and_frees, 3, 60, "shutdown hidden")
{
    atomic_store(&sd_done, 0);
    MN_START(2);
    mn_t id;
    for (int i = 0; i < 4; i++)
        MN_SPAWN(id, keeps_going, NULL); /* never joined */
    MN_STOP();
    tl_check(atomic_load(&sd_done) == 4 + 4 * 5,
             "mn_shutdown returned while user threads were still running "
             "(%d of %d had finished): it must wait until every user thread "
             "has exited, including those spawned meanwhile. Hint: Task 2.6.",
             atomic_load(&sd_done), 4 + 4 * 5);
    tl_check(atomic_load(&sd_shutdown_rc) == -1 && atomic_load(&sd_shutdown_err) == EPERM,
             "mn_shutdown from a user thread returned %d (errno %s); expected "
             "-1 with EPERM.", atomic_load(&sd_shutdown_rc),
             tl_ename(atomic_load(&sd_shutdown_err)));
    errno = 0;
    mn_t bad = mn_spawn(ret_arg, NULL);
    tl_check(bad == -1 && errno == EPERM, "mn_spawn after mn_shutdown returned "
             "%ld (errno %s); expected -1 with EPERM.", (long)bad, tl_ename(errno));
    errno = 0;
    int rc = mn_join(1, NULL);
    tl_check(rc == -1 && errno == EPERM, "mn_join after mn_shutdown returned %d "
             "(errno %s); expected -1 with EPERM.", rc, tl_ename(errno));
    tl_check(mn_spawn(NULL, NULL) == -1, "mn_spawn(NULL) must fail");
    MN_START(1);
    errno = 0;
    tl_check(mn_spawn(NULL, NULL) == -1 && errno == EINVAL,
             "mn_spawn(NULL fn) must fail with EINVAL (errno %s).", tl_ename(errno));
    MN_SPAWN(id, ret_arg, NULL);
    tl_check(id == 1, "after mn_shutdown and a new mn_init, ids start at 1 "
             "again; got %ld.", (long)id);
    MN_STOP();
}

/* ------------------------------------------------------------------ */

#define NREAD 4
static int rp[NREAD][2];
static atomic_int n_in_read, n_read_done;

static void *blocked_reader(void *p)
{
    int i = (int)(long)p;
    char c;
    if (mn_block_begin() != 0)
        return (void *)1L;
    atomic_fetch_add(&n_in_read, 1);
    ssize_t n = read(rp[i][0], &c, 1);
    mn_block_end();
    atomic_fetch_add(&n_read_done, 1);
    return n == 1 ? NULL : (void *)2L;
}

static void *late_writer(void *p)
{
    (void)p;
    double t0 = 0;
    while (atomic_load(&n_in_read) < NREAD && !past(&t0, 20))
        mn_yield();
    for (int i = 0; i < NREAD; i++)
        if (write(rp[i][1], "z", 1) != 1)
            return (void *)1L;
    return NULL;
}

TL_TEST(hidden_many_blocked_readers, 2, 60, "block hidden")
{
    atomic_store(&n_in_read, 0);
    atomic_store(&n_read_done, 0);
    for (int i = 0; i < NREAD; i++)
        tl_check(pipe(rp[i]) == 0, "pipe failed");
    MN_START(1);
    mn_t r[NREAD], w;
    for (int i = 0; i < NREAD; i++)
        MN_SPAWN(r[i], blocked_reader, (void *)(long)i);
    MN_SPAWN(w, late_writer, NULL);
    int ok = TL_WAIT_UNTIL(atomic_load(&n_read_done) == NREAD, 30);
    if (!ok)
        for (int i = 0; i < NREAD; i++)
            if (write(rp[i][1], "q", 1) != 1)
                tl_fail("write failed");
    TL_WAIT_UNTIL(atomic_load(&n_read_done) == NREAD, 10);
    struct mn_stats st;
    MN_STATS(&st);
    for (int i = 0; i < NREAD; i++)
        MN_JOIN(r[i], NULL);
    MN_JOIN(w, NULL);
    MN_STOP();
    for (int i = 0; i < NREAD; i++) {
        close(rp[i][0]);
        close(rp[i][1]);
    }
    tl_check(ok, "with one carrier, %d user threads each blocked in read(2) in "
             "a block section at the same time, and a fifth thread writes the "
             "pipes only once all %d are in read: it never ran (%d were in "
             "read). Each mn_block_begin must hand the carrier on, to a new "
             "spare when none is idle. Hint: Task 6.1.", NREAD, NREAD,
             atomic_load(&n_in_read));
    tl_check(st.spares >= NREAD, "%d threads blocked at once need %d spares; "
             "mn_stats counted %lu.", NREAD, NREAD, st.spares);
}

/* ------------------------------------------------------------------ */

static void *report_rounding(void *p)
{
    (void)p;
    return (void *)(long)fegetround();
}

static void *spawn_with_rounding(void *p)
{
    (void)p;
    fesetround(FE_TOWARDZERO);
    mn_t c = mn_spawn(report_rounding, NULL);
    fesetround(FE_TONEAREST);
    void *r = (void *)-1L;
    if (c > 0)
        mn_join(c, &r);
    return r;
}

static void *overflow(void *p)
{
    (void)p;
    return (void *)(long)tl_overflow_stack(0);
}

static void overflow_child(void *p)
{
    (void)p;
    if (mn_init(1) != 0)
        _exit(3);
    mn_t t = mn_spawn(overflow, NULL);
    if (t > 0)
        mn_join(t, NULL);
    _exit(4);
}

TL_TEST(hidden_fp_modes_and_guard_page, 2, 60, "stack hidden")
{
    MN_START(2);
    mn_t t;
    MN_SPAWN(t, spawn_with_rounding, NULL);
    void *r = NULL;
    MN_JOIN(t, &r);
    MN_STOP();
    tl_check((long)r == FE_TOWARDZERO,
             "a user thread spawned while the spawner rounds toward zero saw "
             "rounding mode %ld, expected FE_TOWARDZERO (%d): a new thread "
             "starts with its spawner's MXCSR and x87 control word. Hint: "
             "Task 1.2.", (long)r, FE_TOWARDZERO);
    struct tl_child ch;
    tl_check(tl_run_in_child(overflow_child, NULL, 30 * (int)tl_slow(), &ch) == 0,
             "fork failed");
    tl_check(ch.signaled && (ch.sig == SIGSEGV || ch.sig == SIGBUS),
             "a user thread that overflows its stack must hit the guard page "
             "(SIGSEGV); the child %s %d. Hint: Task 1.1.",
             ch.signaled ? "was killed by signal" : ch.timed_out ? "hung; code" : "exited with",
             ch.signaled ? ch.sig : ch.code);
}

/* ------------------------------------------------------------------ */

static pthread_barrier_t ib;
static int init_rc[2], init_err[2], loser_shutdown_rc, loser_shutdown_err;
static atomic_int loser_done;

static void *racing_init(void *p)
{
    int me = (int)(long)p;
    pthread_barrier_wait(&ib);
    errno = 0;
    init_rc[me] = mn_init(1);
    init_err[me] = errno;
    pthread_barrier_wait(&ib);
    if (init_rc[me] != 0) {
        errno = 0;
        loser_shutdown_rc = mn_shutdown(); /* not the owner: EPERM */
        loser_shutdown_err = errno;
        atomic_store(&loser_done, 1);
    } else {
        while (!atomic_load(&loser_done))
            sched_yield();
        mn_shutdown();
    }
    return NULL;
}

TL_TEST(hidden_concurrent_init, 2, 60, "runtime hidden")
{
    for (int round = 0; round < 20; round++) {
        atomic_store(&loser_done, 0);
        pthread_barrier_init(&ib, NULL, 2);
        pthread_t a, b;
        pthread_create(&a, NULL, racing_init, (void *)0L);
        pthread_create(&b, NULL, racing_init, (void *)1L);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        pthread_barrier_destroy(&ib);
        int wins = (init_rc[0] == 0) + (init_rc[1] == 0);
        tl_check(wins == 1 && (init_err[0] == EBUSY || init_err[1] == EBUSY),
                 "two kernel threads called mn_init(1) at the same moment: "
                 "exactly one must succeed and the other get EBUSY; %d "
                 "succeeded (errnos %s, %s). Hint: Task 2.1 (check and set "
                 "rt.up under rt.lock).", wins, tl_ename(init_err[0]),
                 tl_ename(init_err[1]));
        tl_check(loser_shutdown_rc == -1 && loser_shutdown_err == EPERM,
                 "mn_shutdown from a kernel thread that did not call mn_init "
                 "returned %d (errno %s); expected -1 with EPERM.",
                 loser_shutdown_rc, tl_ename(loser_shutdown_err));
    }
}

/* ------------------------------------------------------------------ */

#define NKJ 3
static atomic_int kj_go[NKJ], kj_joined[NKJ];
static atomic_int kj_fd[NKJ]; /* the joiner's /proc/thread-self/stat, + 1 */
static mn_t kj_id[NKJ];

static void *exit_when_told(void *p)
{
    int i = (int)(long)p;
    while (!atomic_load(&kj_go[i]))
        mn_yield();
    return p;
}

static void *kernel_joiner(void *p)
{
    int i = (int)(long)p;
    atomic_store(&kj_fd[i], open("/proc/thread-self/stat", O_RDONLY) + 1);
    void *r = NULL;
    if (mn_join(kj_id[i], &r) == 0 && r == p)
        atomic_store(&kj_joined[i], 1);
    return NULL;
}

/* 1 when the kernel thread whose /proc/thread-self/stat is open on fd is
 * asleep (state S). (An fd, not a tid: it works in the grader's PID
 * namespace too.) */
static int sleeping(int fd)
{
    char buf[256];
    if (fd < 0)
        return 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *e = strrchr(buf, ')');
    return e && e[1] == ' ' && e[2] == 'S';
}

TL_TEST(hidden_kernel_joiners, 2, 60, "join hidden")
{
    MN_START(1);
    pthread_t pt[NKJ];
    for (int i = 0; i < NKJ; i++) {
        atomic_store(&kj_go[i], 0);
        atomic_store(&kj_joined[i], 0);
        atomic_store(&kj_fd[i], 0);
        MN_SPAWN(kj_id[i], exit_when_told, (void *)(long)i);
    }
    for (int i = 0; i < NKJ; i++)
        pthread_create(&pt[i], NULL, kernel_joiner, (void *)(long)i);
    /* Let the joiners fall asleep in mn_join (when we can see it), then end
     * the threads one at a time, last first. */
    for (int i = 0; i < NKJ; i++)
        TL_WAIT_UNTIL(atomic_load(&kj_fd[i]) > 0 && sleeping(atomic_load(&kj_fd[i]) - 1), 2);
    int ok = 1;
    for (int i = NKJ - 1; i >= 0 && ok; i--) {
        atomic_store(&kj_go[i], 1);
        ok = TL_WAIT_UNTIL(atomic_load(&kj_joined[i]), 10);
    }
    for (int i = 0; i < NKJ; i++)
        atomic_store(&kj_go[i], 1);
    tl_check(ok, "%d kernel threads each wait in mn_join for a different user "
             "thread; when those exit one by one, each joiner must return. "
             "Joined: %d %d %d. Every exit must wake EVERY kernel thread "
             "waiting on the exit condition (a broadcast: each re-checks its "
             "own target). Hint: Task 2.10.", NKJ, atomic_load(&kj_joined[0]),
             atomic_load(&kj_joined[1]), atomic_load(&kj_joined[2]));
    for (int i = 0; i < NKJ; i++) {
        pthread_join(pt[i], NULL);
        if (atomic_load(&kj_fd[i]) > 0)
            close(atomic_load(&kj_fd[i]) - 1);
    }
    MN_STOP();
}

/* ------------------------------------------------------------------ */
/* mn_shutdown must wait for EVERY user thread, also one that is in a    */
/* block section when another thread's exit wakes it.                   */
/* ------------------------------------------------------------------ */

static int sp[2];
static atomic_int sb_in_read, sb_done, e_go, e_done, main_fd;

static void *blocked_then_done(void *p)
{
    (void)p;
    char c;
    if (mn_block_begin() != 0)
        return NULL;
    atomic_store(&sb_in_read, 1);
    ssize_t n = read(sp[0], &c, 1);
    mn_block_end();
    if (n == 1)
        atomic_store(&sb_done, 1);
    return NULL;
}

static void *exits_when_told(void *p)
{
    (void)p;
    while (!atomic_load(&e_go))
        mn_yield();
    atomic_store(&e_done, 1);
    return NULL;
}

/* A plain pthread: once the test's thread sleeps in mn_shutdown, let one
 * user thread exit (that exit wakes mn_shutdown, which must wait on: one
 * thread is still in read), then see whether mn_shutdown stays asleep for
 * a while, then unblock the reader. */
static void *shutdown_helper(void *p)
{
    (void)p;
    while (!atomic_load(&main_fd))
        sched_yield();
    TL_WAIT_UNTIL(sleeping(atomic_load(&main_fd) - 1) && atomic_load(&sb_in_read), 10);
    atomic_store(&e_go, 1);
    TL_WAIT_UNTIL(atomic_load(&e_done), 10);
    /* A correct mn_shutdown sleeps on; a broken one wakes and stops the
     * carriers. Give a broken one half a second to do so (this only decides
     * whether a bug is seen: a correct runtime passes whatever the delay). */
    TL_WAIT_UNTIL(0, 0.5);
    if (write(sp[1], "k", 1) != 1)
        return (void *)1L;
    return NULL;
}

TL_TEST(hidden_shutdown_waits_for_blocked, 2, 60, "shutdown block hidden")
{
    atomic_store(&sb_in_read, 0);
    atomic_store(&sb_done, 0);
    atomic_store(&e_go, 0);
    atomic_store(&e_done, 0);
    atomic_store(&main_fd, 0);
    tl_check(pipe(sp) == 0, "pipe failed");
    MN_START(2);
    mn_t r, e;
    MN_SPAWN(r, blocked_then_done, NULL);
    MN_SPAWN(e, exits_when_told, NULL);
    pthread_t h;
    pthread_create(&h, NULL, shutdown_helper, NULL);
    atomic_store(&main_fd, open("/proc/thread-self/stat", O_RDONLY) + 1);
    MN_STOP(); /* neither thread is joined: shutdown waits for both */
    int done = atomic_load(&sb_done);
    pthread_join(h, NULL);
    close(atomic_load(&main_fd) - 1);
    close(sp[0]);
    close(sp[1]);
    tl_check(done == 1,
             "mn_shutdown returned while a user thread was still in a block "
             "section (blocked in read); it must wait until every user thread "
             "has exited: loop on rt.exit_cv while rt.nlive > 0, since every "
             "exit broadcasts it. Hint: Task 2.6.");
}
