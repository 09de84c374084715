#!/usr/bin/env bash
# setup.sh - Gradescope runs this once, as root, when it builds the
# assignment's image from the autograder zip (unpacked in /autograder/source):
# install the packages the kit needs, build the grader, and make the user the
# compiler runs as. Gradescope's base images are Ubuntu; the kit needs 22.04
# or later.
set -euo pipefail
cd /autograder/source
export DEBIAN_FRONTEND=noninteractive
# The grading list (--image): what grading needs, Wine for the Windows lab,
# and not the benchmarks' peers (Gradescope grades; it does not benchmark).
if ! grader/tools/deps.sh --image >/dev/null 2>&1; then
  apt-get update -qq
  grader/tools/deps.sh --image
fi
make -s -C grader
id grader >/dev/null 2>&1 || useradd --create-home --user-group --shell /bin/bash grader
# The kit is root's and read-only to the graded code.
chown -R root:root /autograder/source
chmod -R u+rwX,go=rX,go-w /autograder/source
