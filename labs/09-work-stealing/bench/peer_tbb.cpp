// peer_tbb.cpp - fib(n) with oneTBB's task_group: the same tasks as fib.c
// (one tg.run per call with n >= cutoff), on an arena of `workers` threads.
//
//   peer_tbb [n [cutoff [workers]]]    defaults: 30 2 2; g++, pkg-config tbb
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

static int cutoff;

static long fib_seq(int n)
{
    return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2);
}

static long fib(int n)
{
    if (n < cutoff)
        return fib_seq(n);
    long a = 0, b = 0;
    tbb::task_group tg;
    tg.run([&] { a = fib(n - 1); });
    b = fib(n - 2);
    tg.wait();
    return a + b;
}

static long count_spawns(int n)
{
    return n < cutoff || n < 2 ? 0 : 1 + count_spawns(n - 1) + count_spawns(n - 2);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? std::atoi(argv[1]) : 30;
    cutoff = argc > 2 ? std::atoi(argv[2]) : 2;
    int w = argc > 3 ? std::atoi(argv[3]) : 2;
    const char *q = std::getenv("TL_BENCH_QUICK");
    if (q && std::atoi(q))
        n = 20;
    tbb::task_arena arena(w);
    long r = -1;
    auto t0 = std::chrono::steady_clock::now();
    arena.execute([&] { r = fib(n); });
    auto t1 = std::chrono::steady_clock::now();
    if (r != fib_seq(n)) {
        std::fprintf(stderr, "fib(%d) = %ld, expected %ld\n", n, r, fib_seq(n));
        return 1;
    }
    long ns = (long)std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    std::printf("tl-bench ops=%ld ns=%ld\n", count_spawns(n), ns);
    return 0;
}
