/*
 * coro_pin.h - the register-pinning check (grader/harness/tl_pin.h), worded
 * for this lab (kit-owned; shared by the public and hidden register tests).
 */
#ifndef CORO_PIN_H
#define CORO_PIN_H

#include "coro_test.h"
#include "tl_pin.h"

/* pin_check(who, iter, fn, fname): see tl_pin_check. */
#define pin_check(who, iter, fn, fname) \
    tl_pin_check("coroutine", "coro_switch", "Task 1.1 and 1.3", (who), (iter), (fn), (fname))

#endif
