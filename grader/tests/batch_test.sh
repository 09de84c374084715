#!/usr/bin/env bash
# batch_test.sh - test of grader/tools/batch.py on a small class: a perfect
# student, the skeleton, a submission that does not compile, two hostile
# archives, a stray file and a directory that is no checkout; then the class
# statistics of that batch (grader/tools/class_stats.py). Lab 10 only,
# tests stage only, so it stays within a few minutes on 2 cores.
#   grader/tests/batch_test.sh          (KEEP=1: keep the work directory)
# Each check prints PASS/FAIL; the exit status is 0 only when all passed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
batch=grader/tools/batch.py
seed=7
pass=0; fail=0
ok()  { echo "PASS  $1"; pass=$((pass + 1)); }
bad() { echo "FAIL  $1"; shift; for l in "$@"; do echo "      $l"; done; fail=$((fail + 1)); }

lab=$(cd reference && ls -d 10-*/ 2>/dev/null | head -n1); lab=${lab%/}
if [ -z "$lab" ]; then echo "FAIL  no reference/10-*/ in $root"; exit 1; fi
[ -x grader/build/tl-grade ] || make -s -C grader || { echo "FAIL  cannot build the grader"; exit 1; }

work=$(mktemp -d /tmp/batch-test.XXXXXX)
subs=$work/subs; out=$work/out
mkdir -p "$subs" "$work/stage"
cleanup() { if [ "${KEEP:-}" = 1 ] || [ "$fail" -gt 0 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
# extraction directories of batch.py that exist before we start (another run)
before=$(ls -d /tmp/tl-batch-* 2>/dev/null | sort)

perfect() { # DEST: a perfect student's checkout of every lab, from reference/
  local d f
  for d in reference/[0-9][0-9]-*/; do
    d=${d%/}; d=${d#reference/}
    for f in $(grader/tools/conf-get.sh "reference/$d/lab.conf" lab student_files); do
      mkdir -p "$(dirname "$1/labs/$d/$f")"
      unifdef -DSOLUTION -o "$1/labs/$d/$f" "reference/$d/$f"
      [ $? -le 1 ] || return 1
    done
  done
}

# (a) a perfect student, a plain directory (with a .git to ignore)
perfect "$subs/perfect" && mkdir -p "$subs/perfect/.git" || { echo "FAIL  cannot make the perfect student"; exit 1; }
# (b) the skeleton, as a .tar.gz whose top level is labs/
mkdir -p "$work/stage/skel"
tar -C "$root" --exclude=build -cf - labs | tar -C "$work/stage/skel" -xf -
tar -C "$work/stage/skel" -czf "$subs/skeleton.tar.gz" labs
# (c) a perfect student whose first .c student file of lab 10 has a syntax
#     error, as a .zip with one top-level directory
perfect "$work/stage/broken"
cfile=$(for f in $(grader/tools/conf-get.sh "reference/$lab/lab.conf" lab student_files); do
          case $f in *.c) echo "$f";; esac; done | head -n1)
printf '\nint this is not C(;\n' >> "$work/stage/broken/labs/$lab/$cfile"
(cd "$work/stage" && zip -qr "$subs/broken.zip" broken)
# (d), (e) hostile archives: a member ../evil.txt, a symbolic link member
python3 - "$subs" "$lab" <<'EOF'
import io, sys, tarfile
subs, lab = sys.argv[1], sys.argv[2]
def add(tf, name, data=b"int x;\n"):
    ti = tarfile.TarInfo(name); ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
with tarfile.open(subs + "/evil.tar.gz", "w:gz") as tf:
    add(tf, "labs/%s/src/wc.c" % lab)
    add(tf, "../evil.txt", b"escaped\n")
with tarfile.open(subs + "/symlink.tar.gz", "w:gz") as tf:
    add(tf, "labs/%s/src/wc.c" % lab)
    ti = tarfile.TarInfo("labs/%s/src/bbuf.c" % lab); ti.type = tarfile.SYMTYPE; ti.linkname = "/etc/passwd"
    tf.addfile(ti)
EOF
# (f) a stray file, (g) a directory that is no checkout
echo "late submissions go to the office" > "$subs/notes.txt"
mkdir -p "$subs/nolabs/src"; echo "int main(void) { return 0; }" > "$subs/nolabs/src/main.c"

cmd="python3 $batch $subs --out $out --lab 10 --stages tests --jobs 2 --seed $seed"
repro="reproduce: KEEP=1 $0   (then: cd $root && $cmd)"
t0=$(date +%s)
$cmd > "$work/batch.log" 2>&1; rc=$?
echo "      batch of 7 took $(( $(date +%s) - t0 )) s"
if [ $rc -eq 0 ]; then ok "batch.py exits 0"
else bad "batch.py exits 0 (got $rc)" "$(tail -n 5 "$work/batch.log")" "$repro"; fi

# Every check below parses gradebook.csv / batch.json; one line each: OK or why not.
python3 - "$out" "$lab" "$work" > "$work/checks.txt" 2>&1 <<'EOF'
import csv, json, os, sys
out, lab, work = sys.argv[1:4]
def say(name, good, why=""):
    print("%s\t%s\t%s" % ("OK" if good else "NO", name, why))
try:
    rows = {r["student"]: r for r in csv.DictReader(open(os.path.join(out, "gradebook.csv"), newline=""))}
except Exception as e:
    say("gradebook.csv parses", False, repr(e)); sys.exit(0)
allrows = list(csv.DictReader(open(os.path.join(out, "gradebook.csv"), newline="")))
say("gradebook.csv has exactly 7 rows", len(allrows) == 7, "%d rows: %s" % (len(allrows), sorted(rows)))
hdr = next(csv.reader(open(os.path.join(out, "gradebook.csv"), newline="")))
say("gradebook.csv columns are student, %s, total, max, seconds, seed, error" % lab,
    hdr == ["student", lab, "total", "max", "seconds", "seed", "error"], str(hdr))
say("rows sorted by student id", [r["student"] for r in allrows] == sorted(r["student"] for r in allrows))
def row(sid):
    return rows.get(sid, {})
def fnum(s):
    try: return float(s)
    except (TypeError, ValueError): return None
p = row("perfect")
say("perfect student: %s column is full marks (= max), no error" % lab,
    fnum(p.get(lab)) is not None and fnum(p.get(lab)) > 0 and fnum(p.get(lab)) == fnum(p.get("max"))
    and fnum(p.get("total")) == fnum(p.get("max")) and not p.get("error"), str(p))
for sid, what in (("skeleton", "skeleton (.tar.gz)"), ("broken", "compile error (.zip): a score, not an error")):
    r = row(sid)
    say("%s: %s column is 0, no error" % (what, lab),
        fnum(r.get(lab)) == 0 and fnum(r.get("max")) and not r.get("error"), str(r))
for sid, what in (("evil", "member ../evil.txt"), ("symlink", "symlink member"),
                  ("notes.txt", "stray file"), ("nolabs", "directory without labs/")):
    r = row(sid)
    say("%s: error row, empty lab column" % what, bool(r.get("error")) and r.get(lab) == "" and r.get("total") == "",
        str(r))
say("nolabs: the error names the missing labs/", "labs/" in row("nolabs").get("error", ""), row("nolabs").get("error", ""))
say("notes.txt: the error says what a submission is", "archive" in row("notes.txt").get("error", ""),
    row("notes.txt").get("error", ""))
try:
    b = json.load(open(os.path.join(out, "batch.json")))
    keys = ["kit_commit", "kernel", "cpus", "gcc", "seed", "command", "start", "wall_seconds",
            "submissions_per_minute", "students"]
    miss = [k for k in keys if k not in b]
    skeys = ["id", "seed", "score", "max", "seconds", "error", "results"]
    smiss = sorted({k for s in b.get("students", []) for k in skeys if k not in s})
    say("batch.json parses and has the keys", not miss and not smiss and len(b["students"]) == 7,
        "missing %s / per student %s" % (miss, smiss))
    res = {s["id"]: s for s in b["students"]}
    rp = res.get("perfect", {}).get("results")
    good = bool(rp) and json.load(open(os.path.join(out, rp)))["score"] == res["perfect"]["score"]
    say("batch.json: the perfect student's results.json is there and agrees", good, str(rp))
    built = res.get("broken", {}).get("labs", {}).get(lab, {}).get("built")
    say("batch.json: the compile-error submission did not build (its 0 is a build failure)", built is False,
        "built = %r" % built)
    say("batch.json: seeds match the gradebook", all(str(s["seed"]) == rows.get(s["id"], {}).get("seed")
                                                    for s in b["students"]))
except Exception as e:
    say("batch.json parses and has the keys", False, repr(e))
say("grade.log kept for each graded student",
    all(os.path.isfile(os.path.join(out, "students", s, "grade.log")) for s in ("perfect", "skeleton", "broken")))
EOF
# tally FILE WHAT REPRO: one PASS/FAIL per OK/NO line of FILE; any other line
# means the checking script itself broke.
tally() {
  local status name why stray=0
  while IFS=$'\t' read -r status name why; do
    case $status in
      OK) ok "$name";;
      NO) bad "$name" "${why:0:600}" "$3";;
      *) stray=1;;
    esac
  done < "$1"
  [ $stray -eq 0 ] || bad "the checks of $2 ran" "$(tail -n 5 "$1")" "$3"
}
tally "$work/checks.txt" "gradebook.csv and batch.json" "$repro"

