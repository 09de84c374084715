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
    expect_ok(rc, "wc_count", T6);
    tl_check(t->distinct == distinct && t->total == total, "wc_count(%s, %d threads): "
             "distinct=%zu total=%lu, expected %zu and %lu", what, nt, t->distinct, t->total,
             distinct, total);
}

TL_TEST(wc_edge_cases, 2, 20, "wc")
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
