/*
 * peer_fork.c - for scale, not a target: what a whole process costs where
 * lab 01 makes a thread. n children made with fork and reaped with waitpid,
 * one after another; each child exits at once with _exit(index % 256) and
 * the parent checks that status, as createjoin.c checks each thread's
 * result (a child's store would not reach the parent's memory, so the exit
 * status carries it). A child copies the parent's page tables
 * (copy-on-write) where a thread shares them: that is what the row shows.
 *
 *   peer_fork [n]       default 5000; TL_BENCH_QUICK=1: 50
 */
#include "createjoin.h"

#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = cj_args(argc, argv, "peer_fork", 5000, 50);
    fflush(stdout);
    long t0 = cj_now_ns();
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
    long dt = cj_now_ns() - t0;
    printf("tl-bench ops=%ld ns=%ld\n", n, dt);
    return 0;
}
