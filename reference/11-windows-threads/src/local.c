/*
 * local.c - Task 5: a value per thread (TlsAlloc) or per fiber (FlsAlloc,
 * with a callback that runs when the fiber is deleted or its thread ends).
 */
#include "wt.h"

#include <errno.h>
#include <stdlib.h>

#ifdef SOLUTION
/* What the slot holds: the callback gets only this pointer. */
struct box {
    struct wt_local *l;
    void *value;
};

static void destroy_box(struct box *b)
{
    struct wt_local *l = b->l;
    if (l->destroy)
        l->destroy(l->ctx, b->value);
    LONG left = InterlockedDecrement(&l->live);
    WT_ASSERT(left >= 0);
    free(b);
}

static VOID WINAPI fls_callback(PVOID data)
{
    if (data)
        destroy_box(data);
}
#endif

int wt_local_init(struct wt_local *l, int per_fiber, void *(*make)(void *ctx),
                  void (*destroy)(void *ctx, void *value), void *ctx)
{
#ifdef SOLUTION
    if (!l || !make)
        return EINVAL;
    l->per_fiber = per_fiber != 0;
    l->make = make;
    l->destroy = destroy;
    l->ctx = ctx;
    l->live = 0;
    l->index = l->per_fiber ? FlsAlloc(fls_callback) : TlsAlloc();
    if (l->index == (l->per_fiber ? FLS_OUT_OF_INDEXES : TLS_OUT_OF_INDEXES))
        return EAGAIN;
    return 0;
#else
    /* TODO 5.1: keep the arguments; index = FlsAlloc(your callback) for
     *           per_fiber, else TlsAlloc(). Out of indexes: EAGAIN. The
     *           callback receives only what the slot holds, so store a box
     *           {l, value} there, and have the callback call
     *           l->destroy(l->ctx, value), live--, and free the box. */
    (void)l; (void)per_fiber; (void)make; (void)destroy; (void)ctx;
    return ENOSYS;
#endif
}

void *wt_local_get(struct wt_local *l)
{
#ifdef SOLUTION
    struct box *b = l->per_fiber ? FlsGetValue(l->index) : TlsGetValue(l->index);
    if (b)
        return b->value;
    b = malloc(sizeof *b);
    WT_ASSERT(b != NULL);
    b->l = l;
    b->value = l->make(l->ctx);
    InterlockedIncrement(&l->live);
    if (l->per_fiber)
        WT_CHECK(FlsSetValue(l->index, b));
    else
        WT_CHECK(TlsSetValue(l->index, b));
    return b->value;
#else
    /* TODO 5.2: Fls/TlsGetValue; NULL means this thread (fiber) has none
     *           yet: make one (live++), box it, Fls/TlsSetValue the box. */
    (void)l;
    return NULL;
#endif
}

void wt_local_thread_exit(struct wt_local *l)
{
#ifdef SOLUTION
    if (!l || l->per_fiber)
        return;
    struct box *b = TlsGetValue(l->index);
    if (!b)
        return;
    WT_CHECK(TlsSetValue(l->index, NULL));
    destroy_box(b);
#else
    /* TODO 5.3: TLS has no destructor: take this thread's box out of the
     *           slot (set it to NULL), destroy its value, live--. */
    (void)l;
#endif
}

int wt_local_free(struct wt_local *l)
{
#ifdef SOLUTION
    if (!l)
        return EINVAL;
    if (l->per_fiber)
        WT_CHECK(FlsFree(l->index));
    else
        WT_CHECK(TlsFree(l->index));
    return 0;
#else
    /* TODO 5.4: FlsFree or TlsFree. */
    (void)l;
    return ENOSYS;
#endif
}
