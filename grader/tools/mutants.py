#!/usr/bin/env python3
"""mutants.py - mutation testing of the kit's tests against the references.

    mutants.py [--lab NN]... [--fast] [--jobs N] [--out DIR] [--list]
               [--only ID]... [--stages LIST] [--seed N] [--keep]
    mutants.py --check-equivalents     (every listed equivalent id still exists)

Each mutant is ONE change, at one site, to a student-owned file of a
reference lab (lab.conf: student_files), made only inside `#ifdef SOLUTION`
regions: the bugs a student is likely to write in concurrent code (see
OPERATORS below). Every mutant is graded like a submission of the staff:
`tl-grade --reference` on a scratch kit tree (grader/ linked, the lab copied,
one file mutated), with every test, hidden ones too, and every stage.

A mutant is
  killed      the grading lost points: some test or stage failed (the first
              one that failed is reported: the test that "catches" it)
  survived    full marks: no test notices the bug. A missing test, unless
              the mutant is truly equivalent (same behaviour as the
              reference): those are listed, with the reason, in
              reference/<slug>/mutants-equivalent.txt and not graded
  stillborn   it does not compile (not counted)
Kill rate of a lab = killed / (total - stillborn - equivalent). The exit
status is 1 if a lab is below 90%.

Ids are stable: OPERATOR:FILE:LINE:N (N-th site of that operator on that
line of the unmutated file). Python 3 standard library only.
"""
import argparse
import concurrent.futures
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
THRESHOLD = 0.90

OPERATORS = [
    ("lock-pair", "a lock call and the matching unlock(s) of the same lock in the function removed"),
    ("while-to-if", "the `while` loop around a condition wait made an `if` (tests the predicate once)"),
    ("signal-dropped", "a pthread_cond_signal/broadcast removed"),
    ("broadcast-to-signal", "pthread_cond_broadcast made pthread_cond_signal (wakes one, not all)"),
    ("signal-early", "a signal/broadcast moved before the assignment just above it (the state change it announces)"),
    ("relaxed", "a memory order weakened to relaxed (memory_order_* / __ATOMIC_*)"),
    ("fence-dropped", "a fence removed (atomic_thread_fence, __sync_synchronize, mfence)"),
    ("asm-save-dropped", "in a .S file, the save of a callee-saved register / MXCSR / x87 CW deleted"),
    ("asm-restore-dropped", "in a .S file, the restore of a callee-saved register / MXCSR / x87 CW deleted"),
    ("off-by-one", "`% n` -> `% (n + 1)`, `x + 1` / `x - 1` -> `x`, `<` <-> `<=`, `>` <-> `>=`"),
    ("free-dropped", "a free()/munmap() call removed"),
    ("check-dropped", "an error branch never taken (`if (rc != 0)` -> `if (0 && (rc != 0))`) or a *_CHECK() macro removed"),
]
OP_NAMES = [o for o, _ in OPERATORS]

# *_CHECK(call) around these is not mutated: for a valid, initialised object
# POSIX gives them no error a correct program can meet, so dropping the check
# is equivalent by construction. (Assertions, *_ASSERT, are not mutated for
# the same reason: in a correct reference they never fire.)
NEVER_FAIL = re.compile(r"^\s*(pthread_(mutex_lock|mutex_unlock|mutex_destroy|cond_wait|cond_signal|"
                        r"cond_broadcast|cond_destroy|condattr_init|condattr_destroy|condattr_setclock|"
                        r"join)|"
                        # Win32 (lab 11): no error a correct program meets on a valid handle or index
                        r"SleepConditionVariableSRW|CloseHandle|PostQueuedCompletionStatus|"
                        r"GetQueuedCompletionStatus|GetExitCodeThread|FlsSetValue|TlsSetValue|FlsFree|TlsFree|"
                        r"ConvertFiberToThread|SetEvent)\s*\(")
WAIT_CALL = re.compile(r"\bpthread_cond_(timed|clock)?wait\s*\(|\bSYS_futex\b|\bfutex_wait\w*\s*\(|"
                       r"\bSleepConditionVariable(SRW|CS)\s*\(")
# Condition-variable wakes, POSIX and Win32 (lab 11).
WAKE_CALL = r"\b(pthread_cond_(signal|broadcast)|Wake(All)?ConditionVariable)\s*\("
# A lock call -> the name of its release, POSIX (x_lock / x_unlock) and Win32.
LOCK_CALL = re.compile(r"\b(\w+_lock|AcquireSRWLock(Exclusive|Shared)|EnterCriticalSection)\s*\(")


def release_of(lock):
    if lock.startswith("AcquireSRWLock"):
        return "ReleaseSRWLock" + lock[len("AcquireSRWLock"):]
    if lock == "EnterCriticalSection":
        return "LeaveCriticalSection"
    return lock[:-len("_lock")] + "_unlock"
