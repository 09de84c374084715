/*
 * test_hostile.c - one test per hostile behaviour (see victim.h). Each
 * expects 42; grader/tests/hostile/run.sh states how the grader must score
 * each one when the submission misbehaves. Short timeouts keep the suite
 * quick: the behaviours that hang are meant to hit them.
 */
#include "tl_harness.h"
#include "victim.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* The kit's side of case_network: a test may talk TCP to itself on
 * 127.0.0.1 (labs 05 and 13 serve and connect on loopback), whatever the
 * victim then tries. 1 when a byte makes the round trip. */
static int loopback_to_itself(void)
{
    int ok = 0, l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), a = -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof sa;
    char b = 'x';
    if (l >= 0 && c >= 0 && bind(l, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(l, 1) == 0 &&
        getsockname(l, (struct sockaddr *)&sa, &n) == 0 && connect(c, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        (a = accept(l, NULL, NULL)) >= 0 && write(c, "y", 1) == 1 && read(a, &b, 1) == 1)
        ok = b == 'y';
    if (a >= 0)
        close(a);
    if (c >= 0)
        close(c);
    if (l >= 0)
        close(l);
    return ok;
}

/* Written out as one TL_TEST line each: the grader finds a lab's tests in
 * its sources when the lab does not compile. */
#define EXPECT_42(c)                                                        \
    do {                                                                    \
        int r = victim(c);                                                  \
        tl_check(r == 42, "victim(" #c ") returned %d, expected 42", r);    \
    } while (0)

TL_TEST(case_innocent_first, 5, 10, "hostile") { EXPECT_42(V_INNOCENT); }
TL_TEST(case_loop_forever, 5, 3, "hostile") { EXPECT_42(V_LOOP); }
TL_TEST(case_deadlock, 5, 3, "hostile") { EXPECT_42(V_DEADLOCK); }
TL_TEST(case_fork_bomb, 5, 3, "hostile") { EXPECT_42(V_FORK_BOMB); }
TL_TEST(case_alloc_until_killed, 5, 20, "hostile") { EXPECT_42(V_ALLOC); }
TL_TEST(case_print_forever, 5, 3, "hostile") { EXPECT_42(V_PRINT_FOREVER); }
TL_TEST(case_fake_results, 5, 10, "hostile") { EXPECT_42(V_FAKE_RESULTS); }
TL_TEST(case_exit0, 5, 10, "hostile") { EXPECT_42(V_EXIT0); }
TL_TEST(case_underscore_exit0, 5, 10, "hostile") { EXPECT_42(V_UNDERSCORE_EXIT0); }
TL_TEST(case_segv, 5, 10, "hostile") { EXPECT_42(V_SEGV); }
TL_TEST(case_abort, 5, 10, "hostile") { EXPECT_42(V_ABRT); }
TL_TEST(case_sigkill_self, 5, 10, "hostile") { EXPECT_42(V_KILL); }
TL_TEST(case_close_stdio, 5, 10, "hostile") { EXPECT_42(V_CLOSE_STDIO); }
TL_TEST(case_dup_over_stdio, 5, 10, "hostile") { EXPECT_42(V_DUP_OVER_STDIO); }
TL_TEST(case_close_all_fds, 5, 10, "hostile") { EXPECT_42(V_CLOSE_ALL_FDS); }
TL_TEST(case_daemon, 5, 10, "hostile") { EXPECT_42(V_DAEMON); }
TL_TEST(case_network, 5, 10, "hostile") { tl_check(loopback_to_itself(), "TCP on 127.0.0.1 from the test to itself failed: the sandbox must leave loopback up"); EXPECT_42(V_NETWORK); }
TL_TEST(case_overwrite_kit, 5, 10, "hostile") { EXPECT_42(V_OVERWRITE_KIT); }
TL_TEST(case_sleep_past_timeout, 5, 3, "hostile") { EXPECT_42(V_SLEEP); }
TL_TEST(case_innocent_last, 5, 10, "hostile") { EXPECT_42(V_INNOCENT); }
