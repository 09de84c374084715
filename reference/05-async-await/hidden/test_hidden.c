/*
 * test_hidden.c - hidden tests: the same contracts from other angles.
 */
#include "../tests/aio_test.h"
#include "../tests/aio_after.h"

#include <sys/resource.h>

/* async def pump(fd, buf, n, write): move all n bytes, one call at a time */
struct pump {
    struct aio_future base;
    struct aio_future *io;
    int fd, is_write;
    char *buf;
    size_t n, off;
};

static int pump_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct pump *p = (struct pump *)f;
    while (p->off < p->n) {
        if (!p->io)
            p->io = p->is_write ? aio_write(lp, p->fd, p->buf + p->off, p->n - p->off)
                                : aio_read(lp, p->fd, p->buf + p->off, p->n - p->off);
        if (aio_await(p->io, lp) == AIO_PENDING)
            return AIO_PENDING;
        long r = p->io->result;
        aio_future_free(p->io, lp);
        p->io = NULL;
        if (r <= 0) {
            f->result = r ? r : -EPIPE;
            return AIO_READY;
        }
        p->off += (size_t)r;
    }
    if (p->is_write)
        shutdown(p->fd, SHUT_WR); /* EOF for the session once all is out */
    f->result = (long)p->off;
    return AIO_READY;
}

static void pump_drop(struct aio_future *f, struct aio_loop *lp)
{
    aio_future_free(((struct pump *)f)->io, lp);
}

static const struct aio_future_ops pump_ops = {"pump", pump_poll, pump_drop};

static struct aio_future *pump(int fd, char *buf, size_t n, int is_write)
{
    struct pump *p = calloc(1, sizeof *p);
    p->base.ops = &pump_ops;
    p->fd = fd;
    p->buf = buf;
    p->n = n;
    p->is_write = is_write;
    return &p->base;
}

TL_TEST(hidden_echo_session_partial_writes, 3, 30, "io")
{
    struct aio_loop *lp = loop_new();
    int sv[2];
    tl_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0,
             "socketpair: %s", strerror(errno));
    int small = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    size_t n = (size_t)tl_iters(1 << 20);
    char *out = malloc(n), *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        out[i] = (char)(i * 131 + (i >> 9));
    long sres = -1, jres = -1, r[2] = {-1, -1};
    spawn(lp, "session", NEED(aio_echo_session(lp, sv[1]), "aio_echo_session", "Task 7.1"), &sres);
    /* one pending future per fd: the reader uses a dup of the socket */
    int rd = dup(sv[0]);
    struct aio_future *k[2] = {pump(sv[0], out, n, 1), pump(rd, in, n, 0)};
    spawn(lp, "client", NEED(aio_join_all(k, 2, r), "aio_join_all", "Task 6.2"), &jres);
    /* the session ends when the writer has shut its write half */
    RUN(lp, "for an echo session moving 1 MiB through small socket buffers");
    tl_check(r[0] == (long)n && r[1] == (long)n && memcmp(in, out, n) == 0,
             "an echo session must echo every byte in order even when its writes are "
             "partial (small socket buffers): wrote %ld, read back %ld of %zu, %s. "
             "Hint: Task 7.1 loops WRITE/WRITING until all n bytes are out.", r[0], r[1],
             n, r[1] == (long)n ? "bytes differ" : "short");
    tl_check(sres == (long)n, "the session must end at EOF with the bytes it echoed "
             "(%zu), got %ld. Hint: Task 7.1.", n, sres);
    EXPECT_EMPTY(lp, "after the session");
    close(sv[0]);
    close(rd);
    free(out);
    free(in);
    aio_loop_free(lp);
}

/* async def halver(): await sleep(20 ms); cancel the chosen sleepers */
static long hv_k[4000], hv_ids[4000], hv_res[4000];
static char hv_pick[4000];
static long hv_n, hv_cancelled, hv_failed;

static int halver_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct aio_future **s = (struct aio_future **)(f + 1);
    if (aio_await(*s, lp) == AIO_PENDING)
        return AIO_PENDING;
    for (long i = 0; i < hv_n; i++)
        if (hv_pick[i]) {
            hv_failed += aio_cancel(lp, hv_ids[i]) != 0;
            hv_cancelled++;
        }
    f->result = 0;
    return AIO_READY;
}

static void halver_drop(struct aio_future *f, struct aio_loop *lp)
{
    aio_future_free(*(struct aio_future **)(f + 1), lp);
}

