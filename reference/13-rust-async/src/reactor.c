/*
 * reactor.c - the driver thread: timers (a binary heap) and the epoll
 * reactor, and async TCP on top of it (handout Tasks 5 and 6).
 */
#include "rt_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* ================================================================== */
/* Given: the timer heap                                               */
/* ================================================================== */

/* One registered rt_sleep. All fields: rt->timers->lock. */
struct rt_timer_entry {
    uint64_t deadline;
    size_t idx;              /* position in the heap, or NOT_IN_HEAP */
    struct rt_waker waker;   /* valid when has_waker */
    int has_waker;
    int fired;               /* the driver took it out at its deadline */
};
#define NOT_IN_HEAP ((size_t)-1)

struct rt_timers {
    pthread_mutex_t lock;
    struct rt_timer_entry **heap; /* a min-heap on deadline: lock */
    size_t n, cap;                /* lock */
};

static void heap_swap(struct rt_timers *h, size_t a, size_t b)
{
    struct rt_timer_entry *t = h->heap[a];
    h->heap[a] = h->heap[b];
    h->heap[b] = t;
    h->heap[a]->idx = a;
    h->heap[b]->idx = b;
}

static void heap_up(struct rt_timers *h, size_t i)
{
    while (i && h->heap[(i - 1) / 2]->deadline > h->heap[i]->deadline) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct rt_timers *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->heap[l]->deadline < h->heap[m]->deadline)
            m = l;
        if (r < h->n && h->heap[r]->deadline < h->heap[m]->deadline)
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

/* 0, or ENOMEM. Caller holds h->lock. */
static int heap_push(struct rt_timers *h, struct rt_timer_entry *e)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        struct rt_timer_entry **n = realloc(h->heap, cap * sizeof *n);
        if (!n)
            return ENOMEM;
        h->heap = n;
        h->cap = cap;
    }
    e->idx = h->n;
    h->heap[h->n++] = e;
    heap_up(h, e->idx);
    return 0;
}

/* Caller holds h->lock; e is in the heap. */
static void heap_remove(struct rt_timers *h, struct rt_timer_entry *e)
{
    size_t i = e->idx;
    if (i >= h->n || h->heap[i] != e)
        rt_panic("timer entry %p is not at its heap position %zu", (void *)e, i);
    h->n--;
    if (i != h->n) {
        h->heap[i] = h->heap[h->n];
        h->heap[i]->idx = i;
        heap_down(h, i);
        heap_up(h, i);
    }
    e->idx = NOT_IN_HEAP;
}

/* ================================================================== */
/* Task 5: sleeping                                                    */
/* ================================================================== */

void rt_sleep_init(struct rt_sleep *s, struct rt_runtime *rt, uint64_t ns)
{
    s->rt = rt;
    s->deadline_ns = rt_now_ns() + ns;
    s->entry = NULL;
}

