/*
 * mn_switch.h - the saved context and the context switch (GIVEN: kit-owned,
 * like src/mn_switch.S; you wrote the same thing in lab 02).
 *
 * The MN_CTX_* offsets are used by mn_switch.S; the _Static_asserts stop
 * the build if struct mn_context and the offsets ever disagree.
 */
#ifndef MN_SWITCH_H
#define MN_SWITCH_H

#define MN_CTX_RSP 0
#define MN_CTX_RBX 8
#define MN_CTX_RBP 16
#define MN_CTX_R12 24
#define MN_CTX_R13 32
#define MN_CTX_R14 40
#define MN_CTX_R15 48
#define MN_CTX_MXCSR 56
#define MN_CTX_FPUCW 60
#define MN_CTX_SIZE 64

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/* The callee-saved registers of the SysV x86-64 ABI, the stack pointer
 * (whose top word is the address to return to) and the two per-thread
 * floating-point control registers. Caller-saved registers need no slot:
 * to the compiler mn_switch is an ordinary call that clobbers them. */
struct mn_context {
    uint64_t rsp;
    uint64_t rbx;
    uint64_t rbp;
    uint64_t r12;
    uint64_t r13;
    uint64_t r14;
    uint64_t r15;
    uint32_t mxcsr; /* SSE rounding mode and exception masks */
    uint16_t fpucw; /* x87 control word */
    uint16_t pad;
};

_Static_assert(offsetof(struct mn_context, rsp) == MN_CTX_RSP, "rsp offset");
_Static_assert(offsetof(struct mn_context, rbx) == MN_CTX_RBX, "rbx offset");
_Static_assert(offsetof(struct mn_context, rbp) == MN_CTX_RBP, "rbp offset");
_Static_assert(offsetof(struct mn_context, r12) == MN_CTX_R12, "r12 offset");
_Static_assert(offsetof(struct mn_context, r13) == MN_CTX_R13, "r13 offset");
_Static_assert(offsetof(struct mn_context, r14) == MN_CTX_R14, "r14 offset");
_Static_assert(offsetof(struct mn_context, r15) == MN_CTX_R15, "r15 offset");
_Static_assert(offsetof(struct mn_context, mxcsr) == MN_CTX_MXCSR, "mxcsr offset");
_Static_assert(offsetof(struct mn_context, fpucw) == MN_CTX_FPUCW, "fpucw offset");
_Static_assert(sizeof(struct mn_context) == MN_CTX_SIZE, "mn_context size");

/* Save the caller's context in *from, load *to and return into whatever
 * *to was doing (for a context that never ran: the address at its rsp).
 * Returns when a later mn_switch loads *from again, perhaps on ANOTHER
 * kernel thread: after it returns, re-read anything thread-local. */
void mn_switch(struct mn_context *from, const struct mn_context *to);
#endif

#endif