static const struct aio_future_ops halver_ops = {"halver", halver_poll, halver_drop};

TL_TEST(hidden_cancel_timers_in_the_middle_keeps_order, 3, 30, "timers stress")
{
    struct tl_rng rng;
    tl_rng_init(&rng, tl_seed());
    hv_n = tl_iters(2000);
    if (hv_n < 64)
        hv_n = 64;
    hv_cancelled = hv_failed = 0;
    struct aio_loop *lp = loop_new();
    int64_t base = aio_now(lp) + 100 * MS * tl_slow(); /* after the halver */
    tlog_n = 0;
    for (long i = 0; i < hv_n; i++) {
        hv_k[i] = (long)tl_rng_below(&rng, 30);
        hv_res[i] = 1;
        hv_pick[i] = (char)tl_rng_below(&rng, 2);
        hv_ids[i] = spawn(lp, "s", tagged(NEED(aio_sleep_until(lp, base + hv_k[i] * MS),
                                               "aio_sleep_until", "Task 2.4"), i), &hv_res[i]);
    }
    struct aio_future *h = calloc(1, sizeof *h + sizeof(struct aio_future *));
    h->ops = &halver_ops;
    *(struct aio_future **)(h + 1) = NEED(aio_sleep(lp, 20 * MS), "aio_sleep", "Task 2.4");
    spawn(lp, "halver", h, NULL);
    RUN(lp, "for the sleepers left after cancelling half of them");
    tl_check(hv_failed == 0, "%ld of %ld aio_cancel calls on armed sleepers failed. "
             "Hint: Task 4.2.", hv_failed, hv_cancelled);
    long prev = -1;
    for (int i = 0; i < tlog_n; i++) {
        long a = tlog[i];
        tl_check(!hv_pick[a], "sleeper %ld was cancelled but still ran", a);
        tl_check(hv_res[a] == 0, "sleeper %ld ran but its result is %ld", a, hv_res[a]);
        if (prev >= 0)
            tl_check(hv_k[prev] < hv_k[a] || (hv_k[prev] == hv_k[a] && prev < a),
                     "after cancelling %ld of %ld armed timers (out of the middle of "
                     "the heap), sleeper %ld (+%ld ms) fired before sleeper %ld (+%ld ms). "
                     "Hint: Task 2.2 restores the heap order both ways (up AND down).",
                     hv_cancelled, hv_n, prev, hv_k[prev], a, hv_k[a]);
        prev = a;
    }
    tl_check(tlog_n == hv_n - hv_cancelled, "%ld sleepers not cancelled, %d ran",
             hv_n - hv_cancelled, tlog_n);
    EXPECT_EMPTY(lp, "after the sleepers");
    aio_loop_free(lp);
}

/* Several wake-ups before one poll: the task is polled once. */
TL_TEST(hidden_many_wakeups_one_poll, 3, 20, "loop")
{
    struct aio_loop *lp = loop_new();
    int64_t d = aio_now(lp) + 200 * MS * tl_slow(); /* after the first poll, even under load */
    struct aio_future *k[6];
    for (int i = 0; i < 6; i++)
        k[i] = NEED(aio_sleep_until(lp, d), "aio_sleep_until", "Task 2.4");
    long res = -1;
    spawn(lp, "joiner", NEED(aio_join_all(k, 6, NULL), "aio_join_all", "Task 6.2"), &res);
    RUN(lp, "for a join of six sleeps with one deadline");
    struct aio_stats st;
    aio_stats(lp, &st);
    tl_check(res == 6 && st.polls == 2, "six timers with the same deadline wake the "
             "same task six times in one turn; it must be polled ONCE for them: want 2 "
             "polls in all (arm, then fire), got %ld (result %ld). Hint: Task 1.2: a "
             "task already on the ready queue is not queued again.", st.polls, res);
    aio_loop_free(lp);
}

static int spin_poll(struct aio_future *f, struct aio_loop *lp)
{
    int64_t end = aio_now(lp) + f->result;
    while (aio_now(lp) < end)
        ;
    f->result = 0;
    return AIO_READY;
}
static void spin_drop(struct aio_future *f, struct aio_loop *lp)
{
    (void)f;
    (void)lp;
}
static const struct aio_future_ops spin_ops = {"spin", spin_poll, spin_drop};

