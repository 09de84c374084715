/*
 * victim.h - the hostile-submission fixture's whole API (grader/tests/hostile).
 * A correct victim() returns 42 for every case; the hostile submission's
 * victim() does something nasty instead, one behaviour per case.
 */
#ifndef VICTIM_H
#define VICTIM_H

enum victim_case {
    V_INNOCENT, V_LOOP, V_DEADLOCK, V_FORK_BOMB, V_ALLOC, V_PRINT_FOREVER,
    V_FAKE_RESULTS, V_EXIT0, V_UNDERSCORE_EXIT0, V_SEGV, V_ABRT, V_KILL,
    V_CLOSE_STDIO, V_DUP_OVER_STDIO, V_CLOSE_ALL_FDS, V_DAEMON, V_NETWORK,
    V_OVERWRITE_KIT, V_SLEEP
};

/* Any thread may call it. Returns 42. */
int victim(enum victim_case c);

#endif
