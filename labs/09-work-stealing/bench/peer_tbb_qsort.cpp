// peer_tbb_qsort.cpp - qsort.c's quicksort with oneTBB's task_group: the
// same input, partition and serial sort (bench/qsort_work.h), one tg.run
// for the left part of every range of at least `cutoff` ints, on an arena
// of `workers` threads.
//
//   peer_tbb_qsort [n [cutoff [workers]]]   defaults: 2000000 2000 2; g++, pkg-config tbb
#include "qsort_work.h"

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

static long cutoff;

static void sort(int *a, long n)
{
    if (n < cutoff || n < QS_SMALL) {
        qs_sort_serial(a, n);
        return;
    }
    long k = qs_partition(a, n);
    tbb::task_group tg;
    tg.run([=] { sort(a, k); });
    sort(a + k, n - k);
    tg.wait();
}

int main(int argc, char **argv)
{
    long n;
    int w;
    qs_args(argc, argv, "peer_tbb_qsort", &n, &cutoff, &w);
    qs_print before;
    int *a = qs_input(n, &before);
    if (!a) {
        std::perror("peer_tbb_qsort: malloc");
        return 1;
    }
    tbb::task_arena arena(w);
    long t0 = qs_now_ns();
    arena.execute([&] { sort(a, n); });
    long dt = qs_now_ns() - t0;
    if (qs_check(a, n, before, "peer_tbb_qsort"))
        return 1;
    std::free(a);
    std::printf("tl-bench ops=%ld ns=%ld\n", n, dt);
    return 0;
}
