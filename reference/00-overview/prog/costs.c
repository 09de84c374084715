/*
 * costs.c - the lab's program (kit-owned, not graded): measure each
 * threading model with YOUR code, print a table of your figures next to the
 * reference solution's and the course outline's, and draw a plot.
 *
 *   make report                      (from labs/00-overview)
 *   build/plain/prog/costs [OUTDIR]  (OUTDIR defaults to build/report)
 *
 * Writes OUTDIR/costs.dat (the table, for gnuplot), OUTDIR/costs.gp (the
 * plot script) and, when gnuplot is installed, OUTDIR/costs.png.
 */
#include "cost.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reference solution's medians, measured with this program on the
 * kit's development machine (2-core x86-64 VM, Linux 6.x, Debian 12's
 * glibc 2.36, one core loaded by other work; see the handout). Yours will
 * differ: compare orders of magnitude and ratios, not digits. */
struct row {
    const char *name;    /* what is measured */
    const char *model;   /* plot group */
    const char *unit;    /* ns or bytes */
    double ref;          /* reference median (bytes for memory rows) */
    const char *outline; /* the course outline's claim, or "" */
};

enum { R_STEP, R_PROC, R_THREAD, R_UCTX, R_KSWITCH, R_USWITCH, R_TVIRT, R_TRSS, R_UVIRT,
       R_URSS, R_N };

static const struct row rows[R_N] = {
    [R_STEP] = {"clock step (smallest)", "", "ns", 28, "1 ns resolution"},
    [R_PROC] = {"process create+join", "process", "ns", 120000, "fork: tens of us"},
    [R_THREAD] = {"thread create+join", "thread", "ns", 14000, "~20 us per OS thread"},
    [R_UCTX] = {"ucontext create+join", "user", "ns", 850, "~300 ns per goroutine"},
    [R_KSWITCH] = {"kernel thread switch", "thread", "ns", 1800, "crosses the kernel"},
    [R_USWITCH] = {"user context switch", "user", "ns", 330, "no kernel transition"},
    [R_TVIRT] = {"thread: reserved", "thread", "bytes", 8280000, "8 MiB default stack"},
    [R_TRSS] = {"thread: committed", "thread", "bytes", 9000, "+ ~8 KiB kernel stack"},
    [R_UVIRT] = {"ucontext: reserved", "user", "bytes", 65536, "2-8 KiB (goroutine)"},
    [R_URSS] = {"ucontext: committed", "user", "bytes", 4096, ""},
};

struct fig {
    int rc;           /* 0, or why there is no figure */
    struct cost_summary s;
    double scale;     /* per-row divisor (a round = 2 switches) */
};

static struct fig figs[R_N];

static void bench(int r, cost_op_fn op, void *ctx, size_t batch, size_t count, double scale)
{
    figs[r].scale = scale;
    figs[r].rc = cost_bench(op, ctx, batch, count, count / 5, &figs[r].s);
}

static void one_value(int r, int rc, double v)
{
    figs[r].rc = rc;
    figs[r].scale = 1;
    memset(&figs[r].s, 0, sizeof figs[r].s);
    figs[r].s.n = 1;
    figs[r].s.min = figs[r].s.max = figs[r].s.mean = figs[r].s.median = v;
    figs[r].s.p90 = figs[r].s.p99 = v;
}

static const char *task_of(int r)
{
    switch (r) {
    case R_STEP: return "Task 2";
    case R_PROC: case R_THREAD: case R_UCTX: return "Tasks 1-3";
    case R_KSWITCH: case R_USWITCH: return "Tasks 1, 2, 4";
    default: return "Task 5";
    }
}

