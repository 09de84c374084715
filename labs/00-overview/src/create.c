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


int cost_process_create_join(void *ctx)
{
    /* TODO 3.1: fork(); return errno if it fails.
     * TODO 3.2: in the child: add 1 to *(unsigned long *)ctx if ctx is not
     *           NULL, then _exit(0) (not exit: see the handout).
     * TODO 3.3: in the parent: waitpid for that child (retry on EINTR);
     *           return 0 only if it exited with status 0, else ECHILD. */
    (void)ctx;
    return ENOSYS;
}


int cost_thread_create_join(void *ctx)
{
    /* TODO 3.4: pthread_create (default attributes) a thread whose body
     *           adds 1 to the counter when ctx is not NULL; return its
     *           error if it fails.
     * TODO 3.5: pthread_join it (the join is what makes the increment
     *           visible to the caller). */
    (void)ctx;
    return ENOSYS;
}


int cost_ucontext_create_join(void *ctx)
{
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
}
