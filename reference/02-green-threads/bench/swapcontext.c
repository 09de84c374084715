/* bench/swapcontext.c - the peer of bench/yield.c: two ucontexts on
 * glibc's swapcontext hand the CPU back and forth N times each, with the
 * same turn check. swapcontext saves and restores the signal mask with a
 * system call on every switch; a green-thread switch does not. Prints
 * `tl-bench ops=<switches> ns=<elapsed>`. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

static long n_rounds;
static volatile long turn;
static long out_of_turn;
static ucontext_t main_ctx, ctx[2];

static void pinger(int me)
{
    for (long i = 0; i < n_rounds; i++) {
        if (turn != me)
            out_of_turn++;
        turn = 1 - me;
        swapcontext(&ctx[me], &ctx[1 - me]);
    }
    /* Thread 0 finishes first; thread 1 still has its last switch to make. */
    if (me == 0)
        swapcontext(&ctx[0], &ctx[1]);
}

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main(void)
{
    static char stacks[2][64 * 1024];
    n_rounds = getenv("TL_BENCH_QUICK") ? 1000 : 2000000;
    for (int i = 0; i < 2; i++) {
        getcontext(&ctx[i]);
        ctx[i].uc_stack.ss_sp = stacks[i];
        ctx[i].uc_stack.ss_size = sizeof stacks[i];
        ctx[i].uc_link = &main_ctx;
        makecontext(&ctx[i], (void (*)(void))pinger, 1, i);
    }
    long t0 = now_ns();
    swapcontext(&main_ctx, &ctx[0]);
    long dt = now_ns() - t0;
    if (out_of_turn != 0) {
        fprintf(stderr, "swapcontext: the two contexts did not alternate (%ld turns out of order)\n", out_of_turn);
        return 1;
    }
    printf("tl-bench ops=%ld ns=%ld\n", 2 * n_rounds, dt);
    return 0;
}
