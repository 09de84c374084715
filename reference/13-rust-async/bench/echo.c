/*
 * echo.c - benchmark: loopback TCP echo round trips.
 *
 * An echo server task (one task per accepted connection) and CONNS client
 * tasks on one 2-worker runtime; each client sends a 64-byte message and
 * reads it back, ROUNDS times. ops = round trips completed (CONNS *
 * ROUNDS, every byte checked); ns = from the first connect to the last
 * reply. Peer: bench/tokio, the same with tokio::net.
 */
#include "rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG 64

struct conn {
    struct rt_future f;
    struct rt_tcp *s;
    int writing;
    char buf[MSG * 4];
    ssize_t have, sent;
};

static int conn_poll(struct rt_future *f, struct rt_context *cx)
{
    struct conn *c = (struct conn *)f;
    for (;;) {
        ssize_t r;
        if (!c->writing) {
            if (rt_tcp_poll_read(c->s, cx, c->buf, sizeof c->buf, &r) == RT_PENDING)
                return RT_PENDING;
            if (r <= 0) {
                f->output = 0;
                return RT_READY;
            }
            c->have = r;
            c->sent = 0;
            c->writing = 1;
        }
        if (rt_tcp_poll_write(c->s, cx, c->buf + c->sent, (size_t)(c->have - c->sent), &r) ==
            RT_PENDING)
            return RT_PENDING;
        if (r < 0) {
            f->output = 0;
            return RT_READY;
        }
        c->sent += r;
        if (c->sent == c->have)
            c->writing = 0;
    }
}

static void conn_drop(struct rt_future *f)
{
    struct conn *c = (struct conn *)f;
    rt_tcp_close(c->s);
    free(c);
}

struct server {
    struct rt_future f;
    struct rt_runtime *rt;
    struct rt_tcp *l;
};

static int server_poll(struct rt_future *f, struct rt_context *cx)
{
    struct server *s = (struct server *)f;
    for (;;) {
        struct rt_tcp *c;
        int err;
        if (rt_tcp_poll_accept(s->l, cx, &c, &err) == RT_PENDING)
            return RT_PENDING;
        if (err) {
            f->output = -err;
            return RT_READY;
        }
        struct conn *k = calloc(1, sizeof *k);
        k->f.poll = conn_poll;
        k->f.drop = conn_drop;
        k->s = c;
        struct rt_join *j = rt_spawn(s->rt, &k->f);
        if (j)
            rt_join_detach(j);
    }
}

static void server_drop(struct rt_future *f)
{
    rt_tcp_close(((struct server *)f)->l);
}

struct client {
    struct rt_future f;
    struct rt_runtime *rt;
    uint16_t port;
    long rounds, done;
    int state;
    struct rt_tcp *s;
    ssize_t off;
    char out[MSG], in[MSG];
};

static int client_poll(struct rt_future *f, struct rt_context *cx)
{
    struct client *c = (struct client *)f;
    ssize_t r;
    int err;
    for (;;) {
        switch (c->state) {
        case 0:
            if (rt_tcp_poll_connect(c->s, cx, &err) == RT_PENDING)
                return RT_PENDING;
            if (err) {
                f->output = -1;
                return RT_READY;
            }
            c->state = 1;
            /* fall through */
        case 1:
            if (c->done == c->rounds) {
                f->output = c->done;
                return RT_READY;
            }
            memset(c->out, (int)('a' + c->done % 26), MSG);
            c->off = 0;
            c->state = 2;
            /* fall through */
        case 2:
            while (c->off < MSG) {
                if (rt_tcp_poll_write(c->s, cx, c->out + c->off, (size_t)(MSG - c->off), &r) ==
                    RT_PENDING)
                    return RT_PENDING;
                if (r < 0) {
                    f->output = -1;
                    return RT_READY;
                }
                c->off += r;
            }
            c->off = 0;
            c->state = 3;
            /* fall through */
        case 3:
            while (c->off < MSG) {
                if (rt_tcp_poll_read(c->s, cx, c->in + c->off, (size_t)(MSG - c->off), &r) ==
                    RT_PENDING)
                    return RT_PENDING;
                if (r <= 0) {
                    f->output = -1;
                    return RT_READY;
                }
                c->off += r;
            }
            if (memcmp(c->in, c->out, MSG)) {
                f->output = -2;
                return RT_READY;
            }
            c->done++;
            c->state = 1;
        }
    }
}

int main(void)
{
    int quick = getenv("TL_BENCH_QUICK") != NULL;
    enum { CONNS = 50 };
    long rounds = quick ? 20 : 4000;
    struct rt_runtime *rt;
    if (rt_runtime_new(2, &rt)) {
        fprintf(stderr, "echo: rt_runtime_new failed\n");
        return 1;
    }
    static struct server sv;
    sv.f.poll = server_poll;
    sv.f.drop = server_drop;
    sv.rt = rt;
    int rc = rt_tcp_listen(rt, 0, &sv.l);
    if (rc) {
        fprintf(stderr, "echo: listen on 127.0.0.1: %s\n", strerror(rc));
        return 1;
    }
    struct rt_join *js = rt_spawn(rt, &sv.f);
    static struct client cl[CONNS];
    struct rt_join *jc[CONNS];
    uint64_t t0 = rt_now_ns();
    for (int i = 0; i < CONNS; i++) {
        cl[i].f.poll = client_poll;
        cl[i].rt = rt;
        cl[i].rounds = rounds;
        if ((rc = rt_tcp_connect(rt, rt_tcp_port(sv.l), &cl[i].s))) {
            fprintf(stderr, "echo: connect: %s\n", strerror(rc));
            return 1;
        }
        jc[i] = rt_spawn(rt, &cl[i].f);
    }
    long total = 0;
    for (int i = 0; i < CONNS; i++) {
        intptr_t o = 0;
        if (rt_join_wait(jc[i], &o) != RT_READY || o != rounds) {
            fprintf(stderr, "echo: client %d finished %ld of %ld round trips\n", i, (long)o, rounds);
            return 1;
        }
        total += o;
    }
    uint64_t ns = rt_now_ns() - t0;
    for (int i = 0; i < CONNS; i++)
        rt_tcp_close(cl[i].s);
    rt_runtime_free(rt);
    rt_join_detach(js);
    printf("tl-bench ops=%ld ns=%llu\n", total, (unsigned long long)ns);
    return 0;
}
