/* unit_tests.c - the grader's own tests: the result channel, the sandbox,
 * the runner against a misbehaving test binary (fixture.c), the manifest
 * and the reports. Run from grader/build (make -C grader test). */
#define _GNU_SOURCE
#include "tl_harness.h"
#include "tl.h"
#include "../include/tl_proto.h"

#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------- the result channel ---------------- */

TL_TEST(proto_escape_round_trip, 0, 10, "proto")
{
    const char *in = "line one\nback\\slash\ttab";
    char esc[256];
    tl_proto_escape(in, esc, sizeof esc);
    tl_check(strchr(esc, '\n') == NULL, "escaped text still has a newline: %s", esc);
    tl_proto_unescape(esc);
    tl_check(strcmp(esc, "line one\nback\\slash tab") == 0, "round trip gave '%s'", esc);
}

TL_TEST(proto_result_parsing, 0, 10, "proto")
{
    const char *nonce = "0123456789abcdef0123456789abcdef";
    char *msg;
    int bad;
    char chan[1024];
    snprintf(chan, sizeof chan, "TL1 %s RESULT a PASS\nTL1 %s RESULT b FAIL x\\ny\n"
             "TL1 ffffffffffffffffffffffffffffffff RESULT c PASS\n", nonce, nonce);
    tl_check(proto_find_result(chan, nonce, "a", &msg, &bad) == 1, "PASS for a not found");
    tl_check(proto_find_result(chan, nonce, "b", &msg, &bad) == 0 && !strcmp(msg, "x\ny"),
             "FAIL for b, message '%s'", msg ? msg : "(null)");
    free(msg);
    tl_check(proto_find_result(chan, nonce, "c", &msg, &bad) == -1 && bad == 1,
             "a wrong-nonce PASS must not count (bad=%d)", bad);
    snprintf(chan, sizeof chan, "TL1 %s RESULT a PASS\nTL1 %s RESULT a PASS\n", nonce, nonce);
    tl_check(proto_find_result(chan, nonce, "a", &msg, &bad) == 0, "two verdicts must fail");
    free(msg);
}

/* ---------------- the sandbox ---------------- */

TL_TEST(sandbox_captures_output_and_status, 0, 10, "sandbox")
{
    char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    struct sb_opts o = {.argv = argv, .timeout_s = 10, .out_cap = 4096};
    struct sb_result r;
    tl_check(sb_run(&o, &r) == 0, "sb_run failed: %s", r.out);
    tl_check(r.exited && r.code == 3, "exit status: exited=%d code=%d", r.exited, r.code);
    tl_check(strstr(r.out, "out\n") && strstr(r.out, "err\n"), "output was '%s'", r.out);
    sb_result_free(&r);
}

TL_TEST(sandbox_timeout_kills_whole_group, 0, 20, "sandbox")
{
    /* The shell leaves a background child that holds the output pipe. */
    char *argv[] = {"sh", "-c", "sleep 300 & sleep 300", NULL};
    struct sb_opts o = {.argv = argv, .timeout_s = 1, .out_cap = 4096};
    struct sb_result r;
    double t0 = tl_now();
    sb_run(&o, &r);
    double took = tl_now() - t0;
    tl_check(r.timed_out, "the command was not reported as timed out");
    tl_check(took < 10, "sb_run returned only after %.1f s: the background child kept it waiting", took);
    sb_result_free(&r);
}

TL_TEST(sandbox_caps_output, 0, 20, "sandbox")
{
    char *argv[] = {"sh", "-c", "head -c 1000000 /dev/zero | tr '\\0' x", NULL};
    struct sb_opts o = {.argv = argv, .timeout_s = 10, .out_cap = 1000};
    struct sb_result r;
    sb_run(&o, &r);
    tl_check(r.out_len == 1000 && r.elided == 999000, "kept %zu, elided %zu", r.out_len, r.elided);
    sb_result_free(&r);
}

TL_TEST(sandbox_reports_missing_program, 0, 10, "sandbox")
{
    char *argv[] = {"/nonexistent/program", NULL};
    struct sb_opts o = {.argv = argv, .timeout_s = 10};
    struct sb_result r;
    tl_check(sb_run(&o, &r) == -1 && !r.started, "a missing program must be reported");
    sb_result_free(&r);
}

/* ---------------- the runner, against fixture.c ---------------- */

