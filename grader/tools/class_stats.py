#!/usr/bin/env python3
"""class_stats.py - what a whole class got right and wrong, from one batch.

    class_stats.py BATCH_OUT_DIR [--out DIR]

BATCH_OUT_DIR is what grader/tools/batch.py (make batch) wrote: batch.json
(or, without it, gradebook.csv) and students/ID/results.json. Writes into
DIR (default BATCH_OUT_DIR/stats/):

  tests.csv    one row per test: lab, test, hidden, stress, points,
               students (graded on it: their lab compiled, so it ran),
               passed, pass_rate, not_built (graded on the lab, but the lab
               did not compile: no test ran, not in students), mean_seconds
               and max_seconds (one student's time for the test, all its
               seeded runs), flaky (students for whom a stress test passed
               some seeded runs and failed others: a race, or a flaky test).
               Lowest pass rate first: what the class is stuck on.
  labs.csv     one row per lab: students (with a score for it: a lab that
               did not compile is a 0, a real score), errors (rows of the
               gradebook with no results: not counted anywhere else),
               not_built, max_points, mean, median, min, max, q1, q3 of the
               score (type-7 quartiles), then a histogram of the score in
               percent of max_points: columns 0-9, 10-19, ..., 90-100
  index.html   one page, no script, nothing fetched: the batch (date, kit
               commit, students), the 20 lowest pass rates as bars, a score
               histogram per lab, the slowest and the flaky tests, the
               error rows. Hidden tests are named: the page is for staff.

Exit status 0 when the files were written, 2 when BATCH_OUT_DIR has neither
batch.json nor gradebook.csv. Python 3 standard library only.
"""
import argparse
import csv
import html
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batch import num  # noqa: E402  (batch.py: how the gradebook prints a number)

SEEDED = re.compile(r"^failed (\d+) of (\d+) seeded runs")
BINS = ["%d-%d" % (b, b + 9) for b in range(0, 90, 10)] + ["90-100"]
LOWEST = 20       # bars in the pass-rate chart
SLOWEST = 10      # rows in the table of slow tests


# ---------------------------------------------------------------------------
# Reading a batch

def read_batch(bdir):
    """(meta, records): batch.json's own fields, and one record per student
    with id, error and results (a path relative to bdir, or None)."""
    bj = os.path.join(bdir, "batch.json")
    if os.path.isfile(bj):
        with open(bj) as f:
            b = json.load(f)
        recs = [{"id": s.get("id"), "error": s.get("error"), "results": s.get("results")}
                for s in b.get("students", [])]
        return {k: v for k, v in b.items() if k != "students"}, recs
    gb = os.path.join(bdir, "gradebook.csv")
    with open(gb, newline="") as f:
        rows = list(csv.DictReader(f))
    recs = [{"id": r["student"], "error": r.get("error") or None,
             "results": None if r.get("error") else os.path.join("students", r["student"], "results.json")}
            for r in rows]
    return {"submissions": len(recs)}, recs


def load_results(bdir, rec):
    """results.json of a graded student, or a reason it cannot be read."""
    path = os.path.join(bdir, rec["results"] or os.path.join("students", str(rec["id"]), "results.json"))
    try:
        with open(path) as f:
            res = json.load(f)
        if not isinstance(res.get("tests"), list):
            raise ValueError("no tests list")
        return res, None
    except (OSError, ValueError, AttributeError) as e:
        return None, "no usable results.json (%s: %s)" % (type(e).__name__, e)


def flaky_runs(output):
    """True when a test's output says it failed some but not all of its
    seeded runs."""
    m = SEEDED.match(output or "")
    return bool(m) and 0 < int(m.group(1)) < int(m.group(2))


