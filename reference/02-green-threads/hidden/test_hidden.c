/*
 * test_hidden.c - hidden tests: the same contracts as the public tests,
 * from other angles and with other inputs.
 */
#include "../tests/gt_test.h"
#include "../tests/gt_log.h"
#include "../tests/gt_pin.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

TL_TEST(hidden_yield_order_with_exits, 3, 10, "order")
{
    log_n = 0;
    GT_START();
    struct rr_arg a[3] = {{1, 1}, {2, 3}, {3, 2}};
    gt_t id[3];
    for (int i = 0; i < 3; i++)
        GT_SPAWN(id[i], rr_worker, &a[i], 0);
    for (int r = 1; r <= 4; r++) {
        log_add(90 + r);
        gt_yield();
    }
    static const int want[] = {91, 11, 21, 31, 92, 22, 32, 93, 23, 94};
    int ok = log_n == 10;
    for (int i = 0; ok && i < 10; i++)
        ok = log_v[i] == want[i];
    tl_check(ok, "run order with threads exiting mid-rotation:\n  expected: %s\n"
             "  got:      %s\n(tag*10+round; main is tag 9). Hint: an exiting "
             "thread leaves the rotation; the others keep their FIFO order.",
             fmt_ints(want, 10), fmt_ints(log_v, log_n));
    for (int i = 0; i < 3; i++)
        GT_JOIN(id[i], NULL);
    GT_STOP();
}

/* ------------------------------------------------------------------ */
/* Callee-saved registers across the blocking paths                   */
/* ------------------------------------------------------------------ */

static gt_t hp_join_target;
static int hp_pipe[2];

static void do_sleep1(void) { gt_sleep_ms(1); }
static void do_yield(void) { gt_yield(); }
static void do_join(void) { gt_join(hp_join_target, NULL); }
static void do_read(void)
{
    char c;
    ssize_t r = gt_read(hp_pipe[0], &c, 1);
    (void)r;
}

static void *hp_sleeper(void *p)
{
    int who = (int)(intptr_t)p;
    for (int i = 0; i < 6; i++)
        pin_check(who, i, (i + who) % 2 ? do_sleep1 : do_yield,
                  (i + who) % 2 ? "gt_sleep_ms(1)" : "gt_yield");
    return NULL;
}

static void *hp_reader(void *p)
{
    int who = (int)(intptr_t)p;
    pin_check(who, 0, do_read, "gt_read on an empty pipe");
    return NULL;
}

static void *hp_writer(void *p)
{
    (void)p;
    for (int i = 0; i < 3; i++)
        gt_sleep_ms(1);
    ssize_t w = gt_write(hp_pipe[1], "z", 1);
    (void)w;
    return NULL;
}

TL_TEST(hidden_callee_saved_blocking_paths, 3, 10, "switch abi")
{
    GT_START();
    tl_check(pipe(hp_pipe) == 0, "pipe");
    gt_t t[4], r, w;
    for (int i = 0; i < 4; i++)
        GT_SPAWN(t[i], hp_sleeper, (void *)(intptr_t)(i + 2), 0);
    GT_SPAWN(r, hp_reader, (void *)7, 0);
    GT_SPAWN(w, hp_writer, NULL, 0);
    hp_join_target = t[3];
    pin_check(1, 0, do_join, "gt_join (blocking)");
    for (int i = 0; i < 3; i++)
        GT_JOIN(t[i], NULL);
    GT_JOIN(r, NULL);
    GT_JOIN(w, NULL);
    close(hp_pipe[0]);
    close(hp_pipe[1]);
    GT_STOP();
}

/* ------------------------------------------------------------------ */

static uint32_t get_mxcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}
static void set_mxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }
static uint16_t get_fpucw(void)
{
    uint16_t v;
    __asm__ volatile("fnstcw %0" : "=m"(v));
    return v;
}
static void set_fpucw(uint16_t v) { __asm__ volatile("fldcw %0" : : "m"(v)); }

static uint32_t inh_mx;
static uint16_t inh_cw;

static void *fp_reporter(void *p)
{
    (void)p;
    inh_mx = get_mxcsr();
    inh_cw = get_fpucw();
    set_mxcsr(0x1f80);
    set_fpucw(0x037f);
    return NULL;
}

