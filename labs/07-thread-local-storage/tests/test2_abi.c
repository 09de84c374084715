/*
 * test2_abi.c - Tasks 4 and 5: the thread pointer, static and dynamic TLS.
 */
#include "tls_test.h"

#include <link.h>

/* Thread-local variables of this executable: static TLS, initial-exec or
 * local-exec accesses (mov %fs:OFFSET). */
static __thread long abi_zero[3];                         /* .tbss */
static __thread uint64_t abi_init = 0x5eed0fc0ffee1234ull; /* .tdata */

/* ------------------------------------------------------------------ */

struct tp_seen {
    void *tp, *tp_sys, *self_word;
    pthread_t self;
};

static void *tp_worker(void *arg)
{
    struct tp_seen *s = arg;
    s->tp = tls_tp();
    s->tp_sys = tls_tp_syscall();
    s->self_word = s->tp ? *(void **)s->tp : NULL;
    s->self = pthread_self();
    return NULL;
}

TL_TEST(tp_matches_fs_base, 3, 10, "abi")
{
    struct tp_seen s[3];
    tp_worker(&s[0]);
    pthread_t a = spawn(tp_worker, &s[1]), b = spawn(tp_worker, &s[2]);
    join(a);
    join(b);
    for (int i = 0; i < 3; i++) {
        tl_check(s[i].tp_sys != NULL, "tls_tp_syscall() returned NULL: "
                 "arch_prctl(ARCH_GET_FS, &addr) cannot fail for the calling "
                 "thread. Hint: handout Task 4.2.");
        tl_check(s[i].tp == s[i].tp_sys, "thread %d: tls_tp() = %p but the kernel "
                 "says the %%fs base is %p. Hint: Task 4.1, movq %%fs:0, reg.",
                 i, s[i].tp, s[i].tp_sys);
        tl_check(s[i].self_word == s[i].tp, "thread %d: the word at tp holds %p, "
                 "not tp (%p): on x86-64 the TCB points at itself",
                 i, s[i].self_word, s[i].tp);
        tl_check(s[i].tp == (void *)s[i].self, "thread %d: tls_tp() = %p but "
                 "pthread_self() = %#lx; in glibc both are the address of the "
                 "thread's struct pthread, whose start is the TCB. Hint: Task 4.1.",
                 i, s[i].tp, (unsigned long)s[i].self);
    }
    tl_check(s[0].tp != s[1].tp && s[1].tp != s[2].tp && s[0].tp != s[2].tp,
             "three live threads share a thread pointer (%p %p %p): each thread "
             "has its own %%fs base", s[0].tp, s[1].tp, s[2].tp);
}

/* ------------------------------------------------------------------ */

struct off_seen {
    ptrdiff_t off_var, off_errno;
    void *var, *located_var, *err, *located_err;
};

static void *off_worker(void *arg)
{
    struct off_seen *s = arg;
    s->var = &abi_zero[1];
    s->err = &errno;
    s->off_var = tls_offset_of(&abi_zero[1]);
    s->off_errno = tls_offset_of(&errno);
    s->located_var = tls_at_offset(s->off_var);
    s->located_err = tls_at_offset(s->off_errno);
    return NULL;
}

TL_TEST(static_offset_same_in_every_thread, 4, 10, "abi")
{
    struct off_seen s[3];
    off_worker(&s[0]);
    pthread_t a = spawn(off_worker, &s[1]), b = spawn(off_worker, &s[2]);
    join(a);
    join(b);
    for (int i = 0; i < 3; i++) {
        tl_check(s[i].off_var > 0 && s[i].off_errno > 0,
                 "thread %d: tls_offset_of gave %td for a __thread variable and %td "
                 "for errno; on x86-64 (TLS variant II) static TLS lies BELOW the "
                 "thread pointer, so tp - &var > 0. Hint: Task 4.3.",
                 i, s[i].off_var, s[i].off_errno);
        tl_check(s[i].off_var == s[0].off_var && s[i].off_errno == s[0].off_errno,
                 "tp - &var differs between threads (main: %td, thread %d: %td; "
                 "errno: %td vs %td): static TLS sits at a fixed offset from each "
                 "thread's tp, fixed at load time. Hint: Task 4.3.",
                 s[0].off_var, i, s[i].off_var, s[0].off_errno, s[i].off_errno);
        tl_check(s[i].located_var == s[i].var && s[i].located_err == s[i].err,
                 "thread %d: tls_at_offset(offset) = %p, but the variable is at %p "
                 "(errno: %p vs %p). Hint: Task 4.4, tp - offset.", i,
                 s[i].located_var, s[i].var, s[i].located_err, s[i].err);
    }
    tl_check(s[1].var != s[2].var && s[1].err != s[2].err,
             "two threads see the same address for a __thread variable");
}

