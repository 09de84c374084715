/*
 * cb_test.h - helpers shared by lab 15's tests (kit-owned, not the API).
 *
 * Worker threads never call tl_check: they record the first failure in the
 * failbox and stop; the test thread reports it. Deadlines only turn a hang
 * into a message (which thread holds and waits for what); nothing sleeps
 * to synchronise. Forced interleavings come from the tracked mutex's hook
 * (a rendezvous that lets each thread go on as soon as its partners have
 * either taken their first lock or blocked), from the lockstep stepper and
 * from the simulated scheduler, so a planted bug shows in every run.
 */
#ifndef CB_TEST_H
#define CB_TEST_H

#include "tl_harness.h"
#include "tl_util.h"
#include "cb.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((unused)) static struct tl_failbox fb = TL_FAILBOX_INIT;

/* How long a stuck state may last before it counts as a hang: far beyond
 * what correct code needs on a loaded machine. */
static inline double hang_secs(void)
{
    long slow = tl_slow();
    return 10.0 * (double)(slow > 4 ? 4 : slow);
}

static inline void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- threads with a done flag: struct tl_thread (tl_util.h) -------- */

/* Wait for n workers while watching the tracked mutexes: fail at once with
 * the cycle if they deadlock, or after `progress` stops moving for the hang
 * time. `what` names the calls. Joins them when they are done. */
#define WAIT_WORKERS_NO_DEADLOCK(w, n, progress, what, task)                  \
    do {                                                                      \
        char wd_msg_[512];                                                    \
        long wd_last_ = (long)(progress);                                     \
        double wd_end_ = tl_now() + hang_secs();                              \
        while (!tl_threads_done((w), (n))) {                                     \
            if (tmx_find_cycle(wd_msg_, sizeof wd_msg_))                      \
                tl_fail("%s deadlocked: %s. Nobody can let go of a lock it "  \
                        "holds until it gets the next one. Hint: handout "    \
                        task ".", (what), wd_msg_);                           \
            long wd_now_ = (long)(progress);                                  \
            if (wd_now_ != wd_last_) {                                        \
                wd_last_ = wd_now_;                                           \
                wd_end_ = tl_now() + hang_secs();                             \
            }                                                                 \
            tl_check(tl_now() < wd_end_, "%s made no progress for %.0f s "    \
                     "(no lock cycle seen: a lost wakeup or a spin?). Hint: " \
                     "handout " task ".", (what), hang_secs());               \
            pause_ms(1);                                                      \
        }                                                                     \
        tl_threads_join((w), (n));                                               \
        tl_fb_report(&fb);                                                    \
    } while (0)

/* ---- a rendezvous on the tracked mutex's hook --------------------------
 * A thread that armed it (rv_arm), on its next successful tmx lock, waits
 * until each of the other parties has armed-and-arrived, is blocked in
 * tmx_lock on a lock someone holds, or has finished: so all of them hold their first lock at once
 * if the code lets them. Bounded by the hang time (then it just goes on). */
#define RV_MAX 8
static struct {
    int n;                    /* parties; set before the threads start */
    atomic_int tid[RV_MAX];   /* tmx_self() + 1 of each party, 0: unknown */
    atomic_int arrived[RV_MAX];
    atomic_int finished[RV_MAX];
} rv;
static __thread int rv_me = -1; /* the party this thread is, while armed */

static void rv_hook(struct tmx *x, void *arg)
{
    (void)x;
    (void)arg;
    int me = rv_me;
    if (me < 0)
        return;
    rv_me = -1;
    atomic_store(&rv.arrived[me], 1);
    double end = tl_now() + hang_secs();
    for (;;) {
        int waiting_on_others = 0;
        for (int i = 0; i < rv.n; i++) {
            if (i == me || atomic_load(&rv.arrived[i]) || atomic_load(&rv.finished[i]))
                continue;
            /* blocked: waiting for a lock someone holds (a party between
             * announcing its first, free lock and taking it is not) */
            int t = atomic_load(&rv.tid[i]);
            struct tmx *wx = t ? tmx_waiting_for(t - 1) : NULL;
            if (wx && atomic_load(&wx->owner) != 0)
                continue;
            waiting_on_others = 1;
        }
        if (!waiting_on_others || tl_now() > end)
            return;
        sched_yield();
    }
}