TL_TEST(hidden_fp_inherited_at_spawn, 2, 10, "switch fp")
{
    uint32_t mx0 = get_mxcsr();
    uint16_t cw0 = get_fpucw();
    GT_START();
    /* toward zero (not FTZ: valgrind does not model it) */
    uint32_t mx = (mx0 & ~0x6000u) | 0x6000u;
    uint16_t cw = (uint16_t)((cw0 & ~0x0c00u) | 0x0400u); /* x87 downward */
    set_mxcsr(mx);
    set_fpucw(cw);
    gt_t t;
    GT_SPAWN(t, fp_reporter, NULL, 0);
    set_mxcsr(mx0);
    set_fpucw(cw0);
    GT_JOIN(t, NULL);
    uint32_t mx_after = get_mxcsr();
    uint16_t cw_after = get_fpucw();
    set_mxcsr(mx0);
    set_fpucw(cw0);
    GT_STOP();
    tl_check(inh_mx == mx && inh_cw == cw,
             "a new thread started with MXCSR %#x and x87 control word %#x; the "
             "spawner had %#x and %#x at gt_spawn. A new thread inherits the "
             "spawner's floating-point modes as they were at gt_spawn. Hint: "
             "Task 3.2.", inh_mx, inh_cw, mx, cw);
    tl_check(mx_after == mx0 && cw_after == cw0,
             "the main thread's MXCSR/x87 control word changed from %#x/%#x to "
             "%#x/%#x across a join of a thread that changed its own.", mx0, cw0,
             mx_after, cw_after);
}

/* ------------------------------------------------------------------ */

struct cyc {
    gt_t target;
    int rc, err;
};

static void *cyc_join(void *p)
{
    struct cyc *c = p;
    gt_yield(); /* let every thread of the cycle start */
    errno = 0;
    c->rc = gt_join(c->target, NULL);
    c->err = errno;
    return NULL;
}

TL_TEST(hidden_join_cycle_edeadlk, 1, 10, "join errors")
{
    GT_START();
    /* Threads 2, 3, 4: 2 joins 3, 3 joins 4, 4 joins 2 -> the last one to
     * try closes the cycle and must get EDEADLK; the others then finish. */
    struct cyc c[3] = {{3, 0, 0}, {4, 0, 0}, {2, 0, 0}};
    gt_t t[3];
    for (int i = 0; i < 3; i++)
        GT_SPAWN(t[i], cyc_join, &c[i], 0);
    tl_check(t[0] == 2 && t[2] == 4, "ids are not 2, 3, 4 (got %d..%d)", t[0], t[2]);
    /* Two turns: every thread yields once, then each joins. Joining any of
     * them from main before that would give it a joiner (EINVAL instead). */
    gt_yield();
    gt_yield();
    GT_JOIN(t[0], NULL); /* 2 joined (released) 3, which joined 4 */
    tl_check(c[2].rc == -1 && c[2].err == EDEADLK,
             "thread 4's gt_join(2) closed a cycle of joins (2 waits for 3, 3 "
             "waits for 4) but returned %d (errno %d: %s); expected -1 with "
             "EDEADLK: follow join_target from the target; reaching the caller "
             "means nobody could ever wake. Hint: Task 5.5.",
             c[2].rc, c[2].err, strerror(c[2].err));
    tl_check(c[0].rc == 0 && c[1].rc == 0, "the joins 2->3 and 3->4 should "
             "succeed once 4 exits: got %d, %d.", c[0].rc, c[1].rc);
    GT_STOP();
}

/* ------------------------------------------------------------------ */

static int det_done;

static void *det_worker(void *p)
{
    if (p)
        gt_detach(gt_self());
    gt_yield();
    det_done++;
    return NULL;
}

TL_TEST(hidden_detach, 1, 10, "join detach")
{
    enum { N = 48 };
    det_done = 0;
    GT_START();
    long before = tl_vm_size_kib();
    gt_t t[N];
    for (int i = 0; i < N; i++)
        GT_SPAWN(t[i], det_worker, (void *)(intptr_t)(i % 3 == 0), 1 << 20);
    /* detach a third before they run; a third after they exit; a third
     * detach themselves */
    for (int i = 0; i < N; i++)
        if (i % 3 == 1)
            tl_check(gt_detach(t[i]) == 0, "gt_detach(%d) of a live thread "
                     "failed (errno %d: %s).", t[i], errno, strerror(errno));
    while (det_done < N)
        gt_yield();
    gt_yield();
    for (int i = 0; i < N; i++)
        if (i % 3 == 2)
            tl_check(gt_detach(t[i]) == 0, "gt_detach(%d) of an exited, "
                     "unjoined thread failed (errno %d: %s).", t[i], errno,
                     strerror(errno));
    long after = tl_vm_size_kib();
    tl_check(after - before < 8 * 1024,
             "after %d detached threads with 1 MiB stacks exited, the address "
             "space is %ld KiB larger than before: a detached thread's stack "
             "must be unmapped once it is off it (the dead list, Task 5.3), and "
             "gt_detach of a zombie releases it at once (5.7).", N, after - before);
    errno = 0;
    int rc = gt_join(t[1], NULL);
    tl_check(rc == -1 && errno == EINVAL, "gt_join of a detached, exited thread "
             "returned %d (errno %d: %s); expected -1 with EINVAL.", rc, errno,
             strerror(errno));
    errno = 0;
    rc = gt_detach(99999);
    tl_check(rc == -1 && errno == ESRCH, "gt_detach(99999) returned %d (errno %d), "
             "expected -1 with ESRCH.", rc, errno);
    GT_STOP();
}

