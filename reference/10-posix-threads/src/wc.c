/*
 * wc.c - Task 6: word count as map-reduce over pthreads.
 *
 * Map: each thread counts its own slice of the text into its own table, so
 * the threads share nothing but the read-only text and need no lock.
 * Reduce: after pthread_join (which orders every write of the thread
 * before the join returns), one thread merges the tables.
 */
#include "ptl.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

#ifdef SOLUTION
/* FNV-1a: simple and good enough for words. */
static uint64_t hash_word(const char *w, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)w[i]) * 1099511628211ull;
    return h;
}
#endif

int wc_table_init(struct wc_table *t, size_t nbuckets)
{
#ifdef SOLUTION
    if (!t)
        return EINVAL;
    size_t n = 16;
    while (n < nbuckets && n < ((size_t)1 << 30))
        n <<= 1;
    t->buckets = calloc(n, sizeof *t->buckets);
    if (!t->buckets)
        return ENOMEM;
    t->nbuckets = n;
    t->distinct = 0;
    t->total = 0;
    return 0;
#else
    /* TODO 6.1: round nbuckets up to a power of two (at least 16), calloc
     *           the bucket heads, zero the counts. */
    return ENOSYS;
#endif
}

int wc_table_add(struct wc_table *t, const char *word, size_t len, unsigned long n)
{
#ifdef SOLUTION
    if (!t || !t->buckets || !word || len == 0)
        return EINVAL;
    struct wc_entry **head = &t->buckets[hash_word(word, len) & (t->nbuckets - 1)];
    for (struct wc_entry *e = *head; e; e = e->next) {
        if (e->len == len && memcmp(e->word, word, len) == 0) {
            e->count += n;
            t->total += n;
            return 0;
        }
    }
    struct wc_entry *e = malloc(sizeof *e + len + 1);
    if (!e)
        return ENOMEM;
    memcpy(e->word, word, len);
    e->word[len] = '\0';
    e->len = len;
    e->count = n;
    e->next = *head;
    *head = e;
    t->distinct++;
    t->total += n;
    return 0;
#else
    /* TODO 6.2: hash the word (FNV-1a is a few lines), index the bucket
     *           with hash & (nbuckets - 1), add n to a matching entry
     *           (same len, same bytes: memcmp) or push a new one (malloc
     *           sizeof(struct wc_entry) + len + 1). Keep distinct and
     *           total right. */
    return ENOSYS;
#endif
}

unsigned long wc_lookup(const struct wc_table *t, const char *word, size_t len)
{
#ifdef SOLUTION
    if (!t || !t->buckets || !word || len == 0)
        return 0;
    struct wc_entry *e = t->buckets[hash_word(word, len) & (t->nbuckets - 1)];
    for (; e; e = e->next)
        if (e->len == len && memcmp(e->word, word, len) == 0)
            return e->count;
    return 0;
#else
    /* TODO 6.3: find the entry as in 6.2; 0 when absent. */
    return 0;
#endif
}

