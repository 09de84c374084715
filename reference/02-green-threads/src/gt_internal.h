/*
 * gt_internal.h - what src/gt.c and src/gt_switch.S share (yours to extend).
 *
 * The tests never include this file: only gt.h is a contract with them.
 * The saved-context layout below IS a contract with your assembly, though:
 * the GT_CTX_* offsets are used by gt_switch.S, and the _Static_asserts make
 * the build fail if struct gt_context and the offsets ever disagree.
 */
#ifndef GT_INTERNAL_H
#define GT_INTERNAL_H

/* Byte offsets in struct gt_context, for gt_switch.S (Task 1). */
#define GT_CTX_RSP 0
#define GT_CTX_RBX 8
#define GT_CTX_RBP 16
#define GT_CTX_R12 24
#define GT_CTX_R13 32
#define GT_CTX_R14 40
#define GT_CTX_R15 48
#define GT_CTX_MXCSR 56
#define GT_CTX_FPUCW 60
#define GT_CTX_SIZE 64

#ifndef __ASSEMBLER__

#include "gt.h"

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* The saved context                                          Task 1  */
/* ------------------------------------------------------------------ */

/* What a green thread that is not running needs to resume: the registers
 * the SysV x86-64 ABI says a function call preserves ("callee-saved"), and
 * the two control registers that hold per-thread floating-point modes.
 * The caller-saved registers (rax, rcx, rdx, rsi, rdi, r8-r11, xmm*) need no
 * saving: gt_switch is an ordinary function call to the compiler, which
 * assumes they are clobbered. The instruction pointer is not here either:
 * it is the return address gt_switch's caller pushed, on the saved stack. */
struct gt_context {
    uint64_t rsp;   /* stack pointer; (rsp) is the address to return to */
    uint64_t rbx;   /* callee-saved general registers, as they were when */
    uint64_t rbp;   /*   this thread called gt_switch (for a new thread: */
    uint64_t r12;   /*   0, which also ends gdb's backtrace at rbp) */
    uint64_t r13;
    uint64_t r14;
    uint64_t r15;
    uint32_t mxcsr; /* SSE rounding mode, exception masks, FTZ/DAZ */
    uint16_t fpucw; /* x87 control word: precision and rounding */
    uint16_t pad;   /* keeps the size a multiple of 8 */
};

_Static_assert(offsetof(struct gt_context, rsp) == GT_CTX_RSP, "rsp offset");
_Static_assert(offsetof(struct gt_context, rbx) == GT_CTX_RBX, "rbx offset");
_Static_assert(offsetof(struct gt_context, rbp) == GT_CTX_RBP, "rbp offset");
_Static_assert(offsetof(struct gt_context, r12) == GT_CTX_R12, "r12 offset");
_Static_assert(offsetof(struct gt_context, r13) == GT_CTX_R13, "r13 offset");
_Static_assert(offsetof(struct gt_context, r14) == GT_CTX_R14, "r14 offset");
_Static_assert(offsetof(struct gt_context, r15) == GT_CTX_R15, "r15 offset");
_Static_assert(offsetof(struct gt_context, mxcsr) == GT_CTX_MXCSR, "mxcsr offset");
_Static_assert(offsetof(struct gt_context, fpucw) == GT_CTX_FPUCW, "fpucw offset");
_Static_assert(sizeof(struct gt_context) == GT_CTX_SIZE, "gt_context size");

/* gt_switch.S, Task 1. Save the caller's context into *from, load *to, and
 * return into whatever *to was doing (for a thread that never ran: into the
 * first frame built by gt_context_init). Returns when some later switch
 * loads *from again. from != to. */
void gt_switch(struct gt_context *from, const struct gt_context *to);

/* ------------------------------------------------------------------ */
/* Threads and the scheduler                           Tasks 2 to 7   */
/* ------------------------------------------------------------------ */

enum gt_state {
    GT_RUNNING,       /* == sched->current; in no queue */
    GT_RUNNABLE,      /* in the run queue, exactly once */
    GT_JOINING,       /* in gt_join, waiting for join_target to exit */
    GT_SLEEPING,      /* in the sleep list, until wake_ns */
    GT_IO_WAIT,       /* in the I/O wait list, until poll() reports fd */
    GT_FINI_WAIT,     /* the main thread in gt_fini, until nlive == 1 */
    GT_ZOMBIE,        /* exited; retval valid; off its stack once another
                         thread runs; released by join, detach or fini */
};

