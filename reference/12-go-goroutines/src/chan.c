/*
 * chan.c - channels (Go: runtime/chan.go) and a WaitGroup.
 *
 * A channel is a lock, a ring buffer of cap values, and two FIFO queues of
 * parked Gs (sudogs): receivers waiting for a value and senders waiting
 * for room. A value goes straight from a sender to a parked receiver (or
 * the other way) without touching the buffer when someone is waiting.
 */
#include "gmp_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef SOLUTION
static void waitq_push(struct gmp_waitq *q, struct gmp_sudog *s)
{
    s->next = NULL;
    if (q->last)
        q->last->next = s;
    else
        q->first = s;
    q->last = s;
}

static struct gmp_sudog *waitq_pop(struct gmp_waitq *q)
{
    struct gmp_sudog *s = q->first;
    if (!s)
        return NULL;
    if (!(q->first = s->next))
        q->last = NULL;
    s->next = NULL;
    return s;
}

/* Ready every G of a list taken off a queue, after its lock is dropped:
 * read each link before readying its G, whose stack holds the sudog. */
static void ready_all(struct gmp_sudog *s)
{
    while (s) {
        struct gmp_sudog *next = s->next;
        gmp_ready(s->g);
        s = next;
    }
}

/* The calling G waits on q: enqueue, PARKING, then gmp_park drops lock. */
static void park_on(struct gmp_waitq *q, struct gmp_sudog *s,
                    pthread_mutex_t *lock)
{
    struct gmp_g *g = gmp_getg();
    if (!g)
        gmp_panic("a blocking channel or WaitGroup call was made outside a "
                  "goroutine");
    s->g = g;
    s->success = 0;
    waitq_push(q, s);
    atomic_store_explicit(&g->park, PARK_PARKING, memory_order_relaxed);
    gmp_park(lock);
}

static char *slot(struct gmp_chan *c, size_t i)
{
    return c->buf + i * c->elemsize;
}
#endif

gmp_chan *gmp_chan_make(size_t elemsize, size_t cap)
{
#ifdef SOLUTION
    if (elemsize < 1 || elemsize > 1024 || cap > ((size_t)1 << 24)) {
        errno = EINVAL;
        return NULL;
    }
    struct gmp_chan *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (cap && !(c->buf = malloc(cap * elemsize))) {
        free(c);
        return NULL;
    }
    GMP_OK(pthread_mutex_init(&c->lock, NULL));
    c->elemsize = elemsize;
    c->cap = cap;
    return c;
#else
    /* TODO 2.2: allocate the hchan and its ring of cap * elemsize bytes. */
    errno = ENOSYS;
    return NULL;
#endif
}

void gmp_chan_send(gmp_chan *c, const void *elem)
{
#ifdef SOLUTION
    GMP_OK(pthread_mutex_lock(&c->lock));
    if (c->closed) {
        GMP_OK(pthread_mutex_unlock(&c->lock));
        gmp_panic("send on closed channel");
    }
    struct gmp_sudog *r = waitq_pop(&c->recvq);
    if (r) { /* send(): straight into the parked receiver */
        if (r->elem)
            memcpy(r->elem, elem, c->elemsize);
        r->success = 1;
        GMP_OK(pthread_mutex_unlock(&c->lock));
        gmp_ready(r->g);
        return;
    }
    if (c->qcount < c->cap) {
        memcpy(slot(c, c->sendx), elem, c->elemsize);
        c->sendx = (c->sendx + 1) % c->cap;
        c->qcount++;
        GMP_OK(pthread_mutex_unlock(&c->lock));
        return;
    }
    struct gmp_sudog me = {.elem = (void *)elem};
    park_on(&c->sendq, &me, &c->lock);
    if (!me.success)
        gmp_panic("send on closed channel (closed while the sender waited)");
#else
    /* TODO 2.3: chansend. Closed: gmp_panic. A parked receiver: copy to
     *           it, success = 1, gmp_ready it. Room in buf: copy in. Else
     *           park on sendq with a sudog on your stack (PARK_PARKING under
     *           c->lock, then gmp_park); woken with success 0 = closed. */
    gmp_panic("gmp_chan_send is not written yet: handout Task 2.3");
#endif
}

int gmp_chan_recv(gmp_chan *c, void *elem)
{
#ifdef SOLUTION
    GMP_OK(pthread_mutex_lock(&c->lock));
    struct gmp_sudog *s = waitq_pop(&c->sendq);
    if (s) { /* recv(): a sender waits, so the buffer (if any) is full */
        if (c->cap == 0) {
            if (elem)
                memcpy(elem, s->elem, c->elemsize);
        } else { /* take the head, the sender's value goes to the tail */
            if (elem)
                memcpy(elem, slot(c, c->recvx), c->elemsize);
            memcpy(slot(c, c->recvx), s->elem, c->elemsize);
            c->recvx = (c->recvx + 1) % c->cap;
            c->sendx = c->recvx;
        }
        s->success = 1;
        GMP_OK(pthread_mutex_unlock(&c->lock));
        gmp_ready(s->g);
        return 1;
    }
    if (c->qcount > 0) {
        if (elem)
            memcpy(elem, slot(c, c->recvx), c->elemsize);
        c->recvx = (c->recvx + 1) % c->cap;
        c->qcount--;
        GMP_OK(pthread_mutex_unlock(&c->lock));
        return 1;
    }
    if (c->closed) {
        GMP_OK(pthread_mutex_unlock(&c->lock));
        if (elem)
            memset(elem, 0, c->elemsize);
        return 0;
    }
    struct gmp_sudog me = {.elem = elem};
    park_on(&c->recvq, &me, &c->lock);
    if (!me.success && elem)
        memset(elem, 0, c->elemsize);
    return me.success;
#else
    /* TODO 2.4: chanrecv. A parked sender: take its value (cap 0) or the
     *           buffer's head and put its value at the tail; ready it.
     *           A value in buf: take it. Closed and empty: zero, 0. Else
     *           park on recvq; woken with success 0 = closed. */
    gmp_panic("gmp_chan_recv is not written yet: handout Task 2.4");
#endif
}

