/*
 * tl_pin.h - pin distinct values in the six callee-saved registers across
 * a call that may switch to another user-level thread or coroutine, and
 * check they come back (kit-owned; the register tests of every lab with a
 * context switch of the student's own use it, public and hidden alike).
 */
#ifndef TL_PIN_H
#define TL_PIN_H

#include "tl_harness.h"

#include <stdint.h>
#include <stdio.h>

/* tl_pin_call(tag, fn, out): put a distinct value derived from tag in each
 * of rbx, rbp, r12, r13, r14, r15, call fn(), then store what those six
 * registers hold afterwards in out[0..5]. */
void tl_pin_call(uint64_t tag, void (*fn)(void), uint64_t out[6]);
__asm__(".text\n"
        ".globl tl_pin_call\n"
        ".type tl_pin_call, @function\n"
        "tl_pin_call:\n"
        "    pushq %rbx\n    pushq %rbp\n    pushq %r12\n"
        "    pushq %r13\n    pushq %r14\n    pushq %r15\n"
        "    pushq %rdx\n" /* 7 pushes: rsp is 16-aligned for the call */
        "    movabsq $0x1b1b1b1b00000000, %rbx\n    xorq %rdi, %rbx\n"
        "    movabsq $0x2b2b2b2b00000000, %rbp\n    xorq %rdi, %rbp\n"
        "    movabsq $0x1212121200000000, %r12\n    xorq %rdi, %r12\n"
        "    movabsq $0x1313131300000000, %r13\n    xorq %rdi, %r13\n"
        "    movabsq $0x1414141400000000, %r14\n    xorq %rdi, %r14\n"
        "    movabsq $0x1515151500000000, %r15\n    xorq %rdi, %r15\n"
        "    call *%rsi\n"
        "    popq %rax\n"
        "    movq %rbx, 0(%rax)\n    movq %rbp, 8(%rax)\n"
        "    movq %r12, 16(%rax)\n    movq %r13, 24(%rax)\n"
        "    movq %r14, 32(%rax)\n    movq %r15, 40(%rax)\n"
        "    popq %r15\n    popq %r14\n    popq %r13\n"
        "    popq %r12\n    popq %rbp\n    popq %rbx\n"
        "    ret\n"
        ".size tl_pin_call, .-tl_pin_call\n");

static const uint64_t tl_pin_key[6] = {0x1b1b1b1b00000000ull, 0x2b2b2b2b00000000ull,
                                    0x1212121200000000ull, 0x1313131300000000ull,
                                    0x1414141400000000ull, 0x1515151500000000ull};
static const char *const tl_pin_name[6] = {"rbx", "rbp", "r12", "r13", "r14", "r15"};

/* Pin values derived from tag = who << 16 | iter, call fn (named fname in
 * the message), and fail the test unless all six come back. `unit` names
 * what runs ("thread", "coroutine"), `sw` the switch that must save them,
 * `hint` the handout task. Test thread (or a green thread/coroutine of it). */
__attribute__((unused)) static void tl_pin_check(const char *unit, const char *sw, const char *hint, int who,
                                                 int iter, void (*fn)(void), const char *fname)
{
    uint64_t tag = ((uint64_t)who << 16) | (uint64_t)iter;
    uint64_t out[6];
    tl_pin_call(tag, fn, out);
    for (int r = 0; r < 6; r++) {
        uint64_t want = tl_pin_key[r] ^ tag;
        if (out[r] == want)
            continue;
        char whose[160] = "";
        uint64_t other = out[r] ^ tl_pin_key[r];
        if (other >> 32 == 0 && (other >> 16) != (uint64_t)who)
            snprintf(whose, sizeof whose,
                     " That is the value %s %d (iteration %d) had put in "
                     "%s: it leaked across the switch.", unit, (int)(other >> 16),
                     (int)(other & 0xffff), tl_pin_name[r]);
        tl_fail("%s is not preserved across %s: %s %d set %s = %#lx, "
                "and after %s returned it was %#lx.%s %s must save "
                "rbx, rbp, r12-r15 of the %s it leaves and restore those "
                "of the %s it resumes (SysV ABI callee-saved registers). "
                "Hint: %s.",
                tl_pin_name[r], fname, unit, who, tl_pin_name[r], (unsigned long)want, fname,
                (unsigned long)out[r], whose, sw, unit, unit, hint);
    }
}

#endif