struct gt_thread {
    struct gt_context ctx;   /* valid while state != GT_RUNNING */
    gt_t id;                 /* > 0, never changes; sched->table[id] == this
                                until the thread is released */
    enum gt_state state;     /* see enum gt_state */
    void *(*fn)(void *);     /* entry function and its argument, for the */
    void *arg;               /*   trampoline; NULL fn for the main thread */
    void *retval;            /* set by gt_exit; meaningful once GT_ZOMBIE */
    void *map;               /* mmap'ed region: guard page, then stack;
                                NULL for the main thread (kernel stack) */
    size_t map_len;          /* bytes in map, guard page included */
    unsigned vg_stack_id;    /* valgrind's id for the stack (0 outside it) */
    int detached;            /* 1: nobody joins; released when it exits */
    struct gt_thread *joiner;      /* the thread waiting in gt_join(id), or
                                      NULL; at most one */
    struct gt_thread *join_target; /* while GT_JOINING: whom we wait for */
    uint64_t wake_ns;        /* while GT_SLEEPING: CLOCK_MONOTONIC deadline */
    int wait_fd;             /* while GT_IO_WAIT: fd and the poll events */
    short wait_events;       /*   (POLLIN or POLLOUT) we wait for */
    struct gt_thread *next;  /* link in exactly one of: run queue, sleep
                                list, I/O list, dead list (or none) */
};

struct gt_sched {
    struct gt_thread *current;   /* the running thread; never NULL */
    struct gt_thread *main;      /* id 1, the thread that called gt_init */
    struct gt_thread *runq_head; /* FIFO of GT_RUNNABLE threads, linked by */
    struct gt_thread *runq_tail; /*   next; current is never in it */
    struct gt_thread *sleepers;  /* GT_SLEEPING, sorted by wake_ns, ties in
                                    the order they went to sleep */
    struct gt_thread *io_head;   /* GT_IO_WAIT threads, FIFO */
    struct gt_thread *io_tail;
    size_t n_io;                 /* length of the I/O list */
    struct gt_thread *dead;      /* exited detached threads whose stack is
                                    released by the next thread that runs */
    struct gt_thread **table;    /* table[id]: the thread, or NULL once it is
                                    released; ids 1 .. next_id-1 */
    size_t table_cap;            /* entries allocated in table */
    gt_t next_id;                /* the id the next spawn gets */
    size_t nlive;                /* threads not yet exited, main included */
    struct pollfd *pfds;         /* scratch array for the idle poll, */
    size_t pfds_cap;             /*   grown as n_io grows */
};

/* ------------------------------------------------------------------ */
/* gt.c's own helpers. Not static, so the skeleton's stubs compile      */
/* without "unused function" warnings; nothing outside gt.c calls them. */
/* ------------------------------------------------------------------ */

/* Task 2. Map a guard page plus at least size bytes of stack (rounded up
 * to whole pages) into t->map / t->map_len, the guard page PROT_NONE at the
 * LOW end (stacks grow down). 0, or -1 with errno from mmap/mprotect. */
int gt_stack_alloc(struct gt_thread *t, size_t size);

/* Task 2. Unmap t's stack (no-op when t->map is NULL). The caller must not
 * be running on it. */
void gt_stack_free(struct gt_thread *t);

/* Task 3. Build t's first frame so that the first gt_switch to t->ctx
 * "returns" into gt_trampoline with a SysV-aligned stack. */
void gt_context_init(struct gt_thread *t);

/* Task 3. The first code a new thread runs: gt_exit(fn(arg)). */
__attribute__((noreturn)) void gt_trampoline(void);

/* Task 4. The current thread has already put itself where it belongs (run
 * queue, sleep list, I/O list, or nowhere: joining, zombie). Pick the next
 * runnable thread (waiting in poll() if there is none) and switch to it.
 * Returns when the caller is scheduled again (never, for a zombie). */
void gt_schedule(struct gt_sched *s);

/* Task 6. Move every sleeper whose deadline is <= now to the run queue. */
void gt_wake_sleepers(struct gt_sched *s, uint64_t now_ns);

/* Task 7. poll() the fds of the I/O list for at most timeout_ms (-1: no
 * limit, 0: just look) and move the threads whose fd is ready to the run
 * queue, in list order. With an empty list it only waits timeout_ms. */
void gt_poll_io(struct gt_sched *s, int timeout_ms);

/* The skeleton's gt_switch.S calls this until Task 1 is done. */
__attribute__((noreturn)) void gt_switch_missing(void);

/* Given, from the kit's test harness (grader/harness/tl_perturb.c): which of
 * the first n queued threads runs next. 0 (the head) except in the kit's
 * stress runs (TL_PERTURB=1), where a seeded choice now and then names
 * another; runq_pop calls it. Weak: gt.c still links without the harness. */
unsigned tl_perturb_pick(unsigned n) __attribute__((weak));

/* ------------------------------------------------------------------ */
/* Broken invariants stop loudly                                      */
/* ------------------------------------------------------------------ */

/* Print "gt panic at FILE:LINE: message" to stderr and abort(). */
__attribute__((noreturn, format(printf, 3, 4)))
void gt_panic_at(const char *file, int line, const char *fmt, ...);

#define GT_PANIC(...) gt_panic_at(__FILE__, __LINE__, __VA_ARGS__)
#define GT_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            gt_panic_at(__FILE__, __LINE__, "invariant %s is false", #cond); \
    } while (0)

#endif /* __ASSEMBLER__ */
#endif
