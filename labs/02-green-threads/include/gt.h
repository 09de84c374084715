/*
 * gt.h - lab 02, green threads (N:1 user-level threads): the whole student API.
 *
 * Kit-owned and read-only: the tests include it. You write the functions in
 * src/; each banner names its file and the handout task that builds it.
 *
 * The model. One kernel thread runs many green threads, one at a time. A
 * green thread runs until it gives the CPU away: gt_yield, gt_join on a
 * thread still running, gt_sleep_ms, gt_read/gt_write on an fd that is not
 * ready, or gt_exit. Nothing preempts it. The scheduler is round-robin with
 * ONE FIFO run queue, so the order in which threads run is fully specified:
 *   - gt_spawn appends the new thread at the TAIL of the run queue and
 *     returns to the caller without switching;
 *   - gt_yield appends the caller at the tail and runs the head;
 *   - a thread that becomes runnable again (its join target exited, its
 *     sleep expired, its fd became ready) is appended at the tail.
 * Every kernel thread has its own independent scheduler (its state is
 * thread-local): green threads never move between kernel threads.
 *
 * Error convention, as POSIX system calls: functions returning int or
 * ssize_t return -1 and set errno on failure. Misuse that cannot be reported
 * (gt_exit from the main green thread, a deadlock where no green thread can
 * ever run again) stops the program loudly with a "gt panic" line and abort().
 *
 * Forbidden in your objects (the grader reads their undefined symbols):
 * swapcontext, makecontext, getcontext, setcontext, setjmp/longjmp and their
 * variants, pthread_create. The context switch is yours, in assembly.
 */
#ifndef GT_H
#define GT_H

#include <stddef.h>
#include <sys/types.h>

/* A green thread's id: > 0 and never reused within one scheduler (from
 * gt_init to gt_fini). The main green thread is 1; spawned threads get
 * 2, 3, 4, ... in spawn order. 0 means "no green thread". */
typedef int gt_t;

/* Stack sizes, in bytes (the guard page comes on top of these). */
#define GT_DEFAULT_STACK (64 * 1024) /* stack_size 0 means this */
#define GT_MIN_STACK (16 * 1024)     /* smaller (but not 0) is EINVAL */
#define GT_MAX_STACK (256L * 1024 * 1024)

/* ================================================================== */
/* Life of a scheduler                              src/gt.c, Task 4   */
/* ================================================================== */

/* Turn the calling kernel thread into a green scheduler whose main green
 * thread (id 1) is the caller itself, running on its own stack.
 * 0, or -1 with errno EBUSY (this kernel thread already has one), ENOMEM. */
int gt_init(void);

/* Called by the main green thread only. Runs the other green threads until
 * every one of them has exited, releases everything the scheduler owns
 * (unjoined threads' stacks and return values included) and turns the
 * kernel thread back into a plain one; gt_init may be called again.
 * 0, or -1 with errno EPERM (no scheduler here, or the caller is not the
 * main green thread). Deadlock (the others all wait forever) is a panic. */
int gt_fini(void);

/* The calling green thread's id, or 0 when this kernel thread has no
 * scheduler. Never fails. */
gt_t gt_self(void);

/* ================================================================== */
/* Creating, yielding, exiting                Tasks 2, 3, 4 and 5      */
/* ================================================================== */

/* Any green thread. Create a thread that will run fn(arg) on a fresh stack
 * of at least stack_size usable bytes (0: GT_DEFAULT_STACK) with a
 * PROT_NONE guard page below it, so an overflow is a SIGSEGV rather than a
 * silent corruption. The new thread is appended to the run queue; the caller
 * keeps running. It starts with the caller's MXCSR and x87 control word.
 * Returning from fn is gt_exit(fn's return value).
 * Returns the new id, or -1 with errno EPERM (no scheduler), EINVAL (fn is
 * NULL, or stack_size is not 0 and outside [GT_MIN_STACK, GT_MAX_STACK]),
 * ENOMEM (no memory for the thread or its stack). */
gt_t gt_spawn(void *(*fn)(void *arg), void *arg, size_t stack_size);

/* Any green thread. Go to the tail of the run queue and run the head; if
 * nobody else is runnable, return at once. A no-op without a scheduler. */
void gt_yield(void);

/* A spawned green thread (never the main one: that is a panic). End the
 * caller with retval, which gt_join hands to the joiner. Wakes the joiner,
 * if any. The stack is released later, by gt_join, or by the scheduler
 * once the thread is off its stack when it is detached. Never returns. */
__attribute__((noreturn)) void gt_exit(void *retval);

/* Any green thread. Wait until thread id has exited, store its retval in
 * *retval (if retval is not NULL) and release the thread: its id is never
 * valid again. Returns at once if it has already exited.
 * 0, or -1 with errno EPERM (no scheduler), ESRCH (no thread with this id
 * was ever spawned by this scheduler), EDEADLK (id is the caller, or id is
 * waiting, directly or through a chain of joins, to join the caller),
 * EINVAL (id is the main green thread, is detached, was already joined, or
 * another thread is already waiting to join it). */
int gt_join(gt_t id, void **retval);

/* Any green thread. Nobody will join id: its stack and record are released
 * as soon as it has exited (at once if it already has).
 * 0, or -1 with errno EPERM, ESRCH, EINVAL (as for gt_join). */
int gt_detach(gt_t id);

/* ================================================================== */
/* Sleeping and I/O                          src/gt.c, Tasks 6 and 7   */
/* ================================================================== */

/* Any green thread. Park the caller for at least ms milliseconds (measured
 * on CLOCK_MONOTONIC); the others keep running. Sleepers wake in deadline
 * order (equal deadlines: in the order they went to sleep). ms == 0 is
 * gt_yield. When no thread is runnable, the scheduler waits in poll() with
 * a timeout: it never spins. 0, or -1 with errno EPERM, EINVAL (ms < 0). */
int gt_sleep_ms(long ms);

/* Any green thread. read(2) and write(2) for green threads: they put fd in
 * O_NONBLOCK mode (and leave it so); when the call would block, they park
 * only the caller until poll() says fd is ready, and let the others run.
 * gt_read returns as soon as at least one byte was read (or 0 at end of
 * file). gt_write returns only when all n bytes are written, or on error.
 * -1 with errno EPERM (no scheduler) or read's/write's own errors. */
ssize_t gt_read(int fd, void *buf, size_t n);
ssize_t gt_write(int fd, const void *buf, size_t n);

#endif