# Nothing escaped the extraction directory, and none was left behind.
escaped=$(find "$work" /tmp -maxdepth 2 -name evil.txt 2>/dev/null | head -n 3)
if [ -z "$escaped" ]; then ok "no evil.txt outside the extraction directory ($work, /tmp)"
else bad "no evil.txt outside the extraction directory" "$escaped" "$repro"; fi
after=$(ls -d /tmp/tl-batch-* 2>/dev/null | sort)
left=$(comm -13 <(echo "$before") <(echo "$after"))
if [ -z "$left" ]; then ok "extraction directories removed"
else bad "extraction directories removed" "$left" "$repro"; fi

# batch.py ends with the class statistics itself (every way into a batch
# runs it: make batch, tl-grade batch, the Docker image's batch)
if [ -s "$out/stats/index.html" ] && [ -s "$out/stats/tests.csv" ] && grep -q '^class_stats: ' "$work/batch.log"; then
  ok "batch.py wrote the class statistics"
else bad "batch.py wrote the class statistics" "$(ls "$out/stats" 2>&1; tail -n 3 "$work/batch.log")" "$repro"; fi

# Class statistics of this batch (grader/tools/class_stats.py), with figures
# known exactly: perfect passes every test, the skeleton fails every one,
# broken does not compile (a 0 for the lab, but no test of it ran) and the
# four other rows are errors, in no figure. Then, on a copy of the batch,
# one stress test of the skeleton made to fail 1 of its 3 seeded runs
# (flaky) and an error message with markup in it (escaped in the page).
scmd="python3 grader/tools/class_stats.py $out"
srepro="reproduce: KEEP=1 $0   (then: cd $root && $scmd)"
if $scmd > "$work/stats.log" 2>&1; then ok "class_stats.py exits 0"
else bad "class_stats.py exits 0" "$(tail -n 5 "$work/stats.log")" "$srepro"; fi
python3 - "$out" "$lab" "$work" > "$work/stats-checks.txt" 2>&1 <<'EOF'
import csv, html.parser, json, os, shutil, subprocess, sys
out, lab, work = sys.argv[1:4]
sdir = os.path.join(out, "stats")
def num(x):
    return "%d" % x if float(x).is_integer() else ("%.2f" % x).rstrip("0")
