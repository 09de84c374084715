#!/usr/bin/env bash
# conf-get.sh FILE SECTION KEY - print one value of a lab.conf, read the way
# the grader's inih reads it: ';' starts a comment (at line start, or after a
# space), and a list may go on over indented lines that follow the key.
set -euo pipefail
exec awk -v sec="$2" -v key="$3" '
  /^[[:space:]]*[;#]/ { next }
  /^[[:space:]]*\[/ { gsub(/^[[:space:]]*\[|\][[:space:]]*$/, ""); cur = $0; f = 0; next }
  f && /^[[:space:]]+[^[:space:]]/ && !/=/ { sub(/[[:space:]];.*/, ""); v = v " " $0; next }
  { f = 0 }
  cur == sec && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" {
    sub(/^[^=]*=/, ""); sub(/[[:space:]];.*/, ""); v = $0; f = 1 }
  END { gsub(/^[[:space:]]+|[[:space:]]+$/, "", v); gsub(/[[:space:]]+/, " ", v); print v }' "$1"
