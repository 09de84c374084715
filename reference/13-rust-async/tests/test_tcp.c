/*
 * test_tcp.c - the epoll reactor and async TCP on loopback (handout Task 6).
 */
#include "tcp_futs.h"

/* Accepts one connection, reads 5 bytes, writes them back. */
struct one_srv {
    struct rt_future f;
    struct rt_tcp *l, *c;
    atomic_int state;   /* 0 accepting, 1 reading, 2 writing, 3 done */
    atomic_int polls;
    char buf[8];
};

static int one_poll(struct rt_future *f, struct rt_context *cx)
{
    struct one_srv *s = (struct one_srv *)f;
    atomic_fetch_add(&s->polls, 1);
    ssize_t r;
    int err;
    if (atomic_load(&s->state) == 0) {
        if (rt_tcp_poll_accept(s->l, cx, &s->c, &err) == RT_PENDING)
            return RT_PENDING;
        if (err) {
            f->output = -err;
            return RT_READY;
        }
        atomic_store(&s->state, 1);
    }
    if (atomic_load(&s->state) == 1) {
        if (rt_tcp_poll_read(s->c, cx, s->buf, 5, &r) == RT_PENDING)
            return RT_PENDING;
        if (r != 5) {
            f->output = r < 0 ? r : -1000 - r;
            return RT_READY;
        }
        atomic_store(&s->state, 2);
    }
    if (rt_tcp_poll_write(s->c, cx, s->buf, 5, &r) == RT_PENDING)
        return RT_PENDING;
    atomic_store(&s->state, 3);
    f->output = r;
    return RT_READY;
}

TL_TEST(tcp_polled_only_on_readiness, 3, 30, "tcp reactor")
{
    RT_LOOPBACK();
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 1);
    static struct one_srv s;
    memset(&s, 0, sizeof s);
    s.f.poll = one_poll;
    int rc = rt_tcp_listen(rt, 0, &s.l);
    tl_expect_ok(rc, "rt_tcp_listen(rt, 0)", "Task 6.1");
    uint16_t port = rt_tcp_port(s.l);
    tl_check(port != 0, "rt_tcp_port of a listener bound to port 0 must be the port the "
             "kernel picked (getsockname), not 0.");
    struct rt_join *j;
    RT_SPAWN(j, rt, &s.f);
    WAIT_UNTIL(atomic_load(&s.polls) == 1, 10, "the server task was never polled.");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tl_check(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "a blocking connect to the "
             "listener on port %u failed: %s", port, strerror(errno));
    WAIT_UNTIL(atomic_load(&s.state) == 1, 10, "a client connected, but the task waiting in "
               "rt_tcp_poll_accept was not woken to accept it (polls %d). Hint: Tasks "
               "6.2 (dispatch) and 6.3 (io_wait stores the waker).", atomic_load(&s.polls));
    int p2 = atomic_load(&s.polls);
    tl_check(write(fd, "hello", 5) == 5, "write to the server failed");
    char back[8] = "";
    ssize_t got = 0;
    while (got < 5) {
        ssize_t r = read(fd, back + got, (size_t)(5 - got));
        if (r <= 0)
            break;
        got += r;
    }
    close(fd);
    intptr_t out;
    RT_JOIN(j, &out, "a server task");
    tl_check(got == 5 && !memcmp(back, "hello", 5) && out == 5, "the server echoed %zd "
             "bytes \"%.5s\" (task output %ld); want \"hello\". Hint: Task 6.4.", got, back,
             (long)out);
    tl_check(p2 == 2 && atomic_load(&s.polls) == 3, "the server task waits twice (for a "
             "connection, then for data): it must be polled exactly 3 times, and twice "
             "by the time it accepted; it was polled %d times (%d by then). No task may "
             "be polled without a readiness event for what it waits on. Hint: Task 6.2 "
             "wakes only the side that became ready.", atomic_load(&s.polls), p2);
    rt_tcp_close(s.c);
    rt_tcp_close(s.l);
    rt_runtime_free(rt);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked: rt_tcp_close must drop the "
             "wakers stored on the socket. Hint: Task 6.5.", rt_live_tasks() - base);
}

TL_TEST(echo_thousand_connections, 5, 120, "tcp echo")
{
    RT_LOOPBACK();
    struct rt_runtime *rt;
    long base = rt_live_tasks();
    RT_START(rt, 2);
    static struct echo_server sv;
    memset(&sv, 0, sizeof sv);
    sv.f.poll = echo_server_poll;
    sv.f.drop = echo_server_drop;
    sv.rt = rt;
    int rc = rt_tcp_listen(rt, 0, &sv.l);
    tl_expect_ok(rc, "rt_tcp_listen(rt, 0)", "Task 6.1");
    uint16_t port = rt_tcp_port(sv.l);
    struct rt_join *js;
    RT_SPAWN(js, rt, &sv.f);
    int n = (int)tl_iters(1000);
    if (n < 50)
        n = 50;
    struct echo_client *cl = calloc((size_t)n, sizeof *cl);
    struct rt_join **jc = calloc((size_t)n, sizeof *jc);
    uint64_t seed = tl_seed();
    /* in waves of 250, so the listen backlog never overflows */
    for (int w = 0; w < n; w += 250) {
        int end = w + 250 < n ? w + 250 : n;
        for (int i = w; i < end; i++) {
            cl[i].f.poll = echo_client_poll;
            cl[i].f.drop = echo_client_drop;
            cl[i].rt = rt;
            cl[i].port = port;
            cl[i].rounds = 3;
            cl[i].msg_len = 16 + (int)((seed + (uint64_t)i * 7919u) % 200);
            cl[i].seed = (unsigned)(seed + (uint64_t)i);
            RT_SPAWN(jc[i], rt, &cl[i].f);
        }
        WAIT_PROGRESS(atomic_load(&sv.accepted), end, 10, "%d clients connected to the "
                   "echo server so far but it accepted %d. Hint: Task 6 (accept must be "
                   "retried until EAGAIN: epoll is edge-triggered).", end,
                   atomic_load(&sv.accepted));
    }
    int bad = 0;
    intptr_t first_bad = 0;
    int first_i = -1;
    for (int i = 0; i < n; i++) {
        intptr_t out = -1;
        int r = rt_join_wait(jc[i], &out);
        if (r != RT_READY || out != 0) {
            if (!bad++) {
                first_bad = out;
                first_i = i;
            }
        }
    }
    rt_runtime_free(rt); /* drops the server's accept loop and the idle connections */
    tl_fb_report(&fb);
    intptr_t so = 7;
    int sr = rt_join_wait(js, &so);
    tl_check(sr == RT_CANCELLED && so == 0, "the accept loop never finishes, so "
             "rt_runtime_free must drop it: rt_join_wait on its handle afterwards must "
             "return RT_CANCELLED (%d) with 0, not %d with %ld. Hint: rt_task_cancel.",
             RT_CANCELLED, sr, (long)so);
    tl_check(bad == 0, "%d of %d echo clients failed; the first, client %d, ended with %ld "
             "(-1000: the server closed early, -2000: wrong bytes came back, other "
             "negatives: -errno). Hint: Task 6.4 (read and write retry after EAGAIN; "
             "epoll is edge-triggered, so a lost event stalls a connection).", bad, n,
             first_i, (long)first_bad);
    free(cl);
    free(jc);
    tl_check(rt_live_tasks() == base, "%ld task(s) leaked after the runtime was freed. "
             "Hint: rt_runtime_free drops unfinished tasks; rt_tcp_close drops wakers "
             "(Task 6.5).", rt_live_tasks() - base);
}
