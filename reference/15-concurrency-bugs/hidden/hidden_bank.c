/*
 * hidden_bank.c - three transfers in a ring (0 -> 1, 1 -> 2, 2 -> 0), all
 * at once: a cycle of three waits if the lock order depends on direction.
 */
#include "../tests/cb_test.h"

#define T1 "Task 1 (src/bank.c)"

struct ring {
    struct bank *b;
    int party;
    int rc;
};

static void *ring_main(void *arg)
{
    struct ring *r = arg;
    rv_arm(r->party);
    r->rc = bank_transfer(r->b, r->party, (r->party + 1) % 3, 10 + r->party);
    atomic_store(&rv.finished[r->party], 1);
    return NULL;
}

TL_TEST(bank_hidden_three_way_ring, 3, 30, "bank deadlock")
{
    static struct bank b;
    tl_check(bank_init(&b, 3, 50) == 0, "bank_init failed");
    rv_setup(3);
    struct ring r[3];
    struct tl_thread w[3];
    for (int i = 0; i < 3; i++) {
        r[i] = (struct ring){&b, i, -1};
        tl_thread_start(&w[i], ring_main, &r[i]);
    }
    WAIT_WORKERS_NO_DEADLOCK(w, 3, 0, "transfers 0 -> 1, 1 -> 2 and 2 -> 0, run at once,", T1);
    tmx_set_hook(NULL, NULL);
    tl_check(r[0].rc == 0 && r[1].rc == 0 && r[2].rc == 0, "the ring's transfers "
             "returned %s, %s, %s; expected 0 each", tl_ename(r[0].rc), tl_ename(r[1].rc),
             tl_ename(r[2].rc));
    long b0 = bank_balance(&b, 0), b1 = bank_balance(&b, 1), b2 = bank_balance(&b, 2);
    tl_check(b0 == 52 && b1 == 49 && b2 == 49, "after 0 -> 1 (10), 1 -> 2 (11), "
             "2 -> 0 (12) the balances are %ld, %ld, %ld; expected 52, 49, 49",
             b0, b1, b2);
    bank_destroy(&b);
}
