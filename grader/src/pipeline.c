/*
 * pipeline.c - one lab's stages, in order:
 *   stage a copy (kit files + the student's files only) -> build -> forbidden
 *   symbols -> tests (each in the sandbox; stress tests repeated with seeds)
 *   -> race stage -> memory stage.
 * Nothing a lab does can stop the pipeline: every failure becomes failed
 * items with a reason, and the next lab is graded as usual.
 */
#define _GNU_SOURCE
#include "tl.h"
#include <unistd.h>
#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>

#include <ctype.h>
#include <math.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int want_stage(const struct grade_opts *g, const char *s)
{
    return !g->stages || strv_has(g->stages, s);
}

/* Copy a student file into the stage: a regular file inside the
 * submission, read without following a link, at most 1 MiB. A link would
 * let a submission have the grader (maybe root) compile, and so print in
 * its error messages, any file of the host. Returns NULL or an error. */
static char *copy_student_file(const char *studir, const char *rel, const char *to)
{
    enum { MAX_STUDENT_FILE = 1 << 20 };
    char *from = xasprintf("%s/%s", studir, rel);
    char *real = realpath(from, NULL), *root = realpath(studir, NULL);
    char *err = NULL;
    struct stat st;
    size_t rl = root ? strlen(root) : 0;
    if (lstat(from, &st) < 0 || !S_ISREG(st.st_mode))
        err = xasprintf("%s in the submission is not a regular file (a symbolic link?): "
                        "submit the file itself", rel);
    else if (!real || !root || strncmp(real, root, rl) != 0 || real[rl] != '/')
        err = xasprintf("%s in the submission lies outside the submission", rel);
    else if (st.st_size > MAX_STUDENT_FILE)
        err = xasprintf("%s in the submission is larger than 1 MiB", rel);
    int in = err ? -1 : open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (!err && (in < 0 || out < 0))
        err = xasprintf("cannot copy %s: %s", rel, strerror(errno));
    char buf[65536];
    ssize_t n;
    while (!err && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 || write(out, buf, (size_t)n) != n)
            err = xasprintf("cannot copy %s: %s", rel, strerror(errno));
    }
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    free(from);
    free(real);
    free(root);
    return err;
}

static int is_symlink(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
}

/* Make the staging copy. Returns NULL or an error text. */
static char *stage_lab(const struct grade_opts *g, const struct lab *l,
                       const char *kitdir, const char *studir, const char *stage,
                       struct buf *notes)
{
    rm_rf(stage);
    if (mkdir_p(stage) < 0)
        return xasprintf("cannot create %s", stage);
    if (sb_give_to_builder(stage) < 0)
        return xasprintf("cannot give %s to the build user: %s", stage, strerror(errno));
    char *src = xasprintf("%s/.", kitdir);
    char *argv[] = {"cp", "-a", "--", src, (char *)stage, NULL};
    struct sb_opts o = {.argv = argv, .timeout_s = 120, .out_cap = 4096, .cwd = "/"};
    struct sb_result r;
    sb_run(&o, &r);
    free(src);
    char *err = (r.exited && r.code == 0) ? NULL : xasprintf("cannot stage %s: %s", kitdir, r.out ? r.out : "");
    sb_result_free(&r);
    if (err)
        return err;
    char *p = xasprintf("%s/build", stage);
    rm_rf(p);
    free(p);
    if (!g->hidden) {
        p = xasprintf("%s/hidden", stage);
        rm_rf(p);
        free(p);
    }
    if (!strcmp(kitdir, studir))
        return NULL;
    for (char **f = l->student_files; *f; f++) {
        char *from = xasprintf("%s/%s", studir, *f);
        char *to = xasprintf("%s/%s", stage, *f);
        if (strstr(*f, "..") || (*f)[0] == '/') {
            err = xasprintf("lab.conf: student file '%s' is not a plain relative path", *f);
        } else if (!path_exists(from) && !is_symlink(from)) {
            buf_printf(notes, "%s was not in the submission: the skeleton's version was graded.\n", *f);
        } else {
            err = copy_student_file(studir, *f, to);
        }
        free(from);
        free(to);
        if (err)
            return err;
    }
    return NULL;
}

