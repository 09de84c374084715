/* bench/resume_yield.c - our side of lab 04's `make bench`: main resumes
 * one stackful coroutine and the coroutine yields back, N times each, with
 * coro_resume and coro_yield (coro.h). The unit of work is one switch (2N
 * in all), the same ping-pong between two contexts on one kernel thread as
 * lab 02's peers do (../02-green-threads/bench: a minimal register-save
 * switch, Boost.Context, glibc's swapcontext), with the same turn check: a
 * resume or yield that returns without switching fails the run instead of
 * looking fast. Prints `tl-bench ops=<switches> ns=<elapsed>`. */
#include "coro.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long n_rounds;
static volatile long turn; /* 0: main's turn, 1: the coroutine's */
static long out_of_turn, bad_yields;

static void *pinger(void *arg, void *in)
{
    for (long i = 0; i < n_rounds; i++) {
        if (turn != 1)
            out_of_turn++;
        turn = 0;
        if (coro_yield(NULL, NULL) != 0)
            bad_yields++;
    }
    return NULL;
}

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main(void)
{
    n_rounds = getenv("TL_BENCH_QUICK") ? 1000 : 2000000;
    coro_t *co = coro_create(pinger, NULL, 0);
    if (co == NULL) {
        perror("resume_yield: coro_create");
        return 1;
    }
    long t0 = now_ns();
    for (long i = 0; i < n_rounds; i++) {
        if (turn != 0)
            out_of_turn++;
        turn = 1;
        int rc = coro_resume(co, NULL, NULL);
        if (rc != CORO_YIELDED) {
            if (rc < 0)
                perror("resume_yield: coro_resume");
            else
                fprintf(stderr, "resume_yield: coro_resume returned %d in round %ld, not CORO_YIELDED\n", rc, i);
            return 1;
        }
    }
    long dt = now_ns() - t0;
    int rc = coro_resume(co, NULL, NULL); /* untimed: let it return */
    if (rc != CORO_RETURNED) {
        fprintf(stderr, "resume_yield: the coroutine did not return after its %ld rounds (coro_resume: %d)\n",
                n_rounds, rc);
        return 1;
    }
    if (coro_destroy(co) != 0) {
        perror("resume_yield: coro_destroy");
        return 1;
    }
    if (out_of_turn != 0 || bad_yields != 0) {
        fprintf(stderr, "resume_yield: the two sides did not alternate (%ld turns out of order, %ld failed yields)\n",
                out_of_turn, bad_yields);
        return 1;
    }
    printf("tl-bench ops=%ld ns=%ld\n", 2 * n_rounds, dt);
    return 0;
}
