/*
 * pt.h - local continuations: the PT_* macros (handout Task 5).
 *
 * Included by coro.h, after struct pt, PT_LC_DONE and the PT_WAITING /
 * PT_YIELDED / PT_ENDED codes; include coro.h, not this file. The contract
 * of each macro is in coro.h ("Stackless coroutines").
 *
 * How it works: PT_BEGIN opens a switch on pt->lc, whose `case 0:` is the
 * start of the body. Every suspension point stores its own line number in
 * lc, returns, and puts a `case __LINE__:` label right where the body
 * continues; the next call's switch jumps straight to it, into the middle of
 * whatever loop or if it sits in (C allows case labels there). PT_END closes
 * the switch.
 */
#ifndef PT_H
#define PT_H

#include <errno.h>

/* TODO 5.1: PT_INIT(p): set (p)->lc to 0 (given). */
#define PT_INIT(p) ((p)->lc = 0)
/* TODO 5.2: PT_BEGIN(p): open `switch ((p)->lc) {`. Its cases:
 *           PT_LC_DONE: set errno = ESRCH and return -1 (resumed after the
 *           end: a reported error); `default:` (an lc that is none of the
 *           body's lines): pt_bad_lc(__FILE__, __LINE__, (p)->lc); and
 *           finally `case 0:`, the start of the body.
 * TODO 5.3: PT_YIELD(p): in a do { } while (0): lc = __LINE__, return
 *           PT_YIELDED, then the label `case __LINE__:;` (after the return:
 *           the next call lands there and goes on).
 * TODO 5.4: PT_WAIT_UNTIL(p, cond): lc = __LINE__, then the label, THEN
 *           `if (!(cond)) return PT_WAITING;` (the next call tests again).
 *           Write __attribute__((fallthrough)); before the label, or gcc
 *           warns that the store falls through into a case.
 * TODO 5.5: PT_EXIT(p): lc = PT_LC_DONE, return PT_ENDED.
 * TODO 5.6: PT_END(p): close the switch's brace, then lc = PT_LC_DONE and
 *           return PT_ENDED.
 * Until then these stand-ins compile, run nothing and report ENOSYS. */
#define PT_BEGIN(p)                                                           \
    {                                                                         \
        (void)(p);                                                            \
        errno = ENOSYS;                                                       \
        return -1;                                                            \
    }                                                                         \
    {
#define PT_YIELD(p) ((void)(p))
#define PT_WAIT_UNTIL(p, cond) ((void)(p), (void)sizeof(!(cond)))
#define PT_EXIT(p) return ((void)(p), PT_ENDED)
#define PT_END(p)                                                             \
    }                                                                         \
    (void)(p);                                                                \
    return PT_ENDED

#endif
