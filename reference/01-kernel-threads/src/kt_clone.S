/*
 * kt_clone.S - the clone system call and the child's first frame
 * (handout Task 1).
 *
 *   long kt_clone(unsigned long flags, void *stack_top, int *parent_tid,
 *                 int *child_tid, kthread_t *t);
 *
 * SysV x86-64 call: flags in %rdi, stack_top in %rsi, parent_tid in %rdx,
 * child_tid in %rcx, t in %r8. The kernel's clone(2) on x86-64 takes
 * (flags, newsp, parent_tid, child_tid, tls) in %rdi, %rsi, %rdx, %r10, %r8
 * with the number SYS_clone in %rax, and returns in %rax: in the caller the
 * child's tid (or -errno), in the child 0. The child starts with EVERY
 * register the caller had at the syscall (except rax, rcx, r11), and with
 * rsp = newsp: a stack with nothing on it, so no C code can run there
 * before this file gives it a first frame.
 * Only C comments in this file: it goes through cpp and unifdef.
 */
#include <sys/syscall.h>

    .text
    .globl kt_clone
    .type kt_clone, @function
    .p2align 4
kt_clone:
    .cfi_startproc
#ifdef SOLUTION
    movq    %rcx, %r10          /* 4th argument: r10 for the kernel */
    movq    %r8, %r9            /* t survives the syscall in r9, in BOTH tasks */
    xorl    %r8d, %r8d          /* tls = 0: no CLONE_SETTLS */
    movl    $SYS_clone, %eax
    syscall
    testq   %rax, %rax
    jz      1f
    ret                         /* the caller: tid > 0, or -errno */
1:
    /* The child. For debuggers and valgrind, this is the outermost frame:
     * there is no caller's return address to unwind to. */
    .cfi_undefined rip
    /* On the new stack: rsp == stack_top, 16-byte aligned. The
     * call pushes 8 bytes, so kt_start sees rsp + 8 a multiple of 16, as
     * after any call. rbp = 0 marks the outermost frame for debuggers. */
    xorl    %ebp, %ebp
    movq    %r9, %rdi
    call    kt_start
    ud2                         /* kt_start returned: impossible, stop */
#else
    /* TODO 1.1: move the 4th argument (child_tid, %rcx) to %r10, where the
     *           kernel expects it, and keep t (%r8) in a register the
     *           syscall preserves and that is not a clone argument (%r9):
     *           the child gets the caller's registers, so it finds t there.
     *           Then %r8 = 0 (tls, unused without CLONE_SETTLS).
     * TODO 1.2: %eax = SYS_clone; syscall.
     * TODO 1.3: %rax != 0: we are the caller; ret (tid, or -errno).
     * TODO 1.4: %rax == 0: we are the child, on stack_top. Start with the
     *           directive `.cfi_undefined rip` (this frame has no caller:
     *           backtraces stop here). Zero %ebp, pass t (%r9) in %rdi,
     *           call kt_start, and put a ud2 after the call: kt_start never
     *           returns, and if it did there is nothing to return to.
     * Until then: fail the call like the kernel would. */
    movq    $-38, %rax          /* -ENOSYS */
    ret
#endif
    .cfi_endproc
    .size kt_clone, .-kt_clone

    .section .note.GNU-stack, "", @progbits
