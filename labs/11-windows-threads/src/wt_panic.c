/*
 * wt_panic.c - given (kit-owned): stop loudly on a broken invariant or a
 * Win32 call that cannot fail in a correct program.
 */
#include "wt.h"

#include <stdio.h>

void wt_panic_at(const char *file, int line, const char *what, unsigned long err)
{
    /* One fprintf, so that two threads panicking at once keep whole lines. */
    if (err)
        fprintf(stderr, "wt panic at %s:%d: %s failed (GetLastError() = %lu)\n", file, line, what, err);
    else
        fprintf(stderr, "wt panic at %s:%d: %s is false\n", file, line, what);
    fflush(stderr);
    /* No atexit handlers, no DLL detach code: this process is broken. */
    TerminateProcess(GetCurrentProcess(), 3);
    for (;;)
        Sleep(INFINITE);
}
