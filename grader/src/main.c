/*
 * tl-grade - the threadlab grader.
 *
 *   tl-grade [--lab NN]...                 grade labs/ as a student would (public tests)
 *   tl-grade --reference [--lab NN]...     grade reference/ (public + hidden tests)
 *   tl-grade --submission DIR [--lab NN]   grade a student's checkout: only the
 *                                          student-owned files are taken from it
 * Options: --out DIR (default grades/), --jobs N, --seed N, --strict,
 *          --no-hidden / --hidden, --stages tests,race,memory, --keep, --kit DIR,
 *          --fail-fast.
 * Exit status: 0 when grading completed, whatever the score (1 with --strict
 * below full marks); 2 for a usage or setup error.
 */
#define _GNU_SOURCE
#include "tl.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tl-grade [--reference | --submission DIR] [--lab NN]... [options]\n"
            "       tl-grade batch SUBMISSIONS_DIR [batch options]   (grader/tools/batch.py --help)\n"
            "  (default)          grade labs/ as a student would: public tests\n"
            "  --reference        grade the reference solutions, public and hidden tests\n"
            "  --submission DIR   grade a student's checkout (its labs/NN-slug/ student files)\n"
            "  --lab NN           only this lab (NN or NN-slug); may repeat\n"
            "  --out DIR          where results.json and junit.xml go (default grades)\n"
            "  --jobs N           tests run at once (default: number of CPUs)\n"
            "  --seed N           base seed for stress tests (replays a whole grading run)\n"
            "  --hidden/--no-hidden  run hidden tests (default: on for --reference/--submission)\n"
            "  --stages LIST      subset of tests,race,memory (default all)\n"
            "  --strict           exit 1 when the score is below full marks\n"
            "  --keep             keep the staging directories (printed)\n"
            "  --fail-fast        stop grading a lab at its first failure (mutation runs)\n"
            "  --test NAME        run only this test (may repeat; the tests stage only)\n"
            "  --kit DIR          the kit's root (default: found from this program's path)\n");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Labs NN-slug in DIR that have a lab.conf, sorted. */
static char **find_labs(const char *dir, size_t *n)
{
    char **v = xcalloc(128, sizeof *v);
    size_t k = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) && k < 127) {
        if (!(e->d_name[0] >= '0' && e->d_name[0] <= '9' && e->d_name[1] >= '0' &&
              e->d_name[1] <= '9' && e->d_name[2] == '-'))
            continue;
        char *conf = xasprintf("%s/%s/lab.conf", dir, e->d_name);
        if (path_exists(conf))
            v[k++] = xstrdup(e->d_name);
        free(conf);
    }
    if (d)
        closedir(d);
    qsort(v, k, sizeof *v, cmp_str);
    *n = k;
    return v;
}

static int lab_selected(char **want, const char *slug)
{
    if (!want || !want[0])
        return 1;
    for (char **w = want; *w; w++) {
        size_t n = strlen(*w);
        if (!strcmp(*w, slug) || (!strncmp(*w, slug, n) && slug[n] == '-'))
            return 1;
    }
    return 0;
}

static char *kit_from_exe(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    /* <kit>/grader/build/tl-grade */
    for (int i = 0; i < 3; i++) {
        char *s = strrchr(exe, '/');
        if (!s)
            return NULL;
        *s = '\0';
    }
    return xstrdup(exe);
}

