/* lab.c - the lab manifest, lab.conf, read with inih (Debian libinih-dev). */
#define _GNU_SOURCE
#include "tl.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tool_name(enum tool t)
{
    switch (t) {
    case TOOL_TSAN: return "tsan";
    case TOOL_HELGRIND: return "helgrind";
    case TOOL_DRD: return "drd";
    case TOOL_MEMCHECK: return "valgrind";
    case TOOL_ASAN: return "asan";
    default: return "none";
    }
}

static enum tool parse_tool(const char *s)
{
    if (!strcmp(s, "tsan")) return TOOL_TSAN;
    if (!strcmp(s, "helgrind")) return TOOL_HELGRIND;
    if (!strcmp(s, "drd")) return TOOL_DRD;
    if (!strcmp(s, "valgrind") || !strcmp(s, "memcheck")) return TOOL_MEMCHECK;
    if (!strcmp(s, "asan")) return TOOL_ASAN;
    return TOOL_NONE;
}

static void set_error(struct lab *l, const char *msg)
{
    if (!l->error)
        l->error = xstrdup(msg);
}

/* List-valued keys accumulate: a long list may go on over indented lines,
 * which inih hands over as the same key again. */
static void strv_append(char ***v, const char *val)
{
    size_t n = 0, m = 0;
    char **add = strv_split(val, &m);
    if (*v)
        while ((*v)[n])
            n++;
    char **r = xcalloc(n + m + 1, sizeof *r);
    for (size_t i = 0; i < n; i++)
        r[i] = (*v)[i];
    for (size_t i = 0; i < m; i++)
        r[n + i] = add[i];
    free(*v);
    free(add);
    *v = r;
}

static void stage_key(struct lab *l, struct stage_conf *s, const char *stage,
                      const char *key, const char *val)
{
    s->present = 1;
    if (!strcmp(key, "tool")) {
        char **v = strv_split(val, NULL);
        for (char **p = v; *p; p++) {
            enum tool t = parse_tool(*p);
            int ok = strcmp(stage, "race") == 0
                         ? (t == TOOL_TSAN || t == TOOL_HELGRIND || t == TOOL_DRD)
                         : (t == TOOL_MEMCHECK || t == TOOL_ASAN);
            if (!ok || s->ntools == 4) {
                char *m = xasprintf("[%s] tool: '%s' is not a %s tool", stage, *p, stage);
                set_error(l, m);
                free(m);
            } else {
                s->tools[s->ntools++] = t;
            }
        }
        strv_free(v);
    } else if (!strcmp(key, "points")) {
        s->points = atoi(val);
    } else if (!strcmp(key, "tests")) {
        strv_append(&s->tests, val);
    } else if (!strcmp(key, "slow")) {
        s->slow = atoi(val);
    } else {
        char *m = xasprintf("[%s]: unknown key '%s'", stage, key);
        set_error(l, m);
        free(m);
    }
}

