/*
 * gt_pin.h - the register-pinning check (grader/harness/tl_pin.h), worded
 * for this lab (kit-owned; shared by the public and hidden register tests).
 */
#ifndef GT_PIN_H
#define GT_PIN_H

#include "gt_test.h"
#include "tl_pin.h"

/* pin_check(who, iter, fn, fname): see tl_pin_check. */
#define pin_check(who, iter, fn, fname) \
    tl_pin_check("thread", "gt_switch", "Task 1.1 and 1.3", (who), (iter), (fn), (fname))

#endif
