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

TL_TEST(echo_server_through_the_netpoller, 3, 60, "m5")
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