/* ------------------------------------------------------------------ */
/* A big write through a small pipe, and EOF (in a child: a blocking    */
/* implementation would hang there, not here)                           */
/* ------------------------------------------------------------------ */

enum { BIG = 1 << 20 };
static int bp[2];
static int reads_before_write_done, write_done;
static long got;
static int bad_byte;

static void *big_writer(void *p)
{
    unsigned char *buf = p;
    ssize_t w = gt_write(bp[1], buf, BIG);
    write_done = 1;
    close(bp[1]);
    return (void *)(intptr_t)w;
}

static void *big_reader(void *p)
{
    (void)p;
    unsigned char buf[4096];
    for (;;) {
        ssize_t r = gt_read(bp[0], buf, sizeof buf);
        if (r <= 0)
            return (void *)(intptr_t)r;
        if (!write_done)
            reads_before_write_done++;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != (unsigned char)((got + i) * 7))
                bad_byte = 1;
        got += r;
    }
}

static void big_child(void *p)
{
    (void)p;
    unsigned char *buf = malloc(BIG);
    if (!buf)
        _exit(9);
    for (long i = 0; i < BIG; i++)
        buf[i] = (unsigned char)(i * 7);
    if (gt_init() != 0 || pipe(bp) != 0)
        _exit(2);
    gt_t w = gt_spawn(big_writer, buf, 0), r = gt_spawn(big_reader, NULL, 0);
    if (w <= 0 || r <= 0)
        _exit(3);
    void *wr = NULL, *rr = (void *)1;
    gt_join(w, &wr);
    gt_join(r, &rr);
    int code = 0;
    if (wr != (void *)(intptr_t)BIG)
        code = 4;
    else if (got != BIG || bad_byte)
        code = 5;
    else if (rr != NULL)
        code = 6;
    else if (reads_before_write_done == 0)
        code = 7;
    free(buf);
    gt_fini();
    _exit(code);
}

TL_TEST(hidden_write_parks_on_full_pipe, 2, 20, "io")
{
    struct tl_child c;
    tl_check(tl_run_in_child(big_child, NULL, 10, &c) == 0, "fork failed");
    tl_check(!c.timed_out,
             "a 1 MiB gt_write into a pipe (capacity 64 KiB) read by another "
             "green thread with gt_read hung for 10 s: when the pipe is full, "
             "gt_write must park the writer on POLLOUT and let the reader run. "
             "Hint: Task 7.2.");
    tl_check(c.exited, "the child died of signal %d.", c.sig);
    static const char *why[] = {
        "", "", "gt_init or pipe failed", "gt_spawn failed",
        "gt_write did not return 1048576 (it must write all n bytes, looping over "
        "partial writes and parking on POLLOUT)",
        "the reader did not get the 1 MiB intact and in order",
        "the reader's last gt_read after the writer closed the pipe did not "
        "return 0 (end of file)",
        "the reader got nothing before the writer's gt_write returned: the "
        "writer cannot have parked on the full pipe",
        "", "out of memory"};
    tl_check(c.code == 0, "1 MiB through a pipe between two green threads: %s "
             "(child exit code %d). Hint: Task 7.", c.code < 10 ? why[c.code] : "?",
             c.code);
}

/* ------------------------------------------------------------------ */

static int idle_pipe[2];

