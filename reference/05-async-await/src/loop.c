/*
 * loop.c - the event loop: tasks and the ready queue (Task 1), the timer
 * heap and sleeps (Task 2), epoll and the I/O futures (Task 3),
 * cancellation (Task 4), the watchdog (Task 5).
 */

#include "aio_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

int64_t aio_now(struct aio_loop *lp)
{
    (void)lp;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ================================================================== */
/* Task 1: the loop, tasks, the ready queue                            */
/* ================================================================== */

struct aio_loop *aio_loop_new(void)
{
#ifdef SOLUTION
    struct aio_loop *lp = calloc(1, sizeof *lp);
    if (!lp)
        return NULL;
    lp->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lp->epfd < 0) {
        int e = errno;
        free(lp);
        errno = e;
        return NULL;
    }
    lp->next_id = 1;
    return lp;
#else
    /* TODO 1.1: calloc the loop, epoll_create1(EPOLL_CLOEXEC) (on failure
     *           free and return NULL keeping errno), next_id = 1. */
    errno = ENOSYS;
    return NULL;
#endif
}

void aio_wake(struct aio_loop *lp, struct aio_task *t)
{
#ifdef SOLUTION
    if (t->queued)
        return; /* woken twice before its poll: polled once */
    t->queued = 1;
    t->rnext = NULL;
    t->rprev = lp->rtail;
    if (lp->rtail)
        lp->rtail->rnext = t;
    else
        lp->rhead = t;
    lp->rtail = t;
#else
    /* TODO 1.2: append t at the tail of the ready queue, unless it is
     *           queued already (a task is polled ONCE per wake-up round). */
    (void)lp;
    (void)t;
#endif
}

__attribute__((unused)) static void unqueue(struct aio_loop *lp, struct aio_task *t)
{
#ifdef SOLUTION
    if (!t->queued)
        return;
    if (t->rprev)
        t->rprev->rnext = t->rnext;
    else
        lp->rhead = t->rnext;
    if (t->rnext)
        t->rnext->rprev = t->rprev;
    else
        lp->rtail = t->rprev;
    t->queued = 0;
#else
    /* TODO 1.3: unlink t from the ready queue if it is on it. */
    (void)lp;
    (void)t;
#endif
}

long aio_spawn(struct aio_loop *lp, const char *name, struct aio_future *fut,
               long *result)
{
#ifdef SOLUTION
    if (!lp || !fut || !name) {
        aio_future_free(fut, lp);
        errno = EINVAL;
        return -1;
    }
    struct aio_task *t = calloc(1, sizeof *t);
    if (!t) {
        aio_future_free(fut, lp);
        errno = ENOMEM;
        return -1;
    }
    t->id = lp->next_id++;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->fut = fut;
    t->result = result;
    t->next = lp->tasks;
    if (lp->tasks)
        lp->tasks->prev = t;
    lp->tasks = t;
    lp->ntasks++;
    aio_wake(lp, t);
    return t->id;
#else
    /* TODO 1.4: check the arguments (EINVAL; drop+free fut on any error),
     *           calloc a task, give it the next id, copy the name, link it
     *           into lp->tasks, count it and wake it (queue it). */
    aio_future_free(fut, lp);
    errno = ENOSYS;
    return -1;
#endif
}

/* The task's future is READY (or cancelled): store the result, release
 * the future and the task. */
static void task_end(struct aio_loop *lp, struct aio_task *t, long result)
{
#ifdef SOLUTION
    unqueue(lp, t);
    if (t->result)
        *t->result = result;
    aio_future_free(t->fut, lp);
    if (t->prev)
        t->prev->next = t->next;
    else
        lp->tasks = t->next;
    if (t->next)
        t->next->prev = t->prev;
    lp->ntasks--;
    free(t);
#else
    /* TODO 1.5: off the ready queue, store the result, free the future
     *           (aio_future_free), unlink the task, count it, free it. */
    (void)lp;
    (void)t;
    (void)result;
#endif
}

void aio_future_free(struct aio_future *f, struct aio_loop *lp)
{
    if (!f)
        return;
    f->ops->drop(f, lp);
    free(f);
}