TL_TEST(hidden_watchdog_default_prints_name, 2, 30, "watchdog")
{
    struct aio_loop *lp = loop_new();
    int p[2];
    tl_check(pipe2(p, O_NONBLOCK) == 0, "pipe");
    int64_t threshold = 300 * MS * tl_slow(); /* far above a quick poll's time under load */
    struct aio_future *f = calloc(1, sizeof *f);
    f->ops = &spin_ops;
    f->result = 4 * threshold; /* how long to spin, read at the first poll */
    fflush(stderr);
    int saved = dup(2);
    dup2(p[1], 2);
    /* first with the watchdog off (the default, and threshold 0) */
    struct aio_loop *quiet = loop_new();
    struct aio_future *g = calloc(1, sizeof *g);
    g->ops = &spin_ops;
    g->result = 20 * MS;
    spawn(quiet, "unwatched", g, NULL);
    aio_run(quiet);
    aio_loop_free(quiet);
    aio_watchdog(lp, threshold, NULL, NULL);
    spawn(lp, "slowpoke-7", f, NULL);
    spawn(lp, "quick", tagged(NULL, 1), NULL);
    int rc = aio_run(lp);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(p[1]);
    char out[512] = {0};
    ssize_t got = read(p[0], out, sizeof out - 1);
    close(p[0]);
    tl_check(rc == 0, "aio_run failed: %s", tl_ename(errno));
    tl_check(got > 0 && strstr(out, "aio watchdog: task 'slowpoke-7' blocked the loop for "),
             "with no callback the watchdog prints \"aio watchdog: task '<name>' blocked "
             "the loop for <ms> ms\" on stderr; it printed \"%s\". Hint: Task 5.1.",
             got > 0 ? out : "(nothing)");
    tl_check(!strstr(out, "'quick'") && !strstr(out, "'unwatched'"), "a task was reported "
             "that must not be (a quick one, or one on a loop whose watchdog is off: "
             "threshold 0 means off): \"%s\". Hint: Task 5.1.", out);
    aio_loop_free(lp);
}

/* select: several ready at once, the lowest index wins; join: errors pass */
TL_TEST(hidden_select_lowest_and_join_errors, 2, 20, "combinators")
{
    struct aio_loop *lp = loop_new();
    int p[2];
    make_pipe(p);
    char buf[4];
    long idx = -1, val = -1, res = -1, r[3] = {9, 9, 9};
    struct aio_future *k[3] = {aio_sleep(lp, 60000 * MS), tagged(NULL, 11), tagged(NULL, 12)};
    spawn(lp, "select", NEED(aio_select(k, 3, &val), "aio_select", "Task 6.3"), &idx);
    struct aio_future *j[3] = {
        NEED(aio_read(lp, p[1], buf, 1), "aio_read", "Task 3.3"),  /* write end: EBADF */
        tagged(NULL, 5),
        NEED(aio_write(lp, p[0], "x", 1), "aio_write", "Task 3.3"), /* read end: EBADF */
    };
    spawn(lp, "join", NEED(aio_join_all(j, 3, r), "aio_join_all", "Task 6.2"), &res);
    RUN(lp, "for a select and a join");
    tl_check(idx == 1 && val == 11, "select with children 1 and 2 both ready at the "
             "first poll must pick the LOWEST index (1, value 11); got %ld (value %ld). "
             "Hint: Task 6.3.", idx, val);
    tl_check(res == 3 && r[0] == -EBADF && r[1] == 5 && r[2] == -EBADF, "join_all "
             "passes each child's result, errors too: got %s (want %d 5 %d). Hint: "
             "Task 3.3 (READY with -errno) and 6.2.", fmt_longs(r, 3), -EBADF, -EBADF);
    EXPECT_EMPTY(lp, "after select and join");
    close(p[0]);
    close(p[1]);
    aio_loop_free(lp);
}

