#!/usr/bin/env python3
"""bench.py - run a lab's benchmark pairs: our program against its peer.

    bench.py --bin DIR --pairs FILE [--lab NAME] [--runs N] [--quick] [--json OUT]

FILE has one comparison per line, `label | our command | peer command`,
optionally `| target <= R`: the ratio ours/peer the reference should stay
at or under (1.5: at most half as slow again; 0.05: at least 20x faster).
Program names are looked up in DIR; `#` starts a comment. Every program
does a fixed amount of counted work and prints one line on stdout,
`tl-bench ops=<units done> ns=<elapsed ns of the measured part>`, and exits
non-zero if its own answer is wrong. Exit status 77 (automake's "skipped")
means the program is not there to run: a reference-only peer in the student
kit, whose stub says why on stderr; the pair is reported as skipped.

The two sides of a pair run alternately (A B A B ...), after one warm-up run
each, so that whatever else the machine is doing falls on both alike. For
each side: the median time per unit of work and the min-max spread; for the
pair: ours/peer, the ratio of the medians (below 1: ours is faster). A ratio
from one run of this script is the figure to quote, never a time alone.

--quick sets TL_BENCH_QUICK=1 (each program does a token amount of work),
one run per side, no warm-up: a check that everything builds, runs and
agrees on its answer, not a measurement.
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys

LINE = re.compile(r"^tl-bench ops=(\d+) ns=(\d+)\s*$")
SKIP = 77


class Skipped(Exception):
    """A program that exited SKIP: not run here, and not a failure."""
TARGET = re.compile(r"^target\s*<=\s*([0-9]*\.?[0-9]+)$")


def run_once(bindir, cmd, env, timeout):
    """One run of cmd: (ns per op, ops) or raises RuntimeError saying why."""
    argv = shlex.split(cmd)
    exe = os.path.join(bindir, argv[0])
    if not os.access(exe, os.X_OK):
        raise RuntimeError(f"{exe} is not built (make bench-build)")
    try:
        p = subprocess.run([exe] + argv[1:], env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"`{cmd}` ran over {timeout} s")
    found = [LINE.match(l) for l in p.stdout.splitlines()]
    found = [m for m in found if m]
    if p.returncode == SKIP:
        raise Skipped((p.stderr.strip().splitlines() or [f"`{cmd}` skipped itself"])[-1])
    if p.returncode != 0 or len(found) != 1:
        why = (p.stderr.strip().splitlines() or ["(nothing on stderr)"])[-3:]
        raise RuntimeError(f"`{cmd}` exited {p.returncode} with {len(found)} tl-bench lines: " + " / ".join(why))
    ops, ns = int(found[0].group(1)), int(found[0].group(2))
    if ops <= 0 or ns <= 0:
        raise RuntimeError(f"`{cmd}` reported ops={ops} ns={ns}: both must be positive")
    return ns / ops, ops


def fmt(x):
    if x >= 1e6:
        return f"{x / 1e6:.2f} ms"
    if x >= 1e3:
        return f"{x / 1e3:.2f} us"
    return f"{x:.1f} ns"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--lab", default="")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--timeout", type=int, default=300)
    a = ap.parse_args()

    pairs = []
    with open(a.pairs) as f:
        for n, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = [x.strip() for x in line.split("|")]
            target = None
            if len(parts) == 4:
                m = TARGET.match(parts.pop())
                if not m:
                    sys.exit(f"{a.pairs}:{n}: the fourth field must read `target <= R` (R a number)")
                target = float(m.group(1))
            if len(parts) != 3 or not all(parts):
                sys.exit(f"{a.pairs}:{n}: want `label | our command | peer command [| target <= R]`, "
                         f"got: {raw.rstrip()}")
            pairs.append(parts + [target])
    if not pairs:
        sys.exit(f"{a.pairs}: no pairs")

    env = dict(os.environ)
    runs, warm, timeout = a.runs, 1, a.timeout
    if a.quick:
        env["TL_BENCH_QUICK"] = "1"
        runs, warm, timeout = 1, 0, 60
    results, failed = [], 0
    w = min(60, max(len(p[0]) for p in pairs))
    missed = 0
    head = f"{'pair':{w}} {'ours / op':>10} {'(min-max)':>21}  {'peer / op':>10} {'(min-max)':>21}  ours/peer"
    print(f"bench {a.lab}: {runs} alternating run(s) per side{'' if a.quick else ', after one warm-up each'}"
          f"{' (quick: a check, not a measurement)' if a.quick else ''}")
    print(head)
    for label, ours, peer, target in pairs:
        sides = {"ours": [], "peer": []}
        try:
            for i in range(warm + runs):
                for side, cmd in (("ours", ours), ("peer", peer)):
                    per_op, ops = run_once(a.bin, cmd, env, timeout)
                    if i >= warm:
                        sides[side].append(per_op)
        except Skipped as e:
            print(f"{label[:w]:{w}} skipped: {e}")
            results.append({"pair": label, "ours": ours, "peer": peer, "target": target, "skipped": str(e)})
            continue
        except RuntimeError as e:
            failed += 1
            print(f"{label[:w]:{w}} FAILED: {e}")
            results.append({"pair": label, "ours": ours, "peer": peer, "target": target, "error": str(e)})
            continue
        mo, mp = statistics.median(sides["ours"]), statistics.median(sides["peer"])
        ratio = mo / mp
        met = None if target is None else ratio <= target
        verdict = "" if target is None else f"  target <= {target:g}: {'met' if met else 'MISSED'}"
        if met is False and not a.quick:
            missed += 1
        print(f"{label[:w]:{w}} {fmt(mo):>10} {'(' + fmt(min(sides['ours'])) + '-' + fmt(max(sides['ours'])) + ')':>21}"
              f"  {fmt(mp):>10} {'(' + fmt(min(sides['peer'])) + '-' + fmt(max(sides['peer'])) + ')':>21}  {ratio:8.3g}x"
              f"{verdict}")
        results.append({"pair": label, "ours": ours, "peer": peer, "ns_per_op": sides, "median_ours": mo,
                        "median_peer": mp, "ratio": ratio, "target": target, "met": met})
    print("ours/peer: our median time per unit of work over the peer's (1.50x: ours takes half as long again;"
          " below 1: ours is faster)")
    if missed:
        print(f"bench {a.lab}: {missed} pair(s) above their target ratio (a measurement, not a failure)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"lab": a.lab, "runs": runs, "quick": a.quick, "pairs": results}, f, indent=1)
    if failed:
        print(f"bench {a.lab}: {failed} pair(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
