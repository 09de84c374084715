/*
 * local.c - Task 5: a value per thread (TlsAlloc) or per fiber (FlsAlloc,
 * with a callback that runs when the fiber is deleted or its thread ends).
 */
#include "wt.h"

#include <errno.h>
#include <stdlib.h>


int wt_local_init(struct wt_local *l, int per_fiber, void *(*make)(void *ctx),
                  void (*destroy)(void *ctx, void *value), void *ctx)
{
    /* TODO 5.1: keep the arguments; index = FlsAlloc(your callback) for
     *           per_fiber, else TlsAlloc(). Out of indexes: EAGAIN. The
     *           callback receives only what the slot holds, so store a box
     *           {l, value} there, and have the callback call
     *           l->destroy(l->ctx, value), live--, and free the box. */
    (void)l; (void)per_fiber; (void)make; (void)destroy; (void)ctx;
    return ENOSYS;
}

void *wt_local_get(struct wt_local *l)
{
    /* TODO 5.2: Fls/TlsGetValue; NULL means this thread (fiber) has none
     *           yet: make one (live++), box it, Fls/TlsSetValue the box. */
    (void)l;
    return NULL;
}

void wt_local_thread_exit(struct wt_local *l)
{
    /* TODO 5.3: TLS has no destructor: take this thread's box out of the
     *           slot (set it to NULL), destroy its value, live--. */
    (void)l;
}

int wt_local_free(struct wt_local *l)
{
    /* TODO 5.4: FlsFree or TlsFree. */
    (void)l;
    return ENOSYS;
}