class Stats:
    def __init__(self):
        self.tests = {}         # (lab, test) -> dict
        self.labs = {}          # lab -> {"scores": [...], "max": float, "not_built": n}
        self.lab_order = []
        self.graded = 0
        self.errors = []        # (id, error)

    def lab(self, slug):
        if slug not in self.labs:
            self.labs[slug] = {"scores": [], "pcts": [], "max": 0.0, "not_built": 0}
            self.lab_order.append(slug)
        return self.labs[slug]

    def add_student(self, res):
        self.graded += 1
        built = {}
        for l in res.get("extra_data", {}).get("labs", []):
            if not isinstance(l, dict) or "lab" not in l:
                continue
            lab = self.lab(l["lab"])
            score, mx = float(l.get("score") or 0), float(l.get("max_score") or 0)
            lab["scores"].append(score)
            lab["pcts"].append(100.0 * score / mx if mx else 0.0)
            lab["max"] = max(lab["max"], mx)
            built[l["lab"]] = l.get("built", True) is not False
            if not built[l["lab"]]:
                lab["not_built"] += 1
        for t in res["tests"]:
            slug, _, name = str(t.get("name", "")).partition("/")
            key = (slug, name)
            s = self.tests.get(key)
            if s is None:
                s = self.tests[key] = {"lab": slug, "test": name, "hidden": False, "stress": False,
                                       "points": 0.0, "students": 0, "passed": 0, "not_built": 0,
                                       "secs": [], "flaky": 0}
            s["points"] = max(s["points"], float(t.get("max_score") or 0))
            s["hidden"] |= t.get("visibility", "visible") != "visible"
            s["stress"] |= "stress" in (t.get("tags") or [])
            if not built.get(slug, True):
                s["not_built"] += 1
                continue
            s["students"] += 1
            s["passed"] += t.get("status") == "passed"
            s["secs"].append(float(t.get("execution_time") or 0))
            s["flaky"] += flaky_runs(t.get("output"))

    def test_rows(self):
        rows = []
        for s in self.tests.values():
            r = dict(s)
            r["pass_rate"] = s["passed"] / s["students"] if s["students"] else None
            r["mean_seconds"] = sum(s["secs"]) / len(s["secs"]) if s["secs"] else None
            r["max_seconds"] = max(s["secs"]) if s["secs"] else None
            rows.append(r)
        # never-run tests (nobody's lab compiled) last: nothing to say about them
        rows.sort(key=lambda r: (r["pass_rate"] is None, r["pass_rate"] or 0, -r["flaky"], r["lab"], r["test"]))
        return rows

    def lab_rows(self):
        rows = []
        for slug in self.lab_order:
            l = self.labs[slug]
            sc = sorted(l["scores"])
            hist = [0] * 10
            for p in l["pcts"]:
                hist[min(9, max(0, int(math.floor(p / 10.0))))] += 1
            rows.append({"lab": slug, "students": len(sc), "errors": len(self.errors),
                         "not_built": l["not_built"], "max_points": l["max"],
                         "mean": sum(sc) / len(sc) if sc else None, "median": quantile(sc, 0.5),
                         "min": sc[0] if sc else None, "max": sc[-1] if sc else None,
                         "q1": quantile(sc, 0.25), "q3": quantile(sc, 0.75), "hist": hist})
        return rows


def quantile(sorted_xs, p):
    """Type-7 quantile (linear between the order statistics), as R's default."""
    if not sorted_xs:
        return None
    h = (len(sorted_xs) - 1) * p
    lo = int(math.floor(h))
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (h - lo) * (sorted_xs[hi] - sorted_xs[lo])


def fmt(x, digits=2):
    if x is None:
        return ""
    return num(round(x, digits))


# ---------------------------------------------------------------------------
# CSV

TEST_COLS = ["lab", "test", "hidden", "stress", "points", "students", "passed", "pass_rate",
             "not_built", "mean_seconds", "max_seconds", "flaky"]
LAB_COLS = ["lab", "students", "errors", "not_built", "max_points", "mean", "median", "min", "max",
            "q1", "q3"] + BINS


def write_csv(path, cols, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        w.writerows(rows)
    os.replace(tmp, path)


def tests_csv(path, rows):
    write_csv(path, TEST_COLS, [[r["lab"], r["test"], "yes" if r["hidden"] else "no",
                                 "yes" if r["stress"] else "no", fmt(r["points"]), r["students"],
                                 r["passed"], fmt(r["pass_rate"], 3), r["not_built"],
                                 fmt(r["mean_seconds"]), fmt(r["max_seconds"]), r["flaky"]]
                                for r in rows])


def labs_csv(path, rows):
    write_csv(path, LAB_COLS, [[r["lab"], r["students"], r["errors"], r["not_built"], fmt(r["max_points"])] +
                               [fmt(r[k]) for k in ("mean", "median", "min", "max", "q1", "q3")] + r["hist"]
                               for r in rows])


# ---------------------------------------------------------------------------
# HTML: SVG drawn here, styles inline, no script

E = html.escape


def svg_histogram(lab):
    w, h, left, bottom, top = 460, 210, 34, 34, 16
    bw = (w - left - 8) / 10.0
    peak = max(lab["hist"]) or 1
    scale = (h - bottom - top) / float(peak)
    out = ['<svg class="lab-hist" id="hist-%s" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d" role="img" aria-label="%s">' % (E(lab["lab"]), w, h, w, h,
                                                                 E("score histogram of " + lab["lab"]))]
    base = h - bottom
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>' % (left, base, w - 8, base))
    for k in range(peak + 1):
        if peak > 8 and k % math.ceil(peak / 8.0) and k != peak:
            continue
        y = base - k * scale
        out.append('<text x="%d" y="%.1f" class="ax" text-anchor="end">%d</text>' % (left - 4, y + 4, k))
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (left, y, w - 8, y))
    for i, n in enumerate(lab["hist"]):
        x = left + i * bw
        bh = n * scale
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#4a7ab5"><title>%s%%: %d</title></rect>'
                   % (x + 2, base - bh, bw - 4, bh, BINS[i], n))
        if n:
            out.append('<text x="%.1f" y="%.1f" class="val" text-anchor="middle">%d</text>' % (x + bw / 2, base - bh - 3, n))
        out.append('<text x="%.1f" y="%d" class="ax" text-anchor="middle">%s</text>' % (x + bw / 2, base + 14, BINS[i]))
    out.append('<text x="%.1f" y="%d" class="ax" text-anchor="middle">score, %% of %s points</text>'
               % (left + (w - left) / 2.0, h - 4, fmt(lab["max_points"])))
    out.append("</svg>")
    return "\n".join(out)


