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
#ifdef SOLUTION
    if (!out)
        return EINVAL;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return errno;
    char line[256];
    long size = -1, rss = -1;
    while (fgets(line, sizeof line, f)) {
        long v;
        if (sscanf(line, "VmSize: %ld kB", &v) == 1)
            size = v;
        else if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
            rss = v;
    }
    fclose(f);
    if (size < 0 || rss < 0)
        return EIO;
    out->size_kb = size;
    out->rss_kb = rss;
    return 0;
#else
    /* TODO 5.1: EINVAL for NULL. fopen("/proc/self/status") (return errno
     *           if it fails), read it line by line; the lines
     *           "VmSize:   123456 kB" and "VmRSS:  7890 kB" give the two
     *           figures (sscanf with "VmSize: %ld kB"). EIO if either line
     *           is missing. fclose. */
    (void)out;
    return ENOSYS;
#endif
}

#ifdef SOLUTION
static void mem_result(const struct cost_vm *a, const struct cost_vm *b, size_t n,
                       struct cost_mem *out)
{
    out->n = n;
    out->virt_per = (double)(b->size_kb - a->size_kb) * 1024.0 / (double)n;
    out->rss_per = (double)(b->rss_kb - a->rss_kb) * 1024.0 / (double)n;
}

/* A parked thread: says it runs, then blocks until the release pipe's
 * write end is closed (read returns 0). It shares no memory with main. */
struct park {
    int ready_w;   /* write end of the "I run" pipe */
    int release_r; /* read end of the release pipe */
};

static void *parked_main(void *arg)
{
    const struct park *pk = arg;
    char c = 'r';
    COST_ASSERT(write(pk->ready_w, &c, 1) == 1);
    while (read(pk->release_r, &c, 1) != 0)
        ;
    return NULL;
}
#endif

int cost_thread_memory(size_t n, struct cost_mem *out)
{
#ifdef SOLUTION
    if (!out || n == 0 || n > COST_MAX_UNITS)
        return EINVAL;
    pthread_t *t = malloc(n * sizeof *t);
    if (!t)
        return ENOMEM;
    int ready[2], release[2];
    if (pipe(ready) != 0) {
        int e = errno;
        free(t);
        return e;
    }
    if (pipe(release) != 0) {
        int e = errno;
        close(ready[0]);
        close(ready[1]);
        free(t);
        return e;
    }
    struct park pk = {ready[1], release[0]};
    struct cost_vm before, after;
    int rc = cost_read_vm(&before);
    size_t started = 0;
    while (rc == 0 && started < n) {
        rc = pthread_create(&t[started], NULL, parked_main, &pk);
        if (rc == 0)
            started++;
    }
    /* Wait until every started thread runs (its stack is touched). */
    for (size_t i = 0; i < started; i++) {
        char c;
        COST_ASSERT(read(ready[0], &c, 1) == 1);
    }
    if (rc == 0)
        rc = cost_read_vm(&after);
    /* Release: EOF on the read end wakes every parked thread. */
    close(release[1]);
    for (size_t i = 0; i < started; i++)
        COST_ASSERT(pthread_join(t[i], NULL) == 0);
    close(release[0]);
    close(ready[0]);
    close(ready[1]);
    free(t);
    if (rc == 0)
        mem_result(&before, &after, n, out);
    return rc;
#else
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
#endif
}

#ifdef SOLUTION
struct ucunit {
    ucontext_t ctx;
    ucontext_t *caller;
    void *stack;
};

static void unit_main(unsigned hi, unsigned lo)
{
    struct ucunit *un = (void *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
    /* Suspend once: the stack now holds this frame, as a parked coroutine's
     * would. Resumed, return through uc_link. */
    COST_ASSERT(swapcontext(&un->ctx, un->caller) == 0);
}
#endif

int cost_ucontext_memory(size_t n, size_t stack_size, struct cost_mem *out)
{
#ifdef SOLUTION
    long page = sysconf(_SC_PAGESIZE);
    if (!out || n == 0 || n > COST_MAX_UNITS || stack_size < COST_MIN_STACK ||
        stack_size % (size_t)page != 0)
        return EINVAL;
    struct ucunit *u = calloc(n, sizeof *u);
    if (!u)
        return ENOMEM;
    ucontext_t caller;
    struct cost_vm before, after;
    int rc = cost_read_vm(&before);
    size_t made = 0;
    while (rc == 0 && made < n) {
        struct ucunit *un = &u[made];
        void *s = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (s == MAP_FAILED) {
            rc = ENOMEM;
            break;
        }
        un->stack = s;
        COST_ASSERT(getcontext(&un->ctx) == 0);
        un->ctx.uc_stack.ss_sp = s;
        un->ctx.uc_stack.ss_size = stack_size;
        un->ctx.uc_link = &caller;
        un->caller = &caller;
        uintptr_t p = (uintptr_t)un;
        makecontext(&un->ctx, (void (*)(void))unit_main, 2, (unsigned)(p >> 32), (unsigned)p);
        COST_ASSERT(swapcontext(&caller, &un->ctx) == 0);
        made++;
    }
    if (rc == 0)
        rc = cost_read_vm(&after);
    for (size_t i = 0; i < made; i++) {
        /* Resume it: unit_main returns, uc_link comes back here. */
        COST_ASSERT(swapcontext(&caller, &u[i].ctx) == 0);
        munmap(u[i].stack, stack_size);
    }
    free(u);
    if (rc == 0)
        mem_result(&before, &after, n, out);
    return rc;
#else
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
#endif
}
