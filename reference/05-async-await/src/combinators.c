/*
 * combinators.c - futures made of futures (Task 6): join_all, select,
 * timeout. Each owns its children and drops the ones it no longer needs
 * at once, so a cancelled branch releases its timers and fds right away.
 */
#include "aio_internal.h"

#include <errno.h>
#include <string.h>

/* A combinator's children: a copy of the caller's array, owned. */
struct multi_fut {
    struct aio_future base;
    struct aio_future **kids; /* kids[i] NULL once freed */
    size_t n;
    size_t left;              /* join_all: children not READY yet */
    long *out;                /* join_all: results[]; select: *value */
};

static void multi_drop(struct aio_future *f, struct aio_loop *lp)
{
    struct multi_fut *m = (struct multi_fut *)f;
#ifdef SOLUTION
    for (size_t i = 0; i < m->n; i++)
        aio_future_free(m->kids[i], lp);
    free(m->kids);
#else
    /* TODO 6.1: free every child still held, then the array. */
    (void)m;
    (void)lp;
#endif
}

static int join_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct multi_fut *m = (struct multi_fut *)f;
#ifdef SOLUTION
    for (size_t i = 0; i < m->n; i++) {
        struct aio_future *k = m->kids[i];
        if (!k || aio_await(k, lp) == AIO_PENDING)
            continue;
        if (m->out)
            m->out[i] = k->result;
        aio_future_free(k, lp);
        m->kids[i] = NULL;
        m->left--;
    }
    if (m->left)
        return AIO_PENDING;
    f->result = (long)m->n;
    return AIO_READY;
#else
    /* TODO 6.2: poll each child still held (aio_await); a READY one: store
     *           its result, free it now, count it. READY (result n) when
     *           none is left. */
    (void)m;
    (void)lp;
    return AIO_PENDING;
#endif
}

static int select_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct multi_fut *m = (struct multi_fut *)f;
#ifdef SOLUTION
    for (size_t i = 0; i < m->n; i++) {
        if (aio_await(m->kids[i], lp) == AIO_PENDING)
            continue;
        if (m->out)
            *m->out = m->kids[i]->result;
        /* the losers are cancelled here, not when select is freed */
        for (size_t j = 0; j < m->n; j++) {
            aio_future_free(m->kids[j], lp);
            m->kids[j] = NULL;
        }
        f->result = (long)i;
        return AIO_READY;
    }
    return AIO_PENDING;
#else
    /* TODO 6.3: poll the children in order; the first READY one wins:
     *           store its value, free ALL children now, result = index. */
    (void)m;
    (void)lp;
    return AIO_PENDING;
#endif
}

static const struct aio_future_ops join_ops = {"join_all", join_poll, multi_drop};
static const struct aio_future_ops select_ops = {"select", select_poll, multi_drop};

static struct aio_future *multi_new(const struct aio_future_ops *ops,
                                    struct aio_future **futs, size_t n, long *out)
{
    struct multi_fut *m = NULL;
    struct aio_future **kids = NULL;
    int bad = n && !futs;
    for (size_t i = 0; !bad && i < n; i++)
        bad = futs[i] == NULL;
    if (!bad) {
        m = calloc(1, sizeof *m);
        kids = calloc(n ? n : 1, sizeof *kids);
    }
    if (!m || !kids) {
        int e = bad ? EINVAL : ENOMEM;
        for (size_t i = 0; futs && i < n; i++)
            aio_future_free(futs[i], NULL);
        free(m);
        free(kids);
        errno = e;
        return NULL;
    }
    if (n)
        memcpy(kids, futs, n * sizeof *kids);
    m->base.ops = ops;
    m->kids = kids;
    m->n = m->left = n;
    m->out = out;
    return &m->base;
}

struct aio_future *aio_join_all(struct aio_future **futs, size_t n, long *results)
{
    return multi_new(&join_ops, futs, n, results);
}

struct aio_future *aio_select(struct aio_future **futs, size_t n, long *value)
{
    if (n == 0) {
        errno = EINVAL;
        return NULL;
    }
    return multi_new(&select_ops, futs, n, value);
}

struct timeout_fut {
    struct aio_future base;
    struct aio_future *inner;  /* owned; NULL once freed */
    struct aio_future *timer;  /* a sleep, made at the first poll */
    int64_t ns;
};

static int timeout_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct timeout_fut *t = (struct timeout_fut *)f;
#ifdef SOLUTION
    if (!t->timer) {
        t->timer = aio_sleep(lp, t->ns);
        if (!t->timer) {
            f->result = -ENOMEM;
            return AIO_READY;
        }
    }
    if (aio_await(t->inner, lp) == AIO_READY)
        f->result = t->inner->result;
    else if (aio_await(t->timer, lp) == AIO_READY)
        f->result = -ETIMEDOUT;
    else
        return AIO_PENDING;
    aio_future_free(t->inner, lp);
    aio_future_free(t->timer, lp);
    t->inner = t->timer = NULL;
    return AIO_READY;
#else
    /* TODO 6.4: at the first poll make the timer (aio_sleep(ns)). Then the
     *           inner future first: READY gives its result; else the timer:
     *           READY gives -ETIMEDOUT. Either way free both now. */
    (void)t;
    (void)lp;
    return AIO_PENDING;
#endif
}

static void timeout_drop(struct aio_future *f, struct aio_loop *lp)
{
    struct timeout_fut *t = (struct timeout_fut *)f;
    aio_future_free(t->inner, lp);
    aio_future_free(t->timer, lp);
}

static const struct aio_future_ops timeout_ops = {"timeout", timeout_poll, timeout_drop};

struct aio_future *aio_timeout(struct aio_loop *lp, struct aio_future *fut, int64_t ns)
{
    (void)lp;
    struct timeout_fut *t = fut ? calloc(1, sizeof *t) : NULL;
    if (!t) {
        int e = fut ? ENOMEM : EINVAL;
        aio_future_free(fut, lp);
        errno = e;
        return NULL;
    }
    t->base.ops = &timeout_ops;
    t->inner = fut;
    t->ns = ns;
    return &t->base;
}