def svg_pass_rates(rows):
    rows = [r for r in rows if r["pass_rate"] is not None][:LOWEST]
    label_w, bar_w, row_h, top = 330, 300, 20, 8
    w, h = label_w + bar_w + 90, top + row_h * max(1, len(rows)) + 22
    out = ['<svg class="pass-rates" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'role="img" aria-label="lowest pass rates">' % (w, h, w, h)]
    if not rows:
        out.append('<text x="4" y="20" class="ax">no test was run</text>')
    for i, r in enumerate(rows):
        y = top + i * row_h
        color = "#c0392b" if r["pass_rate"] < 0.5 else "#e08e0b" if r["pass_rate"] < 0.9 else "#3a8d3a"
        name = "%s/%s%s" % (r["lab"].split("-", 1)[0], r["test"], " (hidden)" if r["hidden"] else "")
        out.append('<text x="%d" y="%d" class="lbl" text-anchor="end">%s</text>' % (label_w - 6, y + 14, E(name)))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#eee"/>' % (label_w, y + 3, bar_w, row_h - 6))
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s/%s: %d of %d</title></rect>'
                   % (label_w, y + 3, bar_w * r["pass_rate"], row_h - 6, color, E(r["lab"]), E(r["test"]),
                      r["passed"], r["students"]))
        out.append('<text x="%d" y="%d" class="val">%.0f%% (%d/%d)</text>'
                   % (label_w + bar_w + 6, y + 14, 100 * r["pass_rate"], r["passed"], r["students"]))
    base = top + row_h * max(1, len(rows))
    for p in (0, 50, 100):
        x = label_w + bar_w * p / 100.0
        out.append('<text x="%.1f" y="%d" class="ax" text-anchor="middle">%d%%</text>' % (x, base + 14, p))
    out.append("</svg>")
    return "\n".join(out)


def table(cols, rows, empty):
    if not rows:
        return "<p>%s</p>" % E(empty)
    out = ["<table><tr>%s</tr>" % "".join("<th>%s</th>" % E(c) for c in cols)]
    for r in rows:
        out.append("<tr>%s</tr>" % "".join("<td>%s</td>" % E(str(c)) for c in r))
    out.append("</table>")
    return "\n".join(out)


def test_name(r):
    return r["test"] + (" (hidden)" if r["hidden"] else "")


CSS = """body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
th{background:#f2f2f2}.ax{font-size:11px;fill:#555}.val{font-size:11px;fill:#222}.lbl{font-size:12px;fill:#222}
.labs{display:flex;flex-wrap:wrap;gap:1em}.lab{border:1px solid #ddd;padding:.4em}.lab h3{margin:.2em 0;font-size:1em}
.meta td:first-child{font-weight:bold}"""


