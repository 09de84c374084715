/*
 * test_switch.c - what the context switch must keep (Tasks 1 and 2): stack
 * alignment at entry, callee-saved registers, MXCSR and x87 control word.
 */
#include "coro_test.h"
#include "coro_pin.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Stack alignment at the first instruction of the entry function      */
/* ------------------------------------------------------------------ */

/* co_probe_entry is the entry function: it stores rsp as it is at its
 * first instruction, then jumps to co_probe_body with its arguments. */
uint64_t co_probe_rsp;
void *co_probe_entry(void *arg, void *in);
void *co_probe_body(void *arg, void *in);
__asm__(".text\n"
        ".globl co_probe_entry\n"
        ".type co_probe_entry, @function\n"
        "co_probe_entry:\n"
        "    movq %rsp, co_probe_rsp(%rip)\n"
        "    jmp co_probe_body\n"
        ".size co_probe_entry, .-co_probe_entry\n");

void *co_probe_body(void *arg, void *in)
{
    (void)in;
    uint64_t rsp = co_probe_rsp;
    size_t size = *(size_t *)arg;
    /* Check before anything else: a misaligned stack can crash printf. */
    tl_check((rsp + 8) % 16 == 0,
             "at the first instruction of the entry function (stack_size %zu) "
             "rsp = %#lx, so rsp+8 mod 16 = %lu: the SysV ABI requires rsp+8 "
             "to be a multiple of 16 there, as right after a call. SSE code "
             "(movaps in printf, memcpy...) crashes on a misaligned stack. "
             "Hint: Task 2.6, the first frame at top-16 and the trampoline.",
             size, (unsigned long)rsp, (unsigned long)((rsp + 8) % 16));
    char buf[64];
    snprintf(buf, sizeof buf, "%f %Lf", 1.5, (long double)2.5);
    return (void *)(uintptr_t)rsp;
}

TL_TEST(stack_aligned_at_entry, 3, 10, "switch abi")
{
    static size_t sizes[] = {0, CORO_MIN_STACK, CORO_MIN_STACK + 8, 20003,
                             100024, 1 << 20};
    int local;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        coro_t *co;
        CO_CREATE(co, co_probe_entry, &sizes[i], sizes[i]);
        void *r = NULL;
        CO_RESUME(co, NULL, &r, CORO_RETURNED);
        uintptr_t rsp = (uintptr_t)r, mine = (uintptr_t)&local;
        tl_check(rsp && (rsp > mine + (1 << 20) || rsp + (1 << 20) < mine),
                 "the entry function ran with rsp = %#lx, right next to the "
                 "main code's stack (%#lx): a coroutine must run on its own "
                 "stack. Hint: Task 2.6, ctx.rsp.", (unsigned long)rsp,
                 (unsigned long)mine);
        CO_DESTROY(co);
    }
}

/* ------------------------------------------------------------------ */
/* Callee-saved registers across resume and yield                     */
/* ------------------------------------------------------------------ */

static coro_t *pin_co[2];
static int pin_which;

static void do_yield(void)
{
    coro_yield(NULL, NULL);
}

static void do_resume(void)
{
    coro_resume(pin_co[pin_which], NULL, NULL);
}

static void *pin_worker(void *arg, void *in)
{
    (void)in;
    int who = (int)(intptr_t)arg;
    for (int i = 0; i < 20; i++)
        pin_check(who, i, do_yield, "coro_yield");
    return NULL;
}

TL_TEST(callee_saved_survive_yield, 2, 10, "switch abi")
{
    for (int k = 0; k < 2; k++)
        CO_CREATE(pin_co[k], pin_worker, (void *)(intptr_t)(k + 2), 0);
    for (int i = 0; i < 20; i++) {
        pin_which = i % 2;
        pin_check(1, i, do_resume, "coro_resume");
    }
    for (int k = 0; k < 2; k++)
        CO_DESTROY(pin_co[k]);
}

/* ------------------------------------------------------------------ */
/* coro_switch on its own, called with every register live            */
/* ------------------------------------------------------------------ */

