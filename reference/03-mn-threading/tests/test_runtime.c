/*
 * test_runtime.c - the runtime, spawn/exit/join, real parallelism, and
 * carriers that sleep when idle (handout Tasks 1, 2 and 3).
 */
#include "mn_test.h"

#include <sched.h>
#include <signal.h>

/* ------------------------------------------------------------------ */

TL_TEST(init_and_shutdown, 3, 20, "runtime")
{
    errno = 0;
    int rc = mn_shutdown();
    tl_check(rc == -1 && errno == EPERM,
             "mn_shutdown() with no runtime returned %d (errno %s); expected "
             "-1 with EPERM. Hint: Task 2.6.", rc, tl_ename(errno));
    rc = mn_init(0);
    tl_check(rc == -1 && errno == EINVAL, "mn_init(0) returned %d (errno %s); "
             "expected -1 with EINVAL.", rc, tl_ename(errno));
    rc = mn_init(MN_MAX_CARRIERS + 1);
    tl_check(rc == -1 && errno == EINVAL, "mn_init(MN_MAX_CARRIERS + 1) "
             "returned %d (errno %s); expected -1 with EINVAL.", rc, tl_ename(errno));
    tl_check(mn_self() == 0 && mn_carrier() == -1,
             "outside any user thread mn_self() is %ld and mn_carrier() %d; "
             "expected 0 and -1. Hint: Task 2.7.", (long)mn_self(), mn_carrier());
    MN_START(3);
    rc = mn_init(2);
    tl_check(rc == -1 && errno == EBUSY, "a second mn_init while the runtime "
             "is up returned %d (errno %s); expected -1 with EBUSY.", rc, tl_ename(errno));
    struct mn_stats st;
    MN_STATS(&st);
    tl_check(st.kthreads == 3, "after mn_init(3), mn_stats says %d kernel "
             "threads; expected 3 carriers. Hint: Task 2.1.", st.kthreads);
    tl_check(mn_stats(NULL) == -1 && errno == EINVAL,
             "mn_stats(NULL) must fail with EINVAL.");
    MN_STOP();
    rc = mn_stats(&st);
    tl_check(rc == -1 && errno == EPERM, "mn_stats after mn_shutdown returned "
             "%d (errno %s); expected -1 with EPERM.", rc, tl_ename(errno));
    MN_START(MN_MAX_CARRIERS);
    MN_STATS(&st);
    tl_check(st.kthreads == MN_MAX_CARRIERS, "mn_init(MN_MAX_CARRIERS) must "
             "start %d carriers; mn_stats says %d.", MN_MAX_CARRIERS, st.kthreads);
    MN_STOP();
}

/* ------------------------------------------------------------------ */

static void *ret_arg_(void *p)
{
    return p;
}

struct info {
    mn_t self;
    int carrier;
    int ran;
};

static void *record(void *p)
{
    struct info *in = p;
    in->self = mn_self();
    in->carrier = mn_carrier();
    in->ran++;
    return (void *)(long)(in->self * 10);
}

static int deep_exit(int depth, void *v)
{
    if (depth < 0)
        return 0;
    if (depth == 0)
        mn_exit(v);
    return deep_exit(depth - 1, v) + 1;
}

static void *exits_deep(void *p)
{
    mn_yield();
    deep_exit(20, p);
    return NULL; /* not reached */
}

struct joiner_arg {
    mn_t target;
    int rc, err;
    void *ret;
    int self_rc, self_err;
};

static void *joiner(void *p)
{
    struct joiner_arg *j = p;
    errno = 0;
    j->self_rc = mn_join(mn_self(), NULL);
    j->self_err = errno;
    j->rc = mn_join(j->target, &j->ret);
    j->err = errno;
    return NULL;
}

static void *yield_a_lot(void *p)
{
    for (int i = 0; i < 50; i++)
        mn_yield();
    return p;
}

