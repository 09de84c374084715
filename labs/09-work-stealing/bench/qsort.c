/*
 * qsort.c - the lab's second benchmark: quicksort of n ints on a pool of
 * `workers` workers. A range of at least `cutoff` ints is partitioned, its
 * left part spawned with ws_spawn, its right part sorted by the same task,
 * then the left joined; a shorter range is sorted serially. Input,
 * partition, serial sort and check are bench/qsort_work.h, shared with the
 * peers (peer_omp_qsort.c, peer_tbb_qsort.cpp), which spawn exactly the
 * same tasks on the same number of threads.
 *
 *   qsort [n [cutoff [workers]]]     defaults: 2000000 2000 2; TL_BENCH_QUICK=1: n = 20000
 *
 * Prints `tl-bench ops=<ints sorted> ns=<elapsed ns of the sort>` (the pool
 * is started before the clock, as for fib). Checks its answer.
 */
#include "ws.h"
#include "qsort_work.h"

static long cutoff;

struct range { int *a; long n; };

static void sort_task(void *p)
{
    struct range *r = p;
    if (r->n < cutoff || r->n < QS_SMALL) {
        qs_sort_serial(r->a, r->n);
        return;
    }
    long k = qs_partition(r->a, r->n);
    struct range left = {r->a, k}, right = {r->a + k, r->n - k};
    struct ws_task *t = ws_spawn(sort_task, &left);
    if (!t) {
        perror("qsort: ws_spawn");
        exit(1);
    }
    sort_task(&right);
    int rc = ws_join(t);
    if (rc) {
        fprintf(stderr, "qsort: ws_join returned %d\n", rc);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long n;
    int w;
    qs_args(argc, argv, "qsort", &n, &cutoff, &w);
    struct qs_print before;
    int *a = qs_input(n, &before);
    if (!a) {
        perror("qsort: malloc");
        return 1;
    }
    struct ws_pool *p = ws_pool_new(w);
    if (!p) {
        perror("qsort: ws_pool_new");
        return 1;
    }
    struct range all = {a, n};
    long t0 = qs_now_ns();
    int rc = ws_pool_run(p, sort_task, &all);
    long dt = qs_now_ns() - t0;
    ws_pool_free(p);
    if (rc) {
        fprintf(stderr, "qsort: ws_pool_run returned %d\n", rc);
        return 1;
    }
    if (qs_check(a, n, before, "qsort"))
        return 1;
    free(a);
    printf("tl-bench ops=%ld ns=%ld\n", n, dt);
    return 0;
}
