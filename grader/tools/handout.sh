#!/usr/bin/env bash
# handout.sh OUT_DIR - the handouts as one static site, readable offline:
# every handout/NN-slug.md to OUT_DIR/NN-slug.html with pandoc (a table of
# contents, code highlighted by pandoc itself, a line to the index and the
# previous and next lab, the grading table generated from the lab's tests
# put where the page has the line <!-- GRADING-TABLE -->), and
# OUT_DIR/index.html: every lab with its title, estimated time and points.
# No script, no CDN: the pages and style.css are all there is.
# grader/tools/site_check.py OUT_DIR checks the result in Chromium.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/handout/build}
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$root/handout/style.css" "$out/style.css"
conf() { "$root/grader/tools/conf-get.sh" "$1/lab.conf" lab "$2"; }
page() {  # pandoc with the options every page shares (--columns: tables as
          # wide as their cells need, not the page split by the dashes)
  pandoc -s -c style.css -f markdown -t html5 --highlight-style=pygments --columns=1000 "$@"
}

slugs=()
for md in "$root"/handout/[0-9][0-9]-*.md; do
  [ -f "$md" ] && slugs+=("$(basename "$md" .md)")
done
[ ${#slugs[@]} -gt 0 ] || { echo "handout: no handout/NN-slug.md in $root/handout" >&2; exit 1; }

idx="$tmp/index.md"
{
  echo "---"; echo "title: threadlab handouts"; echo "---"; echo
  echo "Sixteen labs on threading models, from raw kernel threads to Go's and"
  echo "Tokio's schedulers. Each page has the background, the API, the tasks"
  echo "and the grading table the grader uses; the points are the lab's whole"
  echo "score (public and hidden tests, stages)."; echo
  echo "| Lab | Title | Estimated time | Points |"; echo "|---|---|---:|---:|"
} > "$idx"
n=${#slugs[@]} all_hours=0 all_points=0
for i in "${!slugs[@]}"; do
  slug=${slugs[$i]}
  md="$root/handout/$slug.md"
  labdir="$root/reference/$slug"; [ -d "$labdir" ] || labdir="$root/labs/$slug"
  [ -d "$labdir" ] || { echo "handout: $slug has no lab directory" >&2; exit 1; }
  title=$(conf "$labdir" title); hours=$(conf "$labdir" hours)
  grep -q '^<!-- GRADING-TABLE -->$' "$md" || { echo "handout: $md lacks the line <!-- GRADING-TABLE -->" >&2; exit 1; }
  table=$("$root/grader/tools/grading-table.sh" "$labdir")
  points=$(sed -n 's/^| \*\*Total\*\* | \*\*\([0-9]*\)\*\*.*/\1/p' <<<"$table")
  [ -n "$points" ] || { echo "handout: grader/tools/grading-table.sh $labdir printed no Total row" >&2; exit 1; }
  awk -v t="$table" '$0 == "<!-- GRADING-TABLE -->" { print t; next } { print }' "$md" > "$tmp/$slug.md"
  # the navigation line, above the title and again at the end
  nav="<nav class=\"pager\"><a href=\"index.html\">All labs</a>"
  [ "$i" -gt 0 ] && nav+=" · <a rel=\"prev\" href=\"${slugs[$((i - 1))]}.html\">← ${slugs[$((i - 1))]}</a>"
  [ "$i" -lt $((n - 1)) ] && nav+=" · <a rel=\"next\" href=\"${slugs[$((i + 1))]}.html\">${slugs[$((i + 1))]} →</a>"
  echo "$nav</nav>" > "$tmp/nav.html"
  page --toc --toc-depth=2 --metadata title="$slug: $title" -B "$tmp/nav.html" -A "$tmp/nav.html" \
    -o "$out/$slug.html" "$tmp/$slug.md"
  echo "| [$slug]($slug.html) | $title | ${hours:-?} h | $points |" >> "$idx"
  all_hours=$(awk -v a="$all_hours" -v b="${hours:-0}" 'BEGIN { print a + b }'); all_points=$((all_points + points))
  echo "handout: $out/$slug.html"
done
echo "| **All $n labs** | | **$all_hours h** | **$all_points** |" >> "$idx"
page -o "$out/index.html" "$idx"
echo "handout: $out/index.html"
