/*
 * switch.c - Task 4: the cost of handing the CPU from one unit to another.
 *
 * Kernel threads: the caller writes a byte into a pipe and blocks reading
 * the other pipe; the kernel wakes the partner, which answers. Each hand-off
 * is a system call, a wake-up and a pass through the scheduler.
 * User contexts: swapcontext saves the registers into one ucontext_t and
 * loads them from another; the kernel sees nothing but the signal-mask call.
 */
#include "cost.h"
#include "cost_internal.h"

#include <errno.h>
#include <unistd.h>


int cost_pingpong_start(struct cost_pingpong *pp)
{
    /* TODO 4.1: EINVAL for NULL or running == 1. Make both pipes (close
     *           the first if the second fails), rounds = 0, then
     *           pthread_create the partner (close all four on failure);
     *           running = 1.
     * TODO 4.2: the partner: read one byte from to_partner[0]; on 'q' (or
     *           EOF) return the number of rounds it answered as a void *;
     *           otherwise write one byte to to_caller[1] and count it. Keep
     *           that count in a LOCAL variable: the caller must not read
     *           memory the partner writes while both run. */
    (void)pp;
    return ENOSYS;
}

int cost_pingpong_round(void *ctx)
{
    /* TODO 4.3: EINVAL if NULL or not running; write one byte (not 'q')
     *           to the partner, read its answer (EIO if either fails),
     *           count the round. */
    (void)ctx;
    return ENOSYS;
}

int cost_pingpong_stop(struct cost_pingpong *pp, unsigned long *served)
{
    /* TODO 4.4: EINVAL if NULL or not running; write 'q', pthread_join the
     *           partner and take its count; close the four descriptors
     *           (after the join); running = 0; *served = the count if
     *           served is not NULL. */
    (void)pp;
    (void)served;
    return ENOSYS;
}


int cost_uswitch_start(struct cost_uswitch *u)
{
    /* TODO 4.5: EINVAL for NULL or running == 1. malloc the stack
     *           (ENOMEM), getcontext(&u->co), set its stack and
     *           uc_link = &u->caller, zero rounds, served and quit,
     *           makecontext with the coroutine function (u as two 32-bit
     *           halves), swapcontext in once: the coroutine switches
     *           straight back. running = 1.
     * TODO 4.6: the coroutine: forever { swapcontext(&u->co, &u->caller);
     *           if quit, return; else served++ }. */
    (void)u;
    return ENOSYS;
}

int cost_uswitch_round(void *ctx)
{
    /* TODO 4.7: EINVAL if NULL or not running; swapcontext into the
     *           coroutine (it comes back at once); count the round. */
    (void)ctx;
    return ENOSYS;
}

int cost_uswitch_stop(struct cost_uswitch *u, unsigned long *served)
{
    /* TODO 4.8: EINVAL if NULL or not running; quit = 1, swapcontext in
     *           (the coroutine returns and uc_link resumes you), free the
     *           stack, running = 0, *served = served if not NULL. */
    (void)u;
    (void)served;
    return ENOSYS;
}