static int make_variant(const struct grade_opts *g, const char *stage, const char *variant,
                        struct buf *log)
{
    char *root = xasprintf("TL_ROOT=%s", g->kit);
    char *var = xasprintf("VARIANT=%s", variant);
    char *sol = xasprintf("SOLUTION=%d", g->mode == MODE_REFERENCE);
    char *hid = xasprintf("HIDDEN=%d", g->hidden);
    char *argv[] = {"make", "--no-print-directory", "-j2", "-C", (char *)stage,
                    root, var, sol, hid, "tests", NULL};
    struct sb_opts o = {.argv = argv, .timeout_s = 600, .out_cap = 64 * 1024, .cwd = stage};
    struct sb_result r;
    sb_run(&o, &r);
    int ok = r.exited && r.code == 0;
    if (r.out)
        buf_puts(log, r.out);
    if (r.timed_out)
        buf_puts(log, "\nthe build took longer than 600 s and was stopped\n");
    sb_result_free(&r);
    free(root); free(var); free(sol); free(hid);
    return ok;
}

/* Forbidden calls: undefined symbols of the student's objects. */
static char *check_forbidden(const struct lab *l, const char *stage)
{
    struct buf b;
    buf_init(&b);
    if (!l->forbidden[0])
        return NULL;
    for (char **f = l->student_files; *f; f++) {
        size_t n = strlen(*f);
        if (n < 2 || (strcmp(*f + n - 2, ".c") && strcmp(*f + n - 2, ".S")))
            continue;
        char *obj = xasprintf("%s/build/plain/obj/%s.o", stage, *f);
        char *argv[] = {"nm", "-u", "-P", obj, NULL};
        struct sb_opts o = {.argv = argv, .timeout_s = 60, .out_cap = 1 << 20, .cwd = stage};
        struct sb_result r;
        sb_run(&o, &r);
        for (char *line = r.out ? strtok(r.out, "\n") : NULL; line; line = strtok(NULL, "\n")) {
            char sym[512];
            if (sscanf(line, "%511s", sym) != 1)
                continue;
            char *at = strchr(sym, '@');
            if (at)
                *at = '\0';
            /* A PE object names a DLL's function through its import slot. */
            const char *bare = strncmp(sym, "__imp_", 6) ? sym : sym + 6;
            if (strv_has(l->forbidden, bare))
                buf_printf(&b, "%s calls %s(), which this lab forbids: the point of the lab is to build it yourself.\n",
                           *f, bare);
        }
        sb_result_free(&r);
        free(obj);
    }
    if (!b.len) {
        buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* When nothing built: the tests named in the kit's test sources. */
static void scan_tests(const char *stage, int hidden, struct test_info **out, size_t *n)
{
    const char *sub[2] = {"tests", "hidden"};
    size_t cap = 16, k = 0;
    struct test_info *v = xcalloc(cap, sizeof *v);
    for (int h = 0; h < (hidden ? 2 : 1); h++) {
        char *dir = xasprintf("%s/%s", stage, sub[h]);
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            size_t len = strlen(e->d_name);
            if (len < 3 || strcmp(e->d_name + len - 2, ".c"))
                continue;
            char *path = xasprintf("%s/%s", dir, e->d_name);
            FILE *fp = fopen(path, "r");
            char line[1024];
            while (fp && fgets(line, sizeof line, fp)) {
                char name[256];
                int pts, to;
                if (sscanf(line, "TL_TEST(%255[A-Za-z0-9_], %d, %d", name, &pts, &to) == 3) {
                    if (k + 1 >= cap) {
                        cap *= 2;
                        v = realloc(v, cap * sizeof *v);
                    }
                    memset(&v[k], 0, sizeof v[k]);
                    v[k].name = xstrdup(name);
                    v[k].binary = xstrdup("");
                    v[k].points = pts;
                    v[k].timeout_s = to;
                    v[k].tags = strv_split("", NULL);
                    v[k].hidden = h;
                    k++;
                }
            }
            if (fp)
                fclose(fp);
            free(path);
        }
        if (d)
            closedir(d);
        free(dir);
    }
    *out = v;
    *n = k;
}

static struct item *add_item(struct lab_report *rep, size_t *cap)
{
    if (rep->nitems + 1 >= *cap) {
        *cap = *cap ? *cap * 2 : 32;
        rep->items = realloc(rep->items, *cap * sizeof *rep->items);
    }
    struct item *it = &rep->items[rep->nitems++];
    memset(it, 0, sizeof *it);
    return it;
}

static char **copy_tags(char **tags)
{
    struct buf b;
    buf_init(&b);
    for (char **t = tags; t && *t; t++)
        buf_printf(&b, "%s ", *t);
    char **v = strv_split(b.p, NULL);
    buf_free(&b);
    return v;
}

/* ------------------------------------------------------------------ */
/* Running many tests at once                                         */
/* ------------------------------------------------------------------ */

struct task {
    const struct test_info *t;
    struct run_ctx ctx;
    int passed;
    char *why;
    double secs;
};

struct pool {
    struct task *tasks;
    size_t n;
    atomic_size_t next;
    int fail_fast;
    atomic_int failed;  /* some task failed (read only with fail_fast) */
};

#define NOT_RUN "not run: an earlier test of this lab failed (--fail-fast)"

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (i >= p->n)
            return NULL;
        struct task *k = &p->tasks[i];
        if (p->fail_fast && atomic_load(&p->failed)) {
            k->passed = 0;
            k->why = xstrdup(NOT_RUN);
            continue;
        }
        k->passed = run_one(&k->ctx, k->t, &k->why, &k->secs);
        if (!k->passed)
            atomic_store(&p->failed, 1);
    }
}

