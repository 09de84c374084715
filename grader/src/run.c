/*
 * run.c - asking test binaries for their tests, and running one test in
 * the sandbox. A test passes only when its RESULT record, with this run's
 * nonce, says PASS on the private channel AND the process exited with 0 AND
 * no checker (valgrind, a sanitizer) complained. Printed text never counts.
 */
#define _GNU_SOURCE
#include "tl.h"
#include "../include/tl_proto.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *tl_helgrind_supp;

#define TOOL_EXIT 66       /* exit code we ask sanitizers and valgrind to use */

/* Next record of the channel with our magic: returns pointer past it. */
static const char *next_line(const char *p, char *line, size_t cap)
{
    if (!p || !*p)
        return NULL;
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n >= cap)
        n = cap - 1;
    memcpy(line, p, n);
    line[n] = '\0';
    return e ? e + 1 : p + strlen(p);
}

int proto_find_result(const char *chan, const char *nonce, const char *name,
                      char **msg, int *bad)
{
    char line[TL_LINE_MAX + 1];
    int found = -1;
    const char *p = chan;
    *msg = NULL;
    *bad = 0;
    while ((p = next_line(p, line, sizeof line))) {
        char magic[8], nn[64], kind[16], tname[512], verdict[8];
        int off = 0;
        if (sscanf(line, "%7s %63s %15s %511s %7s %n", magic, nn, kind, tname, verdict, &off) < 5)
            continue;
        if (strcmp(magic, TL_PROTO_MAGIC) || strcmp(kind, "RESULT"))
            continue;
        if (strcmp(nn, nonce)) {
            (*bad)++;
            continue;
        }
        if (strcmp(tname, name))
            continue;
        if (found != -1) {
            /* Two verdicts for one run: trust neither. */
            free(*msg);
            *msg = xstrdup("the test reported twice on the result channel");
            return 0;
        }
        if (!strcmp(verdict, "PASS")) {
            found = 1;
        } else {
            found = 0;
            char *m = xstrdup(off ? line + off : "");
            tl_proto_unescape(m);
            *msg = m;
        }
    }
    return found;
}

double proto_find_metric(const char *chan, const char *nonce, const char *name)
{
    char line[TL_LINE_MAX + 1];
    const char *p = chan;
    while ((p = next_line(p, line, sizeof line))) {
        char magic[8], nn[64], kind[16], tname[512];
        double v;
        if (sscanf(line, "%7s %63s %15s %511s %lf", magic, nn, kind, tname, &v) != 5)
            continue;
        if (!strcmp(magic, TL_PROTO_MAGIC) && !strcmp(nn, nonce) && !strcmp(kind, "METRIC") &&
            !strcmp(tname, name))
            return v;
    }
    return NAN;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Executables in DIR, sorted. */
static char **list_bins(const char *dir, size_t *n)
{
    char **v = xcalloc(64, sizeof *v);
    size_t k = 0;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && k < 63) {
            if (e->d_name[0] == '.')
                continue;
            char *p = xasprintf("%s/%s", dir, e->d_name);
            struct stat st;
            if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
                v[k++] = xstrdup(e->d_name);
            free(p);
        }
        closedir(d);
    }
    qsort(v, k, sizeof *v, cmp_str);
    *n = k;
    return v;
}

int run_list_tests(const char *stage_dir, const char *variant_dir, int list_s,
                   struct test_info **out, size_t *n, struct buf *err)
{
    const char *sub[2] = {"tests", "hidden"};
    size_t cap = 16, k = 0;
    struct test_info *v = xcalloc(cap, sizeof *v);
    int ok = 1;
    for (int h = 0; h < 2; h++) {
        char *dir = xasprintf("%s/%s/%s", stage_dir, variant_dir, sub[h]);
        size_t nb;
        char **bins = list_bins(dir, &nb);
        for (size_t b = 0; b < nb; b++) {
            char *exe = xasprintf("%s/%s", dir, bins[b]);
            char *argv[] = {exe, "--list", NULL};
            /* Listing takes milliseconds (seconds under Wine); a binary
             * that does not list in list_s (a constructor that hangs,
             * forks or floods) fails the lab, and the others are not
             * tried: the caller falls back to the test sources for the
             * list of what failed. */
            struct sb_opts o = {.argv = argv, .timeout_s = list_s, .channel = 1, .limits = 1, .out_cap = 8192,
                                .mem_mb = strstr(variant_dir, "san") ? -1 : 0};
            struct sb_result r;
            sb_run(&o, &r);
            int got = 0;
            char line[TL_LINE_MAX + 1];
            const char *p = r.chan;
            while ((p = next_line(p, line, sizeof line))) {
                char magic[8], nn[64], kind[16], name[256], tags[256];
                int pts, to;
                if (sscanf(line, "%7s %63s %15s %255s %d %d %255s", magic, nn, kind, name, &pts, &to, tags) != 7)
                    continue;
                if (strcmp(magic, TL_PROTO_MAGIC) || strcmp(nn, r.nonce) || strcmp(kind, "LIST"))
                    continue;
                if (k + 1 >= cap) {
                    cap *= 2;
                    v = realloc(v, cap * sizeof *v);
                }
                memset(&v[k], 0, sizeof v[k]);
                v[k].name = xstrdup(name);
                v[k].binary = xasprintf("%s/%s/%s", variant_dir, sub[h], bins[b]);
                v[k].points = pts;
                v[k].timeout_s = to > 0 ? to : 10;
                v[k].tags = strv_split(strcmp(tags, "-") ? tags : "", NULL);
                v[k].hidden = h;
                k++;
                got++;
            }
            if (r.timed_out) {
                ok = 0;
                buf_printf(err, "%s/%s --list did not finish within %d s: code that runs before main "
                           "(a constructor, or a global initialiser) loops, forks or prints forever.\n%s\n",
                           sub[h], bins[b], o.timeout_s, r.out ? tail_lines(r.out, 5) : "");
            } else if (!r.exited || r.code != 0 || got == 0) {
                ok = 0;
                buf_printf(err, "%s/%s --list failed (%s%d): the test binary could not even list its tests.\n%s\n",
                           sub[h], bins[b], r.signaled ? "signal " : "exit ",
                           r.signaled ? r.sig : r.code, r.out ? tail_lines(r.out, 15) : "");
            }
            sb_result_free(&r);
            free(exe);
            if (!ok)
                break;
        }
        strv_free(bins);
        free(dir);
        if (!ok)
            break;
    }
    *out = v;
    *n = k;
    return ok ? 0 : -1;
}

