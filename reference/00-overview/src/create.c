/*
 * create.c - Task 3: create, run and join one unit of each model.
 *
 * The three functions do the same work, a body that increments a counter,
 * wrapped in three kinds of unit: a process (a new address space, copied
 * on write), a kernel thread (a new task sharing the address space), a user
 * context (a stack and saved registers, no kernel object at all).
 */
#include "cost.h"
#include "cost_internal.h"

#include <errno.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef SOLUTION
static void bump(void *ctx)
{
    if (ctx)
        ++*(unsigned long *)ctx;
}
#endif

int cost_process_create_join(void *ctx)
{
#ifdef SOLUTION
    pid_t pid = fork();
    if (pid < 0)
        return errno;
    if (pid == 0) {
        /* The child: its own copy of every page, so this increment never
         * reaches the parent. _exit, not exit: no atexit handlers and no
         * stdio flush of buffers copied from the parent. */
        bump(ctx);
        _exit(0);
    }
    int status;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (w < 0)
        return errno;
    COST_ASSERT(w == pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : ECHILD;
#else
    /* TODO 3.1: fork(); return errno if it fails.
     * TODO 3.2: in the child: add 1 to *(unsigned long *)ctx if ctx is not
     *           NULL, then _exit(0) (not exit: see the handout).
     * TODO 3.3: in the parent: waitpid for that child (retry on EINTR);
     *           return 0 only if it exited with status 0, else ECHILD. */
    (void)ctx;
    return ENOSYS;
#endif
}

#ifdef SOLUTION
static void *thread_body(void *ctx)
{
    bump(ctx);
    return ctx;
}
#endif

int cost_thread_create_join(void *ctx)
{
#ifdef SOLUTION
    pthread_t t;
    int rc = pthread_create(&t, NULL, thread_body, ctx);
    if (rc != 0)
        return rc;
    void *ret;
    rc = pthread_join(t, &ret);
    COST_ASSERT(rc == 0 && ret == ctx);
    return 0;
#else
    /* TODO 3.4: pthread_create (default attributes) a thread whose body
     *           adds 1 to the counter when ctx is not NULL; return its
     *           error if it fails.
     * TODO 3.5: pthread_join it (the join is what makes the increment
     *           visible to the caller). */
    (void)ctx;
    return ENOSYS;
#endif
}

#ifdef SOLUTION
/* makecontext passes int arguments: a pointer travels as two halves. */
static void uctx_body(unsigned hi, unsigned lo)
{
    bump((void *)(((uintptr_t)hi << 32) | (uintptr_t)lo));
    /* Returning follows uc_link back into cost_ucontext_create_join. */
}
#endif

int cost_ucontext_create_join(void *ctx)
{
#ifdef SOLUTION
    ucontext_t caller, unit;
    void *stack = malloc(COST_UCTX_STACK);
    if (!stack)
        return ENOMEM;
    if (getcontext(&unit) != 0) {
        int e = errno;
        free(stack);
        return e;
    }
    unit.uc_stack.ss_sp = stack;
    unit.uc_stack.ss_size = COST_UCTX_STACK;
    unit.uc_link = &caller;
    uintptr_t p = (uintptr_t)ctx;
    makecontext(&unit, (void (*)(void))uctx_body, 2, (unsigned)(p >> 32), (unsigned)p);
    int rc = swapcontext(&caller, &unit) != 0 ? errno : 0;
    free(stack);
    return rc;
#else
    /* TODO 3.6: malloc a COST_UCTX_STACK stack (ENOMEM); getcontext into a
     *           ucontext_t, point uc_stack at the stack, uc_link at a second
     *           ucontext_t for the caller.
     * TODO 3.7: makecontext with a body that adds 1 to the counter when ctx
     *           is not NULL (makecontext passes ints: send the pointer as
     *           two 32-bit halves), then swapcontext(&caller, &unit): it
     *           returns when the body returns.
     * TODO 3.8: free the stack. */
    (void)ctx;
    return ENOSYS;
#endif
}
