/*
 * tls_test.h - helpers shared by the lab 07 test files (kit-owned).
 * Each test program includes it exactly once.
 */
#ifndef TLS_TEST_H
#define TLS_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "tls.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Create a key or fail with the reason. */
#define KEY_CREATE(k, dtor)                                                   \
    do {                                                                      \
        int kc_rc_ = tls_key_create(&(k), (dtor));                            \
        tl_check(kc_rc_ == 0,                                                 \
                 "tls_key_create returned %d (%s) with free slots left. "     \
                 "Hint: handout Task 1 (tls_key_create in src/tls_key.c).",   \
                 kc_rc_, strerror(kc_rc_));                                   \
    } while (0)

#define KEY_DELETE(k)                                                         \
    do {                                                                      \
        int kd_rc_ = tls_key_delete(k);                                       \
        tl_check(kd_rc_ == 0,                                                 \
                 "tls_key_delete(%#llx) of a live key returned %d (%s). "     \
                 "Hint: handout Task 1.", (unsigned long long)(k), kd_rc_,    \
                 strerror(kd_rc_));                                           \
    } while (0)

#define KEY_SET(k, v)                                                         \
    do {                                                                      \
        int ks_rc_ = tls_set((k), (v));                                       \
        tl_check(ks_rc_ == 0,                                                 \
                 "tls_set(%#llx, %p) on a live key returned %d (%s). "        \
                 "Hint: handout Task 2.", (unsigned long long)(k),            \
                 (const void *)(v), ks_rc_, strerror(ks_rc_));                \
    } while (0)

#define POOL_INIT(p, bs, pc)                                                  \
    do {                                                                      \
        int pi_rc_ = pool_init((p), (bs), (pc));                              \
        tl_check(pi_rc_ == 0,                                                 \
                 "pool_init(block %zu, per_chunk %zu) returned %d (%s). "     \
                 "Hint: handout Task 6.1.", (size_t)(bs), (size_t)(pc),       \
                 pi_rc_, strerror(pi_rc_));                                   \
    } while (0)

/* Start a thread or fail. */
__attribute__((unused)) static pthread_t spawn(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int rc = pthread_create(&t, NULL, fn, arg);
    tl_check(rc == 0, "pthread_create failed (%d: %s): the machine is out of "
             "threads, not your bug.", rc, strerror(rc));
    return t;
}

__attribute__((unused)) static void *join(pthread_t t)
{
    void *ret = NULL;
    int rc = pthread_join(t, &ret);
    tl_check(rc == 0, "pthread_join failed (%d)", rc);
    return ret;
}

/* A small pthread barrier built from a mutex and a condition variable,
 * for tests that need every thread alive at once. */
struct gate {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int n, arrived;
};
#define GATE_INIT(N) {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, (N), 0}

__attribute__((unused)) static void gate_wait(struct gate *g)
{
    pthread_mutex_lock(&g->m);
    if (++g->arrived >= g->n)
        pthread_cond_broadcast(&g->cv);
    while (g->arrived < g->n)
        pthread_cond_wait(&g->cv, &g->m);
    pthread_mutex_unlock(&g->m);
}

/* ------------------------------------------------------------------ */
/* The dlopen'ed module                                               */
/* ------------------------------------------------------------------ */

/* build/<variant>/mod/libtlsmod.so, found from this program's own path
 * (build/<variant>/tests/<prog>), whatever the working directory. */
__attribute__((unused)) static const char *module_path(void)
{
    static char path[PATH_MAX + 32];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    tl_check(n > 0, "cannot read /proc/self/exe (errno %d)", errno);
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(exe, '/');
        tl_check(slash != NULL, "odd program path %s", exe);
        *slash = '\0';
    }
    snprintf(path, sizeof path, "%s/mod/libtlsmod.so", exe);
    tl_check(access(path, R_OK) == 0, "the test module %s is missing: build "
             "the lab with its own Makefile (make), which makes it.", path);
    return path;
}

/* ------------------------------------------------------------------ */
/* Counting lookups: lab.conf links with --wrap=dlsym,--wrap=dlinfo   */
/* ------------------------------------------------------------------ */

/* Every dlsym/dlinfo call made by the lab's code or the tests comes here
 * first and is counted, then goes to the real function. */
static atomic_long tls_lookups;

void *__real_dlsym(void *h, const char *name);
void *__wrap_dlsym(void *h, const char *name);
int __real_dlinfo(void *h, int req, void *arg);
int __wrap_dlinfo(void *h, int req, void *arg);

void *__wrap_dlsym(void *h, const char *name)
{
    atomic_fetch_add(&tls_lookups, 1);
    return __real_dlsym(h, name);
}

int __wrap_dlinfo(void *h, int req, void *arg)
{
    atomic_fetch_add(&tls_lookups, 1);
    return __real_dlinfo(h, req, arg);
}

/* ------------------------------------------------------------------ */
/* Out of memory on demand: --wrap=malloc,calloc,realloc (lab.conf)   */
/* ------------------------------------------------------------------ */

/* The lab's calls to malloc, calloc and realloc (not libc's own) come here
 * first. tl_fault_after(n) arms a fault on THIS thread: the n-th wrapped call
 * from now fails with ENOMEM, once. tl_fault_disarm() turns it off and says
 * whether the fault fired. */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);


void *__wrap_malloc(size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return tl_fault_errno(ENOMEM) ? NULL : __real_realloc(p, size);
}

#endif
