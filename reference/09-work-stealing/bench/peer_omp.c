/*
 * peer_omp.c - fib(n) with OpenMP tasks (libgomp): the same tasks as
 * fib.c (one `omp task` per call with n >= cutoff), on `workers` threads.
 *
 *   peer_omp [n [cutoff [workers]]]    defaults: 30 2 2; built with -fopenmp
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cutoff;

static long fib_seq(int n)
{
    return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2);
}

static long fib(int n)
{
    if (n < cutoff)
        return fib_seq(n);
    long a, b;
#pragma omp task shared(a)
    a = fib(n - 1);
    b = fib(n - 2);
#pragma omp taskwait
    return a + b;
}

static long count_spawns(int n)
{
    return n < cutoff || n < 2 ? 0 : 1 + count_spawns(n - 1) + count_spawns(n - 2);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 30;
    cutoff = argc > 2 ? atoi(argv[2]) : 2;
    int w = argc > 3 ? atoi(argv[3]) : 2;
    if (getenv("TL_BENCH_QUICK") && atoi(getenv("TL_BENCH_QUICK")))
        n = 20;
    omp_set_num_threads(w);
    long r = -1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
#pragma omp parallel
#pragma omp single
    r = fib(n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r != fib_seq(n)) {
        fprintf(stderr, "fib(%d) = %ld, expected %ld\n", n, r, fib_seq(n));
        return 1;
    }
    long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
    printf("tl-bench ops=%ld ns=%ld\n", count_spawns(n), ns);
    return 0;
}
