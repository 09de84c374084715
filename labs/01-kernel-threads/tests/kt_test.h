/*
 * kt_test.h - helpers shared by lab 01's tests (kit-owned).
 *
 * The rule of the lab holds for the tests too: the body of a kthread (the
 * functions named *_body below) touches only plain memory, atomics and raw
 * system calls. It never calls tl_check, printf, malloc or anything that
 * sets errno; it records what it saw, and the test's main thread checks
 * it after the join. Waiting is a futex on a flag, or polling under a
 * deadline that only turns a hang into a message; nothing sleeps to
 * synchronise.
 */
#ifndef KT_TEST_H
#define KT_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "kt.h"

#include <errno.h>
#include <linux/futex.h>
#include <dirent.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#include <valgrind/helgrind.h>


#define KT_CREATE(tp, fn, arg, size)                                          \
    do {                                                                      \
        int kt_rc_ = kthread_create((tp), (fn), (arg), (size));               \
        tl_check(kt_rc_ == 0,                                                 \
                 "kthread_create(%s, stack %zu) returned %d (%s), expected "  \
                 "0.%s", #fn, (size_t)(size), kt_rc_, tl_ename(kt_rc_),          \
                 kt_rc_ == ENOSYS ? " ENOSYS: the skeleton's stub; handout "  \
                                    "Tasks 1-4." : "");                       \
    } while (0)

#define KT_JOIN(t, retp)                                                      \
    do {                                                                      \
        int kt_rc_ = kthread_join((t), (retp));                               \
        tl_check(kt_rc_ == 0,                                                 \
                 "kthread_join of a live, never joined thread returned %d "   \
                 "(%s), expected 0.%s", kt_rc_, tl_ename(kt_rc_),                \
                 kt_rc_ == ESRCH ? " ESRCH: is the thread in the registry "   \
                 "(handout Task 6)?" : kt_rc_ == ENOSYS ? " ENOSYS: the "     \
                 "skeleton's stub; handout Task 5." : "");                    \
    } while (0)

/* ------------------------------------------------------------------ */
/* Raw system calls: what a kthread body may use                       */
/* ------------------------------------------------------------------ */

static inline long raw3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return r;
}

static inline long raw6(long n, long a, long b, long c, long d, long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

static inline int raw_gettid(void) { return (int)raw3(SYS_gettid, 0, 0, 0); }
static inline int raw_getpid(void) { return (int)raw3(SYS_getpid, 0, 0, 0); }

/* A one-shot flag: flag_set publishes everything written before it to
 * whoever sees the flag set (release/acquire; helgrind is told the same
 * with its annotations, since it does not know futexes). */

/* An int only ever accessed with __atomic builtins. helgrind does not
 * know atomics order anything, so it is told not to check the word itself;
 * what the flag publishes is checked (the HAPPENS annotations). */
#define QUIET_ATOMIC(p) VALGRIND_HG_DISABLE_CHECKING((p), sizeof *(p))

/* Block until *flag != 0 (a kthread may call it). */
static inline void flag_wait(int *flag)
{
    QUIET_ATOMIC(flag);
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) == 0)
        raw6(SYS_futex, (long)flag, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
    ANNOTATE_HAPPENS_AFTER(flag);
}

/* Set *flag and wake its waiters (any thread). */
static inline void flag_set(int *flag)
{
    QUIET_ATOMIC(flag);
    ANNOTATE_HAPPENS_BEFORE(flag);
    __atomic_store_n(flag, 1, __ATOMIC_RELEASE);
    raw6(SYS_futex, (long)flag, FUTEX_WAKE_PRIVATE, 1 << 30, 0, 0, 0);
}

/* On an ordinary thread: wait until *flag != 0, yielding, for at most
 * `seconds` (times tl_slow()). 1 if it was set. */
__attribute__((unused)) static int flag_within(int *flag, double seconds)
{
    double end = tl_now() + seconds * (double)tl_slow();
    QUIET_ATOMIC(flag);
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) == 0) {
        if (tl_now() > end)
            return 0;
        sched_yield();
    }
    ANNOTATE_HAPPENS_AFTER(flag);
    return 1;
}

/* ------------------------------------------------------------------ */
/* /proc                                                               */
/* ------------------------------------------------------------------ */

