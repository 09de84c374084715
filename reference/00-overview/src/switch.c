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

#ifdef SOLUTION
/* One byte, retrying on EINTR. 1 on success, 0 on EOF or error. */
static int put_byte(int fd, char c)
{
    ssize_t k;
    while ((k = write(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    return k == 1;
}

static int get_byte(int fd, char *c)
{
    ssize_t k;
    while ((k = read(fd, c, 1)) < 0 && errno == EINTR)
        ;
    return k == 1;
}

/* The partner thread. Only it touches `served`, a local: the caller learns
 * the count through pthread_join, which orders the two threads. */
static void *partner_main(void *arg)
{
    struct cost_pingpong *pp = arg;
    int in = pp->to_partner[0], out = pp->to_caller[1];
    unsigned long served = 0;
    char c;
    while (get_byte(in, &c) && c != 'q') {
        if (!put_byte(out, c))
            break;
        served++;
    }
    return (void *)served;
}

static void close_pair(int fd[2])
{
    close(fd[0]);
    close(fd[1]);
}
#endif

int cost_pingpong_start(struct cost_pingpong *pp)
{
#ifdef SOLUTION
    if (!pp || pp->running == 1)
        return EINVAL;
    if (pipe(pp->to_partner) != 0)
        return errno;
    if (pipe(pp->to_caller) != 0) {
        int e = errno;
        close_pair(pp->to_partner);
        return e;
    }
    pp->rounds = 0;
    /* The descriptors are written before pthread_create: the new thread
     * sees them (creation orders everything before it). */
    int rc = pthread_create(&pp->partner, NULL, partner_main, pp);
    if (rc != 0) {
        close_pair(pp->to_partner);
        close_pair(pp->to_caller);
        return rc;
    }
    pp->running = 1;
    return 0;
#else
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
#endif
}

int cost_pingpong_round(void *ctx)
{
#ifdef SOLUTION
    struct cost_pingpong *pp = ctx;
    if (!pp || pp->running != 1)
        return EINVAL;
    char c = 'p';
    if (!put_byte(pp->to_partner[1], c) || !get_byte(pp->to_caller[0], &c))
        return EIO;
    pp->rounds++;
    return 0;
#else
    /* TODO 4.3: EINVAL if NULL or not running; write one byte (not 'q')
     *           to the partner, read its answer (EIO if either fails),
     *           count the round. */
    (void)ctx;
    return ENOSYS;
#endif
}

int cost_pingpong_stop(struct cost_pingpong *pp, unsigned long *served)
{
#ifdef SOLUTION
    if (!pp || pp->running != 1)
        return EINVAL;
    /* If 'q' cannot be written the partner still ends: closing the write
     * end below gives its read EOF. Close only after the join either way. */
    put_byte(pp->to_partner[1], 'q');
    void *ret;
    int rc = pthread_join(pp->partner, &ret);
    COST_ASSERT(rc == 0);
    close_pair(pp->to_partner);
    close_pair(pp->to_caller);
    pp->running = 0;
    COST_ASSERT((unsigned long)ret == pp->rounds);
    if (served)
        *served = (unsigned long)ret;
    return 0;
#else
    /* TODO 4.4: EINVAL if NULL or not running; write 'q', pthread_join the
     *           partner and take its count; close the four descriptors
     *           (after the join); running = 0; *served = the count if
     *           served is not NULL. */
    (void)pp;
    (void)served;
    return ENOSYS;
#endif
}

#ifdef SOLUTION
/* The coroutine: answer each round by switching straight back. */
static void co_main(unsigned hi, unsigned lo)
{
    struct cost_uswitch *u = (void *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
    for (;;) {
        /* First entry is start's; after it, each entry is a round's. */
        COST_ASSERT(swapcontext(&u->co, &u->caller) == 0);
        if (u->quit)
            return; /* uc_link resumes stop */
        u->served++;
    }
}
#endif

int cost_uswitch_start(struct cost_uswitch *u)
{
#ifdef SOLUTION
    if (!u || u->running == 1)
        return EINVAL;
    u->stack = malloc(COST_UCTX_STACK);
    if (!u->stack)
        return ENOMEM;
    if (getcontext(&u->co) != 0) {
        int e = errno;
        free(u->stack);
        return e;
    }
    u->co.uc_stack.ss_sp = u->stack;
    u->co.uc_stack.ss_size = COST_UCTX_STACK;
    u->co.uc_link = &u->caller;
    u->rounds = u->served = 0;
    u->quit = 0;
    uintptr_t p = (uintptr_t)u;
    makecontext(&u->co, (void (*)(void))co_main, 2, (unsigned)(p >> 32), (unsigned)p);
    /* Run it to its first suspension. */
    COST_ASSERT(swapcontext(&u->caller, &u->co) == 0);
    u->running = 1;
    return 0;
#else
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
#endif
}

int cost_uswitch_round(void *ctx)
{
#ifdef SOLUTION
    struct cost_uswitch *u = ctx;
    if (!u || u->running != 1)
        return EINVAL;
    COST_ASSERT(swapcontext(&u->caller, &u->co) == 0);
    u->rounds++;
    return 0;
#else
    /* TODO 4.7: EINVAL if NULL or not running; swapcontext into the
     *           coroutine (it comes back at once); count the round. */
    (void)ctx;
    return ENOSYS;
#endif
}

int cost_uswitch_stop(struct cost_uswitch *u, unsigned long *served)
{
#ifdef SOLUTION
    if (!u || u->running != 1)
        return EINVAL;
    u->quit = 1;
    /* The coroutine returns; uc_link brings us back here. */
    COST_ASSERT(swapcontext(&u->caller, &u->co) == 0);
    COST_ASSERT(u->served == u->rounds);
    free(u->stack);
    u->stack = NULL;
    u->running = 0;
    if (served)
        *served = u->served;
    return 0;
#else
    /* TODO 4.8: EINVAL if NULL or not running; quit = 1, swapcontext in
     *           (the coroutine returns and uc_link resumes you), free the
     *           stack, running = 0, *served = served if not NULL. */
    (void)u;
    (void)served;
    return ENOSYS;
#endif
}