void test_info_free(struct test_info *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].name);
        free(t[i].binary);
        strv_free(t[i].tags);
    }
    free(t);
}

/* The part of the output where a checker speaks, up to max lines. */
static char *checker_excerpt(const char *out, enum tool tool, int max)
{
    struct buf b;
    buf_init(&b);
    if (!out)
        return b.p;
    const char *start = NULL;
    if (tool == TOOL_TSAN)
        start = strstr(out, "WARNING: ThreadSanitizer");
    else if (tool == TOOL_ASAN) {
        start = strstr(out, "ERROR: AddressSanitizer");
        if (!start) start = strstr(out, "ERROR: LeakSanitizer");
        if (!start) start = strstr(out, "runtime error:");
    }
    if (start) {
        while (start > out && start[-1] != '\n')
            start--;
        char *h = head_lines(start, max);
        buf_puts(&b, h);
        free(h);
        return b.p;
    }
    /* valgrind: the lines that start with ==pid== */
    int lines = 0;
    const char *p = out;
    while (*p && lines < max) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p + 1) : strlen(p);
        if (p[0] == '=' && p[1] == '=') {
            buf_add(&b, p, n);
            lines++;
        }
        p += n;
    }
    return b.p;
}

int run_one(const struct run_ctx *c, const struct test_info *t, char **why, double *secs)
{
    char *exe = xasprintf("%s/%s", c->stage_dir, t->binary);
    if (strncmp(t->binary, "build/plain/", 12) == 0 && strcmp(c->variant_dir, "build/plain")) {
        free(exe);
        exe = xasprintf("%s/%s/%s", c->stage_dir, c->variant_dir, t->binary + 12);
    }
    char *argv[16];
    int a = 0;
    switch (c->tool) {
    case TOOL_MEMCHECK:
        argv[a++] = "valgrind"; argv[a++] = "-q";
        argv[a++] = "--error-exitcode=66"; argv[a++] = "--leak-check=full";
        argv[a++] = "--show-leak-kinds=definite,indirect";
        argv[a++] = "--errors-for-leak-kinds=definite,indirect";
        break;
    case TOOL_HELGRIND:
        argv[a++] = "valgrind"; argv[a++] = "-q"; argv[a++] = "--tool=helgrind";
        argv[a++] = "--error-exitcode=66";
        if (tl_helgrind_supp)
            argv[a++] = tl_helgrind_supp;
        break;
    case TOOL_DRD:
        argv[a++] = "valgrind"; argv[a++] = "-q"; argv[a++] = "--tool=drd";
        argv[a++] = "--error-exitcode=66";
        break;
    default:
        break;
    }
    argv[a++] = exe;
    argv[a++] = "--run";
    argv[a++] = t->name;
    argv[a] = NULL;

    char *env[8];
    int e = 0;
    char *seed = c->seed ? xasprintf("TL_SEED=%llu", (unsigned long long)c->seed) : NULL;
    char *slow = xasprintf("TL_SLOW=%d", c->slow > 0 ? c->slow : 1);
    if (seed)
        env[e++] = seed;
    env[e++] = slow;
    /* The sanitizers cannot run under RLIMIT_AS: their own RSS limit
     * (checked by a background thread) stands in for it. */
    env[e++] = "TSAN_OPTIONS=halt_on_error=1 exitcode=66 second_deadlock_stack=1 hard_rss_limit_mb=4096";
    env[e++] = "ASAN_OPTIONS=detect_leaks=1 exitcode=66 halt_on_error=1 hard_rss_limit_mb=4096";
    env[e++] = "UBSAN_OPTIONS=halt_on_error=1 print_stacktrace=1 exitcode=66";
    env[e++] = c->perturb ? "TL_PERTURB=1" : "TL_PERTURB=0";
    env[e] = NULL;

    int timeout = t->timeout_s * (c->timeout_scale > 0 ? c->timeout_scale : 1);
    int sanitizer = c->tool == TOOL_TSAN || c->tool == TOOL_ASAN;
    int valgrind = c->tool == TOOL_MEMCHECK || c->tool == TOOL_HELGRIND || c->tool == TOOL_DRD;
    struct sb_opts o = {.argv = argv, .env_extra = env, .timeout_s = timeout,
                        .channel = 1, .limits = 1, .out_cap = 64 * 1024,
                        .mem_mb = sanitizer ? -1 : valgrind ? 4 * SB_DEFAULT_MEM_MB : 0};
    struct sb_result r;
    sb_run(&o, &r);
    *secs = r.wall_s;

    struct buf w;
    buf_init(&w);
    int pass = 0, bad = 0;
    char *msg = NULL;
    int res = r.started ? proto_find_result(r.chan ? r.chan : "", r.nonce, t->name, &msg, &bad) : -1;
    if (c->metric)
        *c->metric = r.started && r.chan ? proto_find_metric(r.chan, r.nonce, t->name) : NAN;
    int tool_code = c->tool != TOOL_NONE && r.exited && r.code == TOOL_EXIT;

    if (!r.started) {
        buf_printf(&w, "the grader could not start the test: %s", r.out ? r.out : "");
    } else if (r.timed_out) {
        buf_printf(&w, "timed out: still running after %d s (limit %d s x%d). "
                   "Something never finished: a deadlock, a lost wakeup, a thread "
                   "that never exits, or an endless loop.",
                   timeout, t->timeout_s, c->timeout_scale > 0 ? c->timeout_scale : 1);
    } else if (tool_code) {
        char *ex = checker_excerpt(r.out, c->tool, 40);
        buf_printf(&w, "%s reported a problem%s:\n%s",
                   c->tool == TOOL_TSAN ? "ThreadSanitizer (a data race or a lock misuse)" :
                   c->tool == TOOL_ASAN ? "AddressSanitizer/UBSan (invalid memory access, leak or undefined behaviour)" :
                   c->tool == TOOL_MEMCHECK ? "valgrind memcheck (invalid access, uninitialised value or leak)" :
                   c->tool == TOOL_HELGRIND ? "helgrind (a data race or a lock-order problem)" :
                   "drd (a data race)",
                   res == 1 ? " although the test's own checks passed" : "",
                   ex);
        free(ex);
    } else if (r.signaled) {
        buf_printf(&w, "crashed: killed by %s%s", sb_describe_signal(r.sig),
                   res == 1 ? " after the test reported success (at exit?)" : "");
    } else if (res == 1 && r.code == 0 && r.leftovers) {
        buf_puts(&w, "the test passed its checks but left process(es) running after it ended "
                     "(a child never waited for, or a daemon); the grader killed them");
    } else if (res == 1 && r.code == 0) {
        pass = 1;
    } else if (res == 1) {
        buf_printf(&w, "the test passed its checks but the process then exited with code %d "
                   "(something at exit failed: a destructor, an atexit handler, or a thread still running?)",
                   r.code);
    } else if (res == 0) {
        buf_puts(&w, msg ? msg : "failed");
        /* A plain cmocka assert or a crash cmocka caught: quote cmocka. */
        if (msg && !strncmp(msg, "failed in cmocka", 16) && r.out) {
            for (const char *p = r.out; *p;) {
                const char *e = strchr(p, '\n');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                if (memmem(p, n, "[  ERROR   ]", 12) || memmem(p, n, "[   LINE   ]", 12) ||
                    memmem(p, n, "exception", 9))
                    buf_printf(&w, "\n  %.*s", (int)n, p);
                p += n + (e != NULL);
            }
        }
    } else {
        buf_printf(&w, "ended without reporting a result (exit code %d): lab code called exit() "
                   "or _exit(), or the process died before the test finished", r.code);
    }
    if (!pass) {
        if (c->replay)
            buf_printf(&w, "\n  replay: %s", c->replay);
        if (bad)
            buf_printf(&w, "\n  note: %d record(s) on the result channel had a wrong nonce and were ignored", bad);
        if (r.out && r.out_len && !tool_code) {
            const char *tl = tail_lines(r.out, 12);
            size_t tn = strlen(tl);
            buf_printf(&w, "\n  --- last lines of the test's output ---\n%s%s",
                       tn > 2000 ? "[...]" : "", tn > 2000 ? tl + tn - 2000 : tl);
            if (r.elided)
                buf_printf(&w, "\n  (%zu more bytes of output elided)", r.elided);
        }
    }
    free(msg);
    free(seed);
    free(slow);
    free(exe);
    sb_result_free(&r);
    *why = pass ? NULL : w.p;
    if (pass)
        buf_free(&w);
    return pass;
}
