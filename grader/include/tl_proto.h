/*
 * tl_proto.h - the private result channel between a test binary (the
 * harness, grader/harness/) and the grader's runner (grader/src/run.c).
 *
 * Both sides include this one header, so they cannot disagree about it.
 *
 * The runner creates a pipe, puts its write end in the test process at a
 * known descriptor and passes two environment variables:
 *   TL_RESULT_FD  the descriptor number to write records to
 *   TL_NONCE      a fresh random token for this one run
 * The harness reads both before any test code runs, removes them from the
 * environment, and moves the descriptor out of the way (close-on-exec).
 * Every record is one line:
 *   TL1 <nonce> LIST <name> <points> <timeout_s> <tags|->
 *   TL1 <nonce> RESULT <name> PASS
 *   TL1 <nonce> RESULT <name> FAIL <message, with \n and \\ escaped>
 *   TL1 <nonce> METRIC <name> <value>      (a figure for the perf stage)
 * A line whose nonce is wrong is ignored and counted as tampering. Text a
 * test prints on stdout or stderr is never read as a result.
 */
#ifndef TL_PROTO_H
#define TL_PROTO_H

#include <stddef.h>
#include <string.h>

#define TL_PROTO_MAGIC "TL1"
#define TL_ENV_FD "TL_RESULT_FD"
#define TL_ENV_NONCE "TL_NONCE"
#define TL_ENV_SEED "TL_SEED"
/* Set by the grader when tests run under valgrind or a sanitizer: tests may
 * divide their iteration counts by this factor (see tl_iters()). */
#define TL_ENV_SLOW "TL_SLOW"
#define TL_NONCE_LEN 32      /* hex characters */
#define TL_LINE_MAX 4096     /* longest record, newline included */
#define TL_RESULT_FD_DEFAULT 97

/* Escape a message so it fits on one record line: '\n' -> "\n", '\\' -> "\\",
 * other control characters -> ' '. Always NUL-terminates; truncates. */
static inline void tl_proto_escape(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return;
    for (; *in && o + 2 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else if (c == '\\') { out[o++] = '\\'; out[o++] = '\\'; }
        else if (c < 0x20 || c == 0x7f) out[o++] = ' ';
        else out[o++] = (char)c;
    }
    out[o] = '\0';
}

/* Undo tl_proto_escape in place. */
static inline void tl_proto_unescape(char *s)
{
    char *w = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1] == 'n') { *w++ = '\n'; s++; }
        else if (*s == '\\' && s[1] == '\\') { *w++ = '\\'; s++; }
        else *w++ = *s;
    }
    *w = '\0';
}

#endif