int rt_sleep_poll(struct rt_sleep *s, struct rt_context *cx)
{
#ifdef SOLUTION
    if (!s->entry) {
        if (rt_now_ns() >= s->deadline_ns)
            return RT_READY;
        s->entry = calloc(1, sizeof *s->entry);
        if (!s->entry)
            rt_panic("out of memory for a timer entry");
        s->entry->deadline = s->deadline_ns;
        s->entry->idx = NOT_IN_HEAP;
    }
    struct rt_timers *h = s->rt->timers;
    struct rt_timer_entry *e = s->entry;
    int unpark = 0;
    pthread_mutex_lock(&h->lock);
    if (e->fired || rt_now_ns() >= e->deadline) {
        if (e->idx != NOT_IN_HEAP)
            heap_remove(h, e);
        e->fired = 1;
        int had = e->has_waker;
        struct rt_waker w = e->waker;
        e->has_waker = 0;
        pthread_mutex_unlock(&h->lock);
        if (had)
            rt_waker_drop(w);
        return RT_READY;
    }
    if (e->has_waker && !rt_waker_will_wake(&e->waker, &cx->waker)) {
        rt_waker_drop(e->waker); /* a task never holds this lock while dropping: see handout */
        e->has_waker = 0;
    }
    if (!e->has_waker) {
        e->waker = rt_waker_clone(&cx->waker);
        e->has_waker = 1;
    }
    if (e->idx == NOT_IN_HEAP) {
        if (heap_push(h, e))
            rt_panic("out of memory for the timer heap");
        unpark = e->idx == 0; /* the new earliest: the driver must recompute its timeout */
    }
    pthread_mutex_unlock(&h->lock);
    if (unpark)
        rt_driver_unpark(s->rt);
    return RT_PENDING;
#else
    /* TODO 5.1: past the deadline: RT_READY. Otherwise, on the first poll
     * allocate s->entry; under the timers' lock: fired (or deadline passed
     * meanwhile) -> take it out, drop its waker, RT_READY; else store a
     * clone of cx->waker (replacing a different one), put the entry in the
     * heap if it is not, and if it became the earliest (idx 0) wake the
     * driver (rt_driver_unpark) after unlocking. RT_PENDING. */
    (void)s;
    (void)cx;
    (void)heap_push;
    (void)heap_remove;
    return RT_READY;
#endif
}

void rt_sleep_cancel(struct rt_sleep *s)
{
#ifdef SOLUTION
    struct rt_timer_entry *e = s->entry;
    if (!e)
        return;
    struct rt_timers *h = s->rt->timers;
    pthread_mutex_lock(&h->lock);
    if (e->idx != NOT_IN_HEAP)
        heap_remove(h, e);
    int had = e->has_waker;
    struct rt_waker w = e->waker;
    e->has_waker = 0;
    pthread_mutex_unlock(&h->lock);
    if (had)
        rt_waker_drop(w);
    free(e);
    s->entry = NULL;
#else
    /* TODO 5.2: take the entry out of the heap if it is there, drop its
     * waker (after unlocking), free it. */
    (void)s;
#endif
}

/* The driver, in its loop: fire every timer whose deadline has come.
 * Returns the milliseconds epoll_wait may sleep (-1: no timer). */
static int fire_timers(struct rt_runtime *rt)
{
#ifdef SOLUTION
    struct rt_timers *h = rt->timers;
    for (;;) {
        struct rt_waker batch[64];
        int nb = 0;
        uint64_t now = rt_now_ns();
        int timeout = -1;
        pthread_mutex_lock(&h->lock);
        while (h->n && nb < 64) {
            struct rt_timer_entry *e = h->heap[0];
            if (e->deadline > now) {
                uint64_t ms = (e->deadline - now + 999999) / 1000000;
                timeout = ms > 1000000 ? 1000000 : (int)ms;
                break;
            }
            heap_remove(h, e);
            e->fired = 1;
            if (e->has_waker) {
                batch[nb++] = e->waker;
                e->has_waker = 0;
            }
        }
        int more = h->n && nb == 64;
        pthread_mutex_unlock(&h->lock);
        for (int i = 0; i < nb; i++)
            rt_waker_wake(batch[i]);
        if (!more)
            return timeout;
    }
#else
    /* TODO 5.3: under the lock pop every entry whose deadline <= now, mark
     * it fired and collect its waker; wake them after unlocking. Return
     * the time to the next deadline in ms, rounded UP (never wake early),
     * or -1 when the heap is empty. */
    (void)rt;
    return -1;
#endif
}

/* ================================================================== */
/* Task 6: the reactor                                                 */
/* ================================================================== */

/* One socket registered with epoll (data.ptr = the rt_io). */
struct rt_io {
    int fd;
    struct rt_runtime *rt;
    pthread_mutex_t lock;          /* guards everything below */
    unsigned long rd_seq, wr_seq;  /* readiness events seen per side */
    struct rt_waker rd_waker, wr_waker;
    int has_rd, has_wr;
    struct rt_io *free_next;       /* rt->io_free: io_free_lock */
};

struct rt_tcp {
    struct rt_io *io;
    uint16_t port;
};

