/*
 * report.c - what the grader says: a line per item on the terminal,
 * results.json in the Gradescope format (written with jansson), junit.xml.
 */
#define _GNU_SOURCE
#include "tl.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

void report_item_line(const struct item *it)
{
    int color = isatty(1);
    const char *st = it->passed ? (color ? "\033[32mPASS\033[0m" : "PASS")
                                : (color ? "\033[31mFAIL\033[0m" : "FAIL");
    printf("  %s %5g/%-3g %6.2fs  %s%s\n", st, it->score, it->max, it->time_s, it->name,
           it->hidden ? "  (hidden)" : "");
    if (!it->passed && it->output && *it->output) {
        /* The message and the replay command; the test's own output stays
         * in results.json. */
        char *h = head_lines(it->output, 7);
        for (char *line = strtok(h, "\n"); line; line = strtok(NULL, "\n")) {
            if (strstr(line, "--- last lines of the test's output"))
                break;
            printf("         | %s\n", line);
        }
        free(h);
    }
}

static json_t *tags_json(char **tags)
{
    json_t *a = json_array();
    for (char **t = tags; t && *t; t++)
        json_array_append_new(a, json_string(*t));
    return a;
}

/* Keep what Gradescope shows readable: the first 8 KiB of an output. */
static json_t *text_json(const char *s)
{
    if (!s)
        return json_string("");
    size_t n = strlen(s);
    if (n <= 8192)
        return json_stringn(s, n);
    char *t = xasprintf("%.8192s\n... (%zu more bytes)", s, n - 8192);
    json_t *j = json_string(t);
    free(t);
    return j;
}

/* First line a trusted command prints, or "unknown". */
static json_t *first_line_of(const char *cmd)
{
    char line[512] = "";
    FILE *f = popen(cmd, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        pclose(f);
    }
    line[strcspn(line, "\n")] = '\0';
    return json_string(line[0] ? line : "unknown");
}