/* Through coro_resume, the compiled C around the switch keeps some of the
 * pinned registers in its own frame, so a coro_switch that forgets one can
 * still pass. Here the test calls coro_switch itself, from assembly, with
 * all six registers holding the caller's values, and switches to a
 * "partner" context that scrambles every one of them before switching back.
 * Contexts follow the contract of Task 1 (coro_internal.h, CORO_CTX_*): rsp
 * at 0, MXCSR at 56, x87 control word at 60, 64 bytes in all. */
enum { SW_CTX_RSP = 0, SW_CTX_MXCSR = 56, SW_CTX_FPUCW = 60, SW_CTX_SIZE = 64 };
void coro_switch(void *from, const void *to); /* coro_internal.h, Task 1 */
_Alignas(16) unsigned char co_sw_main[SW_CTX_SIZE], co_sw_partner[SW_CTX_SIZE];
void co_sw_call_partner(void);
void co_sw_partner_entry(void);
__asm__(".text\n"
        ".globl co_sw_call_partner\n"
        ".type co_sw_call_partner, @function\n"
        "co_sw_call_partner:\n"
        "    leaq co_sw_main(%rip), %rdi\n"
        "    leaq co_sw_partner(%rip), %rsi\n"
        "    jmp coro_switch\n"
        ".size co_sw_call_partner, .-co_sw_call_partner\n"
        ".globl co_sw_partner_entry\n"
        ".type co_sw_partner_entry, @function\n"
        "co_sw_partner_entry:\n"
        "    pushq $0\n"
        "1:  movabsq $0x5c5c5c5c00cc0cc0, %rbx\n"
        "    movabsq $0x5c5c5c5c00cc0cc1, %rbp\n"
        "    movabsq $0x5c5c5c5c00cc0c12, %r12\n"
        "    movabsq $0x5c5c5c5c00cc0c13, %r13\n"
        "    movabsq $0x5c5c5c5c00cc0c14, %r14\n"
        "    movabsq $0x5c5c5c5c00cc0c15, %r15\n"
        "    leaq co_sw_partner(%rip), %rdi\n"
        "    leaq co_sw_main(%rip), %rsi\n"
        "    call coro_switch\n"
        "    jmp 1b\n"
        ".size co_sw_partner_entry, .-co_sw_partner_entry\n");

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

static _Alignas(16) unsigned char sw_stack[64 * 1024];

static void sw_setup(void)
{
    memset(co_sw_main, 0, sizeof co_sw_main);
    memset(co_sw_partner, 0, sizeof co_sw_partner);
    uint64_t *top = (uint64_t *)(sw_stack + sizeof sw_stack);
    top[-2] = (uint64_t)(uintptr_t)co_sw_partner_entry;
    uint64_t rsp = (uint64_t)(uintptr_t)&top[-2];
    memcpy(co_sw_partner + SW_CTX_RSP, &rsp, sizeof rsp);
    uint32_t mx = get_mxcsr();
    uint16_t cw = get_fpucw();
    memcpy(co_sw_partner + SW_CTX_MXCSR, &mx, sizeof mx);
    memcpy(co_sw_partner + SW_CTX_FPUCW, &cw, sizeof cw);
}

/* One round trip in a child first: a switch that crashes fails with a
 * message rather than taking the test down with it. */
static void sw_child(void *arg)
{
    (void)arg;
    sw_setup();
    co_sw_call_partner();
    _exit(0);
}

TL_TEST(switch_alone_keeps_each_register, 3, 10, "switch abi")
{
    struct tl_child c;
    tl_check(tl_run_in_child(sw_child, NULL, 5, &c) == 0, "fork failed");
    tl_check(c.exited && c.code == 0,
             "one coro_switch to a partner context and back, in a child "
             "process: the child %s %d (%s). Hint: handout Task 1; the "
             "skeleton's coro_switch aborts with 'not written yet'.",
             c.signaled ? "was killed by signal" : "exited with code",
             c.signaled ? c.sig : c.code,
             c.signaled && c.sig == SIGABRT ? "SIGABRT: coro_switch_missing, or a panic"
             : c.signaled && c.sig == SIGSEGV ? "SIGSEGV: a wrong rsp or return address"
             : c.timed_out ? "it hung" : "see the output above");
    sw_setup();
    for (int i = 0; i < 8; i++)
        pin_check(1, i, co_sw_call_partner,
                  "coro_switch(&mine, &partner) and back (the partner set all six to other values)");
}

