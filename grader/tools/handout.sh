#!/usr/bin/env bash
# handout.sh OUT_DIR - every handout/NN-slug.md to HTML with pandoc, the
# grading table generated from the lab's tests put where the page has the
# line <!-- GRADING-TABLE -->, and an index page.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/handout/build}
mkdir -p "$out"
cp "$root/handout/style.css" "$out/style.css"
idx="$out/index.md"
{
  echo "---"; echo "title: threadlab handouts"; echo "---"; echo
  echo "| Lab | Title | Estimated time |"; echo "|---|---|---:|"
} > "$idx"
for md in "$root"/handout/[0-9][0-9]-*.md; do
  [ -f "$md" ] || continue
  slug=$(basename "$md" .md)
  labdir="$root/reference/$slug"; [ -d "$labdir" ] || labdir="$root/labs/$slug"
  [ -d "$labdir" ] || { echo "handout: $slug has no lab directory" >&2; exit 1; }
  title=$("$root/grader/tools/conf-get.sh" "$labdir/lab.conf" lab title)
  hours=$("$root/grader/tools/conf-get.sh" "$labdir/lab.conf" lab hours)
  grep -q '^<!-- GRADING-TABLE -->$' "$md" || { echo "handout: $md lacks the line <!-- GRADING-TABLE -->" >&2; exit 1; }
  table=$("$root/grader/tools/grading-table.sh" "$labdir")
  awk -v t="$table" '$0 == "<!-- GRADING-TABLE -->" { print t; next } { print }' "$md" > "$out/$slug.md"
  pandoc -s --toc --metadata title="$slug: $title" -c style.css -f markdown -t html5 \
    -o "$out/$slug.html" "$out/$slug.md"
  rm -f "$out/$slug.md"
  echo "| [$slug]($slug.html) | $title | ${hours:-?} h |" >> "$idx"
  echo "handout: $out/$slug.html"
done
pandoc -s -c style.css -f markdown -t html5 -o "$out/index.html" "$idx"
rm -f "$idx"
echo "handout: $out/index.html"