static void run_tasks(struct task *tasks, size_t n, int jobs, int fail_fast)
{
    struct pool p = {.tasks = tasks, .n = n, .fail_fast = fail_fast};
    atomic_init(&p.failed, 0);
    atomic_init(&p.next, 0);
    if (jobs < 1)
        jobs = 1;
    pthread_t th[64];
    int started = 0;
    for (int j = 0; j < jobs && j < 64; j++)
        if (pthread_create(&th[started], NULL, worker, &p) == 0)
            started++;
    if (!started)
        worker(&p);
    for (int j = 0; j < started; j++)
        pthread_join(th[j], NULL);
}

static const char *display_dir(const struct grade_opts *g, const char *slug, char *buf, size_t cap)
{
    if (g->mode == MODE_REFERENCE)
        snprintf(buf, cap, "reference/%s", slug);
    else if (g->mode == MODE_SUBMISSION)
        snprintf(buf, cap, "%s/labs/%s", g->submission, slug);
    else
        snprintf(buf, cap, "labs/%s", slug);
    return buf;
}

static uint64_t seed_for(uint64_t base, const char *name, int rep)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    uint64_t s = mix64(base ^ h ^ ((uint64_t)rep << 48)) & 0xffffffffffffull;
    return s ? s : 1;
}

static struct test_info *find_test(struct test_info *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return &v[i];
    return NULL;
}

/* Every item the lab would have had, failed with WHY. The perf item only
 * where the perf stage could run (it needs the reference: HAS_REF). */
static void fail_all(struct lab_report *rep, size_t *cap, const char *slug,
                     struct test_info *tests, size_t nt, const struct lab *l,
                     int stage_pts, int has_ref, const char *why)
{
    for (size_t i = 0; i < nt; i++) {
        struct item *it = add_item(rep, cap);
        it->name = xasprintf("%s/%s", slug, tests[i].name);
        it->max = tests[i].points;
        it->output = xstrdup(why);
        it->tags = copy_tags(tests[i].tags);
        it->hidden = tests[i].hidden;
    }
    if (l->perf.present && stage_pts && has_ref) {
        struct item *it = add_item(rep, cap);
        it->name = xasprintf("%s/perf-stage:%s", slug, l->perf.test);
        it->max = l->perf.points;
        it->output = xstrdup(why);
        it->tags = strv_split("perf", NULL);
    }
    const struct stage_conf *st[2] = {&l->race, &l->memory};
    const char *sn[2] = {"race", "memory"};
    for (int s = 0; s < 2 && stage_pts; s++) {
        for (int k = 0; st[s]->present && k < st[s]->ntools; k++) {
            struct item *it = add_item(rep, cap);
            it->name = xasprintf("%s/%s-stage:%s", slug, sn[s], tool_name(st[s]->tools[k]));
            it->max = (double)st[s]->points / st[s]->ntools;
            it->output = xstrdup(why);
            it->tags = strv_split(sn[s], NULL);
        }
    }
}

