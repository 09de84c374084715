/* bench/peer_minswitch.c - a floor for bench/yield.c: the least work a
 * context switch can do on x86-64 SysV, and nothing else. tl_minswitch
 * pushes the six callee-saved registers on the running stack, stores rsp
 * in the old context, loads the new one's rsp, pops the six and returns on
 * the new stack. No MXCSR or x87 control word, no scheduler, no run queue:
 * whatever gt_yield costs above this is what those add. Two contexts hand
 * the CPU back and forth N times each on one kernel thread, with the same
 * turn check as yield.c; the unit of work is one switch (2N in all).
 * `peer_minswitch main`: the shape of lab 04's resume/yield instead, main
 * and one context, each switching from its own call site; there the ret
 * of every switch lands where the return-stack predictor does not expect
 * it (in the default shape both contexts run the same loop, so it does).
 * Lab 04 builds it too, as the floor of its resume/yield (its lab.conf).
 * Prints `tl-bench ops=<switches> ns=<elapsed>`.
 *
 * Reference only: this switch is lab 02's Task 1 written out, so the
 * student kit gets a stub that says so and exits 77, which bench.py
 * reports as a skipped pair (not a failure). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef SOLUTION

/* A context is the saved stack pointer; everything else is on its stack. */
void tl_minswitch(void **save_sp, void *load_sp);
void tl_minswitch_start(void); /* the first return of a new context lands here */

__asm__(
    "    .text\n"
    "    .globl tl_minswitch\n"
    "    .type tl_minswitch, @function\n"
    "    .p2align 4\n"
    "tl_minswitch:\n"            /* rdi: where to save our rsp; rsi: the rsp to load */
    "    pushq %rbp\n"
    "    pushq %rbx\n"
    "    pushq %r12\n"
    "    pushq %r13\n"
    "    pushq %r14\n"
    "    pushq %r15\n"
    "    movq  %rsp, (%rdi)\n"
    "    movq  %rsi, %rsp\n"
    "    popq  %r15\n"
    "    popq  %r14\n"
    "    popq  %r13\n"
    "    popq  %r12\n"
    "    popq  %rbx\n"
    "    popq  %rbp\n"
    "    ret\n"
    "    .size tl_minswitch, .-tl_minswitch\n"
    /* A new context's stack holds (rbx = argument, r12 = function) and this
     * address; ret brings it here with rsp 16-aligned, so the call below
     * enters the function as a normal call would. The function never
     * returns: it switches away for the last time instead. */
    "    .globl tl_minswitch_start\n"
    "    .type tl_minswitch_start, @function\n"
    "tl_minswitch_start:\n"
    "    movq  %rbx, %rdi\n"
    "    call  *%r12\n"
    "    ud2\n"
    "    .size tl_minswitch_start, .-tl_minswitch_start\n");

static long n_rounds;
static volatile long turn;
static long out_of_turn, finished;
static void *sp[3]; /* contexts 0 and 1, and 2: main */

/* The rounds of one side: `me` (0 or 1) checks it is its turn, hands the
 * turn over and switches from context `from` to context `to`. Inlined, so
 * that each caller switches from a call site of its own (what `main`
 * measures). */
static inline __attribute__((always_inline)) void ping_rounds(long me, int from, int to)
{
    for (long i = 0; i < n_rounds; i++) {
        if (turn != me)
            out_of_turn++;
        turn = 1 - me;
        tl_minswitch(&sp[from], sp[to]);
    }
}

static void pinger(long me)
{
    ping_rounds(me, me, 1 - me);
    /* Thread 0 finishes first; thread 1 still has its last switch to make,
     * and then goes back to main for good. */
    if (me == 0)
        tl_minswitch(&sp[0], sp[1]);
    tl_minswitch(&sp[1], sp[2]);
}

/* The other shape: context 0 answers main, which drives the rounds. */
static void responder(long unused)
{
    ping_rounds(1, 0, 2);
    finished = 1;
    tl_minswitch(&sp[0], sp[2]);
}

/* The first frame of a context: six registers for the pops (r15 r14 r13
 * r12 rbx rbp, lowest first), then the return address. The frame sits 8
 * bytes below a 16-byte boundary so that rsp is 16-aligned after the ret. */
static void *first_frame(char *stack, size_t size, void (*fn)(long), long arg)
{
    unsigned long top = ((unsigned long)(stack + size)) & ~15UL;
    void **f = (void **)(top - 72);
    f[0] = f[1] = f[2] = 0;                 /* r15 r14 r13 */
    f[3] = (void *)fn;                      /* r12 */
    f[4] = (void *)arg;                     /* rbx */
    f[5] = 0;                               /* rbp */
    f[6] = (void *)tl_minswitch_start;      /* ret */
    return f;
}

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main(int argc, char **argv)
{
    static char stacks[2][64 * 1024] __attribute__((aligned(16)));
    int from_main = argc > 1 && strcmp(argv[1], "main") == 0;
    if (argc > 2 || (argc == 2 && !from_main)) {
        fprintf(stderr, "usage: peer_minswitch [main]\n");
        return 2;
    }
    n_rounds = getenv("TL_BENCH_QUICK") ? 1000 : 2000000;
    long t0, dt;
    if (from_main) {
        sp[0] = first_frame(stacks[0], sizeof stacks[0], responder, 0);
        t0 = now_ns();
        ping_rounds(0, 2, 0);
        dt = now_ns() - t0;
        tl_minswitch(&sp[2], sp[0]); /* untimed: let it finish */
        if (!finished) {
            fprintf(stderr, "peer_minswitch: the context did not finish after its %ld rounds\n", n_rounds);
            return 1;
        }
    } else {
        for (long i = 0; i < 2; i++)
            sp[i] = first_frame(stacks[i], sizeof stacks[i], pinger, i);
        t0 = now_ns();
        tl_minswitch(&sp[2], sp[0]);
        dt = now_ns() - t0;
    }
    if (out_of_turn != 0) {
        fprintf(stderr, "peer_minswitch: the two contexts did not alternate (%ld turns out of order)\n", out_of_turn);
        return 1;
    }
    printf("tl-bench ops=%ld ns=%ld\n", 2 * n_rounds, dt);
    return 0;
}
#else
int main(void)
{
    fprintf(stderr, "peer_minswitch: the minimal switch is lab 02's Task 1 written out, "
                    "so it ships with the reference only: compare with boost.context and "
                    "swapcontext\n");
    return 77;
}
#endif
