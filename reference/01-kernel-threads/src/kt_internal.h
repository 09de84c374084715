/*
 * kt_internal.h - what src/kt.c and src/kt_clone.S share (yours to extend).
 *
 * The tests never include this file: only kt.h is a contract with them.
 */
#ifndef KT_INTERNAL_H
#define KT_INTERNAL_H

#ifndef __ASSEMBLER__

#include "kt.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

/* ------------------------------------------------------------------ */
/* The record                                                  Task 2  */
/* ------------------------------------------------------------------ */

#define KT_MAGIC 0x6b746872u /* "kthr": a live record */

/* One per thread, at the top of its mapping:
 *
 *   map                                                      map + map_len
 *   | guard page (PROT_NONE) | stack, grows down <- | record | (rest of page)
 *                                                  ^ stack top == record,
 *                                                    16-byte aligned
 *
 * Who touches what, and what orders it:
 *   - the creator writes every field before kt_clone; the clone system
 *     call orders those writes before anything the child does;
 *   - the child reads fn, arg, and writes retval (in kthread_exit) before
 *     its raw exit; the kernel's clear of tid and futex wake come after;
 *   - the joiner reads tid with __atomic_load_n(.., __ATOMIC_ACQUIRE),
 *     pairing with the kernel's clear at thread exit, and only once it is
 *     0 reads retval and unmaps.
 */
struct kthread {
    int tid;                 /* the kernel's word: CLONE_PARENT_SETTID stores
                                the new tid before clone returns, and
                                CLONE_CHILD_CLEARTID stores 0 then
                                FUTEX_WAKEs it once the task is gone */
    unsigned magic;          /* KT_MAGIC while the record is live */
    kthread_fn fn;           /* entry and argument, for kt_start; written */
    void *arg;               /*   once by the creator before kt_clone */
    void *retval;            /* written by the thread in kthread_exit; read
                                by the joiner after tid == 0 */
    void *map;               /* the whole mapping (guard, stack, record) */
    size_t map_len;          /*   that holds this record; munmap'ed by join */
    struct kthread *next;    /* link in the registry of live threads;
                                guarded by kt_registry_lock (kt.c) */
};

/* ------------------------------------------------------------------ */
/* kt.c's own helpers. Not static, so the skeleton's stubs compile      */
/* without "unused function" warnings; nothing outside kt.c calls them. */
/* ------------------------------------------------------------------ */

/* Task 2. Map a guard page, at least stack_size bytes of stack and room
 * for the record at the top, all page-rounded; make the lowest page
 * PROT_NONE; place the record at the top and fill in map and map_len.
 * Returns the record, or NULL with *err = ENOMEM (mmap/mprotect failed).
 * Ordinary threads only. */
struct kthread *kt_stack_alloc(size_t stack_size, int *err);

/* Task 2. Unmap the whole mapping that holds t (t is gone afterwards).
 * Never while anyone runs on that stack. A failing munmap is a panic. */
void kt_stack_free(struct kthread *t);

/* Task 6. The registry of live (created, not yet joined) threads: a
 * singly linked list under a pthread mutex. Ordinary threads only.
 * kt_registry_add links t; kt_registry_take unlinks t if it is there and
 * returns 0, else ESRCH without dereferencing t. */
void kt_registry_add(struct kthread *t);
int kt_registry_take(struct kthread *t);

/* ------------------------------------------------------------------ */
/* Raw system calls: safe on a kthread (no errno, no TLS)             */
/* ------------------------------------------------------------------ */

/* The kernel's x86-64 convention: number in rax, arguments in rdi, rsi,
 * rdx, r10, r8, r9; the result (or -errno) in rax; rcx and r11 are
 * clobbered by the syscall instruction itself. */
static inline long kt_syscall3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return r;
}

static inline long kt_syscall6(long n, long a, long b, long c, long d,
                               long e, long f)
{
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
                       "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

/* ------------------------------------------------------------------ */
/* Broken invariants stop loudly                                      */
/* ------------------------------------------------------------------ */

/* Write "kt panic at FILE:LINE: what" to fd 2 with raw system calls and
 * kill the whole process with SIGABRT. Safe on a kthread (no stdio, no
 * errno, no malloc). */
__attribute__((noreturn)) void kt_panic_at(const char *file, int line,
                                          const char *what);

#define KT_PANIC(what) kt_panic_at(__FILE__, __LINE__, (what))
#define KT_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            kt_panic_at(__FILE__, __LINE__, "invariant " #cond " is false");  \
    } while (0)

#endif /* __ASSEMBLER__ */
#endif
