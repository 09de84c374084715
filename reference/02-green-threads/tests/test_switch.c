/*
 * test_switch.c - what a context switch must keep (Tasks 1 and 3): stack
 * alignment at entry, callee-saved registers, MXCSR and x87 control word.
 */
#include "gt_test.h"
#include "gt_pin.h"

#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ */
/* Stack alignment at the first instruction of the entry function      */
/* ------------------------------------------------------------------ */

/* gt_probe_entry is the entry function: it stores rsp as it is at its
 * first instruction, then jumps to gt_probe_body with its argument intact. */
uint64_t gt_probe_rsp;
void *gt_probe_entry(void *arg);
void *gt_probe_body(void *arg);
__asm__(".text\n"
        ".globl gt_probe_entry\n"
        ".type gt_probe_entry, @function\n"
        "gt_probe_entry:\n"
        "    movq %rsp, gt_probe_rsp(%rip)\n"
        "    jmp gt_probe_body\n"
        ".size gt_probe_entry, .-gt_probe_entry\n");

void *gt_probe_body(void *arg)
{
    uint64_t rsp = gt_probe_rsp;
    size_t size = *(size_t *)arg;
    /* Check before anything else: a misaligned stack can crash printf. */
    tl_check((rsp + 8) % 16 == 0,
             "at the first instruction of the entry function (stack_size %zu) "
             "rsp = %#lx, so rsp+8 mod 16 = %lu: the SysV ABI requires rsp+8 "
             "to be a multiple of 16 there, as right after a call. SSE code "
             "(movaps in printf, memcpy...) crashes on a misaligned stack. "
             "Hint: Task 3.1, the first frame at top-16 and the trampoline.",
             size, (unsigned long)rsp, (unsigned long)((rsp + 8) % 16));
    char buf[64];
    snprintf(buf, sizeof buf, "%f %Lf", 1.5, (long double)2.5);
    return (void *)(uintptr_t)rsp;
}

TL_TEST(stack_aligned_at_entry, 4, 10, "switch abi")
{
    static size_t sizes[] = {0, GT_MIN_STACK, GT_MIN_STACK + 8, 20003,
                             100024, 1 << 20};
    GT_START();
    int local;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        gt_t t;
        GT_SPAWN(t, gt_probe_entry, &sizes[i], sizes[i]);
        void *r = NULL;
        GT_JOIN(t, &r);
        uintptr_t rsp = (uintptr_t)r, mine = (uintptr_t)&local;
        tl_check(rsp && (rsp > mine + (1 << 20) || rsp + (1 << 20) < mine),
                 "the entry function ran with rsp = %#lx, right next to the "
                 "main thread's stack (%#lx): a spawned thread must run on its "
                 "own stack. Hint: Task 3.1, ctx.rsp.", (unsigned long)rsp,
                 (unsigned long)mine);
    }
    GT_STOP();
}

/* ------------------------------------------------------------------ */
/* Callee-saved registers across a switch                             */
/* ------------------------------------------------------------------ */

static void do_yield(void)
{
    gt_yield();
}

static void *pin_worker(void *p)
{
    int who = (int)(intptr_t)p;
    for (int i = 0; i < 20; i++)
        pin_check(who, i, do_yield, "gt_yield");
    return NULL;
}

TL_TEST(callee_saved_survive_yield, 2, 10, "switch abi")
{
    GT_START();
    gt_t t[3];
    for (int i = 0; i < 3; i++)
        GT_SPAWN(t[i], pin_worker, (void *)(intptr_t)(i + 2), 0);
    for (int i = 0; i < 25; i++)
        pin_check(1, i, do_yield, "gt_yield");
    for (int i = 0; i < 3; i++)
        GT_JOIN(t[i], NULL);
    GT_STOP();
}

/* ------------------------------------------------------------------ */
/* MXCSR and the x87 control word are per thread                      */
/* ------------------------------------------------------------------ */

static uint32_t get_mxcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}