TL_TEST(hidden_connect_refused_leaks_nothing, 2, 20, "io")
{
    int fds0 = count_fds();
    struct aio_loop *lp = loop_new();
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    int k = snprintf(un.sun_path + 1, sizeof un.sun_path - 1, "tl-aio-nobody-%d", (int)getpid());
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + k);
    long res = 1;
    spawn(lp, "client", NEED(aio_echo_client(lp, (struct sockaddr *)&un, len, 2, 10),
                             "aio_echo_client", "Task 7.4"), &res);
    RUN(lp, "for a client with nobody listening");
    tl_check(res == -ECONNREFUSED, "an echo client connecting where nobody listens "
             "must end with -ECONNREFUSED (%d), got %ld. Hint: Task 3.3 (connect) "
             "and 7.4.", -ECONNREFUSED, res);
    errno = 0;
    tl_check(aio_echo_client(lp, (struct sockaddr *)&un, len, 1, 0) == NULL && errno == EINVAL,
             "aio_echo_client with size 0 must fail with EINVAL");
    EXPECT_EMPTY(lp, "after the refused client");
    aio_loop_free(lp);
    tl_check(count_fds() == fds0, "%d fds before, %d after: the refused client's "
             "socket was not closed. Hint: Task 7.5.", fds0, count_fds());
}

/* One scenario with every constructor and combinator; the n-th allocation
 * fails. Whatever fails must fail cleanly: NULL/ENOMEM from a constructor,
 * -ENOMEM from a future, and nothing left behind. */
TL_TEST(hidden_out_of_memory_everywhere, 2, 120, "oom")
{
    int fds0 = count_fds();
    int fired = 1;
    long n;
    for (n = 1; fired && n < 400; n++) {
        struct sockaddr_storage ss;
        socklen_t len;
        const char *kind;
        int lfd = listen_any(&ss, &len, &kind);
        long r[4] = {0, 0, 0, 0};
        tl_fault_after(n);
        struct aio_loop *lp = aio_loop_new();
        if (!lp) {
            int e = errno;
            fired = tl_fault_disarm();
            tl_check(e == ENOMEM, "aio_loop_new failed with %s, not ENOMEM", tl_ename(e));
            close(lfd);
            continue;
        }
        struct aio_future *srv = aio_echo_server(lp, lfd, 2);
        if (srv) /* a server whose clients failed to be made would wait forever */
            srv = aio_timeout(lp, srv, 100 * MS * tl_slow());
        struct aio_future *c[2] = {aio_echo_client(lp, (struct sockaddr *)&ss, len, 2, 100),
                                   aio_echo_client(lp, (struct sockaddr *)&ss, len, 2, 50)};
        struct aio_future *j = c[0] && c[1] ? aio_join_all(c, 2, NULL) : NULL;
        if (!(c[0] && c[1])) { /* a failed join_all freed them itself */
            aio_future_free(c[0], lp);
            aio_future_free(c[1], lp);
        }
        struct aio_future *t = j ? aio_timeout(lp, j, 100 * MS * tl_slow()) : NULL;
        struct aio_future *s[2] = {aio_sleep(lp, 5000 * MS), aio_sleep(lp, 1 * MS)};
        struct aio_future *sel = s[0] && s[1] ? aio_select(s, 2, NULL) : NULL;
        if (!(s[0] && s[1])) {
            aio_future_free(s[0], lp);
            aio_future_free(s[1], lp);
        }
        struct aio_future *fs[3] = {srv, t, sel};
        static const char *nm[3] = {"server", "clients", "select"};
        for (int i = 0; i < 3; i++)
            if (fs[i] && aio_spawn(lp, nm[i], fs[i], &r[i]) < 0)
                tl_check(errno == ENOMEM, "aio_spawn failed with %s, not ENOMEM",
                         tl_ename(errno));
        int rc = aio_run(lp);
        int e = errno;
        fired = tl_fault_disarm();
        tl_check(rc == 0, "with allocation %ld failing, aio_run returned %d (%s): a "
                 "failed allocation inside a poll must end that future with -ENOMEM, "
                 "not strand its task. Hint: Tasks 6, 7.", n, rc, tl_ename(e));
        for (int i = 0; i < 3; i++)
            tl_check(r[i] >= 0 || r[i] == -ENOMEM || r[i] == -EPROTO || r[i] == -ETIMEDOUT ||
                     r[i] == -ECONNRESET || r[i] == -EPIPE,
                     "with allocation %ld failing, task '%s' ended with %ld (%s): want "
                     "a result, -ENOMEM, or what its peer's failure caused", n, nm[i],
                     r[i], tl_ename((int)-r[i]));
        EXPECT_EMPTY(lp, "after a run with an allocation failing");
        aio_loop_free(lp);
        close(lfd);
        tl_check(count_fds() == fds0, "with allocation %ld failing, %d fds were open "
                 "after the loop was freed, %d before: an error path leaked a socket. "
                 "Hint: every constructor that fails closes what it opened.", n,
                 count_fds(), fds0);
    }
    tl_check(!fired, "still failing after %ld allocations", n);
    /* The server's three allocations for one connection, failed one at a
     * time: the accept future, the session, the session's task. */
    static const char *which[3] = {"the accept future", "the session future",
                                   "the session's task (aio_spawn)"};
    for (int k = 1; k <= 3; k++) {
        struct sockaddr_storage ss;
        socklen_t len;
        const char *kind;
        int lfd = listen_any(&ss, &len, &kind);
        int c = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        tl_check(c >= 0 && connect(c, (struct sockaddr *)&ss, len) == 0, "connect: %s",
                 strerror(errno));
        struct aio_loop *lp = loop_new();
        long sres = 1;
        spawn(lp, "server", NEED(aio_echo_server(lp, lfd, 1), "aio_echo_server", "Task 7.3"), &sres);
        tl_fault_after(k);
        int rc = aio_run(lp);
        int hit = tl_fault_disarm();
        tl_check(rc == 0 && hit && sres == -ENOMEM, "an echo server whose allocation of %s "
                 "fails must end with -ENOMEM: aio_run %d, result %ld. Hint: Task 7.3 (a "
                 "session that cannot be made or spawned ends the server).", which[k - 1],
                 rc, sres);
        EXPECT_EMPTY(lp, "after the server failed");
        aio_loop_free(lp);
        close(c);
        close(lfd);
    }
    tl_check(count_fds() == fds0, "%d fds open after the server's allocation failures, %d "
             "before: the accepted connection leaked. Hint: Task 7.3.", count_fds(), fds0);
}