int main(int argc, char **argv)
{
    /* tl-grade batch DIR ...: a whole class, one grading per submission
     * (grader/tools/batch.py, which calls this program for each). */
    if (argc > 1 && !strcmp(argv[1], "batch")) {
        char *kitdir = kit_from_exe();
        char *tool = kitdir ? xasprintf("%s/grader/tools/batch.py", kitdir) : NULL;
        if (!tool || !path_exists(tool)) {
            fprintf(stderr, "tl-grade batch: cannot find grader/tools/batch.py\n");
            return 2;
        }
        char **av = xcalloc((size_t)argc + 2, sizeof *av);
        av[0] = "python3";
        av[1] = tool;
        for (int i = 2; i < argc; i++)
            av[i] = argv[i];
        execvp("python3", av);
        fprintf(stderr, "tl-grade batch: cannot run python3: %s\n", strerror(errno));
        return 2;
    }
    struct grade_opts g = {0};
    const char *out = "grades";
    char *kit = NULL;
    char *labsel = xstrdup("");
    int strict = 0, hidden = -1, have_seed = 0;
    char *onlysel = NULL; /* --test names, space-separated */
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    g.mode = MODE_STUDENT;
    static const struct option opts[] = {
        {"reference", no_argument, 0, 'r'}, {"submission", required_argument, 0, 's'},
        {"lab", required_argument, 0, 'l'}, {"out", required_argument, 0, 'o'},
        {"jobs", required_argument, 0, 'j'}, {"seed", required_argument, 0, 'S'},
        {"strict", no_argument, 0, 'x'}, {"hidden", no_argument, 0, 'H'},
        {"no-hidden", no_argument, 0, 'N'}, {"stages", required_argument, 0, 'g'},
        {"keep", no_argument, 0, 'k'}, {"kit", required_argument, 0, 'K'},
        {"fail-fast", no_argument, 0, 'F'}, {"test", required_argument, 0, 'T'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "rs:l:o:j:S:xHNg:kK:FT:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': g.mode = MODE_REFERENCE; break;
        case 's': g.mode = MODE_SUBMISSION; g.submission = optarg; break;
        case 'l': { char *t = xasprintf("%s %s", labsel, optarg); free(labsel); labsel = t; break; }
        case 'o': out = optarg; break;
        case 'j': jobs = atol(optarg); break;
        case 'S': g.seed = strtoull(optarg, NULL, 0); have_seed = 1; break;
        case 'x': strict = 1; break;
        case 'H': hidden = 1; break;
        case 'N': hidden = 0; break;
        case 'g': g.stages = strv_split(optarg, NULL); break;
        case 'k': g.keep = 1; break;
        case 'F': g.fail_fast = 1; break;
        case 'T': { char *t = xasprintf("%s %s", onlysel ? onlysel : "", optarg); free(onlysel); onlysel = t; break; }
        case 'K': kit = realpath(optarg, NULL); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (onlysel) { /* a few named tests: the other stages would need the rest */
        g.only = strv_split(onlysel, NULL);
        strv_free(g.stages);
        g.stages = strv_split("tests", NULL);
        free(onlysel);
    }
    signal(SIGPIPE, SIG_IGN);
    if (!kit)
        kit = kit_from_exe();
    if (!kit || !is_dir(kit)) {
        fprintf(stderr, "tl-grade: cannot find the kit's root; pass --kit DIR\n");
        return 2;
    }
    g.kit = kit;
    g.jobs = jobs < 1 ? 1 : (int)jobs;
    char *ref = xasprintf("%s/reference", kit);
    int have_ref = is_dir(ref);
    g.hidden = hidden >= 0 ? hidden : (g.mode != MODE_STUDENT && have_ref);
    if (g.mode == MODE_REFERENCE && !have_ref) {
        fprintf(stderr, "tl-grade: --reference needs %s, which this copy of the kit does not have\n", ref);
        return 2;
    }
    if (g.mode == MODE_SUBMISSION && !is_dir(g.submission)) {
        fprintf(stderr, "tl-grade: submission '%s' is not a directory\n", g.submission);
        return 2;
    }
    char *subabs = g.submission ? realpath(g.submission, NULL) : NULL;
    if (subabs)
        g.submission = subabs;
    if (!have_seed) {
        if (getrandom(&g.seed, sizeof g.seed, 0) != sizeof g.seed)
            g.seed = mix64((uint64_t)now_s() * 1000003u ^ (uint64_t)getpid());
        g.seed &= 0xffffffffull;
    }
    char work[] = "/tmp/tl-grade-XXXXXX";
    if (!mkdtemp(work)) {
        fprintf(stderr, "tl-grade: cannot create a work directory: %s\n", strerror(errno));
        return 2;
    }
    g.work = work;
    /* Tests may run as other uids: they must reach the staged binaries
     * (traverse, not list) and read what the build writes. */
    umask(022);
    chmod(work, 0711);
    sb_isolation_init(kit, work, g.submission);
    char *supp = xasprintf("%s/grader/valgrind/helgrind.supp", kit);
    if (path_exists(supp))
        tl_helgrind_supp = xasprintf("--suppressions=%s", supp);
    free(supp);

    char *labroot = g.mode == MODE_REFERENCE || (g.mode == MODE_SUBMISSION && have_ref)
                        ? xstrdup(ref) : xasprintf("%s/labs", kit);
    size_t nl;
    char **labs = find_labs(labroot, &nl);
    char **want = strv_split(labsel, NULL);
    struct lab_report *reps = xcalloc(nl, sizeof *reps);
    size_t nr = 0;
    const char *mode = g.mode == MODE_REFERENCE ? "reference" : g.mode == MODE_SUBMISSION ? "submission" : "student";
    printf("threadlab grader: %s mode, %s tests, seed %llu, %d job(s)\n", mode,
           g.hidden ? "public and hidden" : "public", (unsigned long long)g.seed, g.jobs);
    if (g.mode == MODE_SUBMISSION)
        printf("submission: %s (only each lab's student files are taken from it)\n", g.submission);
    printf("isolation: %s\n", sb_isolation_note());
    double t0 = now_s();
    for (size_t i = 0; i < nl; i++) {
        if (!lab_selected(want, labs[i]))
            continue;
        printf("\n== %s\n", labs[i]);
        fflush(stdout);
        struct lab_report *r = &reps[nr++];
        pipeline_grade_lab(&g, labs[i], r);
        if (!r->build_ok && r->build_log && *r->build_log)
            printf("  build failed; the compiler said:\n%s\n", tail_lines(r->build_log, 25));
        else if (r->build_log && (strstr(r->build_log, "warning:")))
            printf("  build warnings:\n%s\n", tail_lines(r->build_log, 15));
        for (size_t k = 0; k < r->nitems; k++)
            report_item_line(&r->items[k]);
        if (r->note)
            printf("  note: %s", r->note);
        printf("  %s: %g/%g  (%.1f s)\n", r->slug, r->score, r->max, r->time_s);
        fflush(stdout);
    }
    if (nr == 0) {
        fprintf(stderr, "tl-grade: no lab matched%s%s (labs are in %s)\n",
                labsel[0] ? ":" : "", labsel, labroot);
        rm_rf(work);
        return 2;
    }
    double secs = now_s() - t0, score = 0, max = 0;
    for (size_t i = 0; i < nr; i++) {
        score += reps[i].score;
        max += reps[i].max;
    }
    mkdir_p(out);
    char *jp = xasprintf("%s/results.json", out), *xp = xasprintf("%s/junit.xml", out);
    struct report_env renv = {.kit = kit, .isolation = sb_isolation_note(), .seed = g.seed, .jobs = g.jobs};
    int werr = report_json(jp, reps, nr, secs, mode, &renv) != 0;
    werr |= report_junit(xp, reps, nr) != 0;
    printf("\n");
    if (!g.hidden)
        printf("Public tests and stages only: each lab's hidden tests carry the rest of its 100 points\n"
               "and run when the staff grade%s.\n",
               have_ref ? " (or here: make grade HIDDEN=1)" : "");
    printf("Reports: %s, %s\n", jp, xp);
    printf("Time: %.1f s\n", secs);
    printf("Score: %g/%g\n", score, max);
    if (werr)
        fprintf(stderr, "tl-grade: could not write the reports in %s\n", out);
    if (g.keep)
        printf("staging kept in %s\n", work);
    else
        rm_rf(work);
    for (size_t i = 0; i < nr; i++)
        lab_report_free(&reps[i]);
    free(reps);
    strv_free(labs);
    strv_free(want);
    free(labroot);
    free(ref);
    free(jp);
    free(xp);
    free(labsel);
    if (werr)
        return 2;
    return strict && score < max ? 1 : 0;
}
