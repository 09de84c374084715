/*
 * echobench.c - loopback echo round trips on the lab's loop: one
 * aio_echo_server and C aio_echo_client tasks of R rounds of 64 bytes, all
 * in one loop (one thread). ops = C*R round trips, ns = wall time.
 * TCP on 127.0.0.1, port 0 (ephemeral). Every reply is checked by the
 * client (a mismatch fails the run).
 */
#include "aio.h"
#include "bench_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CLIENTS = 50, SIZE = 64 };

int main(void)
{
    long rounds = bench_n(4000, 20);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, len) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &len) != 0 || listen(lfd, 1024) != 0) {
        perror("echobench: listen on 127.0.0.1");
        return 1;
    }
    struct aio_loop *lp = aio_loop_new();
    long res[CLIENTS], sres = -1;
    long long t0 = bench_ns(CLOCK_MONOTONIC);
    if (!lp || aio_spawn(lp, "server", aio_echo_server(lp, lfd, CLIENTS), &sres) < 0) {
        perror("echobench: server");
        return 1;
    }
    for (int i = 0; i < CLIENTS; i++) {
        struct aio_future *c = aio_echo_client(lp, (struct sockaddr *)&a, len, rounds, SIZE);
        if (!c || aio_spawn(lp, "client", c, &res[i]) < 0) {
            perror("echobench: client");
            return 1;
        }
    }
    if (aio_run(lp) != 0) {
        perror("echobench: aio_run");
        return 1;
    }
    long long ns = bench_ns(CLOCK_MONOTONIC) - t0;
    aio_loop_free(lp);
    close(lfd);
    for (int i = 0; i < CLIENTS; i++)
        if (res[i] != rounds) {
            fprintf(stderr, "echobench: client %d ended with %ld, not %ld rounds\n", i, res[i], rounds);
            return 1;
        }
    bench_report(CLIENTS * rounds, ns);
    return 0;
}
