#!/usr/bin/env python3
"""bench_report.py - one table and one picture from every lab's benchmark.

    bench_report.py --dir DIR [--impl NAME]

DIR holds one JSON file per lab, as grader/tools/bench.py writes them
(make bench puts them in build/bench/<impl>/). Writes into DIR:

  results.csv   one row per pair: lab, pair, medians (ns per unit of work),
                spreads, ratio ours/peer, target, met
  results.json  the same, with when and on what machine it was measured
  table.md      a Markdown table for the README
  ratios.png    the ratios on a log scale, one bar per pair, with the
  ratios.svg    line at 1 (as fast as the peer) and each pair's target

and prints the table. A ratio is our median time per unit of work over
the peer's, both measured in one run, alternating: below 1, ours is
faster. Python 3 standard library; the plot with gnuplot.
"""
import argparse
import csv
import datetime
import glob
import json
import os
import platform
import shutil
import subprocess
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import fmt  # noqa: E402  (bench.py: one way to print a time per unit)


def fmt_ns(x):
    return "" if x is None else fmt(x)


def machine():
    """What the numbers were measured on, in a few words."""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = ""
    try:
        load = " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        pass
    return {"cpu": model or platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "kernel": platform.release(),
            "loadavg_1_5_15": load}


def rows_of(path):
    with open(path) as f:
        data = json.load(f)
    lab = data.get("lab") or os.path.splitext(os.path.basename(path))[0]
    out = []
    for p in data.get("pairs", []):
        sides = p.get("ns_per_op") or {}
        o, q = sides.get("ours") or [], sides.get("peer") or []
        out.append({
            "lab": lab, "pair": p["pair"], "quick": bool(data.get("quick")),
            "runs": data.get("runs"),
            "ours_ns": p.get("median_ours"), "ours_min": min(o) if o else None,
            "ours_max": max(o) if o else None,
            "peer_ns": p.get("median_peer"), "peer_min": min(q) if q else None,
            "peer_max": max(q) if q else None,
            "ratio": p.get("ratio"), "target": p.get("target"), "met": p.get("met"),
            "error": p.get("error"), "skipped": p.get("skipped"),
        })
    return out


def verdict(r):
    if r["error"]:
        return "failed: " + r["error"][:60]
    if r.get("skipped"):
        return "skipped: " + r["skipped"][:60]
    if r["target"] is None:
        return ""
    return ("met" if r["met"] else "**missed**") + f" (<= {r['target']:g})"


def table(rows):
    lines = ["| lab | pair | ours / unit (min-max) | peer / unit (min-max) | ours/peer | target |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        if r["error"] or r.get("skipped"):
            lines.append(f"| {r['lab']} | {r['pair']} | | | | {verdict(r)} |")
            continue
        lines.append(f"| {r['lab']} | {r['pair']} | {fmt_ns(r['ours_ns'])} "
                     f"({fmt_ns(r['ours_min'])}-{fmt_ns(r['ours_max'])}) | {fmt_ns(r['peer_ns'])} "
                     f"({fmt_ns(r['peer_min'])}-{fmt_ns(r['peer_max'])}) | {r['ratio']:.3g}x | {verdict(r)} |")
    return "\n".join(lines) + "\n"


def plot(rows, d, title):
    """ratios.png and ratios.svg with gnuplot; a message (not a failure)
    when gnuplot is missing."""
    good = [r for r in rows if not r["error"] and r["ratio"]]
    if not good:
        return "no pair measured: no plot"
    if not shutil.which("gnuplot"):
        return "gnuplot is missing (make deps installs it): no plot"
    dat = os.path.join(d, "ratios.dat")
    with open(dat, "w") as f:
        for i, r in enumerate(good):
            label = f"{r['lab'][:2]} {r['pair']}".replace('"', "'")
            t = r["target"] if r["target"] is not None else "NaN"
            f.write(f'{i} {r["ratio"]:.6g} {t} "{label[:48]}"\n')
    lo = min([r["ratio"] for r in good] + [r["target"] or 1 for r in good] + [1]) / 2
    hi = max([r["ratio"] for r in good] + [r["target"] or 1 for r in good] + [1]) * 2
    n = len(good)
    script = f"""
set logscale y 2
set yrange [{lo:.6g}:{hi:.6g}]
set xrange [-0.7:{n - 0.3}]
set ylabel "ours / peer (time per unit of work; below 1: ours is faster)"
set title "{title}" noenhanced
set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
set xtics rotate by -40 left nomirror noenhanced font ",8"
set key top left
set arrow from -0.7,1 to {n - 0.3},1 nohead dt 2 lc rgb "black"
set bmargin 12
set rmargin 12
plot "{dat}" using 1:2:xtic(4) with boxes lc rgb "#4477aa" title "ratio (median)", \\
     "{dat}" using 1:3 with points pt 6 ps 1.5 lc rgb "#cc3311" title "target (at most)"
"""
    for term, ext in (("pngcairo size 1400,800", "png"), ("svg size 1400,800", "svg")):
        out = os.path.join(d, "ratios." + ext)
        p = subprocess.run(["gnuplot"], input=f"set terminal {term}\nset output '{out}'\n" + script,
                           text=True, capture_output=True)
        if p.returncode != 0 and ext == "png":  # gnuplot-nox may lack cairo: its own png terminal
            p = subprocess.run(["gnuplot"], input=f"set terminal png size 1400,800\nset output '{out}'\n"
                               + script, text=True, capture_output=True)
        if p.returncode != 0:
            return f"gnuplot failed on {ext}: {p.stderr.strip()[:200]}"
    os.remove(dat)
    return f"plot: {os.path.join(d, 'ratios.png')} and ratios.svg"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--impl", default="")
    a = ap.parse_args()
    files = sorted(f for f in glob.glob(os.path.join(a.dir, "*.json")) if not f.endswith("results.json"))
    if not files:
        sys.exit(f"bench_report: no lab results in {a.dir} (make bench writes them)")
    rows = [r for f in files for r in rows_of(f)]
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    m = machine()
    with open(os.path.join(a.dir, "results.json"), "w") as f:
        json.dump({"measured": when, "impl": a.impl, "machine": m, "pairs": rows}, f, indent=1)
    cols = ["lab", "pair", "ours_ns", "ours_min", "ours_max", "peer_ns", "peer_min", "peer_max",
            "ratio", "target", "met", "quick", "runs", "error", "skipped"]
    with open(os.path.join(a.dir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    head = (f"Measured {when} on {m['cpu']} ({m['cores']} cores, Linux {m['kernel']}, load "
            f"{m['loadavg_1_5_15']} at the end), {a.impl or 'the'} implementation"
            + (" (QUICK: a check, not a measurement)" if any(r["quick"] for r in rows) else "") + ".\n\n")
    md = head + table(rows)
    with open(os.path.join(a.dir, "table.md"), "w") as f:
        f.write(md)
    print(md)
    print(plot(rows, a.dir, f"threadlab make bench, {a.impl}: {when}"))
    missed = [r for r in rows if r["met"] is False and not r["quick"]]
    failed = [r for r in rows if r["error"]]
    print(f"bench report: {len(rows)} pair(s) from {len(files)} lab(s), {len(missed)} above target, "
          f"{len(failed)} failed; {a.dir}/results.csv, results.json, table.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
