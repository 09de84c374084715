/*
 * coro.h - lab 04, fibers and coroutines: the whole student API.
 *
 * Kit-owned and read-only: the tests include it. You write the functions in
 * src/; each banner names its file and the handout task that builds it.
 *
 * Two kinds of coroutine, side by side:
 *
 *   STACKFUL (coro_*, and the generators gen_* built on them). Each
 *   coroutine has a stack of its own (mmap'ed, with a guard page below it)
 *   and may suspend from any depth of calls: a recursive function can yield
 *   from its tenth level. The coroutines are ASYMMETRIC: coro_resume(co)
 *   runs co until it yields or returns, and coro_yield always goes back to
 *   the one that resumed it (never to a third party). A coroutine may resume
 *   another one (nesting): the resumers form a chain, like a call stack.
 *
 *   STACKLESS (struct pt and the PT_* macros, "protothreads"). A stackless
 *   coroutine is an ordinary function plus a struct that holds its state.
 *   It suspends by RETURNING, after writing down in the struct where to
 *   continue (a "local continuation": a line number); the next call jumps
 *   back to that line with a switch. It owns no stack: its locals do not
 *   survive a suspension, and it can only suspend in its own body, never
 *   from a function it calls. Its whole cost is its struct.
 *
 * Everything runs on the kernel thread that calls it: nothing here starts a
 * kernel thread or takes a lock. The running coroutine is per kernel thread
 * (two kernel threads may each run coroutines at the same time, each with
 * its own chain of resumers).
 *
 * Error convention, as POSIX system calls: a function returning int returns
 * -1 and sets errno on failure; one returning a pointer returns NULL and
 * sets errno. Misuse is REPORTED, never a crash: resuming a finished
 * coroutine, resuming the running one or one of its resumers, yielding from
 * outside any coroutine. A broken invariant (a corrupted local continuation,
 * a finished coroutine switched to) stops the program loudly: a
 * "coro panic" line on stderr and abort().
 *
 * Forbidden in your objects (the grader reads their undefined symbols):
 * getcontext, makecontext, swapcontext, setcontext, setjmp/longjmp and their
 * variants. The context switch is yours, in assembly.
 */
#ifndef CORO_H
#define CORO_H

#include <stddef.h>

/* ================================================================== */
/* Stackful coroutines                  src/coro.c, Tasks 1, 2 and 3   */
/* ================================================================== */

/* A stackful coroutine. Opaque: its fields are yours (src/coro_internal.h). */
typedef struct coro coro_t;

/* The entry function. arg is coro_create's arg; in is the value passed to
 * the FIRST coro_resume. What it returns is handed to the coro_resume that
 * sees it finish (which then returns CORO_RETURNED). */
typedef void *(*coro_fn)(void *arg, void *in);

/* Stack sizes, in usable bytes (the guard page comes on top of these). */
#define CORO_DEFAULT_STACK (64 * 1024) /* stack_size 0 means this */
#define CORO_MIN_STACK (16 * 1024)     /* smaller (but not 0) is EINVAL */
#define CORO_MAX_STACK (64L * 1024 * 1024)

/* What coro_status says. */
enum coro_status {
    CORO_SUSPENDED = 1, /* created and not yet run, or stopped in coro_yield */
    CORO_RUNNING,       /* it is the coroutine running now on this kernel
                           thread (coro_self() == it) */
    CORO_NORMAL,        /* it resumed another coroutine that has not yet
                           yielded or returned: it waits in coro_resume */
    CORO_DEAD           /* its entry function returned */
};

/* What a successful coro_resume returns. */
#define CORO_YIELDED 0  /* it stopped in coro_yield: resume it again later */
#define CORO_RETURNED 1 /* its entry function returned: it is CORO_DEAD */

/* Anyone. Create a suspended coroutine that will run fn(arg, in) on a fresh
 * stack of at least stack_size usable bytes (0: CORO_DEFAULT_STACK) with a
 * PROT_NONE guard page right below it, so that an overflow is a SIGSEGV.
 * Nothing runs until the first coro_resume. It starts with its creator's
 * MXCSR and x87 control word.
 * The coroutine, or NULL with errno EINVAL (fn is NULL, or stack_size is not
 * 0 and outside [CORO_MIN_STACK, CORO_MAX_STACK]), ENOMEM. */
coro_t *coro_create(coro_fn fn, void *arg, size_t stack_size);

