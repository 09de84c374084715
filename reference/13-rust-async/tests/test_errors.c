/*
 * test_errors.c - misuse stops loudly; running out of memory or threads
 * leaves nothing behind; backpressure and a closed peer on TCP.
 */
#include "rt_test.h"

#include <signal.h>

/* A task whose poll calls what a task must never call. */
struct misuse_fut {
    struct rt_future f;
    int what; /* 0: rt_block_on, 1: rt_join_wait, 2: rt_runtime_free */
    struct rt_runtime *rt;
    struct rt_join *other;
};

static int misuse_poll(struct rt_future *f, struct rt_context *cx)
{
    struct misuse_fut *m = (struct misuse_fut *)f;
    static struct now_fut inner;
    intptr_t o;
    now_init(&inner, 1, NULL);
    if (m->what == 0)
        rt_block_on(m->rt, &inner.f);
    else if (m->what == 1)
        rt_join_wait(m->other, &o);
    else
        rt_runtime_free(m->rt);
    f->output = 0;
    return RT_READY;
}

static void misuse_child(void *arg)
{
    struct rt_runtime *rt;
    if (rt_runtime_new(1, &rt))
        _exit(3);
    static struct misuse_fut m;
    static struct park_fut p;
    park_init(&p, NULL);
    m.f.poll = misuse_poll;
    m.what = (int)(intptr_t)arg;
    m.rt = rt;
    m.other = rt_spawn(rt, &p.f);
    struct rt_join *j = rt_spawn(rt, &m.f);
    if (!j || !m.other)
        _exit(4);
    intptr_t o;
    rt_join_wait(j, &o);
    _exit(0); /* no panic: the misuse went through */
}

TL_TEST(misuse_panics, 1, 30, "errors")
{
    static const char *what[] = {"rt_block_on", "rt_join_wait", "rt_runtime_free"};
    for (int i = 0; i < 3; i++) {
        struct tl_child c;
        tl_check(tl_run_in_child(misuse_child, (void *)(intptr_t)i, 20 * (int)tl_slow(), &c) == 0,
                 "fork failed");
        tl_check(c.signaled && c.sig == SIGABRT, "a task called %s from inside its poll, on a "
                 "worker thread: that would stall or destroy the worker, and the contract in "
                 "rt.h says the lab stops with rt_panic (SIGABRT). The child %s. Hint: the "
                 "given checks on cur_worker in src/sched.c.", what[i],
                 c.timed_out ? "hung" : c.signaled ? "died of another signal"
                 : c.code == 3 ? "could not start a runtime (Task 3 first)"
                 : c.code == 4 ? "could not spawn (rt_spawn returned NULL: Task 2.1 first)"
                 : "exited normally");
    }
    struct rt_runtime *rt;
    int rc = rt_runtime_new(0, &rt);
    tl_expect_rc(rc, EINVAL, "rt_runtime_new(0)", "0 workers is not a runtime.");
    rc = rt_runtime_new(RT_MAX_WORKERS + 1, &rt);
    tl_expect_rc(rc, EINVAL, "rt_runtime_new(RT_MAX_WORKERS + 1)", "at most RT_MAX_WORKERS.");
}

TL_TEST(out_of_memory_leaves_nothing, 3, 30, "errors")
{
    long base = rt_live_tasks();
    struct rt_runtime *rt = NULL;
    int fired = 1;
    for (int n = 1; fired; n++) {
        tl_fault_after(n);
        int rc = rt_runtime_new(2, &rt);
        fired = tl_fault_disarm();
        if (!fired) {
            tl_expect_ok(rc, "rt_runtime_new(2)", "Task 3");
            break;
        }
        tl_check(rc == ENOMEM || rc == EAGAIN, "rt_runtime_new with allocation or thread "
                 "creation number %d failing returned %d (%s); want ENOMEM or EAGAIN, with "
                 "nothing left behind.", n, rc, tl_ename(rc));
    }
    static atomic_int drops;
    atomic_store(&drops, 0);
    static struct now_fut f;
    now_init(&f, 1, &drops);
    tl_fault_after(1);
    struct rt_join *j = rt_spawn(rt, &f.f);
    int e = errno;
    tl_fault_disarm();
    tl_check(j == NULL && e == ENOMEM && atomic_load(&drops) == 1,
             "rt_spawn whose task allocation fails must return NULL with errno ENOMEM and "
             "drop the future (returned %p, errno %s, future dropped %d times). Hint: Task "
             "2.1.", (void *)j, tl_ename(e), atomic_load(&drops));
    for (int n = 1; n <= 3; n++) { /* the socket, its registration, epoll_ctl */
        struct rt_tcp *l = NULL;
        tl_fault_after(n);
        int rc = rt_tcp_listen(rt, 0, &l);
        tl_fault_disarm();
        tl_check(rc == ENOMEM, "rt_tcp_listen with its allocation or epoll_ctl number %d "
                 "failing (ENOMEM) returned %d (%s), want ENOMEM and nothing left behind. "
                 "Hint: Task 6.1.", n, rc, tl_ename(rc));
    }
    rt_runtime_free(rt);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked.", rt_live_tasks() - base);
}

/* ------------------------------------------------------------------ */
/* Backpressure: a writer that fills the socket waits for the reader   */
/* ------------------------------------------------------------------ */

#define BIG (8 << 20)

struct pump_fut {
    struct rt_future f;
    struct rt_tcp *s;
    int writer;
    char *buf;
    long off, total;
    atomic_int polls, pending;
};