static char fixture_dir[PATH_MAX];

static int run_fixture(const char *name, uint64_t seed, char **why)
{
    if (!fixture_dir[0])
        tl_check(getcwd(fixture_dir, sizeof fixture_dir) != NULL, "getcwd");
    struct test_info t = {.name = (char *)name, .binary = "fixture", .timeout_s = 10};
    if (!strcmp(name, "hangs_with_children"))
        t.timeout_s = 2;
    struct run_ctx c = {.stage_dir = fixture_dir, .variant_dir = "", .seed = seed,
                        .timeout_scale = 1, .replay = "REPLAY-CMD"};
    double secs;
    return run_one(&c, &t, why, &secs);
}

TL_TEST(runner_pass, 0, 20, "runner")
{
    char *why;
    tl_check(run_fixture("ok", 0, &why) == 1, "a passing test failed: %s", why);
}

TL_TEST(runner_failure_message_and_replay, 0, 20, "runner")
{
    char *why;
    tl_check(run_fixture("fails_with_message", 0, &why) == 0, "a failing test passed");
    tl_check(strstr(why, "the answer was 41") && strstr(why, "REPLAY-CMD"),
             "the message must carry the test's words and the replay command:\n%s", why);
    free(why);
}

TL_TEST(runner_printed_pass_is_not_a_pass, 0, 20, "runner")
{
    char *why;
    tl_check(run_fixture("prints_fake_pass", 0, &why) == 0, "printed success text counted as a pass");
    tl_check(strstr(why, "without reporting a result"), "reason: %s", why);
    free(why);
    tl_check(run_fixture("forges_channel", 0, &why) == 0, "a forged channel record counted as a pass");
    tl_check(strstr(why, "wrong nonce"), "the forgery should be noted: %s", why);
    free(why);
}

TL_TEST(runner_exit_and_signals, 0, 20, "runner")
{
    char *why;
    tl_check(run_fixture("exits_early", 0, &why) == 0, "exit(0) mid-test counted as a pass");
    free(why);
    tl_check(run_fixture("killed_by_signal", 0, &why) == 0 && strstr(why, "SIGKILL"),
             "a killed test: %s", why);
    free(why);
    tl_check(run_fixture("passes_then_exit_code", 0, &why) == 0 && strstr(why, "SIGABRT"),
             "a test that passes then aborts at exit must fail: %s", why);
    free(why);
}

TL_TEST(runner_hang_is_killed_with_its_children, 0, 30, "runner")
{
    char *why;
    double t0 = tl_now();
    tl_check(run_fixture("hangs_with_children", 0, &why) == 0 && strstr(why, "timed out"),
             "a hanging test: %s", why);
    tl_check(tl_now() - t0 < 15, "the runner waited %.1f s for a 2 s timeout", tl_now() - t0);
    free(why);
}

TL_TEST(runner_output_flood_is_capped, 0, 30, "runner")
{
    char *why;
    tl_check(run_fixture("floods_output", 0, &why) == 0, "flood test passed");
    tl_check(strstr(why, "flooded") && strstr(why, "elided"), "message: %.300s", why);
    tl_check(strlen(why) < 8192, "the failure text is %zu bytes: the cap did not hold", strlen(why));
    free(why);
}

TL_TEST(runner_passes_the_seed, 0, 20, "runner")
{
    char *why;
    tl_check(run_fixture("uses_seed", 12345, &why) == 1, "seed not passed: %s", why);
    tl_check(run_fixture("uses_seed", 777, &why) == 0, "a different seed must change the run");
    free(why);
}

/* ---------------- the manifest ---------------- */

static char *write_conf(const char *text)
{
    char *dir = xstrdup("/tmp/tl-unit-XXXXXX");
    tl_check(mkdtemp(dir) != NULL, "mkdtemp");
    char *p = xasprintf("%s/lab.conf", dir);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    free(p);
    return dir;
}

