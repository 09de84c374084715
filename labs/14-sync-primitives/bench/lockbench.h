/* bench/lockbench.h - the one loop both sides of `make bench` run, so the
 * lab's mutex (bench/mutex.c) and glibc's (bench/pthread_mutex.c) do the
 * same work: `threads` threads each take the lock, bump a shared counter
 * and release it, a fixed number of times. The unit of work is one
 * lock+unlock pair. The includer defines BENCH_LOCK_T, BENCH_INIT(l),
 * BENCH_LOCK(l), BENCH_UNLOCK(l) and BENCH_NAME, then includes this file.
 * argv: threads (1 = uncontended, 2 = contended); pairs per thread.
 * TL_BENCH_QUICK=1 does a token amount. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static BENCH_LOCK_T bench_lock;
static long bench_counter; /* guarded by bench_lock */
static long bench_per;

static void *bench_thread(void *arg)
{
    for (long i = 0; i < bench_per; i++) {
        BENCH_LOCK(&bench_lock);
        bench_counter++;
        BENCH_UNLOCK(&bench_lock);
    }
    return arg;
}

static long bench_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    bench_per = argc > 2 ? atol(argv[2]) : 20000000;
    const char *q = getenv("TL_BENCH_QUICK");
    if (q && *q == '1')
        bench_per = 100000;
    if (threads < 1 || threads > 16 || bench_per < 1) {
        fprintf(stderr, "%s: usage: %s threads pairs_per_thread\n", BENCH_NAME, argv[0]);
        return 1;
    }
    BENCH_INIT(&bench_lock);
    pthread_t t[16];
    long t0 = bench_ns();
    for (int i = 1; i < threads; i++)
        if (pthread_create(&t[i], NULL, bench_thread, NULL) != 0) {
            fprintf(stderr, "%s: pthread_create failed\n", BENCH_NAME);
            return 1;
        }
    bench_thread(NULL);
    for (int i = 1; i < threads; i++)
        pthread_join(t[i], NULL);
    long dt = bench_ns() - t0;
    if (bench_counter != threads * bench_per) {
        fprintf(stderr, "%s: the counter is %ld, expected %ld: the lock let two threads in\n",
                BENCH_NAME, bench_counter, threads * bench_per);
        return 1;
    }
    printf("tl-bench ops=%ld ns=%ld\n", threads * bench_per, dt);
    return 0;
}