/* ------------------------------------------------------------------ */
/* fd 0 is an fd like any other                                        */
/* ------------------------------------------------------------------ */

static int fd_closed(int fd)
{
    return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

/* An echo over a fresh listening socket, with fd 0 closed at `when`:
 * 0 before the loop (epoll gets fd 0), 1 before the client (its socket
 * gets 0), 2 after the client (the server's accept gets 0). */
static void fd0_round(int when, int stdin_copy)
{
    struct sockaddr_storage ss;
    socklen_t len;
    const char *kind;
    int lfd = listen_any(&ss, &len, &kind);
    if (when == 0)
        close(0);
    struct aio_loop *lp = loop_new();
    if (when == 1)
        close(0);
    struct aio_future *c = NEED(aio_echo_client(lp, (struct sockaddr *)&ss, len, 2, 33),
                                "aio_echo_client", "Task 7.4");
    if (when == 2)
        close(0);
    long cres = 1, sres = 1;
    spawn(lp, "server", NEED(aio_timeout(lp, NEED(aio_echo_server(lp, lfd, 1), "aio_echo_server",
                                                  "Task 7.3"), 2000 * MS * tl_slow()),
                             "aio_timeout", "Task 6.4"), &sres);
    spawn(lp, "client", NEED(aio_timeout(lp, c, 2000 * MS * tl_slow()), "aio_timeout",
                             "Task 6.4"), &cres);
    RUN(lp, "for an echo with fd 0 closed");
    static const char *what[3] = {"the loop's epoll set", "the client's socket",
                                  "the accepted connection"};
    tl_check(sres == 1 && cres == 2, "with fd 0 closed beforehand, %s is fd 0 and must "
             "work like any fd: server result %ld (want 1), client result %ld (want 2). "
             "Hint: fds are >= 0, not > 0 (Tasks 1.1, 3.3, 7.3, 7.4).", what[when], sres, cres);
    aio_loop_free(lp);
    close(lfd);
    tl_check(fd_closed(0), "after the echo with %s as fd 0 ended and the loop was freed, "
             "fd 0 is still open: whoever owned it did not close it (fds are >= 0). "
             "Hint: Tasks 1.8, 7.2, 7.5.", what[when]);
    tl_check(dup2(stdin_copy, 0) == 0, "dup2: %s", strerror(errno));
}

TL_TEST(hidden_fd_zero_and_loop_errors, 2, 30, "io")
{
    int in = dup(0);
    tl_check(in > 0, "dup(0): %s", strerror(errno));
    for (int when = 0; when < 3; when++)
        fd0_round(when, in);
    /* a refused connect whose socket is fd 0 closes it */
    struct aio_loop *lp = loop_new();
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    int k = snprintf(un.sun_path + 1, sizeof un.sun_path - 1, "tl-aio-none-%d", (int)getpid());
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + k);
    close(0);
    long res = 1;
    spawn(lp, "client", NEED(aio_echo_client(lp, (struct sockaddr *)&un, len, 1, 8),
                             "aio_echo_client", "Task 7.4"), &res);
    RUN(lp, "for a refused client");
    tl_check(res == -ECONNREFUSED && fd_closed(0), "a refused connect whose socket was fd "
             "0: result %ld (want %d), fd 0 %s. Hint: Task 4.1 closes the socket of a "
             "connect that did not hand it over.", res, -ECONNREFUSED,
             fd_closed(0) ? "closed" : "left open");
    dup2(in, 0);
    aio_loop_free(lp);
    /* no fd left for epoll: aio_loop_new fails with EMFILE, leaking nothing */
    struct rlimit old, lim;
    getrlimit(RLIMIT_NOFILE, &old);
    lim = old;
    int low = 0; /* the lowest free fd: the next one the kernel would hand out */
    while (fcntl(low, F_GETFD) != -1)
        low++;
    lim.rlim_cur = (rlim_t)low;
    setrlimit(RLIMIT_NOFILE, &lim);
    errno = 0;
    lp = aio_loop_new();
    int e = errno;
    setrlimit(RLIMIT_NOFILE, &old);
    tl_check(lp == NULL && e == EMFILE, "with no fd left, aio_loop_new must fail with "
             "NULL/EMFILE, got %p/%s. Hint: Task 1.1.", (void *)lp, tl_ename(e));
    close(in);
}

