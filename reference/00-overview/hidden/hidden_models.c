/*
 * hidden_models.c - Tasks 2 to 5 used together and twice at once.
 */
#include "../tests/cost_test.h"

#include <fcntl.h>
#include <unistd.h>

#define T4 "Task 4 (src/switch.c)"

TL_TEST(hidden_uswitch_two_at_once, 3, 20, "switch")
{
    struct cost_uswitch a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    tl_expect_ok(cost_uswitch_start(&a), "cost_uswitch_start(a)", T4);
    tl_expect_ok(cost_uswitch_start(&b), "cost_uswitch_start(b)", T4);
    tl_check(a.stack != b.stack, "two coroutines share one stack");
    long n = tl_iters(5000) + 2;
    for (long i = 0; i < n; i++) {
        tl_expect_ok(cost_uswitch_round(&a), "cost_uswitch_round(a)", T4);
        if (i % 3 == 0)
            tl_expect_ok(cost_uswitch_round(&b), "cost_uswitch_round(b)", T4);
    }
    unsigned long sa = 0, sb = 0;
    tl_expect_ok(cost_uswitch_stop(&b, &sb), "cost_uswitch_stop(b)", T4);
    tl_check(a.served == (unsigned long)n, "coroutine a served %lu of %ld rounds after b "
             "stopped: each coroutine keeps its own state in its own struct", a.served, n);
    tl_expect_ok(cost_uswitch_stop(&a, &sa), "cost_uswitch_stop(a)", T4);
    tl_check(sa == (unsigned long)n && sb == (unsigned long)((n + 2) / 3), "served a=%lu b=%lu, "
             "expected %ld and %ld", sa, sb, n, (n + 2) / 3);
}

TL_TEST(hidden_pingpong_measured, 3, 30, "switch")
{
    int fds = fd_count();
    struct cost_pingpong a = {0}, b = {0};
    tl_expect_ok(cost_pingpong_start(&a), "cost_pingpong_start(a)", T4);
    tl_expect_ok(cost_pingpong_start(&b), "cost_pingpong_start(b)", T4);
    double s[6];
    int rc = cost_measure(cost_pingpong_round, &a, 10, 5, s);
    tl_expect_ok(rc, "cost_measure(cost_pingpong_round, a, 10, 5)", "Task 2 (src/measure.c)");
    rc = cost_measure(cost_pingpong_round, &b, 3, 6, s);
    tl_expect_ok(rc, "cost_measure(cost_pingpong_round, b, 3, 6)", "Task 2 (src/measure.c)");
    unsigned long sa = 0, sb = 0;
    tl_expect_ok(cost_pingpong_stop(&a, &sa), "cost_pingpong_stop(a)", T4);
    tl_expect_ok(cost_pingpong_round(&b), "cost_pingpong_round(b)", T4);
    tl_expect_ok(cost_pingpong_stop(&b, &sb), "cost_pingpong_stop(b)", T4);
    tl_check(sa == 50 && sb == 19 && a.rounds == 50 && b.rounds == 19, "two ping-pongs: served "
             "%lu and %lu, rounds %lu and %lu; expected 50 and 19", sa, sb, a.rounds, b.rounds);
    tl_check(fd_count() == fds, "%d descriptors open after two start/stop pairs, %d before",
             fd_count(), fds);
}