int aio_await(struct aio_future *child, struct aio_loop *lp)
{
#ifdef SOLUTION
    if (child->done)
        return AIO_READY;
    if (child->ops->poll(child, lp) == AIO_PENDING)
        return AIO_PENDING;
    child->done = 1;
    return AIO_READY;
#else
    /* TODO 1.6: poll child unless done; mark it done when READY. */
    (void)child;
    (void)lp;
    return AIO_PENDING;
#endif
}

void aio_stats(struct aio_loop *lp, struct aio_stats *out)
{
    out->tasks = lp->ntasks;
    out->timers = lp->nheap;
    out->watches = lp->nwatches;
    out->polls = lp->polls;
}

/* ================================================================== */
/* Task 2: the timer heap                                              */
/* ================================================================== */

#ifdef SOLUTION
/* a fires before b */
static int before(const struct aio_timer *a, const struct aio_timer *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return a->seq < b->seq;
}

static void heap_set(struct aio_loop *lp, long i, struct aio_timer *tm)
{
    lp->heap[i] = tm;
    tm->idx = i;
}

static void sift_up(struct aio_loop *lp, long i)
{
    struct aio_timer *tm = lp->heap[i];
    while (i > 0) {
        long parent = (i - 1) / 2;
        if (!before(tm, lp->heap[parent]))
            break;
        heap_set(lp, i, lp->heap[parent]);
        i = parent;
    }
    heap_set(lp, i, tm);
}

static void sift_down(struct aio_loop *lp, long i)
{
    struct aio_timer *tm = lp->heap[i];
    for (;;) {
        long c = 2 * i + 1;
        if (c >= lp->nheap)
            break;
        if (c + 1 < lp->nheap && before(lp->heap[c + 1], lp->heap[c]))
            c++;
        if (!before(lp->heap[c], tm))
            break;
        heap_set(lp, i, lp->heap[c]);
        i = c;
    }
    heap_set(lp, i, tm);
}
#endif

void aio_timer_arm(struct aio_loop *lp, struct aio_timer *tm, int64_t deadline)
{
#ifdef SOLUTION
    if (tm->idx >= 0)
        return;
    if (lp->nheap == lp->cap) {
        long cap = lp->cap ? 2 * lp->cap : 64;
        struct aio_timer **h = realloc(lp->heap, (size_t)cap * sizeof *h);
        if (!h)
            AIO_PANIC("out of memory growing the timer heap to %ld", cap);
        lp->heap = h;
        lp->cap = cap;
    }
    tm->deadline = deadline;
    tm->seq = lp->timer_seq++;
    tm->task = lp->current;
    AIO_ASSERT(tm->task != NULL); /* armed from a task's poll only */
    heap_set(lp, lp->nheap++, tm);
    sift_up(lp, tm->idx);
#else
    /* TODO 2.1: unless armed (idx >= 0): grow the heap if full, set the
     *           deadline, the next seq and task = lp->current, put it at
     *           the end and sift it up. */
    (void)lp;
    (void)tm;
    (void)deadline;
#endif
}

void aio_timer_disarm(struct aio_loop *lp, struct aio_timer *tm)
{
#ifdef SOLUTION
    long i = tm->idx;
    if (i < 0)
        return;
    AIO_ASSERT(i < lp->nheap && lp->heap[i] == tm);
    tm->idx = -1;
    struct aio_timer *last = lp->heap[--lp->nheap];
    if (last == tm)
        return;
    heap_set(lp, i, last);
    sift_up(lp, i);
    sift_down(lp, last->idx);
#else
    /* TODO 2.2: if armed, take it out: move the last timer into its slot
     *           and restore the heap order (up or down); idx = -1. */
    (void)lp;
    (void)tm;
#endif
}

/* Wake the task of every timer whose deadline has come, in heap order. */
static void fire_timers(struct aio_loop *lp, int64_t now)
{
#ifdef SOLUTION
    while (lp->nheap > 0 && lp->heap[0]->deadline <= now) {
        struct aio_timer *tm = lp->heap[0];
        aio_timer_disarm(lp, tm);
        aio_wake(lp, tm->task);
    }
#else
    /* TODO 2.3: while the earliest timer is due: take it out of the heap
     *           and wake its task. */
    (void)lp;
    (void)now;
#endif
}

