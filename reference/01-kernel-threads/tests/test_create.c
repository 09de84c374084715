/*
 * test_create.c - creating a kthread: it runs, it is a task of this
 * process, it shares what the clone flags say (Tasks 1 to 4).
 */
#include "kt_test.h"

#include <fcntl.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ */

struct basic {
    int go;             /* set by the test: the body may return */
    int started;        /* set by the body */
    void *seen_arg;
    kthread_t *seen_self;
};

static void *basic_body(kthread_t *self, void *p)
{
    struct basic *b = p;
    b->seen_arg = p;
    b->seen_self = self;
    flag_set(&b->started);
    flag_wait(&b->go);
    return (char *)p + 1;
}

TL_TEST(create_join_returns_value, 4, 10, "create join")
{
    struct basic b = {0};
    kthread_t *t = NULL;
    KT_CREATE(&t, basic_body, &b, 0);
    tl_check(t != NULL, "kthread_create returned 0 but left *out NULL.");
    pid_t tid = kthread_tid(t);
    tl_check(tid > 0, "kthread_tid() right after kthread_create is %d while the "
             "thread is still running (it waits for the test): the kernel "
             "writes the tid there before clone returns when you pass "
             "CLONE_PARENT_SETTID and &t->tid. Hint: Tasks 4.4 and 4.7.", (int)tid);
    tl_check(flag_within(&b.started, 10),
             "the new thread never ran its entry function within 10 s. Hint: "
             "Task 1 (the child calls kt_start(t)) and Task 3.");
    tl_check(b.seen_arg == &b && b.seen_self == t,
             "the entry function got (self=%p, arg=%p); expected (%p, %p). "
             "Hint: kt_start calls t->fn(t, t->arg) (Task 3.2).",
             (void *)b.seen_self, b.seen_arg, (void *)t, (void *)&b);
    flag_set(&b.go);
    void *ret = NULL;
    KT_JOIN(t, &ret);
    tl_check(ret == (char *)&b + 1, "kthread_join delivered %p; the entry "
             "function returned %p. Hint: returning from fn is kthread_exit(self, "
             "value) (Task 3.2), join waits for the tid word to be 0 (5.2) and "
             "then hands out t->retval (5.3).", ret,
             (void *)((char *)&b + 1));
}

/* ------------------------------------------------------------------ */

struct who {
    int go, started;
    int tid, pid;
};

static void *who_body(kthread_t *self, void *p)
{
    (void)self;
    struct who *w = p;
    w->tid = raw_gettid();
    w->pid = raw_getpid();
    flag_set(&w->started);
    flag_wait(&w->go);
    return NULL;
}

TL_TEST(thread_is_a_task_of_this_process, 5, 20, "create proc")
{
    struct who w = {0};
    kthread_t *t;
    KT_CREATE(&t, who_body, &w, 0);
    tl_check(flag_within(&w.started, 10), "the new thread never ran within 10 s. "
             "Hint: Tasks 1 and 3.");
    int me = (int)gettid();
    tl_check(w.pid == (int)getpid(),
             "inside the thread getpid() is %d, in its creator %d: a thread of "
             "this process must be in the creator's thread group. Hint: "
             "CLONE_THREAD (with CLONE_SIGHAND and CLONE_VM), handout \"The "
             "clone flags\".", w.pid, (int)getpid());
    tl_check(w.tid != me && w.tid > 0, "inside the thread gettid() is %d, the "
             "creator's is %d: clone must make a new task.", w.tid, me);
    tl_check(kthread_tid(t) == w.tid, "kthread_tid() says %d, the thread itself "
             "says gettid() = %d. Hint: the tid word must be filled by the kernel "
             "(CLONE_PARENT_SETTID, Task 4.4).", (int)kthread_tid(t), w.tid);
    tl_check(task_listed(w.tid), "/proc/self/task/%d does not exist while the "
             "thread runs: it is not a thread of this process (CLONE_THREAD).",
             w.tid);
    flag_set(&w.go);
    KT_JOIN(t, NULL);
    tl_check(task_gone_within(w.tid, 10), "/proc/self/task/%d is still there 10 s "
             "after kthread_join returned: the thread never ended. Hint: Task 3.5 "
             "(SYS_exit).", w.tid);
}

/* ------------------------------------------------------------------ */

static int shared_global;

struct share {
    int pipe_w;
    long fd;            /* the fd the thread opened, or -errno */
    long wrote;
    long old_umask;
};

static void *share_body(kthread_t *self, void *p)
{
    (void)self;
    struct share *s = p;
    shared_global = 4242;
    static const char msg[] = "from the thread";
    s->fd = raw6(SYS_openat, AT_FDCWD, (long)"kt_shared.tmp",
                 O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600, 0, 0);
    if (s->fd >= 0)
        raw3(SYS_write, s->fd, (long)msg, sizeof msg - 1);
    s->wrote = raw3(SYS_write, s->pipe_w, (long)"ping", 4);
    s->old_umask = raw3(SYS_umask, 027, 0, 0);
    return NULL;
}