/* ------------------------------------------------------------------ */

/* dlpi_tls_data of module 1 for the calling thread: glibc's own answer. */
static int exe_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    if (info->dlpi_tls_modid == 1) {
        *(void **)arg = info->dlpi_tls_data;
        return 1;
    }
    return 0;
}

struct blk_seen {
    int rc;
    struct tls_block b;
    void *glibc_block, *tp, *var;
    uint64_t init_seen;
};

static void *blk_worker(void *arg)
{
    struct blk_seen *s = arg;
    s->init_seen = abi_init; /* before anything writes it in this thread */
    s->rc = tls_exe_block(&s->b);
    s->glibc_block = NULL;
    dl_iterate_phdr(exe_cb, &s->glibc_block);
    s->tp = tls_tp();
    s->var = &abi_zero[2];
    abi_init = 0xdeadbeef; /* this thread's copy only */
    return NULL;
}

TL_TEST(exe_block_layout, 4, 10, "abi")
{
    struct blk_seen s[3];
    blk_worker(&s[0]);
    pthread_t a = spawn(blk_worker, &s[1]);
    join(a);
    pthread_t b = spawn(blk_worker, &s[2]);
    join(b);
    for (int i = 0; i < 3; i++) {
        struct tls_block *bl = &s[i].b;
        tl_check(s[i].rc == 0, "tls_exe_block returned %d (%s); this program has "
                 "__thread variables, so a PT_TLS segment. Hint: handout Task 4.5.",
                 s[i].rc, strerror(s[i].rc));
        tl_check(bl->filesz <= bl->memsz && bl->memsz > 0 && bl->align >= 1 &&
                 (bl->align & (bl->align - 1)) == 0,
                 "thread %d: PT_TLS filesz %zu, memsz %zu, align %zu: want "
                 "0 < filesz <= memsz, align a power of two", i, bl->filesz,
                 bl->memsz, bl->align);
        tl_check(bl->block == s[i].glibc_block, "thread %d: tls_exe_block says the "
                 "executable's block is at %p, the dynamic linker says %p "
                 "(dl_iterate_phdr's dlpi_tls_data). tp is %p, memsz %zu, align "
                 "%zu. Hint: Task 4.5, block = tp - memsz rounded up to align.",
                 i, bl->block, s[i].glibc_block, s[i].tp, bl->memsz, bl->align);
        size_t span = (size_t)((char *)s[i].tp - (char *)bl->block);
        tl_check(span >= bl->memsz && span < bl->memsz + bl->align,
                 "thread %d: the block ends %zu bytes above its start at tp, for a "
                 "block of %zu bytes: variant II puts the executable's block right "
                 "under the TCB. Hint: Task 4.5.", i, span, bl->memsz);
        tl_check((char *)s[i].var >= (char *)bl->block &&
                 (char *)s[i].var < (char *)bl->block + bl->memsz,
                 "thread %d: a __thread variable at %p is outside the block "
                 "[%p, +%zu)", i, s[i].var, bl->block, bl->memsz);
        tl_check(s[i].init_seen == 0x5eed0fc0ffee1234ull, "thread %d started with "
                 "%#llx in an initialised __thread variable (want its initial "
                 "value): each new block is a copy of the image",
                 i, (unsigned long long)s[i].init_seen);
    }
    /* The image holds abi_init's initial value at the same offset. */
    size_t off = (size_t)((char *)&abi_init - (char *)s[0].b.block);
    tl_check(off + sizeof(uint64_t) <= s[0].b.filesz,
             "abi_init (initialised) lies at offset %zu of the block, beyond "
             "filesz %zu: is block (or filesz) right? Hint: Task 4.5.",
             off, s[0].b.filesz);
    uint64_t in_image;
    memcpy(&in_image, (const char *)s[0].b.image + off, sizeof in_image);
    tl_check(in_image == 0x5eed0fc0ffee1234ull, "the TLS image at %p holds "
             "%#llx at the offset of an initialised __thread variable, not its "
             "initial value 0x5eed0fc0ffee1234: image must be dlpi_addr + p_vaddr. "
             "Hint: Task 4.5.", s[0].b.image, (unsigned long long)in_image);
    tl_check(s[1].b.block != s[2].b.block || s[1].tp == s[2].tp,
             "two threads got the same block");
    int rc = tls_exe_block(NULL);
    tl_check(rc == EINVAL, "tls_exe_block(NULL) returned %d, want EINVAL", rc);
}