CALLEE_SAVED = {"rbx", "rbp", "r12", "r13", "r14", "r15"}


# ---------------------------------------------------------------------------
# Reading the kit

def conf_get(conf, section, key):
    out = subprocess.run([os.path.join(ROOT, "grader", "tools", "conf-get.sh"), conf, section, key],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def find_labs(selected):
    refdir = os.path.join(ROOT, "reference")
    labs = sorted(d for d in os.listdir(refdir) if re.match(r"^\d\d-", d) and
                  os.path.isdir(os.path.join(refdir, d)))
    if not selected:
        return labs
    out = []
    for s in selected:
        m = [l for l in labs if l == s or l.split("-", 1)[0] == s]
        if not m:
            sys.exit("mutants: no lab %r in reference/ (have: %s)" % (s, " ".join(labs)))
        out += [l for l in m if l not in out]
    return out


def load_equivalent(slug):
    path = os.path.join(ROOT, "reference", slug, "mutants-equivalent.txt")
    eq = {}
    if os.path.exists(path):
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                if " # " not in line:
                    sys.exit("%s:%d: expected `ID # reason`" % (path, n))
                mid, why = line.split(" # ", 1)
                eq[mid.strip()] = why.strip()
    return eq, path


# ---------------------------------------------------------------------------
# Source analysis

def mask_code(text, asm=False):
    """Same length as text; comments and string/char literals become spaces
    (newlines kept), so regexes only see code."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif text.startswith("//", i) and not asm:
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                out[k] = " "
            i = j
        elif c in "\"'" and not asm:
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out)


def solution_lines(lines):
    """Set of 1-based line numbers inside the SOLUTION branch of an
    #ifdef SOLUTION (or #if defined(SOLUTION)) block."""
    stack = []  # [is_solution, in_then]
    res = set()
    for no, line in enumerate(lines, 1):
        s = line.strip()
        m = re.match(r"#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)", s)
        if m:
            d, rest = m.group(1), m.group(2).strip()
            if d in ("ifdef", "if", "ifndef"):
                sol = (d == "ifdef" and rest == "SOLUTION") or \
                      (d == "if" and re.fullmatch(r"defined\s*\(?\s*SOLUTION\s*\)?", rest) is not None)
                stack.append([sol, True])
            elif d in ("else", "elif") and stack:
                stack[-1][1] = False
            elif d == "endif" and stack:
                stack.pop()
            continue
        if any(sol and then for sol, then in stack):
            res.add(no)
    return res


def match_paren(masked, i):
    """masked[i] == '(' : index of the matching ')'."""
    depth = 0
    for j in range(i, len(masked)):
        if masked[j] == "(":
            depth += 1
        elif masked[j] == ")":
            depth -= 1
            if depth == 0:
                return j
    return -1


def match_brace(masked, i):
    depth = 0
    for j in range(i, len(masked)):
        if masked[j] == "{":
            depth += 1
        elif masked[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


class Src:
    def __init__(self, rel, text):
        self.rel = rel
        self.text = text
        self.asm = rel.endswith(".S")
        self.masked = mask_code(text, self.asm)
        self.lines = text.split("\n")
        self.line_start = [0]
        for ln in self.lines:
            self.line_start.append(self.line_start[-1] + len(ln) + 1)
        self.sol = solution_lines(self.lines)
        # preprocessor lines are never mutated
        for no, ln in enumerate(self.lines, 1):
            if ln.lstrip().startswith("#"):
                self.sol.discard(no)
        self.funcs = [] if self.asm else self._functions()
        # nor are assertions (*_ASSERT(...)): in a correct reference they
        # never fire, so any change inside one is equivalent or a false alarm
        self.asserts = []
        for mt in re.finditer(r"\b[A-Z][A-Z0-9]*_ASSERT\s*\(", self.masked):
            p = self.masked.index("(", mt.start())
            self.asserts.append((mt.start(), match_paren(self.masked, p)))

    def line_of(self, pos):
        lo, hi = 0, len(self.line_start) - 1
        while lo < hi - 1:
            mid = (lo + hi) // 2
            if self.line_start[mid] <= pos:
                lo = mid
            else:
                hi = mid
        return lo + 1

    def mutable(self, pos):
        return self.line_of(pos) in self.sol and not any(a <= pos <= b for a, b in self.asserts)

    def _functions(self):
        """(name, body_start, body_end) of every top-level brace block
        that follows a `)`: the functions."""
        res, depth, start = [], 0, None
        m = self.masked
        for i, c in enumerate(m):
            if c == "{":
                if depth == 0:
                    start = i
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0 and start is not None:
                    head = m[max(0, start - 400):start].rstrip()
                    if head.endswith(")"):
                        k = len(head) - 1
                        d = 0
                        while k >= 0:
                            if head[k] == ")":
                                d += 1
                            elif head[k] == "(":
                                d -= 1
                                if d == 0:
                                    break
                            k -= 1
                        nm = re.search(r"(\w+)\s*$", head[:k])
                        res.append((nm.group(1) if nm else "?", start, i))
                    start = None
        return res

    def func_at(self, pos):
        for f in self.funcs:
            if f[1] <= pos <= f[2]:
                return f
        return None

    def stmt_span(self, call_pos):
        """If the call at call_pos is an expression statement (possibly
        wrapped: `PTL_CHECK(call);`, `(void)call;`), the (start, end) of the
        whole statement; else None."""
        ls = self.line_start[self.line_of(call_pos) - 1]
        prefix = self.masked[ls:call_pos]
        if not re.fullmatch(r"\s*((\(void\)\s*)|(\w+\s*\(\s*))*", prefix):
            return None
        if re.search(r"\b(if|while|for|switch|return)\s*\(", prefix):
            return None
        start = ls + len(prefix) - len(prefix.lstrip())
        depth = 0
        for j in range(start, len(self.masked)):
            c = self.masked[j]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif c == ";" and depth == 0:
                return (start, j + 1)
            elif c in "{}":
                return None
        return None

    def call_span(self, call_pos):
        """(start, end) of `name(args)` starting at call_pos."""
        p = self.masked.index("(", call_pos)
        return (call_pos, match_paren(self.masked, p) + 1)


class Mutant:
    def __init__(self, op, src, pos, edits, desc):
        self.op = op
        self.file = src.rel
        self.line = src.line_of(pos)
        self.edits = sorted(edits)
        self.desc = desc
        self.src = src
        self.id = None

    def apply(self):
        t = self.src.text
        for s, e, r in reversed(self.edits):
            t = t[:s] + r + t[e:]
        return t

    def diff(self):
        a = self.src.text.splitlines(keepends=True)
        b = self.apply().splitlines(keepends=True)
        return "".join(difflib.unified_diff(a, b, "a/" + self.file, "b/" + self.file, n=1))


def snippet(s, n=60):
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 3] + "..."


# ---------------------------------------------------------------------------
# The operators. Each yields Mutants for one source file.

def op_lock_pair(src):
    m = src.masked
    for mt in LOCK_CALL.finditer(m):
        if not src.mutable(mt.start()) or mt.group(1).endswith("_try_lock"):
            continue
        f = src.func_at(mt.start())
        if not f:
            continue
        p = m.index("(", mt.start())
        arg = re.sub(r"\s+", "", m[p + 1:match_paren(m, p)])
        lock = src.stmt_span(mt.start())
        if not lock:
            continue
        unlocks = []
        for mu in re.finditer(r"\b" + re.escape(release_of(mt.group(1))) + r"\s*\(", m[mt.end():f[2]]):
            q = mt.end() + mu.start()
            pq = m.index("(", q)
            if re.sub(r"\s+", "", m[pq + 1:match_paren(m, pq)]) != arg:
                continue
            sp = src.stmt_span(q)
            if sp:
                unlocks.append(sp)
        if not unlocks:
            continue
        edits = [(lock[0], lock[1], ";")] + [(s, e, ";") for s, e in unlocks]
        yield Mutant("lock-pair", src, mt.start(), edits,
                     "%s(%s) and its %d unlock(s) in %s() removed" % (mt.group(1), arg, len(unlocks), f[0]))


def wait_helpers(src):
    names = set()
    changed = True
    while changed:
        changed = False
        for name, s, e in src.funcs:
            if name in names:
                continue
            body = src.masked[s:e]
            if WAIT_CALL.search(body) or any(re.search(r"\b%s\s*\(" % re.escape(n), body) for n in names):
                names.add(name)
                changed = True
    return names


def op_while_to_if(src):
    m = src.masked
    helpers = wait_helpers(src)
    for mt in re.finditer(r"\bwhile\s*\(", m):
        if not src.mutable(mt.start()) or m[:mt.start()].rstrip().endswith("}"):
            continue  # do { } while
        p = m.index("(", mt.start())
        q = match_paren(m, p)
        k = q + 1
        while m[k].isspace():
            k += 1
        if m[k] == "{":
            end = match_brace(m, k)
        elif m[k] == ";":
            continue
        else:
            sp = src.stmt_span(k)
            end = sp[1] if sp else m.find(";", k)
        body = m[k:end + 1]
        waits = WAIT_CALL.search(body) or any(re.search(r"\b%s\s*\(" % re.escape(n), body) for n in helpers)
        if not waits:
            continue
        cond = src.text[p + 1:q]
        if re.search(r"\b(break|continue)\b", body):
            edits = [(mt.start(), q + 1, "for (int tl_mutant_once = 1; tl_mutant_once && (%s); tl_mutant_once = 0)" % cond)]
        else:
            edits = [(mt.start(), mt.start() + 5, "if")]
        yield Mutant("while-to-if", src, mt.start(), edits,
                     "`while (%s)` around a wait made `if`" % snippet(cond, 50))


def op_signal_dropped(src):
    for mt in re.finditer(WAKE_CALL, src.masked):
        if not src.mutable(mt.start()):
            continue
        sp = src.stmt_span(mt.start())
        if sp:
            yield Mutant("signal-dropped", src, mt.start(), [(sp[0], sp[1], ";")],
                         "%s removed" % snippet(src.text[sp[0]:sp[1]]))


def op_broadcast_to_signal(src):
    for mt in re.finditer(r"\b(pthread_cond_broadcast|WakeAllConditionVariable)\b", src.masked):
        if src.mutable(mt.start()):
            one = "pthread_cond_signal" if mt.group(1).startswith("pthread") else "WakeConditionVariable"
            yield Mutant("broadcast-to-signal", src, mt.start(),
                         [(mt.start(), mt.end(), one)],
                         "broadcast -> signal: %s" % snippet(src.text[mt.start():src.masked.find(";", mt.start()) + 1]))


ASSIGN = re.compile(r"^\s*(\+\+|--)?[\w\->.\[\]]+\s*(\+\+|--|[-+*/|&^]?=(?!=)).*;\s*$")


def op_signal_early(src):
    m = src.masked
    mlines = m.split("\n")
    for mt in re.finditer(WAKE_CALL, m):
        if not src.mutable(mt.start()):
            continue
        sp = src.stmt_span(mt.start())
        if not sp:
            continue
        L = src.line_of(mt.start())
        if src.line_of(sp[1] - 1) != L:
            continue
        U = L
        prev = mlines[L - 2].strip()
        if re.match(r"^(else\s+)?if\s*\(.*\)$", prev):
            if prev.startswith("else") or mlines[L].strip().startswith("else"):
                continue
            U = L - 1
        elif prev.startswith("else"):
            continue
        P = U - 1
        while P >= 1 and not mlines[P - 1].strip():
            P -= 1
        if P < 1 or P not in src.sol or not ASSIGN.match(mlines[P - 1]):
            continue
        ind = lambda n: len(src.lines[n - 1]) - len(src.lines[n - 1].lstrip())
        if ind(P) != ind(U):
            continue
        a, b, c = src.line_start[P - 1], src.line_start[U - 1], src.line_start[L]
        new = src.text[b:c] + src.text[a:b]
        yield Mutant("signal-early", src, mt.start(), [(a, c, new)],
                     "%s moved before `%s`" % (snippet(src.text[sp[0]:sp[1]], 45), src.lines[P - 1].strip()))


def op_relaxed(src):
    for mt in re.finditer(r"\bmemory_order_(acquire|release|acq_rel|seq_cst|consume)\b|"
                          r"\b__ATOMIC_(ACQUIRE|RELEASE|ACQ_REL|SEQ_CST|CONSUME)\b", src.masked):
        if not src.mutable(mt.start()):
            continue
        new = "memory_order_relaxed" if mt.group(0).startswith("memory") else "__ATOMIC_RELAXED"
        ls = src.line_start[src.line_of(mt.start()) - 1]
        yield Mutant("relaxed", src, mt.start(), [(mt.start(), mt.end(), new)],
                     "%s -> %s in `%s`" % (mt.group(0), new, snippet(src.lines[src.line_of(mt.start()) - 1])))


def op_fence(src):
    if src.asm:
        for no in sorted(src.sol):
            if re.match(r"^\s*(mfence|lfence|sfence)\b", src.masked.split("\n")[no - 1]):
                a, b = src.line_start[no - 1], src.line_start[no] - 1
                yield Mutant("fence-dropped", src, a, [(a, b, "")], "`%s` removed" % src.lines[no - 1].strip())
        return
    for mt in re.finditer(r"\b(atomic_thread_fence|__atomic_thread_fence|__sync_synchronize|atomic_signal_fence)\s*\(",
                          src.masked):
        if not src.mutable(mt.start()):
            continue
        sp = src.stmt_span(mt.start())
        if sp:
            yield Mutant("fence-dropped", src, mt.start(), [(sp[0], sp[1], ";")],
                         "%s removed" % snippet(src.text[sp[0]:sp[1]]))


def op_asm(src):
    if not src.asm:
        return
    mlines = src.masked.split("\n")
    for no in sorted(src.sol):
        ln = mlines[no - 1]
        mt = re.match(r"^\s*(movq|mov|stmxcsr|fnstcw|fstcw|ldmxcsr|fldcw)\s+(.*?)\s*$", ln)
        if not mt:
            continue
        ins, ops = mt.group(1), [o.strip() for o in re.split(r",(?![^(]*\))", mt.group(2))]
        kind = what = None
        if ins in ("stmxcsr", "fnstcw", "fstcw"):
            kind, what = "save", "mxcsr" if ins == "stmxcsr" else "x87 control word"
        elif ins in ("ldmxcsr", "fldcw"):
            kind, what = "restore", "mxcsr" if ins == "ldmxcsr" else "x87 control word"
        elif len(ops) == 2:
            r0, r1 = ops[0].lstrip("%"), ops[1].lstrip("%")
            if r0 in CALLEE_SAVED and "(" in ops[1]:
                kind, what = "save", "%" + r0
            elif r1 in CALLEE_SAVED and "(" in ops[0]:
                kind, what = "restore", "%" + r1
        if not kind:
            continue
        a, b = src.line_start[no - 1], src.line_start[no] - 1
        yield Mutant("asm-%s-dropped" % kind, src, a, [(a, b, "")],
                     "%s of %s not done: `%s` deleted" % (kind, what, src.lines[no - 1].strip()))


REL_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}