/* What a regrade needs to reproduce this one, or to explain a difference. */
static json_t *environment_json(const struct report_env *e)
{
    json_t *o = json_object();
    struct utsname u;
    json_object_set_new(o, "kernel", uname(&u) == 0 ? json_sprintf("%s %s %s", u.sysname, u.release, u.machine)
                                                    : json_string("unknown"));
    json_object_set_new(o, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(o, "jobs", json_integer(e->jobs));
    json_object_set_new(o, "seed", json_integer((json_int_t)e->seed));
    json_object_set_new(o, "gcc", first_line_of("gcc --version 2>/dev/null"));
    json_object_set_new(o, "valgrind", first_line_of("valgrind --version 2>/dev/null"));
    /* A kit without .git (the Docker image) keeps its commit in .kit-commit. */
    char *git = xasprintf("git -C '%s' rev-parse HEAD 2>/dev/null || cat '%s/.kit-commit' 2>/dev/null",
                          e->kit, e->kit);
    json_object_set_new(o, "kit_commit", first_line_of(git));
    free(git);
    json_object_set_new(o, "kit", json_string(e->kit));
    json_object_set_new(o, "isolation", json_string(e->isolation));
    json_object_set_new(o, "running_as_root", json_boolean(geteuid() == 0));
    return o;
}

int report_json(const char *path, const struct lab_report *labs, size_t n,
                double secs, const char *mode, const struct report_env *env)
{
    json_t *root = json_object(), *tests = json_array(), *summary = json_array();
    double score = 0, max = 0;
    struct buf out;
    buf_init(&out);
    for (size_t i = 0; i < n; i++) {
        const struct lab_report *l = &labs[i];
        score += l->score;
        max += l->max;
        buf_printf(&out, "%s: %g/%g%s\n", l->slug, l->score, l->max,
                   l->build_ok ? "" : " (did not build)");
        if (l->note)
            buf_printf(&out, "  %s", l->note);
        json_t *s = json_object();
        json_object_set_new(s, "lab", json_string(l->slug));
        json_object_set_new(s, "title", json_string(l->title ? l->title : l->slug));
        json_object_set_new(s, "score", json_real(l->score));
        json_object_set_new(s, "max_score", json_real(l->max));
        json_object_set_new(s, "built", json_boolean(l->build_ok));
        json_object_set_new(s, "seconds", json_real(l->time_s));
        json_array_append_new(summary, s);
        for (size_t k = 0; k < l->nitems; k++) {
            const struct item *it = &l->items[k];
            json_t *t = json_object();
            json_object_set_new(t, "name", json_string(it->name));
            json_object_set_new(t, "score", json_real(it->score));
            json_object_set_new(t, "max_score", json_real(it->max));
            json_object_set_new(t, "status", json_string(it->passed ? "passed" : "failed"));
            json_object_set_new(t, "output", text_json(it->output));
            json_object_set_new(t, "tags", tags_json(it->tags));
            json_object_set_new(t, "visibility", json_string(it->hidden ? "after_published" : "visible"));
            json_object_set_new(t, "execution_time", json_real(it->time_s));
            json_array_append_new(tests, t);
        }
    }
    buf_printf(&out, "Score: %g/%g\n", score, max);
    json_object_set_new(root, "score", json_real(score));
    json_object_set_new(root, "execution_time", json_real(secs));
    json_object_set_new(root, "output", json_string(out.p));
    json_object_set_new(root, "visibility", json_string("visible"));
    json_object_set_new(root, "stdout_visibility", json_string("hidden"));
    json_object_set_new(root, "tests", tests);
    json_t *extra = json_object();
    json_object_set_new(extra, "mode", json_string(mode));
    json_object_set_new(extra, "max_score", json_real(max));
    json_object_set_new(extra, "labs", summary);
    if (env)
        json_object_set_new(extra, "environment", environment_json(env));
    json_object_set_new(root, "extra_data", extra);
    buf_free(&out);
    int r = json_dump_file(root, path, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    json_decref(root);
    return r;
}

char *xml_escape(const char *s)
{
    struct buf b;
    buf_init(&b);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': buf_puts(&b, "&amp;"); break;
        case '<': buf_puts(&b, "&lt;"); break;
        case '>': buf_puts(&b, "&gt;"); break;
        case '"': buf_puts(&b, "&quot;"); break;
        case '\'': buf_puts(&b, "&apos;"); break;
        case '\n': case '\t': case '\r': buf_add(&b, (const char *)p, 1); break;
        default:
            /* XML 1.0 has no way to write other control characters. */
            if (*p < 0x20 || *p == 0x7f)
                buf_puts(&b, "?");
            else if (*p >= 0x80) {
                /* keep valid UTF-8 sequences, replace stray bytes */
                int len = (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
                int ok = len > 0;
                for (int i = 1; ok && i < len; i++)
                    ok = (p[i] & 0xC0) == 0x80;
                if (ok) {
                    buf_add(&b, (const char *)p, (size_t)len);
                    p += len - 1;
                } else {
                    buf_puts(&b, "?");
                }
            } else
                buf_add(&b, (const char *)p, 1);
        }
    }
    return b.p;
}

int report_junit(const char *path, const struct lab_report *labs, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t total = 0, failed = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < labs[i].nitems; k++) {
            total++;
            failed += !labs[i].items[k].passed;
        }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"threadlab\" tests=\"%zu\" failures=\"%zu\">\n", total, failed);
    for (size_t i = 0; i < n; i++) {
        const struct lab_report *l = &labs[i];
        size_t lf = 0;
        for (size_t k = 0; k < l->nitems; k++)
            lf += !l->items[k].passed;
        char *slug = xml_escape(l->slug);
        fprintf(f, "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n",
                slug, l->nitems, lf, l->time_s);
        fprintf(f, "    <properties><property name=\"score\" value=\"%g\"/>"
                   "<property name=\"max_score\" value=\"%g\"/></properties>\n", l->score, l->max);
        for (size_t k = 0; k < l->nitems; k++) {
            const struct item *it = &l->items[k];
            const char *short_name = strchr(it->name, '/') ? strchr(it->name, '/') + 1 : it->name;
            char *nm = xml_escape(short_name);
            fprintf(f, "    <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\">\n", slug, nm, it->time_s);
            fprintf(f, "      <properties><property name=\"points\" value=\"%g/%g\"/></properties>\n",
                    it->score, it->max);
            if (!it->passed) {
                char *first = head_lines(it->output ? it->output : "failed", 1);
                size_t fl = strlen(first);
                if (fl && first[fl - 1] == '\n')
                    first[fl - 1] = '\0';
                char *msg = xml_escape(first);
                char *body = xml_escape(it->output);
                fprintf(f, "      <failure message=\"%s\">%s</failure>\n", msg, body);
                free(first);
                free(msg);
                free(body);
            }
            fprintf(f, "    </testcase>\n");
            free(nm);
        }
        fprintf(f, "  </testsuite>\n");
        free(slug);
    }
    fprintf(f, "</testsuites>\n");
    return fclose(f);
}
