/*
 * tl_harness.h - what every threadlab test file includes.
 *
 * A test is a cmocka test declared with its points, timeout and tags right
 * next to its body; it registers itself, so there is no list to keep:
 *
 *   TL_TEST(join_waits_for_exit, 5, 10, "join")
 *   {
 *       ...
 *       tl_check(done == 1, "gt_join returned before the thread exited "
 *                "(done=%d)", done);
 *   }
 *
 * Tags are space separated. Two have a meaning to the grader:
 *   stress   the grader runs the test several times, each with a new seed
 *            (tl_seed()); a failure prints the seed and the replay command.
 *   slow     the test is left out of the valgrind/TSan stages.
 *
 * A test binary built from one or more test files answers:
 *   (no arguments)   run every test with cmocka's normal output
 *   --list           name, points, timeout and tags of each test
 *   --run NAME       run one test and report on the grader's private channel
 */
#ifndef TL_HARNESS_H
#define TL_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* ------------------------------------------------------------------ */
/* Declaring tests                                                    */
/* ------------------------------------------------------------------ */

struct tl_test {
    const char *name;
    void (*fn)(void **state);
    int points;          /* points this test is worth; 0 is allowed */
    int timeout_s;       /* wall-clock limit for one run, in seconds */
    const char *tags;    /* space-separated tags, "" for none */
    const char *file;    /* where it is declared: ordering and messages */
    int line;
    struct tl_test *next; /* registry link, owned by the harness */
};

/* Called only from the constructor TL_TEST generates. */
void tl_register(struct tl_test *t);

#define TL_TEST(NAME, POINTS, TIMEOUT_S, TAGS)                                \
    static void tl_body_##NAME(void **tl_state);                              \
    static struct tl_test tl_desc_##NAME = {                                  \
        #NAME, tl_body_##NAME, (POINTS), (TIMEOUT_S), (TAGS),                 \
        __FILE__, __LINE__, NULL};                                            \
    __attribute__((constructor)) static void tl_reg_##NAME(void)              \
    {                                                                         \
        tl_register(&tl_desc_##NAME);                                         \
    }                                                                         \
    static void tl_body_##NAME(void **tl_state __attribute__((unused)))

/* ------------------------------------------------------------------ */
/* Failing with a message that teaches                                */
/* ------------------------------------------------------------------ */

/* Fail the running test. The message should name the contract that broke,
 * the values seen, and a hint. Never returns. Any thread may call it; a
 * failure off the test's main thread ends the process as a failed test. */
__attribute__((noreturn, format(printf, 4, 5)))
void tl_fail_at(const char *file, int line, const char *expr,
                const char *fmt, ...);

#define tl_check(cond, ...)                                                   \
    do {                                                                      \
        if (!(cond))                                                          \
            tl_fail_at(__FILE__, __LINE__, #cond, __VA_ARGS__);               \
    } while (0)

#define tl_fail(...) tl_fail_at(__FILE__, __LINE__, NULL, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Seeds, scale and time                                              */
/* ------------------------------------------------------------------ */

/* The seed of this run: $TL_SEED if set, else a fresh one. Printed once so
 * a failure can be replayed with TL_SEED=<seed>. */
uint64_t tl_seed(void);

/* A small deterministic generator (xorshift64*). Seed it from tl_seed(). */
struct tl_rng { uint64_t s; };
void tl_rng_init(struct tl_rng *r, uint64_t seed);
uint64_t tl_rng_next(struct tl_rng *r);
/* Uniform in [0, n), n > 0. */
uint64_t tl_rng_below(struct tl_rng *r, uint64_t n);

/* n divided by the slowdown factor the grader announces when the test runs
 * under valgrind or a sanitizer, and by 4 more in a perturbed stress run
 * (each of whose operations may yield or pause; fewer of them explore more
 * interleavings in less time). At least 1. Use it for iteration counts. */
long tl_iters(long n);

/* The slowdown factor alone (TL_SLOW, at least 1): for deadlines that must
 * stretch under valgrind or a sanitizer. */
long tl_slow(void);

/* Monotonic time in seconds. For deadlines and reports, never as a verdict. */
double tl_now(void);

/* Report a figure of this run (e.g. operations per second over a fixed
 * amount of work) for the lab's performance stage, which compares it with
 * the reference's figure measured in the same grading run. */
void tl_metric(double value);

/* Schedule perturbation (grader/harness/tl_perturb.c). Off unless
 * TL_PERTURB=1, which the grader sets for the runs of stress tests: then
 * the lab's and the tests' pthread lock, unlock, condition wait and wake-up
 * calls sometimes yield the CPU or pause a few microseconds, seeded from
 * TL_SEED. A user-level scheduler calls tl_perturb_point() at its switch
 * points; it returns 1 when it perturbed. tl_perturb_count() says how many
 * points did something in this process. */
int tl_perturb_point(void);
unsigned long tl_perturb_count(void);
/* 1 when this process runs with TL_PERTURB=1. */
int tl_perturb_enabled(void);

/* For a user-level scheduler with n >= 1 runnable threads in queue order:
 * the index (0 = the head) of the one to run next. Always 0 unless
 * TL_PERTURB=1; then now and then another, drawn from the seed, so a
 * stress run explores orders a FIFO queue never produces. With one kernel
 * thread the same seed gives the same picks (see tl_perturb_trace). */
unsigned tl_perturb_pick(unsigned n);

/* A hash of every perturbation decision the calling thread has made. After
 * a perturbed --run the harness prints the main thread's: equal traces for
 * two runs with one seed mean they made the same choices. */
uint64_t tl_perturb_trace(void);

/* A thread preempted on its way to sleep, on demand. While ns > 0, every
 * pthread_cond_wait/timedwait (the lab's and the tests') of the threads
 * `who` names first spins ns nanoseconds, holding its mutex, as if the
 * kernel preempted the thread between its last look at the predicate and
 * its sleep: TL_DELAY_ALL every thread, TL_DELAY_OTHERS all but the caller,
 * TL_DELAY_SELF the caller alone (the window of one waiter, without slowing
 * the threads that wake it). Correct code cannot tell: a waker that
 * changes the predicate under the same mutex waits for it. A wake made
 * without that mutex lands in the window and is lost, so a test can show a
 * lost wakeup in every run, not once in a million. tl_delay_waits(0, 0)
 * turns it off. Works with or without TL_PERTURB. */
#define TL_DELAY_ALL 0
#define TL_DELAY_OTHERS 1
#define TL_DELAY_SELF 2
void tl_delay_waits(long ns, int who);

/* ------------------------------------------------------------------ */
/* Running code that is expected to crash or hang, in a child         */
/* ------------------------------------------------------------------ */

struct tl_child {
    int exited;      /* 1: exited normally, status in code */
    int code;
    int signaled;    /* 1: killed by signal sig */
    int sig;
    int timed_out;   /* 1: still running at the deadline (then killed) */
};

/* Fork; the child calls fn(arg) then _exit(0). Waits at most timeout_s.
 * Returns 0 and fills *out, or -1 if fork failed. */
int tl_run_in_child(void (*fn)(void *), void *arg, int timeout_s,
                    struct tl_child *out);

#endif
