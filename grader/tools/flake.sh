#!/usr/bin/env bash
# flake.sh [N] [LAB...] - grade the reference N times (default 20) while
# stress-ng keeps the other cores busy, then print how often each test and
# stage failed. The bar for every lab: 0 failures in 20 runs.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-20}; shift || true
labs=(); for l in "$@"; do labs+=(--lab "$l"); done
out=build/flake
rm -rf "$out"; mkdir -p "$out"
cores=$(nproc); load=$((cores > 1 ? cores - 1 : 1))
if ! command -v stress-ng >/dev/null; then
  echo "flake: stress-ng is missing (make deps installs it)"; exit 2
fi
stress-ng --cpu "$load" --timeout 0 >/dev/null 2>&1 &
sp=$!
trap 'kill $sp 2>/dev/null; wait $sp 2>/dev/null' EXIT
echo "flake: $n graded runs of the reference, $load core(s) loaded by stress-ng --cpu $load"
t0=$(date +%s)
for i in $(seq 1 "$n"); do
  s=$(date +%s)
  grader/build/tl-grade --kit "$root" --reference "${labs[@]}" --out "$out/run$i" >"$out/run$i.log" 2>&1
  printf 'run %2d: %s  seed %s  %ds\n' "$i" "$(grep '^Score' "$out/run$i.log")" \
    "$(sed -n 's/.*seed \([0-9]*\),.*/\1/p' "$out/run$i.log" | head -n1)" $(( $(date +%s) - s ))
done
echo
jq -rs --argjson n "$n" '
  [ .[] | .tests[] ] | group_by(.name)
  | map({name: .[0].name, fails: map(select(.status == "failed")) | length,
         secs: (map(.execution_time) | add / length)})
  | (map(select(.fails > 0)) | if length == 0 then "every test and stage passed in all \($n) runs"
      else (["failures in \($n) runs:"] + map("  \(.fails)  \(.name)") | join("\n")) end),
    "slowest (mean seconds a run):",
    (sort_by(-.secs) | .[:5] | map("  \(.secs * 100 | round / 100)  \(.name)") | join("\n"))
' "$out"/run*/results.json
echo "flake: $(( $(date +%s) - t0 )) s in all; logs and reports in $out/"
jq -se 'all(.[]; .tests | all(.status == "passed"))' "$out"/run*/results.json >/dev/null