void wc_table_free(struct wc_table *t)
{
#ifdef SOLUTION
    if (!t)
        return;
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct wc_entry *e = t->buckets[i];
        while (e) {
            struct wc_entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = 0;
    t->distinct = 0;
    t->total = 0;
#else
    /* TODO 6.4: free every entry of every bucket, then the buckets; leave
     *           *t empty (buckets NULL, nbuckets 0, counts 0). */
    (void)t;
#endif
}

int wc_split(const char *text, size_t len, int nparts, size_t *bounds)
{
#ifdef SOLUTION
    if ((!text && len > 0) || nparts < 1 || !bounds)
        return EINVAL;
    bounds[0] = 0;
    for (int i = 1; i < nparts; i++) {
        size_t b = len / (size_t)nparts * (size_t)i;
        if (b < bounds[i - 1])
            b = bounds[i - 1];
        /* Move right until the cut is not between two word bytes. */
        while (b > 0 && b < len && !is_space((unsigned char)text[b - 1]) &&
               !is_space((unsigned char)text[b]))
            b++;
        bounds[i] = b;
    }
    bounds[nparts] = len;
    return 0;
#else
    /* TODO 6.5: bounds[0] = 0, bounds[nparts] = len. For each inner cut,
     *           start near len * i / nparts (never before the previous
     *           cut) and move right while text[b-1] and text[b] are both
     *           word bytes, so no word is cut in two. */
    return ENOSYS;
#endif
}

#ifdef SOLUTION
struct wc_job {
    const char *text;
    size_t begin, end;
    struct wc_table table; /* owned by the job's thread until joined */
    int rc;
};

/* Map: count one range into the job's own table. */
static void *wc_worker(void *arg)
{
    struct wc_job *j = arg;
    size_t i = j->begin;
    while (i < j->end && j->rc == 0) {
        while (i < j->end && is_space((unsigned char)j->text[i]))
            i++;
        size_t w = i;
        while (i < j->end && !is_space((unsigned char)j->text[i]))
            i++;
        if (i > w)
            j->rc = wc_table_add(&j->table, j->text + w, i - w, 1);
    }
    return NULL;
}
#endif

int wc_count(const char *text, size_t len, int nthreads, struct wc_table *out)
{
#ifdef SOLUTION
    if ((!text && len > 0) || !out || nthreads < 1 || nthreads > WC_MAX_THREADS)
        return EINVAL;
    size_t bounds[WC_MAX_THREADS + 1];
    struct wc_job jobs[WC_MAX_THREADS];
    pthread_t tid[WC_MAX_THREADS];
    int rc = wc_split(text, len, nthreads, bounds);
    if (rc)
        return rc;
    int started = 0, ready = 0;
    for (int i = 0; i < nthreads; i++) {
        jobs[i] = (struct wc_job){.text = text, .begin = bounds[i], .end = bounds[i + 1]};
        if ((rc = wc_table_init(&jobs[i].table, 1024)) != 0)
            break;
        ready++;
    }
    for (int i = 0; rc == 0 && i < nthreads; i++) {
        rc = pthread_create(&tid[i], NULL, wc_worker, &jobs[i]);
        if (rc == 0)
            started++;
    }
    /* Join every thread we started, even after an error: nothing may be
     * left running with a pointer into our stack. */
    for (int i = 0; i < started; i++)
        PTL_CHECK(pthread_join(tid[i], NULL));
    for (int i = 0; rc == 0 && i < nthreads; i++)
        rc = jobs[i].rc;
    /* Reduce: merge into a fresh table. */
    if (rc == 0)
        rc = wc_table_init(out, 4096);
    if (rc == 0) {
        for (int i = 0; rc == 0 && i < nthreads; i++)
            for (size_t k = 0; rc == 0 && k < jobs[i].table.nbuckets; k++)
                for (struct wc_entry *e = jobs[i].table.buckets[k]; e && rc == 0; e = e->next)
                    rc = wc_table_add(out, e->word, e->len, e->count);
        if (rc)
            wc_table_free(out);
    }
    for (int i = 0; i < ready; i++)
        wc_table_free(&jobs[i].table);
    return rc;
#else
    /* TODO 6.6: check arguments (EINVAL), wc_split into nthreads ranges,
     *           give each range a job {text, begin, end, own table}.
     * TODO 6.7: map: pthread_create one thread per job; each skips white
     *           space, finds the end of each word, and wc_table_add()s it
     *           into ITS OWN table (no sharing, no lock). If
     *           pthread_create fails, stop creating, but still join the
     *           ones started, and return that error.
     * TODO 6.8: pthread_join them all (PTL_CHECK); the join is what makes
     *           their tables safe to read here.
     * TODO 6.9: reduce: wc_table_init(out), add every entry of every job
     *           table with its count, free the job tables. */
    (void)is_space;
    return ENOSYS;
#endif
}
