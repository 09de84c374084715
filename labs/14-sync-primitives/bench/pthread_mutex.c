/* bench/pthread_mutex.c - the peer of `make bench`: glibc's default
 * pthread mutex (a futex lock too) in the same loop (bench/lockbench.h). */
#include <pthread.h>

#define BENCH_NAME "pthread_mutex"
#define BENCH_LOCK_T pthread_mutex_t
#define BENCH_INIT(l) pthread_mutex_init((l), NULL)
#define BENCH_LOCK(l) pthread_mutex_lock(l)
#define BENCH_UNLOCK(l) pthread_mutex_unlock(l)
#include "lockbench.h"
