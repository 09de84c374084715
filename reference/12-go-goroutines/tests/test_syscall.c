/*
 * test_syscall.c - milestone M6: the handoff of a P around a blocking
 * system call (kit-owned).
 *
 * A G that blocks its kernel thread in read() of an ordinary (blocking)
 * pipe, between gmp_entersyscall and gmp_exitsyscall, must not take the
 * only P with it: sysmon retakes the P and another M runs the other Gs.
 * Without the handoff these tests deadlock; their deadlines turn that
 * into a message, and the test thread then writes the pipe itself so the
 * blocked M can leave. The pipes are blocking on purpose: the netpoller
 * (M5) cannot help here. Sleeps appear only INSIDE a syscall bracket, to
 * make a G sit there; no verdict depends on how long they last.
 */
#include "gmp_test.h"

#include <time.h>

/* A G blocks in read(fd) inside the bracket; 1 byte, or -1 and a note. */
static int read_in_syscall(int fd, const char *who)
{
    unsigned char b = 0;
    gmp_entersyscall();
    ssize_t r = read(fd, &b, 1);
    int e = errno;
    gmp_exitsyscall();
    if (r != 1) {
        G_FAIL("%s: read() of the pipe inside gmp_entersyscall/"
               "gmp_exitsyscall returned %zd (errno %s), expected 1 byte.",
               who, r, tl_ename(e));
        return -1;
    }
    return b;
}

/* The test thread: until G B ran (flag), with ONE P while G A blocks in
 * read(fd) in a bracket. Past 10 s: write the byte A waits for (so its M
 * can leave) and fail with msg. */
static void await_b_or_unblock(atomic_int *flag, int fd, unsigned char byte,
                               const char *msg)
{
    int ok = TL_WAIT_UNTIL(atomic_load(flag) || tl_fb_failed(&fb), 10);
    tl_fb_report(&fb);
    if (ok)
        return;
    if (write(fd, &byte, 1) != 1)
        tl_fail("write to the pipe failed (errno %s)", tl_ename(errno));
    tl_fail("%s", msg);
}

/* The test thread: a pipe, a runtime with ONE P, and G a started. */
static void one_p_and_a_pipe(int fds[2], void (*a)(void *))
{
    tl_check(pipe(fds) == 0, "pipe failed (errno %s)", tl_ename(errno));
    START(1);
    GO(a, NULL);
}

/* Sit in a syscall for about us microseconds (a sleep that only makes a G
 * stay in the bracket; nothing waits for it to end). */
static void sit_in_syscall(long us)
{
    struct timespec ts = {0, us * 1000};
    gmp_entersyscall();
    nanosleep(&ts, NULL);
    gmp_exitsyscall();
}

/* ------------------------------------------------------------------ */
static int ho_pipe[2] = {-1, -1};
static atomic_int ho_b_ran, ho_a_done, ho_a_byte, ho_a_same;

static void ho_b(void *arg)
{
    (void)arg;
    atomic_store(&ho_b_ran, 1);
    unsigned char b = 0x5a;
    if (write(ho_pipe[1], &b, 1) != 1)
        G_FAIL("B: write to the pipe failed (errno %s)", tl_ename(errno));
}

static void ho_a(void *arg)
{
    (void)arg;
    long id = gmp_goid();
    go_each(ho_b, 1); /* B waits in this P's runnext */
    atomic_store(&ho_a_byte, read_in_syscall(ho_pipe[0], "A"));
    atomic_store(&ho_a_same, gmp_goid() == id);
    atomic_store(&ho_a_done, 1);
}

TL_TEST(syscall_hands_off_the_p, 3, 30, "m6")
{
    one_p_and_a_pipe(ho_pipe, ho_a);
    await_b_or_unblock(&ho_b_ran, ho_pipe[1], 0x5a,
        "with ONE P, G A started G B and then blocked in read() of a pipe "
        "inside gmp_entersyscall()/gmp_exitsyscall(); only B writes that "
        "pipe, and B had not run after 10 s: the P stayed with A's blocked "
        "M. sysmon must retake a P that is in a syscall for a whole tick "
        "and hand it to another M (Go: retake, handoffp, startm). Hint: "
        "handout Tasks 6.1 and 6.2.");
    AWAIT(atomic_load(&ho_a_done), 20,
          "B ran and wrote the pipe, but A never got past "
          "gmp_exitsyscall() in 20 s: a G back from a syscall must find a "
          "P (its own, an idle one, or wait on the global queue for one). "
          "Hint: handout Task 6.1.");
    tl_check(atomic_load(&ho_a_byte) == 0x5a && atomic_load(&ho_a_same),
             "after gmp_exitsyscall, A read byte %#x and its goid %s; "
             "expected 0x5a and the same goid: the G must go on where it "
             "was. Hint: handout Task 6.1.", atomic_load(&ho_a_byte),
             atomic_load(&ho_a_same) ? "was unchanged" : "CHANGED");
    struct gmp_stats s;
    STATS(s);
    tl_check(s.handoffs >= 1 && s.ms >= 2,
             "B could only run if sysmon retook A's P, but gmp_stats says "
             "handoffs = %lu and ms = %lu (expected >= 1 and >= 2): count "
             "each retake in handoffs and each M started in ms. Hint: "
             "handout Task 6.2.", s.handoffs, s.ms);
    FINISH("syscall_hands_off_the_p");
    close(ho_pipe[0]);
    close(ho_pipe[1]);
}

