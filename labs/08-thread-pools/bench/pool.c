/* bench/pool.c - our side of `make bench`: a fixed set of tasks, each
 * running bench_work (work.h), through the lab's pool with `threads`
 * workers (core = max), a ring of 1024 and TP_BLOCK, submitted from one
 * thread without futures; the clock stops when tp_shutdown has drained
 * and joined. The unit of work is one task. Prints
 * `tl-bench ops=<tasks> ns=<elapsed>`. */
#include "tp.h"
#include "work.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static atomic_uint_least64_t sum;
static long iters;

static int task(void *arg, long *value)
{
    (void)value;
    atomic_fetch_add_explicit(&sum, bench_work((uint64_t)(uintptr_t)arg, iters),
                              memory_order_relaxed);
    return 0;
}

int main(int argc, char **argv)
{
    int threads;
    long ntasks;
    bench_args(argc, argv, &threads, &iters, &ntasks);
    struct tp_config c = {(unsigned)threads, (unsigned)threads, 1024, 0, TP_BLOCK};
    tp_pool *p = NULL;
    int rc = tp_create(&p, &c);
    if (rc) {
        fprintf(stderr, "pool: tp_create: %s\n", strerror(rc));
        return 1;
    }
    long t0 = bench_now_ns();
    for (long i = 0; i < ntasks; i++)
        if ((rc = tp_submit(p, task, (void *)(uintptr_t)i, NULL)) != 0) {
            fprintf(stderr, "pool: tp_submit: %s\n", strerror(rc));
            return 1;
        }
    rc = tp_shutdown(p);
    long dt = bench_now_ns() - t0;
    if (rc || tp_destroy(p)) {
        fprintf(stderr, "pool: tp_shutdown/tp_destroy failed\n");
        return 1;
    }
    if (atomic_load(&sum) != bench_expected(ntasks, iters)) {
        fprintf(stderr, "pool: wrong checksum: a task ran twice or not at all\n");
        return 1;
    }
    printf("tl-bench ops=%ld ns=%ld\n", ntasks, dt);
    return 0;
}
