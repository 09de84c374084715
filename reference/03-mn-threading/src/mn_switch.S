/*
 * mn_switch.S - the context switch (GIVEN: kit-owned).
 *
 *   void mn_switch(struct mn_context *from, const struct mn_context *to);
 *
 * from in %rdi, to in %rsi, return address at (%rsp). Saves the callee-saved
 * registers, rsp, MXCSR and the x87 control word into *from, loads the same
 * from *to, and returns on the new stack. Offsets: MN_CTX_* in mn_switch.h.
 * Nothing here knows about kernel threads: the same saved context may be
 * loaded by any carrier, which is all M:N needs from a switch.
 */
#include "mn_switch.h"

    .text
    .globl mn_switch
    .type mn_switch, @function
    .p2align 4
mn_switch:
    movq    %rsp, MN_CTX_RSP(%rdi)
    movq    %rbx, MN_CTX_RBX(%rdi)
    movq    %rbp, MN_CTX_RBP(%rdi)
    movq    %r12, MN_CTX_R12(%rdi)
    movq    %r13, MN_CTX_R13(%rdi)
    movq    %r14, MN_CTX_R14(%rdi)
    movq    %r15, MN_CTX_R15(%rdi)
    stmxcsr MN_CTX_MXCSR(%rdi)
    fnstcw  MN_CTX_FPUCW(%rdi)

    movq    MN_CTX_RSP(%rsi), %rsp
    movq    MN_CTX_RBX(%rsi), %rbx
    movq    MN_CTX_RBP(%rsi), %rbp
    movq    MN_CTX_R12(%rsi), %r12
    movq    MN_CTX_R13(%rsi), %r13
    movq    MN_CTX_R14(%rsi), %r14
    movq    MN_CTX_R15(%rsi), %r15
    ldmxcsr MN_CTX_MXCSR(%rsi)
    fldcw   MN_CTX_FPUCW(%rsi)
    ret
    .size mn_switch, .-mn_switch

    .section .note.GNU-stack, "", @progbits
