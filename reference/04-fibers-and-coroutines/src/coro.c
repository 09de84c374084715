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
#ifdef SOLUTION
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t usable = (size + pg - 1) & ~(pg - 1);
    size_t len = usable + pg;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    /* The guard page is the LOWEST page: a stack grows down into it. */
    if (mprotect(m, pg, PROT_NONE) != 0) {
        int e = errno;
        munmap(m, len);
        errno = e;
        return -1;
    }
    co->map = m;
    co->map_len = len;
    /* Tell memcheck this range is a stack, so it follows our switches. */
    co->vg_stack_id = VALGRIND_STACK_REGISTER(m + pg, m + len);
    return 0;
#else
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
#endif
}

void coro_stack_free(struct coro *co)
{
#ifdef SOLUTION
    VALGRIND_STACK_DEREGISTER(co->vg_stack_id);
    if (munmap(co->map, co->map_len) != 0)
        CORO_PANIC("munmap of a coroutine stack failed: %s", strerror(errno)); /* GCOVR_EXCL_LINE: cannot fail on our own mapping */
    co->map = NULL;
    co->map_len = 0;
#else
    /* TODO 2.5: VALGRIND_STACK_DEREGISTER(co->vg_stack_id), munmap the
     *           whole mapping (guard page included), co->map = NULL. A
     *           failing munmap is a bug: CORO_PANIC. */
    (void)co;
#endif
}