struct sleep_fut {
    struct aio_future base;
    struct aio_timer tm;
};

static int sleep_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct sleep_fut *s = (struct sleep_fut *)f;
#ifdef SOLUTION
    if (aio_now(lp) >= s->tm.deadline) {
        aio_timer_disarm(lp, &s->tm);
        f->result = 0;
        return AIO_READY;
    }
    aio_timer_arm(lp, &s->tm, s->tm.deadline);
    return AIO_PENDING;
#else
    /* TODO 2.4: READY (result 0) once the deadline has come (disarm the
     *           timer); else arm it and answer PENDING. */
    (void)s;
    (void)lp;
    return AIO_PENDING;
#endif
}

static void sleep_drop(struct aio_future *f, struct aio_loop *lp)
{
    aio_timer_disarm(lp, &((struct sleep_fut *)f)->tm);
}

static const struct aio_future_ops sleep_ops = {"sleep", sleep_poll, sleep_drop};

struct aio_future *aio_sleep_until(struct aio_loop *lp, int64_t deadline_ns)
{
    (void)lp;
    struct sleep_fut *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base.ops = &sleep_ops;
    s->tm.deadline = deadline_ns;
    s->tm.idx = -1;
    return &s->base;
}

struct aio_future *aio_sleep(struct aio_loop *lp, int64_t ns)
{
    return aio_sleep_until(lp, aio_now(lp) + ns);
}

/* ================================================================== */
/* Task 3: epoll and the I/O futures                                   */
/* ================================================================== */

int aio_watch_arm(struct aio_loop *lp, struct aio_watch *w)
{
#ifdef SOLUTION
    w->task = lp->current;
    AIO_ASSERT(w->task != NULL);
    if (w->registered)
        return 0;
    struct epoll_event ev = {.events = w->events, .data.ptr = w};
    if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, w->fd, &ev) != 0)
        return -errno;
    w->registered = 1;
    lp->nwatches++;
    return 0;
#else
    /* TODO 3.1: task = lp->current; unless registered, EPOLL_CTL_ADD the
     *           fd with w->events and data.ptr = w; count it. 0 or -errno. */
    (void)lp;
    (void)w;
    return -ENOSYS;
#endif
}

void aio_watch_disarm(struct aio_loop *lp, struct aio_watch *w)
{
#ifdef SOLUTION
    if (!w->registered)
        return;
    if (epoll_ctl(lp->epfd, EPOLL_CTL_DEL, w->fd, NULL) != 0)
        AIO_PANIC("EPOLL_CTL_DEL of fd %d: %s (closed while a future waited on it?)",
                  w->fd, strerror(errno));
    w->registered = 0;
    lp->nwatches--;
#else
    /* TODO 3.2: if registered: EPOLL_CTL_DEL (a failure is a bug: panic),
     *           registered = 0, count it. */
    (void)lp;
    (void)w;
#endif
}

enum io_kind { IO_READ, IO_WRITE, IO_ACCEPT, IO_CONNECT };

struct io_fut {
    struct aio_future base;
    struct aio_watch w;
    enum io_kind kind;
    void *buf;
    size_t n;
    int started;     /* connect: connect(2) was called */
};

