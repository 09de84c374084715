/*
 * test_join.c - join sleeps on the tid word, join errors, the exit of one
 * thread (Tasks 3, 5 and 6).
 */
#include "kt_test.h"

#include <pthread.h>
#include <signal.h>

/* ------------------------------------------------------------------ */

struct sleeper {
    int go, started;
};

static void *sleeper_body(kthread_t *self, void *p)
{
    (void)self;
    struct sleeper *s = p;
    flag_set(&s->started);
    flag_wait(&s->go);
    return (void *)0x5a;
}

struct watch {
    int main_tid, kt_tid;
    struct sleeper *s;
    pthread_t main_thread;
    int joined;           /* set by the test's main thread after the join */
};

/* Signals the joining thread has taken while it waited (SIGUSR1 handler). */
static int signals_taken;

static void count_signal(int sig)
{
    (void)sig;
    __atomic_fetch_add(&signals_taken, 1, __ATOMIC_RELEASE);
}

/* Reads /proc/self/task/<main>/syscall until the main thread sleeps in
 * futex(..., FUTEX_WAIT, tid, ...). Fails the test if the join returned
 * first (early: the message for that case) or used the wrong futex op.
 * 1: seen asleep; 0: not within 10 s (last line in line). */
static int await_futex_sleep(struct watch *w, char *line, size_t len, const char *early)
{
    char dir[300], path[320];
    task_dir(w->main_tid, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/syscall", dir);
    double end = tl_now() + 10.0 * (double)tl_slow();
    while (tl_now() < end) {
        FILE *f = fopen(path, "r");
        if (!f)
            tl_fail("cannot read %s: %s", path, strerror(errno));
        if (!fgets(line, (int)len, f))
            line[0] = '\0';
        fclose(f);
        long nr = -1;
        unsigned long a0, op, val;
        if (sscanf(line, "%ld %lx %lx %lx", &nr, &a0, &op, &val) == 4 &&
            nr == SYS_futex && (int)val == w->kt_tid) {
            if ((op & FUTEX_PRIVATE_FLAG) != 0)
                tl_fail("kthread_join sleeps in futex with op %#lx "
                        "(FUTEX_WAIT_PRIVATE): the kernel's wake at thread exit "
                        "is a SHARED futex wake, keyed differently, so this join "
                        "would sleep forever. Use FUTEX_WAIT (Task 5.2).", op);
            if ((op & 127) != FUTEX_WAIT)
                tl_fail("kthread_join sleeps in futex with op %#lx, expected "
                        "FUTEX_WAIT (0).", op);
            return 1;
        }
        if (__atomic_load_n(&w->joined, __ATOMIC_ACQUIRE))
            tl_fail("%s", early);
        sched_yield();
    }
    return 0;
}

/* An ordinary pthread: waits until the main thread sleeps in the join,
 * interrupts that sleep with signals (a handler without SA_RESTART, so the
 * futex call returns EINTR) and checks the join sleeps again each time,
 * then lets the kthread end and checks that the join returns. */
static void *watcher(void *p)
{
    struct watch *w = p;
    char line[256] = "";
    int seen = await_futex_sleep(w, line, sizeof line,
                                 "kthread_join returned while its thread was still alive (it "
                                 "waits for a flag nobody had set yet): join must wait until "
                                 "the kernel has cleared the tid word. Hint: Task 5.2.");
    for (int k = 0; seen && k < 3; k++) {
        int before = __atomic_load_n(&signals_taken, __ATOMIC_ACQUIRE);
        pthread_kill(w->main_thread, SIGUSR1);
        double end = tl_now() + 10.0 * (double)tl_slow();
        while (__atomic_load_n(&signals_taken, __ATOMIC_ACQUIRE) == before && tl_now() < end)
            sched_yield();
        if (__atomic_load_n(&signals_taken, __ATOMIC_ACQUIRE) == before)
            tl_fail("a signal sent to the joining thread was not handled within 10 s.");
        seen = await_futex_sleep(w, line, sizeof line,
                                 "kthread_join returned after a signal interrupted its "
                                 "futex wait (futex returns EINTR), while the thread was "
                                 "still alive: any return from futex only means \"look "
                                 "again\". Loop until the tid word reads 0. Hint: Task 5.2.");
    }
    if (!seen)
        tl_fail("for 10 s kthread_join did not sleep in futex(&t->tid, FUTEX_WAIT, "
                "%d) while the thread was alive; the last /proc/.../syscall line "
                "of the joining thread was \"%.60s\" (\"running\" means it spins). "
                "A join must sleep in the kernel on the tid word until the kernel "
                "clears it. Hint: Task 5.2.", w->kt_tid, line);
    flag_set(&w->s->go);
    if (!flag_within(&w->joined, 10))
        tl_fail("kthread_join was still blocked 10 s after the thread was told to "
                "return. Does the thread really exit (Task 3.5), with "
                "CLONE_CHILD_CLEARTID set so that the kernel clears and wakes the "
                "tid word (Task 4.4)?");
    return NULL;
}

TL_TEST(join_sleeps_on_the_tid_word, 6, 40, "join futex")
{
    struct sleeper s = {0};
    kthread_t *t;
    KT_CREATE(&t, sleeper_body, &s, 0);
    tl_check(flag_within(&s.started, 10), "the thread never ran. Hint: Tasks 1-3.");
    struct watch w = {(int)gettid(), (int)kthread_tid(t), &s, pthread_self(), 0};
    QUIET_ATOMIC(&w.joined);
    struct sigaction sa = {0};
    sa.sa_handler = count_signal; /* no SA_RESTART: the futex wait returns EINTR */
    sigemptyset(&sa.sa_mask);
    tl_check(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction failed");
    tl_check(w.kt_tid > 0, "kthread_tid() of a running thread is %d.", w.kt_tid);
    pthread_t helper;
    tl_check(pthread_create(&helper, NULL, watcher, &w) == 0, "pthread_create failed");
    void *ret = NULL;
    int rc = kthread_join(t, &ret);
    flag_set(&w.joined);
    pthread_join(helper, NULL);
    tl_check(rc == 0, "kthread_join returned %d (%s).", rc, tl_ename(rc));
    tl_check(ret == (void *)0x5a, "join delivered %p, expected 0x5a.", ret);
}

/* ------------------------------------------------------------------ */

static void *nop_body_for_errors(kthread_t *self, void *p)
{
    (void)self;
    return p;
}

TL_TEST(join_errors, 4, 10, "join errors")
{
    int rc = kthread_join(NULL, NULL);
    tl_check(rc == ESRCH, "kthread_join(NULL) returned %d (%s), expected ESRCH "
             "(kt.h).", rc, tl_ename(rc));
    /* A pointer to something that is not a thread: it must not be read. */
    static char junk[256];
    memset(junk, 0xff, sizeof junk);
    rc = kthread_join((kthread_t *)junk, NULL);
    tl_check(rc == ESRCH, "kthread_join of a pointer that kthread_create never "
             "returned gave %d (%s), expected ESRCH. Hint: look the handle up in "
             "the registry, comparing pointers only (Task 6.2).", rc, tl_ename(rc));
    kthread_t *t;
    int v = 7;
    KT_CREATE(&t, nop_body_for_errors, &v, 0);
    KT_JOIN(t, NULL);
    rc = kthread_join(t, NULL);
    tl_check(rc == ESRCH, "a second kthread_join of the same thread returned %d "
             "(%s), expected ESRCH: the first join took it out of the registry "
             "(and freed it; it must not be touched again). Hint: Task 5.1.",
             rc, tl_ename(rc));
}

/* ------------------------------------------------------------------ */
/* kthread_exit ends one task, not the process. Run in a child process:
 * an exit_group there ends the child, and the exit code tells why. */

enum { EXIT_DEPTH = 40, CHILD_OK = 42 };

struct exiter {
    int go, started;
    int after_exit;      /* set if kthread_exit returned: it must not */
};

/* Every path of dive either recurses or ends the task: gcc calls that
 * infinite recursion, which is the point. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) static void dive(kthread_t *self, struct exiter *e, int depth)
{
    volatile char pad[64];
    pad[0] = (char)depth;
    if (depth < EXIT_DEPTH)
        dive(self, e, depth + 1);
    else
        kthread_exit(self, (void *)(uintptr_t)(0x1000 + pad[0]));
    e->after_exit = 1; /* never: kthread_exit does not return */
    pad[63] = pad[0];
}
#pragma GCC diagnostic pop

static void *exiter_body(kthread_t *self, void *p)
{
    struct exiter *e = p;
    flag_set(&e->started);
    flag_wait(&e->go);
    dive(self, e, 0);
    e->after_exit = 2;
    return NULL;
}

static void exit_scenario(void *arg)
{
    (void)arg;
    struct exiter a = {0};
    struct sleeper other = {0};
    kthread_t *ta, *tb;
    if (kthread_create(&tb, sleeper_body, &other, 0) != 0 ||
        kthread_create(&ta, exiter_body, &a, 0) != 0)
        _exit(3);
    int tid_b = (int)kthread_tid(tb);
    flag_set(&a.go);
    void *ret = NULL;
    if (kthread_join(ta, &ret) != 0)
        _exit(4);
    if (a.after_exit)
        _exit(5);
    if (ret != (void *)(uintptr_t)(0x1000 + EXIT_DEPTH))
        _exit(6);
    /* The other thread is still alive, and so are we. */
    if (!task_listed(tid_b) || kthread_tid(tb) != tid_b)
        _exit(7);
    flag_set(&other.go);
    if (kthread_join(tb, &ret) != 0 || ret != (void *)0x5a)
        _exit(8);
    _exit(CHILD_OK);
}

TL_TEST(exit_ends_only_the_thread, 5, 20, "exit")
{
    struct tl_child c;
    tl_check(tl_run_in_child(exit_scenario, NULL, 15, &c) == 0, "fork failed");
    static const char *why[] = {
        [3] = "kthread_create failed (Tasks 1-4)",
        [4] = "kthread_join of the exited thread failed (Task 5)",
        [5] = "kthread_exit RETURNED to its caller: it must end the task (Task 3.5)",
        [6] = "join did not deliver the value given to kthread_exit (Task 3.4)",
        [7] = "another thread disappeared when one thread called kthread_exit",
        [8] = "joining the second thread failed",
    };
    tl_check(!c.timed_out, "the scenario (one thread calls kthread_exit 40 calls "
             "deep while another waits, then both are joined) did not finish in "
             "15 s. Hint: Tasks 3.5 and 5.2.");
    tl_check(!c.signaled, "the scenario was killed by signal %d (%s) when one "
             "thread called kthread_exit 40 calls deep.", c.sig, strsignal(c.sig));
    tl_check(c.code != 0 && c.code != 134, "the whole process ended (exit code %d) "
             "when one thread called kthread_exit: that is exit_group (exit(), "
             "_exit(), SYS_exit_group). One thread ends with the raw SYS_exit "
             "system call (Task 3.5).", c.code);
    tl_check(c.code == CHILD_OK, "exit scenario: %s (exit code %d).",
             c.code > 0 && c.code < 9 && why[c.code] ? why[c.code] : "unexpected",
             c.code);
}

/* ------------------------------------------------------------------ */

static void *quick_body(kthread_t *self, void *p)
{
    (void)self;
    return p;
}

TL_TEST(join_after_the_thread_ended, 3, 20, "join")
{
    int v = 3;
    kthread_t *t;
    KT_CREATE(&t, quick_body, &v, 0);
    double end = tl_now() + 10.0 * (double)tl_slow();
    while (kthread_tid(t) != 0 && tl_now() < end)
        sched_yield();
    tl_check(kthread_tid(t) == 0, "10 s after a thread that returns at once was "
             "created, kthread_tid() still says %d: the kernel clears the tid word "
             "at thread exit only with CLONE_CHILD_CLEARTID and &t->tid as "
             "child_tid (Task 4.4); kthread_tid must read it (4.7).",
             (int)kthread_tid(t));
    void *ret = NULL;
    KT_JOIN(t, &ret);
    tl_check(ret == &v, "join delivered %p, expected %p.", ret, (void *)&v);
}
