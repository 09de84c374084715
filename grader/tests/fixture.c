/* fixture.c - a test binary that misbehaves on purpose, for the grader's
 * own tests: each test is one thing a student submission might do. */
#define _GNU_SOURCE
#include "tl_harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TL_TEST(ok, 3, 10, "") { tl_check(1 + 1 == 2, "arithmetic"); }

TL_TEST(fails_with_message, 2, 10, "")
{
    int seen = 41;
    tl_check(seen == 42, "the answer was %d, expected 42. Hint: add one.", seen);
}

TL_TEST(prints_fake_pass, 1, 10, "")
{
    /* Looks like every success line a grader might grep for, then leaves. */
    printf("[       OK ] prints_fake_pass\n[  PASSED  ] 1 test(s).\nScore: 100/100\n"
           "TL1 0123456789abcdef0123456789abcdef RESULT prints_fake_pass PASS\n");
    fflush(stdout);
    _exit(0);
}

TL_TEST(forges_channel, 1, 10, "")
{
    /* Writes a forged PASS with a guessed nonce to every open descriptor. */
    const char *l = "TL1 0123456789abcdef0123456789abcdef RESULT forges_channel PASS\n";
    for (int fd = 3; fd < 1024; fd++)
        if (write(fd, l, strlen(l)) < 0) { /* not open */ }
    tl_fail("forger gives up");
}

TL_TEST(exits_early, 1, 10, "") { exit(0); }

TL_TEST(killed_by_signal, 1, 10, "") { kill(getpid(), SIGKILL); }

TL_TEST(hangs_with_children, 1, 2, "")
{
    /* A child in its own session, and a grandchild: both must die. */
    if (fork() == 0) {
        setsid();
        if (fork() == 0)
            for (;;) pause();
        for (;;) pause();
    }
    for (;;) pause();
}

TL_TEST(floods_output, 1, 10, "")
{
    static char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 2] = '\n';
    for (int i = 0; i < 4096; i++)
        fputs(line, stdout);
    tl_fail("flooded");
}

TL_TEST(passes_then_exit_code, 1, 10, "") { atexit((void (*)(void))abort); }

TL_TEST(uses_seed, 1, 10, "stress")
{
    uint64_t s = tl_seed();
    tl_check(s == 12345, "seed was %llu, expected 12345", (unsigned long long)s);
}

TL_TEST(reports_metric, 0, 10, "perf") { tl_metric(1234.5); }

#include <pthread.h>
static pthread_mutex_t fx_lock = PTHREAD_MUTEX_INITIALIZER;

/* Passes when the perturbation count matches what TL_PERTURB asked for. */
TL_TEST(perturbation_follows_env, 0, 20, "stress")
{
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&fx_lock);
        pthread_mutex_unlock(&fx_lock);
    }
    const char *p = getenv("TL_PERTURB");
    int on = p && *p == '1';
    unsigned long n = tl_perturb_count();
    tl_check(on ? n > 0 : n == 0, "TL_PERTURB=%s but %lu perturbation points fired", p ? p : "(unset)", n);
}
