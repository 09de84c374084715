/*
 * sp_futex.h - the futex wrapper the kit gives you (src/sp_futex.c is a
 * kit source: you do not submit it, and you may not call syscall(2)
 * yourself; lab.conf forbids it). Every futex call of the lab goes
 * through these two functions, which count what they do, so a test can
 * tell "the uncontended lock made no system call" and "unlock woke only
 * when someone could be waiting" as facts, not guesses.
 *
 * Private futexes (FUTEX_*_PRIVATE): the words live in one process.
 * The kernel compares *addr with `expected` and sleeps in one atomic step,
 * so a wake between your last look and the sleep is never lost: the wait
 * returns at once. A futex wait or wake is NOT a happens-before edge for
 * ThreadSanitizer (or for the C memory model): order your data through
 * the atomic word itself (acquire on the way in, release on the way out).
 */
#ifndef SP_FUTEX_H
#define SP_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

/* Sleep while *addr == expected. Returns 0 when woken (or spuriously:
 * always re-check your condition), -1 with errno EAGAIN when *addr already
 * differed, EINTR on a signal. Counted in sp_futex_stats.waits. */
int sp_futex_wait(_Atomic uint32_t *addr, uint32_t expected);

/* Wake at most n threads sleeping on addr (n >= 1; INT32_MAX for all).
 * Returns how many were woken. Counted in sp_futex_stats.wakes. */
int sp_futex_wake(_Atomic uint32_t *addr, int n);

/* ---- for the tests (and your own debugging) ------------------------- */

/* Process-wide counters (relaxed atomics: statistics, no ordering). */
struct sp_futex_stats {
    atomic_ulong waits;    /* sp_futex_wait calls */
    atomic_ulong wakes;    /* sp_futex_wake calls */
    atomic_ulong woken;    /* threads the kernel reported woken */
    atomic_long sleeping;  /* threads inside sp_futex_wait right now */
};
extern struct sp_futex_stats sp_futex_stats;

/* This thread's own calls (a test counts its thread's calls without the
 * noise of others). */
unsigned long sp_futex_my_waits(void);
unsigned long sp_futex_my_wakes(void);

/* Widen the window between "I decided to sleep" and the kernel's check:
 * while ns > 0, every sp_futex_wait spins ns nanoseconds first, as if the
 * thread were preempted there. Correct code cannot tell (the kernel checks
 * the word); a waker that skips its wake because it thinks nobody sleeps
 * strands the waiter every time instead of once in a million.
 * sp_futex_delay_waits(0) turns it off. */
void sp_futex_delay_waits(long ns);

#endif
