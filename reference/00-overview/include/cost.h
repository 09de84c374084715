/*
 * cost.h - lab 00, the cost of each threading model: the whole student API.
 *
 * Kit-owned and read-only. You write the functions in src/; each banner
 * names its file and task. The tests check the statistics EXACTLY on samples
 * they choose, and the measurements only by ORDERINGS with wide margins
 * (a user-context switch is far cheaper than a kernel-thread round trip),
 * never by an absolute time: your machine, its load and valgrind all change
 * the figures, not their order.
 *
 * Error convention: every int-returning function returns 0 on success or an
 * errno value (EINVAL, ENOMEM, ...). Never -1. A broken invariant, or a call
 * that cannot fail in a correct program, stops loudly (COST_ASSERT and
 * cost_panic in src/cost_internal.h).
 */
#ifndef COST_H
#define COST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

/* ================================================================== */
/* Robust statistics                                src/stats.c, Task 1 */
/* ================================================================== */

/* The p-th percentile (0 <= p <= 100) of v[0..n), by linear interpolation
 * between closest ranks (Hyndman & Fan type 7, numpy's default). With x the
 * values sorted ascending, in double arithmetic:
 *     h  = (n - 1) * p / 100        lo = floor(h)
 *     result = x[lo] + (h - lo) * (x[lo + 1] - x[lo])   (x[lo] if lo == n - 1)
 * So p = 0 gives the minimum, p = 100 the maximum, p = 50 the median (the
 * mean of the two middle values when n is even). Any thread may call it;
 * v is read, never modified (sort a copy). 0, EINVAL (v or out NULL, n == 0,
 * p NaN or outside [0, 100], a value in v that is not finite), ENOMEM.
 * On error *out is untouched. */
int cost_percentile(const double *v, size_t n, double p, double *out);

/* What cost_summarize reports about a set of samples. */
struct cost_summary {
    size_t n;       /* samples summarised: count - warmup, >= 1 */
    double min;     /* smallest kept sample: the "min of N" estimate */
    double max;     /* largest kept sample */
    double mean;    /* sum of the kept samples in index order, divided by n */
    double median;  /* cost_percentile(kept, n, 50) */
    double p90;     /* cost_percentile(kept, n, 90) */
    double p99;     /* cost_percentile(kept, n, 99) */
    double mad;     /* median absolute deviation: the median (p = 50, same
                       rule) of |x_i - median| over the kept samples; not
                       scaled by 1.4826 */
};

/* Summarise samples[warmup..count): the first warmup samples are warm-up
 * runs (cold caches, page faults, lazy binding) and are discarded.
 * samples is never modified. Any thread. 0, EINVAL (samples or out NULL,
 * warmup >= count, a kept sample not finite), ENOMEM. On error *out is
 * untouched. */
int cost_summarize(const double *samples, size_t count, size_t warmup,
                   struct cost_summary *out);

/* ================================================================== */
/* Taking samples                                 src/measure.c, Task 2 */
/* ================================================================== */

/* CLOCK_MONOTONIC now, in nanoseconds. Never decreases. */
uint64_t cost_now_ns(void);

/* The smallest nonzero difference between two back-to-back cost_now_ns()
 * readings, over `pairs` pairs: the finest step this clock shows you. 0 if
 * it never advanced within a pair (so 0 for pairs == 0). */
uint64_t cost_clock_step_ns(unsigned pairs);

/* An operation to time: returns 0, or an errno value that stops the
 * measurement. */
typedef int (*cost_op_fn)(void *ctx);

/* Take count samples of op. Sample i is the elapsed cost_now_ns() time of
 * `batch` back-to-back calls op(ctx), divided by batch (ns per call), stored
 * in samples[i]. Exactly batch * count calls in all, nothing written past
 * samples[count - 1]; warm-up samples are stored too (cost_summarize drops
 * them). If a call returns non-zero, stop at once and return that value
 * (samples before it are written). 0, EINVAL (op or samples NULL, batch 0,
 * count 0). */
int cost_measure(cost_op_fn op, void *ctx, size_t batch, size_t count,
                 double *samples);

/* cost_measure into a buffer of its own, then cost_summarize with the given
 * warmup. 0, EINVAL (op or out NULL, batch 0, warmup >= count: checked
 * before op is ever called), ENOMEM, or op's error. */
int cost_bench(cost_op_fn op, void *ctx, size_t batch, size_t count,
               size_t warmup, struct cost_summary *out);

/* ================================================================== */
/* Create + join, one of each model                src/create.c, Task 3 */
/* ================================================================== */

/* Stack of a user context made by this lab. */
#define COST_UCTX_STACK (64 * 1024)

/* Each is a cost_op_fn: one complete create-run-join of one unit whose body
 * adds 1 to *(unsigned long *)ctx when ctx is not NULL, then ends.
 * Called by one thread at a time. When it returns 0 the unit has ended and
 * left nothing behind (no zombie, no thread, no memory). */

/* fork(); the child adds 1 to ITS OWN COPY of the counter (the parent's is
 * unchanged: separate address spaces) and _exit(0)s; the parent waits for
 * it with waitpid. 0, an errno from fork/waitpid, ECHILD if the child did
 * not exit with status 0. */
int cost_process_create_join(void *ctx);

/* pthread_create with default attributes, then pthread_join. The new
 * thread's increment is visible after the join. 0, or pthread_create's
 * error (EAGAIN). */
int cost_thread_create_join(void *ctx);