def op_off_by_one(src):
    if src.asm:
        return
    m = src.masked
    # `% n` -> `% (n + 1)`
    for mt in re.finditer(r"%\s*([A-Za-z_][\w]*(?:(?:->|\.)\w+)*)", m):
        if src.mutable(mt.start()):
            yield Mutant("off-by-one", src, mt.start(), [(mt.start(1), mt.end(1), "(%s + 1)" % mt.group(1))],
                         "`%% %s` -> `%% (%s + 1)` in `%s`" % (mt.group(1), mt.group(1),
                                                              snippet(src.lines[src.line_of(mt.start()) - 1])))
    # `x + 1` / `x - 1` -> `x`
    for mt in re.finditer(r"(?<![+\-])\s([+\-])\s*1\b(?!\.)", m):
        if not src.mutable(mt.start()):
            continue
        before = m[:mt.start()].rstrip()
        if not before or not (before[-1].isalnum() or before[-1] in "_)]"):
            continue
        if re.search(r"\b(return|case)$", before):
            continue
        yield Mutant("off-by-one", src, mt.start(), [(mt.start(), mt.end(), "")],
                     "`%s 1` removed in `%s`" % (mt.group(1), snippet(src.lines[src.line_of(mt.start()) - 1])))
    # `<` <-> `<=`, `>` <-> `>=`
    for mt in re.finditer(r"(?<![<>\-=!])(<=|>=|<|>)(?![<>=])", m):
        if not src.mutable(mt.start()):
            continue
        new = REL_SWAP[mt.group(1)]
        yield Mutant("off-by-one", src, mt.start(), [(mt.start(), mt.end(), new)],
                     "`%s` -> `%s` in `%s`" % (mt.group(1), new, snippet(src.lines[src.line_of(mt.start()) - 1])))