TL_TEST(spawn_join_and_exit_values, 4, 20, "spawn join")
{
    MN_START(2);
    struct info in[4];
    memset(in, 0, sizeof in);
    mn_t id[4];
    for (int i = 0; i < 4; i++)
        MN_SPAWN(id[i], record, &in[i]);
    tl_check(id[0] == 1 && id[1] == 2 && id[3] == 4,
             "the first ids were %ld %ld %ld %ld; ids are 1, 2, 3, ... in spawn "
             "order (mn.h).", (long)id[0], (long)id[1], (long)id[2], (long)id[3]);
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        MN_JOIN(id[i], &ret);
        tl_check(in[i].ran == 1 && in[i].self == id[i],
                 "user thread %ld ran %d times and saw mn_self() == %ld.",
                 (long)id[i], in[i].ran, (long)in[i].self);
        tl_check(in[i].carrier == 0 || in[i].carrier == 1,
                 "mn_carrier() inside a user thread was %d with 2 carriers; "
                 "expected 0 or 1. Hint: Task 2.7.", in[i].carrier);
        tl_check(ret == (void *)(long)(id[i] * 10),
                 "mn_join delivered %p; thread %ld returned %p from its entry "
                 "function (returning is mn_exit: Task 1.3).", ret,
                 (long)id[i], (void *)(long)(id[i] * 10));
    }
    errno = 0;
    int rc = mn_join(id[0], NULL);
    tl_check(rc == -1 && errno == EINVAL, "joining thread %ld a second time "
             "returned %d (errno %s); expected -1 with EINVAL.", (long)id[0],
             rc, tl_ename(errno));
    rc = mn_join(id[3] + 1, NULL);
    tl_check(rc == -1 && errno == ESRCH, "mn_join(%ld), the id the next spawn "
             "will get, returned %d (errno %s); expected -1 with ESRCH.",
             (long)id[3] + 1, rc, tl_ename(errno));
    rc = mn_join(999, NULL);
    tl_check(rc == -1 && errno == ESRCH, "mn_join(999), an id never given, "
             "returned %d (errno %s); expected -1 with ESRCH.", rc, tl_ename(errno));
    rc = mn_join(0, NULL);
    tl_check(rc == -1 && errno == ESRCH, "mn_join(0) returned %d (errno %s); "
             "expected -1 with ESRCH.", rc, tl_ename(errno));

    /* mn_exit deep in a call chain; a user thread joining another. */
    int token = 5;
    mn_t deep, y, j;
    MN_SPAWN(deep, exits_deep, &token);
    MN_SPAWN(y, yield_a_lot, &token);
    struct joiner_arg ja = {.target = y};
    MN_SPAWN(j, joiner, &ja);
    void *ret = NULL;
    MN_JOIN(deep, &ret);
    tl_check(ret == &token, "a thread that called mn_exit(%p) 20 calls deep "
             "was joined with %p. Hint: Task 2.9.", (void *)&token, ret);
    MN_JOIN(j, NULL);

    /* A kernel-thread join of a long thread while short ones exit first:
     * their exits wake the joiner, which must wait on. */
    mn_t longer, shorts[8];
    struct info in2[8]; /* one each: they run at the same time */
    memset(in2, 0, sizeof in2);
    MN_SPAWN(longer, yield_a_lot, &token);
    for (int i = 0; i < 8; i++)
        MN_SPAWN(shorts[i], record, &in2[i]);
    ret = NULL;
    MN_JOIN(longer, &ret);
    tl_check(ret == &token, "mn_join of a thread that yields 50 times, while "
             "8 others exit first, returned value %p, expected %p.", ret,
             (void *)&token);
    for (int i = 0; i < 8; i++)
        MN_JOIN(shorts[i], NULL);
    tl_check(ja.self_rc == -1 && ja.self_err == EDEADLK,
             "mn_join(mn_self()) in a user thread returned %d (errno %s); "
             "expected -1 with EDEADLK.", ja.self_rc, tl_ename(ja.self_err));
    tl_check(ja.rc == 0 && ja.ret == &token,
             "a user thread joining another (which yields 50 times) got %d "
             "(errno %s), value %p; expected 0 and %p. Hint: Task 2.10 (the "
             "joiner parks; finish_exit wakes it).", ja.rc, tl_ename(ja.err),
             ja.ret, (void *)&token);
    MN_STOP();
}

/* ------------------------------------------------------------------ */

static volatile int *exit_stage; /* shared with the child */

static void exit_outside(void *p)
{
    (void)p;
    if (mn_init(1) != 0)
        _exit(3);
    exit_stage[0] = 1;
    int token;
    mn_t t = mn_spawn(ret_arg_, &token);
    void *r = NULL;
    if (t <= 0 || mn_join(t, &r) != 0 || r != &token)
        _exit(4);
    exit_stage[0] = 2;
    mn_exit(NULL); /* on the test's kernel thread, not a user thread */
}

TL_TEST(mn_exit_outside_user_thread_panics, 2, 20, "exit")
{
    exit_stage = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    tl_check(exit_stage != MAP_FAILED, "mmap failed");
    exit_stage[0] = 0;
    struct tl_child ch;
    tl_check(tl_run_in_child(exit_outside, NULL, 10 * (int)tl_slow(), &ch) == 0,
             "fork failed");
    int stage = exit_stage[0];
    munmap((void *)exit_stage, 4096);
    tl_check(stage == 2, "in a child, mn_init(1), then spawning and joining a "
             "thread that returns a value, %s. Hint: Tasks 1 and 2.",
             stage == 0 ? "mn_init failed" : "the spawn or join failed or "
             "gave the wrong value");
    tl_check(ch.signaled && ch.sig == SIGABRT,
             "mn_exit called on a kernel thread that is not a user thread must "
             "stop the program loudly (an \"mn panic\" line and abort(): "
             "SIGABRT); the child %s %d. Hint: Task 2.9.",
             ch.signaled ? "was killed by signal" : ch.timed_out ? "hung; code" : "exited with",
             ch.signaled ? ch.sig : ch.code);
}

