/*
 * tl_harness_win.c - the harness of a Windows lab (lab.conf: platform =
 * windows), built with x86_64-w64-mingw32-gcc and run under Wine by
 * grader/tools/wine-run.sh. It gives tests the API of tl_harness.h (the
 * same header) and speaks the same protocol (tl_proto.h) as the POSIX
 * harness, tl_harness.c, with Win32 underneath:
 *
 *   channel   Wine hands a Windows program no Unix descriptor but 0-2, so
 *             records are appended to the file TL_RESULT_FILE names (a
 *             Windows path into the run's scratch folder); wine-run.sh
 *             copies them to the grader's pipe after the program ends.
 *   timeout   a watchdog thread instead of alarm(2), for a student's own
 *             runs; under the grader the grader owns the clock.
 *   perturb   no call is wrapped (no --wrap on PE imports): only the points
 *             a test or lab calls, tl_perturb_point and tl_perturb_pick.
 *   children  tl_run_in_child and tl_delay_waits are POSIX only: not here.
 */
#include <windows.h>

#include "tl_harness.h"
#include "../include/tl_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tests as their constructors registered them; sorted once in main. */
static struct tl_test *tests_head;
static size_t tests_count;

static HANDLE chan = INVALID_HANDLE_VALUE;
static char run_nonce[TL_NONCE_LEN + 1];

static struct tl_test *running;      /* the test of this --run */
static DWORD test_thread_id;         /* the thread cmocka runs it on */
static char why[2048];               /* the first failure's message */

void tl_register(struct tl_test *t)
{
    t->next = tests_head;
    tests_head = t;
    tests_count++;
}

/* Whole records only: one WriteFile per line, appended. */
static void chan_put(const char *rec)
{
    DWORD done = 0;
    if (chan != INVALID_HANDLE_VALUE)
        WriteFile(chan, rec, (DWORD)strlen(rec), &done, NULL);
}

static void put_verdict(const char *name, int ok, const char *msg)
{
    char body[TL_LINE_MAX / 2];
    char rec[TL_LINE_MAX];
    if (ok) {
        snprintf(rec, sizeof rec, TL_PROTO_MAGIC " %s RESULT %s PASS\n", run_nonce, name);
    } else {
        tl_proto_escape(msg && msg[0] ? msg : "failed", body, sizeof body);
        snprintf(rec, sizeof rec, TL_PROTO_MAGIC " %s RESULT %s FAIL %s\n", run_nonce, name, body);
    }
    chan_put(rec);
}

void tl_metric(double value)
{
    char rec[TL_LINE_MAX];
    const char *name = running ? running->name : "?";
    if (chan == INVALID_HANDLE_VALUE) {
        printf("[metric] %s: %.6g\n", name, value);
        return;
    }
    snprintf(rec, sizeof rec, TL_PROTO_MAGIC " %s METRIC %s %.17g\n", run_nonce, name, value);
    chan_put(rec);
}

void tl_fail_at(const char *file, int line, const char *expr, const char *fmt, ...)
{
    /* The message, then where: room is kept for the place. */
    enum { PLACE = 300 };
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, sizeof why - PLACE, fmt, ap);
    va_end(ap);
    size_t at = n < 0 ? 0 : (size_t)n < sizeof why - PLACE ? (size_t)n : sizeof why - PLACE - 1;
    snprintf(why + at, sizeof why - at, expr ? "\n  (check `%s` failed at %s:%d)" : "%s\n  (at %s:%d)",
             expr ? expr : "", file, line);
    fprintf(stderr, "FAILED: %s\n", why);
    fflush(stderr);
    if (GetCurrentThreadId() != test_thread_id) {
        /* Off the test's thread (a worker, a fiber's thread) cmocka cannot
         * unwind: report here and end the process at once. */
        if (running)
            put_verdict(running->name, 0, why);
        fflush(NULL);
        TerminateProcess(GetCurrentProcess(), 1);
    }
    _fail(file, line);
    abort();
}

/* ------------------------------------------------------------------ */
/* Seeds and numbers                                                  */
/* ------------------------------------------------------------------ */

static uint64_t seed_value;
static LONG seed_known;

