/*
 * kt.c - kernel threads from clone(): stacks, the trampoline, exit,
 * create, join and the registry of live threads (handout Tasks 2 to 6;
 * Task 1 is src/kt_clone.S).
 *
 * Two kinds of code live here. kt_start and kthread_exit run ON a kthread:
 * they use plain memory and raw system calls only (no errno, no malloc, no
 * stdio, no pthread_*: see kt.h). Everything else runs on the ordinary
 * threads that create and join, and may use glibc freely.
 */
#include "kt_internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/helgrind.h>

/* ================================================================== */
/* Given: a panic that is safe on a kthread                           */
/* ================================================================== */

static size_t kt_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void kt_write2(const char *s)
{
    kt_syscall3(SYS_write, 2, (long)s, (long)kt_strlen(s));
}

void kt_panic_at(const char *file, int line, const char *what)
{
    char num[16];
    int i = (int)sizeof num - 1;
    unsigned v = line > 0 ? (unsigned)line : 0;
    num[i] = '\0';
    do {
        num[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    /* Raw writes: no stdio buffer, no lock, no errno. */
    kt_write2("kt panic at ");
    kt_write2(file);
    kt_write2(":");
    kt_write2(num + i);
    kt_write2(": ");
    kt_write2(what);
    kt_write2("\n");
    /* SIGABRT to this very task; its default action ends the process. */
    long pid = kt_syscall3(SYS_getpid, 0, 0, 0);
    long tid = kt_syscall3(SYS_gettid, 0, 0, 0);
    kt_syscall3(SYS_tgkill, pid, tid, SIGABRT);
    for (;;)
        kt_syscall3(SYS_exit_group, 134, 0, 0); /* GCOVR_EXCL_LINE: SIGABRT ended us */
}

/* ================================================================== */
/* Stacks                                                      Task 2  */
/* ================================================================== */

/* Room the record takes at the top of the mapping: a multiple of 16, so
 * that the stack top just below it keeps the ABI's alignment. */
#define KT_REC_ROOM ((sizeof(struct kthread) + 15) & ~(size_t)15)

struct kthread *kt_stack_alloc(size_t stack_size, int *err)
{
#ifdef SOLUTION
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t above = (stack_size + KT_REC_ROOM + pg - 1) & ~(pg - 1);
    size_t len = pg + above;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (m == MAP_FAILED) {
        *err = ENOMEM;
        return NULL;
    }
    /* The guard page is the LOWEST page: the stack grows down into it. */
    if (mprotect(m, pg, PROT_NONE) != 0) {
        munmap(m, len);
        *err = ENOMEM;
        return NULL;
    }
    struct kthread *t = (struct kthread *)(m + len - KT_REC_ROOM);
    memset(t, 0, sizeof *t);
    t->map = m;
    t->map_len = len;
    return t;
#else
    /* TODO 2.1: pg = sysconf(_SC_PAGESIZE). The part above the guard page
     *           must hold stack_size bytes of stack plus KT_REC_ROOM bytes
     *           of record: round that sum UP to whole pages, and add one
     *           page for the guard.
     * TODO 2.2: mmap that many bytes, PROT_READ|PROT_WRITE,
     *           MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK. MAP_FAILED: *err =
     *           ENOMEM, return NULL.
     * TODO 2.3: mprotect the LOWEST page PROT_NONE (the guard). On failure
     *           munmap everything, *err = ENOMEM, return NULL.
     * TODO 2.4: the record sits in the last KT_REC_ROOM bytes of the
     *           mapping (its address is also the stack top: a multiple of
     *           16). Zero it, set map and map_len, return it. */
    (void)stack_size;
    *err = ENOSYS;
    return NULL;
#endif
}

void kt_stack_free(struct kthread *t)
{
#ifdef SOLUTION
    /* t lives inside the mapping: copy what munmap needs first. */
    void *m = t->map;
    size_t len = t->map_len;
    if (munmap(m, len) != 0)
        KT_PANIC("munmap of a thread's stack failed"); /* GCOVR_EXCL_LINE: cannot fail on our own mapping */
#else
    /* TODO 2.5: munmap the whole mapping, guard page and record included.
     *           The record is INSIDE it: read map and map_len first. A
     *           failing munmap is a bug: KT_PANIC. */
    (void)t;
#endif
}

/* ================================================================== */
/* The trampoline and the exit of one thread                   Task 3  */
/* ================================================================== */

void kt_start(struct kthread *t)
{
#ifdef SOLUTION
    /* For helgrind: everything the creator did before kt_clone happens
     * before this (the clone system call orders it; helgrind cannot see
     * that by itself). Pairs with ANNOTATE_HAPPENS_BEFORE(t) in
     * kthread_create. */
    ANNOTATE_HAPPENS_AFTER(t);
    KT_ASSERT(t->magic == KT_MAGIC);
    kthread_exit(t, t->fn(t, t->arg));
#else
    /* TODO 3.1: you are the first C function of the new thread, called
     *           from kt_clone's child with t. Tell helgrind about the
     *           creation edge: ANNOTATE_HAPPENS_AFTER(t) (see Task 4.4).
     * TODO 3.2: kthread_exit(t, t->fn(t, t->arg)): returning from fn IS
     *           kthread_exit. There is nothing to return to. */
    (void)t;
    KT_PANIC("kt_start is not written yet: see handout task 3");
#endif
}

void kthread_exit(struct kthread *self, void *retval)
{
#ifdef SOLUTION
    if (kt_syscall3(SYS_gettid, 0, 0, 0) != self->tid)
        KT_PANIC("kthread_exit(self, ...) called by a task that is not self");
    self->retval = retval;
    /* For helgrind: the thread's writes (retval included) happen before
     * the join that sees tid == 0. Pairs with ANNOTATE_HAPPENS_AFTER in
     * kthread_join. */
    ANNOTATE_HAPPENS_BEFORE(&self->tid);
    /* SYS_exit ends this task only (exit_group would end the process).
     * The kernel then writes 0 to self->tid and FUTEX_WAKEs it. */
    for (;;)
        kt_syscall3(SYS_exit, 0, 0, 0);
#else
    /* TODO 3.3: check that the caller is self (raw SYS_gettid equals
     *           self->tid); if not, KT_PANIC: ending some other task by
     *           mistake would be far worse.
     * TODO 3.4: store retval in the record, then tell helgrind about the
     *           exit edge: ANNOTATE_HAPPENS_BEFORE(&self->tid).
     * TODO 3.5: end THIS task: the raw exit system call (SYS_exit, with
     *           kt_syscall3), not exit() or _exit() (those are
     *           exit_group: the whole process). It does not return; loop
     *           around it so the compiler knows. */
    (void)self;
    (void)retval;
    KT_PANIC("kthread_exit is not written yet: see handout task 3");
#endif
}

/* ================================================================== */
/* Creating                                                    Task 4  */
/* ================================================================== */

int kthread_create(kthread_t **out, kthread_fn fn, void *arg,
                   size_t stack_size)
{
#ifdef SOLUTION
    if (!out || !fn ||
        (stack_size != 0 &&
         (stack_size < KT_MIN_STACK || stack_size > KT_MAX_STACK)))
        return EINVAL;
    int err = 0;
    struct kthread *t =
        kt_stack_alloc(stack_size ? stack_size : KT_DEFAULT_STACK, &err);
    if (!t)
        return err;
    t->fn = fn;
    t->arg = arg;
    t->magic = KT_MAGIC;
    /* Pairs with ANNOTATE_HAPPENS_AFTER(t) in kt_start. */
    ANNOTATE_HAPPENS_BEFORE(t);
    /* The record's address is the stack top; tid is both the word the
     * kernel fills in now (PARENT_SETTID) and the one it clears at exit
     * (CHILD_CLEARTID). */
    long r = kt_clone(KT_CLONE_FLAGS, t, &t->tid, &t->tid, t);
    if (r < 0) {
        kt_stack_free(t);
        return (int)-r;
    }
    /* The child may already have exited (tid 0), never anything else. */
    KT_ASSERT(kthread_tid(t) == (pid_t)r || kthread_tid(t) == 0);
    kt_registry_add(t);
    *out = t;
    return 0;
#else
    /* TODO 4.1: EINVAL for a NULL out or fn, or a stack_size that is not 0
     *           and outside [KT_MIN_STACK, KT_MAX_STACK].
     * TODO 4.2: t = kt_stack_alloc(stack_size, or KT_DEFAULT_STACK for 0);
     *           on NULL return the error it gives.
     * TODO 4.3: fill in fn, arg and magic = KT_MAGIC.
     * TODO 4.4: ANNOTATE_HAPPENS_BEFORE(t) (for helgrind), then
     *           r = kt_clone(KT_CLONE_FLAGS, t, &t->tid, &t->tid, t): the
     *           record's address is the stack top, and tid is both the word
     *           the kernel sets now and the one it clears at exit.
     * TODO 4.5: r < 0 is -errno: free the stack and return -r.
     * TODO 4.6: kt_registry_add(t) (Task 6), *out = t, return 0. */
    (void)out;
    (void)fn;
    (void)arg;
    (void)stack_size;
    return ENOSYS;
#endif
}

pid_t kthread_tid(const struct kthread *t)
{
#ifdef SOLUTION
    /* A snapshot: the kernel may clear the word at any moment. */
    return __atomic_load_n(&t->tid, __ATOMIC_RELAXED);
#else
    /* TODO 4.7: return t->tid, read with __atomic_load_n (the kernel may
     *           write 0 there at any moment). */
    (void)t;
    return 0;
#endif
}

/* ================================================================== */
/* Joining                                                     Task 5  */
/* ================================================================== */

int kthread_join(struct kthread *t, void **retval)
{
#ifdef SOLUTION
    /* Claim t: only one join ever gets past this line for it. */
    if (kt_registry_take(t) != 0)
        return ESRCH;
    KT_ASSERT(t->magic == KT_MAGIC);
    /* Sleep until the kernel has cleared the tid word. The acquire load
     * pairs with the kernel's clear at thread exit: the thread's writes
     * (retval) are visible once 0 is. The wait must be a SHARED futex
     * (FUTEX_WAIT, not FUTEX_WAIT_PRIVATE): the kernel's wake at exit is
     * a shared one, and the two key the word differently. Spurious
     * returns (EINTR, EAGAIN: the word changed) just loop. */
    int v;
    while ((v = __atomic_load_n(&t->tid, __ATOMIC_ACQUIRE)) != 0)
        kt_syscall6(SYS_futex, (long)&t->tid, FUTEX_WAIT, v, 0, 0, 0);
    /* Pairs with ANNOTATE_HAPPENS_BEFORE(&self->tid) in kthread_exit. */
    ANNOTATE_HAPPENS_AFTER(&t->tid);
    if (retval)
        *retval = t->retval;
    t->magic = 0;
    /* The kernel cleared tid after the task left its stack for good: now
     * (and not before) the stack may go. */
    kt_stack_free(t);
    return 0;
#else
    /* TODO 5.1: claim t with kt_registry_take (Task 6): ESRCH if it is not
     *           there. Until Task 6 is done, every join says ESRCH.
     * TODO 5.2: loop while the tid word (an __ATOMIC_ACQUIRE load) is not
     *           0: futex(&t->tid, FUTEX_WAIT, the value you read, NULL) with
     *           kt_syscall6(SYS_futex, ...). FUTEX_WAIT, not
     *           FUTEX_WAIT_PRIVATE: the kernel's wake at thread exit is a
     *           shared-futex wake. Any return (woken, EINTR, EAGAIN) just
     *           loops to look at the word again.
     * TODO 5.3: ANNOTATE_HAPPENS_AFTER(&t->tid) for helgrind; hand out
     *           t->retval if retval is not NULL; clear magic; free the
     *           stack (kt_stack_free): only now is nobody on it. */
    (void)t;
    (void)retval;
    return ENOSYS;
#endif
}

/* ================================================================== */
/* The registry of live threads                                Task 6  */
/* ================================================================== */

__attribute__((unused)) static pthread_mutex_t kt_registry_lock = PTHREAD_MUTEX_INITIALIZER;
/* Live threads (created, not yet claimed by a join), linked by next.
 * Guarded by kt_registry_lock. */
static struct kthread *kt_registry __attribute__((unused));

void kt_registry_add(struct kthread *t)
{
#ifdef SOLUTION
    pthread_mutex_lock(&kt_registry_lock);
    t->next = kt_registry;
    kt_registry = t;
    pthread_mutex_unlock(&kt_registry_lock);
#else
    /* TODO 6.1: under kt_registry_lock, push t on the kt_registry list. */
    (void)t;
#endif
}

int kt_registry_take(struct kthread *t)
{
#ifdef SOLUTION
    int rc = ESRCH;
    pthread_mutex_lock(&kt_registry_lock);
    /* Compare pointers only: t may be junk, so never read *t unless it is
     * on the list. */
    for (struct kthread **link = &kt_registry; *link; link = &(*link)->next)
        if (*link == t) {
            *link = t->next;
            t->next = NULL;
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&kt_registry_lock);
    return rc;
#else
    /* TODO 6.2: under kt_registry_lock, look for t on the list comparing
     *           POINTERS only (t may be junk: never read *t unless it is
     *           found). Found: unlink it, return 0. Else ESRCH. */
    (void)t;
    return ESRCH;
#endif
}