static void human(char *buf, size_t n, double v, const char *unit)
{
    if (!strcmp(unit, "bytes")) {
        if (v >= 1024 * 1024)
            snprintf(buf, n, "%.1f MiB", v / (1024 * 1024));
        else if (v >= 1024)
            snprintf(buf, n, "%.1f KiB", v / 1024);
        else
            snprintf(buf, n, "%.0f B", v);
    } else if (v >= 1e6) {
        snprintf(buf, n, "%.2f ms", v / 1e6);
    } else if (v >= 1e3) {
        snprintf(buf, n, "%.1f us", v / 1e3);
    } else {
        snprintf(buf, n, "%.0f ns", v);
    }
}

/* Batches of about a tenth of a millisecond (well under a time slice),
 * many samples, the first fifth discarded as warm-up. */
static void measure(void)
{
    one_value(R_STEP, 0, (double)cost_clock_step_ns(100000));
    if (figs[R_STEP].s.median == 0)
        figs[R_STEP].rc = ENOSYS;
    bench(R_PROC, cost_process_create_join, NULL, 1, 100, 1);
    bench(R_THREAD, cost_thread_create_join, NULL, 5, 100, 1);
    bench(R_UCTX, cost_ucontext_create_join, NULL, 100, 100, 1);

    struct cost_pingpong pp = {0};
    int rc = cost_pingpong_start(&pp);
    if (rc == 0) {
        bench(R_KSWITCH, cost_pingpong_round, &pp, 40, 200, 2);
        cost_pingpong_stop(&pp, NULL);
    } else {
        figs[R_KSWITCH].rc = rc;
    }
    struct cost_uswitch u;
    memset(&u, 0, sizeof u);
    rc = cost_uswitch_start(&u);
    if (rc == 0) {
        bench(R_USWITCH, cost_uswitch_round, &u, 200, 200, 2);
        cost_uswitch_stop(&u, NULL);
    } else {
        figs[R_USWITCH].rc = rc;
    }

    struct cost_mem m;
    rc = cost_thread_memory(64, &m);
    one_value(R_TVIRT, rc, rc ? 0 : m.virt_per);
    one_value(R_TRSS, rc, rc ? 0 : m.rss_per);
    rc = cost_ucontext_memory(64, 64 * 1024, &m);
    one_value(R_UVIRT, rc, rc ? 0 : m.virt_per);
    one_value(R_URSS, rc, rc ? 0 : m.rss_per);
}

static void print_table(void)
{
    printf("%-24s %11s %11s %11s %10s | %11s  %s\n", "what (per unit)", "yours:med", "p90",
           "min", "MAD", "reference", "course outline");
    printf("%.*s\n", 110, "------------------------------------------------------------------"
                          "------------------------------------------------------------");
    for (int r = 0; r < R_N; r++) {
        char med[32], p90[32], mn[32], mad[32], ref[32];
        human(ref, sizeof ref, rows[r].ref, rows[r].unit);
        if (figs[r].rc) {
            char why[64];
            snprintf(why, sizeof why, "(%s: %s)", strerrorname_np(figs[r].rc) ?
                     strerrorname_np(figs[r].rc) : "error", task_of(r));
            printf("%-24s %-45s | %11s  %s\n", rows[r].name, why, ref, rows[r].outline);
            continue;
        }
        const struct cost_summary *s = &figs[r].s;
        double k = figs[r].scale;
        human(med, sizeof med, s->median / k, rows[r].unit);
        if (s->n > 1) {
            human(p90, sizeof p90, s->p90 / k, rows[r].unit);
            human(mn, sizeof mn, s->min / k, rows[r].unit);
            human(mad, sizeof mad, s->mad / k, rows[r].unit);
        } else {
            strcpy(p90, "-");
            strcpy(mn, "-");
            strcpy(mad, "-");
        }
        printf("%-24s %11s %11s %11s %10s | %11s  %s\n", rows[r].name, med, p90, mn, mad, ref,
               rows[r].outline);
    }
}

/* Two bar charts (log scale): time to create+join and to switch; memory
 * reserved and committed. */
