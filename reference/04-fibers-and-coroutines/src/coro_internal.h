/*
 * coro_internal.h - what src/coro.c, src/pt.c and src/coro_switch.S share
 * (yours to extend).
 *
 * The tests never include this file: only coro.h is a contract with them.
 * The saved-context layout below IS a contract with your assembly, though:
 * the CORO_CTX_* offsets are used by coro_switch.S, and the _Static_asserts
 * make the build fail if struct coro_context and the offsets ever disagree.
 * (The same layout and the same rules as lab 02's gt_context.)
 */
#ifndef CORO_INTERNAL_H
#define CORO_INTERNAL_H

/* Byte offsets in struct coro_context, for coro_switch.S (Task 1). */
#define CORO_CTX_RSP 0
#define CORO_CTX_RBX 8
#define CORO_CTX_RBP 16
#define CORO_CTX_R12 24
#define CORO_CTX_R13 32
#define CORO_CTX_R14 40
#define CORO_CTX_R15 48
#define CORO_CTX_MXCSR 56
#define CORO_CTX_FPUCW 60
#define CORO_CTX_SIZE 64

#ifndef __ASSEMBLER__

#include "coro.h"

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* The saved context                                          Task 1  */
/* ------------------------------------------------------------------ */

/* What a suspended side of a switch needs to continue: the registers the
 * SysV x86-64 ABI says survive a call (callee-saved), and the two control
 * registers holding the floating-point modes. The caller-saved registers
 * need no saving: coro_switch is an ordinary call to the compiler, which
 * assumes they are clobbered. The instruction pointer is the return address
 * that the call to coro_switch pushed, at (rsp). */
struct coro_context {
    uint64_t rsp;   /* stack pointer; (rsp) is the address to return to */
    uint64_t rbx;   /* callee-saved general registers, as they were when */
    uint64_t rbp;   /*   this side called coro_switch (for a coroutine */
    uint64_t r12;   /*   that never ran: 0) */
    uint64_t r13;
    uint64_t r14;
    uint64_t r15;
    uint32_t mxcsr; /* SSE rounding mode, exception masks, FTZ/DAZ */
    uint16_t fpucw; /* x87 control word: precision and rounding */
    uint16_t pad;   /* keeps the size a multiple of 8 */
};

_Static_assert(offsetof(struct coro_context, rsp) == CORO_CTX_RSP, "rsp offset");
_Static_assert(offsetof(struct coro_context, rbx) == CORO_CTX_RBX, "rbx offset");
_Static_assert(offsetof(struct coro_context, rbp) == CORO_CTX_RBP, "rbp offset");
_Static_assert(offsetof(struct coro_context, r12) == CORO_CTX_R12, "r12 offset");
_Static_assert(offsetof(struct coro_context, r13) == CORO_CTX_R13, "r13 offset");
_Static_assert(offsetof(struct coro_context, r14) == CORO_CTX_R14, "r14 offset");
_Static_assert(offsetof(struct coro_context, r15) == CORO_CTX_R15, "r15 offset");
_Static_assert(offsetof(struct coro_context, mxcsr) == CORO_CTX_MXCSR, "mxcsr offset");
_Static_assert(offsetof(struct coro_context, fpucw) == CORO_CTX_FPUCW, "fpucw offset");
_Static_assert(sizeof(struct coro_context) == CORO_CTX_SIZE, "coro_context size");

/* coro_switch.S, Task 1. Save the caller's context into *from, load *to,
 * and return into whatever *to was doing (for a coroutine that never ran:
 * into coro_trampoline, through the first frame coro_context_init built).
 * Returns when some later switch loads *from again. from != to. */
void coro_switch(struct coro_context *from, const struct coro_context *to);

/* ------------------------------------------------------------------ */
/* A stackful coroutine                                    Tasks 2, 3  */
/* ------------------------------------------------------------------ */

/* No locks: a coroutine is touched only by the kernel thread running it or
 * resuming it, and coro_resume hands it over with the switch itself. */
struct coro {
    struct coro_context ctx;    /* the coroutine's side: valid while it is
                                   CORO_SUSPENDED (and, harmlessly stale,
                                   while CORO_NORMAL or CORO_DEAD) */
    struct coro_context caller; /* the resumer's side: valid while the
                                   coroutine is CORO_RUNNING or CORO_NORMAL
                                   (written by the switch in coro_resume,
                                   loaded by coro_yield and the trampoline) */
    int state;                  /* enum coro_status; only coro_resume,
                                   coro_yield and the trampoline change it */
    struct coro *resumer;       /* while RUNNING or NORMAL: the coroutine
                                   whose coro_resume runs us, NULL for main
                                   code; the chain of resumers ends in NULL */
    coro_fn fn;                 /* entry function and its argument, for the */
    void *arg;                  /*   trampoline */
    void *transfer;             /* the value crossing the current switch:
                                   resume's `in` on the way in, yield's or
                                   fn's result on the way out */
    void *map;                  /* mmap'ed region: guard page, then stack */
    size_t map_len;             /* bytes in map, guard page included */
    unsigned vg_stack_id;       /* valgrind's id for the stack (0 outside) */
};

/* Task 2. Map a guard page plus at least size bytes of stack (rounded up to
 * whole pages) into co->map / co->map_len, the guard page PROT_NONE at the
 * LOW end. 0, or -1 with errno from mmap/mprotect (nothing left mapped). */
int coro_stack_alloc(struct coro *co, size_t size);

/* Task 2. Unmap co's stack (co has one: coro_create gives every coroutine
 * its stack before anything else can see it). Nobody may be running on it. */
void coro_stack_free(struct coro *co);

/* Task 2. Build co's first frame so that the first coro_switch to co->ctx
 * "returns" into coro_trampoline with a SysV-aligned stack. */
void coro_context_init(struct coro *co);

/* Task 2. The first code a coroutine runs: fn(arg, transfer), then finish:
 * DEAD, the result in transfer, and switch back to the resumer for good. */
__attribute__((noreturn)) void coro_trampoline(void);

/* ------------------------------------------------------------------ */
/* A generator                                                Task 4  */
/* ------------------------------------------------------------------ */

struct gen {
    coro_t *co;      /* runs gen_entry(g): the body, then returns */
    gen_body body;   /* the user's body and its argument */
    void *arg;
    long value;      /* the value the last gen_yield handed over */
    int done;        /* 1 once the body has returned: gen_next says 0 */
    /* The arguments of the ready-made bodies (gen_range, gen_filter). */
    long start, stop, step;
    gen_t *src;
    int (*keep)(long v, void *ctx);
    void *ctx;
};

/* ------------------------------------------------------------------ */
/* Broken invariants stop loudly                                      */
/* ------------------------------------------------------------------ */

/* Print "coro panic at FILE:LINE: message" to stderr and abort(). */
__attribute__((noreturn, format(printf, 3, 4)))
void coro_panic_at(const char *file, int line, const char *fmt, ...);

#define CORO_PANIC(...) coro_panic_at(__FILE__, __LINE__, __VA_ARGS__)
#define CORO_ASSERT(cond)                                                     \
    do {                                                                      \
        if (!(cond))                                                          \
            coro_panic_at(__FILE__, __LINE__, "invariant %s is false", #cond); \
    } while (0)

/* The skeleton's coro_switch.S calls this until Task 1 is done. */
__attribute__((noreturn)) void coro_switch_missing(void);

#endif /* __ASSEMBLER__ */
#endif