def op_free(src):
    if src.asm:
        return
    for mt in re.finditer(r"\b(free|munmap)\s*\(", src.masked):
        if not src.mutable(mt.start()):
            continue
        sp = src.stmt_span(mt.start())
        if sp:
            edits = [(sp[0], sp[1], ";")]
        else:
            cs = src.call_span(mt.start())
            edits = [(cs[0], cs[1], "0")]
        yield Mutant("free-dropped", src, mt.start(), edits,
                     "`%s` removed" % snippet(src.text[mt.start():src.call_span(mt.start())[1]]))


ERR_COND = re.compile(r"(!=\s*0\b|<\s*0\b|==\s*-1\b|==\s*NULL\b|MAP_FAILED|^\s*!\s*[\w\->.]+(\s*\|\|\s*!\s*[\w\->.]+)*\s*$|"
                      r"^\s*(rc|r|ret|err|e)\s*$)")
ERR_BODY = re.compile(r"\b(return|\w+_PANIC|errno|goto|\w+_destroy|free|munmap)\b")


def op_check(src):
    if src.asm:
        return
    m = src.masked
    for mt in re.finditer(r"\bif\s*\(", m):
        if not src.mutable(mt.start()):
            continue
        p = m.index("(", mt.start())
        q = match_paren(m, p)
        cond = m[p + 1:q]
        if not ERR_COND.search(cond):
            continue
        k = q + 1
        while m[k].isspace():
            k += 1
        end = match_brace(m, k) if m[k] == "{" else m.find(";", k)
        if not ERR_BODY.search(m[k:end + 1]):
            continue
        yield Mutant("check-dropped", src, mt.start(), [(p + 1, q, "0 && (%s)" % src.text[p + 1:q])],
                     "error branch `if (%s)` never taken" % snippet(src.text[p + 1:q], 50))
    for mt in re.finditer(r"\b[A-Z][A-Z0-9]*_CHECK\s*\(", m):
        if not src.mutable(mt.start()):
            continue
        p = m.index("(", mt.start())
        q = match_paren(m, p)
        inner = src.text[p + 1:q]
        if NEVER_FAIL.match(m[p + 1:q]):
            continue
        yield Mutant("check-dropped", src, mt.start(), [(mt.start(), q + 1, "(void)(%s)" % inner)],
                     "`%s` -> `(void)(%s)`" % (snippet(src.text[mt.start():q + 1], 40), snippet(inner, 40)))


