/*
 * tls_abi.c - Tasks 4 and 5: the thread pointer, static TLS, dynamic TLS.
 */
#include "tls_internal.h"

#include <asm/prctl.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <sys/syscall.h>
#include <unistd.h>

void *tls_tp(void)
{
#ifdef SOLUTION
    void *tp;
    /* %fs:0 is the first word of the TCB, which glibc points at itself:
     * one load gives the thread pointer without a system call. */
    __asm__ volatile("movq %%fs:0, %0" : "=r"(tp));
    return tp;
#else
    /* TODO 4.1: one instruction of inline assembly, mov %fs:0 into a
     *           register (the TCB's first word is its own address). */
    return NULL;
#endif
}

void *tls_tp_syscall(void)
{
#ifdef SOLUTION
    unsigned long fs = 0;
    long rc = syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    return rc == 0 ? (void *)fs : NULL;
#else
    /* TODO 4.2: syscall(SYS_arch_prctl, ARCH_GET_FS, &addr) (there is no
     *           glibc wrapper); NULL if it fails. */
    return NULL;
#endif
}

ptrdiff_t tls_offset_of(const void *var)
{
#ifdef SOLUTION
    return (const char *)tls_tp() - (const char *)var;
#else
    /* TODO 4.3: tp - var, in bytes. */
    return 0;
#endif
}

void *tls_at_offset(ptrdiff_t off)
{
#ifdef SOLUTION
    return (char *)tls_tp() - off;
#else
    /* TODO 4.4: tp - off. */
    return NULL;
#endif
}

#ifdef SOLUTION
/* What find_tls looks for: the PT_TLS header of TLS module modid. */
struct tls_find {
    size_t modid;
    const ElfW(Phdr) *ph;   /* found header, NULL until then */
    ElfW(Addr) base;        /* the module's load address (dlpi_addr) */
};

static int find_tls_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct tls_find *f = arg;
    (void)size;
    if (info->dlpi_tls_modid != f->modid)
        return 0;
    for (int k = 0; k < info->dlpi_phnum; k++) {
        if (info->dlpi_phdr[k].p_type == PT_TLS) {
            f->ph = &info->dlpi_phdr[k];
            f->base = info->dlpi_addr;
            return 1;
        }
    }
    return 0;
}

/* The PT_TLS header of module modid into *f; 0 or ENOENT. */
static int find_tls(size_t modid, struct tls_find *f)
{
    f->modid = modid;
    f->ph = NULL;
    f->base = 0;
    dl_iterate_phdr(find_tls_cb, f);
    return f->ph ? 0 : ENOENT;
}
#endif

int tls_exe_block(struct tls_block *b)
{
#ifdef SOLUTION
    if (!b)
        return EINVAL;
    struct tls_find f;
    if (find_tls(1, &f) != 0)
        return ENOENT;
    b->image = (const void *)(f.base + f.ph->p_vaddr);
    b->filesz = f.ph->p_filesz;
    b->memsz = f.ph->p_memsz;
    b->align = f.ph->p_align ? f.ph->p_align : 1;
    /* Variant II: the executable's block ends at tp, its start rounded
     * down so that it is aligned; so tp - start = memsz rounded up. */
    size_t span = (b->memsz + b->align - 1) & ~(b->align - 1);
    b->block = (char *)tls_tp() - span;
    return 0;
#else
    /* TODO 4.5: walk the loaded objects with dl_iterate_phdr and stop at
     *           the one whose dlpi_tls_modid is 1 (the executable); copy
     *           its PT_TLS header's filesz, memsz and align (0 means 1);
     *           image = dlpi_addr + p_vaddr. The block: variant II puts it
     *           just below tp, at tp - (memsz rounded up to align).
     *           ENOENT if there is no such header. */
    return ENOSYS;
#endif
}

#ifdef SOLUTION
/* The x86-64 psABI's argument of __tls_get_addr (exported by ld.so). */
typedef struct {
    unsigned long ti_module;
    unsigned long ti_offset;
} tls_index;
extern void *__tls_get_addr(tls_index *ti);
#endif

int tls_dyn_open(struct tls_dyn *d, const char *path, const char *sym)
{
#ifdef SOLUTION
    if (!d || !path || !sym)
        return EINVAL;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return ENOENT;
    /* dlsym of a TLS symbol answers with the CALLING thread's copy
     * (allocating this thread's block if needed); the block's start, from
     * dlinfo, turns it into an offset valid in every thread. */
    char *addr = dlsym(h, sym);
    if (!addr) {
        dlclose(h);
        return ENOENT;
    }
    size_t modid = 0;
    struct tls_find f;
    char *blk = NULL;
    if (dlinfo(h, RTLD_DI_TLS_MODID, &modid) != 0 || modid == 0 || find_tls(modid, &f) != 0 ||
        dlinfo(h, RTLD_DI_TLS_DATA, &blk) != 0 || blk == NULL || addr < blk ||
        addr >= blk + f.ph->p_memsz) {
        dlclose(h); /* no TLS, or sym is a function or a global */
        return ENOEXEC;
    }
    d->handle = h;
    d->modid = modid;
    d->offset = (size_t)(addr - blk);
    return 0;
#else
    /* TODO 5.1: dlopen(path, RTLD_NOW | RTLD_LOCAL) (ENOENT on failure);
     *           the module id: dlinfo(RTLD_DI_TLS_MODID) (0: no TLS,
     *           ENOEXEC). The offset: dlsym(sym) gives THIS thread's copy,
     *           dlinfo(RTLD_DI_TLS_DATA) this thread's block; their
     *           difference must fall inside the module's PT_TLS memsz
     *           (dl_iterate_phdr, dlpi_tls_modid == modid), else the symbol
     *           is no TLS variable: ENOEXEC. dlclose on every error. */
    return ENOSYS;
#endif
}

void *tls_dyn_addr(const struct tls_dyn *d)
{
#ifdef SOLUTION
    tls_index ti = {d->modid, d->offset};
    return __tls_get_addr(&ti);
#else
    /* TODO 5.2: declare the psABI's tls_index {ti_module, ti_offset} and
     *           extern void *__tls_get_addr(tls_index *); call it. */
    return NULL;
#endif
}

int tls_dyn_close(struct tls_dyn *d)
{
#ifdef SOLUTION
    if (!d || !d->handle)
        return EINVAL;
    dlclose(d->handle);
    d->handle = NULL;
    return 0;
#else
    /* TODO 5.3: dlclose, then handle = NULL; EINVAL if not open. */
    return ENOSYS;
#endif
}
