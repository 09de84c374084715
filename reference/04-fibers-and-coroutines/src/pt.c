/*
 * pt.c - stackless coroutines written with the PT_* macros of src/pt.h
 * (handout Task 6): the twins of gen_range and gen_filter. All their state
 * is in the struct the caller passes; they allocate nothing.
 */
#include "coro_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* Given: a local continuation that is none of the body's lines. */
void pt_bad_lc(const char *file, int line, int lc)
{
    coro_panic_at(file, line, "stackless coroutine resumed with lc = %d, which "
                  "is none of its PT_YIELD / PT_WAIT_UNTIL lines: its struct "
                  "was corrupted, not PT_INIT'ed, or belongs to another "
                  "coroutine", lc);
}

void pt_range_init(struct pt_range *r, long start, long stop, long step)
{
#ifdef SOLUTION
    PT_INIT(&r->pt);
    r->next = start;
    r->stop = stop;
    r->step = step;
    r->value = 0;
#else
    /* TODO 6.1: PT_INIT the pt, store start (as next), stop and step. */
    (void)r;
    (void)start;
    (void)stop;
    (void)step;
#endif
}

int pt_range_step(struct pt_range *r)
{
#ifdef SOLUTION
    PT_BEGIN(&r->pt);
    /* No locals: whatever must survive a PT_YIELD lives in *r. */
    while (r->step > 0 ? r->next < r->stop : (r->step < 0 && r->next > r->stop)) {
        r->value = r->next;
        r->next += r->step;
        PT_YIELD(&r->pt);
    }
    PT_END(&r->pt);
#else
    /* TODO 6.2: PT_BEGIN; while next is below stop (step > 0) or above it
     *           (step < 0; step 0: no values): value = next, advance next,
     *           PT_YIELD; PT_END. Keep every variable in *r. */
    (void)r;
    errno = ENOSYS;
    return -1;
#endif
}

void pt_filter_init(struct pt_filter *f, struct pt_range *src,
                    int (*keep)(long v, void *ctx), void *ctx)
{
#ifdef SOLUTION
    PT_INIT(&f->pt);
    f->src = src;
    f->keep = keep;
    f->ctx = ctx;
    f->value = 0;
#else
    /* TODO 6.3: PT_INIT, store src, keep and ctx. */
    (void)f;
    (void)src;
    (void)keep;
    (void)ctx;
#endif
}

int pt_filter_step(struct pt_filter *f)
{
#ifdef SOLUTION
    PT_BEGIN(&f->pt);
    /* Step the source from inside this body, until it ends. The step's
     * result is not kept across the yield: it is used before it. */
    while (pt_range_step(f->src) == PT_YIELDED) {
        if (f->keep(f->src->value, f->ctx)) {
            f->value = f->src->value;
            PT_YIELD(&f->pt);
        }
    }
    PT_END(&f->pt);
#else
    /* TODO 6.4: PT_BEGIN; while pt_range_step(src) says PT_YIELDED: if
     *           keep accepts src->value, copy it to value and PT_YIELD;
     *           PT_END when the source has ended. */
    (void)f;
    errno = ENOSYS;
    return -1;
#endif
}