OP_FUNCS = [op_lock_pair, op_while_to_if, op_signal_dropped, op_broadcast_to_signal, op_signal_early,
            op_relaxed, op_fence, op_asm, op_off_by_one, op_free, op_check]


def mutants_of(slug):
    labdir = os.path.join(ROOT, "reference", slug)
    files = conf_get(os.path.join(labdir, "lab.conf"), "lab", "student_files").split()
    res = []
    for rel in files:
        with open(os.path.join(labdir, rel)) as f:
            src = Src(rel, f.read())
        found = []
        for fn in OP_FUNCS:
            found += list(fn(src))
        found.sort(key=lambda mu: (OP_NAMES.index(mu.op), mu.line, mu.edits[0][0]))
        seen = {}
        for mu in found:
            key = (mu.op, mu.file, mu.line)
            seen[key] = seen.get(key, 0) + 1
            mu.id = "%s:%s:%d:%d" % (mu.op, mu.file, mu.line, seen[key])
        res += found
    res.sort(key=lambda mu: (OP_NAMES.index(mu.op), files.index(mu.file), mu.line, mu.id))
    return res


def fast_subset(muts, equivalent, cap=0, turn=0):
    """At most one mutant per operator: the first (in id order) not marked
    equivalent. With cap, at most cap of those, the operators taken in turn
    from position turn*cap (the lab's index), so that labs with the same
    operators check different ones and the suite's time stays bounded as
    labs are added. Deterministic: depends only on the sources."""
    out, seen = [], set()
    for mu in muts:
        if mu.op in seen or mu.id in equivalent:
            continue
        seen.add(mu.op)
        out.append(mu)
    if cap and len(out) > cap:
        start = (turn * cap) % len(out)
        out = [out[(start + i) % len(out)] for i in range(cap)]
    return out


