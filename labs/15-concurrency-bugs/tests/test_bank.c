/*
 * test_bank.c - Task 1: transfers in opposite directions never deadlock,
 * and every transfer that returned 0 moved exactly its amount.
 */
#include "cb_test.h"

#define T1 "Task 1 (src/bank.c)"

struct xfer {
    struct bank *b;
    int party;       /* rendezvous party, -1: none */
    int from, to;
    long amount;
    int rc;
};

static void *xfer_main(void *arg)
{
    struct xfer *x = arg;
    if (x->party >= 0)
        rv_arm(x->party);
    x->rc = bank_transfer(x->b, x->from, x->to, x->amount);
    if (x->party >= 0)
        atomic_store(&rv.finished[x->party], 1);
    return NULL;
}

TL_TEST(bank_crossed_transfers_finish, 6, 30, "bank deadlock")
{
    static struct bank b;
    int rc = bank_init(&b, 4, 100);
    tl_check(rc == 0, "bank_init(4 accounts, 100) returned %s", tl_ename(rc));
    rv_setup(2);
    /* Both threads take their first lock before either takes its second,
     * if the code lets them: the classic crossing. */
    struct xfer x[2] = {{&b, 0, 0, 1, 30, -1}, {&b, 1, 1, 0, 5, -1}};
    struct tl_thread w[2];
    for (int i = 0; i < 2; i++)
        tl_thread_start(&w[i], xfer_main, &x[i]);
    WAIT_WORKERS_NO_DEADLOCK(w, 2, 0, "bank_transfer(0 -> 1, 30) and bank_transfer(1 -> 0, 5), run at once,", T1);
    tmx_set_hook(NULL, NULL);
    tl_check(x[0].rc == 0 && x[1].rc == 0, "bank_transfer returned %s and %s, "
             "expected 0 and 0: both accounts hold enough. A transfer that "
             "finds the other lock busy must wait for it, not give up. Hint: "
             "handout " T1 ".", tl_ename(x[0].rc), tl_ename(x[1].rc));
    long b0 = bank_balance(&b, 0), b1 = bank_balance(&b, 1);
    tl_check(b0 == 75 && b1 == 125, "after transfers 0 -> 1 of 30 and 1 -> 0 of 5 "
             "that both returned 0, the balances are %ld and %ld, expected 75 "
             "and 125. Hint: handout " T1 ".", b0, b1);
    /* The contract's other answers, now that the transfers work. */
    tl_check(bank_transfer(&b, 2, 3, 101) == ENOSPC && bank_balance(&b, 2) == 100,
             "a transfer of more than the balance must return ENOSPC and move nothing");
    tl_check(bank_transfer(&b, 2, 2, 1) == EINVAL, "bank_transfer(2 -> 2) must return EINVAL");
    tl_check(bank_transfer(&b, 0, 4, 1) == EINVAL && bank_transfer(&b, -1, 0, 1) == EINVAL,
             "bank_transfer with an account index out of range must return EINVAL");
    tl_check(bank_transfer(&b, 0, 1, -1) == EINVAL, "a negative amount must give EINVAL");
    tl_check(bank_balance(&b, 4) == -1, "bank_balance(4) of 4 accounts must be -1");
    bank_destroy(&b);
}

/* ---- many threads, random transfers ------------------------------------ */

#define NACCT 6
#define NTHR 4
static atomic_long transfers_done;

struct stress {
    struct bank *b;
    int id;
    long n;
    uint64_t seed;
    long delta[NACCT]; /* this thread's net effect of its successful transfers */
};

static void *stress_main(void *arg)
{
    struct stress *s = arg;
    struct tl_rng r;
    tl_rng_init(&r, s->seed + 977 * (uint64_t)s->id);
    for (long k = 0; k < s->n && !tl_fb_failed(&fb); k++) {
        int from, to;
        long amount = (long)tl_rng_below(&r, 60);
        if (k == 0 && s->id < 2) {
            /* The first two threads open with a crossing. */
            rv_arm(s->id);
            from = s->id;
            to = 1 - s->id;
        } else {
            from = (int)tl_rng_below(&r, NACCT);
            to = (int)((from + 1 + (int)tl_rng_below(&r, NACCT - 1)) % NACCT);
        }
        int rc = bank_transfer(s->b, from, to, amount);
        if (k == 0 && s->id < 2)
            atomic_store(&rv.finished[s->id], 1);
        if (rc == 0) {
            s->delta[from] -= amount;
            s->delta[to] += amount;
        } else if (rc != ENOSPC) {
            tl_fb_fail(&fb, "bank_transfer(%d -> %d, %ld) returned %s, expected 0 "
                       "or ENOSPC. Hint: handout " T1 ".", from, to, amount, tl_ename(rc));
        }
        atomic_fetch_add(&transfers_done, 1);
    }
    return NULL;
}

TL_TEST(bank_stress_exact_balances, 4, 60, "bank deadlock stress")
{
    static struct bank b;
    tl_check(bank_init(&b, NACCT, 200) == 0, "bank_init failed");
    rv_setup(2);
    uint64_t seed = tl_seed();
    static struct stress s[NTHR];
    struct tl_thread w[NTHR];
    for (int i = 0; i < NTHR; i++) {
        memset(&s[i], 0, sizeof s[i]);
        s[i].b = &b;
        s[i].id = i;
        s[i].n = tl_iters(20000);
        s[i].seed = seed;
        tl_thread_start(&w[i], stress_main, &s[i]);
    }
    WAIT_WORKERS_NO_DEADLOCK(w, NTHR, atomic_load(&transfers_done),
                             "random transfers between 6 accounts on 4 threads", T1);
    tmx_set_hook(NULL, NULL);
    long total = 0;
    for (int a = 0; a < NACCT; a++) {
        long want = 200;
        for (int i = 0; i < NTHR; i++)
            want += s[i].delta[a];
        long got = bank_balance(&b, a);
        total += got;
        tl_check(got == want, "account %d holds %ld, but the transfers that "
                 "returned 0 add up to %ld (seed %llu). Each transfer must move "
                 "its amount exactly once, atomically. Hint: handout " T1 ".",
                 a, got, want, (unsigned long long)seed);
    }
    tl_check(total == 200 * NACCT, "the bank holds %ld in all, expected %d", total, 200 * NACCT);
    bank_destroy(&b);
}
