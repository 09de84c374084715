/* bystander.c - correct, and must keep its full marks. */
#include "bystander.h"

long bystander_add(long a, long b)
{
    return a + b;
}
