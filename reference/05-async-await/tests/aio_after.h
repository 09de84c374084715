/*
 * aio_after.h - a future written in the tests, by hand, as in Task 7:
 *     async def after(ns, fut): await sleep(ns); return await fut
 */
#ifndef AIO_AFTER_H
#define AIO_AFTER_H

struct after_fut {
    struct aio_future base;
    int state;
    struct aio_future *sleep, *fut;
    int64_t ns;
};

static int after_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct after_fut *a = (struct after_fut *)f;
    switch (a->state) {
    case 0:
        a->sleep = aio_sleep(lp, a->ns);
        a->state = 1;
        /* fall through */
    case 1:
        if (aio_await(a->sleep, lp) == AIO_PENDING)
            return AIO_PENDING;
        aio_future_free(a->sleep, lp);
        a->sleep = NULL;
        a->state = 2;
        /* fall through */
    default:
        if (aio_await(a->fut, lp) == AIO_PENDING)
            return AIO_PENDING;
        f->result = a->fut->result;
        return AIO_READY;
    }
}

static void after_drop(struct aio_future *f, struct aio_loop *lp)
{
    struct after_fut *a = (struct after_fut *)f;
    aio_future_free(a->sleep, lp);
    aio_future_free(a->fut, lp);
}

static const struct aio_future_ops after_ops = {"after", after_poll, after_drop};

static inline struct aio_future *after(struct aio_loop *lp, int64_t ns, struct aio_future *fut)
{
    (void)lp;
    tl_check(fut != NULL, "a future constructor returned NULL (errno %s). Hint: Task 3.",
             tl_ename(errno));
    struct after_fut *a = calloc(1, sizeof *a);
    a->base.ops = &after_ops;
    a->fut = fut;
    a->ns = ns;
    return &a->base;
}

#endif