TL_TEST(hidden_memory_arguments_and_sizes, 2, 60, "memory")
{
    struct cost_mem m;
    tl_expect_rc(cost_thread_memory(0, &m), EINVAL, "cost_thread_memory(0)", "n >= 1.");
    tl_expect_rc(cost_thread_memory(COST_MAX_UNITS + 1, &m), EINVAL,
              "cost_thread_memory(COST_MAX_UNITS + 1)", "n <= COST_MAX_UNITS.");
    tl_expect_rc(cost_thread_memory(2, NULL), EINVAL, "cost_thread_memory(2, NULL)", "out NULL.");
    tl_expect_rc(cost_ucontext_memory(0, 65536, &m), EINVAL, "cost_ucontext_memory(0, ...)", "n >= 1.");
    tl_expect_rc(cost_ucontext_memory(COST_MAX_UNITS + 1, 65536, &m), EINVAL,
              "cost_ucontext_memory(COST_MAX_UNITS + 1, ...)", "n <= COST_MAX_UNITS.");
    tl_expect_rc(cost_ucontext_memory(2, COST_MIN_STACK - 4096, &m), EINVAL,
              "cost_ucontext_memory with a stack below COST_MIN_STACK", "See cost.h.");
    tl_expect_rc(cost_ucontext_memory(2, 65536 + 8, &m), EINVAL,
              "cost_ucontext_memory with a stack that is not a page multiple", "See cost.h.");
    tl_expect_rc(cost_ucontext_memory(2, 65536, NULL), EINVAL, "cost_ucontext_memory(.., NULL)", "out NULL.");
    memset(&m, 0, sizeof m);
    int rc = cost_ucontext_memory(1, COST_MIN_STACK, &m);
    tl_expect_ok(rc, "cost_ucontext_memory(1, COST_MIN_STACK)", "Task 5 (src/memory.c)");
    tl_check(m.n == 1 && m.virt_per >= COST_MIN_STACK && m.virt_per <= COST_MIN_STACK + 8192,
             "one context with a %d-byte stack: n %zu, reserved %.0f bytes", COST_MIN_STACK, m.n,
             m.virt_per);
    rc = cost_ucontext_memory(8, 256 * 1024, &m);
    tl_expect_ok(rc, "cost_ucontext_memory(8, 256 KiB)", "Task 5 (src/memory.c)");
    tl_check(m.n == 8 && m.virt_per >= 250 * 1024 && m.virt_per <= 264 * 1024,
             "8 contexts with 256 KiB stacks: n %zu, reserved %.0f bytes each (expected about "
             "262144)", m.n, m.virt_per);
    rc = cost_thread_memory(1, &m);
    tl_expect_ok(rc, "cost_thread_memory(1)", "Task 5 (src/memory.c)");
    tl_check(m.n == 1, "cost_thread_memory(1): n = %zu", m.n);
}

/* ---- errors a caller can meet: no descriptors, no memory ------------- */

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* Lower RLIMIT_NOFILE to the highest descriptor in use + 2 and fill every
 * free number below it: no descriptor is left. Returns the fillers. */
