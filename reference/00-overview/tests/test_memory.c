/*
 * test_memory.c - Task 5: reading VmSize/VmRSS, and what a thread and a
 * user context reserve and commit. Memory figures do not depend on load,
 * but the margins are still wide: the kernel and glibc change them a little
 * from one version to the next.
 */
#include "cost_test.h"

#include <sys/mman.h>
#include <unistd.h>

#define T5 "Task 5 (src/memory.c)"

static struct cost_vm vm(void)
{
    struct cost_vm v = {-1, -1};
    int rc = cost_read_vm(&v);
    tl_expect_ok(rc, "cost_read_vm", T5);
    return v;
}

TL_TEST(read_vm_sees_a_mapping, 3, 20, "memory")
{
    struct cost_vm a = vm();
    tl_check(a.size_kb > 0 && a.rss_kb > 0 && a.rss_kb <= a.size_kb, "cost_read_vm gave VmSize "
             "%ld kB, VmRSS %ld kB: both positive, RSS within the size (TODO 5.1)", a.size_kb, a.rss_kb);
    size_t len = 64u << 20;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    tl_check(m != MAP_FAILED, "mmap of 64 MiB failed in the test");
    struct cost_vm b = vm();
    tl_check(b.size_kb - a.size_kb >= 60000 && b.size_kb - a.size_kb <= 70000,
             "after a 64 MiB mmap VmSize went from %ld to %ld kB (expected about +65536): read the "
             "VmSize line (TODO 5.1)", a.size_kb, b.size_kb);
    tl_check(b.rss_kb - a.rss_kb < 4096, "an mmap that nobody touched raised VmRSS by %ld kB: "
             "is rss_kb read from the VmRSS line? (TODO 5.1)", b.rss_kb - a.rss_kb);
    for (size_t i = 0; i < (16u << 20); i += 4096)
        m[i] = 1;
    struct cost_vm c = vm();
    tl_check(c.rss_kb - b.rss_kb >= 15000, "after touching 16 MiB of it VmRSS went from %ld to "
             "%ld kB (expected about +16384): read the VmRSS line (TODO 5.1)", b.rss_kb, c.rss_kb);
    tl_check(c.size_kb - b.size_kb < 4096, "touching pages of a mapping changed VmSize by %ld kB",
             c.size_kb - b.size_kb);
    munmap(m, len);
    tl_expect_rc(cost_read_vm(NULL), EINVAL, "cost_read_vm(NULL)", "TODO 5.1.");
}

TL_TEST(memory_reservation_vs_commit, 4, 60, "memory slow")
{
    struct cost_mem t, u;
    memset(&t, 0, sizeof t);
    memset(&u, 0, sizeof u);
    int tasks = baseline_tasks();
    int rc = cost_thread_memory(32, &t);
    tl_expect_ok(rc, "cost_thread_memory(32)", T5);
    tl_check(tasks_settle(tasks) == tasks, "cost_thread_memory left %d threads behind: release and "
             "join them (TODO 5.4)", task_count() - tasks);
    struct cost_vm v0 = vm();
    rc = cost_ucontext_memory(32, 64 * 1024, &u);
    tl_expect_ok(rc, "cost_ucontext_memory(32, 64 KiB)", T5);
    struct cost_vm v1 = vm();
    tl_check(t.n == 32 && u.n == 32, "n = %zu (threads), %zu (contexts), expected 32", t.n, u.n);
    tl_check(u.virt_per >= 60 * 1024 && u.virt_per <= 96 * 1024, "a user context with a 64 KiB "
             "stack reserved %.0f bytes of address space, expected about 65536: one mmap of "
             "stack_size per context, made between the two readings (TODO 5.6)", u.virt_per);
    tl_check(u.rss_per >= 0 && u.rss_per <= u.virt_per, "a user context committed %.0f bytes (RSS) "
             "of its %.0f reserved: expected a few pages", u.rss_per, u.virt_per);
    tl_check(t.virt_per >= 8 * u.virt_per, "a kernel thread reserved %.0f bytes of address space, "
             "a 64 KiB user context %.0f: a default thread stack is megabytes, so expected at least "
             "8 times more. Were the threads created between the readings, and all still alive at "
             "the second? (TODO 5.3)", t.virt_per, u.virt_per);
    tl_check(t.rss_per * 4 < t.virt_per, "a kernel thread committed %.0f bytes (RSS) of the %.0f "
             "it reserved: a parked thread touches only a few pages of its stack. Is rss_per the "
             "VmRSS delta? (TODO 5.4)", t.rss_per, t.virt_per);
    tl_check(v1.size_kb - v0.size_kb < 32 * 64 / 2, "VmSize grew by %ld kB across "
             "cost_ucontext_memory(32, 64 KiB): every stack must be unmapped before it returns "
             "(TODO 5.7)", v1.size_kb - v0.size_kb);
}