static int on_key(void *user, const char *section, const char *key, const char *val)
{
    struct lab *l = user;
    if (!strcmp(section, "lab")) {
        if (!strcmp(key, "title")) { free(l->title); l->title = xstrdup(val); }
        else if (!strcmp(key, "hours")) l->hours = atof(val);
        else if (!strcmp(key, "student_files")) strv_append(&l->student_files, val);
        else if (!strcmp(key, "platform")) {
            /* linux (the default) or windows: cross-compiled, run under Wine */
            if (!strcmp(val, "windows")) l->windows = 1;
            else if (strcmp(val, "linux")) set_error(l, "[lab] platform: say linux or windows");
        }
        else if (!strcmp(key, "kit_sources") || !strcmp(key, "cflags") || !strcmp(key, "ldlibs") ||
                 !strcmp(key, "programs") || !strcmp(key, "modules") || !strcmp(key, "report")) { /* read by lab.mk */ }
        else { char *m = xasprintf("[lab]: unknown key '%s'", key); set_error(l, m); free(m); }
    } else if (!strcmp(section, "forbidden") && !strcmp(key, "symbols")) {
        strv_append(&l->forbidden, val);
    } else if (!strcmp(section, "stress") && !strcmp(key, "repeats")) {
        l->stress_repeats = atoi(val);
    } else if (!strcmp(section, "perf")) {
        l->perf.present = 1;
        if (!strcmp(key, "points")) l->perf.points = atoi(val);
        else if (!strcmp(key, "test")) { free(l->perf.test); l->perf.test = xstrdup(val); }
        else if (!strcmp(key, "min_ratio")) l->perf.min_ratio = atof(val);
        else if (!strcmp(key, "runs")) l->perf.runs = atoi(val);
        else { char *m = xasprintf("[perf]: unknown key '%s'", key); set_error(l, m); free(m); }
    } else if (!strcmp(section, "bench")) {
        /* Read by lab.mk's bench rule; the grader never runs benchmarks. */
        if (strcmp(key, "programs") && strcmp(key, "peers") && strcmp(key, "pkgs") &&
            strcmp(key, "peer_cflags") && strcmp(key, "peer_ldlibs") && strcmp(key, "pairs") &&
            strcmp(key, "cargo") && strcmp(key, "go")) {
            char *m = xasprintf("[bench]: unknown key '%s'", key); set_error(l, m); free(m);
        }
    } else if (!strcmp(section, "race")) {
        stage_key(l, &l->race, "race", key, val);
    } else if (!strcmp(section, "memory")) {
        stage_key(l, &l->memory, "memory", key, val);
    } else {
        char *m = xasprintf("unknown setting [%s] %s", section, key);
        set_error(l, m);
        free(m);
    }
    return 1;
}

struct lab *lab_load(const char *dir, const char *slug)
{
    struct lab *l = xcalloc(1, sizeof *l);
    l->slug = xstrdup(slug);
    l->title = xstrdup(slug);
    l->stress_repeats = 1;
    l->race.slow = l->memory.slow = 1;
    char *path = xasprintf("%s/lab.conf", dir);
    /* inih cuts lines at 199 characters without a word: refuse them. */
    FILE *f = fopen(path, "r");
    if (f) {
        char line[4096];
        for (int n = 1; fgets(line, sizeof line, f); n++) {
            if (strlen(line) > 190) {
                char *m = xasprintf("%s: line %d is too long; go on over indented lines", path, n);
                set_error(l, m);
                free(m);
            }
        }
        fclose(f);
    }
    int r = ini_parse(path, on_key, l);
    if (r < 0) {
        char *m = xasprintf("cannot read %s", path);
        set_error(l, m);
        free(m);
    } else if (r > 0) {
        char *m = xasprintf("%s: syntax error on line %d", path, r);
        set_error(l, m);
        free(m);
    }
    free(path);
    if (!l->student_files)
        l->student_files = strv_split("", NULL);
    if (!l->student_files[0])
        set_error(l, "[lab] student_files is empty");
    if (!l->forbidden)
        l->forbidden = strv_split("", NULL);
    struct stage_conf *st[2] = {&l->race, &l->memory};
    for (int i = 0; i < 2; i++) {
        if (!st[i]->present)
            continue;
        if (!st[i]->tests)
            st[i]->tests = strv_split("", NULL);
        if (st[i]->ntools == 0 || !st[i]->tests[0])
            set_error(l, "a [race]/[memory] stage needs tool and tests");
        else if (st[i]->points % st[i]->ntools)
            set_error(l, "a stage's points must split evenly between its tools");
        if (st[i]->slow < 1)
            st[i]->slow = 1;
    }
    if (l->perf.present) {
        if (!l->perf.test || l->perf.min_ratio <= 0 || l->perf.min_ratio > 1)
            set_error(l, "[perf] needs test and a min_ratio in (0, 1]");
        if (l->perf.runs < 1)
            l->perf.runs = 3;
    }
    if (l->stress_repeats < 1)
        l->stress_repeats = 1;
    return l;
}

void lab_free(struct lab *l)
{
    if (!l)
        return;
    free(l->slug);
    free(l->title);
    strv_free(l->student_files);
    strv_free(l->forbidden);
    strv_free(l->race.tests);
    strv_free(l->memory.tests);
    free(l->perf.test);
    free(l->error);
    free(l);
}
