/* test_bystander.c - the bystander keeps 100 whatever lab 90 does. */
#include "tl_harness.h"
#include "bystander.h"

TL_TEST(adds_small, 50, 10, "bystander")
{
    tl_check(bystander_add(2, 40) == 42, "2 + 40 is not 42");
}

TL_TEST(adds_large, 50, 10, "bystander")
{
    tl_check(bystander_add(1L << 40, 1) == (1L << 40) + 1, "2^40 + 1 is wrong");
}
