/*
 * tls.h - lab 07, thread-local storage: the whole student API.
 *
 * Kit-owned and read-only: the tests include it and read some struct fields
 * (always as the field's comment allows), so keep every field and its
 * meaning. You write the functions in src/; each banner names its file and
 * the handout task that builds it.
 *
 * Three parts:
 *   1. keys (tls_key_*): thread-specific data as POSIX defines it, built
 *      yourself, with destructors at thread exit;
 *   2. the ABI (tls_tp, tls_exe_block, tls_dyn_*): where the compiler's
 *      __thread variables really live on x86-64 Linux, found from the
 *      thread pointer (%fs) and from the dynamic linker;
 *   3. a per-thread cache (tcache_*) in front of a global, locked allocator
 *      (pool_*), built on your keys.
 *
 * Forbidden in your objects (the grader reads their undefined symbols):
 * pthread_getspecific and pthread_key_delete. Your keys hook thread exit
 * through exactly ONE pthread key (pthread_key_create once, and
 * pthread_setspecific to arm it in each thread): see the handout, Task 3.
 *
 * Error convention, as pthreads: int-returning functions return 0 or an
 * errno value (EINVAL, EAGAIN, ENOMEM, ...), never -1. A broken invariant
 * stops the program loudly (a "tls panic" line and abort()).
 */
#ifndef TLS_H
#define TLS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* ================================================================== */
/* Keys: create, delete, get, set        src/tls_key.c, Tasks 1 and 2  */
/* ================================================================== */

/* How many keys may exist at once (POSIX's PTHREAD_KEYS_MAX is 1024). */
#define TLS_KEYS_MAX 4096
/* Rounds of destructor calls at thread exit (PTHREAD_DESTRUCTOR_ITERATIONS). */
#define TLS_DESTRUCTOR_ITERATIONS 4

/* A key names a slot of the global key table AND the slot's generation:
 * the low 32 bits are the slot index (< TLS_KEYS_MAX), the high 32 bits the
 * slot's generation when the key was made. A slot's generation is even
 * while the slot is free and odd while it holds a key; create and delete
 * each add 1. So a key kept after tls_key_delete (a stale key) never
 * matches its slot again, even when the slot is reused: 0 is never a key. */
typedef uint64_t tls_key_t;
#define TLS_KEY_INDEX(k) ((uint32_t)((k) & 0xffffffffu))
#define TLS_KEY_GEN(k) ((uint32_t)((k) >> 32))

/* Any thread. Make a new key in the LOWEST free slot (so a slot freed by
 * tls_key_delete is the next one reused), with destructor dtor (may be
 * NULL). Every thread's value for the new key starts NULL, even in a slot
 * reused after a delete. 0, EINVAL (key NULL), EAGAIN (TLS_KEYS_MAX keys
 * exist: *key untouched). */
int tls_key_create(tls_key_t *key, void (*dtor)(void *));

/* Any thread. Free the key's slot. No destructor is called, now or at any
 * thread's exit, for the values threads still hold under it (the caller
 * frees them if it must). 0, EINVAL (key stale or never made). */
int tls_key_delete(tls_key_t key);

/* Any thread. The calling thread's value for key: the last one it stored
 * with tls_set, or NULL if it never did, or if the key is stale. Takes no
 * lock. */
void *tls_get(tls_key_t key);

/* Any thread. Store value as the calling thread's value for key (NULL is
 * allowed: "no value"). No lock on the way when the thread's table is big
 * enough. 0, EINVAL (key stale or never made), ENOMEM. */
int tls_set(tls_key_t key, const void *value);

/* ================================================================== */
/* Destructors at thread exit                   src/tls_key.c, Task 3  */
/* ================================================================== */

/* Not a function you call: the contract of what happens when a thread that
 * used tls_set ends (returning from its start routine or pthread_exit):
 *   - for each key that is still live and has a destructor, and whose
 *     value in the exiting thread is not NULL, the value is set to NULL
 *     and then dtor(value) is called, in the exiting thread, with no lock
 *     of this layer held (a destructor may call tls_get, tls_set,
 *     tls_key_create and tls_key_delete). The order of the calls is
 *     unspecified;
 *   - if a destructor stored a non-NULL value again (under any key), there
 *     is another round, up to TLS_DESTRUCTOR_ITERATIONS rounds in all;
 *     values still non-NULL after the last round are dropped without a
 *     call;
 *   - then everything the layer allocated for the thread is freed.
 * pthread_join returns only after all of this. The main thread's values are
 * never destroyed (as in POSIX: exit() runs no key destructors). */

/* ================================================================== */
/* The thread pointer and static TLS            src/tls_abi.c, Task 4  */
/* ================================================================== */

/* The calling thread's thread pointer, the %fs base, read with one
 * instruction (mov %fs:0, reg: the TCB's first word holds its own
 * address). Never fails. */
void *tls_tp(void);

/* The same, asked of the kernel: arch_prctl(ARCH_GET_FS). NULL if the
 * call fails. */
void *tls_tp_syscall(void);

/* For a variable in the calling thread's static TLS (a __thread variable
 * of the executable or of a library loaded at start-up): tp - var, in
 * bytes. The same number in every thread for the same variable, and > 0
 * on x86-64 (TLS variant II: static blocks lie below the thread pointer). */
ptrdiff_t tls_offset_of(const void *var);

/* The calling thread's copy of the variable whose tls_offset_of is off:
 * tp - off. */
void *tls_at_offset(ptrdiff_t off);

/* The executable's TLS segment (its PT_TLS program header) and the calling
 * thread's copy of it. */
