#!/usr/bin/env bash
# coverage.sh LAB_DIR OUT_DIR [MIN_PERCENT]
# Line and branch coverage of a lab's student-owned C files by its tests
# (hidden tests too, where the lab dir has them), measured with gcov and
# reported by gcovr: OUT_DIR/index.html (per-line detail), summary.txt,
# summary.json. With MIN_PERCENT, exit 1 when the lines covered over all
# student .c files fall below it. Each test runs in its own process with a
# time limit, so one crash or hang costs only that test's lines.
set -uo pipefail
lab=$(cd "${1:?usage: coverage.sh LAB_DIR OUT_DIR [MIN_PERCENT]}" && pwd)
out=${2:?usage: coverage.sh LAB_DIR OUT_DIR [MIN_PERCENT]}
min=${3:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"; out=$(cd "$out" && pwd)
slug=$(basename "$lab")
if ! make -s -C "$lab" TL_ROOT="$root" VARIANT=coverage tests >"$out/build.log" 2>&1; then
  echo "coverage: $slug does not build (see $out/build.log)"; exit 1
fi
find "$lab/build/coverage" -name '*.gcda' -delete
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
ran=0
for b in "$lab"/build/coverage/tests/* "$lab"/build/coverage/hidden/*; do
  [ -x "$b" ] || continue
  while read -r name _ _ to _; do
    # A test that crashes is expected here (a skeleton's panics): the brace
    # group keeps bash's "Aborted" job report out of the student's screen.
    { (cd "$scratch" && TL_SEED=1 timeout -k 5 $((to * 4)) "$b" --run "$name" >/dev/null 2>&1) || true; } 2>/dev/null
    ran=$((ran + 1))
  done < <("$b" --list)
done
files=()
for f in $("$root/grader/tools/conf-get.sh" "$lab/lab.conf" lab student_files); do
  case "$f" in *.c) files+=(--filter "$lab/$f") ;; esac
done
gcovr --root "$lab" "${files[@]}" --object-directory "$lab/build/coverage" \
      --html-details "$out/index.html" --json-summary "$out/summary.json" \
      --txt "$out/summary.txt" --branches >/dev/null 2>"$out/gcovr.log" ||
  { echo "coverage: gcovr failed (see $out/gcovr.log)"; exit 1; }
gcovr --root "$lab" "${files[@]}" --object-directory "$lab/build/coverage" \
      --txt "$out/lines.txt" >/dev/null 2>>"$out/gcovr.log"
pct=$(jq -r '.line_percent' "$out/summary.json")
bpct=$(jq -r '.branch_percent' "$out/summary.json")
echo "coverage: $slug: lines $pct%, branches $bpct% of the student files, $ran test runs ($out/index.html)"
jq -r '.files[] | "  \(.filename): lines \(.line_percent)%, branches \(.branch_percent)%"' "$out/summary.json"
if [ -n "$min" ] && awk -v p="$pct" -v m="$min" 'BEGIN { exit !(p < m) }'; then
  echo "coverage: $slug is below the bar of $min% of lines"; exit 1
fi
exit 0
