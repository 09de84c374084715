/*
 * coromem.c - what one coroutine of each kind costs, measured by your
 * coro_measure (Task 7). Kit-owned; not graded.
 *
 *   make report                      (10000 of each, default stack)
 *   build/plain/prog/coromem N [STACK_BYTES]
 */
#include "coro.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

/* lab.conf links everything with -Wl,--wrap=malloc,... for the tests'
 * fault injection; here the wrappers just pass the calls on. */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_mprotect(void *addr, size_t len, int prot);
void *__wrap_malloc(size_t size) { return __real_malloc(size); }
void *__wrap_calloc(size_t n, size_t size) { return __real_calloc(n, size); }
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return __real_mmap(addr, len, prot, flags, fd, off);
}
int __wrap_mprotect(void *addr, size_t len, int prot) { return __real_mprotect(addr, len, prot); }

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 10000;
    size_t stack = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
    struct coro_mem_report r;
    if (coro_measure(n, stack, &r) != 0) {
        fprintf(stderr, "coro_measure(%zu, %zu) failed: %s\n", n, stack, strerror(errno));
        return 1;
    }
    double mib = 1024.0 * 1024.0;
    printf("memory per coroutine, %zu of each kind alive at once (your coro_measure)\n\n", r.n);
    char kind[64];
    snprintf(kind, sizeof kind, "stackful (%zu KiB stack)", r.stack_size / 1024);
    printf("%-28s %12s %12s %22s\n", "kind", "reserved B", "resident B", "a million, resident");
    printf("%-28s %12zu %12zu %18.1f MiB\n", kind, r.stackful_reserved,
           r.stackful_resident, r.stackful_resident * 1e6 / mib);
    printf("%-28s %12zu %12zu %18.1f MiB\n", "stackless (struct pt_range)",
           r.stackless_bytes, r.stackless_resident, r.stackless_resident * 1e6 / mib);
    printf("\na million stackful coroutines would reserve %.1f GiB of address space;\n"
           "a million stackless ones hold %.1f MiB of state.\n",
           r.stackful_reserved * 1e6 / (mib * 1024.0), r.stackless_bytes * 1e6 / mib);
    return 0;
}
