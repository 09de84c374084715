/* victim.c - the fixture's reference: the answer, whatever the case. The
 * skeleton (graded when a submission lacks this file) answers wrongly. */
#include "victim.h"

int victim(enum victim_case c)
{
    (void)c;
#ifdef SOLUTION
    return 42;
#else
    return -1;
#endif
}
