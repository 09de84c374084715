#!/usr/bin/env bash
# entrypoint.sh - what the grading image runs.
#
#   docker run [...] threadlab-grader [tl-grade options]   grade
#   docker run [...] threadlab-grader batch DIR [options]    grade a class (tl-grade batch)
#   docker run [...] threadlab-grader gradescope             the Gradescope wrapper, on /autograder
#   docker run -it [...] threadlab-grader shell              a shell in the image
#
# Grading takes the submission from /submission when one is mounted there
# (a student's checkout: labs/NN-slug/... or NN-slug/...), else the kit's
# own labs/; --reference grades the image's reference/. Reports go to /out when mounted (results.json, junit.xml),
# given to HOST_UID:HOST_GID when set, so the host user owns them.
#
# The grader runs as root in the container for one reason: to hand each
# test a uid of its own (a per-test process limit, a kill that finds
# everything the test started). Nothing of the student's runs as root: the
# compiler runs as the user 'grader' (TL_BUILD_USER) and each test as its
# own uid; the kit under /opt/threadlab is root's and read-only to both.
#
# Uids are the kernel's, shared with the host and every other container:
# a grader on the host (61000-61999) or in another container, with a lock
# directory of its own, would hand the same uid to one of its tests, then
# kill our test when it sweeps that uid. So each container takes a block of
# 1000 uids of its own, drawn at random above 100000 (two containers meet
# with odds of one in two million), unless TL_UID_BASE is given.
set -euo pipefail
kit=/opt/threadlab
if [ -z "${TL_UID_BASE:-}" ]; then
  r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  export TL_UID_BASE=$(( 100000 + 1000 * (r % 2000000) ))
fi

give_back() { # reports to the host user who asked for them
  [ -n "${HOST_UID:-}" ] && [ -d /out ] && chown -R "${HOST_UID}:${HOST_GID:-$HOST_UID}" /out 2>/dev/null || true
}

case "${1:-}" in
  shell|sh|bash) shift; exec /bin/bash "$@" ;;
  gradescope) shift; exec "$kit/docker/gradescope/run_autograder" "$@" ;;
  batch)
    trap give_back EXIT
    extra=()
    [[ -d /out && " $* " != *" --out "* ]] && extra=(--out /out)
    "$kit/grader/build/tl-grade" "$@" "${extra[@]}" ;;
  *)
    args=(--kit "$kit")
    if [[ " $* " != *" --reference "* ]] && [ -d /submission ] && [ -n "$(ls -A /submission 2>/dev/null)" ]; then
      args+=(--submission /submission)
    fi
    out=/tmp/grades
    [ -d /out ] && out=/out
    trap give_back EXIT
    rc=0
    "$kit/grader/build/tl-grade" "${args[@]}" --out "$out" "$@" || rc=$?
    exit $rc ;;
esac
