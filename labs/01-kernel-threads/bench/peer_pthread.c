/*
 * peer_pthread.c - glibc's pthread_create + pthread_join against lab 01's
 * kthread_create + kthread_join (createjoin.c): the same n threads one after
 * another, the same work in each (write index + 1 in its slot, return the
 * index), the same checks. The stack is 64 KiB, the size a kthread gets by
 * default, so both map the same amount; glibc keeps the stacks of joined
 * threads in a cache and reuses them, which is part of what is measured.
 *
 *   peer_pthread [n]    default 20000; TL_BENCH_QUICK=1: 200
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STACK (64 * 1024)

static long *slot;

static void *work(void *arg)
{
    long i = (long)arg;
    slot[i] = i + 1;
    return arg;
}

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    if (getenv("TL_BENCH_QUICK") && atoi(getenv("TL_BENCH_QUICK")))
        n = 200;
    if (n < 1) {
        fprintf(stderr, "peer_pthread: n must be at least 1\n");
        return 1;
    }
    slot = calloc(n, sizeof *slot);
    pthread_attr_t attr;
    if (!slot || pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, STACK)) {
        fprintf(stderr, "peer_pthread: setup failed\n");
        return 1;
    }
    long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *ret = NULL;
        int rc = pthread_create(&t, &attr, work, (void *)i);
        if (rc) {
            fprintf(stderr, "peer_pthread: pthread_create #%ld: %s\n", i, strerror(rc));
            return 1;
        }
        rc = pthread_join(t, &ret);
        if (rc) {
            fprintf(stderr, "peer_pthread: pthread_join #%ld: %s\n", i, strerror(rc));
            return 1;
        }
        if ((long)ret != i) {
            fprintf(stderr, "peer_pthread: thread #%ld returned %ld\n", i, (long)ret);
            return 1;
        }
    }
    long dt = now_ns() - t0;
    pthread_attr_destroy(&attr);
    for (long i = 0; i < n; i++)
        if (slot[i] != i + 1) {
            fprintf(stderr, "peer_pthread: thread #%ld left %ld in its slot, not %ld\n", i, slot[i], i + 1);
            return 1;
        }
    free(slot);
    printf("tl-bench ops=%ld ns=%ld\n", n, dt);
    return 0;
}
