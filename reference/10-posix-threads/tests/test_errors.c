/*
 * test_errors.c - Task 1, PTL_CHECK and ptl_panic_at.
 */
#include "ptl_test.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static int pipefd[2];

/* The PTL_CHECK sits on the line after CHECK_LINE's definition. */
enum { CHECK_LINE = __LINE__ + 1 };
static void check_unlock(pthread_mutex_t *m) { PTL_CHECK(pthread_mutex_unlock(m)); }

static void provoke(void *arg)
{
    (void)arg;
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    pthread_mutex_t m;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &a);
    /* Unlocking a mutex we do not hold: EPERM, a bug PTL_CHECK must stop. */
    check_unlock(&m);
    fprintf(stderr, "PTL_CHECK returned\n");
}

static void provoke_assert(void *arg)
{
    (void)arg;
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    int count = 3, cap = 2;
    PTL_ASSERT(count <= cap);
    fprintf(stderr, "PTL_ASSERT returned\n");
}

static void run_panic(void (*fn)(void *), char *out, size_t cap, struct tl_child *c)
{
    tl_check(pipe(pipefd) == 0, "pipe failed");
    int rc = tl_run_in_child(fn, NULL, 10, c);
    close(pipefd[1]);
    tl_check(rc == 0, "fork failed");
    size_t n = 0;
    ssize_t k;
    while (n + 1 < cap && (k = read(pipefd[0], out + n, cap - 1 - n)) > 0)
        n += (size_t)k;
    out[n] = '\0';
    close(pipefd[0]);
}

TL_TEST(panic_reports_file_line, 2, 20, "errors")
{
    char out[2048], where[256];
    struct tl_child c;
    run_panic(provoke, out, sizeof out, &c);
    snprintf(where, sizeof where, "%s:%d", __FILE__, (int)CHECK_LINE);
    tl_check(c.signaled && c.sig == SIGABRT,
             "PTL_CHECK on a call that returned EPERM should abort() (SIGABRT); the child "
             "%s %d. Its stderr: \"%s\". Hint: TODO 1.2, ptl_panic_at ends with abort().",
             c.signaled ? "died of signal" : "exited with", c.signaled ? c.sig : c.code, out);
    tl_check(out[0] != '\0', "PTL_CHECK on a call that returned EPERM aborted but "
             "ptl_panic_at printed nothing on stderr. Contract: one line naming file:line "
             "(\"%s\"), the failed call and the error's meaning. Hint: TODO 1.1.", where);
    tl_check(strstr(out, where) != NULL && strstr(out, "pthread_mutex_unlock(m)") != NULL,
             "ptl_panic_at printed \"%s\": it must name file:line (\"%s\") and the "
             "failed call (\"pthread_mutex_unlock(m)\"). Hint: TODO 1.1.", out, where);
    tl_check(strstr(out, strerrordesc_np(EPERM)) != NULL || strstr(out, "EPERM") != NULL,
             "ptl_panic_at printed \"%s\": it must say what the error means (\"%s\" from "
             "strerror(EPERM), or at least \"EPERM\")", out, strerrordesc_np(EPERM));
    run_panic(provoke_assert, out, sizeof out, &c);
    tl_check(c.signaled && c.sig == SIGABRT, "PTL_ASSERT(false) should abort(); the child %s "
             "%d. Its stderr: \"%s\"", c.signaled ? "died of signal" : "exited with",
             c.signaled ? c.sig : c.code, out);
    snprintf(where, sizeof where, "%s:", __FILE__);
    tl_check(strstr(out, "count <= cap") != NULL && strstr(out, where) != NULL,
             "PTL_ASSERT(count <= cap) printed \"%s\": it must name file:line and the "
             "invariant", out);
}
