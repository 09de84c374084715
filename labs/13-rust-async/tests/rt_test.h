/*
 * rt_test.h - helpers shared by the lab 13 tests (kit-owned).
 *
 * Futures in tests are small state machines, like the ones a Rust compiler
 * would make from an async fn. Each counts its polls; a poll that happens
 * when nothing woke the task is counted as spurious, and the tests that
 * forbid them require zero. Worker threads never call tl_check: they record
 * the first failure in a tl_failbox; the test thread reports it.
 * WAIT_UNTIL polls a predicate under a deadline that only turns a hang
 * into a message; nothing sleeps to synchronise.
 */
#ifndef RT_TEST_H
#define RT_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "rt.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

static struct tl_failbox fb = TL_FAILBOX_INIT;

static inline void rtt_pause_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* Wait until cond holds (tl_util.h's TL_WAIT_UNTIL); fail with the
 * message after secs * TL_SLOW, or at once if a worker recorded a failure. */
#define WAIT_UNTIL(cond, secs, ...) TL_FB_WAIT_UNTIL(&fb, cond, secs, __VA_ARGS__)

/* Wait until the counter `now` reaches `target` while it keeps moving
 * (TL_WAIT_PROGRESS): only a stall of `stall` seconds fails. */
#define WAIT_PROGRESS(now, target, stall, ...)                                \
    TL_FB_WAIT_PROGRESS(&fb, now, target, stall, __VA_ARGS__)

#define RT_START(rt, n)                                                       \
    do {                                                                      \
        int rs_rc_ = rt_runtime_new((n), &(rt));                              \
        tl_check(rs_rc_ == 0,                                                 \
                 "rt_runtime_new(%d) returned %d (%s); nothing else can be "  \
                 "tested. Hint: handout Task 3.", (n), rs_rc_,                \
                 tl_ename(rs_rc_));                                           \
    } while (0)

#define RT_SPAWN(j, rt, fut)                                                  \
    do {                                                                      \
        (j) = rt_spawn((rt), (fut));                                          \
        tl_check((j) != NULL,                                                 \
                 "rt_spawn returned NULL (errno %s). Hint: %s",               \
                 tl_ename(errno), errno == ENOSYS                             \
                     ? "ENOSYS is the skeleton's stub: handout Task 2.1."     \
                     : "handout Task 2.1.");                                  \
    } while (0)

/* Join from the test thread; the task must have finished normally. */
#define RT_JOIN(j, outp, what)                                                \
    do {                                                                      \
        int rj_r_ = rt_join_wait((j), (outp));                                \
        tl_check(rj_r_ == RT_READY,                                           \
                 "rt_join_wait on %s returned %d (%s), expected RT_READY. "   \
                 "Hint: handout Tasks 2.3 and 2.5.", (what), rj_r_,           \
                 rj_r_ == RT_CANCELLED ? "RT_CANCELLED" : "?");               \
    } while (0)

/* ------------------------------------------------------------------ */
/* A waker of the tests' own, with reference counts to check           */
/* ------------------------------------------------------------------ */

struct twaker {
    atomic_long refs;   /* clones alive (not counting the borrowed one) */
    atomic_long wakes;  /* wake + wake_by_ref calls */
    atomic_long clones, drops;
};

static struct rt_waker tw_clone(const void *d);
static void tw_wake_by_ref(const void *d)
{
    atomic_fetch_add(&((struct twaker *)d)->wakes, 1);
}
static void tw_drop(const void *d)
{
    struct twaker *t = (struct twaker *)d;
    atomic_fetch_add(&t->drops, 1);
    if (atomic_fetch_sub(&t->refs, 1) <= 0)
        tl_fb_fail(&fb, "a test waker was dropped or woken more times than it was cloned: "
                   "each stored waker must be ended exactly once (wake or drop). "
                   "Hint: handout Task 1, \"Ownership of wakers\".");
}
__attribute__((unused)) static void tw_wake(const void *d)
{
    tw_wake_by_ref(d);
    tw_drop(d);
}
static const struct rt_waker_vtable tw_vtable = {tw_clone, tw_wake, tw_wake_by_ref, tw_drop};
static struct rt_waker tw_clone(const void *d)
{
    struct twaker *t = (struct twaker *)d;
    atomic_fetch_add(&t->refs, 1);
    atomic_fetch_add(&t->clones, 1);
    return (struct rt_waker){&tw_vtable, d};
}
static inline struct rt_context tw_cx(struct twaker *t)
{
    return (struct rt_context){{&tw_vtable, t}};
}

/* ------------------------------------------------------------------ */
/* Futures                                                            */
/* ------------------------------------------------------------------ */

/* Ready at once with output v; counts polls and drops. */
struct now_fut {
    struct rt_future f;
    intptr_t v;
    atomic_int polls;
    atomic_int *drops;  /* optional */
};
__attribute__((unused)) static int now_poll(struct rt_future *f, struct rt_context *cx)
{
    struct now_fut *n = (struct now_fut *)f;
    atomic_fetch_add(&n->polls, 1);
    f->output = n->v;
    return RT_READY;
}
__attribute__((unused)) static void now_drop_static(struct rt_future *f)
{
    struct now_fut *n = (struct now_fut *)f;
    if (n->drops)
        atomic_fetch_add(n->drops, 1);
}
static inline void now_init(struct now_fut *n, intptr_t v, atomic_int *drops)
{
    memset(n, 0, sizeof *n);
    n->f.poll = now_poll;
    n->f.drop = now_drop_static;
    n->v = v;
    n->drops = drops;
}

/* Pending until go is set; its first poll parks a clone of its waker in
 * slot (published with `parked`). A poll while go is still 0 after the
 * first one is spurious. */
struct park_fut {
    struct rt_future f;
    struct rt_waker slot;  /* written by poll before parked = 1 (release) */
    atomic_int parked;
    atomic_int go;
    atomic_int polls, spurious;
    atomic_int *drops;
};
__attribute__((unused)) static int park_poll(struct rt_future *f, struct rt_context *cx)
{
    struct park_fut *p = (struct park_fut *)f;
    int n = atomic_fetch_add(&p->polls, 1);
    if (atomic_load(&p->go)) {
        f->output = n + 1;
        return RT_READY;
    }
    if (n == 0) {
        p->slot = rt_waker_clone(&cx->waker);
        atomic_store_explicit(&p->parked, 1, memory_order_release);
    } else {
        atomic_fetch_add(&p->spurious, 1);
    }
    return RT_PENDING;
}
__attribute__((unused)) static void park_drop(struct rt_future *f)
{
    struct park_fut *p = (struct park_fut *)f;
    if (p->drops)
        atomic_fetch_add(p->drops, 1);
    if (atomic_load(&p->parked) == 1 && !atomic_load(&p->go)) {
        atomic_store(&p->parked, 2);
        rt_waker_drop(p->slot); /* never woken: release its reference */
    }
}
static inline void park_init(struct park_fut *p, atomic_int *drops)
{
    memset(p, 0, sizeof *p);
    p->f.poll = park_poll;
    p->f.drop = park_drop;
    p->drops = drops;
}
/* From any thread, once parked: let it finish (consumes the slot waker). */
static inline void park_release(struct park_fut *p)
{
    atomic_store(&p->go, 1);
    rt_waker_wake(p->slot);
}

/* Joins a task: pending until rt_join_poll is ready. */
struct joiner_fut {
    struct rt_future f;
    struct rt_join *j;
    atomic_int polls;
};
__attribute__((unused)) static int joiner_poll(struct rt_future *f, struct rt_context *cx)
{
    struct joiner_fut *jf = (struct joiner_fut *)f;
    atomic_fetch_add(&jf->polls, 1);
    intptr_t out;
    int r = rt_join_poll(jf->j, cx, &out);
    if (r == RT_PENDING)
        return RT_PENDING;
    rt_join_detach(jf->j);
    f->output = r == RT_READY ? out : -1;
    return RT_READY;
}

/* ------------------------------------------------------------------ */
/* Loopback                                                           */
/* ------------------------------------------------------------------ */

/* TCP to ourselves on 127.0.0.1 (port 0: ephemeral) works here. The
 * grader gives each test a network namespace of its own with its loopback
 * up; outside the grader it is the machine's. NULL, or why it does not. */
__attribute__((unused)) static const char *rtt_loopback(void)
{
    static char why[256];
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1) ||
        getsockname(s, (struct sockaddr *)&a, &len)) {
        snprintf(why, sizeof why, "a loopback listener failed: %s", strerror(errno));
        if (s >= 0)
            close(s);
        return why;
    }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int rc = connect(c, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(c);
    close(s);
    if (rc == 0)
        return NULL;
    snprintf(why, sizeof why, "connect to 127.0.0.1 failed: %s", strerror(e));
    return why;
}

#define RT_LOOPBACK()                                                         \
    do {                                                                      \
        const char *lb_ = rtt_loopback();                                     \
        tl_check(lb_ == NULL, "TCP on 127.0.0.1 is not usable here (%s): "    \
                 "a problem of the machine, not of your code.", lb_);         \
    } while (0)

/* ------------------------------------------------------------------ */
/* Out of memory, on demand                                            */
/* ------------------------------------------------------------------ */

/* lab.conf links the tests with -Wl,--wrap=malloc,calloc,pthread_create,
 * epoll_ctl:
 * the lab's calls come through here, and tl_fault_after(n) (tl_util.h)
 * makes the n-th one on this thread fail once. */
TL_FAULT_WRAP_ALLOC();
TL_FAULT_WRAP_PTHREAD_CREATE();
struct epoll_event;
int __real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);

int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    return tl_fault_errno(ENOMEM) ? -1 : __real_epoll_ctl(epfd, op, fd, ev);
}

#endif
