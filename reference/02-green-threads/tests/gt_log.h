/*
 * gt_log.h - a log of who ran when, shared by the lab 02 tests that check
 * run order (kit-owned). Entries are tag * 10 + round.
 */
#ifndef GT_LOG_H
#define GT_LOG_H

#include "gt_test.h"

#include <stdio.h>

#define LOG_MAX 512
static int log_v[LOG_MAX];
static int log_n;

__attribute__((unused)) static void log_add(int v)
{
    if (log_n < LOG_MAX)
        log_v[log_n++] = v;
}

__attribute__((unused)) static const char *fmt_ints(const int *v, int n)
{
    static char buf[2][1024];
    static int which;
    char *b = buf[which ^= 1];
    size_t off = 0;
    b[0] = '\0';
    for (int i = 0; i < n && off < sizeof buf[0] - 16; i++)
        off += (size_t)snprintf(b + off, sizeof buf[0] - off, "%s%d", i ? " " : "", v[i]);
    return b;
}

__attribute__((unused)) static void check_log(const int *want, int n, const char *what)
{
    int ok = log_n == n;
    for (int i = 0; ok && i < n; i++)
        ok = log_v[i] == want[i];
    tl_check(ok,
             "%s: wrong run order.\n  expected: %s\n  got:      %s\n"
             "(entry tag*10+round; tags: see the test). Hint: ONE FIFO run "
             "queue; gt_spawn appends the new thread at the tail and does not "
             "switch; gt_yield appends the caller at the tail and runs the "
             "head; a woken joiner goes to the tail (Tasks 4.4-4.8, 5.2).",
             what, fmt_ints(want, n), fmt_ints(log_v, log_n));
}

/* A worker that logs tag*10+round, then yields, for `rounds` rounds. */
struct rr_arg {
    int tag;
    int rounds;
};

__attribute__((unused)) static void *rr_worker(void *p)
{
    struct rr_arg *a = p;
    for (int r = 1; r <= a->rounds; r++) {
        log_add(a->tag * 10 + r);
        gt_yield();
    }
    return NULL;
}

#endif
