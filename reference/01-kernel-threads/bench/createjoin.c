/*
 * createjoin.c - lab 01's side of `make bench`: n kernel threads made with
 * kthread_create and joined with kthread_join, one after another (create,
 * join, next). Each thread writes its index + 1 in its own slot and returns
 * its index (bench/createjoin.h); both are checked, so a create that never
 * ran the thread, or a join that did not wait for it, fails the run instead
 * of looking fast.
 *
 *   createjoin [n]      default 20000; TL_BENCH_QUICK=1: 200
 *
 * The unit of work is one create+join. Peers: peer_pthread.c does the same
 * with pthread_create/pthread_join on a stack of the same size (64 KiB,
 * KT_DEFAULT_STACK); peer_fork.c puts a whole process (fork + waitpid) beside
 * it for scale. Only the public API of include/kt.h is used, so on the
 * skeleton (whose kthread_create returns ENOSYS) this stops with a message.
 */
#include "kt.h"
#include "createjoin.h"

#include <string.h>

static void *work(kthread_t *self, void *arg)
{
    return cj_work((long)arg);
}

int main(int argc, char **argv)
{
    long n = cj_args(argc, argv, "createjoin", 20000, 200);
    cj_slots(n, "createjoin");
    long t0 = cj_now_ns();
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
    long dt = cj_now_ns() - t0;
    if (cj_check(n, "createjoin"))
        return 1;
    printf("tl-bench ops=%ld ns=%ld\n", n, dt);
    return 0;
}
