/*
 * kit_window.c - kit code: race windows (cb_kit.h). Not graded.
 */
#include "cb_kit.h"

static _Atomic(cb_window_fn) window_fn; /* set by tests only */
static _Atomic(void *) window_arg;

void cb_set_window(cb_window_fn fn, void *arg)
{
    atomic_store(&window_arg, arg);
    atomic_store(&window_fn, fn);
}

void cb_window(enum cb_site site, void *obj)
{
    cb_window_fn fn = atomic_load(&window_fn);
    if (fn)
        fn(site, obj, atomic_load(&window_arg));
}