static inline void rv_setup(int n)
{
    memset(&rv, 0, sizeof rv);
    rv.n = n;
    tmx_set_hook(rv_hook, NULL);
}

/* On party i's thread, before its first transfer. */
static inline void rv_arm(int i)
{
    atomic_store(&rv.tid[i], tmx_self() + 1);
    rv_me = i;
}

/* ---- scripted simulated tasks ------------------------------------------ */

enum op { OP_END, OP_LOCK, OP_WORK, OP_UNLOCK };
struct sop {
    enum op op;
    struct smx *m;  /* LOCK, UNLOCK */
    long n;         /* WORK: ticks */
};

/* One op per tick: LOCK (may block; the task owns the mutex when it runs
 * again), WORK n (n ticks), UNLOCK. Returns 0 after the last op. */
__attribute__((unused)) static int script_step(struct sim *s, struct sim_task *t)
{
    const struct sop *ops = t->arg;
    const struct sop *o = &ops[t->pc];
    switch (o->op) {
    case OP_LOCK:
        t->pc++;
        smx_lock(s, o->m, t);
        break;
    case OP_WORK:
        if (++t->work >= o->n) {
            t->work = 0;
            t->pc++;
        }
        break;
    case OP_UNLOCK:
        t->pc++;
        smx_unlock(s, o->m, t);
        break;
    case OP_END:
        return 0;
    }
    return ops[t->pc].op != OP_END;
}

/* ---- lockdep traces ------------------------------------------------------
 * One event a line: "T<n> acquire <lock>" or "T<n> release <lock>"; an
 * acquire that ends in " !" must be reported (EDEADLK), any other must
 * return 0. '#' starts a comment. Lock names map to ids in order of first
 * use. The replayer keeps its own copy of the edges and the held locks, to
 * check every reported cycle: it starts at the lock asked for, each step is
 * an edge the trace made, it ends at a lock the thread holds, no lock
 * twice. And after each 0 it checks that the edges were recorded. */
#define TR_LOCKS 48
struct trace_model {
    char names[TR_LOCKS][16];
    int nlocks;
    unsigned char edge[TR_LOCKS][TR_LOCKS];
    int held[LD_MAX_THREADS][LD_MAX_HELD];
    int nheld[LD_MAX_THREADS];
};

__attribute__((unused)) static int tr_lock_id(struct trace_model *m, const char *name)
{
    for (int i = 0; i < m->nlocks; i++)
        if (strcmp(m->names[i], name) == 0)
            return i;
    tl_check(m->nlocks < TR_LOCKS, "trace: too many locks");
    snprintf(m->names[m->nlocks], sizeof m->names[0], "%s", name);
    return m->nlocks++;
}

static int tr_holds(struct trace_model *m, int t, int l)
{
    for (int i = 0; i < m->nheld[t]; i++)
        if (m->held[t][i] == l)
            return 1;
    return 0;
}

/* The cycle as text: "A -> B -> A". */
static void tr_cycle_text(struct trace_model *m, const struct ld_cycle *c, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < c->n && i < LD_MAX_LOCKS && off < len; i++) {
        int l = c->locks[i];
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " -> " : "",
                                l >= 0 && l < m->nlocks ? m->names[l] : "?");
    }
    if (c->n >= 1 && c->n <= LD_MAX_LOCKS && off < len) {
        int l = c->locks[0];
        snprintf(buf + off, len - off, " -> %s", l >= 0 && l < m->nlocks ? m->names[l] : "?");
    }
}

