/*
 * test_netpoll.c - milestone M5: the netpoller (kit-owned).
 *
 * An echo server on loopback (an ephemeral port; the grader gives each
 * test its own network namespace), one G per connection, with ONE P: a G
 * blocked on a socket must park, or the other Gs never run.
 */
#include "gmp_test.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define EC_CLIENTS 8
#define EC_CHUNK 4096
#define EC_ROUNDS 16
static int ec_listen = -1;
static struct sockaddr_in ec_addr;
static atomic_int ec_clients_ok, ec_served;

static void ec_handler(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[EC_CHUNK];
    ssize_t r;
    while ((r = gmp_read(fd, buf, sizeof buf)) > 0)
        if (gmp_write(fd, buf, (size_t)r) != r) {
            G_FAIL("server: gmp_write of %zd echoed bytes failed (errno "
                   "%s). Hint: handout Task 5.1.", r, tl_ename(errno));
            break;
        }
    if (r < 0)
        G_FAIL("server: gmp_read failed (errno %s). Hint: handout Task "
               "5.1.", tl_ename(errno));
    close(fd);
    atomic_fetch_add(&ec_served, 1);
}

static void ec_server(void *arg)
{
    (void)arg;
    for (int i = 0; i < EC_CLIENTS; i++) {
        int c = gmp_accept(ec_listen, NULL, NULL);
        if (c < 0) {
            G_FAIL("server: gmp_accept failed (errno %s). Hint: handout "
                   "Task 5.1.", tl_ename(errno));
            return;
        }
        if (!gmp_go(ec_handler, (void *)(intptr_t)c)) {
            G_FAIL("gmp_go failed (errno %s)", tl_ename(errno));
            return;
        }
    }
}

static void ec_client(void *arg)
{
    int id = (int)(intptr_t)arg;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0 || gmp_connect(fd, (struct sockaddr *)&ec_addr, sizeof ec_addr)) {
        G_FAIL("client %d: socket or gmp_connect to 127.0.0.1:%d failed "
               "(errno %s). Hint: handout Task 5.1.", id,
               ntohs(ec_addr.sin_port), tl_ename(errno));
        return;
    }
    char out[EC_CHUNK], in[EC_CHUNK];
    for (int k = 0; k < EC_ROUNDS; k++) {
        for (int j = 0; j < EC_CHUNK; j++)
            out[j] = (char)(id * 131 + k * 7 + j);
        if (gmp_write(fd, out, sizeof out) != (ssize_t)sizeof out) {
            G_FAIL("client %d: gmp_write failed (errno %s). Hint: handout "
                   "Task 5.1.", id, tl_ename(errno));
            return;
        }
        size_t got = 0;
        while (got < sizeof in) {
            ssize_t r = gmp_read(fd, in + got, sizeof in - got);
            if (r <= 0) {
                G_FAIL("client %d, round %d: gmp_read returned %zd (errno "
                       "%s) after %zu of %d echoed bytes. Hint: handout "
                       "Task 5.1.", id, k, r, tl_ename(errno), got, EC_CHUNK);
                return;
            }
            got += (size_t)r;
        }
        if (memcmp(in, out, sizeof in) != 0) {
            G_FAIL("client %d, round %d: the echo differs from what was "
                   "sent (bytes lost or mixed between connections). Hint: "
                   "handout Task 5.1.", id, k);
            return;
        }
    }
    shutdown(fd, SHUT_WR);
    ssize_t r = gmp_read(fd, in, 1);
    if (r != 0)
        G_FAIL("client %d: after its shutdown the server should close: "
               "gmp_read returned %zd, expected 0 (EOF)", id, r);
    close(fd);
    atomic_fetch_add(&ec_clients_ok, 1);
}

static void ec_main(void *arg)
{
    (void)arg;
    if (!gmp_go(ec_server, NULL)) {
        G_FAIL("gmp_go failed (errno %s)", tl_ename(errno));
        return;
    }
    go_each(ec_client, EC_CLIENTS);
}

TL_TEST(echo_server_through_the_netpoller, 2, 60, "m5")
{
    ec_listen = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    tl_check(ec_listen >= 0, "socket failed (errno %s)", tl_ename(errno));
    ec_addr.sin_family = AF_INET;
    ec_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ec_addr.sin_port = 0; /* an ephemeral port */
    socklen_t al = sizeof ec_addr;
    tl_check(bind(ec_listen, (struct sockaddr *)&ec_addr, sizeof ec_addr) == 0 &&
             listen(ec_listen, EC_CLIENTS) == 0 &&
             getsockname(ec_listen, (struct sockaddr *)&ec_addr, &al) == 0,
             "bind/listen on 127.0.0.1 failed (errno %s): is loopback up?",
             tl_ename(errno));
    START(1);
    GO(ec_main, NULL);
    AWAIT(atomic_load(&ec_clients_ok) == EC_CLIENTS &&
          atomic_load(&ec_served) == EC_CLIENTS, 30,
          "an echo server and %d clients on ONE P (%d rounds of %d bytes "
          "each): after 30 s %d clients were done and %d connections "
          "served. With one P, a G whose socket would block (EAGAIN) must "
          "park until epoll says the fd is ready, and an idle M must wait "
          "in epoll_wait (or poll it) rather than only on its condvar. "
          "Hint: handout Tasks 5.1 and 5.2.", EC_CLIENTS, EC_ROUNDS,
          EC_CHUNK, atomic_load(&ec_clients_ok), atomic_load(&ec_served));
    struct gmp_stats s;
    STATS(s);
    FINISH("echo_server_through_the_netpoller");
    close(ec_listen);
    tl_check(s.polls > 0, "the echo went through but gmp_stats counts %lu "
             "netpolls that readied a G; expected > 0. Hint: handout Task "
             "5.2.", s.polls);
}