def index_html(meta, st, trows, lrows):
    commit = str(meta.get("kit_commit", "unknown"))
    n = meta.get("submissions", st.graded + len(st.errors))
    p = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
         "<title>Class statistics: %s</title>" % E(str(meta.get("start", "batch"))),
         "<style>%s</style></head><body>" % CSS,
         "<h1>Class statistics</h1>",
         "<p>Staff only: hidden tests are named. Figures from the students' results.json; "
         "tests.csv and labs.csv next to this page hold them all.</p>"]
    p.append(table(["batch", ""], [
        ["date", meta.get("start", "unknown")],
        ["kit commit", commit],
        ["students", "%s (%d graded, %d error rows with no results, not counted as zeros)"
         % (n, st.graded, len(st.errors))],
        ["labs", " ".join(meta.get("labs") or st.lab_order)],
        ["stages", meta.get("stages", "")],
        ["batch seed", meta.get("seed", "")],
        ["wall time", "%s s" % meta["wall_seconds"] if "wall_seconds" in meta else ""],
    ], "").replace("<table>", '<table class="meta">', 1))
    p.append("<h2>Where the class is stuck: the %d lowest pass rates</h2>" % LOWEST)
    p.append("<p>Of the students whose lab compiled (a lab that did not compile runs no test: "
             "see not_built in tests.csv).</p>")
    p.append(svg_pass_rates(trows))
    p.append("<h2>Scores per lab</h2><div class=\"labs\">")
    for l in lrows:
        p.append('<div class="lab"><h3>%s</h3><p>%d students, mean %s, median %s, quartiles %s-%s, '
                 'min %s, max %s (of %s); %d did not compile</p>'
                 % (E(l["lab"]), l["students"], fmt(l["mean"]), fmt(l["median"]), fmt(l["q1"]), fmt(l["q3"]),
                    fmt(l["min"]), fmt(l["max"]), fmt(l["max_points"]), l["not_built"]))
        p.append(svg_histogram(l))
        p.append("</div>")
    p.append("</div>")
    slow = sorted((r for r in trows if r["mean_seconds"] is not None), key=lambda r: -r["mean_seconds"])[:SLOWEST]
    p.append("<h2>The %d slowest tests</h2>" % SLOWEST)
    p.append(table(["lab", "test", "mean s", "max s", "students"],
                   [[r["lab"], test_name(r), fmt(r["mean_seconds"]), fmt(r["max_seconds"]), r["students"]]
                    for r in slow], "No test was run."))
    flaky = sorted((r for r in trows if r["flaky"]), key=lambda r: (-r["flaky"], r["lab"], r["test"]))
    p.append("<h2>Flaky or racy: stress tests that passed some seeded runs and failed others</h2>")
    p.append(table(["lab", "test", "students with mixed runs", "students", "pass rate"],
                   [[r["lab"], test_name(r), r["flaky"], r["students"], fmt(r["pass_rate"], 3)] for r in flaky],
                   "None: every stress test passed all of a student's seeded runs or failed all of them."))
    p.append("<h2>Error rows (no results, in no figure above)</h2>")
    p.append(table(["student", "error"], st.errors, "None."))
    p.append("</body></html>")
    return "\n".join(p) + "\n"


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Pass rates, score distributions, slow and flaky tests of a batch.")
    ap.add_argument("batch_out", metavar="BATCH_OUT_DIR", help="the --out directory of batch.py (make batch)")
    ap.add_argument("--out", default=None, help="where to write (default BATCH_OUT_DIR/stats)")
    args = ap.parse_args()
    bdir = args.batch_out
    if not (os.path.isfile(os.path.join(bdir, "batch.json")) or os.path.isfile(os.path.join(bdir, "gradebook.csv"))):
        print("class_stats: no batch.json or gradebook.csv in %s: is it the --out directory of a batch "
              "(make batch)?" % bdir, file=sys.stderr)
        return 2
    out = args.out or os.path.join(bdir, "stats")
    try:
        meta, recs = read_batch(bdir)
    except (OSError, ValueError, KeyError) as e:
        print("class_stats: cannot read the batch in %s: %s" % (bdir, e), file=sys.stderr)
        return 2
    st = Stats()
    for slug in meta.get("labs") or []:
        st.lab(slug)
    for rec in sorted(recs, key=lambda r: str(r["id"])):
        if rec["error"]:
            st.errors.append((str(rec["id"]), rec["error"]))
            continue
        res, why = load_results(bdir, rec)
        if res is None:
            print("class_stats: %s: %s; counted as an error row" % (rec["id"], why), file=sys.stderr)
            st.errors.append((str(rec["id"]), why))
            continue
        st.add_student(res)
    trows, lrows = st.test_rows(), st.lab_rows()
    os.makedirs(out, exist_ok=True)
    tests_csv(os.path.join(out, "tests.csv"), trows)
    labs_csv(os.path.join(out, "labs.csv"), lrows)
    tmp = os.path.join(out, "index.html.tmp")
    with open(tmp, "w") as f:
        f.write(index_html(meta, st, trows, lrows))
    os.replace(tmp, os.path.join(out, "index.html"))

    print("class_stats: %d graded, %d error rows (not counted); %d tests, %d labs" %
          (st.graded, len(st.errors), len(trows), len(lrows)))
    for r in [r for r in trows if r["pass_rate"] is not None][:3]:
        print("  lowest pass rate: %5.1f%%  %s/%s" % (100 * r["pass_rate"], r["lab"], r["test"]))
    print("Reports: %s (tests.csv, labs.csv, index.html)" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
