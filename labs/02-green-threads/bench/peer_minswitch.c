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

int main(void)
{
    fprintf(stderr, "peer_minswitch: the minimal switch is lab 02's Task 1 written out, "
                    "so it ships with the reference only: compare with boost.context and "
                    "swapcontext\n");
    return 77;
}
