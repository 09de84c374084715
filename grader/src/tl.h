/*
 * tl.h - types shared by the grader's modules.
 *
 *   main (CLI) -> pipeline (one lab's stages in order)
 *   pipeline   -> build (one variant in a staging copy) -> sandbox
 *              -> run (one test in the sandbox, reads the result channel)
 *              -> report (terminal table, results.json, junit.xml)
 *   everything -> lab (the manifest) and the result types below
 */
#ifndef TL_H
#define TL_H

#include <stddef.h>
#include <stdint.h>

/* ---------------- util.c ---------------- */

/* A growable byte buffer; always NUL-terminated when len > 0 or after sb_init. */
struct buf {
    char *p;
    size_t len, cap;
};
void buf_init(struct buf *b);
void buf_add(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
__attribute__((format(printf, 2, 3))) void buf_printf(struct buf *b, const char *fmt, ...);
void buf_free(struct buf *b);

__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);
void *xcalloc(size_t n, size_t sz);
char *xstrdup(const char *s);
int rm_rf(const char *path);
int mkdir_p(const char *path);
int path_exists(const char *path);
int is_dir(const char *path);
/* Split on spaces/tabs; returns a NULL-terminated vector (free with strv_free). */
char **strv_split(const char *s, size_t *n);
void strv_free(char **v);
int strv_has(char *const *v, const char *s);
/* Last n lines of text (pointer into s). */
const char *tail_lines(const char *s, int n);
/* Copy of the first n lines of text. */
char *head_lines(const char *s, int n);
uint64_t mix64(uint64_t x);
double now_s(void);

/* ---------------- lab.c: the manifest ---------------- */

enum tool {
    TOOL_NONE, TOOL_TSAN, TOOL_HELGRIND, TOOL_DRD, TOOL_MEMCHECK, TOOL_ASAN
};
const char *tool_name(enum tool t);

struct stage_conf {
    int present;
    enum tool tools[4];
    int ntools;
    int points;
    char **tests;     /* names of the tests run under the tool */
    int slow;         /* TL_SLOW for these runs */
};

struct lab {
    char *slug;          /* "02-green-threads" */
    char *title;
    double hours;
    char **student_files;
    char **forbidden;
    int stress_repeats;
    int windows;         /* [lab] platform = windows: mingw-w64 build, tests under Wine */
    struct stage_conf race, memory;
    struct {                 /* [perf]: one test's METRIC, student vs reference */
        int present, points, runs;
        char *test;
        double min_ratio;
    } perf;
    char *error;         /* set when the manifest is broken */
};

/* Parse DIR/lab.conf. Always returns a lab; lab->error says what is wrong. */
struct lab *lab_load(const char *dir, const char *slug);
void lab_free(struct lab *l);

/* ---------------- sandbox.c ---------------- */

struct sb_opts {
    char **argv;            /* argv[0] is a path or a name looked up in PATH */
    char **env_extra;       /* "K=V" strings added to the environment, or NULL */
    const char *cwd;        /* working directory; NULL: a fresh scratch dir */
    int timeout_s;          /* wall clock; everything in the group is killed */
    size_t out_cap;         /* bytes of output kept; the rest is counted */
    int channel;            /* 1: open the result channel with a fresh nonce */
    int limits;             /* 1: apply the test resource limits */
    long cpu_s;             /* RLIMIT_CPU when limits (0: 4x timeout) */
    long mem_mb;            /* RLIMIT_AS when limits: 0 default, < 0 none */
};

/* Address space a test gets unless sb_opts.mem_mb says otherwise. */
#define SB_DEFAULT_MEM_MB 4096L

struct sb_result {
    int started;            /* 0: could not start (error in out) */
    int exited, code, signaled, sig, timed_out;
    char *out;              /* stdout+stderr, up to out_cap */
    size_t out_len;
    size_t elided;          /* bytes beyond the cap, drained and dropped */
    char *chan;             /* raw result-channel bytes */
    size_t chan_len;
    char nonce[40];
    double wall_s;
    int leftovers;          /* processes it left running, found and killed */
};

int sb_run(const struct sb_opts *o, struct sb_result *r);
/* Probe once, before any thread: which namespaces and per-test uids the
 * untrusted runs get. kit, work and submission (each may be NULL) are
 * read-only for them. */
