#!/usr/bin/env bash
# skeletons.sh gen|check [ROOT]
#   gen:   write labs/NN-slug/ from reference/NN-slug/ (all but hidden/,
#          build/ and mutants-equivalent.txt; unifdef -USOLUTION on every .c, .h and .S file)
#   check: generate into a scratch dir and fail if labs/ differs
set -euo pipefail
mode=${1:?usage: skeletons.sh gen|check [ROOT]}
root=$(cd "${2:-$(dirname "$0")/../..}" && pwd)

gen_one() { # ref_dir out_dir
  local ref=$1 out=$2 f rc
  rm -rf "$out"
  mkdir -p "$out"
  (cd "$ref" && find . -path ./hidden -prune -o -path ./build -prune -o -name mutants-equivalent.txt -prune -o -type f -print) |
  while read -r f; do
    mkdir -p "$out/$(dirname "$f")"
    case "$f" in
      *.c|*.h|*.S)
        rc=0; unifdef -USOLUTION -o "$out/$f" "$ref/$f" || rc=$?
        if [ "$rc" -gt 1 ]; then echo "unifdef failed on $ref/$f" >&2; exit 1; fi
        if grep -q 'SOLUTION' "$out/$f"; then
          echo "skeletons: $ref/$f still names SOLUTION after unifdef" >&2; exit 1
        fi ;;
      *) cp -p "$ref/$f" "$out/$f" ;;
    esac
  done
}

labs=$(cd "$root/reference" 2>/dev/null && ls -d [0-9][0-9]-*/ 2>/dev/null | tr -d / || true)
[ -n "$labs" ] || { echo "skeletons: no labs in $root/reference"; exit 1; }
case "$mode" in
  gen)
    for l in $labs; do gen_one "$root/reference/$l" "$root/labs/$l"; echo "labs/$l generated"; done ;;
  check)
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    bad=0
    for l in $labs; do
      gen_one "$root/reference/$l" "$tmp/$l"
      if ! diff -r -x build "$tmp/$l" "$root/labs/$l" >"$tmp/diff" 2>&1; then
        echo "labs/$l differs from what reference/$l generates:"; head -20 "$tmp/diff"; bad=1
      fi
    done
    for d in "$root"/labs/[0-9][0-9]-*/; do
      [ -d "$d" ] || continue
      l=$(basename "$d")
      [ -d "$root/reference/$l" ] || { echo "labs/$l has no reference/$l"; bad=1; }
    done
    [ $bad = 0 ] && echo "skeletons: labs/ is in step with reference/"
    [ $bad = 0 ] || { echo "run 'make skeletons' to regenerate"; exit 1; } ;;
  *) echo "usage: skeletons.sh gen|check" >&2; exit 2 ;;
esac
