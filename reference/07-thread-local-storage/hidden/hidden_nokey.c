/*
 * hidden_nokey.c - lab 07 hidden test that uses up every pthread key of
 * its process (alone in its program: nothing after it could arm the hook).
 */
#include "../tests/tls_test.h"

TL_TEST(hidden_no_pthread_key_left, 1, 10, "keys")
{
    static pthread_key_t pk[PTHREAD_KEYS_MAX + 8];
    int n = 0;
    while (n < PTHREAD_KEYS_MAX + 8 && pthread_key_create(&pk[n], NULL) == 0)
        n++;
    tls_key_t k;
    int rc = tls_key_create(&k, NULL);
    tl_check(rc == 0, "tls_key_create needs no pthread key, yet it returned %d "
             "when none was left. Hint: Task 1.1.", rc);
    static int token;
    rc = tls_set(k, &token);
    tl_check(rc == EAGAIN, "with every pthread key taken, the layer cannot make "
             "its exit hook: tls_set must return pthread_key_create's EAGAIN, "
             "got %d. Hint: Task 3.1.", rc);
    tl_check(tls_get(k) == NULL, "a failed tls_set stored its value anyway");
    KEY_DELETE(k);
}
