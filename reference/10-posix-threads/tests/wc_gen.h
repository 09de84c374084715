/*
 * wc_gen.h - seeded text for the word-count tests, with the expected
 * counts known by construction.
 */
#ifndef WC_GEN_H
#define WC_GEN_H

#include "ptl_test.h"

struct gen {
    char *text;
    size_t len;
    int nvocab;
    char (*vocab)[16];   /* distinct words, NUL-terminated */
    unsigned long *want; /* occurrences of vocab[i] */
    unsigned long words;
};

static inline void gen_text(struct gen *g, struct tl_rng *r, size_t target, int nvocab)
{
    static const char seps[] = " \t\n\r\v\f";
    memset(g, 0, sizeof *g);
    g->nvocab = nvocab;
    g->vocab = calloc((size_t)nvocab, sizeof *g->vocab);
    g->want = calloc((size_t)nvocab, sizeof *g->want);
    g->text = malloc(target + 64);
    tl_check(g->vocab && g->want && g->text, "out of memory in the test");
    /* Distinct words: the index in base 26, then random letters/digits/punctuation. */
    for (int i = 0; i < nvocab; i++) {
        int n = 0, v = i;
        do {
            g->vocab[i][n++] = (char)('a' + v % 26);
            v /= 26;
        } while (v && n < 4);
        g->vocab[i][n++] = '_';
        int extra = (int)tl_rng_below(r, 9);
        for (int k = 0; k < extra; k++)
            g->vocab[i][n++] = "etaoinshrdlu0123.,!-'"[tl_rng_below(r, 21)];
        g->vocab[i][n] = '\0';
    }
    size_t len = 0;
    if (tl_rng_below(r, 2))
        g->text[len++] = ' ';
    while (len < target) {
        /* Zipf-ish: a few words are very common. */
        int i = (int)tl_rng_below(r, (uint64_t)(1 + tl_rng_below(r, (uint64_t)nvocab)));
        size_t wl = strlen(g->vocab[i]);
        memcpy(g->text + len, g->vocab[i], wl);
        len += wl;
        g->want[i]++;
        g->words++;
        int ns = 1 + (tl_rng_below(r, 4) == 0 ? (int)tl_rng_below(r, 3) : 0);
        if (len >= target && tl_rng_below(r, 2))
            ns = 0; /* sometimes the text ends inside a word */
        for (int k = 0; k < ns; k++)
            g->text[len++] = seps[tl_rng_below(r, 4) ? 0 : tl_rng_below(r, 6)];
    }
    g->len = len;
}

static inline void gen_free(struct gen *g)
{
    free(g->text);
    free(g->vocab);
    free(g->want);
    memset(g, 0, sizeof *g);
}

static inline void gen_compare(struct gen *g, const struct wc_table *t, int nthreads)
{
    size_t distinct = 0;
    for (int i = 0; i < g->nvocab; i++) {
        if (g->want[i])
            distinct++;
        unsigned long got = wc_lookup(t, g->vocab[i], strlen(g->vocab[i]));
        if (got != g->want[i]) {
            unsigned long want = g->want[i];
            char w[16];
            memcpy(w, g->vocab[i], sizeof w);
            size_t len = g->len;
            gen_free(g);
            tl_fail("with %d threads on %zu bytes, the count of \"%s\" is %lu, a sequential "
                    "count says %lu. %s", nthreads, len, w, got, want,
                    got < want ? "Too few: words cut at a split boundary, or a thread's "
                    "table not merged (or a count merged as 1 instead of its value)?"
                    : "Too many: a range counted twice, or a word split in two?");
        }
    }
    if (t->distinct != distinct || t->total != g->words) {
        size_t d = t->distinct;
        unsigned long tot = t->total, words = g->words;
        gen_free(g);
        tl_fail("with %d threads: distinct=%zu total=%lu, expected %zu distinct words and "
                "%lu in all. Extra entries are pieces of cut words or empty words.",
                nthreads, d, tot, distinct, words);
    }
}

#endif