static void set_mxcsr(uint32_t v)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static uint16_t get_fpucw(void)
{
    uint16_t v;
    __asm__ volatile("fnstcw %0" : "=m"(v));
    return v;
}

static void set_fpucw(uint16_t v)
{
    __asm__ volatile("fldcw %0" : : "m"(v));
}

/* ------------------------------------------------------------------ */
/* gt_switch on its own, called with every register live              */
/* ------------------------------------------------------------------ */

/* Through gt_yield, the compiled C of gt_schedule sits between the pinned
 * registers and gt_switch: its prologue and epilogue keep some of them on
 * the stack, so a gt_switch that forgets one of them can still pass. Here
 * the test calls gt_switch itself, from assembly, with all six registers
 * holding the caller's values, and switches to a "partner" context that
 * scrambles every one of them before switching back.
 *
 * Contexts are laid out by the contract of Task 1 (gt_internal.h, the
 * GT_CTX_* offsets): rsp at 0, MXCSR at 56, x87 control word at 60, 64
 * bytes in all. The test fills in only what a first switch loads. */
enum { SW_CTX_RSP = 0, SW_CTX_MXCSR = 56, SW_CTX_FPUCW = 60, SW_CTX_SIZE = 64 };
void gt_switch(void *from, const void *to); /* gt_internal.h, Task 1 */
_Alignas(16) unsigned char gt_sw_main[SW_CTX_SIZE], gt_sw_partner[SW_CTX_SIZE];
void gt_sw_call_partner(void);
void gt_sw_partner_entry(void);
__asm__(".text\n"
        /* Switch to the partner, as a tail call: no C frame in between. */
        ".globl gt_sw_call_partner\n"
        ".type gt_sw_call_partner, @function\n"
        "gt_sw_call_partner:\n"
        "    leaq gt_sw_main(%rip), %rdi\n"
        "    leaq gt_sw_partner(%rip), %rsi\n"
        "    jmp gt_switch\n"
        ".size gt_sw_call_partner, .-gt_sw_call_partner\n"
        /* The partner starts here (gt_switch's ret) and loops: scramble
         * the six registers, switch back to the test, and again when the
         * test switches here next. rsp+8 is 16-aligned at entry, as after
         * a call; one push makes each call below aligned. */
        ".globl gt_sw_partner_entry\n"
        ".type gt_sw_partner_entry, @function\n"
        "gt_sw_partner_entry:\n"
        "    pushq $0\n"
        "1:  movabsq $0x5c5c5c5c00bb0bb0, %rbx\n"
        "    movabsq $0x5c5c5c5c00bb0bb1, %rbp\n"
        "    movabsq $0x5c5c5c5c00bb0b12, %r12\n"
        "    movabsq $0x5c5c5c5c00bb0b13, %r13\n"
        "    movabsq $0x5c5c5c5c00bb0b14, %r14\n"
        "    movabsq $0x5c5c5c5c00bb0b15, %r15\n"
        "    leaq gt_sw_partner(%rip), %rdi\n"
        "    leaq gt_sw_main(%rip), %rsi\n"
        "    call gt_switch\n"
        "    jmp 1b\n"
        ".size gt_sw_partner_entry, .-gt_sw_partner_entry\n");

TL_TEST(switch_alone_keeps_each_register, 3, 10, "switch abi")
{
    static _Alignas(16) unsigned char stack[64 * 1024];
    memset(gt_sw_main, 0, sizeof gt_sw_main);
    memset(gt_sw_partner, 0, sizeof gt_sw_partner);
    /* The partner's first frame: gt_switch's ret pops its entry point. */
    uint64_t *top = (uint64_t *)(stack + sizeof stack);
    top[-2] = (uint64_t)(uintptr_t)gt_sw_partner_entry;
    uint64_t rsp = (uint64_t)(uintptr_t)&top[-2];
    memcpy(gt_sw_partner + SW_CTX_RSP, &rsp, sizeof rsp);
    uint32_t mx = get_mxcsr();
    uint16_t cw = get_fpucw();
    memcpy(gt_sw_partner + SW_CTX_MXCSR, &mx, sizeof mx);
    memcpy(gt_sw_partner + SW_CTX_FPUCW, &cw, sizeof cw);
    for (int i = 0; i < 8; i++)
        pin_check(1, i, gt_sw_call_partner,
                  "gt_switch(&mine, &partner) and back (the partner set all six to other values)");
}