/* The /proc/self/task directory of the task whose tid (as gettid() and
 * the tid word see it) is tid, in out; 1 if there is one. The grader may
 * run a test in a PID namespace of its own while /proc shows the outer
 * one: then the directory name differs from tid, and the last number of
 * the "NSpid:" line of its status file is the tid we know. */
__attribute__((unused)) static int task_dir(int tid, char *out, size_t cap)
{
    snprintf(out, cap, "/proc/self/task/%d", tid);
    char path[300], line[256];
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int found = 0;
    while (d && !found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
            if (strncmp(line, "NSpid:", 6) != 0)
                continue;
            char *last = strrchr(line, '\t');
            last = last ? last + 1 : line + 6;
            if (atoi(last) == tid) {
                snprintf(out, cap, "/proc/self/task/%s", e->d_name);
                found = 1;
            }
            break;
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return found;
}

/* 1 if tid is a task of this process (listed in /proc/self/task). */
__attribute__((unused)) static int task_listed(int tid)
{
    char dir[300];
    return task_dir(tid, dir, sizeof dir);
}

/* Wait (yielding) until /proc/self/task/<tid> is gone; 1 if it went. The
 * kernel clears the tid word a little before it removes the task, so a
 * correct join may return while the entry is still there. */
__attribute__((unused)) static int task_gone_within(int tid, double seconds)
{
    double end = tl_now() + seconds * (double)tl_slow();
    while (task_listed(tid)) {
        if (tl_now() > end)
            return 0;
        sched_yield();
    }
    return 1;
}

/* Number of lines of /proc/self/maps. */
__attribute__((unused)) static int maps_lines(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, c;
    if (!f)
        return -1;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* 1 if the page holding addr is mapped (mincore fails with ENOMEM on an
 * unmapped page). */
__attribute__((unused)) static int page_mapped(uintptr_t addr)
{
    unsigned char vec;
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    return mincore((void *)(addr & ~(pg - 1)), 1, &vec) == 0;
}

/* ------------------------------------------------------------------ */
/* Fault injection and a look at the clone call                        */
/* ------------------------------------------------------------------ */

/* lab.conf links every test program with -Wl,--wrap=mmap,mprotect,kt_clone:
 * the calls your kt.c makes to those functions come here first (libc's
 * own calls do not). By default they go straight through. tl_fault_after(n)
 * makes the n-th wrapped call from now on THIS thread fail (ENOMEM for
 * mmap/mprotect, -EAGAIN for kt_clone), once. The last kt_clone call of
 * this thread is recorded in last_clone. */
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_mprotect(void *addr, size_t len, int prot);
long __real_kt_clone(unsigned long flags, void *stack_top, int *ptid,
                     int *ctid, kthread_t *t);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_mprotect(void *addr, size_t len, int prot);
long __wrap_kt_clone(unsigned long flags, void *stack_top, int *ptid,
                     int *ctid, kthread_t *t);


struct clone_call {
    int n;                    /* calls so far on this thread */
    unsigned long flags;
    void *stack_top;
    int *ptid, *ctid;
    kthread_t *t;
    long ret;
};
static __thread struct clone_call last_clone;

/* The last mapping the lab's code got from mmap on this thread. */
static __thread void *last_map;
static __thread size_t last_map_len;


void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (tl_fault_now()) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    void *m = __real_mmap(addr, len, prot, flags, fd, off);
    if (m != MAP_FAILED) {
        last_map = m;
        last_map_len = len;
    }
    return m;
}

/* Set when mprotect is called on MAP_FAILED: a failed mmap went unnoticed. */
static __thread int mprotect_on_map_failed;

int __wrap_mprotect(void *addr, size_t len, int prot)
{
    if (addr == MAP_FAILED)
        mprotect_on_map_failed = 1;
    if (tl_fault_now()) {
        errno = ENOMEM;
        return -1;
    }
    return __real_mprotect(addr, len, prot);
}

long __wrap_kt_clone(unsigned long flags, void *stack_top, int *ptid,
                     int *ctid, kthread_t *t)
{
    last_clone.n++;
    last_clone.flags = flags;
    last_clone.stack_top = stack_top;
    last_clone.ptid = ptid;
    last_clone.ctid = ctid;
    last_clone.t = t;
    last_clone.ret = tl_fault_now() ? -EAGAIN : __real_kt_clone(flags, stack_top, ptid, ctid, t);
    return last_clone.ret;
}

#endif
