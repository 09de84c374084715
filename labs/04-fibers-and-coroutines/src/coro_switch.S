/*
 * coro_switch.S - the context switch (handout Task 1).
 *
 *   void coro_switch(struct coro_context *from, const struct coro_context *to);
 *
 * SysV x86-64: from arrives in %rdi, to in %rsi, and the return address is
 * at (%rsp). Save the callee-saved registers, the stack pointer, MXCSR and
 * the x87 control word of the caller into *from; load the same set from *to;
 * then ret: that pops the return address of whoever saved *to (or, for a
 * coroutine that never ran, the trampoline address coro_context_init put
 * there). Offsets are the CORO_CTX_* constants of coro_internal.h.
 * Only C comments in this file: it goes through cpp and unifdef.
 */
#include "coro_internal.h"

    .text
    .globl coro_switch
    .type coro_switch, @function
    .p2align 4
coro_switch:
    /* TODO 1.1: save the caller into *from (%rdi): movq %rsp to
     *           CORO_CTX_RSP(%rdi), then rbx, rbp, r12, r13, r14, r15 to
     *           their CORO_CTX_* offsets. Do not push anything first: the
     *           saved rsp must point at the return address.
     * TODO 1.2: save MXCSR with stmxcsr and the x87 control word with
     *           fnstcw (CORO_CTX_MXCSR, CORO_CTX_FPUCW).
     * TODO 1.3: load *to (%rsi): rsp first, then the six registers, then
     *           ldmxcsr and fldcw.
     * TODO 1.4: ret. It pops the return address from the NEW stack.
     * Until then: say so and stop (the call keeps the stack aligned). */
    subq    $8, %rsp
    call    coro_switch_missing
    ud2
    .size coro_switch, .-coro_switch

    .section .note.GNU-stack, "", @progbits
