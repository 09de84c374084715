/*
 * peer_pthread.c - glibc's pthread_create + pthread_join against lab 01's
 * kthread_create + kthread_join (createjoin.c): the same n threads one after
 * another, the same job in each and the same checks (bench/createjoin.h).
 * The stack is 64 KiB, the size a kthread gets by default, so both ask for
 * the same; glibc keeps the stacks of joined threads in a cache and reuses
 * them (a kthread maps a fresh one each time), which is part of what is
 * measured.
 *
 *   peer_pthread [n]    default 20000; TL_BENCH_QUICK=1: 200
 */
#include "createjoin.h"

#include <pthread.h>
#include <string.h>

static void *work(void *arg)
{
    return cj_work((long)arg);
}

int main(int argc, char **argv)
{
    long n = cj_args(argc, argv, "peer_pthread", 20000, 200);
    cj_slots(n, "peer_pthread");
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, 64 * 1024)) {
        fprintf(stderr, "peer_pthread: cannot set a 64 KiB stack\n");
        return 1;
    }
    long t0 = cj_now_ns();
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
    long dt = cj_now_ns() - t0;
    pthread_attr_destroy(&attr);
    if (cj_check(n, "peer_pthread"))
        return 1;
    printf("tl-bench ops=%ld ns=%ld\n", n, dt);
    return 0;
}
