/*
 * chan.c - channels (Go: runtime/chan.go) and a WaitGroup.
 *
 * A channel is a lock, a ring buffer of cap values, and two FIFO queues of
 * parked Gs (sudogs): receivers waiting for a value and senders waiting
 * for room. A value goes straight from a sender to a parked receiver (or
 * the other way) without touching the buffer when someone is waiting.
 *
 * M7 (Task 7.2): every public function here starts with GMP_NOPREEMPT(),
 * so the preemption signal never switches a G off while it holds a
 * channel's lock.
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

/* dequeue: the first sudog whose G this waker may have. A select's sudog
 * is ours only if we win its G's selectdone; if another channel won it,
 * drop the sudog and look further. The winner tells the G which sudog
 * woke it (param). Caller holds the channel's lock. */
static struct gmp_sudog *dequeue(struct gmp_waitq *q)
{
    struct gmp_sudog *s;
    while ((s = waitq_pop(q))) {
        int zero = 0;
        if (s->isselect &&
            !atomic_compare_exchange_strong_explicit(
                &s->g->selectdone, &zero, 1, memory_order_acq_rel,
                memory_order_acquire))
            continue;
        s->g->param = s;
        return s;
    }
    return NULL;
}

/* Take s off q if it is still there (a select cleaning up). */
static void waitq_remove(struct gmp_waitq *q, struct gmp_sudog *s)
{
    struct gmp_sudog **link = &q->first, *before = NULL;
    for (; *link && *link != s; link = &(*link)->next)
        before = *link;
    if (*link) { /* found: unlink it */
        *link = s->next;
        if (q->last == s)
            q->last = before;
        s->next = NULL;
    }
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
    s->isselect = 0;
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
    GMP_NOPREEMPT();
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

#ifdef SOLUTION
/* With c->lock held: send *elem now if a receiver waits (straight to it)
 * or a buffer slot is free. 1 when done; *wake is then a G to ready once
 * the lock is dropped, or NULL. A closed channel panics. */
static int send_now(struct gmp_chan *c, const void *elem, struct gmp_g **wake)
{
    *wake = NULL;
    if (c->closed)
        gmp_panic("send on closed channel");
    struct gmp_sudog *r = dequeue(&c->recvq);
    if (r) {
        if (r->elem)
            memcpy(r->elem, elem, c->elemsize);
        r->success = 1;
        *wake = r->g;
        return 1;
    }
    if (c->qcount == c->cap)
        return 0;
    memcpy(slot(c, c->sendx), elem, c->elemsize);
    c->sendx = (c->sendx + 1) % c->cap;
    c->qcount++;
    return 1;
}

/* With c->lock held: receive now if a sender waits, a value is buffered,
 * or c is closed (then *ok = 0 and the zero value). 1 when done. */
static int recv_now(struct gmp_chan *c, void *elem, int *ok, struct gmp_g **wake)
{
    *wake = NULL;
    *ok = 1;
    struct gmp_sudog *s = dequeue(&c->sendq);
    if (s) { /* a sender waits, so the buffer (if any) is full */
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
        *wake = s->g;
        return 1;
    }
    if (c->qcount > 0) {
        if (elem)
            memcpy(elem, slot(c, c->recvx), c->elemsize);
        c->recvx = (c->recvx + 1) % c->cap;
        c->qcount--;
        return 1;
    }
    if (!c->closed)
        return 0;
    if (elem)
        memset(elem, 0, c->elemsize);
    *ok = 0;
    return 1;
}
#endif

void gmp_chan_send(gmp_chan *c, const void *elem)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    struct gmp_g *wake;
    GMP_OK(pthread_mutex_lock(&c->lock));
    if (send_now(c, elem, &wake)) {
        GMP_OK(pthread_mutex_unlock(&c->lock));
        if (wake)
            gmp_ready(wake);
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
    GMP_NOPREEMPT();
    struct gmp_g *wake;
    int ok;
    GMP_OK(pthread_mutex_lock(&c->lock));
    if (recv_now(c, elem, &ok, &wake)) {
        GMP_OK(pthread_mutex_unlock(&c->lock));
        if (wake)
            gmp_ready(wake);
        return ok;
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
    GMP_NOPREEMPT();
    struct gmp_waitq wake = {NULL, NULL};
    struct gmp_sudog *s;
    GMP_OK(pthread_mutex_lock(&c->lock));
    if (c->closed) {
        GMP_OK(pthread_mutex_unlock(&c->lock));
        gmp_panic("close of closed channel");
    }
    c->closed = 1;
    while ((s = dequeue(&c->recvq))) {
        if (s->elem)
            memset(s->elem, 0, c->elemsize);
        s->success = 0;
        waitq_push(&wake, s);
    }
    while ((s = dequeue(&c->sendq))) {
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
    GMP_NOPREEMPT();
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
    GMP_NOPREEMPT();
    return c->cap;
#else
    /* TODO 2.2 */
    return 0;
#endif
}

void gmp_chan_free(gmp_chan *c)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
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
/* select (Task 3.1; Go: selectgo)                                     */
/* ================================================================== */

#ifdef SOLUTION
#define SELECT_MAX 64

/* Lock (or unlock) the n distinct channels of c[], in c[]'s order. */
static void lock_chans(gmp_chan **c, int n)
{
    for (int i = 0; i < n; i++)
        GMP_OK(pthread_mutex_lock(&c[i]->lock));
}

static void unlock_chans(gmp_chan **c, int n)
{
    for (int i = n - 1; i >= 0; i--)
        GMP_OK(pthread_mutex_unlock(&c[i]->lock));
}

/* A small per-kernel-thread generator for pollorder. */
static uint64_t select_rand(void)
{
    static atomic_ulong seeds;
    static __thread uint64_t x;
    if (!x)
        x = 0x9E3779B97F4A7C15ull * (atomic_fetch_add_explicit(
                                         &seeds, 1, memory_order_relaxed) + 1);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545F4914F6CDD1Dull;
}
#endif

int gmp_select(struct gmp_case *cases, int n, int block)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
    if (!cases || n < 1 || n > SELECT_MAX) {
        errno = EINVAL;
        return -1;
    }
    /* pollorder: a uniform random permutation (Fisher-Yates) */
    int poll[SELECT_MAX];
    for (int i = 0; i < n; i++)
        poll[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(select_rand() % (uint64_t)(i + 1));
        int t = poll[i];
        poll[i] = poll[j];
        poll[j] = t;
    }
    /* lockorder: the distinct channels by address, so two selects never
     * take two channels' locks in opposite orders */
    gmp_chan *locked[SELECT_MAX];
    int nl = 0;
    for (int i = 0; i < n; i++) {
        gmp_chan *c = cases[i].c;
        int k = nl;
        if (!c)
            continue;
        while (k > 0 && (uintptr_t)locked[k - 1] > (uintptr_t)c)
            k--;
        if (k > 0 && locked[k - 1] == c)
            continue; /* the same channel twice: lock it once */
        memmove(&locked[k + 1], &locked[k], (size_t)(nl - k) * sizeof *locked);
        locked[k] = c;
        nl++;
    }
    lock_chans(locked, nl);
    /* pass 1: the first case in pollorder that can proceed */
    for (int k = 0; k < n; k++) {
        struct gmp_case *cs = &cases[poll[k]];
        struct gmp_g *wake;
        int done, ok = 1;
        if (!cs->c)
            continue;
        if (cs->dir == GMP_SEND)
            done = send_now(cs->c, cs->elem, &wake);
        else
            done = recv_now(cs->c, cs->elem, &ok, &wake);
        if (done) {
            cs->ok = ok;
            unlock_chans(locked, nl);
            if (wake)
                gmp_ready(wake);
            return poll[k];
        }
    }
    if (!block) {
        unlock_chans(locked, nl);
        return -1;
    }
    struct gmp_g *g = gmp_getg();
    if (!g)
        gmp_panic("a blocking gmp_select was called outside a goroutine");
    if (nl == 0)
        gmp_panic("gmp_select on no channel would block forever");
    /* pass 2: a sudog on every channel, then park */
    struct gmp_sudog sg[SELECT_MAX];
    atomic_store_explicit(&g->selectdone, 0, memory_order_relaxed);
    g->param = NULL;
    for (int i = 0; i < n; i++) {
        if (!cases[i].c)
            continue;
        sg[i] = (struct gmp_sudog){.g = g, .elem = cases[i].elem,
                                   .isselect = 1, .casei = i};
        waitq_push(cases[i].dir == GMP_SEND ? &cases[i].c->sendq
                                            : &cases[i].c->recvq, &sg[i]);
    }
    atomic_store_explicit(&g->park, PARK_PARKING, memory_order_relaxed);
    unlock_chans(locked + 1, nl - 1);
    gmp_park(&locked[0]->lock);
    /* pass 3: woken by one case; take the other sudogs back */
    struct gmp_sudog *won = g->param;
    GMP_ASSERT(won != NULL);
    lock_chans(locked, nl);
    for (int i = 0; i < n; i++)
        if (cases[i].c && &sg[i] != won)
            waitq_remove(cases[i].dir == GMP_SEND ? &cases[i].c->sendq
                                                  : &cases[i].c->recvq, &sg[i]);
    unlock_chans(locked, nl);
    struct gmp_case *cs = &cases[won->casei];
    if (cs->dir == GMP_SEND) {
        if (!won->success)
            gmp_panic("send on closed channel (closed while select waited)");
    } else {
        cs->ok = won->success;
    }
    return won->casei;
#else
    /* TODO 3.1: selectgo. Lock the cases' channels in address order; try
     *           them in a random order (pollorder) and do the first that
     *           can proceed. None: -1 without block; else a sudog on every
     *           channel (isselect, its case index), park, and when woken
     *           (g->param: the sudog that won) take the others back. A
     *           waker must win g->selectdone before it may use a select's
     *           sudog. */
    errno = ENOSYS;
    return -1;
#endif
}

/* ================================================================== */
/* WaitGroup (Task 2.6)                                                */
/* ================================================================== */

gmp_wg *gmp_wg_new(void)
{
#ifdef SOLUTION
    GMP_NOPREEMPT();
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
    GMP_NOPREEMPT();
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
    GMP_NOPREEMPT();
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
    GMP_NOPREEMPT();
    if (!wg)
        return;
    GMP_ASSERT(!wg->waiters.first);
    GMP_OK(pthread_mutex_destroy(&wg->lock));
    free(wg);
#else
    /* TODO 2.6 */
#endif
}
