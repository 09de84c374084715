/*
 * kt.h - lab 01, kernel threads from clone(): the whole student API.
 *
 * Kit-owned and read-only: the tests include it. You write the functions in
 * src/; each banner names its file and the handout task that builds it.
 *
 * The model. A kthread is a kernel task made by the raw clone system call,
 * sharing with its creator the address space, the fd table, the cwd/umask,
 * the signal handlers, the thread group (same getpid) and System V semaphore
 * adjustments. It runs fn(self, arg) on a stack of its own (an mmap with a
 * PROT_NONE guard page below it) and ends with a raw exit of that one task.
 * The kernel clears the tid word of its record and wakes any futex waiter on
 * it when the task is gone; kthread_join sleeps on that word, then frees the
 * stack.
 *
 * What a kthread may call. glibc never heard of it: %fs still points at the
 * creator's thread block, so errno, malloc, stdio, pthread_* and anything
 * else that uses thread-local state would use the CREATOR's. A kthread's
 * code (its fn and what fn calls) uses plain memory, atomics, and raw
 * system calls (inline "syscall" that never touches errno), and ends by
 * returning or by kthread_exit. kthread_create and kthread_join run on
 * ordinary threads (main, or pthreads), never on a kthread.
 *
 * Errors are returned as an errno number (0 = success), as pthreads do:
 * errno itself is thread-local, which is exactly what a kthread lacks.
 *
 * Forbidden in your objects (the grader reads their undefined symbols):
 * pthread_create, pthread_join and the other pthread thread-life calls,
 * C11 thrd_*, and glibc's clone()/clone3() wrappers: the clone system call
 * and the child's first frame are yours, in src/kt_clone.S.
 */
#ifndef KT_H
#define KT_H

#include <stddef.h>
#include <sched.h>     /* CLONE_* */
#include <sys/types.h>

/* A kthread's record. Opaque: it lives at the top of the thread's own
 * mapping (above its stack) and is freed with it by kthread_join. */
typedef struct kthread kthread_t;

/* The entry function: runs on the new thread; returning r is
 * kthread_exit(self, r). self is the thread's own handle (there is no
 * thread-local "current thread" to ask). */
typedef void *(*kthread_fn)(kthread_t *self, void *arg);

/* Stack sizes, in bytes (the guard page and the record come on top). */
#define KT_DEFAULT_STACK (64 * 1024)   /* stack_size 0 means this */
#define KT_MIN_STACK (16 * 1024)       /* smaller (but not 0) is EINVAL */
#define KT_MAX_STACK (256L * 1024 * 1024)

/* The exact clone flags of kthread_create (the handout explains each). */
#define KT_CLONE_FLAGS                                                        \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |       \
     CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* ================================================================== */
/* The assembly piece                       src/kt_clone.S, Task 1     */
/* ================================================================== */

/* Called by kthread_create only. The raw clone system call:
 * clone(flags, stack_top, parent_tid, child_tid, tls = 0). In the caller it
 * returns the new task's tid (> 0) or -errno; it never touches errno.
 * The child starts on stack_top (16-byte aligned, rsp == stack_top) with
 * no valid frame: it calls kt_start(t) with rbp = 0, and if kt_start ever
 * returns it stops with an illegal instruction (ud2). */
long kt_clone(unsigned long flags, void *stack_top, int *parent_tid,
              int *child_tid, kthread_t *t);

/* The C half of the trampoline (src/kt.c, Task 3), called by kt_clone's
 * child only: kthread_exit(t, fn(t, arg)). Never returns. */
__attribute__((noreturn)) void kt_start(kthread_t *t);

/* ================================================================== */
/* Creating, exiting, joining                  src/kt.c, Tasks 2 to 6  */
/* ================================================================== */

/* Ordinary threads only (never a kthread). Start a kernel thread running
 * fn(self, arg) on a fresh stack of at least stack_size usable bytes (0:
 * KT_DEFAULT_STACK) with a PROT_NONE guard page directly below it. On
 * success *out is the new thread's handle, and kthread_tid(*out) > 0.
 * Returns 0, or EINVAL (out or fn NULL; stack_size not 0 and outside
 * [KT_MIN_STACK, KT_MAX_STACK]), ENOMEM (no memory for the stack), or the
 * error of clone (EAGAIN, ...); on error nothing is left mapped and *out is
 * not written. Safe to call from several ordinary threads at once. */
int kthread_create(kthread_t **out, kthread_fn fn, void *arg,
                   size_t stack_size);

/* The kthread self only, from anywhere in its call stack. Record retval
 * for kthread_join and end THIS task with the raw exit system call (not
 * exit_group: the process and every other thread go on). Never returns.
 * Called by any other task, it stops the process loudly (SIGABRT). */
__attribute__((noreturn)) void kthread_exit(kthread_t *self, void *retval);

/* Ordinary threads only. Wait until t has ended (sleeping in the kernel on
 * its tid word, not spinning), store its retval in *retval (if retval is
 * not NULL), and free its stack and record: t is never valid again. Each
 * thread is joined exactly once. Returns 0, or ESRCH when t is not a live
 * thread (NULL, a made-up pointer, or a thread already joined: t is not
 * dereferenced then). Like a pthread_t, a joined handle's address may be
 * reused by a later kthread_create; a second join is reported as ESRCH only
 * until then. Safe to call from several ordinary threads at once, for
 * different threads. */
int kthread_join(kthread_t *t, void **retval);

/* Any thread, while t is valid (before kthread_join returns). The kernel
 * task id of t (a /proc/self/task entry) while it runs, or 0 once the
 * kernel has cleared it at thread exit. */
pid_t kthread_tid(const kthread_t *t);

#endif