/* ------------------------------------------------------------------ */
/* MXCSR and the x87 control word belong to each side                  */
/* ------------------------------------------------------------------ */

#define MX_RC_MASK 0x6000u
#define CW_RC_MASK 0x0c00u

struct fp_mode {
    const char *name;
    uint32_t mx_rc;
    uint16_t cw_rc;
};

static const struct fp_mode fp_modes[3] = {
    {"to nearest (the default)", 0x0000, 0x0000},
    {"upward (SSE) / toward zero (x87)", 0x4000, 0x0c00},
    {"downward (SSE) / upward (x87)", 0x2000, 0x0800},
};

static void fp_expect(const struct fp_mode *m, int who, int iter)
{
    uint32_t mx = get_mxcsr();
    uint16_t cw = get_fpucw();
    tl_check((mx & MX_RC_MASK) == m->mx_rc,
             "coroutine %d set the SSE rounding mode to %s (MXCSR rounding "
             "bits %#x); after %d yields MXCSR is %#x (rounding bits %#x). "
             "MXCSR belongs to each side of a switch: coro_switch must save "
             "it (stmxcsr) and load the other side's (ldmxcsr). Hint: Task "
             "1.2 and 1.3.", who, m->name, m->mx_rc, iter, mx, mx & MX_RC_MASK);
    tl_check((cw & CW_RC_MASK) == m->cw_rc,
             "coroutine %d set the x87 rounding mode to %s (control word "
             "rounding bits %#x); after %d yields the control word is %#x "
             "(rounding bits %#x). coro_switch must save it (fnstcw) and load "
             "the other side's (fldcw). Hint: Task 1.2 and 1.3.", who,
             m->name, m->cw_rc, iter, cw, cw & CW_RC_MASK);
}

static void *fp_worker(void *arg, void *in)
{
    (void)in;
    int who = (int)(intptr_t)arg;
    const struct fp_mode *m = &fp_modes[who - 1];
    set_mxcsr((get_mxcsr() & ~MX_RC_MASK) | m->mx_rc);
    set_fpucw((uint16_t)((get_fpucw() & ~CW_RC_MASK) | m->cw_rc));
    for (int i = 1; i <= 10; i++) {
        coro_yield(NULL, NULL);
        fp_expect(m, who, i);
    }
    return NULL;
}

TL_TEST(fp_control_per_coroutine, 2, 10, "switch fp")
{
    uint32_t mx0 = get_mxcsr();
    uint16_t cw0 = get_fpucw();
    coro_t *co[2];
    CO_CREATE(co[0], fp_worker, (void *)2, 0);
    CO_CREATE(co[1], fp_worker, (void *)3, 0);
    for (int i = 1; i <= 11; i++) {
        for (int k = 0; k < 2; k++)
            coro_resume(co[k], NULL, NULL);
        uint32_t mx = get_mxcsr();
        uint16_t cw = get_fpucw();
        if ((mx & MX_RC_MASK) != (mx0 & MX_RC_MASK) ||
            (cw & CW_RC_MASK) != (cw0 & CW_RC_MASK)) {
            set_mxcsr(mx0);
            set_fpucw(cw0);
            tl_fail("main code never changed its rounding modes, yet after "
                    "%d rounds of resumes MXCSR is %#x and the x87 control "
                    "word %#x (were %#x, %#x): a coroutine's floating-point "
                    "modes leaked into its resumer. coro_switch must restore "
                    "MXCSR and the x87 control word of the side it switches "
                    "to. Hint: Task 1.2 and 1.3.", i, mx, cw, mx0, cw0);
        }
    }
    for (int k = 0; k < 2; k++)
        CO_DESTROY(co[k]);
}