/* ------------------------------------------------------------------ */
/* A comes back from its syscall while B holds the only P and will not
 * let go until A has run: A must wait on the global queue (its M stops),
 * and B's gosched lets it in. Then C sits in a syscall alone: its P goes
 * idle when retaken, and C takes an idle P on the way out. */
static int rt_pipe[2] = {-1, -1};
static atomic_int rt_b_ran, rt_a_back, rt_b_done, rt_c_done, rt_b_rounds;

static void rt_c(void *arg)
{
    (void)arg;
    int canary = 0x1234;
    for (int i = 0; i < 3; i++)
        sit_in_syscall(2000);
    if (canary != 0x1234 || gmp_procid() != 0)
        G_FAIL("C: after three syscalls alone on 1 P, its local was %#x "
               "and gmp_procid() %d; expected 0x1234 and 0. Hint: handout "
               "Task 6.1.", canary, gmp_procid());
    atomic_store(&rt_c_done, 1);
}

static void rt_b(void *arg)
{
    (void)arg;
    atomic_store(&rt_b_ran, 1);
    unsigned char b = 7;
    if (write(rt_pipe[1], &b, 1) != 1) {
        G_FAIL("B: write to the pipe failed (errno %s)", tl_ename(errno));
        return;
    }
    double t0 = 0;
    while (!atomic_load(&rt_a_back)) {
        if (too_long(&t0, 20)) {
            G_FAIL("A was woken (B wrote its pipe) while B held the only "
                   "P, and B then yielded %d times in 20 s without A ever "
                   "running again: with no P free, gmp_exitsyscall must put "
                   "the G on the global queue and stop its M (stopm), so "
                   "the M with the P runs it. Hint: handout Task 6.1.",
                   atomic_load(&rt_b_rounds));
            return;
        }
        atomic_fetch_add(&rt_b_rounds, 1);
        gmp_gosched();
    }
    atomic_store(&rt_b_done, 1);
}

static void rt_a(void *arg)
{
    (void)arg;
    go_each(rt_b, 1);
    if (read_in_syscall(rt_pipe[0], "A") != 7)
        return;
    atomic_store(&rt_a_back, 1);
    if (!gmp_go(rt_c, NULL))
        G_FAIL("gmp_go failed (errno %s). Hint: handout Task 1.2.",
               tl_ename(errno));
}

TL_TEST(exitsyscall_after_retake_still_runs, 3, 40, "m6")
{
    one_p_and_a_pipe(rt_pipe, rt_a);
    await_b_or_unblock(&rt_b_ran, rt_pipe[1], 7,
        "with ONE P, G A blocked in read() inside a syscall bracket and its "
        "G B (the only writer of that pipe) had not run after 10 s: the P "
        "was never handed off. Hint: handout Task 6.2.");
    AWAIT(atomic_load(&rt_b_done), 30,
          "A did not run again after its read returned (B holds the P and "
          "yields to the global queue). Hint: handout Task 6.1.");
    AWAIT(atomic_load(&rt_c_done), 30,
          "G C, alone on the only P, did three short syscalls and did not "
          "finish in 30 s: when sysmon retakes a P with no work it goes "
          "idle, and gmp_exitsyscall must take an idle P (pidleget). "
          "Hint: handout Tasks 6.1 and 6.2.");
    FINISH("exitsyscall_after_retake_still_runs");
    close(rt_pipe[0]);
    close(rt_pipe[1]);
}

/* ------------------------------------------------------------------ */
/* Many Gs on 2 Ps, each doing a few short syscalls (a cheap one, or a
 * short sleep inside the bracket), seeded: each G runs to its end exactly
 * once, with its stack intact and on a valid P after each syscall. */