static void *idle_reader(void *p)
{
    (void)p;
    char c = 0;
    ssize_t r = gt_read(idle_pipe[0], &c, 1);
    return (void *)(intptr_t)(r == 1 ? c : -1);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

TL_TEST(hidden_idle_does_not_spin, 1, 10, "sleep io")
{
    GT_START();
    tl_check(pipe(idle_pipe) == 0, "pipe");
    gt_t r;
    GT_SPAWN(r, idle_reader, NULL, 0);
    double c0 = cpu_now(), w0 = tl_now();
    tl_check(gt_sleep_ms(300) == 0, "gt_sleep_ms(300) failed");
    double c1 = cpu_now(), w1 = tl_now();
    ssize_t wr = write(idle_pipe[1], "k", 1);
    (void)wr;
    void *rv = NULL;
    GT_JOIN(r, &rv);
    close(idle_pipe[0]);
    close(idle_pipe[1]);
    GT_STOP();
    tl_check(rv == (void *)(intptr_t)'k', "the parked reader got %ld, expected 'k'.",
             (long)(intptr_t)rv);
    tl_check(c1 - c0 < 0.100,
             "while the only other thread waited for a pipe and the main thread "
             "slept 300 ms (%.0f ms of wall time), the scheduler used %.0f ms of "
             "CPU: with nothing runnable it must block in poll() with a timeout "
             "until the earliest deadline, not spin. Hint: Tasks 6.4 and 7.4.",
             (w1 - w0) * 1000, (c1 - c0) * 1000);
}

/* ------------------------------------------------------------------ */

static void exit_main_child(void *p)
{
    (void)p;
    signal(SIGABRT, SIG_DFL);
    if (gt_init() != 0)
        _exit(2);
    gt_exit(NULL);
}

static void exit_without_scheduler_child(void *p)
{
    (void)p;
    signal(SIGABRT, SIG_DFL);
    gt_exit(NULL);
}

static void *try_fini(void *p)
{
    (void)p;
    errno = 0;
    int rc = gt_fini();
    return (void *)(intptr_t)(rc == -1 && errno == EPERM);
}

#define EXPECT_ERR(call, want)                                                \
    do {                                                                      \
        errno = 0;                                                            \
        long rc_ = (long)(call);                                              \
        int e_ = errno;                                                       \
        tl_check(rc_ == -1 && e_ == (want),                                   \
                 "%s returned %ld (errno %d: %s); expected -1 with %s "       \
                 "(gt.h).", #call, rc_, e_, strerror(e_), #want);             \
    } while (0)

static void *noop(void *p) { return p; }
static void *set_flag(void *p) { *(int *)p = 1; return NULL; }

TL_TEST(hidden_misuse_errors, 1, 10, "errors")
{
    char c;
    EXPECT_ERR(gt_spawn(noop, NULL, 0), EPERM);
    EXPECT_ERR(gt_join(2, NULL), EPERM);
    EXPECT_ERR(gt_detach(2), EPERM);
    EXPECT_ERR(gt_sleep_ms(1), EPERM);
    EXPECT_ERR(gt_read(0, &c, 1), EPERM);
    EXPECT_ERR(gt_write(1, &c, 1), EPERM);
    EXPECT_ERR(gt_fini(), EPERM);
    gt_yield(); /* a no-op without a scheduler */
    GT_START();
    EXPECT_ERR(gt_spawn(NULL, NULL, 0), EINVAL);
    EXPECT_ERR(gt_spawn(noop, NULL, 100), EINVAL);
    EXPECT_ERR(gt_spawn(noop, NULL, GT_MIN_STACK - 1), EINVAL);
    EXPECT_ERR(gt_spawn(noop, NULL, (size_t)GT_MAX_STACK + 4096), EINVAL);
    EXPECT_ERR(gt_sleep_ms(-1), EINVAL);
    EXPECT_ERR(gt_read(-1, &c, 1), EBADF);
    EXPECT_ERR(gt_write(-1, &c, 1), EBADF);
    /* read's and write's own errors come back as they are */
    int pw[2];
    tl_check(pipe(pw) == 0, "pipe");
    EXPECT_ERR(gt_read(pw[1], &c, 1), EBADF);
    EXPECT_ERR(gt_write(pw[0], "x", 1), EBADF);
    close(pw[0]);
    close(pw[1]);
    /* an O_PATH fd: F_GETFL works, F_SETFL fails */
    int opath = open("/", O_PATH);
    tl_check(opath >= 0, "open(\"/\", O_PATH)");
    EXPECT_ERR(gt_read(opath, &c, 1), EBADF);
    close(opath);
    EXPECT_ERR(gt_detach(1), EINVAL);
    gt_t t;
    /* The bounds themselves are valid: [GT_MIN_STACK, GT_MAX_STACK]. */
    t = gt_spawn(noop, NULL, (size_t)GT_MAX_STACK);
    tl_check(t > 0, "gt_spawn(fn, arg, GT_MAX_STACK) returned %ld (errno %d: %s): "
             "the range of stack sizes is [GT_MIN_STACK, GT_MAX_STACK], both ends "
             "allowed (gt.h). Hint: `>`, not `>=`, in the check of Task 4.4.",
             (long)t, errno, strerror(errno));
    GT_JOIN(t, NULL);
    GT_SPAWN(t, noop, NULL, 0);
    tl_check(gt_detach(t) == 0, "gt_detach(%d) of a new thread failed (errno "
             "%d: %s).", t, errno, strerror(errno));
    EXPECT_ERR(gt_detach(t), EINVAL);
    /* gt_sleep_ms(0) is a yield: 0, and the other thread runs first. */
    static int ran;
    ran = 0;
    GT_SPAWN(t, set_flag, &ran, 0);
    long z = gt_sleep_ms(0);
    tl_check(z == 0 && ran == 1, "gt_sleep_ms(0) returned %ld (errno %d) and the "
             "runnable thread %s: a sleep of 0 ms is gt_yield (returns 0, the "
             "others run first); only ms < 0 is EINVAL. Hint: Task 6.1.", z, errno,
             ran ? "ran" : "did not run");
    GT_JOIN(t, NULL);
    GT_SPAWN(t, try_fini, NULL, 0);
    void *r = NULL;
    GT_JOIN(t, &r);
    tl_check(r == (void *)1, "gt_fini from a spawned thread must fail with EPERM.");
    GT_STOP();

    struct tl_child ch;
    tl_check(tl_run_in_child(exit_main_child, NULL, 10, &ch) == 0, "fork failed");
    tl_check(ch.signaled && ch.sig == SIGABRT,
             "gt_exit from the main green thread must stop loudly (a gt panic "
             "and abort(), SIGABRT); the child %s %d.",
             ch.signaled ? "was killed by signal" : "exited with code",
             ch.signaled ? ch.sig : ch.code);
    tl_check(tl_run_in_child(exit_without_scheduler_child, NULL, 10, &ch) == 0,
             "fork failed");
    tl_check(ch.signaled && ch.sig == SIGABRT,
             "gt_exit on a kernel thread without a scheduler must stop loudly "
             "(a gt panic and abort(), SIGABRT); the child %s %d.",
             ch.signaled ? "was killed by signal" : "exited with code",
             ch.signaled ? ch.sig : ch.code);
}

/* ------------------------------------------------------------------ */

static int sns_woke;

static void *sns_sleeper(void *p)
{
    (void)p;
    gt_sleep_ms(20);
    sns_woke = 1;
    return NULL;
}

static void *sns_spinner(void *p)
{
    (void)p;
    double deadline = tl_now() + 5;
    long yields = 0;
    while (!sns_woke && tl_now() < deadline) {
        gt_yield();
        yields++;
    }
    return (void *)yields;
}

TL_TEST(hidden_sleepers_not_starved, 1, 15, "sleep")
{
    sns_woke = 0;
    GT_START();
    gt_t s, y;
    GT_SPAWN(s, sns_sleeper, NULL, 0);
    GT_SPAWN(y, sns_spinner, NULL, 0);
    GT_JOIN(y, NULL);
    GT_JOIN(s, NULL);
    GT_STOP();
    tl_check(sns_woke, "a thread in gt_sleep_ms(20) did not wake within 5 s "
             "while another thread kept calling gt_yield: expired sleepers must "
             "be woken on every pass of the scheduler, not only when nothing "
             "else is runnable. Hint: Task 6.4.");
}

/* ------------------------------------------------------------------ */
/* Out of memory: each allocation that gt_init, gt_spawn, gt_read and   */
/* gt_write make fails in turn (tl_fault_after in tl_util.h); the call  */
/* must fail cleanly with ENOMEM, leaving nothing behind (the valgrind  */
/* stage also runs this test and counts every leaked byte).             */
/* ------------------------------------------------------------------ */

enum { OOM_STACK = 4 << 20, OOM_SPAWNS = 70, OOM_MAX_CALLS = 32 };
static int oom_pipe[2];

/* Run `call` with the n-th allocation from now failing, for n = 1, 2, ...
 * until a run where no fault was injected: then the call succeeded. */
#define OOM_LOOP(what, call, ok_expr, cleanup_expr)                           \
    do {                                                                      \
        int done_ = 0;                                                        \
        for (long n_ = 1; n_ <= OOM_MAX_CALLS && !done_; n_++) {              \
            errno = 0;                                                        \
            tl_fault_after(n_);                                               \
            long rc_ = (long)(call);                                          \
            int e_ = errno;                                                   \
            int fired_ = tl_fault_disarm();                                   \
            if (!fired_) {                                                    \
                tl_check(ok_expr, "%s returned %ld (errno %d: %s) with no "   \
                         "allocation failing: with memory available it must " \
                         "succeed. Hint: handout Tasks 2-4 and 7.", what,     \
                         rc_, e_, strerror(e_));                              \
                done_ = 1;                                                    \
                break;                                                        \
            }                                                                 \
            tl_check(rc_ == -1 && e_ == ENOMEM,                               \
                     "%s: allocation number %ld of the call (malloc, calloc, " \
                     "realloc, mmap or mprotect) failed with ENOMEM, and the " \
                     "call returned %ld (errno %d: %s); expected -1 with "    \
                     "ENOMEM (gt.h). Check every result of an allocation, "   \
                     "undo what the call did so far and report ENOMEM. "      \
                     "Hint: Tasks 2.2, 2.3, 4.1, 4.4 and 7.1.", what, n_,     \
                     rc_, e_, strerror(e_));                                  \
            cleanup_expr;                                                     \
        }                                                                     \
        tl_check(done_, "%s still made allocations after %d attempts.",       \
                 what, OOM_MAX_CALLS);                                        \
    } while (0)

static void *oom_noop(void *p) { return p; }

static void *oom_reader(void *p)
{
    (void)p;
    char c = 0;
    OOM_LOOP("gt_read on an empty pipe (parks the reader)",
             gt_read(oom_pipe[0], &c, 1), rc_ == 1 && c == 'r', (void)0);
    return NULL;
}

static void *oom_writer(void *p)
{
    (void)p;
    OOM_LOOP("gt_write on a full pipe (parks the writer)",
             gt_write(oom_pipe[1], "w", 1), rc_ == 1, (void)0);
    return NULL;
}

TL_TEST(hidden_out_of_memory, 2, 30, "errors")
{
    /* gt_init: a failed init leaves no scheduler behind. */
    OOM_LOOP("gt_init()", gt_init(), rc_ == 0,
             tl_check(gt_self() == 0, "a gt_init() that failed with ENOMEM left "
                      "a scheduler behind: gt_self() is %d, expected 0.",
                      gt_self()));
    /* gt_spawn, up to and past a table growth: a failed spawn unmaps the
     * stack it mapped. */
    static gt_t ids[OOM_SPAWNS];
    for (int k = 0; k < OOM_SPAWNS; k++) {
        long before = tl_vm_size_kib();
        OOM_LOOP("gt_spawn(fn, arg, 4 MiB)",
                 ids[k] = gt_spawn(oom_noop, NULL, OOM_STACK), rc_ > 0,
                 do {
                     tl_check(!gt_fault_mprotect_failed_map, "gt_spawn called "
                              "mprotect(MAP_FAILED, ...) after mmap failed (at "
                              "allocation %ld): mmap's result must be checked "
                              "before the guard page is set up; on MAP_FAILED "
                              "return -1 at once. Hint: Task 2.2.", n_);
                     long after = tl_vm_size_kib();
                     tl_check(after - before < OOM_STACK / 2048,
                              "gt_spawn(4 MiB) failed with ENOMEM at allocation "
                              "%ld, yet the address space grew by %ld KiB: a "
                              "failed spawn must munmap the stack it mapped "
                              "(Task 2.3: mprotect failed? munmap first).", n_,
                              after - before);
                     tl_check(gt_self() == 1, "gt_self() is %d after a failed "
                              "gt_spawn in the main thread.", gt_self());
                 } while (0));
    }
    for (int k = 0; k < OOM_SPAWNS; k++)
        GT_JOIN(ids[k], NULL);
    GT_STOP();

    /* gt_read and gt_write park the caller: that may need memory too. */
    tl_check(pipe(oom_pipe) == 0, "pipe");
    GT_START();
    gt_t t;
    GT_SPAWN(t, oom_reader, NULL, 0);
    gt_yield(); /* the reader fails until it parks */
    tl_check(write(oom_pipe[1], "r", 1) == 1, "write");
    GT_JOIN(t, NULL);
    GT_STOP();
    GT_START();
    int fl = fcntl(oom_pipe[1], F_GETFL);
    fcntl(oom_pipe[1], F_SETFL, fl | O_NONBLOCK);
    char junk[4096];
    memset(junk, 'j', sizeof junk);
    long filled = 0;
    for (ssize_t w; (w = write(oom_pipe[1], junk, sizeof junk)) > 0 ||
                    (w < 0 && errno == EINTR);)
        filled += w > 0 ? w : 0;
    for (ssize_t w; (w = write(oom_pipe[1], junk, 1)) > 0;)
        filled += w;
    GT_SPAWN(t, oom_writer, NULL, 0);
    gt_yield(); /* the writer fails until it parks on the full pipe */
    long drained = 0;
    while (drained < filled) {
        ssize_t r = read(oom_pipe[0], junk, sizeof junk);
        tl_check(r > 0, "read");
        drained += r;
    }
    GT_JOIN(t, NULL);
    char c = 0;
    tl_check(read(oom_pipe[0], &c, 1) == 1 && c == 'w', "the writer's byte");
    GT_STOP();
    close(oom_pipe[0]);
    close(oom_pipe[1]);
}

/* ------------------------------------------------------------------ */
/* gt_fini releases every unjoined thread, whatever the ids in use      */
/* ------------------------------------------------------------------ */

static int fu_ran;

static void *fu_worker(void *p)
{
    fu_ran++;
    return p;
}

TL_TEST(hidden_fini_releases_unjoined, 1, 20, "exit fini")
{
    /* 62 threads: ids 2..63, so the next id is 64. Sizes that are powers
     * of two are where a table of ids is most likely to be exactly full. */
    enum { N = 62, SZ = 1 << 20 };
    fu_ran = 0;
    long before = tl_vm_size_kib();
    GT_START();
    gt_t t;
    for (int i = 0; i < N; i++)
        GT_SPAWN(t, fu_worker, NULL, SZ);
    tl_check(t == N + 1, "the %d-th spawned thread got id %d, expected %d (ids "
             "are 2, 3, 4, ... in spawn order).", N, t, N + 1);
    GT_STOP();
    long after = tl_vm_size_kib();
    tl_check(fu_ran == N, "gt_fini returned after %d of the %d unjoined threads "
             "ran: it must run the others until every one has exited (Task "
             "5.6).", fu_ran, N);
    tl_check(after - before < 8 * 1024,
             "after gt_fini with %d exited, never joined threads (1 MiB stacks), "
             "the address space is %ld KiB larger than before gt_init: gt_fini "
             "must release every thread still in the table, stack included, "
             "and only ids that were handed out (1 .. the last one: reading "
             "past the end of the table is a bug valgrind reports). Hint: Task "
             "5.6.", N, after - before);
}

/* ------------------------------------------------------------------ */
/* Deadlines on a clock the test moves by hand (gt_clock_set in         */
/* gt_test.h): equal deadlines wake in the order the threads went to    */
/* sleep, and a deadline equal to now has passed.                       */
/* ------------------------------------------------------------------ */

struct tie_arg {
    int tag;
    long ms;
};

static void *tie_sleeper(void *p)
{
    struct tie_arg *a = p;
    gt_sleep_ms(a->ms);
    log_add(a->tag);
    return NULL;
}

TL_TEST(hidden_sleep_ties_on_a_set_clock, 1, 10, "sleep")
{
    static struct tie_arg a[5] = {{1, 5}, {2, 5}, {3, 3}, {4, 5}, {5, 7}};
    const unsigned long long ms = 1000000ull;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned long long t0 = (unsigned long long)now.tv_sec * 1000000000ull +
                            (unsigned long long)now.tv_nsec;
    log_n = 0;
    GT_START();
    gt_t t[5];
    for (int i = 0; i < 5; i++)
        GT_SPAWN(t[i], tie_sleeper, &a[i], 0);
    gt_clock_set(t0);
    gt_yield(); /* all five go to sleep at t0: deadlines +5 +5 +3 +5 +7 ms */
    static const struct {
        unsigned long long at;
        int n;
    } step[3] = {{3, 1}, {5, 4}, {7, 5}};
    static const int want[5] = {3, 1, 2, 4, 5};
    for (int s = 0; s < 3; s++) {
        gt_clock_set(t0 + step[s].at * ms);
        for (int y = 0; y < 20 && log_n < step[s].n; y++)
            gt_yield();
        int ok = log_n == step[s].n;
        for (int i = 0; ok && i < log_n; i++)
            ok = log_v[i] == want[i];
        if (!ok) {
            gt_clock_real();
            tl_fail("threads 1..5 called gt_sleep_ms(5, 5, 3, 5, 7) in that "
                    "order at the same CLOCK_MONOTONIC instant t0 (the test "
                    "sets the clock that clock_gettime returns). With the "
                    "clock set to exactly t0 + %llu ms and the main thread "
                    "yielding, the threads that logged (tag, in order) were: "
                    "[%s]; expected [%s]. A sleeper whose deadline equals now "
                    "has expired (wake while deadline <= now), and sleepers "
                    "with equal deadlines wake in the order they went to sleep "
                    "(insert AFTER every sleeper with a deadline <= yours). "
                    "Hint: Tasks 6.2 and 6.3.", step[s].at,
                    fmt_ints(log_v, log_n), fmt_ints(want, step[s].n));
        }
    }
    gt_clock_real();
    for (int i = 0; i < 5; i++)
        GT_JOIN(t[i], NULL);
    GT_STOP();
}

/* ------------------------------------------------------------------ */
/* The idle poll: a signal interrupting it (EINTR) is not an error;     */
/* any other failure of poll() is a panic, never a silent spin          */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t pe_signals;
static int pe_pipe[3][2];

static void pe_on_usr1(int sig)
{
    (void)sig;
    pe_signals++;
}

static void *pe_reader(void *p)
{
    int *fds = p;
    char c = 0;
    ssize_t r = gt_read(fds[0], &c, 1);
    return (void *)(intptr_t)(r == 1 ? c : -1);
}

static void poll_einval_child(void *p)
{
    (void)p;
    signal(SIGABRT, SIG_DFL);
    if (gt_init() != 0)
        _exit(2);
    gt_t t[3];
    for (int i = 0; i < 3; i++)
        if (pipe(pe_pipe[i]) != 0 || (t[i] = gt_spawn(pe_reader, pe_pipe[i], 0)) <= 0)
            _exit(3);
    gt_yield(); /* the three readers park on their empty pipes */
    /* poll() of 3 fds now fails with EINVAL: more than RLIMIT_NOFILE. */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct rlimit low = {2, rl.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &low) != 0)
        _exit(4);
    gt_sleep_ms(20);
    _exit(0);
}

TL_TEST(hidden_poll_interrupted_or_failing, 1, 20, "sleep io")
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = pe_on_usr1; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    tl_check(sigaction(SIGUSR1, &sa, &old) == 0, "sigaction");
    timer_t tm;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    tl_check(timer_create(CLOCK_MONOTONIC, &ev, &tm) == 0, "timer_create");
    struct itimerspec every2ms = {{0, 2000000}, {0, 2000000}}, off;
    memset(&off, 0, sizeof off);
    pe_signals = 0;
    GT_START();
    tl_check(pipe(pe_pipe[0]) == 0, "pipe");
    gt_t r;
    GT_SPAWN(r, pe_reader, pe_pipe[0], 0);
    timer_settime(tm, 0, &every2ms, NULL);
    double t0 = tl_now();
    errno = 0;
    int rc = gt_sleep_ms(30);
    int e = errno;
    double slept = tl_now() - t0;
    timer_settime(tm, 0, &off, NULL);
    timer_delete(tm);
    sigaction(SIGUSR1, &old, NULL);
    tl_check(rc == 0 && slept >= 0.030,
             "with a signal arriving every 2 ms (a handler without SA_RESTART, "
             "so poll() fails with EINTR), gt_sleep_ms(30) returned %d (errno "
             "%d: %s) after %.1f ms (%d signals). EINTR from the idle poll() is "
             "not an error: go round the scheduler loop again, and sleep until "
             "the deadline. Hint: Task 7.3.", rc, e, strerror(e), slept * 1000,
             (int)pe_signals);
    tl_check(write(pe_pipe[0][1], "q", 1) == 1, "write");
    void *got = NULL;
    GT_JOIN(r, &got);
    tl_check(got == (void *)(intptr_t)'q', "the reader parked through the "
             "signals got %ld, expected 'q'.", (long)(intptr_t)got);
    close(pe_pipe[0][0]);
    close(pe_pipe[0][1]);
    GT_STOP();

    struct tl_child ch;
    tl_check(tl_run_in_child(poll_einval_child, NULL, 10, &ch) == 0, "fork failed");
    tl_check(ch.signaled && ch.sig == SIGABRT,
             "three threads waited in gt_read and the main thread in "
             "gt_sleep_ms(20), with RLIMIT_NOFILE lowered to 2, so the idle "
             "poll() of 3 fds fails with EINVAL. The scheduler must stop "
             "loudly (a gt panic and abort(), SIGABRT) on a poll() error other "
             "than EINTR, not ignore it and spin; the child %s %d%s. Hint: "
             "Task 7.3.",
             ch.timed_out ? "hung; killed at 10 s, signal" :
             ch.signaled ? "was killed by signal" : "exited with code",
             ch.signaled ? ch.sig : ch.code,
             ch.exited && ch.code == 0 ? " (it returned from gt_sleep_ms as if "
             "nothing had happened)" : "");
}