/* Anyone (the main code of a kernel thread, or a coroutine: that nests).
 * Run co, handing it `in` (the first resume: as fn's second argument; later
 * ones: as the value its coro_yield receives), until it yields or returns.
 * Then store the value it yielded or returned in *out (if out is not NULL).
 * Returns CORO_YIELDED or CORO_RETURNED; -1, with nothing run and *out left
 * alone, with errno
 *   EINVAL   co is NULL;
 *   EDEADLK  co is the caller itself (CORO_RUNNING);
 *   EBUSY    co is one of the caller's resumers (CORO_NORMAL): resuming it
 *            would make a cycle;
 *   ESRCH    co has finished (CORO_DEAD): there is nothing left to run. */
int coro_resume(coro_t *co, void *in, void **out);

/* A running coroutine only. Suspend the caller and go back to the coroutine
 * (or main code) that resumed it: its coro_resume returns CORO_YIELDED with
 * *out = out. Returns 0 when the caller is resumed again, with the value
 * that resume passed in *in (if in is not NULL).
 * -1 with errno EPERM when the caller is not a coroutine (main code). */
int coro_yield(void *out, void **in);

/* The coroutine running on this kernel thread, or NULL in main code. */
coro_t *coro_self(void);

/* Anyone. co's enum coro_status, or -1 with errno EINVAL (co is NULL). */
int coro_status(const coro_t *co);

/* Anyone. Release co: its stack and its record. A suspended coroutine may be
 * destroyed before it finishes: the rest of its function never runs (what
 * its frames hold is simply dropped). 0, or -1 with errno EINVAL (NULL),
 * EBUSY (co is CORO_RUNNING or CORO_NORMAL: it or a coroutine it resumed is
 * still running on its stack). */
int coro_destroy(coro_t *co);

/* ================================================================== */
/* Generators on stackful coroutines              src/coro.c, Task 4   */
/* ================================================================== */

/* A generator produces a sequence of longs, one per gen_next, computed
 * lazily by its body, which runs in a coroutine of its own. */
typedef struct gen gen_t;

/* The body: calls gen_yield(g, v) for each value (from any depth of
 * calls), and returns when the sequence ends. */
typedef void (*gen_body)(gen_t *g, void *arg);

/* Anyone. A generator whose body(g, arg) runs on a stack of stack_size
 * (0: CORO_DEFAULT_STACK). Nothing runs until the first gen_next.
 * The generator, or NULL with errno EINVAL (body NULL, bad stack_size),
 * ENOMEM. */
gen_t *gen_create(gen_body body, void *arg, size_t stack_size);

/* Anyone but g's own body. Run the body until it yields the next value.
 * Returns 1 with the value in *out (if out is not NULL); 0 once the body has
 * returned (and again on every later call: an exhausted generator stays
 * exhausted, that is not an error); -1 with errno EINVAL (g NULL), EDEADLK
 * (called from g's own body), EBUSY (g is waiting in a gen_next of its own,
 * i.e. the caller runs inside something g resumed). */
int gen_next(gen_t *g, long *out);

/* g's body only (or a function it calls). Hand v to the gen_next that runs
 * the body, and suspend until the next gen_next. 0, or -1 with errno EINVAL
 * (g NULL), EPERM (the caller is not g's body: main code, or another
 * generator's body). */
int gen_yield(gen_t *g, long v);

/* Anyone. Release g (its coroutine too), finished or not. 0, or -1 with
 * errno EINVAL (NULL), EBUSY (g's body is running or waits in a nested
 * gen_next). */
int gen_destroy(gen_t *g);

/* Ready-made generators, written with the above.
 * gen_range: start, start+step, ... while < stop (step > 0) or > stop
 * (step < 0); EINVAL for step 0.
 * gen_filter: the values of src for which keep(v, ctx) is not 0, in order;
 * exhausted when src is. It pulls from src with gen_next from inside its own
 * body: a nested resume. src stays the caller's: destroy it after the
 * filter. EINVAL for src or keep NULL. */
gen_t *gen_range(long start, long stop, long step);
gen_t *gen_filter(gen_t *src, int (*keep)(long v, void *ctx), void *ctx);

/* ================================================================== */
/* Stackless coroutines                 src/pt.h and src/pt.c, Tasks 5, 6 */
/* ================================================================== */