def say(name, good, why=""):
    print("%s\t%s\t%s" % ("OK" if good else "NO", name, str(why).replace("\n", " ")))
def rows_of(path):
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except OSError as e:
        say("%s is written" % os.path.relpath(path, out), False, repr(e))
        sys.exit(0)
def results(sid):
    return {t["name"].split("/", 1)[1]: t for t in json.load(open(os.path.join(out, "students", sid, "results.json")))["tests"]}
tests, labs = rows_of(os.path.join(sdir, "tests.csv")), rows_of(os.path.join(sdir, "labs.csv"))
perfect, skeleton = results("perfect"), results("skeleton")
t = {r["test"]: r for r in tests if r["lab"] == lab}
say("tests.csv: one row per test of %s, hidden ones too (%d in perfect's results.json)" % (lab, len(perfect)),
    sorted(t) == sorted(perfect) and len(tests) == len(perfect),
    "missing %s, extra %s" % (sorted(set(perfect) - set(t)), sorted(set(t) - set(perfect))))
hidden = sorted(n for n, x in perfect.items() if x.get("visibility") != "visible")
say("tests.csv: hidden = yes for the %d hidden tests, no for the others" % len(hidden),
    hidden and sorted(n for n, r in t.items() if r["hidden"] == "yes") == hidden,
    "hidden in results.json: %s" % hidden)
both = [n for n in perfect if perfect[n]["status"] == "passed" and skeleton.get(n, {}).get("status") == "failed"]
wrong = ["%s: students %s passed %s pass_rate %s not_built %s" % (n, r["students"], r["passed"], r["pass_rate"],
         r["not_built"]) for n, r in t.items() if n in both and
         (r["students"], r["passed"], r["pass_rate"], r["not_built"]) != ("2", "1", "0.5", "1")]
