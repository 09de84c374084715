/*
 * echo.c - three async functions compiled by hand (Task 7). Each is the
 * state machine a compiler makes of an `async def`: the locals that live
 * across an `await` move into the struct, every `await` becomes a state,
 * and poll() is a switch that resumes at the state it stopped in.
 */
#include "aio_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Take a finished child's result and free it. */
static long take(struct aio_future **io, struct aio_loop *lp)
{
    long r = (*io)->result;
    aio_future_free(*io, lp);
    *io = NULL;
    return r;
}

/* ------------------------------------------------------------------ */
/* echo_session                                                        */
/* ------------------------------------------------------------------ */

enum { ES_READ, ES_READING, ES_WRITE, ES_WRITING };

struct echo_session {
    struct aio_future base;
    int state;
    int fd;                 /* ours: closed by drop */
    struct aio_future *io;  /* the read or write being awaited, or NULL */
    size_t n, off;          /* bytes in buf, bytes of them written back */
    long total;
    char buf[AIO_ECHO_MAX];
};

static int session_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct echo_session *s = (struct echo_session *)f;
#ifdef SOLUTION
    long r;
    for (;;) {
        switch (s->state) {
        case ES_READ:
            s->io = aio_read(lp, s->fd, s->buf, sizeof s->buf);
            if (!s->io) {
                f->result = -ENOMEM;
                return AIO_READY;
            }
            s->state = ES_READING;
            /* fall through */
        case ES_READING:
            if (aio_await(s->io, lp) == AIO_PENDING)
                return AIO_PENDING;
            r = take(&s->io, lp);
            if (r <= 0) {
                f->result = r < 0 ? r : s->total;
                return AIO_READY;
            }
            s->n = (size_t)r;
            s->off = 0;
            s->state = ES_WRITE;
            break;
        case ES_WRITE:
            s->io = aio_write(lp, s->fd, s->buf + s->off, s->n - s->off);
            if (!s->io) {
                f->result = -ENOMEM;
                return AIO_READY;
            }
            s->state = ES_WRITING;
            /* fall through */
        default: /* ES_WRITING */
            if (aio_await(s->io, lp) == AIO_PENDING)
                return AIO_PENDING;
            r = take(&s->io, lp);
            if (r < 0) {
                f->result = r;
                return AIO_READY;
            }
            s->off += (size_t)r;
            s->total += r;
            s->state = s->off < s->n ? ES_WRITE : ES_READ;
            break;
        }
    }
#else
    /* TODO 7.1: the state machine of echo_session (handout, "From async
     *           def to a switch"): READ makes aio_read, READING awaits it
     *           (0: READY with total; < 0: READY with it), WRITE makes
     *           aio_write of what is left, WRITING awaits it and goes back
     *           to WRITE until all n bytes are out, then to READ. */
    (void)s;
    (void)lp;
    (void)take;
    f->result = -ENOSYS;
    return AIO_READY;
#endif
}

static void session_drop(struct aio_future *f, struct aio_loop *lp)
{
    struct echo_session *s = (struct echo_session *)f;
#ifdef SOLUTION
    aio_future_free(s->io, lp);
    s->io = NULL;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
#else
    /* TODO 7.2: free the awaited child (if any), close the fd. */
    (void)s;
    (void)lp;
#endif
}

static const struct aio_future_ops session_ops = {"echo_session", session_poll, session_drop};

struct aio_future *aio_echo_session(struct aio_loop *lp, int fd)
{
    (void)lp;
    if (fd < 0) {
        errno = EINVAL;
        return NULL;
    }
    struct echo_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base.ops = &session_ops;
    s->fd = fd;
    return &s->base;
}

/* ------------------------------------------------------------------ */
/* echo_server                                                         */
/* ------------------------------------------------------------------ */

struct echo_server {
    struct aio_future base;
    int lfd;                /* the caller's: never closed here */
    long want, got;
    struct aio_future *io;  /* the accept being awaited, or NULL */
};

static int server_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct echo_server *s = (struct echo_server *)f;
#ifdef SOLUTION
    while (s->got < s->want) {
        if (!s->io) {
            s->io = aio_accept(lp, s->lfd);
            if (!s->io) {
                f->result = -ENOMEM;
                return AIO_READY;
            }
        }
        if (aio_await(s->io, lp) == AIO_PENDING)
            return AIO_PENDING;
        long c = take(&s->io, lp);
        if (c < 0) {
            f->result = c;
            return AIO_READY;
        }
        struct aio_future *sess = aio_echo_session(lp, (int)c);
        if (!sess) {
            close((int)c);
            f->result = -ENOMEM;
            return AIO_READY;
        }
        if (aio_spawn(lp, "echo-session", sess, NULL) < 0) {
            f->result = -ENOMEM;
            return AIO_READY;
        }
        s->got++;
    }
    f->result = s->want;
    return AIO_READY;
#else
    /* TODO 7.3: while fewer than `want` are accepted: make (if needed) and
     *           await an aio_accept; spawn an "echo-session" task for each
     *           new fd. READY with want, or with accept's -errno. */
    (void)s;
    (void)lp;
    f->result = -ENOSYS;
    return AIO_READY;
