/*
 * aio_test.h - helpers shared by the lab 05 test files (kit-owned).
 */
#ifndef AIO_TEST_H
#define AIO_TEST_H


#include "tl_harness.h"
#include "tl_util.h"
#include "aio.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000LL

/* lab.conf links every test program with -Wl,--wrap=malloc,calloc: the
 * calls of the lab's code (and of the tests) come here first and go
 * straight through, unless tl_fault_after(n) armed a fault on this thread:
 * then the n-th call fails with ENOMEM. (realloc is not wrapped: the timer
 * heap's growth failing is a panic, not an error a test can see.) */
TL_FAULT_WRAP_ALLOC();

/* A new loop or fail with a hint. */
static inline struct aio_loop *loop_new(void)
{
    struct aio_loop *lp = aio_loop_new();
    tl_check(lp != NULL, "aio_loop_new() returned NULL (errno %d: %s), so nothing "
             "else can be tested. Hint: handout Task 1.1.", errno, strerror(errno));
    return lp;
}

/* A future from a constructor, or fail naming it. */
#define NEED(fut, what, task)                                                 \
    ({                                                                        \
        struct aio_future *need_f_ = (fut);                                   \
        tl_check(need_f_ != NULL, "%s returned NULL (errno %s). Hint: "      \
                 "handout %s.", what, tl_ename(errno), task);                 \
        need_f_;                                                              \
    })

/* Spawn or fail with the reason. */
static inline long spawn(struct aio_loop *lp, const char *name, struct aio_future *f, long *res)
{
    long id = aio_spawn(lp, name, f, res);
    tl_check(id > 0, "aio_spawn(\"%s\") returned %ld (errno %s) for a valid future. "
             "Hint: handout Task 1.4.", name, id, tl_ename(errno));
    return id;
}

/* Run the loop to the end or fail with the reason. */
#define RUN(lp, what)                                                         \
    do {                                                                      \
        int run_rc_ = aio_run(lp);                                            \
        tl_check(run_rc_ == 0, "aio_run returned %d (errno %s) %s. Hint: %s", \
                 run_rc_, tl_ename(errno), what,                              \
                 errno == ENOSYS ? "handout Task 1.7 (aio_run)."               \
                 : errno == EDEADLK ? "EDEADLK means tasks were left with no "  \
                   "timer and no fd to wake them: a future answered PENDING "  \
                   "without arming a timer or a watch (Tasks 2.4, 3.3)."       \
                 : "see the handout's aio_run.");                             \
    } while (0)

/* The loop holds nothing: no task, no timer, no watch. */
#define EXPECT_EMPTY(lp, when)                                                \
    do {                                                                      \
        struct aio_stats st_;                                                 \
        aio_stats((lp), &st_);                                                \
        tl_check(st_.tasks == 0 && st_.timers == 0 && st_.watches == 0,       \
                 "%s, the loop still holds %ld task(s), %ld timer(s) in the "  \
                 "heap and %ld fd(s) in epoll; all three must be 0. Hint: "   \
                 "a finished or cancelled future releases everything it "     \
                 "holds in its drop (Tasks 2.2, 3.2, 4.1).", when, st_.tasks,  \
                 st_.timers, st_.watches);                                    \
    } while (0)

/* Open fds of this process (/proc/self/fd, the directory's own fd excluded). */
static inline int count_fds(void)
{
    return tl_open_fds();
}

static inline void nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static inline void make_pipe(int p[2])
{
    tl_check(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
}

/* A listening TCP socket on 127.0.0.1 with an ephemeral port (bind port
 * 0, then getsockname): loopback only, never a fixed port. The grader's
 * sandbox gives each test a network namespace whose loopback is its own.
 * *kind names the transport for messages. */
static inline int listen_any(struct sockaddr_storage *ss, socklen_t *len, const char **kind)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof *ss);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *in;
    tl_check(fd >= 0 && bind(fd, (struct sockaddr *)in, *len) == 0 &&
                 getsockname(fd, (struct sockaddr *)ss, len) == 0 && listen(fd, 1024) == 0,
             "could not listen on 127.0.0.1 (port 0): %s. Is loopback down?", strerror(errno));
    *kind = "TCP on 127.0.0.1";
    return fd;
}

/* ------------------------------------------------------------------ */
/* A future written in the tests: await a child, then log a tag         */
/* ------------------------------------------------------------------ */

static long tlog[20000];
static int tlog_n;

struct tagged {
    struct aio_future base;
    struct aio_future *child;  /* NULL: ready at once */
    long tag;
    int64_t deadline;          /* if > 0: check the clock when ready */
};
static int64_t tagged_early;

static int tagged_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct tagged *t = (struct tagged *)f;
    if (t->child && aio_await(t->child, lp) == AIO_PENDING)
        return AIO_PENDING;
    if (t->deadline > 0) {
        int64_t early = t->deadline - aio_now(lp);
        if (early > tagged_early)
            tagged_early = early;
    }
    if (tlog_n < (int)(sizeof tlog / sizeof tlog[0]))
        tlog[tlog_n++] = t->tag;
    f->result = t->child ? t->child->result : t->tag;
    return AIO_READY;
}

static void tagged_drop(struct aio_future *f, struct aio_loop *lp)
{
    aio_future_free(((struct tagged *)f)->child, lp);
}

static const struct aio_future_ops tagged_ops = {"tagged", tagged_poll, tagged_drop};

static inline struct aio_future *tagged(struct aio_future *child, long tag)
{
    struct tagged *t = calloc(1, sizeof *t);
    t->base.ops = &tagged_ops;
    t->child = child;
    t->tag = tag;
    return &t->base;
}

static inline const char *fmt_longs(const long *v, int n)
{
    static char b[512];
    int k = 0;
    for (int i = 0; i < n && k < 480; i++)
        k += snprintf(b + k, sizeof b - (size_t)k, "%s%ld", i ? " " : "", v[i]);
    if (n > 0 && k >= 480)
        snprintf(b + k, sizeof b - (size_t)k, " ...");
    if (n == 0)
        b[0] = 0;
    return b;
}

#endif