struct tls_block {
    const void *image;  /* the initialisation image (.tdata) in the loaded
                           executable: filesz bytes, copied into each new
                           thread's block; the other memsz - filesz bytes
                           (.tbss) start zero */
    size_t filesz;      /* p_filesz of PT_TLS */
    size_t memsz;       /* p_memsz of PT_TLS: the block's size */
    size_t align;       /* p_align of PT_TLS, a power of two >= 1 */
    void *block;        /* this thread's block: memsz bytes ending at most
                           align - 1 bytes below tp (variant II: the
                           executable's block is the one next to the TCB) */
};

/* Any thread. Fill *b for the executable (TLS module id 1). 0, EINVAL (b
 * NULL), ENOENT (the executable has no PT_TLS). */
int tls_exe_block(struct tls_block *b);

/* ================================================================== */
/* Dynamic TLS of a dlopen'ed module            src/tls_abi.c, Task 5  */
/* ================================================================== */

/* One thread-local variable of a module loaded with dlopen. Filled by
 * tls_dyn_open; read-only afterwards, so any thread may use it. */
struct tls_dyn {
    void *handle;   /* from dlopen, owned: dlclose'd by tls_dyn_close */
    size_t modid;   /* the module's TLS module id (its DTV index), >= 1 */
    size_t offset;  /* the variable's offset inside the module's block */
};

/* Any thread. dlopen(path, RTLD_NOW | RTLD_LOCAL), then find the TLS
 * module id of the module and the offset of its thread-local variable sym.
 * 0, EINVAL (a NULL argument), ENOENT (dlopen or the lookup failed: no
 * handle is kept), ENOEXEC (sym is not a thread-local variable of that
 * module, or the module has no TLS: closed again). */
int tls_dyn_open(struct tls_dyn *d, const char *path, const char *sym);

/* Any thread. The calling thread's copy of the variable: one call to
 * __tls_get_addr with {modid, offset}, which allocates the thread's block
 * of the module on its first use. No symbol lookup (dlsym, dlinfo) here. */
void *tls_dyn_addr(const struct tls_dyn *d);

/* Any thread, after every thread is done with the variable: dlclose.
 * 0, EINVAL (d NULL or not open). Then d->handle is NULL. */
int tls_dyn_close(struct tls_dyn *d);

/* ================================================================== */
/* A global pool and a per-thread cache         src/tcache.c, Task 6   */
/* ================================================================== */

/* A thread's cache holds at most TCACHE_MAX blocks, and moves blocks to or
 * from the pool TCACHE_BATCH at a time, under one lock. */
#define TCACHE_MAX 64
#define TCACHE_BATCH 32

/* Fixed-size blocks carved from chunks obtained with malloc. */
struct pool {
    pthread_mutex_t lock;   /* guards every field below but block_size,
                               per_chunk and key */
    size_t block_size;      /* bytes per block: a multiple of 16, >= 16;
                               fixed by pool_init */
    size_t per_chunk;       /* blocks carved from each new chunk, >= 1;
                               fixed */
    void *free_list;        /* free blocks, linked through each block's
                               first word; lock */
    size_t nfree;           /* blocks on free_list; lock */
    size_t ntotal;          /* blocks ever carved; lock. nfree <= ntotal;
                               nfree == ntotal when every block is home */
    void *chunks;           /* every chunk, linked, for pool_destroy; lock */
    unsigned long nlocks;   /* how many times pool_alloc, pool_free and
                               the caches took lock; lock */
    tls_key_t key;          /* this pool's key: each thread's value is its
                               cache of this pool (or NULL); the key's
                               destructor flushes and frees it; fixed */
};

/* Any thread, before any other use. block_size is rounded up to a
 * multiple of 16 (at least 16). Creates the pool's key. 0, EINVAL (p NULL,
 * block_size 0 or > 1 MiB, per_chunk 0 or > 65536), EAGAIN (no key left). */
int pool_init(struct pool *p, size_t block_size, size_t per_chunk);

/* Any thread, once every OTHER thread that used the pool has exited (so
 * their caches are home). Flushes and frees the caller's cache; then, if
 * every block is home, frees the chunks, deletes the key and returns 0.
 * EBUSY (blocks are still out: the pool is left usable, caller's cache
 * empty), EINVAL (p NULL). */
int pool_destroy(struct pool *p);

/* The global path: one lock per call. pool_alloc takes a block off the
 * free list (carving a new chunk when it is empty); NULL on ENOMEM.
 * pool_free puts a block of this pool back; any thread may free any block;
 * NULL is ignored (as by free). */
void *pool_alloc(struct pool *p);
void pool_free(struct pool *p, void *block);

/* The cached path. tcache_alloc pops a block from the calling thread's
 * cache; when the cache is empty it first moves TCACHE_BATCH blocks from
 * the pool under ONE lock. tcache_free pushes the block on the caller's
 * cache (a block allocated by another thread is fine: it now belongs to
 * this thread's cache); when the cache is full (TCACHE_MAX) it first moves
 * TCACHE_BATCH blocks back to the pool under ONE lock. No lock otherwise.
 * The first use in a thread makes its cache (tls_set on p->key); the
 * cache goes home at thread exit through the key's destructor.
 * tcache_alloc returns NULL on ENOMEM; tcache_free ignores NULL, and frees
 * through pool_free when no cache can be made (ENOMEM). */
void *tcache_alloc(struct pool *p);
void tcache_free(struct pool *p, void *block);

/* Move every block of the caller's cache back to the pool (one lock, or
 * none if the cache is empty). The cache itself stays. */
void tcache_flush(struct pool *p);

/* A consistent snapshot of the pool's counters, taken under its lock
 * (this read is not counted in nlocks). */
struct pool_stats {
    size_t nfree, ntotal;
    unsigned long nlocks;
};
void pool_stats(struct pool *p, struct pool_stats *st);

#endif
