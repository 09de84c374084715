/*
 * gt_switch.S - the context switch (handout Task 1).
 *
 *   void gt_switch(struct gt_context *from, const struct gt_context *to);
 *
 * SysV x86-64: from arrives in %rdi, to in %rsi, and the return address is
 * at (%rsp). Save the callee-saved registers, the stack pointer, MXCSR and
 * the x87 control word of the caller into *from; load the same set from *to;
 * then ret: that pops the return address of whoever saved *to (or, for a
 * thread that never ran, the trampoline address gt_context_init put there).
 * Offsets are the GT_CTX_* constants of gt_internal.h.
 * Only C comments in this file: it goes through cpp and unifdef.
 */
#include "gt_internal.h"

    .text
    .globl gt_switch
    .type gt_switch, @function
    .p2align 4
gt_switch:
#ifdef SOLUTION
    /* Save the caller: rsp still points at our return address. */
    movq    %rsp, GT_CTX_RSP(%rdi)
    movq    %rbx, GT_CTX_RBX(%rdi)
    movq    %rbp, GT_CTX_RBP(%rdi)
    movq    %r12, GT_CTX_R12(%rdi)
    movq    %r13, GT_CTX_R13(%rdi)
    movq    %r14, GT_CTX_R14(%rdi)
    movq    %r15, GT_CTX_R15(%rdi)
    stmxcsr GT_CTX_MXCSR(%rdi)
    fnstcw  GT_CTX_FPUCW(%rdi)

    /* Load the other thread: from here on we run on its stack. */
    movq    GT_CTX_RSP(%rsi), %rsp
    movq    GT_CTX_RBX(%rsi), %rbx
    movq    GT_CTX_RBP(%rsi), %rbp
    movq    GT_CTX_R12(%rsi), %r12
    movq    GT_CTX_R13(%rsi), %r13
    movq    GT_CTX_R14(%rsi), %r14
    movq    GT_CTX_R15(%rsi), %r15
    ldmxcsr GT_CTX_MXCSR(%rsi)
    fldcw   GT_CTX_FPUCW(%rsi)
    ret
#else
    /* TODO 1.1: save the caller into *from (%rdi): movq %rsp to
     *           GT_CTX_RSP(%rdi), then rbx, rbp, r12, r13, r14, r15 to their
     *           GT_CTX_* offsets. Do not push anything first: the saved rsp
     *           must point at the return address.
     * TODO 1.2: save MXCSR with stmxcsr and the x87 control word with fnstcw
     *           (GT_CTX_MXCSR, GT_CTX_FPUCW).
     * TODO 1.3: load *to (%rsi): rsp first, then the six registers, then
     *           ldmxcsr and fldcw.
     * TODO 1.4: ret. It pops the return address from the NEW stack.
     * Until then: say so and stop (the call keeps the stack aligned). */
    subq    $8, %rsp
    call    gt_switch_missing
    ud2
#endif
    .size gt_switch, .-gt_switch

    .section .note.GNU-stack, "", @progbits