uint64_t tl_seed(void)
{
    if (!seed_known) {
        const char *env = getenv(TL_ENV_SEED);
        if (env && env[0]) {
            seed_value = strtoull(env, NULL, 0);
        } else {
            LARGE_INTEGER pc;
            QueryPerformanceCounter(&pc);
            seed_value = ((uint64_t)pc.QuadPart * 0x9E3779B97F4A7C15ull ^ GetCurrentProcessId()) &
                         0xffffffffffffull;
        }
        seed_known = 1;
        fprintf(stderr, "[seed] " TL_ENV_SEED "=%llu\n", (unsigned long long)seed_value);
    }
    return seed_value;
}

/* splitmix64: a counter stepped by the golden ratio, then mixed. */
void tl_rng_init(struct tl_rng *r, uint64_t seed)
{
    r->s = seed ^ 0x5851F42D4C957F2Dull;
}

uint64_t tl_rng_next(struct tl_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t tl_rng_below(struct tl_rng *r, uint64_t n)
{
    return n ? tl_rng_next(r) % n : 0;
}

long tl_slow(void)
{
    const char *env = getenv(TL_ENV_SLOW);
    long v = env ? strtol(env, NULL, 10) : 1;
    return v > 1 ? v : 1;
}

int tl_perturb_enabled(void)
{
    static int known = -1;
    if (known < 0) {
        const char *env = getenv("TL_PERTURB");
        known = env && env[0] && env[0] != '0';
    }
    return known;
}

long tl_iters(long n)
{
    long k = n / tl_slow() / (tl_perturb_enabled() ? 4 : 1);
    return k > 0 ? k : 1;
}

double tl_now(void)
{
    static LARGE_INTEGER hz;
    LARGE_INTEGER t;
    if (!hz.QuadPart)
        QueryPerformanceFrequency(&hz);
    QueryPerformanceCounter(&t);
    return (double)t.QuadPart / (double)hz.QuadPart;
}

/* ------------------------------------------------------------------ */
/* Perturbation points                                                */
/* ------------------------------------------------------------------ */

static volatile LONG perturbed;
static __thread struct tl_rng prng;
static __thread int prng_ready;
static __thread uint64_t ptrace;

static uint64_t perturb_draw(void)
{
    if (!prng_ready) {
        tl_rng_init(&prng, tl_seed() ^ ((uint64_t)GetCurrentThreadId() << 32));
        prng_ready = 1;
    }
    uint64_t x = tl_rng_next(&prng);
    ptrace = (ptrace ^ x) * 0x100000001B3ull;
    return x;
}

int tl_perturb_point(void)
{
    if (!tl_perturb_enabled())
        return 0;
    uint64_t x = perturb_draw();
    if (x % 8 != 0)
        return 0;
    InterlockedIncrement(&perturbed);
    if ((x >> 8) % 4 == 0)
        Sleep(0);
    else
        SwitchToThread();
    return 1;
}

unsigned long tl_perturb_count(void)
{
    return (unsigned long)perturbed;
}

unsigned tl_perturb_pick(unsigned n)
{
    if (n <= 1 || !tl_perturb_enabled())
        return 0;
    uint64_t x = perturb_draw();
    if (x % 4 != 0)
        return 0;
    InterlockedIncrement(&perturbed);
    return (unsigned)((x >> 8) % n);
}

uint64_t tl_perturb_trace(void)
{
    return ptrace;
}

/* ------------------------------------------------------------------ */
/* The channel, the watchdog, main                                    */
/* ------------------------------------------------------------------ */

/* Before any lab constructor (priority 101): take the file and the nonce,
 * and leave neither in the process's environment nor the C runtime's. */
__attribute__((constructor(101))) static void open_channel(void)
{
    char *file = getenv("TL_RESULT_FILE");
    char *nn = getenv(TL_ENV_NONCE);
    if (file && nn && strlen(nn) == TL_NONCE_LEN) {
        chan = CreateFileA(file, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
        if (chan != INVALID_HANDLE_VALUE)
            memcpy(run_nonce, nn, TL_NONCE_LEN + 1);
    }
    if (nn)
        memset(nn, 'x', strlen(nn));
    _putenv("TL_RESULT_FILE=");
    _putenv(TL_ENV_NONCE "=");
    SetEnvironmentVariableA("TL_RESULT_FILE", NULL);
    SetEnvironmentVariableA(TL_ENV_NONCE, NULL);
}

static HANDLE watchdog_stop;

static DWORD WINAPI watchdog(LPVOID arg)
{
    struct tl_test *t = arg;
    DWORD ms = (DWORD)(t->timeout_s > 0 ? t->timeout_s : 10) * 1000u;
    if (WaitForSingleObject(watchdog_stop, ms) != WAIT_TIMEOUT)
        return 0;
    snprintf(why, sizeof why, "timed out after %d s (deadlock, lost wakeup, or a thread that never exits?)",
             t->timeout_s);
    fprintf(stderr, "\nTIMEOUT: test %s: %s\n", t->name, why);
    put_verdict(t->name, 0, why);
    fflush(NULL);
    TerminateProcess(GetCurrentProcess(), 124);
    return 0;
}

static int with_watchdog = 1;

static void body(void **state)
{
    struct tl_test *t = *state;
    HANDLE dog = NULL;
    running = t;
    test_thread_id = GetCurrentThreadId();
    why[0] = '\0';
    if (with_watchdog) {
        ResetEvent(watchdog_stop);
        dog = CreateThread(NULL, 0, watchdog, t, 0, NULL);
    }
    t->fn(state);
    if (dog) {
        SetEvent(watchdog_stop);
        WaitForSingleObject(dog, INFINITE);
        CloseHandle(dog);
    }
}

static int by_place(const void *a, const void *b)
{
    const struct tl_test *x = *(struct tl_test *const *)a, *y = *(struct tl_test *const *)b;
    int c = strcmp(x->file, y->file);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int run_cases(struct tl_test **v, size_t n, const char *group)
{
    struct CMUnitTest *u = calloc(n ? n : 1, sizeof *u);
    if (!u)
        abort();
    for (size_t i = 0; i < n; i++) {
        u[i].name = v[i]->name;
        u[i].test_func = body;
        u[i].initial_state = v[i];
    }
    int bad = _cmocka_run_group_tests(group, u, n, NULL, NULL);
    free(u);
    return bad;
}

int main(int argc, char **argv)
{
    /* The registry is a list in reverse order of construction: to an
     * array, sorted by file and line. */
    struct tl_test **v = malloc((tests_count + 1) * sizeof *v), *t = tests_head;
    for (size_t k = 0; v && t; t = t->next)
        v[k++] = t;
    if (!v)
        abort();
    qsort(v, tests_count, sizeof *v, by_place);
    watchdog_stop = CreateEventA(NULL, TRUE, FALSE, NULL);
    /* Unbuffered, so that what a test printed is there when it dies. */
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *me = strrchr(argv[0], '\\');
    me = me ? me + 1 : argv[0];

    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < tests_count; i++) {
            char tags[256], rec[TL_LINE_MAX];
            snprintf(tags, sizeof tags, "%s", v[i]->tags[0] ? v[i]->tags : "-");
            for (char *c = tags; *c; c++)
                *c = *c == ' ' ? ',' : *c;
            if (chan == INVALID_HANDLE_VALUE) {
                printf("%-40s %3d pts %4d s  %s\n", v[i]->name, v[i]->points, v[i]->timeout_s, tags);
                continue;
            }
            snprintf(rec, sizeof rec, TL_PROTO_MAGIC " %s LIST %s %d %d %s\n", run_nonce, v[i]->name,
                     v[i]->points, v[i]->timeout_s, tags);
            chan_put(rec);
        }
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "--run")) {
        for (size_t i = 0; i < tests_count; i++) {
            if (strcmp(v[i]->name, argv[2]))
                continue;
            with_watchdog = chan == INVALID_HANDLE_VALUE;
            int bad = run_cases(&v[i], 1, me);
            if (tl_perturb_enabled())
                fprintf(stderr, "tl: perturbed run, seed %llu: %lu points perturbed, "
                                "main thread's schedule trace %016llx\n",
                        (unsigned long long)tl_seed(), tl_perturb_count(),
                        (unsigned long long)tl_perturb_trace());
            put_verdict(v[i]->name, !bad,
                        why[0] ? why
                               : "failed in cmocka: an assert_* check failed, or the test crashed "
                                 "(an exception) and cmocka caught it");
            fflush(NULL);
            return bad ? 1 : 0;
        }
        fprintf(stderr, "%s: no test named '%s' (try --list)\n", me, argv[2]);
        return 2;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--list | --run NAME]\n", me);
        return 2;
    }
    return run_cases(v, tests_count, me) ? 1 : 0;
}
