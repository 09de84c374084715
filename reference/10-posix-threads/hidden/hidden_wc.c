/*
 * hidden_wc.c - word count on awkward inputs.
 */
#include "../tests/ptl_test.h"

#define T6 "Task 6 (src/wc.c)"

static void count(const char *what, const char *text, size_t len, int nt,
                  size_t distinct, unsigned long total, struct wc_table *t)
{
    memset(t, 0, sizeof *t);
    int rc = wc_count(text, len, nt, t);
    tl_expect_ok(rc, "wc_count", T6);
    tl_check(t->distinct == distinct && t->total == total, "wc_count(%s, %d threads): "
             "distinct=%zu total=%lu, expected %zu and %lu", what, nt, t->distinct, t->total,
             distinct, total);
}

TL_TEST(wc_edge_cases, 1, 20, "wc")
{
    struct wc_table t;
    for (int nt = 1; nt <= 8; nt++) {
        count("empty text", "", 0, nt, 0, 0, &t);
        wc_table_free(&t);
        count("white space only", " \t\n\r\v\f  ", 8, nt, 0, 0, &t);
        wc_table_free(&t);
        count("one word", "supercalifragilistic", 20, nt, 1, 1, &t);
        tl_check(wc_lookup(&t, "supercalifragilistic", 20) == 1, "one word counted %lu times "
                 "with %d threads", wc_lookup(&t, "supercalifragilistic", 20), nt);
        wc_table_free(&t);
    }
    count("a a a a (64 threads)", "a a a a", 7, WC_MAX_THREADS, 1, 4, &t);
    tl_check(wc_lookup(&t, "a", 1) == 4, "\"a\" counted %lu times, expected 4",
             wc_lookup(&t, "a", 1));
    wc_table_free(&t);
    /* Only len bytes count: the text need not end in a NUL. */
    count("the first 10 bytes of \"alpha beta gamma\"", "alpha beta gamma", 10, 3, 2, 2, &t);
    tl_check(wc_lookup(&t, "gamma", 5) == 0, "words past len were counted");
    wc_table_free(&t);
    /* Bytes >= 0x80 are word bytes; case matters. */
    const char *u = "h\xc3\xa9llo H\xc3\xa9llo h\xc3\xa9llo caf\xc3\xa9\xff";
    count("UTF-8 and 0xff bytes", u, strlen(u), 4, 3, 4, &t);
    tl_check(wc_lookup(&t, "h\xc3\xa9llo", 6) == 2, "\"h\\xc3\\xa9llo\" counted %lu times, "
             "expected 2. Hint: compare bytes as unsigned char; only the six ASCII spaces "
             "separate words.", wc_lookup(&t, "h\xc3\xa9llo", 6));
    wc_table_free(&t);
}

/* ---- out of memory: an error, and the table as it was ---------------- */

TL_TEST(wc_out_of_memory, 1, 20, "wc errors")
{
    struct wc_table t;
    memset(&t, 0, sizeof t);
    ptl_fail_alloc(1);
    int rc = wc_table_init(&t, 8);
    int injected = ptl_fail_alloc(0);
    tl_check(injected && rc == ENOMEM, "wc_table_init returned %d (%s) when its allocation "
             "failed (injected: %s); expected ENOMEM. Contract (ptl.h): 0, EINVAL, ENOMEM. "
             "Hint: check what calloc returns.", rc, tl_ename(rc), injected ? "yes" : "no");
    tl_expect_ok(wc_table_init(&t, 8), "wc_table_init", T6);
    tl_expect_ok(wc_table_add(&t, "kept", 4, 2), "wc_table_add", T6);
    ptl_fail_alloc(1);
    rc = wc_table_add(&t, "fresh", 5, 1);
    injected = ptl_fail_alloc(0);
    tl_check(injected && rc == ENOMEM, "wc_table_add of a new word returned %d (%s) when "
             "its allocation failed (injected: %s); expected ENOMEM. Hint: check what malloc "
             "returns before writing the entry.", rc, tl_ename(rc), injected ? "yes" : "no");
    tl_check(t.distinct == 1 && t.total == 2 && wc_lookup(&t, "fresh", 5) == 0 &&
             wc_lookup(&t, "kept", 4) == 2, "a wc_table_add that failed with ENOMEM changed "
             "the table: distinct=%zu total=%lu (expected 1 and 2, as before the call)",
             t.distinct, t.total);
    wc_table_free(&t);
}