void rt_driver_unpark(struct rt_runtime *rt)
{
    uint64_t one = 1;
    ssize_t r = write(rt->evfd, &one, sizeof one);
    (void)r; /* EAGAIN: the counter is already non-zero, the driver will wake */
}

/* Readiness on one registration: count it per side, wake the waiters. */
static void dispatch(struct rt_io *io, uint32_t ev)
{
#ifdef SOLUTION
    int rd = (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    int wr = (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
    struct rt_waker w[2];
    int n = 0;
    pthread_mutex_lock(&io->lock);
    if (rd) {
        io->rd_seq++;
        if (io->has_rd) {
            w[n++] = io->rd_waker;
            io->has_rd = 0;
        }
    }
    if (wr) {
        io->wr_seq++;
        if (io->has_wr) {
            w[n++] = io->wr_waker;
            io->has_wr = 0;
        }
    }
    pthread_mutex_unlock(&io->lock);
    for (int i = 0; i < n; i++)
        rt_waker_wake(w[i]);
#else
    /* TODO 6.2: for the read side (EPOLLIN, EPOLLRDHUP, EPOLLHUP, EPOLLERR)
     * and the write side (EPOLLOUT, EPOLLHUP, EPOLLERR): under io->lock
     * bump the side's sequence number and take its waker; wake after
     * unlocking. */
    (void)io;
    (void)ev;
#endif
}

static void free_closed(struct rt_runtime *rt)
{
    pthread_mutex_lock(&rt->io_free_lock);
    struct rt_io *io = rt->io_free;
    rt->io_free = NULL;
    pthread_mutex_unlock(&rt->io_free_lock);
    while (io) {
        struct rt_io *next = io->free_next;
        pthread_mutex_destroy(&io->lock);
        free(io);
        io = next;
    }
}

static void *driver_main(void *arg)
{
    struct rt_runtime *rt = arg;
    struct epoll_event evs[128];
    while (!atomic_load_explicit(&rt->driver_stop, memory_order_acquire)) {
        /* registrations closed before this point cannot be in the next
         * batch of events: free them now (see rt_tcp_close) */
        free_closed(rt);
        int timeout = fire_timers(rt);
        int n = epoll_wait(rt->epfd, evs, 128, timeout);
        for (int i = 0; i < n; i++) {
            if (!evs[i].data.ptr) {
                uint64_t v;
                ssize_t r = read(rt->evfd, &v, sizeof v);
                (void)r;
                continue;
            }
            dispatch(evs[i].data.ptr, evs[i].events);
        }
    }
    return NULL;
}

int rt_driver_start(struct rt_runtime *rt)
{
    rt->timers = calloc(1, sizeof *rt->timers);
    if (!rt->timers)
        return ENOMEM;
    pthread_mutex_init(&rt->timers->lock, NULL);
    rt->epfd = epoll_create1(EPOLL_CLOEXEC);
    rt->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    int rc = 0;
    if (rt->epfd < 0 || rt->evfd < 0 || epoll_ctl(rt->epfd, EPOLL_CTL_ADD, rt->evfd, &ev))
        rc = errno;
    else if ((rc = pthread_create(&rt->driver, NULL, driver_main, rt)) == 0)
        rt->driver_started = 1;
    if (rc) {
        if (rt->epfd >= 0)
            close(rt->epfd);
        if (rt->evfd >= 0)
            close(rt->evfd);
        pthread_mutex_destroy(&rt->timers->lock);
        free(rt->timers);
        rt->timers = NULL;
    }
    return rc;
}

void rt_driver_stop(struct rt_runtime *rt)
{
    if (!rt->driver_started)
        return;
    atomic_store_explicit(&rt->driver_stop, 1, memory_order_release);
    rt_driver_unpark(rt);
    pthread_join(rt->driver, NULL);
    rt->driver_started = 0;
}

void rt_driver_free(struct rt_runtime *rt)
{
    if (!rt->timers)
        return;
    free_closed(rt);
    /* sleeps never cancelled: drop the wakers they stored */
    struct rt_timers *h = rt->timers;
    for (size_t i = 0; i < h->n; i++) {
        struct rt_timer_entry *e = h->heap[i];
        e->idx = NOT_IN_HEAP;
        if (e->has_waker)
            rt_waker_drop(e->waker);
        e->has_waker = 0;
    }
    free(h->heap);
    pthread_mutex_destroy(&h->lock);
    free(h);
    rt->timers = NULL;
    close(rt->epfd);
    close(rt->evfd);
}

static int io_register(struct rt_runtime *rt, int fd, struct rt_io **out)
{
    struct rt_io *io = calloc(1, sizeof *io);
    if (!io)
        return ENOMEM;
    io->fd = fd;
    io->rt = rt;
    pthread_mutex_init(&io->lock, NULL);
#ifdef SOLUTION
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = io};
    if (epoll_ctl(rt->epfd, EPOLL_CTL_ADD, fd, &ev)) {
        int e = errno;
        pthread_mutex_destroy(&io->lock);
        free(io);
        return e;
    }
#else
    /* TODO 6.1: add fd to rt->epfd, edge-triggered, for both sides
     * (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), data.ptr = io. */
#endif
    *out = io;
    return 0;
}

/* Wait for readiness on one side: RT_PENDING with the waker stored, or
 * RT_READY when an event arrived since seq was read (try again). */
static int io_wait(struct rt_io *io, int write_side, unsigned long seq, struct rt_context *cx)
{
#ifdef SOLUTION
    pthread_mutex_lock(&io->lock);
    unsigned long *cur = write_side ? &io->wr_seq : &io->rd_seq;
    struct rt_waker *w = write_side ? &io->wr_waker : &io->rd_waker;
    int *has = write_side ? &io->has_wr : &io->has_rd;
    if (*cur != seq) {
        pthread_mutex_unlock(&io->lock);
        return RT_READY;
    }
    struct rt_waker old = *w;
    int had = *has && !rt_waker_will_wake(w, &cx->waker);
    if (!*has || had) {
        *w = rt_waker_clone(&cx->waker);
        *has = 1;
    }
    pthread_mutex_unlock(&io->lock);
    if (had)
        rt_waker_drop(old);
    return RT_PENDING;
#else
    /* TODO 6.3: under io->lock: if the side's sequence number moved since
     * seq, an event came after the attempt that failed: RT_READY (retry).
     * Else store a clone of cx->waker (replacing a different one; drop the
     * old after unlocking): RT_PENDING. Without the sequence check an
     * edge-triggered event between the EAGAIN and the store is lost. */
    (void)io;
    (void)write_side;
    (void)seq;
    (void)cx;
    return RT_PENDING;
#endif
}

static unsigned long io_seq(struct rt_io *io, int write_side)
{
    pthread_mutex_lock(&io->lock);
    unsigned long s = write_side ? io->wr_seq : io->rd_seq;
    pthread_mutex_unlock(&io->lock);
    return s;
}

static int tcp_new(struct rt_runtime *rt, int fd, struct rt_tcp **out)
{
    struct rt_tcp *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return ENOMEM;
    }
    int rc = io_register(rt, fd, &s->io);
    if (rc) {
        close(fd);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int rt_tcp_listen(struct rt_runtime *rt, uint16_t port, struct rt_tcp **out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, SOMAXCONN) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        int e = errno;
        close(fd);
        return e;
    }
    int rc = tcp_new(rt, fd, out);
    if (!rc)
        (*out)->port = ntohs(a.sin_port);
    return rc;
}

