/*
 * cb_kit.h - lab 15's kit code (src/kit_*.c): the tools the modules and the
 * tests are built on. Read-only and not graded; you call these, you never
 * change them.
 *
 *   tracked mutex   a pthread mutex that records its owner and what each
 *                   thread waits for, so a test can name a deadlock's
 *                   threads and locks instead of just hanging
 *   simulated tasks a deterministic strict-priority scheduler: tasks are
 *                   step functions, one step per tick, no real threads
 *   polite stepper  two real threads whose fork operations run in strict
 *                   alternation, one step each in turn
 *   race windows    cb_window(), a call the stack and the refcount make at
 *                   the point where a preemption hurts most; the tests hook
 *                   it to make the unlucky interleaving happen every run
 */
#ifndef CB_KIT_H
#define CB_KIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Kit invariant broken: print file:line and the expression, then abort. */
__attribute__((noreturn)) void cb_panic_at(const char *file, int line, const char *what);
#define CB_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            cb_panic_at(__FILE__, __LINE__, #cond);                           \
    } while (0)

/* ================================================================== */
/* Tracked mutex                                         src/kit_tmx.c */
/* ================================================================== */

#define TMX_MAX_THREADS 64

struct tmx {
    pthread_mutex_t m;
    const char *name;   /* for messages; set at init, then read-only */
    atomic_int owner;   /* tmx_self() + 1 of the holder, 0: free. Written
                           by the holder only (after it locks m, before it
                           unlocks m), seq_cst: read by tmx_find_cycle */
};

void tmx_init(struct tmx *x, const char *name);
void tmx_destroy(struct tmx *x);
void tmx_lock(struct tmx *x);
void tmx_unlock(struct tmx *x);
/* 1: locked; 0: held by someone else (nothing changed). */
int tmx_trylock(struct tmx *x);

/* The calling thread's small number (0, 1, ...; at most TMX_MAX_THREADS
 * threads ever use tracked mutexes in one process). */
int tmx_self(void);

/* For tests. The hook runs on the acquiring thread right after every
 * successful tmx_lock/tmx_trylock (NULL: none). */
typedef void (*tmx_hook_fn)(struct tmx *x, void *arg);
void tmx_set_hook(tmx_hook_fn fn, void *arg);
/* The tracked mutex thread `tid` is blocked on (or about to block on) in
 * tmx_lock, NULL if none. */
struct tmx *tmx_waiting_for(int tid);
/* If threads wait for each other in a cycle (each blocked on a tracked
 * mutex the next one owns), a consistent snapshot of it, written to buf as
 * "thread 1 holds A and waits for B; thread 2 holds B and waits for A",
 * and 1. 0 if there is no cycle right now. Any thread. */
int tmx_find_cycle(char *buf, size_t len);

/* ================================================================== */
/* Simulated tasks on a strict-priority scheduler        src/kit_sim.c */
/* ================================================================== */

#define SIM_MAX_TASKS 16
#define SIM_MAX_WAITERS SIM_MAX_TASKS

struct sim;
struct sim_task;

/* A mutex for simulated tasks (its functions are yours: cb.h, Task 3).
 * One scheduler runs everything, so no field needs a lock. */
struct smx {
    const char *name;
    struct sim_task *owner;                    /* NULL: free */
    struct sim_task *waiters[SIM_MAX_WAITERS]; /* blocked in smx_lock, in */
    int nwaiters;                              /*   the order they blocked */
    struct smx *next_held;                     /* owner's list of held smx */
};

enum sim_state { SIM_NEW, SIM_READY, SIM_BLOCKED, SIM_DONE };

/* One step of a task: runs for one tick and returns 1 while the task has
 * more to do, 0 when it is finished. It keeps its place in t->pc. */
typedef int (*sim_step_fn)(struct sim *s, struct sim_task *t);

struct sim_task {
    const char *name;
    int base_prio;          /* its own priority: higher runs first */
    int prio;               /* the priority the scheduler uses; base_prio
                               unless a mutex raises it */
    enum sim_state state;
    long start;             /* the tick at which it becomes READY */
    sim_step_fn step;
    void *arg;              /* for the step function */
    int pc;                 /* the step function's place */
    long work;              /* the step function's counter */
    struct smx *blocked_on; /* while BLOCKED in smx_lock */
    struct smx *held;       /* the smx it owns, linked by next_held */
    long ran;               /* ticks it has run */
    long done_at;           /* the tick it finished, -1 before */
    long ready_seq;         /* order of becoming ready: ties run FIFO */
};

struct sim {
    struct sim_task *task[SIM_MAX_TASKS];
    int ntasks;
    long tick;              /* ticks run so far */
    long seq;               /* ready_seq source */
    char trace[4096];       /* which task ran at each tick, run-length
                               coded ("L x3, H x1, ...") for messages */
    size_t tlen;
    int last;               /* the task that ran last tick, -1 */
    long last_run;
};

void sim_init(struct sim *s);
/* Add a task (name, priority, first tick, step); the struct is the
 * caller's. */
void sim_add(struct sim *s, struct sim_task *t, const char *name, int prio,
             long start, sim_step_fn step, void *arg);
/* Run ticks until every task is DONE or max_ticks ticks ran (or nothing
 * can run: 1 more tick is counted and the run stops). 1 if all are DONE. */
int sim_run(struct sim *s, long max_ticks);
/* For smx: t (the running task) blocks on m; t waits until sim_wake. */
void sim_block(struct sim *s, struct sim_task *t, struct smx *m);
/* For smx: a blocked task becomes READY (behind equals already ready). */
void sim_wake(struct sim *s, struct sim_task *t);

/* ================================================================== */
/* The polite pair's lockstep stepper                 src/kit_polite.c */
/* ================================================================== */

struct pp {
    atomic_int fork[2];     /* 0: on the table; me + 1: held by me */
    atomic_int turn;        /* whose step is next (0 or 1) */
    atomic_int active[2];   /* 1 while thread me is between pp_begin/end */
    atomic_long steps[2];   /* steps each thread took */
    atomic_long acquired[2];/* polite_acquire calls that returned */
    uint64_t rng[2];        /* a per-thread random state for your use
                               (thread me only; seeded by pp_init) */
};

void pp_init(struct pp *p, uint64_t seed);
void pp_begin(struct pp *p, int me);   /* the tests call these */
void pp_end(struct pp *p, int me);
/* One step each. Take fork f (0 or 1) if it is on the table: 1 if me now
 * holds it, 0 if the other thread does. */
int pp_take(struct pp *p, int me, int f);
/* Put fork f (held by me) back on the table. */
void pp_put(struct pp *p, int me, int f);
/* Do nothing for `ticks` (>= 1) steps. */
void pp_pause(struct pp *p, int me, int ticks);
/* A random number from p->rng[me] (xorshift), for backoff. */
uint32_t pp_random(struct pp *p, int me);

/* ================================================================== */
/* Race windows                                        src/kit_window.c */
/* ================================================================== */

enum cb_site {
    CB_SITE_TSTACK_POP,  /* tstack_pop: top and its next read, before the CAS */
    CB_SITE_MSG_UNREF,   /* msg_unref: between its two looks at the count */
};

/* The modules call it at the site; it runs the test's hook, if any (a
 * no-op otherwise). Keep the call where the skeleton has it, or drop it
 * if your fix has no such window any more. obj: the stack or message. */
void cb_window(enum cb_site site, void *obj);
typedef void (*cb_window_fn)(enum cb_site site, void *obj, void *arg);
void cb_set_window(cb_window_fn fn, void *arg);

#endif
