/*
 * peer_fork.c - for scale, not a target: what a whole process costs where
 * lab 01 makes a thread. n children made with fork and reaped with waitpid,
 * one after another; each child exits at once with _exit(index % 256) and
 * the parent checks that status, as createjoin.c checks each thread's
 * return value. A child copies the parent's page tables (copy-on-write)
 * where a thread shares them: that difference is what the row shows.
 *
 *   peer_fork [n]       default 5000; TL_BENCH_QUICK=1: 50
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5000;
    if (getenv("TL_BENCH_QUICK") && atoi(getenv("TL_BENCH_QUICK")))
        n = 50;
    if (n < 1) {
        fprintf(stderr, "peer_fork: n must be at least 1\n");
        return 1;
    }
    fflush(stdout);
    long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("peer_fork: fork");
            return 1;
        }
        if (pid == 0)
            _exit((int)(i % 256));
        int st;
        if (waitpid(pid, &st, 0) != pid) {
            perror("peer_fork: waitpid");
            return 1;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != i % 256) {
            fprintf(stderr, "peer_fork: child #%ld ended with status %#x, not exit %ld\n", i, st, i % 256);
            return 1;
        }
    }
    long dt = now_ns() - t0;
    printf("tl-bench ops=%ld ns=%ld\n", n, dt);
    return 0;
}