TL_TEST(shares_memory_files_and_fs, 5, 10, "create share")
{
    struct share s = {0};
    int pfd[2];
    tl_check(pipe(pfd) == 0, "pipe failed");
    s.pipe_w = pfd[1];
    shared_global = 0;
    mode_t mine = umask(022);
    kthread_t *t;
    KT_CREATE(&t, share_body, &s, 0);
    KT_JOIN(t, NULL);
    tl_check(shared_global == 4242, "the thread stored 4242 in a global, the "
             "creator sees %d: the thread must share the address space "
             "(CLONE_VM).", shared_global);
    tl_check(s.wrote == 4, "the thread's write to the creator's pipe returned "
             "%ld: it must share the fd table (CLONE_FILES).", s.wrote);
    char buf[32] = "";
    ssize_t n = read(pfd[0], buf, sizeof buf);
    tl_check(n == 4 && memcmp(buf, "ping", 4) == 0, "the creator read %zd bytes "
             "from the pipe the thread wrote to.", n);
    tl_check(s.fd >= 0, "the thread's openat failed: %ld.", s.fd);
    tl_check(fcntl((int)s.fd, F_GETFD) >= 0,
             "fd %ld, opened by the thread, is not open in the creator: the "
             "two must share ONE fd table (CLONE_FILES).", s.fd);
    memset(buf, 0, sizeof buf);
    n = pread((int)s.fd, buf, sizeof buf - 1, 0);
    tl_check(n == 15 && strcmp(buf, "from the thread") == 0,
             "reading fd %ld in the creator gave %zd bytes \"%s\".", s.fd, n, buf);
    close((int)s.fd);
    unlink("kt_shared.tmp");
    mode_t now = umask(mine);
    tl_check(s.old_umask == 022 && now == 027,
             "the thread saw umask %#lo and set 027; the creator now has %#o: "
             "the umask (like the cwd and root) must be shared (CLONE_FS).",
             s.old_umask, (unsigned)now);
    close(pfd[0]);
    close(pfd[1]);
}

/* ------------------------------------------------------------------ */

struct flagsee {
    uintptr_t local;
};

static void *flags_body(kthread_t *self, void *p)
{
    (void)self;
    volatile int here = 0;
    ((struct flagsee *)p)->local = (uintptr_t)&here;
    return NULL;
}