static int pump_poll(struct rt_future *f, struct rt_context *cx)
{
    struct pump_fut *p = (struct pump_fut *)f;
    atomic_fetch_add(&p->polls, 1);
    while (p->off < p->total) {
        ssize_t r;
        size_t n = (size_t)(p->total - p->off) < 65536 ? (size_t)(p->total - p->off) : 65536;
        int st = p->writer ? rt_tcp_poll_write(p->s, cx, p->buf + p->off, n, &r)
                           : rt_tcp_poll_read(p->s, cx, p->buf + p->off, n, &r);
        if (st == RT_PENDING) {
            atomic_fetch_add(&p->pending, 1);
            return RT_PENDING;
        }
        if (r <= 0) {
            f->output = r < 0 ? r : -1000;
            return RT_READY;
        }
        p->off += r;
    }
    f->output = p->off;
    return RT_READY;
}

struct acc_fut {
    struct rt_future f;
    struct rt_tcp *l, *c;
};

static int acc_poll(struct rt_future *f, struct rt_context *cx)
{
    struct acc_fut *a = (struct acc_fut *)f;
    int err;
    if (rt_tcp_poll_accept(a->l, cx, &a->c, &err) == RT_PENDING)
        return RT_PENDING;
    f->output = err;
    return RT_READY;
}

TL_TEST(tcp_write_waits_for_the_reader, 2, 60, "tcp reactor")
{
    RT_LOOPBACK();
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    static struct acc_fut a;
    memset(&a, 0, sizeof a);
    a.f.poll = acc_poll;
    tl_expect_ok(rt_tcp_listen(rt, 0, &a.l), "rt_tcp_listen", "Task 6.1");
    struct rt_join *ja;
    RT_SPAWN(ja, rt, &a.f);
    struct rt_tcp *cs;
    tl_expect_ok(rt_tcp_connect(rt, rt_tcp_port(a.l), &cs), "rt_tcp_connect", "Task 6");
    intptr_t o;
    RT_JOIN(ja, &o, "an accept");
    tl_check(o == 0 && a.c, "rt_tcp_poll_accept gave error %ld.", (long)o);
    static struct pump_fut w, r;
    memset(&w, 0, sizeof w);
    memset(&r, 0, sizeof r);
    w.f.poll = r.f.poll = pump_poll;
    w.s = cs;
    w.writer = 1;
    w.total = r.total = BIG;
    w.buf = malloc(BIG);
    r.buf = calloc(1, BIG);
    for (long i = 0; i < BIG; i++)
        w.buf[i] = (char)(i * 131 + (i >> 12));
    struct rt_join *jw, *jr;
    RT_SPAWN(jw, rt, &w.f);
    WAIT_UNTIL(atomic_load(&w.pending) >= 1, 10, "a task writing %d MiB into a socket nobody "
               "reads must fill the socket buffers and wait (RT_PENDING); it never did "
               "(polls %d).", BIG >> 20, atomic_load(&w.polls));
    r.s = a.c;
    RT_SPAWN(jr, rt, &r.f);
    RT_JOIN(jw, &o, "a writer");
    tl_check(o == BIG, "the writer ended with %ld, want %d bytes written. Hint: Task 6.4 "
             "(the write side's waker, woken on EPOLLOUT).", (long)o, BIG);
    RT_JOIN(jr, &o, "a reader");
    tl_check(o == BIG && !memcmp(w.buf, r.buf, BIG), "the reader got %ld bytes%s.", (long)o,
             o == BIG ? " but not the bytes written" : "");
    /* a write of 0 bytes is done at once, with 0, whatever errno held */
    static struct twaker tz;
    memset(&tz, 0, sizeof tz);
    struct rt_context cz = tw_cx(&tz);
    ssize_t zres = -1;
    errno = EAGAIN;
    int zr = rt_tcp_poll_write(cs, &cz, w.buf, 0, &zres);
    tl_check(zr == RT_READY && zres == 0, "rt_tcp_poll_write of 0 bytes returned %d with "
             "*res %zd; want RT_READY (1) and 0: send() returned 0, a result, not an error "
             "(errno was left at EAGAIN by something earlier). Hint: Task 6.4.", zr, zres);
    /* the peer closes: the reader sees end of stream, the writer EPIPE or ECONNRESET */
    rt_tcp_close(cs);
    static struct pump_fut r2, w2;
    memset(&r2, 0, sizeof r2);
    r2.f.poll = pump_poll;
    r2.s = a.c;
    r2.total = 16;
    r2.buf = r.buf;
    struct rt_join *j2;
    RT_SPAWN(j2, rt, &r2.f);
    RT_JOIN(j2, &o, "a read after the peer closed");
    tl_check(o == -1000, "rt_tcp_poll_read after the peer closed must give 0 (end of "
             "stream); the reader ended with %ld.", (long)o);
    memset(&w2, 0, sizeof w2);
    w2.f.poll = pump_poll;
    w2.s = a.c;
    w2.writer = 1;
    w2.total = BIG;
    w2.buf = w.buf;
    RT_SPAWN(j2, rt, &w2.f);
    RT_JOIN(j2, &o, "a write after the peer closed");
    tl_check(o == -EPIPE || o == -ECONNRESET, "writing to a socket whose peer closed must "
             "end with -EPIPE or -ECONNRESET (and no SIGPIPE); got %ld.", (long)o);
    rt_tcp_close(a.c);
    rt_tcp_close(a.l);
    rt_runtime_free(rt);
    free(w.buf);
    free(r.buf);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked.", rt_live_tasks() - base);
}
