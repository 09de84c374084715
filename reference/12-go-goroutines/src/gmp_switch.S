/*
 * gmp_switch.S - switch goroutine stacks (GIVEN: kit-owned).
 *
 *   void gmp_switch(struct gmp_gobuf *save, const struct gmp_gobuf *load);
 *
 * %rdi = save, %rsi = load, the return address on top of the stack. The
 * callee-saved registers, rsp and the two FP control words go to *save,
 * the same come from *load, and `ret` resumes whatever *load was doing.
 * Any M may load any gobuf: the switch knows nothing of kernel threads.
 */
#include "gmp_switch.h"

    .text
    .globl gmp_switch
    .type gmp_switch, @function
    .p2align 4
gmp_switch:
    /* each callee-saved register: store ours, then load theirs */
    movq    %rbx, GMP_OFF_RBX(%rdi)
    movq    GMP_OFF_RBX(%rsi), %rbx
    movq    %rbp, GMP_OFF_BP(%rdi)
    movq    GMP_OFF_BP(%rsi), %rbp
    movq    %r12, GMP_OFF_R12(%rdi)
    movq    GMP_OFF_R12(%rsi), %r12
    movq    %r13, GMP_OFF_R13(%rdi)
    movq    GMP_OFF_R13(%rsi), %r13
    movq    %r14, GMP_OFF_R14(%rdi)
    movq    GMP_OFF_R14(%rsi), %r14
    movq    %r15, GMP_OFF_R15(%rdi)
    movq    GMP_OFF_R15(%rsi), %r15
    /* the floating-point control words, the same way */
    stmxcsr GMP_OFF_CSR(%rdi)
    ldmxcsr GMP_OFF_CSR(%rsi)
    fnstcw  GMP_OFF_CW(%rdi)
    fldcw   GMP_OFF_CW(%rsi)
    /* the stack last: from here on we are on the other side */
    movq    %rsp, GMP_OFF_SP(%rdi)
    movq    GMP_OFF_SP(%rsi), %rsp
    ret
    .size gmp_switch, .-gmp_switch

    .section .note.GNU-stack, "", @progbits
