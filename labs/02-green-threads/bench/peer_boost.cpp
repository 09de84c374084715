// bench/peer_boost.cpp - the peer of bench/yield.c on Boost.Context (1.74,
// Debian's libboost-context-dev): a library whose whole job is the switch
// (its fcontext is hand-written assembly per ABI), with a fiber object that
// owns its stack. main and one fiber hand the CPU back and forth N times
// each through the public boost::context::fiber::resume(), with the same
// turn check as yield.c: two contexts on one kernel thread, the unit of
// work one switch (2N in all). Lab 04 builds it too (its lab.conf), against
// its resume/yield. Prints `tl-bench ops=<switches> ns=<elapsed>`.
#include <boost/context/fiber.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <utility>

namespace bctx = boost::context;

static long n_rounds;
static volatile long turn; // 0: main's turn, 1: the fiber's
static long out_of_turn;

static long now_ns()
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main()
{
    n_rounds = std::getenv("TL_BENCH_QUICK") ? 1000 : 2000000;
    bctx::fiber other{[](bctx::fiber &&back) {
        for (long i = 0; i < n_rounds; i++) {
            if (turn != 1)
                out_of_turn++;
            turn = 0;
            back = std::move(back).resume();
        }
        return std::move(back);
    }};
    long t0 = now_ns();
    for (long i = 0; i < n_rounds; i++) {
        if (turn != 0)
            out_of_turn++;
        turn = 1;
        other = std::move(other).resume();
    }
    long dt = now_ns() - t0;
    other = std::move(other).resume(); // untimed: let the fiber return
    if (other) {
        std::fprintf(stderr, "peer_boost: the fiber did not finish after its %ld rounds\n", n_rounds);
        return 1;
    }
    if (out_of_turn != 0) {
        std::fprintf(stderr, "peer_boost: the two contexts did not alternate (%ld turns out of order)\n", out_of_turn);
        return 1;
    }
    std::printf("tl-bench ops=%ld ns=%ld\n", 2 * n_rounds, dt);
    return 0;
}