/* Why the reported cycle is not one (NULL: it is). */
static const char *tr_cycle_bad(struct trace_model *m, int t, int lock, const struct ld_cycle *c)
{
    if (c->n < 1 || c->n > LD_MAX_LOCKS)
        return "its length n is out of range";
    if (c->locks[0] != lock)
        return "locks[0] is not the lock being acquired";
    if (tr_holds(m, t, lock) && c->n != 1)
        return "the thread holds this lock already: that is the cycle of one (n = 1)";
    for (int i = 0; i < c->n; i++) {
        if (c->locks[i] < 0 || c->locks[i] >= m->nlocks)
            return "it names a lock the trace never used";
        for (int j = 0; j < i; j++)
            if (c->locks[j] == c->locks[i])
                return "a lock appears twice";
        if (i + 1 < c->n && !m->edge[c->locks[i]][c->locks[i + 1]])
            return "two neighbours in it are not an edge any thread made";
    }
    if (!tr_holds(m, t, c->locks[c->n - 1]))
        return "its last lock is not one the thread holds";
    return NULL;
}

/* Replay `trace` into a fresh lockdep; fail naming the line on the first
 * wrong answer. `task` names the handout task for the hint. */
__attribute__((unused)) static void ld_replay(const char *title, const char *trace, const char *task)
{
    static struct lockdep ld;
    static struct trace_model m;
    memset(&m, 0, sizeof m);
    int rc = ld_init(&ld);
    tl_check(rc == 0, "ld_init returned %s", tl_ename(rc));
    const char *p = trace;
    int lineno = 0;
    while (*p) {
        char line[128];
        size_t k = 0;
        while (*p && *p != '\n' && k + 1 < sizeof line)
            line[k++] = *p++;
        line[k] = '\0';
        if (*p == '\n')
            p++;
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        int t;
        char verb[16], name[16], mark[4] = "";
        int got = sscanf(line, " T%d %15s %15s %3s", &t, verb, name, mark);
        if (got < 3)
            continue;
        tl_check(t >= 0 && t < LD_MAX_THREADS, "trace: bad thread");
        int l = tr_lock_id(&m, name);
        int want_cycle = mark[0] == '!';
        if (strcmp(verb, "acquire") == 0) {
            struct ld_cycle c;
            memset(&c, 0xff, sizeof c);
            rc = ld_acquire(&ld, t, l, &c);
            if (rc == ENOSYS)
                tl_fail("%s, line %d \"%s\": ld_acquire returned ENOSYS, the "
                        "skeleton's stub. Hint: handout %s.", title, lineno, line, task);
            if (want_cycle) {
                char txt[256];
                tr_cycle_text(&m, &c, txt, sizeof txt);
                tl_check(rc == EDEADLK, "%s, line %d \"%s\": ld_acquire returned "
                         "%s, expected EDEADLK: this acquire closes a lock-order "
                         "cycle. Hint: handout %s.", title, lineno, line, tl_ename(rc), task);
                const char *bad = tr_cycle_bad(&m, t, l, &c);
                tl_check(!bad, "%s, line %d \"%s\": the reported cycle (n = %d: %s) "
                         "is wrong: %s. Hint: handout %s (struct ld_cycle in cb.h).",
                         title, lineno, line, c.n, txt, bad, task);
                continue; /* the caller does not take the lock */
            }
            tl_check(rc == 0, "%s, line %d \"%s\": ld_acquire returned %s, "
                     "expected 0: no cycle closes here (locks taken in one "
                     "consistent order never are). Hint: handout %s.",
                     title, lineno, line, tl_ename(rc), task);
            for (int i = 0; i < m.nheld[t]; i++) {
                int h = m.held[t][i];
                m.edge[h][l] = 1;
                tl_check(ld_has_edge(&ld, h, l), "%s, line %d \"%s\": after it, "
                         "ld_has_edge(%s, %s) is 0: the edge from each held "
                         "lock must be recorded. Hint: handout %s.",
                         title, lineno, line, m.names[h], name, task);
            }
            m.held[t][m.nheld[t]++] = l;
        } else {
            rc = ld_release(&ld, t, l);
            tl_check(rc == 0, "%s, line %d \"%s\": ld_release returned %s, "
                     "expected 0. Hint: handout %s.", title, lineno, line, tl_ename(rc), task);
            int i = 0;
            while (i < m.nheld[t] && m.held[t][i] != l)
                i++;
            for (; i + 1 < m.nheld[t]; i++)
                m.held[t][i] = m.held[t][i + 1];
            if (i < m.nheld[t])
                m.nheld[t]--;
        }
    }
    ld_destroy(&ld);
}

#endif
