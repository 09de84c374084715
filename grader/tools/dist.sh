#!/usr/bin/env bash
# dist.sh build OUT      the student distribution: OUT/threadlab/ and
#                        OUT/threadlab.tar.gz, from this kit's tracked files
# dist.sh check DIR      fail if DIR holds any solution text of reference/
#
# What students get: labs/ (the skeletons and public tests), the handouts,
# the grader with its own tests, docker/, the Makefile, and a README for
# students (grader/tools/dist-README.md). What they never get: reference/
# (solutions and hidden tests), the planted bugs of grader/tests/bugs (each
# is a diff of a solution), the mutation tool and .ci/. In the distribution
# `make test` is the student-side test (selftest.sh sees no reference/).
#
# check: grader/tools/dist_check.py looks in DIR for any run of three lines
# of a solution block, any hidden test's name, and the paths that must not
# ship. Any hit fails, naming the file.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:?usage: dist.sh build OUT | check DIR}
arg=${2:?usage: dist.sh build OUT | check DIR}

# Tracked files that ship (git ls-files, so nothing built or left over
# comes along); outside a git checkout, the files on disk minus build output.
shipped() {
  if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$root" ls-files
  else
    (cd "$root" && find . -type f -not -path './build/*' -not -path '*/build/*' \
       -not -path './grades/*' | sed 's|^\./||')
  fi | grep -vE '^(reference/|grader/tests/bugs/|grader/tools/mutants\.py$|\.ci/|README\.md$|\.git)'
}

case "$mode" in
  build)
    out=$(mkdir -p "$arg" && cd "$arg" && pwd)
    d="$out/threadlab"
    rm -rf "$d" "$out/threadlab.tar.gz"
    mkdir -p "$d"
    (cd "$root" && shipped | tar -cf - -T -) | tar -xf - -C "$d"
    cp "$root/grader/tools/dist-README.md" "$d/README.md"
    # each lab's hidden tests as a count and points, for its handout's table
    # (read from the sources: TL_TEST(name, points, ...))
    for ref in "$root"/reference/[0-9][0-9]-*/; do
      slug=$(basename "$ref")
      cat "$ref"/hidden/*.c 2>/dev/null | grep -oE '^TL_TEST\([A-Za-z0-9_]+, *[0-9]+' |
        awk -F, '{ n++; p += $2 } END { if (n) print n, p }' > "$d/labs/$slug/hidden-tests"
      [ -s "$d/labs/$slug/hidden-tests" ] || rm -f "$d/labs/$slug/hidden-tests"
    done
    "$0" check "$d"
    tar -C "$out" -czf "$out/threadlab.tar.gz" threadlab
    echo "dist: $d and $out/threadlab.tar.gz ($(cd "$d" && find . -type f | wc -l) files," \
         "$(du -sh "$out/threadlab.tar.gz" | cut -f1))"
    ;;
  check)
    python3 "$root/grader/tools/dist_check.py" --kit "$root" --dist "$arg"
    ;;
  *) echo "usage: dist.sh build OUT | check DIR" >&2; exit 2 ;;
esac