uint16_t rt_tcp_port(const struct rt_tcp *s)
{
    return s->port;
}

int rt_tcp_connect(struct rt_runtime *rt, uint16_t port, struct rt_tcp **out)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return e;
    }
    int rc = tcp_new(rt, fd, out);
    if (!rc)
        (*out)->port = port;
    return rc;
}

int rt_tcp_poll_accept(struct rt_tcp *l, struct rt_context *cx, struct rt_tcp **conn, int *err)
{
    for (;;) {
        unsigned long seq = io_seq(l->io, 0);
        int fd = accept4(l->io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            *err = tcp_new(l->io->rt, fd, conn);
            return RT_READY;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
            *err = errno;
            return RT_READY;
        }
        if (io_wait(l->io, 0, seq, cx) == RT_PENDING)
            return RT_PENDING;
    }
}

int rt_tcp_poll_connect(struct rt_tcp *s, struct rt_context *cx, int *err)
{
    for (;;) {
        unsigned long seq = io_seq(s->io, 1);
        int e = 0;
        socklen_t len = sizeof e;
        if (getsockopt(s->io->fd, SOL_SOCKET, SO_ERROR, &e, &len))
            e = errno;
        if (e) {
            *err = e;
            return RT_READY;
        }
        struct sockaddr_in a;
        len = sizeof a;
        if (getpeername(s->io->fd, (struct sockaddr *)&a, &len) == 0) {
            *err = 0;
            return RT_READY;
        }
        if (io_wait(s->io, 1, seq, cx) == RT_PENDING)
            return RT_PENDING;
    }
}

