#!/usr/bin/env python3
"""dist_check.py - does a student distribution hold any solution text?

    dist_check.py --kit KIT --dist DIR

Looks in every file of DIR for:
  - any run of 3 consecutive lines of a solution block of KIT/reference
    (the code between #ifdef SOLUTION and its #else or #endif, in every
    .c, .h and .S file), compared with leading and trailing blanks
    removed, blank lines, lone braces and comments skipped; a run counts
    only if at least 2 of its lines appear nowhere in the skeletons (so
    a shared idiom, a prototype or kit code is not a leak);
  - the name of any hidden test (TL_TEST(name in KIT/reference/*/hidden),
    outside lab.conf (whose stage lists name the tests a stage reruns, the
    hidden ones included: names only, so the instructor's grading of the
    same lab.conf runs them);
  - the paths that must not ship (reference/, grader/tests/bugs/).
Prints each hit with its file and exits 1 if there is one. Python 3
standard library; needs unifdef for the skeleton side.
"""
import argparse
import os
import re
import subprocess
import sys

WINDOW = 3
SKIP = re.compile(r"^(\{|\}|\};|\*/|/\*.*|\*.*|//.*|#\s*(else|endif).*)$")
MUST_NOT_SHIP = ("reference", os.path.join("grader", "tests", "bugs"))


def norm(line):
    return line.strip()


def keep(line):
    return line and not SKIP.match(line)


def solution_blocks(path):
    """Lists of lines inside #ifdef SOLUTION ... (#else|#endif), nesting aware."""
    blocks, cur, depth, inside = [], [], 0, False
    with open(path, errors="replace") as f:
        for raw in f:
            s = raw.strip()
            if re.match(r"#\s*if", s):
                if not inside and re.match(r"#\s*ifdef\s+SOLUTION\b", s):
                    inside, depth, cur = True, 0, []
                    continue
                if inside:
                    depth += 1
            elif inside and re.match(r"#\s*(else|elif|endif)", s):
                if depth == 0:
                    blocks.append(cur)
                    inside = False
                    continue
                if re.match(r"#\s*endif", s):
                    depth -= 1
            if inside:
                cur.append(raw)
    return blocks


def sources(top):
    for d, dirs, files in os.walk(top):
        dirs[:] = [x for x in dirs if x != "build"]
        for f in files:
            if f.endswith((".c", ".h", ".S")):
                yield os.path.join(d, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kit", required=True)
    ap.add_argument("--dist", required=True)
    a = ap.parse_args()
    ref = os.path.join(a.kit, "reference")
    skel_lines = set()
    windows = {}
    for path in sources(ref):
        out = subprocess.run(["unifdef", "-USOLUTION", path], capture_output=True, text=True)
        if out.returncode > 1:
            sys.exit(f"dist_check: unifdef failed on {path}: {out.stderr.strip()}")
        skel_lines.update(norm(l) for l in out.stdout.splitlines())
        for block in solution_blocks(path):
            lines = [norm(l) for l in block]
            lines = [l for l in lines if keep(l)]
            for i in range(len(lines) - WINDOW + 1):
                w = lines[i:i + WINDOW]
                if sum(1 for l in w if l not in skel_lines) >= 2:
                    windows.setdefault("\n".join(w), os.path.relpath(path, a.kit))
    # the skeleton set grew while reading: drop windows now mostly shared
    windows = {w: src for w, src in windows.items()
               if sum(1 for l in w.split("\n") if l not in skel_lines) >= 2}
    hidden = set()
    for d in sorted(os.listdir(ref)) if os.path.isdir(ref) else []:
        hdir = os.path.join(ref, d, "hidden")
        if os.path.isdir(hdir):
            for f in os.listdir(hdir):
                with open(os.path.join(hdir, f), errors="replace") as fh:
                    hidden.update(re.findall(r"TL_TEST\((\w+)", fh.read()))
    hits = []
    for p in MUST_NOT_SHIP:
        if os.path.exists(os.path.join(a.dist, p)):
            hits.append(f"{p}: must not ship")
    name_re = re.compile(r"\b(" + "|".join(sorted(hidden)) + r")\b") if hidden else None
    nfiles = 0
    for d, dirs, files in os.walk(a.dist):
        for f in files:
            path = os.path.join(d, f)
            rel = os.path.relpath(path, a.dist)
            try:
                with open(path, errors="strict") as fh:
                    text = fh.read()
            except (UnicodeDecodeError, OSError):
                continue  # binary: no source text in it
            nfiles += 1
            lines = [l for l in (norm(x) for x in text.splitlines()) if keep(l)]
            for i in range(len(lines) - WINDOW + 1):
                w = "\n".join(lines[i:i + WINDOW])
                if w in windows:
                    hits.append(f"{rel}: lines of a solution block of {windows[w]}: "
                                + " | ".join(lines[i:i + WINDOW])[:150])
                    break
            if name_re and f != "lab.conf":  # its stage lists name them: names, no code
                m = name_re.search(text)
                if m:
                    hits.append(f"{rel}: names the hidden test {m.group(1)}")
    if hits:
        print(f"dist check: solution text in the distribution ({len(hits)} file(s)):")
        for h in hits:
            print("  " + h)
        return 1
    print(f"dist check: {nfiles} text files, no solution text ({len(windows)} runs of {WINDOW} solution "
          f"lines and {len(hidden)} hidden test names looked for)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