/* ------------------------------------------------------------------ */

struct par {
    atomic_long count[2];
    atomic_int carrier[2];
    atomic_int saw[2];
    atomic_int stop;
};

static struct par par;

static void *spinner(void *p)
{
    int me = (int)(long)p, other = 1 - me;
    atomic_store(&par.carrier[me], mn_carrier());
    long other_start = atomic_load(&par.count[other]);
    /* Never yield: whatever the other thread counts while we loop, it
     * counts while we are running. */
    for (;;) {
        atomic_fetch_add(&par.count[me], 1);
        if (!atomic_load(&par.saw[me]) &&
            atomic_load(&par.count[other]) - other_start >= 1000)
            atomic_store(&par.saw[me], 1);
        if ((atomic_load(&par.saw[me]) && atomic_load(&par.saw[other])) ||
            atomic_load(&par.stop))
            break;
    }
    return NULL;
}

TL_TEST(both_carriers_run_in_parallel, 5, 60, "parallel")
{
    memset(&par, 0, sizeof par);
    MN_START(2);
    mn_t a, b;
    MN_SPAWN(a, spinner, (void *)0L);
    MN_SPAWN(b, spinner, (void *)1L);
    int ok = TL_WAIT_UNTIL(atomic_load(&par.saw[0]) && atomic_load(&par.saw[1]), 20);
    atomic_store(&par.stop, 1);
    MN_JOIN(a, NULL);
    MN_JOIN(b, NULL);
    MN_STOP();
    tl_check(ok,
             "two user threads that never yield, on 2 carriers, must both "
             "make progress while the other runs: each counts, and checks "
             "that the other's count grew by 1000 while it was running. "
             "Seen: thread A %s (counted %ld), thread B %s (counted %ld), "
             "carriers %d and %d. A carrier that never ran user code is "
             "probably asleep: pushing work must wake a parked carrier "
             "(Task 3.2), or each carrier must pick from the global queue "
             "(Task 2.3).",
             atomic_load(&par.saw[0]) ? "saw B progress" : "never saw B progress",
             atomic_load(&par.count[0]),
             atomic_load(&par.saw[1]) ? "saw A progress" : "never saw A progress",
             atomic_load(&par.count[1]), atomic_load(&par.carrier[0]),
             atomic_load(&par.carrier[1]));
    tl_check(atomic_load(&par.carrier[0]) != atomic_load(&par.carrier[1]),
             "the two threads that ran at the same time both reported carrier "
             "%d: mn_carrier() must name the carrier the caller runs on.",
             atomic_load(&par.carrier[0]));
}

/* ------------------------------------------------------------------ */

static void *short_yielder(void *p)
{
    for (int i = 0; i < 10; i++)
        mn_yield();
    return p;
}

TL_TEST(idle_carriers_sleep, 4, 60, "idle")
{
    MN_START(2);
    /* Some work first, so the carriers have been awake. */
    mn_t id[20];
    for (int i = 0; i < 20; i++)
        MN_SPAWN(id[i], short_yielder, NULL);
    for (int i = 0; i < 20; i++)
        MN_JOIN(id[i], NULL);
    /* Now nothing is runnable: over a window of wall time, the process
     * (2 idle carriers, this thread asleep) must use almost no CPU. The
     * sleep is the measurement window, not a synchronisation. */
    double window = 0.4 * (double)tl_slow();
    double c0 = cpu_seconds(), t0 = tl_now();
    struct timespec ts = {0, (long)(window * 1e9) % 1000000000L};
    ts.tv_sec = (time_t)window;
    nanosleep(&ts, NULL);
    double used = cpu_seconds() - c0, wall = tl_now() - t0;
    struct mn_stats st;
    MN_STATS(&st);
    MN_STOP();
    tl_check(used < 0.25 * wall,
             "with no user thread to run, the process used %.3f s of CPU in "
             "%.3f s of wall time (%.0f%%): idle carriers are spinning. A "
             "carrier with nothing to run must sleep in the kernel "
             "(pthread_cond_wait on rt.idle_cv) until work is queued. Hint: "
             "Task 3.1.", used, wall, 100.0 * used / wall);
    tl_check(st.parks >= 2, "mn_stats().parks is %lu after both carriers "
             "went idle; each park must be counted. Hint: Task 3.1.", st.parks);
}
