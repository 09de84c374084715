/*
 * coro.c - stackful coroutines: stacks, the first frame, resume and yield
 * (handout Tasks 2 and 3; Task 1 is src/coro_switch.S), the generators
 * built on them (Task 4) and the memory each kind costs (Task 7).
 *
 * The coroutine running on a kernel thread is the thread-local pointer
 * coro_cur. Nothing here takes a lock: a coroutine is only ever touched by
 * the kernel thread that is running or resuming it.
 */
#include "coro_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

/* The coroutine running on this kernel thread; NULL in main code. */
static __thread struct coro *coro_cur __attribute__((unused));

/* ================================================================== */
/* Given: panics                                                       */
/* ================================================================== */

void coro_panic_at(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One fprintf: the line stays whole even if another kernel thread
     * panics at the same moment. */
    fprintf(stderr, "coro panic at %s:%d: %s\n", file, line, msg);
    fflush(stderr);
    abort();
}

void coro_switch_missing(void) /* GCOVR_EXCL_START: only the skeleton's coro_switch.S calls it */
{
    fprintf(stderr, "coro_switch is not written yet: see handout task 1 "
                    "(src/coro_switch.S)\n");
    fflush(stderr);
    abort();
} /* GCOVR_EXCL_STOP */

/* ================================================================== */
/* Stacks and the first frame                                  Task 2  */
/* ================================================================== */

int coro_stack_alloc(struct coro *co, size_t size)
{
    /* TODO 2.1: round size up to whole pages (sysconf(_SC_PAGESIZE)) and
     *           add ONE page for the guard.
     * TODO 2.2: mmap that many bytes, PROT_READ|PROT_WRITE,
     *           MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK; on MAP_FAILED return -1.
     * TODO 2.3: mprotect the LOWEST page PROT_NONE (the guard page); on
     *           failure munmap, keep mprotect's errno, return -1.
     * TODO 2.4: co->map, co->map_len, and register the usable part with
     *           valgrind: co->vg_stack_id = VALGRIND_STACK_REGISTER(lo, hi)
     *           (a no-op outside valgrind). */
    (void)co;
    (void)size;
    errno = ENOSYS;
    return -1;
}

void coro_stack_free(struct coro *co)
{
    /* TODO 2.5: VALGRIND_STACK_DEREGISTER(co->vg_stack_id), munmap the
     *           whole mapping (guard page included), co->map = NULL. A
     *           failing munmap is a bug: CORO_PANIC. */
    (void)co;
}

void coro_context_init(struct coro *co)
{
    /* TODO 2.6: the stack top is co->map + co->map_len (page aligned).
     *           Store the address of coro_trampoline in the 8 bytes at
     *           top - 16 and 0 in the 8 bytes at top - 8; zero co->ctx and
     *           set co->ctx.rsp = top - 16. (At the trampoline's first
     *           instruction rsp + 8 is then a multiple of 16.)
     * TODO 2.7: copy the CALLER's MXCSR and x87 control word into co->ctx
     *           (inline asm: stmxcsr %0 / fnstcw %0 with an "=m" operand). */
    CORO_PANIC("coro_context_init is not written yet: see handout task 2");
}

void coro_trampoline(void)
{
    /* TODO 2.8: this runs on the coroutine's stack, after the first switch
     *           into it: co = coro_cur; ret = co->fn(co->arg, co->transfer).
     *           Then finish: co->transfer = ret, state CORO_DEAD, and
     *           coro_switch back to co->caller. That switch never comes
     *           back: CORO_PANIC after it. There is nothing to return to. */
    CORO_PANIC("coro_trampoline is not written yet: see handout task 2");
}

/* ================================================================== */
/* Create, resume, yield, destroy                              Task 3  */
/* ================================================================== */

coro_t *coro_create(coro_fn fn, void *arg, size_t stack_size)
{
    /* TODO 3.1: EINVAL for a NULL fn or a stack_size outside the bounds
     *           (0 means CORO_DEFAULT_STACK). calloc the record and
     *           coro_stack_alloc (ENOMEM on either failure, nothing left
     *           allocated). Store fn and arg, state CORO_SUSPENDED, and
     *           coro_context_init. Nothing runs yet. */
    (void)fn;
    (void)arg;
    (void)stack_size;
    errno = ENOSYS;
    return NULL;
}

int coro_resume(coro_t *co, void *in, void **out)
{
    /* TODO 3.2: the errors first, from co->state: EINVAL (NULL), EDEADLK
     *           (RUNNING: it is the caller), EBUSY (NORMAL: a resumer of
     *           the caller), ESRCH (DEAD). Nothing may run on an error.
     * TODO 3.3: link and mark: co->resumer = coro_cur (NULL in main code);
     *           the resumer, if any, becomes CORO_NORMAL; co becomes
     *           CORO_RUNNING with co->transfer = in; coro_cur = co.
     * TODO 3.4: coro_switch(&co->caller, &co->ctx). When it returns, co has
     *           yielded (SUSPENDED) or finished (DEAD): make the resumer
     *           current and RUNNING again, hand out co->transfer in *out,
     *           and return CORO_YIELDED or CORO_RETURNED. */
    (void)co;
    (void)in;
    (void)out;
    errno = ENOSYS;
    return -1;
}