#endif
}

static void server_drop(struct aio_future *f, struct aio_loop *lp)
{
    struct echo_server *s = (struct echo_server *)f;
    aio_future_free(s->io, lp);
    s->io = NULL;
}

static const struct aio_future_ops server_ops = {"echo_server", server_poll, server_drop};

struct aio_future *aio_echo_server(struct aio_loop *lp, int listen_fd, long n)
{
    (void)lp;
    if (listen_fd < 0 || n < 0) {
        errno = EINVAL;
        return NULL;
    }
    struct echo_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base.ops = &server_ops;
    s->lfd = listen_fd;
    s->want = n;
    return &s->base;
}

/* ------------------------------------------------------------------ */
/* echo_client                                                         */
/* ------------------------------------------------------------------ */

enum { EC_CONNECTING, EC_SEND, EC_SENDING, EC_RECV, EC_RECEIVING };

struct echo_client {
    struct aio_future base;
    int state;
    int fd;                 /* ours once connected: closed by drop */
    struct aio_future *io;  /* the connect, write or read awaited */
    long rounds, r;         /* rounds to do, rounds done */
    size_t size, off;       /* message size; bytes sent / received so far */
    char msg[AIO_ECHO_MAX], got[AIO_ECHO_MAX];
};

/* The message of round r: every byte depends on r and its position. */
static void fill(char *msg, size_t size, long r)
{
    for (size_t i = 0; i < size; i++)
        msg[i] = (char)('a' + (r * 7 + (long)i) % 26);
}

static int client_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct echo_client *c = (struct echo_client *)f;
#ifdef SOLUTION
    long r;
    for (;;) {
        switch (c->state) {
        case EC_CONNECTING:
            if (aio_await(c->io, lp) == AIO_PENDING)
                return AIO_PENDING;
            r = take(&c->io, lp);
            if (r < 0)
                goto out;
            c->fd = (int)r;
            c->state = EC_SEND;
            break;
        case EC_SEND:
            if (c->r == c->rounds) {
                r = c->rounds;
                goto out;
            }
            fill(c->msg, c->size, c->r);
            c->off = 0;
            c->state = EC_SENDING;
            break;
        case EC_SENDING:
            if (!c->io && !(c->io = aio_write(lp, c->fd, c->msg + c->off, c->size - c->off))) {
                r = -ENOMEM;
                goto out;
            }
            if (aio_await(c->io, lp) == AIO_PENDING)
                return AIO_PENDING;
            r = take(&c->io, lp);
            if (r < 0)
                goto out;
            c->off += (size_t)r;
            if (c->off == c->size) {
                c->off = 0;
                c->state = EC_RECEIVING;
            }
            break;
        default: /* EC_RECEIVING */
            if (!c->io && !(c->io = aio_read(lp, c->fd, c->got + c->off, c->size - c->off))) {
                r = -ENOMEM;
                goto out;
            }
            if (aio_await(c->io, lp) == AIO_PENDING)
                return AIO_PENDING;
            r = take(&c->io, lp);
            if (r <= 0) {
                r = r < 0 ? r : -EPROTO; /* EOF before the whole reply */
                goto out;
            }
            c->off += (size_t)r;
            if (c->off < c->size)
                break;
            if (memcmp(c->msg, c->got, c->size) != 0) {
                r = -EPROTO;
                goto out;
            }
            c->r++;
            c->state = EC_SEND;
            break;
        }
    }
out:
    f->result = r;
    return AIO_READY;
#else
    /* TODO 7.4: CONNECTING awaits the aio_connect made by aio_echo_client
     *           (the fd is then ours); SEND fills round r's message (fill)
     *           or ends with `rounds`; SENDING writes until all size bytes
     *           are out; RECEIVING reads until size bytes are in (EOF:
     *           -EPROTO), compares (mismatch: -EPROTO), next round. */
    (void)c;
    (void)lp;
    (void)fill;
    f->result = -ENOSYS;
    return AIO_READY;
#endif
}

static void client_drop(struct aio_future *f, struct aio_loop *lp)
{
    struct echo_client *c = (struct echo_client *)f;
#ifdef SOLUTION
    aio_future_free(c->io, lp); /* a pending connect closes its socket */
    c->io = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
#else
    /* TODO 7.5: free the awaited child (a connect closes its own socket),
     *           close the fd if connected. */
    (void)c;
    (void)lp;
#endif
}

static const struct aio_future_ops client_ops = {"echo_client", client_poll, client_drop};

struct aio_future *aio_echo_client(struct aio_loop *lp, const struct sockaddr *addr,
                                   socklen_t len, long rounds, size_t size)
{
    if (rounds < 0 || size < 1 || size > AIO_ECHO_MAX) {
        errno = EINVAL;
        return NULL;
    }
    struct echo_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->io = aio_connect(lp, addr, len);
    if (!c->io) {
        int e = errno;
        free(c);
        errno = e;
        return NULL;
    }
    c->base.ops = &client_ops;
    c->fd = -1;
    c->rounds = rounds;
    c->size = size;
    return &c->base;
}