void sb_isolation_init(const char *kit, const char *work, const char *submission);
/* Root with TL_BUILD_USER: make DIR the build user's, so builds (which run
 * as that user) can write in it. 0, or -1 with errno. */
int sb_give_to_builder(const char *dir);
/* One line: the isolation in force, for the report. */
const char *sb_isolation_note(void);
void sb_result_free(struct sb_result *r);
/* The full path of an executable found in PATH, or NULL. */
char *sb_which(const char *name);
/* "killed by SIGSEGV (segmentation fault)" etc; static storage. */
const char *sb_describe_signal(int sig);

/* ---------------- run.c: tests and their results ---------------- */

struct test_info {
    char *name;
    char *binary;       /* relative to the staging dir, e.g. build/plain/tests/test_basics */
    int points, timeout_s;
    char **tags;
    int hidden;         /* from hidden/ */
};

/* One graded item: a test, a stage, or a build/manifest failure. */
struct item {
    char *name;         /* "02-green-threads/join_waits_for_exit" */
    double score, max;
    int passed;
    char *output;       /* what the student reads: message, then details */
    char **tags;
    int hidden;
    double time_s;
};

/* "--suppressions=<kit>/grader/valgrind/helgrind.supp" when that file
 * exists (set once in main), else NULL: reports from inside glibc. */
extern char *tl_helgrind_supp;

struct run_ctx {
    const char *stage_dir;   /* staging copy of the lab (absolute) */
    const char *variant_dir; /* "build/plain" etc */
    enum tool tool;
    int slow;
    uint64_t seed;           /* 0: none */
    int timeout_scale;
    const char *replay;      /* how to replay, shown on failure */
    double *metric;          /* if set: gets the test's METRIC value (NAN if none) */
    int perturb;             /* 1: TL_PERTURB=1, schedule perturbation on */
};

/* Ask each test binary in DIR/<variant>/{tests,hidden} for its tests,
 * allowing each list_s seconds (10 for a Linux lab; a Windows lab's binary
 * starts Wine first, seconds on a loaded machine). */
int run_list_tests(const char *stage_dir, const char *variant_dir, int list_s,
                   struct test_info **out, size_t *n, struct buf *err);
void test_info_free(struct test_info *t, size_t n);

/* Run one test once. Returns 1 if it passed; *why gets the reason. */
int run_one(const struct run_ctx *c, const struct test_info *t, char **why,
            double *secs);

/* Parse a channel for the RESULT of test NAME. Returns 1 PASS, 0 FAIL
 * (message in *msg), -1 none; *bad counts records with a wrong nonce. */
int proto_find_result(const char *chan, const char *nonce, const char *name,
                      char **msg, int *bad);

/* The first METRIC value the test reported for NAME, or NAN. */
double proto_find_metric(const char *chan, const char *nonce, const char *name);

/* ---------------- pipeline.c ---------------- */

enum mode { MODE_STUDENT, MODE_REFERENCE, MODE_SUBMISSION };

struct grade_opts {
    const char *kit;         /* the kit's root (absolute) */
    enum mode mode;
    const char *submission;  /* MODE_SUBMISSION: the student's checkout */
    int hidden;              /* run hidden tests */
    int jobs;
    uint64_t seed;
    int quiet;
    int keep;                /* keep the staging dirs */
    const char *work;        /* where staging dirs go */
    char **stages;           /* NULL: all; else subset of build,tests,race,memory */
    int fail_fast;           /* stop a lab at its first failure (mutation runs) */
    char **only;             /* NULL: every test; else only these (--test; tests stage only) */
};

struct lab_report {
    char *slug, *title;
    struct item *items;
    size_t nitems;
    double score, max;
    double time_s;
    int build_ok;
    char *build_log;
    char *note;              /* e.g. "hidden tests not run" */
};

int pipeline_grade_lab(const struct grade_opts *g, const char *slug,
                       struct lab_report *rep);
void lab_report_free(struct lab_report *r);

/* ---------------- report.c ---------------- */

void report_item_line(const struct item *it);
/* Recorded in results.json (extra_data.environment). */
struct report_env {
    const char *kit, *isolation;
    uint64_t seed;
    int jobs;
};
int report_json(const char *path, const struct lab_report *labs, size_t n,
                double secs, const char *mode, const struct report_env *env);
int report_junit(const char *path, const struct lab_report *labs, size_t n);
/* XML text escaping; caller frees. */
char *xml_escape(const char *s);

#endif