static void stage_tool(const struct grade_opts *g, const struct lab *l, const char *slug,
                       const char *stage, const char *shown, struct test_info *tests, size_t nt,
                       const struct stage_conf *sc, const char *sname, struct lab_report *rep,
                       size_t *cap)
{
    for (int k = 0; k < sc->ntools; k++) {
        enum tool tool = sc->tools[k];
        struct item *it = add_item(rep, cap);
        it->name = xasprintf("%s/%s-stage:%s", slug, sname, tool_name(tool));
        it->max = (double)sc->points / sc->ntools;
        it->tags = strv_split(sname, NULL);
        double t0 = now_s();
        /* The stage scores race- or memory-clean code that works: when one
         * of its tests already failed in the tests stage of this grading,
         * the stage cannot be earned, and running it under a slow tool
         * (helgrind, memcheck) would only cost time, for every skeleton
         * and broken submission of a class. Say which tests to fix. */
        if (want_stage(g, "tests")) {
            struct buf failed;
            buf_init(&failed);
            int nfailed = 0;
            for (char **p = sc->tests; *p; p++) {
                char *full = xasprintf("%s/%s", slug, *p);
                for (size_t i = 0; i + 1 < rep->nitems; i++)
                    if (!strcmp(rep->items[i].name, full) && !rep->items[i].passed) {
                        buf_printf(&failed, "%s%s", nfailed ? ", " : "", *p);
                        nfailed++;
                    }
                free(full);
            }
            if (nfailed) {
                it->output = xasprintf("not run: this stage checks the %s tests under %s, and %s failed in the "
                                       "tests stage above: %s. Make %s pass first; the stage's points come "
                                       "with them.",
                                       sname, tool_name(tool), nfailed == 1 ? "this one" : "these", failed.p,
                                       nfailed == 1 ? "it" : "them");
                buf_free(&failed);
                it->time_s = now_s() - t0;
                continue;
            }
            buf_free(&failed);
        }
        const char *variant = tool == TOOL_TSAN ? "build/tsan" : tool == TOOL_ASAN ? "build/asan" : "build/plain";
        if (tool == TOOL_TSAN || tool == TOOL_ASAN) {
            struct buf log;
            buf_init(&log);
            if (!make_variant(g, stage, variant + 6, &log)) {
                it->output = xasprintf("the %s build failed:\n%s", variant + 6, tail_lines(log.p, 30));
                buf_free(&log);
                continue;
            }
            buf_free(&log);
        }
        size_t n = 0;
        for (char **p = sc->tests; *p; p++)
            n++;
        struct task *tasks = xcalloc(n, sizeof *tasks);
        struct buf errs;
        buf_init(&errs);
        size_t m = 0;
        for (char **p = sc->tests; *p; p++) {
            struct test_info *t = find_test(tests, nt, *p);
            if (!t && !g->hidden)
                continue; /* a hidden test: it runs when the staff grade */
            if (!t) {
                buf_printf(&errs, "lab.conf names test '%s' for the %s stage, but no such test exists\n", *p, sname);
                continue;
            }
            tasks[m].t = t;
            tasks[m].ctx = (struct run_ctx){.stage_dir = stage, .variant_dir = variant, .tool = tool,
                                            .slow = sc->slow, .seed = seed_for(g->seed, t->name, 99),
                                            .timeout_scale = 4};
            char *rp;
            if (tool == TOOL_TSAN || tool == TOOL_ASAN)
                rp = xasprintf("make -C %s VARIANT=%s run T=%s SEED=%llu", shown, variant + 6, t->name,
                               (unsigned long long)tasks[m].ctx.seed);
            else
                rp = xasprintf("make -C %s && (cd %s && TL_SLOW=%d TL_SEED=%llu valgrind%s%s%s %s --run %s)", shown,
                               shown, sc->slow, (unsigned long long)tasks[m].ctx.seed,
                               tool == TOOL_HELGRIND ? " --tool=helgrind" : tool == TOOL_DRD ? " --tool=drd" : " --leak-check=full",
                               tool == TOOL_HELGRIND && tl_helgrind_supp ? " " : "",
                               tool == TOOL_HELGRIND && tl_helgrind_supp ? tl_helgrind_supp : "", t->binary, t->name);
            tasks[m].ctx.replay = rp;
            m++;
        }
        run_tasks(tasks, m, g->jobs, g->fail_fast);
        int all = errs.len == 0;
        struct buf out;
        buf_init(&out);
        buf_puts(&out, errs.p);
        for (size_t i = 0; i < m; i++) {
            if (!tasks[i].passed) {
                all = 0;
                buf_printf(&out, "%s under %s: %s\n", tasks[i].t->name, tool_name(tool), tasks[i].why);
            }
            free(tasks[i].why);
            free((char *)tasks[i].ctx.replay);
        }
        it->passed = all;
        it->score = all ? it->max : 0;
        if (all)
            buf_printf(&out, "%zu test(s) ran under %s with no report", m, tool_name(tool));
        it->output = out.p;
        it->time_s = now_s() - t0;
        buf_free(&errs);
        free(tasks);
    }
    (void)l;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The perf stage: the manifest's perf test, run alternately on the
 * student's build and on the reference's (built in a second staging copy),
 * the same fixed work each time; medians compared as a ratio. */
static void stage_perf(const struct grade_opts *g, const struct lab *l, const char *slug,
                       const char *stage, const char *refdir, struct test_info *tests, size_t nt,
                       struct lab_report *rep, size_t *cap, struct buf *notes)
{
    struct test_info *t = find_test(tests, nt, l->perf.test);
    if (!is_dir(refdir)) {
        buf_printf(notes, "the performance stage (%d points) needs the reference, which this copy "
                   "of the kit does not have: it runs when the staff grade.\n", l->perf.points);
        return;
    }
    struct item *it = add_item(rep, cap);
    it->name = xasprintf("%s/perf-stage:%s", slug, l->perf.test);
    it->max = l->perf.points;
    it->tags = strv_split("perf", NULL);
    double t0 = now_s();
    if (!t) {
        it->output = xasprintf("lab.conf names perf test '%s', but no such test exists", l->perf.test);
        return;
    }
    char *rstage = xasprintf("%s-reference", stage);
    struct grade_opts rg = *g;
    rg.mode = MODE_REFERENCE;
    rg.hidden = 0;
    struct buf log;
    buf_init(&log);
    char *err = stage_lab(&rg, l, refdir, refdir, rstage, &log);
    if (err || !make_variant(&rg, rstage, "plain", &log)) {
        it->output = xasprintf("the reference would not build for the comparison (a kit bug): %s\n%s",
                               err ? err : "", tail_lines(log.p, 20));
        free(err);
        buf_free(&log);
        free(rstage);
        return;
    }
    buf_free(&log);
    int runs = l->perf.runs;
    double *sv = xcalloc((size_t)runs, sizeof *sv), *rv = xcalloc((size_t)runs, sizeof *rv);
    char *why = NULL;
    int ok = 1;
    for (int i = 0; i < runs && ok; i++) {
        for (int side = 0; side < 2 && ok; side++) {
            double m = NAN, secs;
            char *w = NULL;
            struct run_ctx c = {.stage_dir = side ? rstage : stage, .variant_dir = "build/plain",
                                .slow = 1, .seed = seed_for(g->seed, t->name, i),
                                .timeout_scale = 1, .metric = &m};
            if (!run_one(&c, t, &w, &secs)) {
                why = xasprintf("the perf test failed on the %s build: %s", side ? "reference" : "student's", w);
                ok = 0;
            } else if (!(m > 0)) {
                why = xasprintf("the perf test reported no figure on the %s build", side ? "reference" : "student's");
                ok = 0;
            }
            free(w);
            (side ? rv : sv)[i] = m;
        }
    }
    if (ok) {
        qsort(sv, (size_t)runs, sizeof *sv, cmp_double);
        qsort(rv, (size_t)runs, sizeof *rv, cmp_double);
        double ms = sv[runs / 2], mr = rv[runs / 2], ratio = ms / mr;
        it->passed = ratio >= l->perf.min_ratio;
        it->score = it->passed ? it->max : 0;
        it->output = xasprintf("%s: yours %.4g/s, the reference %.4g/s (median of %d alternating runs each, "
                               "same fixed work): ratio %.2f, %s %.2f.%s",
                               t->name, ms, mr, runs, ratio, it->passed ? "at least" : "below the",
                               l->perf.min_ratio,
                               it->passed ? "" : " Profile your hot path (perf record, or count "
                               "instructions with valgrind --tool=callgrind) against the handout's hints.");
    } else {
        it->output = why;
        why = NULL;
    }
    free(why);
    free(sv);
    free(rv);
    if (!g->keep)
        rm_rf(rstage);
    free(rstage);
    it->time_s = now_s() - t0;
}

/* A lab with [lab] platform = windows is built with mingw-w64 against a
 * Windows build of cmocka (source fetched by make deps) and its tests run
 * under Wine with a prefix made from the kit's template (make deps too).
 * NULL when all of that is here, else what is missing and how to get it. */
static char *windows_missing(const struct grade_opts *g)
{
    struct buf b;
    buf_init(&b);
    char *gcc = sb_which("x86_64-w64-mingw32-gcc"), *wine = sb_which("wine");
    char *cm = xasprintf("%s/build/cmocka-win/src/cmocka.c", g->kit);
    char *pfx = xasprintf("%s/build/wine-prefix/system.reg", g->kit);
    if (!gcc)
        buf_puts(&b, "\n  - the mingw-w64 cross-compiler x86_64-w64-mingw32-gcc (Debian gcc-mingw-w64-x86-64)");
    if (!wine)
        buf_puts(&b, "\n  - Wine, to run the Windows test programs (Debian wine and wine64)");
    if (!path_exists(cm))
        buf_printf(&b, "\n  - cmocka's source for the Windows build (%s, fetched by make deps)", cm);
    if (!path_exists(pfx))
        buf_printf(&b, "\n  - the Wine prefix template (%s, made by make deps)", pfx);
    free(gcc); free(wine); free(cm); free(pfx);
    if (!b.len) {
        buf_free(&b);
        return NULL;
    }
    char *r = xasprintf("needs Wine: this lab is a Windows program, cross-compiled with mingw-w64 and "
                        "tested under Wine, and this grading machine lacks:%s\n"
                        "Run `make deps` in the kit (as root it installs the packages, fetches cmocka's "
                        "source and makes the prefix). No test of this lab could run here; the other "
                        "labs are graded as usual.", b.p);
    buf_free(&b);
    return r;
}

int pipeline_grade_lab(const struct grade_opts *g, const char *slug, struct lab_report *rep)
{
    memset(rep, 0, sizeof *rep);
    double t0 = now_s();
    size_t cap = 0;
    char shown[4096];
    display_dir(g, slug, shown, sizeof shown);
    rep->slug = xstrdup(slug);
    struct buf notes;
    buf_init(&notes);

    char *refdir = xasprintf("%s/reference/%s", g->kit, slug);
    char *kitdir = is_dir(refdir) ? xstrdup(refdir) : xasprintf("%s/labs/%s", g->kit, slug);
    char *studir;
    if (g->mode == MODE_REFERENCE)
        studir = xstrdup(refdir);
    else if (g->mode == MODE_STUDENT)
        studir = xasprintf("%s/labs/%s", g->kit, slug);
    else {
        studir = xasprintf("%s/labs/%s", g->submission, slug);
        if (!is_dir(studir)) {
            free(studir);
            studir = xasprintf("%s/%s", g->submission, slug);
        }
    }
    struct lab *l = lab_load(kitdir, slug);
    rep->title = xstrdup(l->title);
    char *stage = xasprintf("%s/%s", g->work, slug);
    struct test_info *tests = NULL;
    size_t nt = 0;

    if (l->error) {
        struct item *it = add_item(rep, &cap);
        it->name = xasprintf("%s/manifest", slug);
        it->max = 0;
        it->output = xasprintf("the lab's manifest is broken (a kit bug, tell the staff): %s", l->error);
        goto out;
    }
    char *winmiss = l->windows ? windows_missing(g) : NULL;
    if (winmiss) {
        scan_tests(kitdir, g->hidden, &tests, &nt);
        fail_all(rep, &cap, slug, tests, nt, l, want_stage(g, "race") || want_stage(g, "memory"),
                 is_dir(refdir), winmiss);
        buf_printf(&notes, "%s\n", winmiss);
        free(winmiss);
        goto out;
    }
    if (g->mode == MODE_SUBMISSION && !is_dir(studir))
        buf_printf(&notes, "no %s in the submission: the skeleton was graded.\n", slug);
    char *err = stage_lab(g, l, kitdir, g->mode == MODE_SUBMISSION && !is_dir(studir) ? kitdir : studir,
                          stage, &notes);
    if (err) {
        /* A student file the grader refuses (a link, too big) costs the
         * lab's tests, each with the reason, like a compile error. */
        scan_tests(stage, g->hidden, &tests, &nt);
        if (nt) {
            char *why = xasprintf("the submission could not be staged, so no test could run: %s", err);
            fail_all(rep, &cap, slug, tests, nt, l, want_stage(g, "race") || want_stage(g, "memory"),
                     is_dir(refdir), why);
            free(why);
            free(err);
        } else {
            struct item *it = add_item(rep, &cap);
            it->name = xasprintf("%s/stage", slug);
            it->output = err;
        }
        goto out;
    }

    struct buf log;
    buf_init(&log);
    rep->build_ok = make_variant(g, stage, "plain", &log);
    rep->build_log = xstrdup(log.p);
    buf_free(&log);
    if (!rep->build_ok) {
        scan_tests(stage, g->hidden, &tests, &nt);
        /* A forbidden function from a library the lab does not link (GLib,
         * OpenMP) breaks the link: say so first, from the objects that did
         * compile, rather than only "did not compile". */
        char *forb = check_forbidden(l, stage);
        char *why = forb ? xasprintf("forbidden call: %sThe link failed on it too. The compiler said:\n%s", forb,
                                     tail_lines(rep->build_log, 40))
                         : xasprintf("the lab did not compile, so no test could run. The compiler said:\n%s",
                                     tail_lines(rep->build_log, 40));
        free(forb);
        fail_all(rep, &cap, slug, tests, nt, l, want_stage(g, "race") || want_stage(g, "memory"), is_dir(refdir), why);
        free(why);
        goto out;
    }
    struct buf lerr;
    buf_init(&lerr);
    if (run_list_tests(stage, "build/plain", l->windows ? 60 : 10, &tests, &nt, &lerr) < 0 || nt == 0) {
        test_info_free(tests, nt);
        scan_tests(stage, g->hidden, &tests, &nt);
        char *why = xasprintf("the test programs would not start:\n%s", lerr.p);
        fail_all(rep, &cap, slug, tests, nt, l, 1, is_dir(refdir), why);
        free(why);
        buf_free(&lerr);
        goto out;
    }
    buf_free(&lerr);
    char *forb = check_forbidden(l, stage);
    if (forb) {
        char *why = xasprintf("forbidden call: %s", forb);
        fail_all(rep, &cap, slug, tests, nt, l, 1, is_dir(refdir), why);
        free(why);
        free(forb);
        goto out;
    }

    if (g->only) { /* --test: keep the named tests, in their order */
        size_t kept = 0;
        for (size_t i = 0; i < nt; i++) {
            if (strv_has(g->only, tests[i].name)) {
                struct test_info keep = tests[i];
                tests[i] = tests[kept];
                tests[kept++] = keep;
            }
        }
        for (size_t i = kept; i < nt; i++) {
            free(tests[i].name);
            free(tests[i].binary);
            strv_free(tests[i].tags);
        }
        nt = kept;
        if (!nt)
            buf_printf(&notes, "no test of this lab is named %s (--test).\n", g->only[0]);
    }

    if (want_stage(g, "tests")) {
        size_t ntask = 0;
        for (size_t i = 0; i < nt; i++)
            ntask += strv_has(tests[i].tags, "stress") ? (size_t)l->stress_repeats : 1;
        struct task *tasks = xcalloc(ntask, sizeof *tasks);
        size_t k = 0;
        for (size_t i = 0; i < nt; i++) {
            int reps = strv_has(tests[i].tags, "stress") ? l->stress_repeats : 1;
            for (int r = 0; r < reps; r++, k++) {
                tasks[k].t = &tests[i];
                uint64_t s = seed_for(g->seed, tests[i].name, r);
                /* A stress test's first run is plain, at full length; the
                 * others are perturbed (and a quarter as long: see
                 * tl_iters), so both kinds of schedule are tried. */
                int stress = strv_has(tests[i].tags, "stress") && (r > 0 || reps == 1);
                tasks[k].ctx = (struct run_ctx){.stage_dir = stage, .variant_dir = "build/plain",
                                                .tool = TOOL_NONE, .slow = 1, .seed = s, .timeout_scale = 1,
                                                .perturb = stress};
                /* "replay": a user-level scheduler on one kernel thread,
                 * whose perturbed schedule depends on the seed alone. */
                tasks[k].ctx.replay = !strv_has(tests[i].tags, "stress")
                    ? xasprintf("make -C %s run T=%s", shown, tests[i].name)
                    : !stress ? xasprintf("make -C %s run T=%s SEED=%llu", shown, tests[i].name, (unsigned long long)s)
                    : xasprintf("make -C %s run T=%s SEED=%llu PERTURB=1%s", shown, tests[i].name, (unsigned long long)s,
                                strv_has(tests[i].tags, "replay")
                                    ? "  (the same schedule, step for step: the trace line it prints is the same every time)"
                                    : "");
            }
        }
        run_tasks(tasks, ntask, g->jobs, g->fail_fast);
        k = 0;
        for (size_t i = 0; i < nt; i++) {
            int reps = strv_has(tests[i].tags, "stress") ? l->stress_repeats : 1;
            struct item *it = add_item(rep, &cap);
            it->name = xasprintf("%s/%s", slug, tests[i].name);
            it->max = tests[i].points;
            it->tags = copy_tags(tests[i].tags);
            it->hidden = tests[i].hidden;
            it->passed = 1;
            int nfail = 0;
            for (int r = 0; r < reps; r++, k++) {
                it->time_s += tasks[k].secs;
                if (!tasks[k].passed) {
                    if (it->passed)
                        it->output = tasks[k].why ? xstrdup(tasks[k].why) : xstrdup("failed");
                    it->passed = 0;
                    nfail++;
                }
                free(tasks[k].why);
                free((char *)tasks[k].ctx.replay);
            }
            if (reps > 1 && nfail) {
                char *o = xasprintf("failed %d of %d seeded runs; the first failure:\n%s", nfail, reps, it->output);
                free(it->output);
                it->output = o;
            }
            it->score = it->passed ? it->max : 0;
            if (it->passed)
                it->output = reps > 1 ? xasprintf("passed %d seeded runs", reps) : xstrdup("");
        }
        free(tasks);
    }
    if (g->fail_fast) {
        for (size_t i = 0; i < rep->nitems; i++)
            if (!rep->items[i].passed)
                goto out; /* the later stages cannot change the verdict */
    }
    if (l->race.present && want_stage(g, "race"))
        stage_tool(g, l, slug, stage, shown, tests, nt, &l->race, "race", rep, &cap);
    if (l->memory.present && want_stage(g, "memory"))
        stage_tool(g, l, slug, stage, shown, tests, nt, &l->memory, "memory", rep, &cap);
    if (l->perf.present && want_stage(g, "perf"))
        stage_perf(g, l, slug, stage, refdir, tests, nt, rep, &cap, &notes);

out:
    for (size_t i = 0; i < rep->nitems; i++) {
        rep->score += rep->items[i].score;
        rep->max += rep->items[i].max;
    }
    if (g->hidden && !g->stages && rep->max != 100 && !l->error && rep->nitems > 1)
        buf_printf(&notes, "kit bug: this lab's points add up to %g, not 100.\n", rep->max);
    if (!g->hidden && is_dir(refdir) == 0)
        buf_puts(&notes, "");
    rep->note = notes.len ? notes.p : (buf_free(&notes), NULL);
    rep->time_s = now_s() - t0;
    test_info_free(tests, nt);
    if (!g->keep)
        rm_rf(stage);
    lab_free(l);
    free(stage);
    free(refdir);
    free(kitdir);
    free(studir);
    return 0;
}

void lab_report_free(struct lab_report *r)
{
    for (size_t i = 0; i < r->nitems; i++) {
        free(r->items[i].name);
        free(r->items[i].output);
        strv_free(r->items[i].tags);
    }
    free(r->items);
    free(r->slug);
    free(r->title);
    free(r->build_log);
    free(r->note);
}