__attribute__((unused)) static long io_try(struct io_fut *io)
{
    long r;
    switch (io->kind) {
    case IO_READ:
        r = read(io->w.fd, io->buf, io->n);
        break;
    case IO_WRITE:
        /* a peer that closed must give -EPIPE, not a SIGPIPE that kills
         * the whole loop: send(MSG_NOSIGNAL) on sockets, write otherwise */
        r = send(io->w.fd, io->buf, io->n, MSG_NOSIGNAL);
        if (r < 0 && errno == ENOTSOCK)
            r = write(io->w.fd, io->buf, io->n);
        break;
    case IO_ACCEPT:
        r = accept4(io->w.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        break;
    default: {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(io->w.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            return -errno;
        return err ? -err : io->w.fd;
    }
    }
    return r < 0 ? -errno : r;
}

static int io_poll(struct aio_future *f, struct aio_loop *lp)
{
    struct io_fut *io = (struct io_fut *)f;
#ifdef SOLUTION
    long r;
    if (io->kind == IO_CONNECT && !io->started) {
        io->started = 1;
        r = connect(io->w.fd, (struct sockaddr *)io->buf, (socklen_t)io->n);
        r = r == 0 ? io->w.fd : errno == EINPROGRESS || errno == EAGAIN ? -EAGAIN : -errno;
    } else {
        r = io_try(io);
        if (io->kind == IO_CONNECT && r == -EINPROGRESS)
            r = -EAGAIN;
    }
    if (r == -EAGAIN || r == -EWOULDBLOCK) {
        int e = aio_watch_arm(lp, &io->w);
        if (e == 0)
            return AIO_PENDING;
        r = e;
    }
    aio_watch_disarm(lp, &io->w);
    if (io->kind == IO_CONNECT && r >= 0)
        io->w.fd = -1; /* the caller's now */
    f->result = r;
    return AIO_READY;
#else
    /* TODO 3.3: try the call (io_try; connect: connect(2) the first time,
     *           then SO_ERROR). EAGAIN: arm the watch, PENDING. Otherwise
     *           disarm the watch, result = the call's result, READY. */
    (void)io;
    (void)lp;
    return AIO_PENDING;
#endif
}

static void io_drop(struct aio_future *f, struct aio_loop *lp)
{
    struct io_fut *io = (struct io_fut *)f;
#ifdef SOLUTION
    aio_watch_disarm(lp, &io->w);
    if (io->kind == IO_CONNECT) {
        if (io->w.fd >= 0)
            close(io->w.fd);
        free(io->buf);
    }
#else
    /* TODO 4.1: disarm the watch; a connect future also closes the
     *           socket it made (unless it handed it over) and frees the
     *           address copy. */
    (void)io;
    (void)lp;
#endif
}

static const struct aio_future_ops read_ops = {"read", io_poll, io_drop};
static const struct aio_future_ops write_ops = {"write", io_poll, io_drop};
static const struct aio_future_ops accept_ops = {"accept", io_poll, io_drop};
static const struct aio_future_ops connect_ops = {"connect", io_poll, io_drop};

static struct aio_future *io_new(const struct aio_future_ops *ops, enum io_kind kind,
                                 int fd, uint32_t events, void *buf, size_t n)
{
    if (fd < 0) {
        errno = EINVAL;
        return NULL;
    }
    struct io_fut *io = calloc(1, sizeof *io);
    if (!io)
        return NULL;
    io->base.ops = ops;
    io->kind = kind;
    io->w.fd = fd;
    io->w.events = events;
    io->buf = buf;
    io->n = n;
    return &io->base;
}

struct aio_future *aio_read(struct aio_loop *lp, int fd, void *buf, size_t n)
{
    (void)lp;
    return io_new(&read_ops, IO_READ, fd, EPOLLIN, buf, n);
}

struct aio_future *aio_write(struct aio_loop *lp, int fd, const void *buf, size_t n)
{
    (void)lp;
    return io_new(&write_ops, IO_WRITE, fd, EPOLLOUT, (void *)buf, n);
}

struct aio_future *aio_accept(struct aio_loop *lp, int listen_fd)
{
    (void)lp;
    return io_new(&accept_ops, IO_ACCEPT, listen_fd, EPOLLIN, NULL, 0);
}

struct aio_future *aio_connect(struct aio_loop *lp, const struct sockaddr *addr,
                               socklen_t len)
{
    (void)lp;
    if (!addr || len == 0) {
        errno = EINVAL;
        return NULL;
    }
    void *copy = malloc(len);
    if (!copy)
        return NULL;
    memcpy(copy, addr, len);
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        free(copy);
        errno = e;
        return NULL;
    }
    struct aio_future *f = io_new(&connect_ops, IO_CONNECT, fd, EPOLLOUT, copy, len);
    if (!f) {
        close(fd);
        free(copy);
    }
    return f;
}

/* ================================================================== */
/* Task 4: cancellation; Task 1 (end): running and freeing the loop    */
/* ================================================================== */

int aio_cancel(struct aio_loop *lp, long id)
{
#ifdef SOLUTION
    for (struct aio_task *t = lp->tasks; t; t = t->next) {
        if (t->id != id)
            continue;
        if (t == lp->current) {
            errno = EDEADLK;
            return -1;
        }
        task_end(lp, t, -ECANCELED);
        return 0;
    }
    errno = ESRCH;
    return -1;
#else
    /* TODO 4.2: find the live task with this id (ESRCH if none); a task
     *           may not cancel itself (EDEADLK); end it with -ECANCELED:
     *           its future is dropped and freed, so everything it holds
     *           goes with it. */
    (void)lp;
    (void)id;
    errno = ENOSYS;
    return -1;
#endif
}

void aio_watchdog(struct aio_loop *lp, int64_t threshold_ns, aio_watchdog_fn fn, void *arg)
{
    lp->wd_threshold = threshold_ns;
    lp->wd_fn = fn;
    lp->wd_arg = arg;
}

/* Task 5: report a poll that took too long, naming its task. */
static void watchdog_check(struct aio_loop *lp, struct aio_task *t, int64_t ns)
{
#ifdef SOLUTION
    if (lp->wd_threshold <= 0 || ns <= lp->wd_threshold)
        return;
    if (lp->wd_fn)
        lp->wd_fn(lp->wd_arg, t->name, ns);
    else
        fprintf(stderr, "aio watchdog: task '%s' blocked the loop for %lld ms\n",
                t->name, (long long)(ns / 1000000));
#else
    /* TODO 5.1: when the watchdog is on and ns > threshold: call wd_fn
     *           (or print the line aio.h gives) with the task's name. */
    (void)lp;
    (void)t;
    (void)ns;
#endif
}

int aio_run(struct aio_loop *lp)
{
#ifdef SOLUTION
    struct epoll_event evs[64];
    for (;;) {
        struct aio_task *t;
        while ((t = lp->rhead)) {
            unqueue(lp, t);
            lp->current = t;
            int64_t t0 = aio_now(lp);
            int r = aio_await(t->fut, lp);
            int64_t took = aio_now(lp) - t0;
            lp->current = NULL;
            lp->polls++;
            watchdog_check(lp, t, took);
            if (r == AIO_READY)
                task_end(lp, t, t->fut->result);
        }
        if (lp->ntasks == 0)
            return 0;
        if (lp->nheap == 0 && lp->nwatches == 0) {
            errno = EDEADLK;
            return -1;
        }
        int timeout = -1;
        if (lp->nheap > 0) {
            int64_t wait = lp->heap[0]->deadline - aio_now(lp);
            /* round UP: waking before the deadline would only spin */
            timeout = wait > 0 ? (int)((wait + 999999) / 1000000) : 0;
        }
        int n = epoll_wait(lp->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR)
            return -1;
        for (int i = 0; i < n; i++)
            aio_wake(lp, ((struct aio_watch *)evs[i].data.ptr)->task);
        fire_timers(lp, aio_now(lp));
    }
#else
    /* TODO 1.7 (then 2.5, 3.4, 5.2): loop:
     *   - poll every task on the ready queue, FIFO (unqueue it first, set
     *     lp->current, aio_await its future; READY ends it: task_end);
     *   - no task left: return 0; tasks but no timer and no watch: EDEADLK;
     *   - epoll_wait until the earliest deadline (rounded UP to ms; -1 when
     *     there is no timer), wake the task of each event, fire_timers. */
    (void)lp;
    (void)task_end;
    (void)fire_timers;
    (void)watchdog_check;
    errno = ENOSYS;
    return -1;
#endif
}

void aio_loop_free(struct aio_loop *lp)
{
    if (!lp)
        return;
#ifdef SOLUTION
    while (lp->tasks)
        task_end(lp, lp->tasks, -ECANCELED);
    AIO_ASSERT(lp->nheap == 0 && lp->nwatches == 0);
    free(lp->heap);
    close(lp->epfd);
    free(lp);
#else
    /* TODO 1.8: cancel every task left (task_end with -ECANCELED), free
     *           the heap, close epoll, free the loop. */
    free(lp);
#endif
}