/* A user context on the same kernel thread: a COST_UCTX_STACK stack from
 * malloc, getcontext + makecontext (uc_link back to the caller),
 * swapcontext into it; its body increments and returns, which resumes the
 * caller; the stack is freed. 0, ENOMEM, or errno from getcontext/
 * swapcontext. */
int cost_ucontext_create_join(void *ctx);

/* ================================================================== */
/* Switch cost                                     src/switch.c, Task 4 */
/* ================================================================== */

/* Two kernel threads passing a token through two pipes: a round is one
 * byte from the caller to the partner and one byte back, so two switches
 * (wake-ups) between kernel threads. Used by one caller thread at a time. */
struct cost_pingpong {   /* zero it (= {0}) before the first start */
    int to_partner[2];     /* pipe; caller writes [1], partner reads [0];
                              created by start, closed by stop */
    int to_caller[2];      /* pipe; partner writes [1], caller reads [0] */
    pthread_t partner;     /* the partner thread, valid while running */
    unsigned long rounds;  /* rounds completed by round(); caller only */
    int running;           /* 1 between a successful start and stop;
                              caller only */
};

/* Make the pipes and start the partner: it loops reading one byte; on the
 * byte 'q' it ends, returning (through pthread_join) how many rounds it
 * answered; on any other byte it writes one byte back. 0, EINVAL (NULL,
 * already running), errno from pipe, pthread_create's error (nothing is
 * left open on error). */
int cost_pingpong_start(struct cost_pingpong *pp);

/* A cost_op_fn (ctx is the struct cost_pingpong *): one round, counted in
 * rounds. 0, EINVAL (NULL, not running), EIO (a pipe read/write failed). */
int cost_pingpong_round(void *ctx);

/* Send 'q', join the partner, close the four descriptors. *served (if not
 * NULL) = the rounds the partner answered, which equals pp->rounds.
 * 0, EINVAL (NULL, not running). */
int cost_pingpong_stop(struct cost_pingpong *pp, unsigned long *served);

/* Two user contexts on ONE kernel thread: a round is swapcontext into the
 * coroutine and swapcontext back, so two user-level switches; the kernel
 * does not schedule anything (glibc's swapcontext still makes one
 * rt_sigprocmask system call per switch to save and restore the signal
 * mask, which a hand-written switch avoids). One kernel thread only. */
struct cost_uswitch {    /* zero it (memset) before the first start */
    ucontext_t caller;       /* where round() waits while the coroutine runs */
    ucontext_t co;           /* the coroutine, suspended in its loop */
    void *stack;             /* COST_UCTX_STACK bytes, malloc'd by start,
                                freed by stop */
    unsigned long rounds;    /* rounds completed by round(); caller side */
    unsigned long served;    /* rounds the coroutine answered; coroutine side */
    int quit;                /* set by stop; the coroutine returns when it
                                sees it, resuming caller through uc_link */
    int running;             /* 1 between a successful start and stop */
};

/* Allocate the stack, make the coroutine and run it up to its first
 * suspension (it switches straight back). 0, EINVAL (NULL, already
 * running), ENOMEM, errno from getcontext/swapcontext. */
int cost_uswitch_start(struct cost_uswitch *u);

/* A cost_op_fn (ctx is the struct cost_uswitch *): one round, counted.
 * 0, EINVAL (NULL, not running). */
int cost_uswitch_round(void *ctx);

/* Set quit, switch in so the coroutine's function returns, free the stack.
 * *served (if not NULL) = the rounds the coroutine answered (== rounds).
 * 0, EINVAL (NULL, not running). */
int cost_uswitch_stop(struct cost_uswitch *u, unsigned long *served);

/* ================================================================== */
/* Memory per unit                                 src/memory.c, Task 5 */
/* ================================================================== */

/* The process's VmSize (address space reserved) and VmRSS (pages resident,
 * i.e. committed and touched), in KiB, from /proc/self/status. */
struct cost_vm {
    long size_kb;
    long rss_kb;
};

/* 0, EINVAL (NULL), errno from fopen, EIO (a line is missing). */
int cost_read_vm(struct cost_vm *out);

/* Largest n the memory functions accept. */
#define COST_MAX_UNITS 1024
/* Smallest stack cost_ucontext_memory accepts. */
#define COST_MIN_STACK (16 * 1024)

/* Per-unit memory, measured: the VM figures read while n units are alive
 * minus those read before the first was made, divided by n. */
struct cost_mem {
    size_t n;         /* units alive at the second reading */
    double virt_per;  /* VmSize delta / n, bytes: address space reserved */
    double rss_per;   /* VmRSS delta / n, bytes: memory committed (touched) */
};

/* n kernel threads (default attributes), each started and blocked in a
 * read() of a pipe; the second reading is taken once all n have signalled
 * that they run; then they are released and joined. Bookkeeping is
 * allocated before the first reading. 0, EINVAL (out NULL, n == 0,
 * n > COST_MAX_UNITS), ENOMEM, errno from pipe or pthread_create (the
 * threads already started are released and joined). */
int cost_thread_memory(size_t n, struct cost_mem *out);

/* n user contexts, each with its own stack of stack_size bytes from mmap
 * (reserved, not touched by you), each run once up to a suspension (so it
 * touched what it uses); second reading; then each is resumed to return,
 * and its stack unmapped. Bookkeeping is allocated before the first
 * reading. 0, EINVAL (out NULL, n == 0, n > COST_MAX_UNITS,
 * stack_size < COST_MIN_STACK or not a multiple of the page size), ENOMEM. */
int cost_ucontext_memory(size_t n, size_t stack_size, struct cost_mem *out);

#endif