#define SS_GS 200
static atomic_int ss_runs[SS_GS], ss_done;
static unsigned char ss_plan[SS_GS][4];

static void ss_g(void *arg)
{
    int i = (int)(intptr_t)arg;
    volatile long mark = 1000003L * i;
    long id = gmp_goid();
    for (int k = 0; k < 4; k++) {
        int what = ss_plan[i][k];
        if (what == 0)
            break;
        if (what < 128) {
            gmp_entersyscall();
            (void)getppid();
            gmp_exitsyscall();
        } else {
            sit_in_syscall(what - 100);
        }
        int p = gmp_procid();
        if (mark != 1000003L * i || gmp_goid() != id || p < 0 || p > 1) {
            G_FAIL("G %d: after syscall %d its local was %ld (expected "
                   "%ld), goid %ld (was %ld), gmp_procid() %d (2 Ps): a G "
                   "must come back from gmp_exitsyscall on its own stack, "
                   "holding a P. Hint: handout Task 6.1.", i, k, (long)mark,
                   1000003L * i, gmp_goid(), id, p);
            break;
        }
        if (k == 1)
            gmp_gosched();
    }
    atomic_fetch_add(&ss_runs[i], 1);
    atomic_fetch_add(&ss_done, 1);
}

/* The seeded plan: per G up to 4 syscalls, 1..127 a cheap one, 128..255
 * a sleep of (value - 100) us inside the bracket. */
static void ss_make_plan(uint64_t seed)
{
    struct tl_rng r;
    tl_rng_init(&r, seed);
    for (int i = 0; i < SS_GS; i++)
        for (int k = 0; k < 4; k++)
            ss_plan[i][k] = (unsigned char)(1 + tl_rng_below(&r, 255));
}

TL_TEST(syscall_stress_exactly_once, 3, 90, "m6 stress")
{
    ss_make_plan(tl_seed());
    START(2);
    for (int i = 0; i < SS_GS; i++) /* from outside: the global queue */
        GO(ss_g, (void *)(intptr_t)i);
    AWAIT_COUNT(atomic_load(&ss_done), SS_GS, 20,
                "%d Gs on 2 Ps doing short syscalls inside "
                "gmp_entersyscall/gmp_exitsyscall: %d finished and no more "
                "for 20 s. A G back from a syscall was lost, or an M "
                "sleeps while a P has work. Hint: handout Tasks 6.1 and 6.2.",
                SS_GS, atomic_load(&ss_done));
    for (int i = 0; i < SS_GS; i++)
        tl_check(atomic_load(&ss_runs[i]) == 1,
                 "G %d finished %d times, expected exactly once: a G came "
                 "back from a syscall twice (two Ms ran it). Hint: handout "
                 "Task 6.1 (one CAS decides between exitsyscall and "
                 "sysmon's retake).", i, atomic_load(&ss_runs[i]));
    FINISH("syscall_stress_exactly_once");
}

/* ------------------------------------------------------------------ */
static void exit_alone_main(void *arg)
{
    (void)arg;
    gmp_exitsyscall();
    _exit(5);
}

static void exit_alone_body(void)
{
    if (gmp_run(1, exit_alone_main, NULL) != 0)
        _exit(3);
    _exit(6);
}

static void nested_main(void *arg)
{
    (void)arg;
    gmp_entersyscall();
    gmp_entersyscall();
    _exit(5);
}

static void nested_body(void)
{
    if (gmp_run(1, nested_main, NULL) != 0)
        _exit(3);
    _exit(6);
}

static void outside_body(void)
{
    gmp_entersyscall();
    _exit(5);
}

TL_TEST(syscall_misuse_panics, 1, 60, "m6")
{
    EXPECT_PANIC(exit_alone_body, "gmp_exitsyscall without gmp_entersyscall",
                 "gmp_exitsyscall() with no gmp_entersyscall() before it must "
                 "panic with \"gmp panic: gmp_exitsyscall without "
                 "gmp_entersyscall\". Hint: handout Task 6.1.",
                 "3: gmp_run failed, 5: the call returned");
    EXPECT_PANIC(nested_body, "cannot nest",
                 "gmp_entersyscall() twice in a row must panic (\"gmp panic: "
                 "... a syscall bracket cannot nest\"). Hint: handout Task "
                 "6.1.", "3: gmp_run failed, 5: the call returned");
    EXPECT_PANIC(outside_body, "outside a goroutine",
                 "gmp_entersyscall() from a thread that runs no G must panic "
                 "(\"... called outside a goroutine\"). Hint: handout Task "
                 "6.1.", "5: the call returned");
}