void gmp_chan_close(gmp_chan *c)
{
#ifdef SOLUTION
    struct gmp_waitq wake = {NULL, NULL};
    struct gmp_sudog *s;
    GMP_OK(pthread_mutex_lock(&c->lock));
    if (c->closed) {
        GMP_OK(pthread_mutex_unlock(&c->lock));
        gmp_panic("close of closed channel");
    }
    c->closed = 1;
    while ((s = waitq_pop(&c->recvq))) {
        if (s->elem)
            memset(s->elem, 0, c->elemsize);
        s->success = 0;
        waitq_push(&wake, s);
    }
    while ((s = waitq_pop(&c->sendq))) {
        s->success = 0;
        waitq_push(&wake, s);
    }
    GMP_OK(pthread_mutex_unlock(&c->lock));
    ready_all(wake.first); /* as closechan readies its glist */
#else
    /* TODO 2.5: closechan. Closed already: gmp_panic. Mark closed, take
     *           EVERY parked receiver (zeroed value, success 0) and sender
     *           (success 0) off the queues, then ready them all. */
    gmp_panic("gmp_chan_close is not written yet: handout Task 2.5");
#endif
}

size_t gmp_chan_len(gmp_chan *c)
{
#ifdef SOLUTION
    GMP_OK(pthread_mutex_lock(&c->lock));
    size_t n = c->qcount;
    GMP_OK(pthread_mutex_unlock(&c->lock));
    return n;
#else
    /* TODO 2.2 */
    return 0;
#endif
}

size_t gmp_chan_cap(gmp_chan *c)
{
#ifdef SOLUTION
    return c->cap;
#else
    /* TODO 2.2 */
    return 0;
#endif
}

void gmp_chan_free(gmp_chan *c)
{
#ifdef SOLUTION
    if (!c)
        return;
    GMP_ASSERT(!c->recvq.first && !c->sendq.first);
    GMP_OK(pthread_mutex_destroy(&c->lock));
    free(c->buf);
    free(c);
#else
    /* TODO 2.2 */
#endif
}

/* ================================================================== */
/* WaitGroup (Task 2.6)                                                */
/* ================================================================== */

gmp_wg *gmp_wg_new(void)
{
#ifdef SOLUTION
    struct gmp_wg *wg = calloc(1, sizeof *wg);
    if (wg)
        GMP_OK(pthread_mutex_init(&wg->lock, NULL));
    return wg;
#else
    /* TODO 2.6 */
    errno = ENOSYS;
    return NULL;
#endif
}

void gmp_wg_add(gmp_wg *wg, long delta)
{
#ifdef SOLUTION
    struct gmp_waitq wake = {NULL, NULL};
    GMP_OK(pthread_mutex_lock(&wg->lock));
    wg->count += delta;
    if (wg->count < 0) {
        GMP_OK(pthread_mutex_unlock(&wg->lock));
        gmp_panic("sync: negative WaitGroup counter");
    }
    if (wg->count == 0) {
        wake = wg->waiters;
        wg->waiters.first = wg->waiters.last = NULL;
    }
    GMP_OK(pthread_mutex_unlock(&wg->lock));
    ready_all(wake.first);
#else
    /* TODO 2.6: count += delta (below 0: gmp_panic); at 0 ready every
     *           waiter, after unlocking. */
    gmp_panic("gmp_wg_add is not written yet: handout Task 2.6");
#endif
}

void gmp_wg_done(gmp_wg *wg)
{
    gmp_wg_add(wg, -1);
}

void gmp_wg_wait(gmp_wg *wg)
{
#ifdef SOLUTION
    GMP_OK(pthread_mutex_lock(&wg->lock));
    if (wg->count == 0) {
        GMP_OK(pthread_mutex_unlock(&wg->lock));
        return;
    }
    struct gmp_sudog me = {.elem = NULL};
    park_on(&wg->waiters, &me, &wg->lock);
#else
    /* TODO 2.6: park on waiters unless the count is 0. */
    gmp_panic("gmp_wg_wait is not written yet: handout Task 2.6");
#endif
}

void gmp_wg_free(gmp_wg *wg)
{
#ifdef SOLUTION
    if (!wg)
        return;
    GMP_ASSERT(!wg->waiters.first);
    GMP_OK(pthread_mutex_destroy(&wg->lock));
    free(wg);
#else
    /* TODO 2.6 */
#endif
}
