/*
 * tcp_futs.h - the echo server and client as hand-written state machines
 * (kit-owned; used by the TCP tests and the benchmark's shape).
 */
#ifndef TCP_FUTS_H
#define TCP_FUTS_H

#include "rt_test.h"

/* One accepted connection: read what comes, write it back, until EOF. */
struct echo_conn {
    struct rt_future f;
    struct rt_tcp *s;
    int state;          /* 0 reading, 1 writing */
    char buf[512];
    ssize_t have, sent;
};

static int echo_conn_poll(struct rt_future *f, struct rt_context *cx)
{
    struct echo_conn *c = (struct echo_conn *)f;
    for (;;) {
        ssize_t r;
        if (c->state == 0) {
            if (rt_tcp_poll_read(c->s, cx, c->buf, sizeof c->buf, &r) == RT_PENDING)
                return RT_PENDING;
            if (r <= 0) {
                f->output = r;
                return RT_READY;
            }
            c->have = r;
            c->sent = 0;
            c->state = 1;
        }
        if (rt_tcp_poll_write(c->s, cx, c->buf + c->sent, (size_t)(c->have - c->sent), &r) ==
            RT_PENDING)
            return RT_PENDING;
        if (r < 0) {
            f->output = r;
            return RT_READY;
        }
        c->sent += r;
        if (c->sent == c->have)
            c->state = 0;
    }
}

static void echo_conn_drop(struct rt_future *f)
{
    struct echo_conn *c = (struct echo_conn *)f;
    rt_tcp_close(c->s);
    free(c);
}

/* Accepts forever (until the runtime drops it), one echo task per peer. */
struct echo_server {
    struct rt_future f;
    struct rt_runtime *rt;
    struct rt_tcp *l;
    atomic_int accepted;
    atomic_int polls;
};

static int echo_server_poll(struct rt_future *f, struct rt_context *cx)
{
    struct echo_server *sv = (struct echo_server *)f;
    atomic_fetch_add(&sv->polls, 1);
    for (;;) {
        struct rt_tcp *c = NULL;
        int err = 0;
        if (rt_tcp_poll_accept(sv->l, cx, &c, &err) == RT_PENDING)
            return RT_PENDING;
        if (err) {
            tl_fb_fail(&fb, "rt_tcp_poll_accept failed: %s. Hint: Task 6.", tl_ename(err));
            f->output = -err;
            return RT_READY;
        }
        atomic_fetch_add(&sv->accepted, 1);
        struct echo_conn *ec = calloc(1, sizeof *ec);
        ec->f.poll = echo_conn_poll;
        ec->f.drop = echo_conn_drop;
        ec->s = c;
        struct rt_join *j = rt_spawn(sv->rt, &ec->f);
        if (j)
            rt_join_detach(j);
    }
}

static void echo_server_drop(struct rt_future *f)
{
    struct echo_server *sv = (struct echo_server *)f;
    rt_tcp_close(sv->l);
}

/* Connects, then `rounds` times writes msg_len bytes and reads them back. */
struct echo_client {
    struct rt_future f;
    struct rt_runtime *rt;
    uint16_t port;
    int rounds, msg_len;
    unsigned seed;
    struct rt_tcp *s;
    int state, round;
    ssize_t off;
    char out[256], in[256];
};

static int echo_client_poll(struct rt_future *f, struct rt_context *cx)
{
    struct echo_client *c = (struct echo_client *)f;
    ssize_t r;
    int err;
    for (;;) {
        switch (c->state) {
        case 0:
            err = rt_tcp_connect(c->rt, c->port, &c->s);
            if (err) {
                f->output = -err;
                return RT_READY;
            }
            c->state = 1;
            /* fall through */
        case 1:
            if (rt_tcp_poll_connect(c->s, cx, &err) == RT_PENDING)
                return RT_PENDING;
            if (err) {
                f->output = -err;
                return RT_READY;
            }
            c->state = 2;
            c->round = 0;
            /* fall through */
        case 2: /* start a round */
            if (c->round == c->rounds) {
                f->output = 0;
                return RT_READY;
            }
            for (int i = 0; i < c->msg_len; i++)
                c->out[i] = (char)(c->seed * 31u + (unsigned)c->round * 7u + (unsigned)i);
            c->off = 0;
            c->state = 3;
            /* fall through */
        case 3:
            while (c->off < c->msg_len) {
                if (rt_tcp_poll_write(c->s, cx, c->out + c->off, (size_t)(c->msg_len - c->off),
                                      &r) == RT_PENDING)
                    return RT_PENDING;
                if (r < 0) {
                    f->output = r;
                    return RT_READY;
                }
                c->off += r;
            }
            c->off = 0;
            c->state = 4;
            /* fall through */
        case 4:
            while (c->off < c->msg_len) {
                if (rt_tcp_poll_read(c->s, cx, c->in + c->off, (size_t)(c->msg_len - c->off),
                                     &r) == RT_PENDING)
                    return RT_PENDING;
                if (r <= 0) {
                    f->output = r < 0 ? r : -1000; /* -1000: early EOF */
                    return RT_READY;
                }
                c->off += r;
            }
            if (memcmp(c->in, c->out, (size_t)c->msg_len)) {
                f->output = -2000; /* wrong bytes */
                return RT_READY;
            }
            c->round++;
            c->state = 2;
            break;
        }
    }
}

static void echo_client_drop(struct rt_future *f)
{
    struct echo_client *c = (struct echo_client *)f;
    if (c->s)
        rt_tcp_close(c->s);
}

#endif