/* All the state the macros need: the local continuation. */
struct pt {
    int lc; /* 0: not started; PT_LC_DONE: finished; otherwise the line
               (__LINE__) of the PT_YIELD / PT_WAIT_UNTIL to continue at */
};
#define PT_LC_DONE (-1)

/* What a stackless coroutine function returns. */
#define PT_WAITING 0 /* stopped in PT_WAIT_UNTIL: its condition is false */
#define PT_YIELDED 1 /* stopped in PT_YIELD */
#define PT_ENDED 2   /* it reached PT_END or PT_EXIT: this call finished it */
/* -1 with errno ESRCH: it had already ended; nothing ran (a reported error). */

/* The macros (src/pt.h, Task 5). In a function `int f(struct x *s)` whose
 * struct x holds a struct pt (here s->pt):
 *
 *   PT_INIT(&s->pt)             before the first call: lc = 0.
 *   PT_BEGIN(&s->pt)            first statement of the body: jump to where
 *                               the last call stopped. Called again after
 *                               the end: return -1, errno ESRCH. An lc that
 *                               is none of the body's lines: panic.
 *   PT_YIELD(&s->pt)            return PT_YIELDED; the next call continues
 *                               right after this statement.
 *   PT_WAIT_UNTIL(&s->pt, c)    while c is false, return PT_WAITING; the
 *                               next call tests c again, here.
 *   PT_EXIT(&s->pt)             finish now: return PT_ENDED.
 *   PT_END(&s->pt)              last statement of the body: finish,
 *                               return PT_ENDED.
 *
 * Rules of the game (the handout says why): locals do not keep their values
 * across a PT_YIELD or PT_WAIT_UNTIL (keep state in the struct); no `switch`
 * of your own around one; at most one PT_YIELD / PT_WAIT_UNTIL per line. */
#include "pt.h"

/* Stackless twins of gen_range and gen_filter (src/pt.c, Task 6). Their
 * whole state is the struct, which the caller owns (no allocation). A step
 * returns PT_YIELDED with the next value in ->value, PT_ENDED when the
 * sequence has ended (no value), then -1 with errno ESRCH on every call. */
struct pt_range {
    struct pt pt;
    long next, stop, step; /* the value to produce next, the bound, the step */
    long value;            /* valid after PT_YIELDED */
};
/* step 0: the range is empty (the first step returns PT_ENDED). */
void pt_range_init(struct pt_range *r, long start, long stop, long step);
int pt_range_step(struct pt_range *r);

struct pt_filter {
    struct pt pt;
    struct pt_range *src;            /* stepped from inside this one's body */
    int (*keep)(long v, void *ctx);
    void *ctx;
    long value;                      /* valid after PT_YIELDED */
};
void pt_filter_init(struct pt_filter *f, struct pt_range *src,
                    int (*keep)(long v, void *ctx), void *ctx);
int pt_filter_step(struct pt_filter *f);

/* Given (src/pt.c): what PT_BEGIN calls when lc is none of the body's
 * lines. Prints a "coro panic" line naming the function's file and line and
 * the bad lc, and aborts. */
__attribute__((noreturn)) void pt_bad_lc(const char *file, int line, int lc);

/* ================================================================== */
/* Memory per coroutine                           src/coro.c, Task 7   */
/* ================================================================== */

/* Anyone. The bytes co owns: its record (sizeof your struct coro) plus its
 * whole stack mapping, guard page included. 0 for NULL. */
size_t coro_footprint(const coro_t *co);

/* What coro_measure reports, per coroutine. */
struct coro_mem_report {
    size_t n;                  /* coroutines of each kind alive at once */
    size_t stack_size;         /* usable stack each stackful one asked for */
    size_t stackful_reserved;  /* bytes of address space: coro_footprint */
    size_t stackful_resident;  /* growth of the resident set (RSS, from
                                  /proc/self/statm) / n, with all n created
                                  and each stopped at its first yield */
    size_t stackless_bytes;    /* sizeof(struct pt_range): all its state */
    size_t stackless_resident; /* RSS growth / n, with n struct pt_range in
                                  one array, each stepped once */
};

/* Anyone. Create n stackful coroutines (stack_size as for coro_create),
 * resume each once (each yields at once), measure, destroy them; then the
 * same with n stackless pt_range coroutines. Fills *r. 0, or -1 with errno
 * EINVAL (r NULL, n 0, bad stack_size), ENOMEM (nothing leaks). */
int coro_measure(size_t n, size_t stack_size, struct coro_mem_report *r);

#endif
