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
    /* TODO 4.1: one instruction of inline assembly, mov %fs:0 into a
     *           register (the TCB's first word is its own address). */
    return NULL;
}

void *tls_tp_syscall(void)
{
    /* TODO 4.2: syscall(SYS_arch_prctl, ARCH_GET_FS, &addr) (there is no
     *           glibc wrapper); NULL if it fails. */
    return NULL;
}

ptrdiff_t tls_offset_of(const void *var)
{
    /* TODO 4.3: tp - var, in bytes. */
    return 0;
}

void *tls_at_offset(ptrdiff_t off)
{
    /* TODO 4.4: tp - off. */
    return NULL;
}


int tls_exe_block(struct tls_block *b)
{
    /* TODO 4.5: walk the loaded objects with dl_iterate_phdr and stop at
     *           the one whose dlpi_tls_modid is 1 (the executable); copy
     *           its PT_TLS header's filesz, memsz and align (0 means 1);
     *           image = dlpi_addr + p_vaddr. The block: variant II puts it
     *           just below tp, at tp - (memsz rounded up to align).
     *           ENOENT if there is no such header. */
    return ENOSYS;
}


int tls_dyn_open(struct tls_dyn *d, const char *path, const char *sym)
{
    /* TODO 5.1: dlopen(path, RTLD_NOW | RTLD_LOCAL) (ENOENT on failure);
     *           the module id: dlinfo(RTLD_DI_TLS_MODID) (0: no TLS,
     *           ENOEXEC). The offset: dlsym(sym) gives THIS thread's copy,
     *           dlinfo(RTLD_DI_TLS_DATA) this thread's block; their
     *           difference must fall inside the module's PT_TLS memsz
     *           (dl_iterate_phdr, dlpi_tls_modid == modid), else the symbol
     *           is no TLS variable: ENOEXEC. dlclose on every error. */
    return ENOSYS;
}

void *tls_dyn_addr(const struct tls_dyn *d)
{
    /* TODO 5.2: declare the psABI's tls_index {ti_module, ti_offset} and
     *           extern void *__tls_get_addr(tls_index *); call it. */
    return NULL;
}

int tls_dyn_close(struct tls_dyn *d)
{
    /* TODO 5.3: dlclose, then handle = NULL; EINVAL if not open. */
    return ENOSYS;
}
