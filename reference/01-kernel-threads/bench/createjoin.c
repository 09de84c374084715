/*
 * createjoin.c - lab 01's side of `make bench`: n kernel threads made with
 * kthread_create and joined with kthread_join, one after another (create,
 * join, next). Each thread writes its index + 1 in its own slot and returns
 * its index; the program checks both, so a create that never ran the thread
 * (or a join that did not wait for it) fails the run instead of looking fast.
 *
 *   createjoin [n]      default 20000; TL_BENCH_QUICK=1: 200
 *
 * The unit of work is one create+join. Peers: peer_pthread.c does the same
 * with pthread_create/pthread_join on a stack of the same size (64 KiB,
 * KT_DEFAULT_STACK); peer_fork.c puts a whole process (fork + waitpid) beside
 * it for scale. Only the public API of include/kt.h is used, so on the
 * skeleton (whose kthread_create returns ENOSYS) this stops with a message.
 *
 * The thread runs on a kthread: no libc in it, only a plain store.
 */
#include "kt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long *slot;

static void *work(kthread_t *self, void *arg)
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
        fprintf(stderr, "createjoin: n must be at least 1\n");
        return 1;
    }
    slot = calloc(n, sizeof *slot);
    if (!slot) {
        perror("createjoin: calloc");
        return 1;
    }
    long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        kthread_t *t;
        void *ret = NULL;
        int rc = kthread_create(&t, work, (void *)i, 0);
        if (rc) {
            fprintf(stderr, "createjoin: kthread_create #%ld: %s\n", i, strerror(rc));
            return 1;
        }
        rc = kthread_join(t, &ret);
        if (rc) {
            fprintf(stderr, "createjoin: kthread_join #%ld: %s\n", i, strerror(rc));
            return 1;
        }
        if ((long)ret != i) {
            fprintf(stderr, "createjoin: thread #%ld returned %ld\n", i, (long)ret);
            return 1;
        }
    }
    long dt = now_ns() - t0;
    for (long i = 0; i < n; i++)
        if (slot[i] != i + 1) {
            fprintf(stderr, "createjoin: thread #%ld left %ld in its slot, not %ld\n", i, slot[i], i + 1);
            return 1;
        }
    free(slot);
    printf("tl-bench ops=%ld ns=%ld\n", n, dt);
    return 0;
}
