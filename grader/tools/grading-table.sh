#!/usr/bin/env bash
# grading-table.sh LAB_DIR - the handout's grading table, in Markdown,
# generated from the tests themselves (each test binary's --list) and the
# stages in lab.conf, so the handout and the grader cannot disagree.
set -euo pipefail
dir=$(cd "${1:?usage: grading-table.sh LAB_DIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$dir" TL_ROOT="$root" tests >/dev/null
conf() { "$root/grader/tools/conf-get.sh" "$dir/lab.conf" "$1" "$2"; }
total=0
echo "| Test | Points | Checks | Time limit |"
echo "|---|---:|---|---:|"
for b in "$dir"/build/plain/tests/*; do
  [ -x "$b" ] || continue
  while read -r name pts _ to _ tags; do
    [ "$tags" = - ] && tags=""
    echo "| \`$name\` | $pts | ${tags//,/, } | ${to} s |"
    total=$((total + pts))
  done < <("$b" --list)
done
hp=0; hn=0
for b in "$dir"/build/plain/hidden/*; do
  [ -x "$b" ] || continue
  while read -r _ pts _; do hp=$((hp + pts)); hn=$((hn + 1)); done < <("$b" --list)
done
if [ "$hn" -gt 0 ]; then
  echo "| hidden tests ($hn, run by the staff) | $hp | the same contracts, other inputs | |"
  total=$((total + hp))
elif [ -f "$dir/hidden-tests" ]; then
  # a student distribution (make dist): how many hidden tests and their
  # points, written by dist.sh from the reference; no names, no code
  read -r hn hp < "$dir/hidden-tests"
  echo "| hidden tests ($hn, run by the staff) | $hp | the same contracts, other inputs | |"
  total=$((total + hp))
fi
for s in race memory; do
  tools=$(conf "$s" tool)
  [ -n "$tools" ] || continue
  pts=$(conf "$s" points); tests=$(conf "$s" tests)
  n=$(echo $tools | wc -w)
  for t in $tools; do
    echo "| $s stage: $t | $((pts / n)) | $(echo $tests | sed 's/\([^ ]*\)/`\1`/g; s/ /, /g') run under $t: no report | |"
  done
  total=$((total + pts))
done
pt=$(conf perf test)
if [ -n "$pt" ]; then
  pts=$(conf perf points)
  echo "| performance stage | $pts | \`$pt\`: your median at least $(conf perf min_ratio) of the reference's, measured in the same run | |"
  total=$((total + pts))
fi
echo "| **Total** | **$total** | | |"