/* ------------------------------------------------------------------ */

static struct tls_dyn dy;
static long *(*dy_counter_addr)(void);
static long (*dy_bump)(void);

struct dy_seen {
    long *addr, *mod_addr;
    long start, after;
    long lookups;
};

static void *dy_worker(void *arg)
{
    struct dy_seen *s = arg;
    long before = atomic_load(&tls_lookups);
    s->addr = tls_dyn_addr(&dy); /* the first touch of the module's TLS here */
    s->lookups = atomic_load(&tls_lookups) - before;
    s->start = s->addr ? *s->addr : -1;
    if (s->addr)
        *s->addr = 41;
    s->after = dy_bump();  /* the module's own view: 42 if the same variable */
    s->mod_addr = dy_counter_addr();
    return NULL;
}

TL_TEST(dlopen_tls_distinct_per_thread, 5, 10, "abi dlopen")
{
    const char *path = module_path();
    int rc = tls_dyn_open(&dy, path, "tlsmod_counter");
    tl_check(rc == 0, "tls_dyn_open(%s, \"tlsmod_counter\") returned %d (%s). "
             "Hint: handout Task 5.1.", path, rc, strerror(rc));
    dy_counter_addr = (long *(*)(void))dlsym(dy.handle, "tlsmod_counter_addr");
    dy_bump = (long (*)(void))dlsym(dy.handle, "tlsmod_bump");
    tl_check(dy_counter_addr && dy_bump, "tls_dyn_open left a handle (%p) "
             "in which the module's functions cannot be found", dy.handle);
    size_t modid = 0;
    dlinfo(dy.handle, RTLD_DI_TLS_MODID, &modid);
    tl_check(dy.modid == modid && modid > 1, "tls_dyn_open stored module id %zu, "
             "the dynamic linker says %zu (dlinfo RTLD_DI_TLS_MODID). Hint: Task 5.1.",
             dy.modid, modid);
    tl_check(dy.offset > 0, "tlsmod_counter is in .tbss, after the module's .tdata, "
             "so its offset in the module's block is not 0; got 0. Hint: Task 5.1, "
             "dlsym's address minus dlinfo RTLD_DI_TLS_DATA.");
    struct dy_seen s[3];
    dy_worker(&s[0]);
    pthread_t a = spawn(dy_worker, &s[1]), b = spawn(dy_worker, &s[2]);
    join(a);
    join(b);
    for (int i = 0; i < 3; i++) {
        tl_check(s[i].addr == s[i].mod_addr, "thread %d: tls_dyn_addr gave %p, "
                 "but the module's own code finds its tlsmod_counter at %p in the "
                 "same thread. Hint: Task 5.2, __tls_get_addr({modid, offset}).",
                 i, (void *)s[i].addr, (void *)s[i].mod_addr);
        tl_check(s[i].lookups == 0, "thread %d: tls_dyn_addr made %ld dlsym/dlinfo "
                 "call(s): it must be ONE __tls_get_addr call with the module id "
                 "and offset found once by tls_dyn_open. Hint: Task 5.2.",
                 i, s[i].lookups);
        tl_check(s[i].start == 0 && s[i].after == 42,
                 "thread %d: the variable started at %ld (want 0: a fresh copy in a "
                 "new thread) and the module read back %ld after we stored 41 and "
                 "it added 1 (want 42)", i, s[i].start, s[i].after);
    }
    tl_check(s[0].addr != s[1].addr && s[1].addr != s[2].addr && s[0].addr != s[2].addr,
             "three threads got the same address for a __thread variable of the "
             "module (%p %p %p): each thread has its own copy",
             (void *)s[0].addr, (void *)s[1].addr, (void *)s[2].addr);
    rc = tls_dyn_close(&dy);
    tl_check(rc == 0 && dy.handle == NULL, "tls_dyn_close returned %d, handle %p "
             "(want 0 and NULL). Hint: Task 5.3.", rc, dy.handle);
}