TL_TEST(manifest_parses, 0, 10, "lab")
{
    char *d = write_conf("[lab]\ntitle = T\nhours = 6\nstudent_files = src/a.c src/b.S\n"
                         "[forbidden]\nsymbols = pthread_create ; a comment\n  swapcontext\n[stress]\nrepeats = 4\n"
                         "[race]\ntool = tsan helgrind\npoints = 10\ntests = x y\nslow = 5\n"
                         "[memory]\ntool = valgrind\npoints = 5\ntests = x\n");
    struct lab *l = lab_load(d, "99-t");
    tl_check(!l->error, "error: %s", l->error);
    tl_check(!strcmp(l->student_files[1], "src/b.S") && !l->student_files[2], "student files");
    tl_check(strv_has(l->forbidden, "swapcontext"), "forbidden list");
    tl_check(l->stress_repeats == 4 && l->race.ntools == 2 && l->race.tools[1] == TOOL_HELGRIND &&
             l->race.points == 10 && l->race.slow == 5 && l->memory.tools[0] == TOOL_MEMCHECK,
             "stages parsed wrong");
    lab_free(l);
    rm_rf(d);
    free(d);
}

TL_TEST(manifest_errors_are_reported, 0, 10, "lab")
{
    char *d = write_conf("[lab]\nstudent_files = src/a.c\n[race]\ntool = valgrind\npoints = 3\ntests = x\n");
    struct lab *l = lab_load(d, "99-t");
    tl_check(l->error && strstr(l->error, "not a race tool"), "error: %s", l->error ? l->error : "(none)");
    lab_free(l);
    rm_rf(d);
    free(d);
    d = write_conf("[lab]\ntitle = x\n");
    l = lab_load(d, "99-t");
    tl_check(l->error != NULL, "a lab without student files must be an error");
    lab_free(l);
    rm_rf(d);
    free(d);
}

/* ---------------- reports ---------------- */

TL_TEST(xml_escaping, 0, 10, "report")
{
    char *s = xml_escape("a<b & \"c\" \x01 \xc3\xa9 \xff");
    tl_check(!strcmp(s, "a&lt;b &amp; &quot;c&quot; ? \xc3\xa9 ?"), "escaped: %s", s);
    free(s);
}

TL_TEST(results_json_is_gradescope_shaped, 0, 10, "report")
{
    struct item items[2] = {
        {.name = "99-x/a", .score = 3, .max = 3, .passed = 1, .output = ""},
        {.name = "99-x/b", .score = 0, .max = 2, .passed = 0, .output = "why\n", .hidden = 1},
    };
    struct lab_report l = {.slug = "99-x", .title = "X", .items = items, .nitems = 2,
                           .score = 3, .max = 5, .build_ok = 1};
    char path[] = "/tmp/tl-unit-json-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    tl_check(report_json(path, &l, 1, 1.5, "student", NULL) == 0, "report_json failed");
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    tl_check(j != NULL, "results.json does not parse: %s", e.text);
    tl_check(json_real_value(json_object_get(j, "score")) == 3, "score");
    json_t *t = json_array_get(json_object_get(j, "tests"), 1);
    tl_check(!strcmp(json_string_value(json_object_get(t, "status")), "failed") &&
             !strcmp(json_string_value(json_object_get(t, "visibility")), "after_published") &&
             json_real_value(json_object_get(t, "max_score")) == 2,
             "test entry fields");
    json_decref(j);
    unlink(path);
}

TL_TEST(runner_reads_metric, 0, 20, "runner")
{
    if (!fixture_dir[0])
        tl_check(getcwd(fixture_dir, sizeof fixture_dir) != NULL, "getcwd");
    struct test_info t = {.name = "reports_metric", .binary = "fixture", .timeout_s = 10};
    double m = 0, secs;
    char *why;
    struct run_ctx c = {.stage_dir = fixture_dir, .variant_dir = "", .timeout_scale = 1, .metric = &m};
    tl_check(run_one(&c, &t, &why, &secs) == 1, "metric test failed: %s", why);
    tl_check(m == 1234.5, "metric read back as %g, reported 1234.5", m);
}

TL_TEST(runner_turns_perturbation_on_for_stress, 0, 30, "runner")
{
    if (!fixture_dir[0])
        tl_check(getcwd(fixture_dir, sizeof fixture_dir) != NULL, "getcwd");
    struct test_info t = {.name = "perturbation_follows_env", .binary = "fixture", .timeout_s = 20};
    double secs;
    char *why;
    for (int on = 0; on < 2; on++) {
        struct run_ctx c = {.stage_dir = fixture_dir, .variant_dir = "", .timeout_scale = 1,
                            .seed = 99, .perturb = on};
        tl_check(run_one(&c, &t, &why, &secs) == 1, "with perturb=%d: %s", on, why);
    }
}
