/*
 * test_lazy.c - Task 4: the lazily built sieve is shared without a data
 * race. Readers spin on the table pointer itself (a relaxed load: it
 * orders nothing) and take the fast path the moment it is set, while the
 * builder may still be at work: they must find a complete sieve. The race
 * stage runs the same test under ThreadSanitizer, which also sees an order
 * that is right only by luck of the hardware.
 */
#include "cb_test.h"

#define T4 "Task 4 (src/lazy.c)"
#define NPRIMES 1077871L /* primes below 2^24 */
#define NREADERS 3

static struct lazy_primes lp;
static const struct prime_table *seen[NREADERS + 1];

static void *builder(void *arg)
{
    (void)arg;
    seen[0] = lazy_primes_get(&lp);
    return NULL;
}

static void *reader(void *arg)
{
    int i = (int)(intptr_t)arg;
    double end = tl_now() + 3 * hang_secs();
    while (!atomic_load_explicit(&lp.table, memory_order_relaxed) && tl_now() < end)
        ; /* spin: the moment the pointer appears is the one that matters */
    const struct prime_table *t = lazy_primes_get(&lp);
    seen[i] = t;
    if (!t) {
        tl_fb_fail(&fb, "lazy_primes_get returned NULL");
        return NULL;
    }
    long n = 0;
    for (uint32_t k = 0; k < PRIME_LIMIT; k++)
        n += !t->composite[k];
    if (n != NPRIMES)
        tl_fb_fail(&fb, "reader %d took the fast path as soon as the table pointer "
                   "was set and counted %ld primes below 2^24, expected %ld: it was "
                   "handed a sieve still being built. A reader that sees the pointer "
                   "must see the whole table. Hint: handout " T4 ".", i, n, NPRIMES);
    return NULL;
}

TL_TEST(lazy_table_complete_when_seen, 4, 60, "lazy race")
{
    lazy_primes_init(&lp);
    struct tl_thread w[NREADERS + 1];
    /* Readers first: creating a thread orders it after its creator, and
     * nothing but the table itself may order the builder before them. */
    for (int i = 1; i <= NREADERS; i++)
        tl_thread_start(&w[i], reader, (void *)(intptr_t)i);
    tl_thread_start(&w[0], builder, NULL);
    double end = tl_now() + 6 * hang_secs();
    while (!tl_threads_done(w, NREADERS + 1)) {
        tl_check(tl_now() < end, "lazy_primes_get callers did not return in %.0f s. "
                 "Hint: handout " T4 ".", 6 * hang_secs());
        pause_ms(1);
    }
    tl_threads_join(w, NREADERS + 1);
    tl_fb_report(&fb);
    for (int i = 1; i <= NREADERS; i++)
        tl_check(seen[i] == seen[0] && seen[0], "lazy_primes_get returned %p to one "
                 "thread and %p to another: there must be one table", (void *)seen[0],
                 (void *)seen[i]);
    int n = atomic_load(&lp.builds);
    tl_check(n == 1, "the table was built %d times, expected once", n);
    tl_check(lazy_is_prime(&lp, 16777213) == 1 && lazy_is_prime(&lp, 16777215) == 0 &&
             lazy_is_prime(&lp, 2) == 1 && lazy_is_prime(&lp, 1) == 0 &&
             lazy_is_prime(&lp, PRIME_LIMIT) == -1,
             "lazy_is_prime answers wrongly (16777213 is prime, 16777215 = 3 x "
             "5592405, 2 prime, 1 not, PRIME_LIMIT out of range: -1)");
    lazy_primes_destroy(&lp);
}
