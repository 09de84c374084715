#!/usr/bin/env bash
# batch_test.sh - test of grader/tools/batch.py on a small class: a perfect
# student, the skeleton, a submission that does not compile, two hostile
# archives, a stray file and a directory that is no checkout. Lab 10 only,
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
stray=0
while IFS=$'\t' read -r status name why; do
  case $status in
    OK) ok "$name";;
    NO) bad "$name" "${why:0:600}" "$repro";;
    *) stray=1;;
  esac
done < "$work/checks.txt"
[ $stray -eq 0 ] || bad "the checks of gradebook.csv and batch.json ran" "$(tail -n 5 "$work/checks.txt")" "$repro"

# Nothing escaped the extraction directory, and none was left behind.
escaped=$(find "$work" /tmp -maxdepth 2 -name evil.txt 2>/dev/null | head -n 3)
if [ -z "$escaped" ]; then ok "no evil.txt outside the extraction directory ($work, /tmp)"
else bad "no evil.txt outside the extraction directory" "$escaped" "$repro"; fi
after=$(ls -d /tmp/tl-batch-* 2>/dev/null | sort)
left=$(comm -13 <(echo "$before") <(echo "$after"))
if [ -z "$left" ]; then ok "extraction directories removed"
else bad "extraction directories removed" "$left" "$repro"; fi

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