# ---------------------------------------------------------------------------
# Grading

def grade(slug, mu, args):
    nn = slug.split("-", 1)[0]
    safe = re.sub(r"[^\w.-]+", "_", mu.id)
    kit = os.path.join(args.out, "work", slug, safe)
    shutil.rmtree(kit, ignore_errors=True)
    os.makedirs(os.path.join(kit, "reference"))
    os.symlink(os.path.join(ROOT, "grader"), os.path.join(kit, "grader"))
    # What the kit builds once and every lab build reads (lab 11: cmocka
    # built for Windows and the Wine prefix template; grader/tools/windows.sh)
    for made in ("cmocka-win", "wine-prefix"):
        src = os.path.join(ROOT, "build", made)
        if os.path.isdir(src):
            os.makedirs(os.path.join(kit, "build"), exist_ok=True)
            os.symlink(src, os.path.join(kit, "build", made))
    shutil.copytree(os.path.join(ROOT, "reference", slug), os.path.join(kit, "reference", slug),
                    ignore=shutil.ignore_patterns("build"), symlinks=True)
    with open(os.path.join(kit, "reference", slug, mu.file), "w") as f:
        f.write(mu.apply())
    out = os.path.join(kit, "out")
    # --fail-fast: the first failure decides "killed"; the rest of the
    # grading (hung tests that wait out their timeouts, the tool stages)
    # cannot change that.
    cmd = [os.path.join(ROOT, "grader", "build", "tl-grade"), "--kit", kit, "--reference",
           "--lab", nn, "--out", out, "--jobs", str(args.grade_jobs), "--fail-fast"]
    if args.stages:
        cmd += ["--stages", args.stages]
    if args.seed is not None:
        cmd += ["--seed", str(args.seed)]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        log = p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        log = "grading took longer than %ds" % args.timeout
    secs = time.time() - t0
    r = {"status": "error", "killed_by": None, "detail": "", "score": None, "seconds": round(secs, 1)}
    try:
        with open(os.path.join(out, "results.json")) as f:
            res = json.load(f)
    except (OSError, ValueError):
        r["detail"] = "no results.json: " + log.strip()[-300:]
        return r
    lab = next((l for l in res.get("extra_data", {}).get("labs", []) if l.get("lab") == slug), None)
    if lab is None:
        r["detail"] = "results.json has no entry for " + slug
        return r
    r["score"] = lab.get("score")
    failed = [t for t in res.get("tests", []) if t.get("name", "").startswith(slug + "/")
              and t.get("status") == "failed" and not t.get("output", "").startswith("not run:")]
    if not lab.get("built", True):
        r["status"] = "stillborn"
        out_txt = failed[0].get("output", "") if failed else ""
        errs = [l for l in out_txt.split("\n") if "error" in l]
        r["detail"] = (errs[0] if errs else out_txt.strip().split("\n")[0] if out_txt else "build failed").strip()[:200]
    elif failed or lab.get("score", 0) < lab.get("max_score", 100):
        r["status"] = "killed"
        if failed:
            r["killed_by"] = failed[0]["name"][len(slug) + 1:]
            lines = [l.strip(" |") for l in failed[0].get("output", "").split("\n") if l.strip(" |")]
            r["detail"] = (lines[0] if lines else "")[:200]
    else:
        r["status"] = "survived"
    if not args.keep:
        shutil.rmtree(os.path.join(kit, "reference"), ignore_errors=True)
    return r