static int write_plot(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/costs.dat", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return errno;
    fprintf(f, "# label yours_median yours_p90 yours_min reference\n");
    static const int timed[] = {R_PROC, R_THREAD, R_UCTX, R_KSWITCH, R_USWITCH};
    static const int mem[] = {R_TVIRT, R_TRSS, R_UVIRT, R_URSS};
    for (int i = 0; i < 5; i++) {
        int r = timed[i];
        double k = figs[r].scale;
        if (figs[r].rc)
            fprintf(f, "\"%s\" NaN NaN NaN %g\n", rows[r].name, rows[r].ref);
        else
            fprintf(f, "\"%s\" %g %g %g %g\n", rows[r].name, figs[r].s.median / k,
                    figs[r].s.p90 / k, figs[r].s.min / k, rows[r].ref);
    }
    fprintf(f, "\n\n");
    for (int i = 0; i < 4; i++) {
        int r = mem[i];
        double v = figs[r].rc || figs[r].s.median <= 0 ? 0.0 / 0.0 : figs[r].s.median;
        fprintf(f, "\"%s\" %g %g %g %g\n", rows[r].name, v, v, v, rows[r].ref);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/costs.gp", dir);
    f = fopen(path, "w");
    if (!f)
        return errno;
    /* gnuplot refuses a histogram column with no valid point: a chart
     * shows "yours" only once at least one of its figures exists. */
    int have_t = 0, have_m = 0;
    for (int i = 0; i < 5; i++)
        have_t |= figs[timed[i]].rc == 0;
    for (int i = 0; i < 4; i++)
        have_m |= figs[mem[i]].rc == 0;
    fprintf(f,
            "# gnuplot costs.gp (run in this directory): writes costs.png\n"
            "set terminal pngcairo size 1100,520 font ',10' noenhanced\n"
            "set output 'costs.png'\n"
            "set multiplot layout 1,2 title 'The cost of each threading model (log scale)'\n"
            "set style data histogram\n"
            "set style histogram clustered gap 1\n"
            "set style fill solid 0.8 border -1\n"
            "set datafile missing 'NaN'\n"
            "set logscale y\n"
            "set grid ytics\n"
            "set xtics rotate by -25\n"
            "set key top right\n"
            "set title 'time per operation (ns): create+join, switch'\n"
            "plot %s'costs.dat' index 0 using 5:xtic(1) title 'reference (median)'\n"
            "set title 'memory per unit (bytes): reserved vs committed'\n"
            "plot %s'costs.dat' index 1 using 5:xtic(1) title 'reference'\n"
            "unset multiplot\n",
            have_t ? "'costs.dat' index 0 using 2:xtic(1) title 'yours (median)', " : "",
            have_m ? "'costs.dat' index 1 using 2:xtic(1) title 'yours', " : "");
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "build/report";
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (strchr(dir, '\'') || system(cmd) != 0) {
        fprintf(stderr, "costs: cannot create the directory %s\n", dir);
        return 2;
    }
    printf("Measuring with your code (a few seconds; keep the machine quiet for steadier "
           "figures)...\n\n");
    fflush(stdout);
    measure();
    print_table();
    printf("\nswitch = half a round trip; create+join = one whole life of a unit;\n"
           "reserved = VmSize delta per unit, committed = VmRSS delta per unit.\n");
    int rc = write_plot(dir);
    if (rc) {
        fprintf(stderr, "costs: cannot write the plot files in %s: %s\n", dir, strerror(rc));
        return 1;
    }
    if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof cmd, "cd '%s' && gnuplot costs.gp", dir);
        if (system(cmd) == 0)
            printf("\nPlot: %s/costs.png\n", dir);
        else
            printf("\ngnuplot failed; the data is in %s/costs.dat, the script in %s/costs.gp\n",
                   dir, dir);
    } else {
        printf("\nNo plot: gnuplot is not installed. Install it (Debian/Ubuntu: sudo apt-get "
               "install gnuplot-nox), then run: cd %s && gnuplot costs.gp\n", dir);
    }
    return 0;
}