say("tests.csv: a test passed by perfect and failed by the skeleton has pass rate 1/2 "
    "(students 2, passed 1; broken as not_built 1, error rows nowhere) [%d such tests]" % len(both),
    both and not wrong, "; ".join(wrong[:3]) or "no test passed by perfect and failed by the skeleton")
rates = [float(r["pass_rate"]) for r in tests if r["pass_rate"] != ""]
say("tests.csv: lowest pass rate first", rates == sorted(rates), rates[:10])
say("tests.csv: no flaky test (perfect passed all seeded runs, the skeleton failed all)",
    all(r["flaky"] == "0" for r in tests), [(r["test"], r["flaky"]) for r in tests if r["flaky"] != "0"])
gb = list(csv.DictReader(open(os.path.join(out, "gradebook.csv"), newline="")))
graded = [r for r in gb if not r["error"]]
l = next((r for r in labs if r["lab"] == lab), {})
bins = ["%d-%d" % (b, b + 9) for b in range(0, 90, 10)] + ["90-100"]
hist = [int(l.get(b) or 0) for b in bins]
say("labs.csv: %s has %d students (the graded rows), %d errors, not counted as zeros"
    % (lab, len(graded), len(gb) - len(graded)),
    len(labs) == 1 and l.get("students") == str(len(graded)) and l.get("errors") == str(len(gb) - len(graded)), l)
say("labs.csv: the histogram's counts sum to the %d graded students" % len(graded), sum(hist) == len(graded), hist)
say("labs.csv: 2 in bin 0-9 (skeleton, broken), 1 in 90-100 (perfect), nothing else; not_built 1",
    hist == [2] + [0] * 8 + [1] and l.get("not_built") == "1", "%s not_built %s" % (hist, l.get("not_built")))
