/*
 * coro_test.h - helpers shared by the lab 04 test files (kit-owned).
 */
#ifndef CORO_TEST_H
#define CORO_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "coro.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

/* What coro_status returned, by name. */
__attribute__((unused)) static const char *sname(int s)
{
    switch (s) {
    case CORO_SUSPENDED: return "CORO_SUSPENDED";
    case CORO_RUNNING: return "CORO_RUNNING";
    case CORO_NORMAL: return "CORO_NORMAL";
    case CORO_DEAD: return "CORO_DEAD";
    case -1: return "-1 (error)";
    default: return "(not a status)";
    }
}

/* A return code of coro_resume or a PT step, by name. */
__attribute__((unused)) static const char *rname(int rc)
{
    static char buf[64];
    if (rc == -1) {
        snprintf(buf, sizeof buf, "-1 (errno %s)", tl_ename(errno));
        return buf;
    }
    snprintf(buf, sizeof buf, "%d", rc);
    return buf;
}

/* Create or fail with the reason. */
#define CO_CREATE(co, fn, arg, size)                                          \
    do {                                                                      \
        errno = 0;                                                            \
        (co) = coro_create((fn), (arg), (size));                              \
        tl_check((co) != NULL,                                                \
                 "coro_create(%s, stack %zu) returned NULL (errno %s), so "   \
                 "nothing else can be tested. Hint: handout Tasks 2 and 3.1 " \
                 "(coro_stack_alloc, coro_context_init, coro_create in "      \
                 "src/coro.c).", #fn, (size_t)(size), tl_ename(errno));          \
    } while (0)

/* Resume and expect a given result. */
#define CO_RESUME(co, in, outp, want)                                         \
    do {                                                                      \
        errno = 0;                                                            \
        int co_rc_ = coro_resume((co), (in), (outp));                         \
        tl_check(co_rc_ == (want),                                            \
                 "coro_resume(%s) returned %s, expected %s. Hint: handout "   \
                 "Task 3.2-3.4 (and Task 1 and 2 if nothing ran).", #co,      \
                 rname(co_rc_),                                               \
                 (want) == CORO_YIELDED ? "CORO_YIELDED (0)"                  \
                                        : "CORO_RETURNED (1)");               \
    } while (0)

#define CO_DESTROY(co)                                                        \
    do {                                                                      \
        errno = 0;                                                            \
        int co_rc_ = coro_destroy(co);                                        \
        tl_check(co_rc_ == 0,                                                 \
                 "coro_destroy(%s) of a coroutine that is not running "       \
                 "returned %s, expected 0. Hint: handout Task 3.8.", #co,     \
                 rname(co_rc_));                                              \
    } while (0)

/* Expect a -1 with the given errno from an int-returning call. */
#define EXPECT_ERR(call, want, what)                                          \
    do {                                                                      \
        errno = 0;                                                            \
        int e_rc_ = (call);                                                   \
        int e_er_ = errno;                                                    \
        tl_check(e_rc_ == -1 && e_er_ == (want),                              \
                 "%s: %s returned %d with errno %s; expected -1 with %s (a "  \
                 "reported error, not a crash and not a silent success). "    \
                 "Hint: coro.h lists each error.", (what), #call, e_rc_,      \
                 tl_ename(e_er_), tl_ename(want));                                  \
    } while (0)

/* Resident set in bytes, from /proc/self/statm. */
__attribute__((unused)) static long rss_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = -1;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2)
            res = -1;
        fclose(f);
    }
    return res < 0 ? -1 : res * sysconf(_SC_PAGESIZE);
}

/* ------------------------------------------------------------------ */
/* Fault injection: out of memory on demand                           */
/* ------------------------------------------------------------------ */

/* lab.conf links every test program with -Wl,--wrap=malloc,calloc,mmap,
 * mprotect: the calls your code makes to those functions come here first
 * (libc's own calls do not). By default they go straight through;
 * tl_fault_after(n) (grader/harness/tl_util.h) makes the n-th of them on
 * this kernel thread fail with ENOMEM (NULL, MAP_FAILED or -1), once, and
 * tl_fault_disarm() says whether it did. */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_mprotect(void *addr, size_t len, int prot);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_mprotect(void *addr, size_t len, int prot);

void *__wrap_malloc(size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_calloc(n, size);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return tl_fault_errno(ENOMEM) ? MAP_FAILED : __real_mmap(addr, len, prot, flags, fd, off);
}

/* Set when mprotect is called on MAP_FAILED: a failed mmap went unnoticed. */
static int mprotect_on_failed_map;

int __wrap_mprotect(void *addr, size_t len, int prot)
{
    if (addr == MAP_FAILED)
        mprotect_on_failed_map = 1;
    return tl_fault_errno(ENOMEM) ? -1 : __real_mprotect(addr, len, prot);
}

#endif
