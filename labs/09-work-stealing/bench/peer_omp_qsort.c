/*
 * peer_omp_qsort.c - qsort.c's quicksort with OpenMP tasks (libgomp): the
 * same input, partition and serial sort (bench/qsort_work.h), one `omp
 * task` for the left part of every range of at least `cutoff` ints, on
 * `workers` threads.
 *
 *   peer_omp_qsort [n [cutoff [workers]]]   defaults: 2000000 2000 2; built with -fopenmp
 */
#include "qsort_work.h"

#include <omp.h>

static long cutoff;

static void sort(int *a, long n)
{
    if (n < cutoff || n < QS_SMALL) {
        qs_sort_serial(a, n);
        return;
    }
    long k = qs_partition(a, n);
#pragma omp task
    sort(a, k);
    sort(a + k, n - k);
#pragma omp taskwait
}

int main(int argc, char **argv)
{
    long n;
    int w;
    qs_args(argc, argv, "peer_omp_qsort", &n, &cutoff, &w);
    struct qs_print before;
    int *a = qs_input(n, &before);
    if (!a) {
        perror("peer_omp_qsort: malloc");
        return 1;
    }
    omp_set_num_threads(w);
    long t0 = qs_now_ns();
#pragma omp parallel
#pragma omp single
    sort(a, n);
    long dt = qs_now_ns() - t0;
    if (qs_check(a, n, before, "peer_omp_qsort"))
        return 1;
    free(a);
    printf("tl-bench ops=%ld ns=%ld\n", n, dt);
    return 0;
}
