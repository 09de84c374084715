/*
 * bank.c - Task 1: transfers between accounts that never deadlock.
 *
 * A transfer locks both accounts, so that no one sees the money in both or
 * in neither. Two transfers in opposite directions (0 -> 1 and 1 -> 0) each
 * lock "their" first account; if each then waits for the other's, neither
 * ever lets go.
 */
#include "cb.h"

#include <errno.h>

static const char *const names[BANK_MAX] = {
    "account 0", "account 1", "account 2", "account 3", "account 4", "account 5",
    "account 6", "account 7", "account 8", "account 9", "account 10", "account 11",
    "account 12", "account 13", "account 14", "account 15",
};

int bank_init(struct bank *b, int n, long initial)
{
    if (!b || n < 1 || n > BANK_MAX || initial < 0)
        return EINVAL;
    b->n = n;
    for (int i = 0; i < n; i++) {
        tmx_init(&b->acct[i].lock, names[i] ? names[i] : "an account above 15");
        b->acct[i].balance = initial;
    }
    return 0;
}

void bank_destroy(struct bank *b)
{
    for (int i = 0; i < b->n; i++)
        tmx_destroy(&b->acct[i].lock);
    b->n = 0;
}

int bank_transfer(struct bank *b, int from, int to, long amount)
{
    if (!b || from < 0 || to < 0 || from >= b->n || to >= b->n || from == to || amount < 0)
        return EINVAL;
    /* TODO 1.1: two threads transferring 0 -> 1 and 1 -> 0 at the same time
     * hang for ever: the test prints "thread 1 holds account 0 and waits
     * for account 1; thread 2 holds account 1 and waits for account 0".
     * Make every call return, keeping the transfer atomic (handout Task 1). */
    struct account *first = &b->acct[from];
    struct account *second = &b->acct[to];
    tmx_lock(&first->lock);
    tmx_lock(&second->lock);
    int rc = 0;
    if (b->acct[from].balance < amount) {
        rc = ENOSPC;
    } else {
        b->acct[from].balance -= amount;
        b->acct[to].balance += amount;
    }
    tmx_unlock(&second->lock);
    tmx_unlock(&first->lock);
    return rc;
}

long bank_balance(struct bank *b, int i)
{
    if (!b || i < 0 || i >= b->n)
        return -1;
    tmx_lock(&b->acct[i].lock);
    long v = b->acct[i].balance;
    tmx_unlock(&b->acct[i].lock);
    return v;
}