int coro_yield(void *out, void **in)
{
    /* TODO 3.5: EPERM in main code (coro_cur NULL). Put out in
     *           co->transfer, become CORO_SUSPENDED and coro_switch from
     *           co->ctx to co->caller. When that returns, some coro_resume
     *           has run us again: hand its value (co->transfer) out in *in. */
    (void)out;
    (void)in;
    errno = ENOSYS;
    return -1;
}

coro_t *coro_self(void)
{
    /* TODO 3.6: the running coroutine (NULL in main code). */
    return NULL;
}

int coro_status(const coro_t *co)
{
    /* TODO 3.7: co->state, or EINVAL for NULL. */
    (void)co;
    errno = ENOSYS;
    return -1;
}

int coro_destroy(coro_t *co)
{
    /* TODO 3.8: EINVAL, EBUSY (RUNNING or NORMAL: someone is on its
     *           stack); else free the stack and the record. */
    (void)co;
    errno = ENOSYS;
    return -1;
}

/* ================================================================== */
/* Generators                                                  Task 4  */
/* ================================================================== */


gen_t *gen_create(gen_body body, void *arg, size_t stack_size)
{
    /* TODO 4.1: EINVAL for a NULL body; calloc the struct gen; its
     *           coroutine runs a small entry function of yours that calls
     *           g->body(g, g->arg) and returns. Pass coro_create's errors
     *           on (EINVAL, ENOMEM), freeing what you allocated. */
    (void)body;
    (void)arg;
    (void)stack_size;
    errno = ENOSYS;
    return NULL;
}

int gen_next(gen_t *g, long *out)
{
    /* TODO 4.2: EINVAL; an exhausted generator (g->done) returns 0 without
     *           resuming anything. Otherwise coro_resume its coroutine: an
     *           error is passed on (-1, coro_resume's errno); CORO_RETURNED
     *           marks it done and returns 0; CORO_YIELDED hands g->value
     *           out and returns 1. */
    (void)g;
    (void)out;
    errno = ENOSYS;
    return -1;
}

int gen_yield(gen_t *g, long v)
{
    /* TODO 4.3: EINVAL; EPERM unless the running coroutine is g's own.
     *           Store v in g->value and coro_yield. */
    (void)g;
    (void)v;
    errno = ENOSYS;
    return -1;
}

int gen_destroy(gen_t *g)
{
    /* TODO 4.4: EINVAL; coro_destroy its coroutine (EBUSY passes on, and
     *           then g stays), then free g. */
    (void)g;
    errno = ENOSYS;
    return -1;
}

gen_t *gen_range(long start, long stop, long step)
{
    /* TODO 4.5: EINVAL for step 0. A generator whose body yields start,
     *           start + step, ... while below stop (step > 0) or above it
     *           (step < 0). Keep the three numbers in the struct gen. */
    (void)start;
    (void)stop;
    (void)step;
    errno = ENOSYS;
    return NULL;
}

gen_t *gen_filter(gen_t *src, int (*keep)(long v, void *ctx), void *ctx)
{
    /* TODO 4.6: EINVAL for a NULL src or keep. A generator whose body pulls
     *           values from src with gen_next (a resume from inside a
     *           coroutine) and yields those that keep(v, ctx) accepts,
     *           until src is exhausted. */
    (void)src;
    (void)keep;
    (void)ctx;
    errno = ENOSYS;
    return NULL;
}

/* ================================================================== */
/* Memory per coroutine                                        Task 7  */
/* ================================================================== */

size_t coro_footprint(const coro_t *co)
{
    /* TODO 7.1: sizeof your record plus the whole stack mapping. */
    (void)co;
    return 0;
}


int coro_measure(size_t n, size_t stack_size, struct coro_mem_report *r)
{
    /* TODO 7.2: EINVAL (r NULL, n 0, bad stack_size). Fill r->n and
     *           r->stack_size (0 means CORO_DEFAULT_STACK).
     * TODO 7.3: read the resident set (second field of /proc/self/statm,
     *           in pages), create n coroutines whose entry just yields,
     *           resume each once, read it again: stackful_resident is the
     *           growth / n; stackful_reserved is coro_footprint of one.
     *           Destroy them all. On ENOMEM free what you made and fail.
     * TODO 7.4: the same for n struct pt_range in ONE fresh mmap'ed array
     *           (pt_range_init and one pt_range_step each): the growth / n
     *           is stackless_resident, sizeof is stackless_bytes. Unmap. */
    (void)n;
    (void)stack_size;
    (void)r;
    errno = ENOSYS;
    return -1;
}