static int fill_descriptors(int *fill, int cap)
{
    int top = 0;
    for (int fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            top = fd + 1;
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    /* Under valgrind, which keeps descriptors of its own, the lower limit
     * may be refused: then fill up to the limit there is. */
    if (r.rlim_cur > (rlim_t)top + 2) {
        r.rlim_cur = (rlim_t)top + 2;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    int n = 0, d;
    while (n < cap && (d = dup(0)) >= 0)
        fill[n++] = d;
    tl_check(n >= 2 && n < cap, "the test could not fill the descriptor table (%d)", n);
    return n;
}

TL_TEST(hidden_errors_no_descriptors, 1, 30, "errors")
{
    struct rlimit saved;
    getrlimit(RLIMIT_NOFILE, &saved);
    int fds = fd_count(), tasks = baseline_tasks();
    static int fill[4096];
    int nfill = fill_descriptors(fill, 4096);
    struct cost_pingpong pp = {0};
    struct cost_mem m;
    struct cost_vm v;
    int r1 = cost_pingpong_start(&pp), r3 = cost_thread_memory(2, &m), r5 = cost_read_vm(&v);
    /* Two free: one pipe succeeds, the second fails. */
    close(fill[--nfill]);
    close(fill[--nfill]);
    int r2 = cost_pingpong_start(&pp), r4 = cost_thread_memory(2, &m);
    int running = pp.running;
    int left = fd_count() - nfill; /* descriptors not the test's fillers */
    while (nfill > 0)
        close(fill[--nfill]);
    setrlimit(RLIMIT_NOFILE, &saved);
    tl_expect_rc(r1, EMFILE, "cost_pingpong_start with no descriptor free", "pipe's errno (TODO 4.1).");
    tl_expect_rc(r2, EMFILE, "cost_pingpong_start with room for one pipe only",
              "The second pipe fails: close the first, return pipe's errno (TODO 4.1).");
    tl_check(!running, "cost_pingpong_start failed but set running = 1");
    tl_expect_rc(r3, EMFILE, "cost_thread_memory with no descriptor free", "pipe's errno (TODO 5.2).");
    tl_expect_rc(r4, EMFILE, "cost_thread_memory with room for one pipe only", "TODO 5.2.");
    tl_expect_rc(r5, EMFILE, "cost_read_vm with no descriptor free", "fopen's errno (TODO 5.1).");
    tl_check(left == fds, "after the failed calls %d descriptors are open, %d before: a "
             "failing call must close what it opened", left, fds);
    tl_check(tasks_settle(tasks) == tasks, "a failed call left a thread behind");
}

/* What failed in the child, for the parent's message. */
static const char *const nomem_checks[] = {
    "ok",
    "cost_percentile on 100000 values with no memory left must return ENOMEM (TODO 1.3)",
    "cost_summarize on 100000 values with no memory left must return ENOMEM (TODO 1.5)",
    "cost_bench with no memory left must return ENOMEM (TODO 2.5)",
    "cost_ucontext_create_join with no memory left must return ENOMEM (TODO 3.6)",
    "cost_uswitch_start with no memory left must return ENOMEM and leave running == 0 (TODO 4.5)",
    "cost_thread_memory(COST_MAX_UNITS) with no memory left must return ENOMEM (TODO 5.2)",
    "cost_ucontext_memory(COST_MAX_UNITS, ...) with no memory left must return ENOMEM (TODO 5.5)",
    "cost_thread_create_join with no address space for a stack must return pthread_create's "
    "error, EAGAIN (TODO 3.4)",
    "cost_pingpong_start with no address space for a stack must return pthread_create's error, "
    "EAGAIN, and close its pipes (TODO 4.1)",
    "cost_ucontext_memory(COST_MAX_UNITS, 1 MiB) with room for a few stacks must return ENOMEM "
    "(TODO 5.6)",
    "cost_thread_memory(COST_MAX_UNITS) with room for a few stacks must return pthread_create's "
    "error (EAGAIN) and leave no thread behind (TODO 5.3, 5.4)",
    "cost_process_create_join when fork fails (RLIMIT_NPROC) must return fork's errno, EAGAIN "
    "(TODO 3.1)",
    "cost_process_create_join when SIGCHLD is ignored (the kernel reaps the child itself) must "
    "return waitpid's errno, ECHILD (TODO 3.3)",
    "the test could not read /proc/self/status",
    "cost_ucontext_memory(COST_MAX_UNITS, COST_MIN_STACK) with no room for its records must "
    "return ENOMEM (TODO 5.5)",
};

static void no_memory(void *arg)
{
    (void)arg;
    struct rlimit as;
    getrlimit(RLIMIT_AS, &as);
    struct cost_vm v0;
    if (cost_read_vm(&v0) != 0)
        _exit(14);
    static double big[100000];
    for (int i = 0; i < 100000; i++)
        big[i] = i;
    int fds = fd_count();
    /* A little address space more than now, then the heap used up: every
     * malloc fails from here on. */
    struct rlimit a = as;
    a.rlim_cur = (rlim_t)(v0.size_kb + 256) * 1024;
    setrlimit(RLIMIT_AS, &a);
    void *held = NULL, *p;
    size_t sz = 1 << 16;
    while (sz >= sizeof(void *)) {
        while ((p = malloc(sz)) != NULL) {
            *(void **)p = held;
            held = p;
        }
        sz /= 2;
    }
    double out;
    struct cost_summary s;
    struct cost_uswitch u;
    struct cost_mem m;
    memset(&u, 0, sizeof u);
    int code = 0;
    if (cost_percentile(big, 100000, 50, &out) != ENOMEM)
        code = 1;
    else if (cost_summarize(big, 100000, 0, &s) != ENOMEM)
        code = 2;
    else if (cost_bench(cost_ucontext_create_join, NULL, 1, 100000, 0, &s) != ENOMEM)
        code = 3;
    else if (cost_ucontext_create_join(NULL) != ENOMEM)
        code = 4;
    else if (cost_uswitch_start(&u) != ENOMEM || u.running)
        code = 5;
    else if (cost_thread_memory(COST_MAX_UNITS, &m) != ENOMEM)
        code = 6;
    else if (cost_ucontext_memory(COST_MAX_UNITS, 1 << 20, &m) != ENOMEM)
        code = 7;
    while (held) {
        p = *(void **)held;
        free(held);
        held = p;
    }
    if (code)
        _exit(code);
    /* The heap works again; the address space stays short of a stack, and
     * of the 1 MiB of records COST_MAX_UNITS contexts need. */
    if (cost_ucontext_memory(COST_MAX_UNITS, COST_MIN_STACK, &m) != ENOMEM)
        _exit(15);
    if (cost_thread_create_join(NULL) != EAGAIN)
        _exit(8);
    struct cost_pingpong pp = {0};
    if (cost_pingpong_start(&pp) != EAGAIN || pp.running || fd_count() != fds)
        _exit(9);
    /* Room for a few stacks: the creation loops fail part way. */
    a.rlim_cur = (rlim_t)(v0.size_kb + 3 * 8192 + 4096) * 1024;
    setrlimit(RLIMIT_AS, &a);
    if (cost_ucontext_memory(COST_MAX_UNITS, 1 << 20, &m) != ENOMEM)
        _exit(10);
    int trc = cost_thread_memory(COST_MAX_UNITS, &m);
    if ((trc != EAGAIN && trc != ENOMEM) || tasks_settle(1) != 1)
        _exit(11);
    setrlimit(RLIMIT_AS, &as);
    /* fork fails once the user may have no more processes (not for root,
     * whom RLIMIT_NPROC does not bind). */
    if (geteuid() != 0) {
        struct rlimit np, z;
        getrlimit(RLIMIT_NPROC, &np);
        z = np;
        z.rlim_cur = 0;
        setrlimit(RLIMIT_NPROC, &z);
        int rc = cost_process_create_join(NULL);
        setrlimit(RLIMIT_NPROC, &np);
        if (rc != EAGAIN)
            _exit(12);
    }
    /* With SIGCHLD ignored the kernel reaps children itself: waitpid fails. */
    signal(SIGCHLD, SIG_IGN);
    if (cost_process_create_join(NULL) != ECHILD)
        _exit(13);
    signal(SIGCHLD, SIG_DFL);
    _exit(0);
}

TL_TEST(hidden_errors_no_memory, 2, 60, "errors")
{
    struct tl_child c;
    int rc = tl_run_in_child(no_memory, NULL, 50, &c);
    tl_check(rc == 0, "fork failed in the test");
    tl_check(!c.timed_out, "a call hung with no memory or address space left: an error path "
             "that waits for something that never comes?");
    tl_check(!c.signaled, "a call crashed (signal %d) when malloc, mmap or pthread_create "
             "failed: check every result before using it", c.sig);
    int k = c.code;
    tl_check(k == 0, "%s (child check %d)",
             k > 0 && k < (int)(sizeof nomem_checks / sizeof *nomem_checks) ? nomem_checks[k]
                                                                            : "unknown failure", k);
}

/* For the memory stage: the figures mean little under valgrind (its own
 * mappings move VmSize), but every allocation must still be released and
 * every access stay in bounds. */
TL_TEST(hidden_memory_calls_leak_nothing, 1, 60, "memory")
{
    struct cost_mem m;
    for (size_t n = 1; n <= 5; n += 2) {
        memset(&m, 0, sizeof m);
        int rc = cost_thread_memory(n, &m);
        tl_expect_ok(rc, "cost_thread_memory", "Task 5 (src/memory.c)");
        tl_check(m.n == n, "cost_thread_memory(%zu): n = %zu", n, m.n);
        rc = cost_ucontext_memory(n, 65536, &m);
        tl_expect_ok(rc, "cost_ucontext_memory", "Task 5 (src/memory.c)");
        tl_check(m.n == n, "cost_ucontext_memory(%zu): n = %zu", n, m.n);
    }
}
