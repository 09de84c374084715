/*
 * peer_uv_echo.c - the same work as echobench.c on libuv: a TCP echo
 * server and C clients of R rounds of 64 bytes in one uv loop on
 * 127.0.0.1 (ephemeral port); each client checks every reply.
 */
#include "bench_util.h"

#include <string.h>
#include <uv.h>

enum { CLIENTS = 50, SIZE = 64 };

static long rounds, done_rounds, bad, closed;
static uv_loop_t loop;
static uv_tcp_t server;

/* ---- server side: echo what comes in ---- */
struct wreq {
    uv_write_t w;
    char data[65536];
};

static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)h;
    (void)sz;
    static char slab[65536];
    *b = uv_buf_init(slab, sizeof slab);
}

static void free_write(uv_write_t *w, int status)
{
    (void)status;
    free(w);
}

static void srv_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    if (n < 0) {
        uv_close((uv_handle_t *)s, (uv_close_cb)free);
        return;
    }
    if (n == 0)
        return;
    struct wreq *r = malloc(sizeof *r);
    memcpy(r->data, b->base, (size_t)n);
    uv_buf_t out = uv_buf_init(r->data, (unsigned)n);
    uv_write(&r->w, s, &out, 1, free_write);
}

static void on_conn(uv_stream_t *srv, int status)
{
    if (status < 0)
        return;
    uv_tcp_t *c = malloc(sizeof *c);
    uv_tcp_init(&loop, c);
    if (uv_accept(srv, (uv_stream_t *)c) == 0)
        uv_read_start((uv_stream_t *)c, alloc_cb, srv_read);
}

/* ---- client side: write a message, read it back, next round ---- */
struct client {
    uv_tcp_t t;
    uv_connect_t conn;
    uv_write_t w;
    long r;
    size_t got;
    char msg[SIZE], in[SIZE];
};

static void fill(char *m, long r)
{
    for (int i = 0; i < SIZE; i++)
        m[i] = (char)('a' + (r * 7 + i) % 26);
}

static void cl_closed(uv_handle_t *h)
{
    (void)h;
    if (++closed == CLIENTS)
        uv_close((uv_handle_t *)&server, NULL);
}

static void cl_send(struct client *c);

static void cl_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)sz;
    struct client *c = (struct client *)h;
    *b = uv_buf_init(c->in + c->got, (unsigned)(SIZE - c->got));
}

static void cl_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    struct client *c = (struct client *)s;
    if (n < 0) {
        bad++;
        uv_close((uv_handle_t *)s, cl_closed);
        return;
    }
    c->got += (size_t)n;
    if (c->got < SIZE)
        return;
    uv_read_stop(s);
    bad += memcmp(c->in, c->msg, SIZE) != 0;
    done_rounds++;
    if (++c->r == rounds)
        uv_close((uv_handle_t *)s, cl_closed);
    else
        cl_send(c);
}

static void cl_wrote(uv_write_t *w, int status)
{
    struct client *c = (struct client *)w->handle;
    if (status < 0) {
        bad++;
        return;
    }
    c->got = 0;
    uv_read_start((uv_stream_t *)c, cl_alloc, cl_read);
}

static void cl_send(struct client *c)
{
    fill(c->msg, c->r);
    uv_buf_t b = uv_buf_init(c->msg, SIZE);
    uv_write(&c->w, (uv_stream_t *)c, &b, 1, cl_wrote);
}

static void cl_connected(uv_connect_t *req, int status)
{
    struct client *c = (struct client *)req->handle;
    if (status < 0) {
        bad++;
        uv_close((uv_handle_t *)c, cl_closed);
        return;
    }
    cl_send(c);
}

int main(void)
{
    rounds = bench_n(4000, 20);
    uv_loop_init(&loop);
    uv_tcp_init(&loop, &server);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    int len = sizeof a;
    if (uv_tcp_bind(&server, (struct sockaddr *)&a, 0) != 0 ||
        uv_tcp_getsockname(&server, (struct sockaddr *)&a, &len) != 0 ||
        uv_listen((uv_stream_t *)&server, 1024, on_conn) != 0) {
        fprintf(stderr, "peer_uv_echo: listen on 127.0.0.1 failed\n");
        return 1;
    }
    static struct client cl[CLIENTS];
    long long t0 = bench_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < CLIENTS; i++) {
        uv_tcp_init(&loop, &cl[i].t);
        uv_tcp_connect(&cl[i].conn, &cl[i].t, (struct sockaddr *)&a, cl_connected);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    long long ns = bench_ns(CLOCK_MONOTONIC) - t0;
    uv_loop_close(&loop);
    if (bad || done_rounds != CLIENTS * rounds) {
        fprintf(stderr, "peer_uv_echo: %ld of %ld round trips, %ld errors\n", done_rounds,
                CLIENTS * rounds, bad);
        return 1;
    }
    bench_report(CLIENTS * rounds, ns);
    return 0;
}
