/*
 * memory.c - Task 5: what one unit costs in memory, measured.
 *
 * A kernel thread's stack is RESERVED whole when the thread is created
 * (address space, VmSize: 8 MiB by default), but only the pages it touches
 * are COMMITTED (resident, VmRSS). A user context's stack is whatever size
 * you give it. Neither figure shows the kernel's own per-thread memory
 * (task_struct, kernel stack): that is not in the process's VmRSS.
 */
#include "cost.h"
#include "cost_internal.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int cost_read_vm(struct cost_vm *out)
{
    /* TODO 5.1: EINVAL for NULL. fopen("/proc/self/status") (return errno
     *           if it fails), read it line by line; the lines
     *           "VmSize:   123456 kB" and "VmRSS:  7890 kB" give the two
     *           figures (sscanf with "VmSize: %ld kB"). EIO if either line
     *           is missing. fclose. */
    (void)out;
    return ENOSYS;
}


int cost_thread_memory(size_t n, struct cost_mem *out)
{
    /* TODO 5.2: EINVAL (out NULL, n == 0, n > COST_MAX_UNITS). malloc the
     *           pthread_t array and make two pipes BEFORE the first
     *           reading (clean up what you made if one fails).
     * TODO 5.3: read the VM figures; create n threads, each writing one
     *           byte into the "ready" pipe then blocking in read() on the
     *           "release" pipe until it returns 0; read n bytes from
     *           "ready" (now every thread runs); read the figures again.
     * TODO 5.4: close the release pipe's write end (every read returns 0),
     *           join every thread you started (also after an error), close
     *           and free everything, then fill *out (n, deltas * 1024 / n). */
    (void)n;
    (void)out;
    return ENOSYS;
}


int cost_ucontext_memory(size_t n, size_t stack_size, struct cost_mem *out)
{
    /* TODO 5.5: EINVAL (out NULL, n == 0, n > COST_MAX_UNITS,
     *           stack_size < COST_MIN_STACK or not a multiple of
     *           sysconf(_SC_PAGESIZE)). calloc the per-unit records
     *           (a ucontext_t and a stack pointer each) BEFORE the first
     *           reading.
     * TODO 5.6: read the figures; for each unit mmap a stack
     *           (PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK;
     *           ENOMEM on MAP_FAILED), make a context on it whose function
     *           switches back once, and swapcontext into it; read again.
     * TODO 5.7: resume each unit (its function returns, uc_link brings you
     *           back), munmap its stack, free the records, fill *out. */
    (void)n;
    (void)stack_size;
    (void)out;
    return ENOSYS;
}
