/*
 * sp_futex.c - the kit's futex wrapper (see sp_futex.h). Kit source: it is
 * compiled into every build of the lab, and it is the only place that
 * calls syscall(2).
 */
#include "sp_futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct sp_futex_stats sp_futex_stats;
static atomic_long delay_ns;
static __thread unsigned long my_waits, my_wakes;

static void spin_ns(long ns)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < ns);
}

int sp_futex_wait(_Atomic uint32_t *addr, uint32_t expected)
{
    my_waits++;
    atomic_fetch_add_explicit(&sp_futex_stats.waits, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&sp_futex_stats.sleeping, 1, memory_order_relaxed);
    long ns = atomic_load_explicit(&delay_ns, memory_order_relaxed);
    if (ns > 0)
        spin_ns(ns);
    long rc = syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
    int saved = errno;
    atomic_fetch_sub_explicit(&sp_futex_stats.sleeping, 1, memory_order_relaxed);
    errno = saved;
    return rc == 0 ? 0 : -1;
}

int sp_futex_wake(_Atomic uint32_t *addr, int n)
{
    my_wakes++;
    atomic_fetch_add_explicit(&sp_futex_stats.wakes, 1, memory_order_relaxed);
    long rc = syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
    if (rc > 0)
        atomic_fetch_add_explicit(&sp_futex_stats.woken, (unsigned long)rc, memory_order_relaxed);
    return rc > 0 ? (int)rc : 0;
}

unsigned long sp_futex_my_waits(void)
{
    return my_waits;
}

unsigned long sp_futex_my_wakes(void)
{
    return my_wakes;
}

void sp_futex_delay_waits(long ns)
{
    atomic_store_explicit(&delay_ns, ns, memory_order_relaxed);
}