/* ------------------------------------------------------------------ */
/* Peers that misbehave                                                */
/* ------------------------------------------------------------------ */

/* async def bad_server(lfd, mode): c = await accept(lfd); mode 0: close at
 * once; mode 1: echo one message with a byte changed; mode 2: echo one
 * message, then close; mode 3: echo half of one message, then close.
 * Written with the lab's futures, in a struct. */
struct bad_server {
    struct aio_future base;
    struct aio_future *io;
    int lfd, fd, mode, state;
    size_t n;
    char buf[64];
};

static int bad_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct bad_server *b = (struct bad_server *)f;
    for (;;) {
        if (!b->io) {
            if (b->state == 0)
                b->io = aio_accept(lp, b->lfd);
            else if (b->state == 1)
                b->io = aio_read(lp, b->fd, b->buf, sizeof b->buf);
            else
                b->io = aio_write(lp, b->fd, b->buf, b->n);
        }
        if (aio_await(b->io, lp) == AIO_PENDING)
            return AIO_PENDING;
        long r = b->io->result;
        aio_future_free(b->io, lp);
        b->io = NULL;
        if (r < 0 || (b->state == 0 && (b->fd = (int)r, b->mode == 0)) || b->state == 2) {
            f->result = r;
            return AIO_READY;
        }
        if (b->state == 1) {
            b->n = (size_t)r;
            if (b->mode == 1)
                b->buf[r / 2] ^= 1;
            if (b->mode == 3)
                b->n = (size_t)r / 2; /* half a reply, then EOF */
        }
        b->state++;
    }
}

static void bad_drop(struct aio_future *f, struct aio_loop *lp)
{
    struct bad_server *b = (struct bad_server *)f;
    aio_future_free(b->io, lp);
    if (b->fd > 0)
        close(b->fd);
}

static const struct aio_future_ops bad_ops = {"bad_server", bad_poll, bad_drop};

/* The peer of a session: gets "ping" back, sends "pong" and is gone. */
struct gone {
    struct aio_future base;
    struct aio_future *rd;
    int fd;
    char buf[4];
};

static int gone_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct gone *g = (struct gone *)f;
    if (!g->rd)
        g->rd = aio_read(lp, g->fd, g->buf, 4);
    if (aio_await(g->rd, lp) == AIO_PENDING)
        return AIO_PENDING;
    if (write(g->fd, "pong", 4) != 4)
        f->result = -errno;
    close(g->fd);
    g->fd = -1;
    return AIO_READY;
}

static void gone_drop(struct aio_future *f, struct aio_loop *lp)
{
    struct gone *g = (struct gone *)f;
    aio_future_free(g->rd, lp);
    if (g->fd >= 0)
        close(g->fd);
}

static const struct aio_future_ops gone_ops = {"gone", gone_poll, gone_drop};

