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


int wc_table_init(struct wc_table *t, size_t nbuckets)
{
    /* TODO 6.1: round nbuckets up to a power of two (at least 16), calloc
     *           the bucket heads, zero the counts. */
    return ENOSYS;
}

int wc_table_add(struct wc_table *t, const char *word, size_t len, unsigned long n)
{
    /* TODO 6.2: hash the word (FNV-1a is a few lines), index the bucket
     *           with hash & (nbuckets - 1), add n to a matching entry
     *           (same len, same bytes: memcmp) or push a new one (malloc
     *           sizeof(struct wc_entry) + len + 1). Keep distinct and
     *           total right. */
    return ENOSYS;
}

unsigned long wc_lookup(const struct wc_table *t, const char *word, size_t len)
{
    /* TODO 6.3: find the entry as in 6.2; 0 when absent. */
    return 0;
}

void wc_table_free(struct wc_table *t)
{
    /* TODO 6.4: free every entry of every bucket, then the buckets; leave
     *           *t empty (buckets NULL, nbuckets 0, counts 0). */
    (void)t;
}

int wc_split(const char *text, size_t len, int nparts, size_t *bounds)
{
    /* TODO 6.5: bounds[0] = 0, bounds[nparts] = len. For each inner cut,
     *           start near len * i / nparts (never before the previous
     *           cut) and move right while text[b-1] and text[b] are both
     *           word bytes, so no word is cut in two. */
    return ENOSYS;
}


int wc_count(const char *text, size_t len, int nthreads, struct wc_table *out)
{
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
}
