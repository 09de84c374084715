/*
 * mn_test.h - helpers shared by the lab 03 tests (kit-owned).
 *
 * User threads never call tl_check: they record the first failure in a
 * tl_failbox and stop; the test's own thread reports it. The test thread
 * waits for user threads by polling a predicate under a deadline that only
 * turns a hang into a message (TL_WAIT_UNTIL, TL_WAIT_PROGRESS in
 * tl_util.h); nothing sleeps to synchronise.
 */
#ifndef MN_TEST_H
#define MN_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "mn.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <time.h>

#define MN_START(n)                                                           \
    do {                                                                      \
        int mn_rc_ = mn_init(n);                                              \
        tl_check(mn_rc_ == 0,                                                 \
                 "mn_init(%d) failed (errno %s), so nothing else can be "     \
                 "tested. Hint: %s", (n), tl_ename(errno),                    \
                 errno == EBUSY ? "EBUSY: an earlier test in this process "   \
                                  "left its runtime up; run this test alone " \
                                  "with make run T=<name>."                   \
                                : "handout Task 2.1 (mn_init in src/mn.c).");  \
    } while (0)

#define MN_STOP()                                                             \
    do {                                                                      \
        int mn_rc_ = mn_shutdown();                                           \
        tl_check(mn_rc_ == 0,                                                 \
                 "mn_shutdown() from the thread that called mn_init failed "  \
                 "(errno %s). Hint: handout Task 2.6.", tl_ename(errno));     \
    } while (0)

#define MN_SPAWN(id, fn, arg)                                                 \
    do {                                                                      \
        (id) = mn_spawn((fn), (arg));                                         \
        tl_check((id) > 0,                                                    \
                 "mn_spawn(%s) returned %ld (errno %s). Hint: handout Tasks " \
                 "1 and 2.5.", #fn, (long)(id), tl_ename(errno));             \
    } while (0)

#define MN_JOIN(id, retp)                                                     \
    do {                                                                      \
        int mn_rc_ = mn_join((id), (retp));                                   \
        tl_check(mn_rc_ == 0,                                                 \
                 "mn_join(%ld) from the test's kernel thread returned %d "    \
                 "(errno %s) for a live, joinable thread. Hint: handout "     \
                 "Task 2.10.", (long)(id), mn_rc_, tl_ename(errno));          \
    } while (0)

#define MN_STATS(s)                                                           \
    do {                                                                      \
        int mn_rc_ = mn_stats(s);                                             \
        tl_check(mn_rc_ == 0, "mn_stats failed (errno %s). Hint: handout "    \
                 "Task 2.11.", tl_ename(errno));                              \
    } while (0)

/* A user thread's deadline: 1 once `secs` (times tl_slow()) have passed
 * since *start (set *start to 0 first). For loops that must end even when
 * the code under test is broken. */
__attribute__((unused)) static int past(double *start, double secs)
{
    if (*start == 0)
        *start = tl_now();
    return tl_now() - *start > secs * (double)tl_slow();
}

/* CPU time this process has used, in seconds (every thread). */
__attribute__((unused)) static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Fault injection                                                    */
/* ------------------------------------------------------------------ */

/* lab.conf links the tests with -Wl,--wrap=malloc,calloc,realloc,mmap,
 * mprotect,pthread_create: the calls src/mn.c makes come here first. They go
 * straight through unless tl_fault_after(n) armed a fault on THIS kernel
 * thread: then the n-th of them fails (ENOMEM; EAGAIN for pthread_create). */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_mprotect(void *addr, size_t len, int prot);
int __wrap_mprotect(void *addr, size_t len, int prot);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

void *__wrap_malloc(size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_realloc(p, size);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return tl_fault_errno(ENOMEM) ? MAP_FAILED : __real_mmap(addr, len, prot, flags, fd, off);
}

/* The address of the last mapping mprotect was asked to change: a test
 * looks it up in /proc/self/maps after a failure, to see it was unmapped. */
static __thread void *last_mprotect;
/* Set when mprotect is called on MAP_FAILED: a failed mmap went unnoticed. */
static __thread int mprotect_on_failed_map;

int __wrap_mprotect(void *addr, size_t len, int prot)
{
    last_mprotect = addr;
    if (addr == MAP_FAILED)
        mprotect_on_failed_map = 1;
    return tl_fault_errno(ENOMEM) ? -1 : __real_mprotect(addr, len, prot);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    return tl_fault_now() ? EAGAIN : __real_pthread_create(t, a, fn, arg);
}

#endif
