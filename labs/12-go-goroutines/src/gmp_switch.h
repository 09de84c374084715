/*
 * gmp_switch.h - a goroutine's saved registers (GIVEN: kit-owned, as is
 * src/gmp_switch.S; lab 02 had you write one, so here it is handed out).
 *
 * Go keeps the same few words in g.sched (a gobuf: sp, pc, bp...) and
 * switches with gogo/mcall in asm_amd64.s. GMP_OFF_* are the byte offsets
 * gmp_switch.S uses; the _Static_asserts below refuse to build if the C
 * struct and the assembly ever disagree.
 */
#ifndef GMP_SWITCH_H
#define GMP_SWITCH_H

#define GMP_OFF_SP 0
#define GMP_OFF_R15 8
#define GMP_OFF_R14 16
#define GMP_OFF_R13 24
#define GMP_OFF_R12 32
#define GMP_OFF_RBX 40
#define GMP_OFF_BP 48
#define GMP_OFF_CSR 56
#define GMP_OFF_CW 60
#define GMP_GOBUF_BYTES 64

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

/* What survives a call under the SysV ABI: rsp (the word it points at is
 * where gmp_switch returns to), the six callee-saved integer registers,
 * and the SSE/x87 control words. Everything else the compiler already
 * assumes a call destroys. */
struct gmp_gobuf {
    uint64_t sp;                     /* top word: where to return */
    uint64_t r15, r14, r13, r12;     /* callee-saved */
    uint64_t rbx, bp;                /* callee-saved (bp: frame pointer) */
    uint32_t csr;                    /* MXCSR: SSE rounding and masks */
    uint16_t cw, unused;             /* x87 control word; padding */
};

/* Each field where gmp_switch.S looks for it, or no build. */
#define GMP_PIN(field, off)                                                   \
    _Static_assert(offsetof(struct gmp_gobuf, field) == (off),               \
                   "struct gmp_gobuf." #field " is not at " #off)
GMP_PIN(sp, GMP_OFF_SP);
GMP_PIN(r15, GMP_OFF_R15);
GMP_PIN(r14, GMP_OFF_R14);
GMP_PIN(r13, GMP_OFF_R13);
GMP_PIN(r12, GMP_OFF_R12);
GMP_PIN(rbx, GMP_OFF_RBX);
GMP_PIN(bp, GMP_OFF_BP);
GMP_PIN(csr, GMP_OFF_CSR);
GMP_PIN(cw, GMP_OFF_CW);
_Static_assert(sizeof(struct gmp_gobuf) == GMP_GOBUF_BYTES, "gobuf size");

/* Store the caller's registers in *save, load *load, return into it (a
 * gobuf that never ran returns to the address its sp points at). It comes
 * back when someone loads *save, possibly on another M: thread-locals read
 * before the call may belong to a different kernel thread after it. */
void gmp_switch(struct gmp_gobuf *save, const struct gmp_gobuf *load);
#endif

#endif
