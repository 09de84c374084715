/*
 * pcancel.c - Task 7: real pthread cancellation of a thread blocked in
 * read(2), with a cleanup handler that frees what the thread owned.
 *
 * read(2) is a cancellation point: with the default deferred type, a
 * pthread_cancel aimed at a thread blocked there makes glibc's SIGCANCEL
 * handler end the read and unwind the thread, which runs the handlers
 * that pthread_cleanup_push registered, innermost first.
 */
#include "lc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>


void *pc_reader_main(void *arg)
{
    /* TODO 7.1: allocate r->bufsize bytes; pthread_cleanup_push a handler
     *           (TODO 7.2) that gets the buffer and r; set r->reading = 1;
     *           read(r->fd, ...); pthread_cleanup_pop(1); return the count
     *           as (void *)(intptr_t)n. push and pop are macros that open
     *           and close a block: declare n before the push.
     * TODO 7.2: the handler frees the buffer, stores pthread_self() in
     *           r->cleanup_thread, then sets r->cleaned = 1. */
    (void)arg;
    return (void *)(intptr_t)-1;
}

int pc_cancel_and_join(pthread_t tid, void **ret)
{
    /* TODO 7.3: pthread_cancel, then pthread_join (a cancel request only
     *           asks: the join is what waits for the unwinding to end). */
    (void)tid;
    (void)ret;
    return ENOSYS;
}