TL_TEST(hidden_misbehaving_peers, 1, 30, "io")
{
    static const char *what[4] = {"closes the connection at once",
                                  "changes a byte of the reply",
                                  "echoes one message, then closes",
                                  "sends half of the reply, then closes (EOF)"};
    for (int mode = 0; mode < 4; mode++) {
        struct aio_loop *lp = loop_new();
        struct sockaddr_storage ss;
        socklen_t len;
        const char *kind;
        int lfd = listen_any(&ss, &len, &kind);
        struct bad_server *b = calloc(1, sizeof *b);
        b->base.ops = &bad_ops;
        b->lfd = lfd;
        b->mode = mode;
        long res = 1;
        spawn(lp, "bad-server", &b->base, NULL);
        spawn(lp, "client", NEED(aio_timeout(lp, NEED(aio_echo_client(lp, (struct sockaddr *)&ss,
                                                                      len, 3, 40),
                                                      "aio_echo_client", "Task 7.4"),
                                             3000 * MS * tl_slow()), "aio_timeout", "Task 6.4"),
              &res);
        RUN(lp, "for a client of a misbehaving server");
        int ok = mode == 1 || mode == 3 ? res == -EPROTO
                           : res == -EPROTO || res == -EPIPE || res == -ECONNRESET;
        tl_check(ok, "an echo client whose server %s (%s) must end with %s, got %ld (%s). "
                 "Hint: Task 7.4: EOF before the whole reply and a reply that differs "
                 "are -EPROTO; a failed write is its -errno.", what[mode], kind,
                 mode == 1 || mode == 3 ? "-EPROTO" : "-EPROTO, -EPIPE or -ECONNRESET", res,
                 res < 0 ? tl_ename((int)-res) : "a count");
        EXPECT_EMPTY(lp, "after the misbehaving server");
        close(lfd);
        aio_loop_free(lp);
    }
    /* an echo session whose peer is gone: its write fails, it says so */
    struct aio_loop *lp = loop_new();
    int sv[2];
    tl_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0,
             "socketpair: %s", strerror(errno));
    tl_check(write(sv[0], "ping", 4) == 4, "write");
    long sres = 1;
    struct gone *g = calloc(1, sizeof *g);
    g->base.ops = &gone_ops;
    g->fd = sv[0];
    spawn(lp, "session", NEED(aio_echo_session(lp, sv[1]), "aio_echo_session", "Task 7.1"), &sres);
    spawn(lp, "gone-peer", &g->base, NULL);
    RUN(lp, "for a session whose peer closed");
    tl_check(sres == -EPIPE || sres == -ECONNRESET, "an echo session that echoed "
             "\"ping\", then got \"pong\" from a peer that closed at once, must end with "
             "its write's error (-EPIPE), got %ld. Hint: Task 7.1: a failed write ends "
             "the session with it.", sres);
    /* a server on a socket that is not listening: accept's error */
    int nl = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sres = 1;
    spawn(lp, "server", NEED(aio_echo_server(lp, nl, 1), "aio_echo_server", "Task 7.3"), &sres);
    RUN(lp, "for a server on a socket that does not listen");
    tl_check(sres == -EINVAL, "aio_echo_server on a socket that is not listening must "
             "end with accept's error (-EINVAL), got %ld. Hint: Task 7.3.", sres);
    close(nl);
    /* two pending reads on one fd: the second is -EEXIST */
    int p[2];
    make_pipe(p);
    char b1[4], b2[4];
    long r[2] = {9, 9};
    struct aio_future *two[2] = {NEED(aio_read(lp, p[0], b1, 4), "aio_read", "Task 3.3"),
                                 NEED(aio_read(lp, p[0], b2, 4), "aio_read", "Task 3.3")};
    spawn(lp, "two-readers", NEED(aio_join_all(two, 2, r), "aio_join_all", "Task 6.2"), NULL);
    spawn(lp, "writer", after(lp, 10 * MS, aio_write(lp, p[1], "z", 1)), NULL);
    RUN(lp, "for two reads of one pipe");
    tl_check(r[0] == 1 && r[1] == -EEXIST, "two pending reads of one fd: the first must "
             "get the byte (1), the second -EEXIST (epoll holds an fd once), got %ld and "
             "%ld. Hint: Task 3.3: a failed EPOLL_CTL_ADD makes the future READY with it.",
             r[0], r[1]);
    EXPECT_EMPTY(lp, "after the misbehaving peers");
    close(p[0]);
    close(p[1]);
    aio_loop_free(lp);
}