#define MX_RC_MASK 0x6000u
#define CW_RC_MASK 0x0c00u

struct fp_mode {
    const char *name;
    uint32_t mx_rc; /* MXCSR rounding bits */
    uint16_t cw_rc; /* x87 rounding bits */
};

static void fp_expect(const struct fp_mode *m, int who, int iter)
{
    uint32_t mx = get_mxcsr();
    uint16_t cw = get_fpucw();
    tl_check((mx & MX_RC_MASK) == m->mx_rc,
             "thread %d set the SSE rounding mode to %s (MXCSR rounding bits "
             "%#x); after %d gt_yield calls MXCSR is %#x (rounding bits %#x). "
             "MXCSR is per-thread state: gt_switch must save it (stmxcsr) and "
             "load the next thread's (ldmxcsr). Hint: Task 1.2 and 1.3.",
             who, m->name, m->mx_rc, iter, mx, mx & MX_RC_MASK);
    tl_check((cw & CW_RC_MASK) == m->cw_rc,
             "thread %d set the x87 rounding mode to %s (control word rounding "
             "bits %#x); after %d gt_yield calls the control word is %#x "
             "(rounding bits %#x). It is per-thread state: gt_switch must save "
             "it (fnstcw) and load the next thread's (fldcw). Hint: Task 1.2 "
             "and 1.3.", who, m->name, m->cw_rc, iter, cw, cw & CW_RC_MASK);
}

static const struct fp_mode fp_modes[3] = {
    {"to nearest (the default)", 0x0000, 0x0000},
    {"upward (SSE) / toward zero (x87)", 0x4000, 0x0c00},
    {"downward (SSE) / upward (x87)", 0x2000, 0x0800},
};

static void *fp_worker(void *p)
{
    int who = (int)(intptr_t)p;
    const struct fp_mode *m = &fp_modes[who - 1];
    set_mxcsr((get_mxcsr() & ~MX_RC_MASK) | m->mx_rc);
    set_fpucw((uint16_t)((get_fpucw() & ~CW_RC_MASK) | m->cw_rc));
    for (int i = 1; i <= 10; i++) {
        gt_yield();
        fp_expect(m, who, i);
    }
    return NULL;
}

TL_TEST(fp_control_per_thread, 4, 10, "switch fp")
{
    uint32_t mx0 = get_mxcsr();
    uint16_t cw0 = get_fpucw();
    GT_START();
    gt_t t[2];
    GT_SPAWN(t[0], fp_worker, (void *)2, 0);
    GT_SPAWN(t[1], fp_worker, (void *)3, 0);
    for (int i = 1; i <= 12; i++) {
        gt_yield();
        if ((get_mxcsr() & MX_RC_MASK) != 0 || (get_fpucw() & CW_RC_MASK) != 0) {
            uint32_t mx = get_mxcsr();
            uint16_t cw = get_fpucw();
            set_mxcsr(mx0);
            set_fpucw(cw0);
            tl_fail("the main thread never changed its rounding modes, yet after "
                    "%d gt_yield calls MXCSR is %#x and the x87 control word "
                    "%#x (rounding bits %#x, %#x; expected 0, 0): another "
                    "thread's floating-point modes leaked into it. gt_switch "
                    "must restore MXCSR and the x87 control word of the thread "
                    "it resumes. Hint: Task 1.2 and 1.3.",
                    i, mx, cw, mx & MX_RC_MASK, cw & CW_RC_MASK);
        }
    }
    for (int i = 0; i < 2; i++)
        GT_JOIN(t[i], NULL);
    set_mxcsr(mx0);
    set_fpucw(cw0);
    GT_STOP();
}