# ---------------------------------------------------------------------------
# Reports

def table(report):
    rows = []
    for lab in report["labs"]:
        rows.append("%s: %d mutants, %d killed, %d survived, %d stillborn, %d equivalent; kill rate %s%s" % (
            lab["lab"], lab["total"], lab["killed"], lab["survived"], lab["stillborn"], lab["equivalent"],
            "%.1f%%" % (100 * lab["kill_rate"]) if lab["kill_rate"] is not None else "n/a",
            "" if lab["kill_rate"] is None or lab["kill_rate"] >= THRESHOLD else "  BELOW %d%%" % (100 * THRESHOLD)))
        w = max([len(m["id"]) for m in lab["mutants"]] + [10])
        rows.append("  %-10s %-*s  %s" % ("status", w, "mutant", "caught by / reason"))
        order = {"survived": 0, "error": 1, "killed": 2, "stillborn": 3, "equivalent": 4}
        for m in sorted(lab["mutants"], key=lambda m: order.get(m["status"], 9)):
            if m["status"] == "killed":
                why = m["killed_by"] or "(score below max)"
            elif m["status"] == "survived":
                why = "NO TEST CATCHES: " + m["description"]
            elif m["status"] == "equivalent":
                why = m["reason"]
            else:
                why = m.get("detail", "")
            rows.append("  %-10s %-*s  %s" % (m["status"], w, m["id"], why))
        rows.append("")
    rows.append("operator             " + "  ".join("%10s" % l["lab"][:10] for l in report["labs"]))
    for op in OP_NAMES:
        cells = []
        for l in report["labs"]:
            ms = [m for m in l["mutants"] if m["op"] == op]
            k = sum(m["status"] == "killed" for m in ms)
            g = sum(m["status"] in ("killed", "survived") for m in ms)
            cells.append("%10s" % ("%d/%d/%d" % (k, g, len(ms)) if ms else "-"))
        rows.append("%-20s " % op + "  ".join(cells))
    rows.append("(killed/graded/generated per operator)")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description="Mutation testing of the lab tests against the references.")
    ap.add_argument("--lab", action="append", default=[], help="NN or NN-slug (repeatable; default all)")
    ap.add_argument("--fast", action="store_true",
                    help="one mutant per operator per lab, tests stage only (for make test)")
    ap.add_argument("--per-lab", type=int, default=0,
                    help="with --fast: at most this many mutants per lab, operators in turn across labs")
    ap.add_argument("--jobs", type=int, default=1, help="mutants graded at once (each grading uses 2 jobs)")
    ap.add_argument("--grade-jobs", type=int, default=2, help="tests at once within one grading (tl-grade --jobs)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "mutants"))
    ap.add_argument("--list", action="store_true", help="list the mutants, grade nothing")
    ap.add_argument("--only", action="append", default=[], help="grade only this mutant id (repeatable)")
    ap.add_argument("--op", action="append", default=[], help="only mutants of this operator (repeatable)")
    ap.add_argument("--stages", default=None, help="pass --stages to tl-grade (default: all stages)")
    ap.add_argument("--seed", type=int, default=None, help="pass --seed to tl-grade")
    ap.add_argument("--timeout", type=int, default=900, help="seconds for one grading")
    ap.add_argument("--diff", action="store_true", help="with --list: print each diff")
    ap.add_argument("--keep", action="store_true", help="keep each mutant's kit tree")
    ap.add_argument("--check-equivalents", action="store_true",
                    help="only check that every id in each mutants-equivalent.txt is still generated "
                         "(ids are file:line: an edit above a listed line moves it); grade nothing")
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)
    if args.fast and not args.stages:
        args.stages = "tests"

    labs = find_labs(args.lab)
    plan = []
    stale_ids = 0
    for slug in labs:
        muts = mutants_of(slug)
        eq, eqpath = load_equivalent(slug)
        ids = {m.id for m in muts}
        for stale in sorted(set(eq) - ids):
            stale_ids += 1
            print("mutants: %s names %s, which is no longer generated (a line moved?)" %
                  (os.path.relpath(eqpath, ROOT), stale), file=sys.stderr)
        sel = fast_subset(muts, eq, args.per_lab, labs.index(slug)) if args.fast else muts
        if args.only:
            sel = [m for m in sel if m.id in args.only]
        if args.op:
            sel = [m for m in sel if m.op in args.op]
        plan.append((slug, muts, sel, eq))

    if args.check_equivalents:
        neq = sum(len(eq) for _, _, _, eq in plan)
        if stale_ids:
            print("mutants: %d of %d listed equivalent ids are no longer generated; "
                  "`python3 grader/tools/mutants.py --lab NN --list` shows the current ones" % (stale_ids, neq),
                  file=sys.stderr)
            return 2
        print("mutants: all %d listed equivalent ids of %d labs are still generated" % (neq, len(plan)))
        return 0

    if args.list:
        for slug, muts, sel, eq in plan:
            print("%s: %d mutants%s" % (slug, len(muts), " (%d selected)" % len(sel) if len(sel) != len(muts) else ""))
            for m in sel:
                print("  %-48s %s%s" % (m.id, m.desc, "   [equivalent: %s]" % eq[m.id] if m.id in eq else ""))
                if args.diff:
                    print("    " + m.diff().replace("\n", "\n    "))
        return 0

    if stale_ids:
        # An id that moved would be graded as a survivor and its reason lost:
        # stop, so the file is fixed rather than the rate quietly wrong.
        print("mutants: fix the ids above (mutants.py --lab NN --list shows the current ones); "
              "nothing graded", file=sys.stderr)
        return 2
    if not os.access(os.path.join(ROOT, "grader", "build", "tl-grade"), os.X_OK):
        subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "grader")], check=True)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    report = {"labs": [], "fast": args.fast, "stages": args.stages or "tests,race,memory (all)",
              "threshold": THRESHOLD}
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for slug, muts, sel, eq in plan:
            for m in sel:
                if m.id not in eq:
                    jobs.append((slug, m, ex.submit(grade, slug, m, args)))
        done = 0
        for slug, m, fut in jobs:
            r = fut.result()
            done += 1
            print("[%d/%d] %-9s %s%s" % (done, len(jobs), r["status"], m.id,
                                         "  <- " + r["killed_by"] if r["killed_by"] else ""), flush=True)
            m.result = r
    for slug, muts, sel, eq in plan:
        ms = []
        for m in sel:
            d = {"id": m.id, "op": m.op, "file": m.file, "line": m.line, "description": m.desc, "diff": m.diff()}
            if m.id in eq:
                d.update(status="equivalent", reason=eq[m.id])
            else:
                d.update(m.result)
            ms.append(d)
        cnt = {s: sum(x["status"] == s for x in ms) for s in ("killed", "survived", "stillborn", "equivalent", "error")}
        denom = len(ms) - cnt["stillborn"] - cnt["equivalent"]
        report["labs"].append(dict(lab=slug, total=len(ms), **cnt,
                                   kill_rate=(cnt["killed"] / denom) if denom else None, mutants=ms))
    report["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(args.out, "mutants.json"), "w") as f:
        json.dump(report, f, indent=1)
    txt = table(report) + "\nTime: %.0f s%s\n" % (report["seconds"], "  (--fast: tests stage only)" if args.fast else "")
    with open(os.path.join(args.out, "mutants.txt"), "w") as f:
        f.write(txt)
    print()
    print(txt, end="")
    print("Reports: %s, %s" % (os.path.join(args.out, "mutants.json"), os.path.join(args.out, "mutants.txt")))
    errors = [m["id"] for l in report["labs"] for m in l["mutants"] if m["status"] == "error"]
    if errors:
        print("mutants: the grading itself failed for %s" % ", ".join(errors))
    low = [l["lab"] for l in report["labs"] if l["kill_rate"] is not None and l["kill_rate"] < THRESHOLD]
    if args.fast or args.only or args.op:
        # a subset (tests stage only for --fast): rates are informative, the
        # gate is the tool working end to end
        return 1 if errors else 0
    if low:
        print("mutants: kill rate below %d%% in %s" % (100 * THRESHOLD, ", ".join(low)))
    return 1 if low or errors else 0


if __name__ == "__main__":
    sys.exit(main())
