/* bench/mutex.c - our side of `make bench`: the lab's sp_mutex in the
 * loop of bench/lockbench.h. */
#include "sp.h"

#define BENCH_NAME "mutex"
#define BENCH_LOCK_T struct sp_mutex
#define BENCH_INIT(l) sp_mutex_init(l)
#define BENCH_LOCK(l) sp_mutex_lock(l)
#define BENCH_UNLOCK(l) sp_mutex_unlock(l)
#include "lockbench.h"