int rt_tcp_poll_read(struct rt_tcp *s, struct rt_context *cx, void *buf, size_t n, ssize_t *res)
{
#ifdef SOLUTION
    for (;;) {
        unsigned long seq = io_seq(s->io, 0);
        ssize_t r = read(s->io->fd, buf, n);
        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            *res = r >= 0 ? r : -errno;
            return RT_READY;
        }
        if (io_wait(s->io, 0, seq, cx) == RT_PENDING)
            return RT_PENDING;
    }
#else
    /* TODO 6.4: the pattern of rt_tcp_poll_accept: read the side's
     * sequence number, try read(); data, end of stream or an error other
     * than EAGAIN -> RT_READY with *res (bytes, 0, or -errno); EAGAIN ->
     * io_wait, and try again if it says an event came meanwhile. */
    (void)s;
    (void)cx;
    (void)buf;
    (void)n;
    (void)io_wait;
    *res = -ENOSYS;
    return RT_READY;
#endif
}

int rt_tcp_poll_write(struct rt_tcp *s, struct rt_context *cx, const void *buf, size_t n, ssize_t *res)
{
#ifdef SOLUTION
    for (;;) {
        unsigned long seq = io_seq(s->io, 1);
        ssize_t r = send(s->io->fd, buf, n, MSG_NOSIGNAL);
        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            *res = r >= 0 ? r : -errno;
            return RT_READY;
        }
        if (io_wait(s->io, 1, seq, cx) == RT_PENDING)
            return RT_PENDING;
    }
#else
    /* TODO 6.4: the same for send(..., MSG_NOSIGNAL) on the write side. */
    (void)s;
    (void)cx;
    (void)buf;
    (void)n;
    *res = -ENOSYS;
    return RT_READY;
#endif
}

void rt_tcp_close(struct rt_tcp *s)
{
    struct rt_io *io = s->io;
    struct rt_runtime *rt = io->rt;
#ifdef SOLUTION
    epoll_ctl(rt->epfd, EPOLL_CTL_DEL, io->fd, NULL);
#else
    /* TODO 6.5: take the fd out of the epoll set first. */
#endif
    close(io->fd);
    pthread_mutex_lock(&io->lock);
    int hr = io->has_rd, hw = io->has_wr;
    struct rt_waker r = io->rd_waker, w = io->wr_waker;
    io->has_rd = io->has_wr = 0;
    pthread_mutex_unlock(&io->lock);
    if (hr)
        rt_waker_drop(r);
    if (hw)
        rt_waker_drop(w);
    /* The driver may hold an event for io from before the EPOLL_CTL_DEL:
     * it frees io itself, at the top of its loop, where it holds none. */
    pthread_mutex_lock(&rt->io_free_lock);
    io->free_next = rt->io_free;
    rt->io_free = io;
    pthread_mutex_unlock(&rt->io_free_lock);
    free(s);
}