mx = l.get("max_points")
say("labs.csv: mean 26.67, median 0, min 0, max 80 = max_points, q1 0, q3 40",
    mx == "80" and [l.get(k) for k in ("mean", "median", "min", "max", "q1", "q3")] == ["26.67", "0", "0", "80", "0", "40"],
    {k: l.get(k) for k in ("max_points", "mean", "median", "min", "max", "q1", "q3")})

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs, self.hists, self.closed, self.scripts, self.remote, self.text = 0, 0, 0, 0, [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.svgs += tag == "svg"
        self.hists += tag == "svg" and "lab-hist" in (a.get("class") or "").split()
        self.scripts += tag == "script"
        self.remote += [v for k, v in attrs if k in ("src", "href") and v and ":" in v]
    def handle_endtag(self, tag):
        self.closed += tag == "svg"
    def handle_data(self, d):
        self.text.append(d)
def page(path):
    p = Page()
    p.feed(open(path, encoding="utf-8").read())
    p.close()
    p.text = " ".join(p.text)
    return p
b = json.load(open(os.path.join(out, "batch.json")))
try:
    p = page(os.path.join(sdir, "index.html"))
    say("index.html parses: one score histogram (svg) per lab, plus the pass-rate chart; every svg closed",
        p.hists == len(labs) == 1 and p.svgs == 2 and p.closed == p.svgs, "%d svg (%d histograms, %d closed), %d labs"
        % (p.svgs, p.hists, p.closed, len(labs)))
    say("index.html: no script, nothing fetched", p.scripts == 0 and not p.remote, "%d script, %s" % (p.scripts, p.remote))
    miss = [x for x in (b["kit_commit"], b["start"], "%d (%d graded" % (len(gb), len(graded)), hidden[0] if hidden else "?")
            if x not in p.text]
    say("index.html: the batch's date, kit commit, number of students, a hidden test's name", not miss, "missing %s" % miss)
except Exception as e:
    say("index.html parses", False, repr(e))

# The copy: skeleton fails 1 of 3 seeded runs of one stress test; markup in an error.
copy = os.path.join(work, "stats-copy")
shutil.rmtree(copy, ignore_errors=True)
shutil.copytree(out, copy, ignore=shutil.ignore_patterns("stats", "*.log", "*.xml"))
rj = os.path.join(copy, "students", "skeleton", "results.json")
res = json.load(open(rj))
st = next((x for x in res["tests"] if "stress" in x.get("tags", [])), None)
if st is None:
    say("the skeleton has a stress test to make flaky", False, "no test tagged stress in %s" % rj)
    sys.exit(0)
st["output"] = "failed 1 of 3 seeded runs; the first failure:\n" + st["output"].split("\n", 1)[-1]
# ... and passes other tests, up to half the lab's points and one more (41 of
# 80, 51.25%: bin 50-59, where rounding up would say 60-69): a middle bin
lr = next(x for x in res["extra_data"]["labs"] if x["lab"] == lab)
easy, half = [], lr["max_score"] / 2 + 1
for x in res["tests"]:
    if x is not st and lr["score"] + x["max_score"] <= half:
        x["status"], x["score"] = "passed", x["max_score"]
        lr["score"] += x["max_score"]
        easy.append(x["name"].split("/", 1)[1])
json.dump(res, open(rj, "w"))
bad_id = "<script>alert(1)</script>"
bj = json.load(open(os.path.join(copy, "batch.json")))
next(s for s in bj["students"] if s["error"])["error"] = bad_id
json.dump(bj, open(os.path.join(copy, "batch.json"), "w"))
cmd = [sys.executable, "grader/tools/class_stats.py", copy, "--out", os.path.join(copy, "s2")]
r = subprocess.run(cmd, capture_output=True, text=True)
if r.returncode != 0:
    say("class_stats.py on the edited copy exits 0", False, (r.stdout + r.stderr)[-300:])
    sys.exit(0)
shown = "python3 grader/tools/class_stats.py %s --out %s/s2" % (copy, copy)
name = st["name"].split("/", 1)[1]
t2 = rows_of(os.path.join(copy, "s2", "tests.csv"))
fl = {x["test"]: x["flaky"] for x in t2}
say("copy: %s failing 1 of 3 seeded runs for one student makes it flaky 1, the others 0" % name,
    fl.get(name) == "1" and sum(v != "0" for v in fl.values()) == 1,
    "%s; %s" % ({k: v for k, v in fl.items() if v != "0" or k == name}, shown))
k = len(t2) - len(easy)
say("copy: the %d tests now passed by the skeleton too have pass rate 1 and come last" % len(easy),
    easy and sorted(x["test"] for x in t2[k:]) == sorted(easy) and all(x["pass_rate"] == "1" for x in t2[k:]) and
    all(x["pass_rate"] == "0.5" for x in t2[:k]), "rows %d-: %s; %s" % (k, [(x["test"], x["pass_rate"]) for x in t2[k - 1:k + 2]], shown))
l2 = next((x for x in rows_of(os.path.join(copy, "s2", "labs.csv")) if x["lab"] == lab), {})
pct = 100.0 * lr["score"] / lr["max_score"]
want = [1] + [0] * 9
want[min(9, int(pct // 10))] += 1
want[9] += 1
h2 = [int(l2.get(b) or 0) for b in bins]
say("copy: the skeleton's %g of %g points (%g%%) moves it to bin %s" % (lr["score"], lr["max_score"], pct,
    bins[min(9, int(pct // 10))]), h2 == want and l2.get("median") == num(lr["score"]),
    "histogram %s, median %s; %s" % (h2, l2.get("median"), shown))
p2 = page(os.path.join(copy, "s2", "index.html"))
say("copy: index.html lists the flaky test and shows an error with markup as text, not as a tag",
    name in p2.text and bad_id in p2.text and p2.scripts == 0,
    "%d script elements, flaky test named: %s; %s" % (p2.scripts, name in p2.text, shown))
EOF
tally "$work/stats-checks.txt" "class_stats.py's output" "$srepro"

# A regrade of the unchanged perfect student, alone in a batch, same seed.
mkdir -p "$work/subs2"; cp -r "$subs/perfect" "$work/subs2/perfect"
cmd2="python3 $batch $work/subs2 --out $work/out2 --lab 10 --stages tests --seed $seed"
if $cmd2 > "$work/batch2.log" 2>&1 && python3 - "$out" "$work/out2" <<'EOF'
import csv, sys
a, b = (next(r for r in csv.DictReader(open(d + "/gradebook.csv", newline="")) if r["student"] == "perfect")
        for d in sys.argv[1:3])
ok = a["total"] == b["total"] and a["seed"] == b["seed"] and a["total"] != ""
print("      first: %s (seed %s), regrade: %s (seed %s)" % (a["total"], a["seed"], b["total"], b["seed"]))
sys.exit(0 if ok else 1)
EOF
then ok "regrade of the perfect student alone: same score, same seed"
else bad "regrade of the perfect student alone: same score, same seed" "$(tail -n 3 "$work/batch2.log")" \
  "reproduce: KEEP=1 $0   (then: cd $root && $cmd2)"; fi

echo "batch_test: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