/* ------------------------------------------------------------------ */
static int rp_pipe[2] = {-1, -1};
static atomic_int rp_step, rp_slept;
static char rp_buf[16];

static void rp_sleeper(void *arg)
{
    (void)arg;
    gmp_sleep(30 * 1000000LL);
    atomic_store(&rp_slept, 1);
}

/* The edges first, then a read that parks while the M has nothing else. */
static void rp_reader(void *arg)
{
    (void)arg;
    gmp_sleep(0); /* a yield, not a timer */
    if (gmp_write(-1, "x", 1) != -1 || errno != EBADF)
        G_FAIL("gmp_write(-1, ...) must fail as write(2) does, with EBADF "
               "(errno %s). Hint: handout Task 5.1.", tl_ename(errno));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int rc = gmp_connect(s, (struct sockaddr *)&a, sizeof a); /* port 0 */
    if (rc != -1)
        G_FAIL("gmp_connect to 127.0.0.1 port 0 (nobody listens) returned "
               "%d, expected -1 (errno ECONNREFUSED from connect or from "
               "SO_ERROR). Hint: handout Task 5.1.", rc);
    close(s);
    if (!gmp_go(rp_sleeper, NULL)) {
        G_FAIL("gmp_go failed (errno %s)", tl_ename(errno));
        return;
    }
    atomic_store(&rp_step, 1);
    ssize_t r = gmp_read(rp_pipe[0], rp_buf, sizeof rp_buf - 1);
    if (r != 5 || memcmp(rp_buf, "hello", 5) != 0) {
        G_FAIL("gmp_read on a pipe returned %zd (errno %s), expected the 5 "
               "bytes \"hello\" the test thread wrote. Hint: handout Task "
               "5.1.", r, tl_ename(errno));
        return;
    }
    atomic_store(&rp_step, 2);
    r = gmp_read(rp_pipe[0], rp_buf, sizeof rp_buf - 1);
    if (r != 0)
        G_FAIL("gmp_read on a pipe whose write end was closed returned %zd "
               "(errno %s), expected 0 (EOF: epoll reports the hangup). "
               "Hint: handout Task 5.1.", r, tl_ename(errno));
    atomic_store(&rp_step, 3);
}

TL_TEST(idle_m_waits_in_epoll, 1, 30, "m5")
{
    tl_check(pipe2(rp_pipe, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2 failed "
             "(errno %s)", tl_ename(errno));
    START(1);
    GO(rp_reader, NULL);
    /* the reader is parked on the pipe and the sleeper on a timer: the
       only M must wake for the timer although it waits for the fd */
    AWAIT(atomic_load(&rp_slept), 20,
          "with 1 P, one G parked in gmp_read on an empty pipe and another "
          "in gmp_sleep(30 ms): after 20 s the sleeper had not woken (step "
          "%d). An M blocked in epoll_wait must not wait past the earliest "
          "timer. Hint: handout Task 5.2.", atomic_load(&rp_step));
    ssize_t w = write(rp_pipe[1], "hello", 5);
    tl_check(w == 5, "write to the pipe failed (errno %s)", tl_ename(errno));
    AWAIT(atomic_load(&rp_step) >= 2, 20,
          "the test thread (no M) wrote \"hello\" on a pipe a G waits on "
          "in gmp_read, and after 20 s the G had not woken: with nothing "
          "to run, an M must block in epoll_wait (not only on its "
          "condvar), so that a ready fd wakes it. Hint: handout Task 5.2.");
    close(rp_pipe[1]);
    AWAIT(atomic_load(&rp_step) == 3, 20,
          "the write end of the pipe was closed while a G waited in "
          "gmp_read: after 20 s it had not returned 0. Hint: handout Task "
          "5.2.");
    FINISH("idle_m_waits_in_epoll");
    close(rp_pipe[0]);
    errno = 0;
    gmp_chan *late = gmp_after(1);
    tl_check(late == NULL && errno == ESRCH, "gmp_after with no runtime up "
             "returned %p (errno %s), expected NULL with ESRCH. Hint: "
             "handout Task 4.3.", (void *)late, tl_ename(errno));
}
