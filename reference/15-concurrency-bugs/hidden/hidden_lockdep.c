/*
 * hidden_lockdep.c - lockdep on traces the public tests have not shown.
 */
#include "../tests/cb_test.h"

#define T6 "Task 8 (src/lockdep.c)"

TL_TEST(ld_hidden_traces, 10, 20, "lockdep")
{
    ld_replay("a diamond closed at its bottom",
              "T1 acquire A\nT1 acquire B\nT1 release B\nT1 acquire C\nT1 release C\nT1 release A\n"
              "T2 acquire B\nT2 acquire D\nT2 release D\nT2 release B\n"
              "T3 acquire C\nT3 acquire D\nT3 release C\nT3 release D\n"
              "T4 acquire D\nT4 acquire A !\nT4 release D\n"
              "T4 acquire A\nT4 acquire D\nT4 release D\nT4 release A\n",
              T6);
    ld_replay("a chain of ten locks over ten threads, closed by the last",
              "T1 acquire K0\nT1 acquire K1\nT1 release K1\nT1 release K0\n"
              "T2 acquire K1\nT2 acquire K2\nT2 release K2\nT2 release K1\n"
              "T3 acquire K2\nT3 acquire K3\nT3 release K3\nT3 release K2\n"
              "T4 acquire K3\nT4 acquire K4\nT4 release K4\nT4 release K3\n"
              "T5 acquire K4\nT5 acquire K5\nT5 release K5\nT5 release K4\n"
              "T6 acquire K5\nT6 acquire K6\nT6 release K6\nT6 release K5\n"
              "T7 acquire K6\nT7 acquire K7\nT7 release K7\nT7 release K6\n"
              "T8 acquire K7\nT8 acquire K8\nT8 release K8\nT8 release K7\n"
              "T9 acquire K8\nT9 acquire K9\nT9 release K9\nT9 release K8\n"
              "T10 acquire K9\nT10 acquire K0 !\n"
              "T11 acquire K0\nT11 acquire K9\nT11 release K9\nT11 release K0\n",
              T6);
    ld_replay("two separate orders, then the edge that links them into a cycle",
              "T1 acquire A\nT1 acquire B\nT1 release B\nT1 release A\n"
              "T2 acquire C\nT2 acquire D\nT2 release D\nT2 release C\n"
              "T3 acquire D\nT3 acquire A\nT3 release A\nT3 release D\n"
              "T4 acquire B\nT4 acquire C !\nT4 release B\n",
              T6);
    ld_replay("a reported acquire leaves no edge behind",
              "T1 acquire A\nT1 acquire B\nT1 release B\nT1 release A\n"
              "T2 acquire B\nT2 acquire A !\nT2 release B\n"
              "T3 acquire A\nT3 acquire B\nT3 release B\nT3 release A\n"
              "T2 acquire A\nT2 acquire B\nT2 release A\nT2 release B\n",
              T6);
    ld_replay("held in the middle, released out of order",
              "T1 acquire A\nT1 acquire B\nT1 acquire C\nT1 release A\nT1 acquire D\n"
              "T1 release C\nT1 release D\nT1 release B\n"
              "T2 acquire D\nT2 acquire E\nT2 release D\nT2 release E\n"
              "T3 acquire E\nT3 acquire A !\nT3 acquire F\nT3 release F\nT3 release E\n",
              T6);
    ld_replay("taken again while holding others",
              "T1 acquire A\nT1 acquire B\nT1 acquire A !\nT1 release B\nT1 release A\n"
              "T2 acquire B\nT2 acquire B !\nT2 release B\n",
              T6);
    ld_replay("thirty threads, one order",
              "T0 acquire M\nT0 acquire N\nT0 release N\nT0 release M\n"
              "T5 acquire M\nT9 acquire N\nT9 release N\nT5 acquire N\nT5 release N\nT5 release M\n"
              "T17 acquire M\nT29 acquire N\nT29 acquire O\nT29 release O\nT29 release N\n"
              "T17 acquire O\nT17 release O\nT17 release M\n"
              "T31 acquire O\nT31 acquire M !\nT31 release O\n",
              T6);
}