static void name_flags(unsigned long f, char *out, size_t cap)
{
    static const struct { unsigned long f; const char *n; } names[] = {
        {CLONE_VM, "CLONE_VM"}, {CLONE_FS, "CLONE_FS"}, {CLONE_FILES, "CLONE_FILES"},
        {CLONE_SIGHAND, "CLONE_SIGHAND"}, {CLONE_THREAD, "CLONE_THREAD"},
        {CLONE_SYSVSEM, "CLONE_SYSVSEM"}, {CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"},
        {CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"}, {CLONE_SETTLS, "CLONE_SETTLS"},
        {CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"}, {CLONE_VFORK, "CLONE_VFORK"},
        {CLONE_PARENT, "CLONE_PARENT"}, {CLONE_DETACHED, "CLONE_DETACHED"},
    };
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & names[i].f) {
            snprintf(out + strlen(out), cap - strlen(out), "%s%s",
                     out[0] ? "|" : "", names[i].n);
            f &= ~names[i].f;
        }
    if (f)
        snprintf(out + strlen(out), cap - strlen(out), "%s%#lx", out[0] ? "|" : "", f);
    if (!out[0])
        snprintf(out, cap, "none");
}

TL_TEST(clone_call_is_exact, 5, 10, "create clone")
{
    struct flagsee fs = {0};
    kthread_t *t;
    memset(&last_clone, 0, sizeof last_clone);
    KT_CREATE(&t, flags_body, &fs, 0);
    struct clone_call c = last_clone;
    KT_JOIN(t, NULL);
    tl_check(c.n == 1, "kthread_create called kt_clone %d times, expected once.", c.n);
    char got[400], missing[400], extra[400];
    name_flags(c.flags, got, sizeof got);
    name_flags(KT_CLONE_FLAGS & ~c.flags, missing, sizeof missing);
    name_flags(c.flags & ~(unsigned long)KT_CLONE_FLAGS, extra, sizeof extra);
    tl_check(c.flags == KT_CLONE_FLAGS, "kt_clone got flags %s; missing: %s; not "
             "wanted: %s (no exit signal either: a thread sends none). Hint: pass "
             "KT_CLONE_FLAGS (Task 4.4); the handout explains each flag.",
             got, missing, extra);
    tl_check(c.ptid == c.ctid && c.ptid != NULL && (void *)c.ptid == (void *)c.t,
             "kt_clone got parent_tid %p and child_tid %p for record %p: both "
             "must be &t->tid, the record's first field (Task 4.4).",
             (void *)c.ptid, (void *)c.ctid, (void *)c.t);
    tl_check(((uintptr_t)c.stack_top & 15) == 0,
             "the stack top handed to clone, %p, is not 16-byte aligned (Task 2.4).",
             c.stack_top);
    tl_check(fs.local < (uintptr_t)c.stack_top &&
                 (uintptr_t)c.stack_top - fs.local < 4096,
             "a local variable of the thread's entry function is at %#lx, the "
             "stack top given to clone is %p: the thread must start right at "
             "stack_top, on the stack you mapped.", (unsigned long)fs.local,
             c.stack_top);
}

/* ------------------------------------------------------------------ */

/* Returns rsp + 8 as it was at its first instruction: the ABI wants that
 * to be a multiple of 16 at every function entry. Called through a
 * volatile pointer, so the compiler cannot assume anything about it and
 * must keep the caller's stack aligned by the rules. */
uintptr_t kt_test_rsp_probe(void);
__asm__(".text\n"
        ".globl kt_test_rsp_probe\n"
        ".type kt_test_rsp_probe, @function\n"
        "kt_test_rsp_probe:\n"
        "    leaq 8(%rsp), %rax\n"
        "    ret\n"
        ".size kt_test_rsp_probe, .-kt_test_rsp_probe\n");
static uintptr_t (*volatile rsp_probe)(void) = kt_test_rsp_probe;

static void *align_body(kthread_t *self, void *p)
{
    (void)self;
    *(uintptr_t *)p = rsp_probe();
    return NULL;
}

TL_TEST(stack_aligned_in_thread, 3, 10, "create abi")
{
    for (int round = 0; round < 3; round++) {
        uintptr_t fp = 1;
        size_t sz = round == 0 ? 0 : round == 1 ? KT_MIN_STACK : 100000;
        kthread_t *t;
        KT_CREATE(&t, align_body, &fp, sz);
        KT_JOIN(t, NULL);
        tl_check(fp % 16 == 0,
                 "in a thread with stack size %zu, a function saw rsp + 8 = "
                 "%#lx (%lu mod 16) at its entry: the ABI wants rsp + 8 to be a multiple of 16 "
                 "at every function entry, so stack_top must be 16-byte aligned "
                 "and kt_clone's child must reach kt_start through a call. Hint: "
                 "Tasks 1.4 and 2.4.", sz, (unsigned long)fp,
                 (unsigned long)(fp % 16));
    }
}

/* ------------------------------------------------------------------ */

static void *nop_body(kthread_t *self, void *p)
{
    (void)self;
    return p;
}

TL_TEST(create_rejects_bad_arguments, 3, 20, "create errors")
{
    kthread_t *t = (kthread_t *)0x1;
    int before = maps_lines();
    struct { kthread_t **out; kthread_fn fn; size_t size; const char *what; } bad[] = {
        {NULL, nop_body, 0, "out == NULL"},
        {&t, NULL, 0, "fn == NULL"},
        {&t, nop_body, KT_MIN_STACK - 1, "stack_size KT_MIN_STACK - 1"},
        {&t, nop_body, 1, "stack_size 1"},
        {&t, nop_body, (size_t)KT_MAX_STACK + 1, "stack_size KT_MAX_STACK + 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = kthread_create(bad[i].out, bad[i].fn, NULL, bad[i].size);
        tl_check(rc == EINVAL, "kthread_create with %s returned %d (%s), expected "
                 "EINVAL (kt.h). Hint: Task 4.1.", bad[i].what, rc, tl_ename(rc));
        tl_check(t == (kthread_t *)0x1, "kthread_create with %s failed but wrote "
                 "*out.", bad[i].what);
    }
    tl_check(maps_lines() == before, "failed kthread_create calls changed "
             "/proc/self/maps from %d to %d lines: nothing may be mapped when the "
             "arguments are refused.", before, maps_lines());
    size_t good[] = {KT_MIN_STACK, (size_t)KT_MAX_STACK};
    for (int i = 0; i < 2; i++) {
        void *ret = NULL;
        int rc = kthread_create(&t, nop_body, &good[i], good[i]);
        tl_check(rc == 0, "kthread_create with stack_size %zu (%s, allowed) "
                 "returned %d (%s).", good[i], i ? "KT_MAX_STACK" : "KT_MIN_STACK",
                 rc, tl_ename(rc));
        KT_JOIN(t, &ret);
        tl_check(ret == &good[i], "join delivered %p, expected %p.", ret,
                 (void *)&good[i]);
    }
}
