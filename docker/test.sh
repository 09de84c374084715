#!/usr/bin/env bash
# test.sh - the Docker path's own tests (make test-docker; CI runs them).
#
# Builds the base image (docker/base-image.sh, unless BASE names one) and
# the grading image, then checks, with the commands the README gives:
#   - the image has every tool, the kit is root's and read-only to a test
#     uid, and the Windows toolchain builds and runs a program under Wine;
#   - the reference graded in a container scores full marks, with the same
#     per-test results as the reference graded on this host;
#   - the skeletons (this checkout's labs/) graded in a container score 0,
#     each test with a message; a student's checkout (SUBMISSION=) is graded
#     with hidden tests, the solved lab at 100;
#   - the Gradescope zip, unpacked in the /autograder layout inside the
#     image, sets up with no network and grades a checkout, loose files and
#     an empty upload.
# Needs a running Docker daemon and root (debootstrap). Prints the image's
# size and the build times; ends with "docker: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
kit=$PWD
IMAGE=${IMAGE:-threadlab-grader:test}
tmp=$(mktemp -d /tmp/threadlab-docker-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "PASS  $1"; pass=$((pass + 1)); }
bad() { echo "FAIL  $1"; [ -z "${2:-}" ] || sed 's/^/      /' "$2" | tail -30; fail=$((fail + 1)); }
finish() { echo; echo "docker: $pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

if ! docker info >/dev/null 2>&1; then
  bad "a Docker daemon answers (start dockerd, or apt-get install docker.io)"
  finish
fi

# -- the images ---------------------------------------------------------
if [ -z "${BASE:-}" ]; then
  t0=$(date +%s)
  if docker/base-image.sh >"$tmp/base.log" 2>&1; then
    BASE=threadlab-base:bookworm
    ok "base image by debootstrap from this host's apt mirror ($(tail -2 "$tmp/base.log" | head -1 | sed 's/.*(\(.*\))/\1/'))"
  else
    bad "docker/base-image.sh builds the base image" "$tmp/base.log"
    finish
  fi
fi
t0=$(date +%s)
if make --no-print-directory docker-image BASE="$BASE" IMAGE="$IMAGE" >"$tmp/build.log" 2>&1; then
  size=$(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.2f GB", $1 / 1e9 }')
  ok "make docker-image BASE=$BASE builds $IMAGE ($size, $(( $(date +%s) - t0 )) s)"
else
  bad "make docker-image BASE=$BASE" "$tmp/build.log"
  finish
fi

# -- what the image holds -------------------------------------------------
cat >"$tmp/inside.sh" <<'EOF'
set -u
for t in gcc make nm valgrind gcovr unifdef pandoc python3 x86_64-w64-mingw32-gcc wine tl-grade; do
  command -v "$t" >/dev/null || { echo "missing: $t"; exit 1; }
done
[ -f /usr/include/cmocka.h ] || { echo "missing: cmocka"; exit 1; }
id grader >/dev/null || { echo "no user grader"; exit 1; }
n=$(find /opt/threadlab ! -user root | wc -l)
[ "$n" = 0 ] || { echo "$n kit files not root's"; exit 1; }
n=$(find /opt/threadlab -perm /022 ! -type l | wc -l)
[ "$n" = 0 ] || { echo "$n kit files writable by group or others"; exit 1; }
if setpriv --reuid=61000 --regid=61000 --clear-groups touch /opt/threadlab/labs/x 2>/dev/null; then
  echo "a test uid could write in the kit"; exit 1
fi
[ -s /opt/threadlab/.kit-commit ] || { echo "no .kit-commit"; exit 1; }
# The Windows-threads toolchain: cross-compile a threaded program, run it under Wine.
cd "$(mktemp -d)"
cat >w.c <<'C'
#include <windows.h>
#include <stdio.h>
static DWORD WINAPI body(LPVOID arg) { *(int *)arg = 42; return 7; }
int main(void)
{
    int v = 0;
    DWORD code = 0;
    HANDLE h = CreateThread(NULL, 0, body, &v, 0, NULL);
    if (!h || WaitForSingleObject(h, INFINITE) != WAIT_OBJECT_0 || !GetExitCodeThread(h, &code))
        return 1;
    printf("thread wrote %d, exit code %lu\n", v, (unsigned long)code);
    return v == 42 && code == 7 ? 0 : 1;
}
C
x86_64-w64-mingw32-gcc -O2 -o w.exe w.c || exit 1
HOME=$PWD WINEDEBUG=-all WINEPREFIX=$PWD/prefix timeout 300 wine ./w.exe 2>/dev/null | tr -d '\r'
EOF
if docker run --rm --network none --entrypoint /bin/bash "$IMAGE" -c "$(cat "$tmp/inside.sh")" >"$tmp/inside.log" 2>&1 &&
   grep -q "thread wrote 42, exit code 7" "$tmp/inside.log"; then
  ok "the image has every tool, the kit is root's and read-only to a test uid, a mingw-w64 thread runs under Wine"
else
  bad "the image's tools, kit permissions and Windows toolchain" "$tmp/inside.log"
fi

# -- the reference: full marks, the same results as on this host -------------
# Per test: name, points, status. The stress seed is the same on both sides.
# The host's side: make test's grading of the reference when it is of this
# very tree (same commit, nothing changed), else a grading made here.
summary() { jq -r '.tests[] | "\(.name) \(.score)/\(.max_score) \(.status)"' "$1" | sort; }
host=build/selftest/ref/results.json seed=4242
if [ -f "$host" ] && git diff --quiet HEAD 2>/dev/null && [ -z "$(git status --porcelain 2>/dev/null)" ] &&
   [ "$(jq -r '.extra_data.environment.kit_commit' "$host")" = "$(git rev-parse HEAD)" ]; then
  seed=$(jq -r '.extra_data.environment.seed' "$host")
  mkdir -p "$tmp/ref-host" && cp "$host" "$tmp/ref-host/results.json"
  echo "(host side: make test's grading of the reference, seed $seed)"
else
  make --no-print-directory grade-reference OUT="$tmp/ref-host" SEED=$seed >"$tmp/ref-host.log" 2>&1
fi
t0=$(date +%s)
make --no-print-directory docker-grade-reference IMAGE="$IMAGE" OUT="$tmp/ref-docker" SEED=$seed >"$tmp/ref-docker.log" 2>&1
dref=$(( $(date +%s) - t0 ))
if [ -f "$tmp/ref-docker/results.json" ] && grep -q "^Score: \([0-9]*\)/\1$" "$tmp/ref-docker.log" &&
   [ "$(jq '.score' "$tmp/ref-docker/results.json")" = "$(jq '[.tests[].max_score] | add' "$tmp/ref-docker/results.json")" ]; then
  ok "make docker-grade-reference: full marks ($(grep '^Score:' "$tmp/ref-docker.log"), $dref s)"
else
  bad "make docker-grade-reference gives full marks" "$tmp/ref-docker.log"
fi
if [ -f "$tmp/ref-host/results.json" ] && [ -f "$tmp/ref-docker/results.json" ] &&
   diff <(summary "$tmp/ref-host/results.json") <(summary "$tmp/ref-docker/results.json") >"$tmp/diff.log"; then
  ok "the reference's per-test results in the container equal the host's ($(summary "$tmp/ref-host/results.json" | wc -l) items)"
else
  bad "the reference's per-test results in the container equal the host's (< host, > container)" "$tmp/diff.log"
fi
iso=$(jq -r '.extra_data.environment.isolation // empty' "$tmp/ref-docker/results.json" 2>/dev/null)
ubase=$(sed -n 's/.*own unprivileged uid (\([0-9]*\)-.*/\1/p' <<<"$iso")
if [[ "$iso" == *"own unprivileged uid"* && "$iso" == *"builds as user grader"* && "$iso" == *"no network interface"* ]] &&
   [ "${ubase:-0}" -ge 100000 ]; then
  ok "in the container: no network, each test its own uid (from $ubase: a block apart from the host's 61000), builds as user grader"
else
  echo "isolation: ${iso:-none reported}" >"$tmp/iso.log"
  bad "the container's isolation line" "$tmp/iso.log"
fi

# -- the skeletons: 0, a message per test ------------------------------------
t0=$(date +%s)
make --no-print-directory docker-grade IMAGE="$IMAGE" OUT="$tmp/skel" >"$tmp/skel.log" 2>&1
if [ -f "$tmp/skel/results.json" ] && [ "$(jq '.score' "$tmp/skel/results.json")" = 0 ] &&
   [ "$(jq '[.tests[] | select((.output // "") == "")] | length' "$tmp/skel/results.json")" = 0 ] &&
   [ "$(jq '.tests | length' "$tmp/skel/results.json")" -gt 0 ]; then
  ok "make docker-grade on this checkout's skeletons: 0 points, a message for each of $(jq '.tests | length' "$tmp/skel/results.json") items ($(( $(date +%s) - t0 )) s)"
else
  bad "make docker-grade on the skeletons scores 0 with messages" "$tmp/skel.log"
fi

# -- Gradescope: the zip, in the /autograder layout, inside the image ---------
# A checkout with lab 02 solved, the same files loose, and an empty upload.
gs=$tmp/gs
mkdir -p "$gs/checkout/labs/02-green-threads/src" "$gs/loose/upload" "$gs/empty"
for f in $(grader/tools/conf-get.sh labs/02-green-threads/lab.conf lab student_files); do
  # What a perfect student hands in: the reference's solution side.
  unifdef -DSOLUTION -o "$gs/checkout/labs/02-green-threads/$f" "reference/02-green-threads/$f" || [ $? = 1 ]
  cp "$gs/checkout/labs/02-green-threads/$f" "$gs/loose/upload/"
done
zipfor() { make --no-print-directory gradescope LAB="$1" 2>&1 | grep -o 'build/gradescope/[^ ]*\.zip'; }
gradescope() { # NAME ZIP SUBMISSION: unpack, setup.sh, run_autograder, as Gradescope does
  local root=$gs/run-$1/autograder
  mkdir -p "$root/source" "$root/results"
  python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); [z.extract(i, sys.argv[2]) for i in z.infolist()]
import os
for i in z.infolist():
    os.chmod(os.path.join(sys.argv[2], i.filename), (i.external_attr >> 16) & 0o777)' "$2" "$root/source"
  cp -r "$3" "$root/submission"
  docker run --rm --network none --memory 8g --pids-limit 4096 --entrypoint /bin/bash \
    -v "$root:/autograder" "$IMAGE" -c \
    'cd /autograder/source && ./setup.sh && cp run_autograder /autograder/run_autograder && /autograder/run_autograder' \
    >"$gs/$1.log" 2>&1
}
t0=$(date +%s)
zip02=$(zipfor 02)
if [ -n "$zip02" ] && python3 -c 'import sys, zipfile; n = zipfile.ZipFile(sys.argv[1]).namelist()
sys.exit(not ("setup.sh" in n and "run_autograder" in n and "gradescope.conf" in n))' "$zip02" &&
   gradescope checkout "$zip02" "$gs/checkout" &&
   [ "$(jq '.score' "$gs/run-checkout/autograder/results/results.json" 2>/dev/null)" = 100 ]; then
  ok "Gradescope zip (make gradescope LAB=02): setup.sh with no network, run_autograder on a checkout: 100 ($(( $(date +%s) - t0 )) s)"
else
  bad "Gradescope zip grades a checkout of lab 02's reference at 100" "$gs/checkout.log"
fi
if gradescope loose "$zip02" "$gs/loose" && [ "$(jq '.score' "$gs/run-loose/autograder/results/results.json" 2>/dev/null)" = 100 ]; then
  ok "Gradescope: lab 02's files uploaded loose are put in place and graded: 100"
else
  bad "Gradescope grades loose files" "$gs/loose.log"
fi
zipall=$(zipfor "")
if [ -n "$zipall" ] && gradescope empty "$zipall" "$gs/empty" &&
   [ "$(jq '.score' "$gs/run-empty/autograder/results/results.json" 2>/dev/null)" = 0 ] &&
   jq -r '.output' "$gs/run-empty/autograder/results/results.json" | grep -q "No lab found"; then
  ok "Gradescope: an upload with no lab in it gets 0 and a message saying what to upload"
else
  bad "Gradescope explains an empty upload" "$gs/empty.log"
fi

# -- make docker-grade SUBMISSION=: a student's checkout, hidden tests in ----
t0=$(date +%s)
make --no-print-directory docker-grade IMAGE="$IMAGE" SUBMISSION="$gs/checkout" OUT="$tmp/sub" >"$tmp/sub.log" 2>&1
if [ -f "$tmp/sub/results.json" ] &&
   [ "$(jq '[.tests[] | select(.name | startswith("02-"))] | (map(.score) | add) == 100' "$tmp/sub/results.json")" = true ] &&
   [ "$(jq '[.tests[] | select(.name | startswith("10-"))] | (map(.score) | add) == 0' "$tmp/sub/results.json")" = true ] &&
   [ "$(jq '[.tests[] | select(.visibility == "after_published")] | length' "$tmp/sub/results.json")" -gt 0 ]; then
  ok "make docker-grade SUBMISSION=checkout: the solved lab 100, the untouched lab 0, hidden tests in ($(( $(date +%s) - t0 )) s)"
else
  bad "make docker-grade SUBMISSION=checkout grades it with hidden tests" "$tmp/sub.log"
fi

docker image rm "$IMAGE" >/dev/null 2>&1 || true
finish
