/*
 * test_wc.c - Task 6, parallel word count, compared with a count the test
 * knows in advance (it generated the text).
 */
#include "ptl_test.h"
#include "wc_gen.h"

#define T6 "Task 6 (src/wc.c)"

TL_TEST(wc_matches_sequential, 5, 30, "wc stress")
{
    struct tl_rng r;
    tl_rng_init(&r, tl_seed());
    struct gen g;
    gen_text(&g, &r, (size_t)tl_iters(300000), 400);
    for (int nt = 1; nt <= 8; nt++) {
        struct wc_table t;
        memset(&t, 0, sizeof t);
        int rc = wc_count(g.text, g.len, nt, &t);
        if (rc)
            gen_free(&g);
        tl_expect_ok(rc, "wc_count", T6);
        gen_compare(&g, &t, nt);
        wc_table_free(&t);
        tl_check(t.buckets == NULL && t.nbuckets == 0, "wc_table_free left buckets=%p "
                 "nbuckets=%zu (expected NULL, 0)", (void *)t.buckets, t.nbuckets);
    }
    gen_free(&g);
    struct wc_table t;
    tl_expect_rc(wc_count("a b", 3, 0, &t), EINVAL, "wc_count with 0 threads", "1..WC_MAX_THREADS.");
    tl_expect_rc(wc_count("a b", 3, WC_MAX_THREADS + 1, &t), EINVAL,
              "wc_count with WC_MAX_THREADS + 1 threads", "1..WC_MAX_THREADS.");
    tl_expect_rc(wc_count("a b", 3, 2, NULL), EINVAL, "wc_count with out == NULL", "Check the pointers.");
    tl_expect_rc(wc_table_init(NULL, 16), EINVAL, "wc_table_init(NULL, 16)", "Check the pointer.");
}

static int word_byte(char c)
{
    return !(c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r');
}

static void check_split(const char *what, const char *text, size_t len, int nparts)
{
    size_t bounds[WC_MAX_THREADS + 2];
    bounds[nparts + 1] = 0xdeadbeef;
    int rc = wc_split(text, len, nparts, bounds);
    tl_expect_ok(rc, "wc_split", T6);
    tl_check(bounds[0] == 0 && bounds[nparts] == len, "wc_split(%s, %d parts): bounds[0]=%zu "
             "bounds[%d]=%zu, expected 0 and %zu", what, nparts, bounds[0], nparts,
             bounds[nparts], len);
    tl_check(bounds[nparts + 1] == 0xdeadbeef, "wc_split wrote past bounds[nparts]");
    for (int i = 1; i <= nparts; i++) {
        tl_check(bounds[i] >= bounds[i - 1], "wc_split(%s, %d parts): bounds[%d]=%zu < "
                 "bounds[%d]=%zu: bounds must not decrease", what, nparts, i, bounds[i],
                 i - 1, bounds[i - 1]);
        size_t b = bounds[i];
        tl_check(b == 0 || b >= len || !word_byte(text[b - 1]) || !word_byte(text[b]),
                 "wc_split(%s, %d parts): bounds[%d]=%zu cuts a word in two (\"%.*s|%.*s\"): "
                 "two threads would each count a piece. Hint: move the cut right while "
                 "text[b-1] and text[b] are both word bytes.", what, nparts, i, b,
                 (int)(b < 8 ? b : 8), text + b - (b < 8 ? b : 8), 8, text + b);
    }
}

TL_TEST(wc_split_at_word_boundaries, 2, 10, "wc")
{
    const char *t1 = "alpha beta  gamma\tdelta\nepsilon zeta eta theta iota kappa";
    for (int n = 1; n <= 12; n++)
        check_split("ten words", t1, strlen(t1), n);
    const char *t2 = "oneverylongwordwithoutanyspaceatallxxxxxxxxxxxxxxxxxxxxxxxxx";
    for (int n = 1; n <= 8; n++)
        check_split("one long word", t2, strlen(t2), n);
    check_split("empty text", "", 0, 4);
    check_split("only spaces", "      \n\t   ", 11, 5);
    check_split("one letter words", "a b c d e f g h", 15, 8);
    /* More parts than bytes: cuts land at 0, and text[-1] is not part of the
     * text (here it lies outside the heap block: memcheck notices a read). */
    char *heap = malloc(2);
    tl_check(heap != NULL, "out of memory in the test");
    memcpy(heap, "ab", 2);
    check_split("2 bytes at the start of a heap block (no NUL)", heap, 2, 4);
    free(heap);
    tl_expect_rc(wc_split("a", 1, 0, (size_t[2]){0}), EINVAL, "wc_split with 0 parts", "nparts >= 1.");

    /* The table on its own. */
    struct wc_table t;
    tl_expect_ok(wc_table_init(&t, 5), "wc_table_init", T6);
    tl_check(t.nbuckets >= 16 && (t.nbuckets & (t.nbuckets - 1)) == 0,
             "wc_table_init(&t, 5) gave nbuckets=%zu: a power of two, at least 16", t.nbuckets);
    tl_expect_ok(wc_table_add(&t, "cat", 3, 2), "wc_table_add", T6);
    tl_expect_ok(wc_table_add(&t, "cats", 3, 1), "wc_table_add (\"cat\", given as 3 bytes of \"cats\")", T6);
    tl_expect_ok(wc_table_add(&t, "cats", 4, 5), "wc_table_add", T6);
    tl_check(wc_lookup(&t, "cat", 3) == 3 && wc_lookup(&t, "cats", 4) == 5 &&
             wc_lookup(&t, "ca", 2) == 0, "table counts cat=%lu cats=%lu ca=%lu, expected 3 5 "
             "0: words compare by length AND bytes", wc_lookup(&t, "cat", 3),
             wc_lookup(&t, "cats", 4), wc_lookup(&t, "ca", 2));
    tl_check(t.distinct == 2 && t.total == 8, "distinct=%zu total=%lu, expected 2 and 8",
             t.distinct, t.total);
    wc_table_free(&t);
}
