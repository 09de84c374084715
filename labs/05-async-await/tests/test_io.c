/*
 * test_io.c - epoll, the I/O futures (Task 3) and the echo state machines
 * (Task 7) on 1,000 clients.
 */
#include "aio_test.h"
#include "aio_after.h"

TL_TEST(read_waits_in_epoll_for_data, 5, 20, "io")
{
    int p[2];
    make_pipe(p);
    struct aio_loop *lp = loop_new();
    char buf[64] = {0};
    long rres = -1, wres = -1;
    spawn(lp, "reader", NEED(aio_read(lp, p[0], buf, sizeof buf), "aio_read", "Task 3.3"), &rres);
    spawn(lp, "writer", after(lp, 30 * MS, aio_write(lp, p[1], "hello", 5)), &wres);
    RUN(lp, "for a reader and a writer 30 ms later");
    tl_check(rres == 5 && wres == 5 && memcmp(buf, "hello", 5) == 0, "the reader must "
             "wait in epoll and read the 5 bytes written 30 ms later: read result %ld "
             "(%s), buffer \"%.5s\", write result %ld. Hint: Task 3.3: on EAGAIN, arm "
             "the watch and answer PENDING; when woken, try again.", rres,
             rres < 0 ? tl_ename((int)-rres) : "bytes", buf, wres);
    EXPECT_EMPTY(lp, "after the read completed");

    /* A write to a full pipe waits until a reader drains it. */
    static char big[1 << 16];
    while (write(p[1], big, sizeof big) > 0)
        ;
    long wres2 = -1, rres2 = -1;
    spawn(lp, "blocked-writer", NEED(aio_write(lp, p[1], "x", 1), "aio_write", "Task 3.3"), &wres2);
    spawn(lp, "drain", after(lp, 20 * MS, aio_read(lp, p[0], big, sizeof big)), &rres2);
    RUN(lp, "for a writer on a full pipe and a reader 20 ms later");
    tl_check(rres2 > 0 && wres2 == 1, "a write to a full pipe must wait (EPOLLOUT) until "
             "the reader drains it, then write its byte: write result %ld, read result "
             "%ld. Hint: Task 3.3 (a write waits for EPOLLOUT).", wres2, rres2);
    EXPECT_EMPTY(lp, "after the write completed");
    errno = 0;
    tl_check(aio_read(lp, -1, buf, 1) == NULL && errno == EINVAL,
             "aio_read of fd -1 must fail with EINVAL");
    close(p[0]);
    close(p[1]);
    aio_loop_free(lp);
}

/* The driver: clients in waves of `wave` (bounded fds), each wave a join. */
struct driver {
    struct aio_future base;
    struct aio_future *wave_f;
    struct sockaddr_storage addr;
    socklen_t len;
    long clients, started, wave, rounds, ok;
    long res[256];
    struct tl_rng rng;
};

static int driver_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct driver *d = (struct driver *)f;
    for (;;) {
        if (d->wave_f) {
            if (aio_await(d->wave_f, lp) == AIO_PENDING)
                return AIO_PENDING;
            long n = d->wave_f->result;
            aio_future_free(d->wave_f, lp);
            d->wave_f = NULL;
            for (long i = 0; i < n; i++)
                d->ok += d->res[i] == d->rounds;
        }
        if (d->started == d->clients) {
            f->result = d->ok;
            return AIO_READY;
        }
        long n = d->clients - d->started < d->wave ? d->clients - d->started : d->wave;
        struct aio_future *c[256];
        for (long i = 0; i < n; i++) {
            size_t size = 1 + (size_t)tl_rng_below(&d->rng, 700);
            c[i] = aio_echo_client(lp, (struct sockaddr *)&d->addr, d->len, d->rounds, size);
            if (!c[i]) {
                f->result = -1000 - errno;
                return AIO_READY;
            }
            d->res[i] = -1;
        }
        d->started += n;
        d->wave_f = aio_join_all(c, (size_t)n, d->res);
    }
}

static void driver_drop(struct aio_future *f, struct aio_loop *lp)
{
    aio_future_free(((struct driver *)f)->wave_f, lp);
}

static const struct aio_future_ops driver_ops = {"driver", driver_poll, driver_drop};

TL_TEST(echo_thousand_clients, 10, 60, "io echo")
{
    int fds0 = count_fds();
    struct aio_loop *lp = loop_new();
    struct driver *d = calloc(1, sizeof *d);
    d->base.ops = &driver_ops;
    const char *kind;
    int lfd = listen_any(&d->addr, &d->len, &kind);
    d->clients = tl_iters(1000);
    if (d->clients < 100)
        d->clients = 100;
    d->wave = 250;
    d->rounds = 3;
    tl_rng_init(&d->rng, tl_seed());
    long clients = d->clients, sres = -1, dres = -1;
    spawn(lp, "echo-server", NEED(aio_echo_server(lp, lfd, clients), "aio_echo_server",
                                  "Task 7.3"), &sres);
    spawn(lp, "driver", &d->base, &dres);
    RUN(lp, "for an echo server and its clients");
    tl_check(sres == clients && dres == clients, "echo over %s: %ld clients of 3 "
             "round trips each (waves of 250); the server accepted %ld (result), %ld "
             "clients got every reply back intact (want %ld each). Hint: a negative "
             "value is -errno (or -1000-errno when aio_echo_client failed); Tasks "
             "7.1 (session), 7.3 (server), 7.4 (client).", kind, clients, sres, dres,
             clients);
    EXPECT_EMPTY(lp, "after every client and session finished");
    close(lfd);
    aio_loop_free(lp);
    tl_check(count_fds() == fds0, "%d fds open before the loop, %d after it "
             "was freed: a client or session leaked its socket (or the loop its "
             "epoll fd). Hint: Tasks 7.2, 7.5, 1.8.", fds0, count_fds());
}