void coro_context_init(struct coro *co)
{
#ifdef SOLUTION
    /* The top of the mapping is page aligned. coro_switch loads
     * rsp = top - 16 and its ret pops sp[0], the trampoline, which then
     * starts with rsp = top - 8: rsp + 8 is a multiple of 16, exactly what
     * a call leaves. sp[1] is the trampoline's "return address": 0 ends
     * gdb's backtraces. */
    uint64_t top = (uint64_t)(uintptr_t)co->map + co->map_len;
    CORO_ASSERT(top % 16 == 0);
    uint64_t *sp = (uint64_t *)(uintptr_t)(top - 16);
    sp[0] = (uint64_t)(uintptr_t)coro_trampoline;
    sp[1] = 0;
    memset(&co->ctx, 0, sizeof co->ctx);
    co->ctx.rsp = (uint64_t)(uintptr_t)sp;
    /* A new coroutine starts with its creator's floating-point modes. */
    __asm__ volatile("stmxcsr %0" : "=m"(co->ctx.mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(co->ctx.fpucw));
#else
    /* TODO 2.6: the stack top is co->map + co->map_len (page aligned).
     *           Store the address of coro_trampoline in the 8 bytes at
     *           top - 16 and 0 in the 8 bytes at top - 8; zero co->ctx and
     *           set co->ctx.rsp = top - 16. (At the trampoline's first
     *           instruction rsp + 8 is then a multiple of 16.)
     * TODO 2.7: copy the CALLER's MXCSR and x87 control word into co->ctx
     *           (inline asm: stmxcsr %0 / fnstcw %0 with an "=m" operand). */
    CORO_PANIC("coro_context_init is not written yet: see handout task 2");
#endif
}

void coro_trampoline(void)
{
#ifdef SOLUTION
    /* We got here through the first coro_switch into this coroutine. */
    struct coro *co = coro_cur;
    void *ret = co->fn(co->arg, co->transfer);
    /* Every coroutine fn resumed has given control back by now. */
    CORO_ASSERT(coro_cur == co && co->state == CORO_RUNNING);
    co->transfer = ret;
    co->state = CORO_DEAD;
    coro_switch(&co->ctx, &co->caller);
    CORO_PANIC("finished coroutine %p was switched to again", (void *)co); /* GCOVR_EXCL_LINE: coro_resume never resumes a dead coroutine */
#else
    /* TODO 2.8: this runs on the coroutine's stack, after the first switch
     *           into it: co = coro_cur; ret = co->fn(co->arg, co->transfer).
     *           Then finish: co->transfer = ret, state CORO_DEAD, and
     *           coro_switch back to co->caller. That switch never comes
     *           back: CORO_PANIC after it. There is nothing to return to. */
    CORO_PANIC("coro_trampoline is not written yet: see handout task 2");
#endif
}

/* ================================================================== */
/* Create, resume, yield, destroy                              Task 3  */
/* ================================================================== */

coro_t *coro_create(coro_fn fn, void *arg, size_t stack_size)
{
#ifdef SOLUTION
    if (!fn || (stack_size != 0 &&
                (stack_size < CORO_MIN_STACK || stack_size > CORO_MAX_STACK))) {
        errno = EINVAL;
        return NULL;
    }
    struct coro *co = calloc(1, sizeof *co);
    if (!co) {
        errno = ENOMEM;
        return NULL;
    }
    if (coro_stack_alloc(co, stack_size ? stack_size : CORO_DEFAULT_STACK) != 0) {
        free(co);
        errno = ENOMEM;
        return NULL;
    }
    co->fn = fn;
    co->arg = arg;
    co->state = CORO_SUSPENDED;
    coro_context_init(co);
    return co;
#else
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
#endif
}

int coro_resume(coro_t *co, void *in, void **out)
{
#ifdef SOLUTION
    if (!co) {
        errno = EINVAL;
        return -1;
    }
    switch (co->state) {
    case CORO_SUSPENDED:
        break;
    case CORO_RUNNING:
        errno = EDEADLK;
        return -1;
    case CORO_NORMAL:
        errno = EBUSY;
        return -1;
    case CORO_DEAD:
        errno = ESRCH;
        return -1;
    default:
        CORO_PANIC("coroutine %p has no valid state (%d)", (void *)co, co->state); /* GCOVR_EXCL_LINE */
    }
    struct coro *me = coro_cur;
    co->resumer = me;
    if (me)
        me->state = CORO_NORMAL;
    co->state = CORO_RUNNING;
    co->transfer = in;
    coro_cur = co;
    coro_switch(&co->caller, &co->ctx);
    /* Back: co yielded or finished, and we are its resumer again. */
    CORO_ASSERT(coro_cur == co && co->resumer == me);
    CORO_ASSERT(co->state == CORO_SUSPENDED || co->state == CORO_DEAD);
    coro_cur = me;
    if (me)
        me->state = CORO_RUNNING;
    co->resumer = NULL;
    if (out)
        *out = co->transfer;
    return co->state == CORO_DEAD ? CORO_RETURNED : CORO_YIELDED;
#else
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
#endif
}

int coro_yield(void *out, void **in)
{
#ifdef SOLUTION
    struct coro *co = coro_cur;
    if (!co) {
        errno = EPERM;
        return -1;
    }
    CORO_ASSERT(co->state == CORO_RUNNING);
    co->transfer = out;
    co->state = CORO_SUSPENDED;
    coro_switch(&co->ctx, &co->caller);
    /* Resumed: coro_resume made us RUNNING and left its `in` in transfer. */
    if (in)
        *in = co->transfer;
    return 0;
#else
    /* TODO 3.5: EPERM in main code (coro_cur NULL). Put out in
     *           co->transfer, become CORO_SUSPENDED and coro_switch from
     *           co->ctx to co->caller. When that returns, some coro_resume
     *           has run us again: hand its value (co->transfer) out in *in. */
    (void)out;
    (void)in;
    errno = ENOSYS;
    return -1;
#endif
}

coro_t *coro_self(void)
{
#ifdef SOLUTION
    return coro_cur;
#else
    /* TODO 3.6: the running coroutine (NULL in main code). */
    return NULL;
#endif
}

int coro_status(const coro_t *co)
{
#ifdef SOLUTION
    if (!co) {
        errno = EINVAL;
        return -1;
    }
    return co->state;
#else
    /* TODO 3.7: co->state, or EINVAL for NULL. */
    (void)co;
    errno = ENOSYS;
    return -1;
#endif
}

int coro_destroy(coro_t *co)
{
#ifdef SOLUTION
    if (!co) {
        errno = EINVAL;
        return -1;
    }
    if (co->state == CORO_RUNNING || co->state == CORO_NORMAL) {
        errno = EBUSY;
        return -1;
    }
    coro_stack_free(co);
    free(co);
    return 0;
#else
    /* TODO 3.8: EINVAL, EBUSY (RUNNING or NORMAL: someone is on its
     *           stack); else free the stack and the record. */
    (void)co;
    errno = ENOSYS;
    return -1;
#endif
}

/* ================================================================== */
/* Generators                                                  Task 4  */
/* ================================================================== */

#ifdef SOLUTION
/* Every generator's coroutine runs this: the body, then return. */
static void *gen_entry(void *arg, void *in)
{
    (void)in;
    gen_t *g = arg;
    g->body(g, g->arg);
    return NULL;
}

static void range_body(gen_t *g, void *arg)
{
    (void)arg;
    for (long v = g->start; g->step > 0 ? v < g->stop : v > g->stop; v += g->step)
        gen_yield(g, v);
}

static void filter_body(gen_t *g, void *arg)
{
    (void)arg;
    long v;
    /* A resume from inside a coroutine: the nesting the model allows. */
    while (gen_next(g->src, &v) == 1)
        if (g->keep(v, g->ctx))
            gen_yield(g, v);
}
#endif

gen_t *gen_create(gen_body body, void *arg, size_t stack_size)
{
#ifdef SOLUTION
    if (!body) {
        errno = EINVAL;
        return NULL;
    }
    gen_t *g = calloc(1, sizeof *g);
    if (!g) {
        errno = ENOMEM;
        return NULL;
    }
    g->co = coro_create(gen_entry, g, stack_size);
    if (!g->co) {
        int e = errno;
        free(g);
        errno = e;
        return NULL;
    }
    g->body = body;
    g->arg = arg;
    return g;
#else
    /* TODO 4.1: EINVAL for a NULL body; calloc the struct gen; its
     *           coroutine runs a small entry function of yours that calls
     *           g->body(g, g->arg) and returns. Pass coro_create's errors
     *           on (EINVAL, ENOMEM), freeing what you allocated. */
    (void)body;
    (void)arg;
    (void)stack_size;
    errno = ENOSYS;
    return NULL;
#endif
}

int gen_next(gen_t *g, long *out)
{
#ifdef SOLUTION
    if (!g) {
        errno = EINVAL;
        return -1;
    }
    if (g->done)
        return 0;
    int rc = coro_resume(g->co, NULL, NULL);
    if (rc < 0)
        return -1; /* EDEADLK, EBUSY from coro_resume */
    if (rc == CORO_RETURNED) {
        g->done = 1;
        return 0;
    }
    if (out)
        *out = g->value;
    return 1;
#else
    /* TODO 4.2: EINVAL; an exhausted generator (g->done) returns 0 without
     *           resuming anything. Otherwise coro_resume its coroutine: an
     *           error is passed on (-1, coro_resume's errno); CORO_RETURNED
     *           marks it done and returns 0; CORO_YIELDED hands g->value
     *           out and returns 1. */
    (void)g;
    (void)out;
    errno = ENOSYS;
    return -1;
#endif
}

int gen_yield(gen_t *g, long v)
{
#ifdef SOLUTION
    if (!g) {
        errno = EINVAL;
        return -1;
    }
    if (coro_self() != g->co) {
        errno = EPERM;
        return -1;
    }
    g->value = v;
    return coro_yield(NULL, NULL);
#else
    /* TODO 4.3: EINVAL; EPERM unless the running coroutine is g's own.
     *           Store v in g->value and coro_yield. */
    (void)g;
    (void)v;
    errno = ENOSYS;
    return -1;
#endif
}

int gen_destroy(gen_t *g)
{
#ifdef SOLUTION
    if (!g) {
        errno = EINVAL;
        return -1;
    }
    if (coro_destroy(g->co) != 0)
        return -1;
    free(g);
    return 0;
#else
    /* TODO 4.4: EINVAL; coro_destroy its coroutine (EBUSY passes on, and
     *           then g stays), then free g. */
    (void)g;
    errno = ENOSYS;
    return -1;
#endif
}

gen_t *gen_range(long start, long stop, long step)
{
#ifdef SOLUTION
    if (step == 0) {
        errno = EINVAL;
        return NULL;
    }
    gen_t *g = gen_create(range_body, NULL, 0);
    if (!g)
        return NULL;
    g->start = start;
    g->stop = stop;
    g->step = step;
    return g;
#else
    /* TODO 4.5: EINVAL for step 0. A generator whose body yields start,
     *           start + step, ... while below stop (step > 0) or above it
     *           (step < 0). Keep the three numbers in the struct gen. */
    (void)start;
    (void)stop;
    (void)step;
    errno = ENOSYS;
    return NULL;
#endif
}

gen_t *gen_filter(gen_t *src, int (*keep)(long v, void *ctx), void *ctx)
{
#ifdef SOLUTION
    if (!src || !keep) {
        errno = EINVAL;
        return NULL;
    }
    gen_t *g = gen_create(filter_body, NULL, 0);
    if (!g)
        return NULL;
    g->src = src;
    g->keep = keep;
    g->ctx = ctx;
    return g;
#else
    /* TODO 4.6: EINVAL for a NULL src or keep. A generator whose body pulls
     *           values from src with gen_next (a resume from inside a
     *           coroutine) and yields those that keep(v, ctx) accepts,
     *           until src is exhausted. */
    (void)src;
    (void)keep;
    (void)ctx;
    errno = ENOSYS;
    return NULL;
#endif
}

/* ================================================================== */
/* Memory per coroutine                                        Task 7  */
/* ================================================================== */

size_t coro_footprint(const coro_t *co)
{
#ifdef SOLUTION
    return co ? sizeof *co + co->map_len : 0;
#else
    /* TODO 7.1: sizeof your record plus the whole stack mapping. */
    (void)co;
    return 0;
#endif
}

#ifdef SOLUTION
/* The resident set of this process in bytes (/proc/self/statm, second
 * field, in pages), or 0 if it cannot be read. */
static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (!f)
        return 0; /* GCOVR_EXCL_LINE: procfs is always there on Linux */
    if (fscanf(f, "%lu %lu", &size, &res) != 2)
        res = 0; /* GCOVR_EXCL_LINE */
    fclose(f);
    return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static size_t per_one(size_t before, size_t after, size_t n)
{
    return after > before ? (after - before) / n : 0;
}

static void *measure_body(void *arg, void *in)
{
    (void)arg;
    (void)in;
    coro_yield(NULL, NULL);
    return NULL;
}
#endif

int coro_measure(size_t n, size_t stack_size, struct coro_mem_report *r)
{
#ifdef SOLUTION
    if (!r || n == 0 || (stack_size != 0 && (stack_size < CORO_MIN_STACK ||
                                             stack_size > CORO_MAX_STACK))) {
        errno = EINVAL;
        return -1;
    }
    memset(r, 0, sizeof *r);
    r->n = n;
    r->stack_size = stack_size ? stack_size : CORO_DEFAULT_STACK;

    /* Stackful: n alive at once, each stopped at its first yield (so its
     * stack's top page has been written). */
    coro_t **v = calloc(n, sizeof *v);
    if (!v) {
        errno = ENOMEM;
        return -1;
    }
    size_t made = 0;
    int rc = 0;
    size_t before = rss_bytes();
    for (; made < n; made++) {
        v[made] = coro_create(measure_body, NULL, stack_size);
        if (!v[made]) {
            rc = -1;
            break;
        }
        coro_resume(v[made], NULL, NULL);
    }
    size_t after = rss_bytes();
    if (rc == 0) {
        r->stackful_reserved = coro_footprint(v[0]);
        r->stackful_resident = per_one(before, after, n);
    }
    for (size_t i = 0; i < made; i++)
        coro_destroy(v[i]);
    free(v);
    if (rc != 0) {
        errno = ENOMEM;
        return -1;
    }

    /* Stackless: n in one fresh mapping (so that the resident growth is
     * theirs alone, not recycled heap), each stepped once. */
    size_t len = n * sizeof(struct pt_range);
    before = rss_bytes();
    struct pt_range *a = mmap(NULL, len, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        pt_range_init(&a[i], (long)i, (long)i + 2, 1);
        pt_range_step(&a[i]);
    }
    after = rss_bytes();
    r->stackless_bytes = sizeof(struct pt_range);
    r->stackless_resident = per_one(before, after, n);
    munmap(a, len);
    return 0;
#else
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
#endif
}
