/* util.c - buffers, strings, paths: the small things every module uses. */
#define _GNU_SOURCE
#include "tl.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void oom(void)
{
    fprintf(stderr, "tl-grade: out of memory\n");
    abort();
}

void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        oom();
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        oom();
    va_end(ap);
    return s;
}

void buf_init(struct buf *b)
{
    b->cap = 256;
    b->len = 0;
    b->p = xcalloc(1, b->cap);
}

void buf_add(struct buf *b, const char *s, size_t n)
{
    if (!b->p)
        buf_init(b);
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap)
            b->cap *= 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            oom();
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        oom();
    va_end(ap);
    buf_puts(b, s);
    free(s);
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    remove(p);
    return 0;
}

int rm_rf(const char *path)
{
    if (!path_exists(path))
        return 0;
    /* Make directories writable first so a test that chmod'ed its scratch
     * files cannot make the cleanup fail. */
    return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

int mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                free(p);
                return -1;
            }
            *s = '/';
        }
    }
    int r = mkdir(p, 0755);
    free(p);
    return (r < 0 && errno != EEXIST) ? -1 : 0;
}

int path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char **strv_split(const char *s, size_t *n)
{
    size_t cap = 8, k = 0;
    char **v = xcalloc(cap, sizeof *v);
    const char *p = s ? s : "";
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\t' && *e != ',')
            e++;
        if (k + 2 > cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            if (!v)
                oom();
        }
        v[k++] = strndup(p, (size_t)(e - p));
        p = e;
    }
    v[k] = NULL;
    if (n)
        *n = k;
    return v;
}

void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

int strv_has(char *const *v, const char *s)
{
    for (; v && *v; v++)
        if (strcmp(*v, s) == 0)
            return 1;
    return 0;
}

const char *tail_lines(const char *s, int n)
{
    size_t len = strlen(s);
    const char *p = s + len;
    if (p > s && p[-1] == '\n')
        p--;
    while (p > s) {
        if (p[-1] == '\n' && --n == 0)
            break;
        p--;
    }
    return p;
}

char *head_lines(const char *s, int n)
{
    const char *p = s;
    while (*p && n > 0) {
        const char *e = strchr(p, '\n');
        if (!e) {
            p += strlen(p);
            break;
        }
        p = e + 1;
        n--;
    }
    return strndup(s, (size_t)(p - s));
}

uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
