#!/usr/bin/env bash
# run.sh - the hostile-submission suite (make test runs it).
#
# A scratch kit holds two fixture labs: 90-hostile, whose every test calls
# victim(case) and expects 42, and 91-bystander, a correct lab graded in
# the same run. The submission in submission/ answers each case with one
# nasty behaviour (src/victim.c). The suite grades it with tl-grade and
# checks, from results.json (never from the log text):
#   - each test's status and the reason in its output (EXPECT below);
#   - the bystander lab keeps 100;
#   - no process of the submission is left, no kit file changed, no stray
#     file left in /tmp, and nothing reached a port listening on the host;
# once with every isolation the kernel allows, once without namespaces
# (TL_SANDBOX_NS=0). Then a submission that does not compile, one with a
# missing file and one whose file is a link to a host file: lab 90 scores 0
# with the reason (and the linked file's text appears nowhere), the
# bystander 100.
# Every grading runs under `timeout`, so the suite ends in bounded time.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
g="$root/grader/build/tl-grade"
work=$(mktemp -d /tmp/tl-hostile-XXXXXX)
trap 'kill "${lpid:-}" 2>/dev/null; rm -rf "$work"' EXIT
pass=0; fail=0
ok()  { echo "PASS  hostile: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL  hostile: $1"; shift; for l in "$@"; do echo "      $l"; done; fail=$((fail + 1)); }

kit="$work/kit"
mkdir -p "$kit"
ln -s "$root/grader" "$kit/grader"
cp -a "$here/reference" "$kit/"
chmod -R go-w "$kit/reference"

# A listener on the host's loopback: the network case must never reach it.
port_file="$work/port"; conn_log="$work/connections"
python3 - "$port_file" "$conn_log" <<'EOF' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept()
    open(sys.argv[2], "a").write("connection\n")
    c.close()
EOF
lpid=$!
for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
port=$(cat "$port_file" 2>/dev/null || echo 9)

kitsum() { (cd "$kit" && find -L reference grader/harness grader/include grader/mk grader/build/tl-grade -type f -print0 |
            sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }
sum0=$(kitsum)

# name | status | pattern its output must match (extended regex)
EXPECT='case_innocent_first|passed|
case_loop_forever|failed|timed out
case_deadlock|failed|timed out
case_fork_bomb|failed|timed out
case_alloc_until_killed|failed|Segmentation|SIGSEGV|SIGKILL|SIGABRT|timed out
case_print_forever|failed|timed out.*bytes of output elided
case_fake_results|failed|ended without reporting a result|SIGPIPE
case_exit0|failed|ended without reporting a result
case_underscore_exit0|failed|ended without reporting a result
case_segv|failed|Segmentation fault|SIGSEGV
case_abort|failed|SIGABRT
case_sigkill_self|failed|SIGKILL
case_close_stdio|passed|
case_dup_over_stdio|passed|
case_close_all_fds|failed|ended without reporting a result
case_daemon|failed|left process\(es\) running
case_network|NET|
case_overwrite_kit|passed|
case_sleep_past_timeout|failed|timed out
case_innocent_last|passed|'

grade() { # out_dir submission [env...]
  local out=$1 sub=$2; shift 2
  env "$@" TL_HOSTILE_PORT="$port" TL_HOSTILE_KIT="$kit" \
    timeout -k 10 300 "$g" --kit "$kit" --submission "$sub" --out "$out" --jobs 2 >"$out.log" 2>&1
}

check_hostile() { # label out_dir isolated(1/0)
  local label=$1 out=$2 iso=$3 r="$2/results.json"
  if [ ! -s "$r" ]; then bad "$label: no results.json" "$(tail -5 "$out.log")"; return; fi
  local wrong=""
  while IFS='|' read -r name status pat; do
    [ "$status" = NET ] && { [ "$iso" = 1 ] && status=passed || { status=failed; pat='returned 7'; }; }
    st=$(jq -r --arg n "90-hostile/$name" '.tests[] | select(.name == $n) | .status' "$r")
    outp=$(jq -r --arg n "90-hostile/$name" '.tests[] | select(.name == $n) | .output' "$r")
    if [ "$st" != "$status" ]; then
      wrong+="$name: $st, expected $status ($(echo "$outp" | head -n1 | cut -c1-120)); "
    elif [ -n "$pat" ] && ! printf '%s' "$outp" | tr '\n' ' ' | grep -Eq "$pat"; then
      wrong+="$name: the reason does not match /$pat/: $(echo "$outp" | head -n1 | cut -c1-120); "
    fi
  done <<<"$EXPECT"
  if [ -z "$wrong" ]; then ok "$label: each of the 20 cases scored as expected, with its reason"
  else bad "$label: cases scored wrongly" "$wrong" "reproduce: grader/tests/hostile/run.sh (results in $out)"; fi
  if jq -e '.extra_data.labs[] | select(.lab == "91-bystander") | .score == 100' "$r" >/dev/null; then
    ok "$label: the bystander lab keeps 100/100"
  else bad "$label: the bystander lab lost points" "$(jq -c '.extra_data.labs' "$r")"; fi
  left=$(pgrep -f tlhostile | tr '\n' ' ')
  if [ -z "$left" ]; then ok "$label: no process of the submission left running"
  else bad "$label: processes left running: $left"; pkill -9 -f tlhostile; fi
  if [ "$(kitsum)" = "$sum0" ] && [ ! -e "$kit/tlhostile-new-file" ]; then ok "$label: kit files unchanged"
  else bad "$label: the submission changed kit files"; fi
  if [ "$(id -u)" = 0 ]; then
    if [ ! -e /tmp/tlhostile-stray ]; then ok "$label: the file it left in /tmp was removed"
    else bad "$label: /tmp/tlhostile-stray left behind"; rm -f /tmp/tlhostile-stray; fi
  fi
  if [ "$iso" = 1 ]; then
    if [ ! -s "$conn_log" ]; then ok "$label: nothing reached the host's network"
    else bad "$label: the submission connected to a host port"; fi
  fi
  : >"$conn_log"
}

# The isolation this host gives tests, as the grader reports it.
sub="$here/submission"
grade "$work/full" "$sub"
isoline=$(sed -n 's/^isolation: //p' "$work/full.log")
echo "      isolation: ${isoline:-unknown}"
netns=0; case "$isoline" in *network*) netns=1 ;; esac
if ! echo "$isoline" | grep -q "RLIMIT_NPROC per test"; then
  echo "      (no per-test process limit here: the fork bomb case only pauses)"
  grade "$work/full" "$sub" TL_HOSTILE_NO_FORK_BOMB=1
fi
check_hostile "with namespaces" "$work/full" "$netns"

grade "$work/nons" "$sub" TL_SANDBOX_NS=0 $(echo "$isoline" | grep -q "RLIMIT_NPROC per test" || echo TL_HOSTILE_NO_FORK_BOMB=1)
if [ "$(id -u)" = 0 ]; then
  check_hostile "without namespaces" "$work/nons" 0
else
  echo "      (not root: without namespaces a daemon that drops its environment can escape; that run is skipped)"
fi

# The grader itself killed in the middle of a run: its tests (a hang, a
# sleep, a fork bomb among them) must not run on without it.
env TL_HOSTILE_PORT="$port" TL_HOSTILE_KIT="$kit" "$g" --kit "$kit" --submission "$sub" \
    --out "$work/killed" --jobs 2 >"$work/killed.log" 2>&1 &
gpid=$!
# Kill it once both of its jobs run a test (the hangs come first).
for _ in $(seq 200); do [ "$(pgrep -fc "tests/test_hostile --run")" -ge 2 ] && break; sleep 0.1; done
kill -KILL "$gpid"; wait "$gpid" 2>/dev/null
# The kernel delivers the parent-death signals at once; allow it 10 s.
for _ in $(seq 100); do pgrep -f "tests/test_hostile|tlhostile" >/dev/null || break; sleep 0.1; done
left=$(pgrep -f "tests/test_hostile|tlhostile" | tr '\n' ' ')
if [ -z "$left" ]; then ok "grader killed mid-run: none of its tests or their children run on"
else bad "grader killed mid-run: left running: $left"; pkill -9 -f "tests/test_hostile|tlhostile"; fi

# A submission that does not compile, and one with its student file missing.
secret="$work/host-secret.txt"
echo "TLHOSTILE-SECRET-$$" >"$secret"
for kind in compile missing symlink; do
  s="$work/sub-$kind"
  mkdir -p "$s/labs/90-hostile/src" "$s/labs/91-bystander/src"
  cp "$here/submission/labs/91-bystander/src/bystander.c" "$s/labs/91-bystander/src/"
  if [ $kind = compile ]; then
    printf '#include "victim.h"\nint victim(enum victim_case c) { return 42 }\n' >"$s/labs/90-hostile/src/victim.c"
    want='did not compile(.|\n)*error'
  elif [ $kind = missing ]; then
    want='src/victim.c was not in the submission'
  else # a student file that is a link to a file of the host
    ln -s "$secret" "$s/labs/90-hostile/src/victim.c"
    want='src/victim.c in the submission is not a regular file'
  fi
  grade "$work/$kind" "$s"
  r="$work/$kind/results.json"
  if jq -e --arg w "$want" '
       (.extra_data.labs[] | select(.lab == "90-hostile") | .score == 0) and
       (.extra_data.labs[] | select(.lab == "91-bystander") | .score == 100) and
       all(.tests[] | select(.name | startswith("90-hostile/")); .status == "failed") and
       (([.tests[] | select(.name | startswith("90-hostile/")) | .output] | join(" ")) + .output | test($w))' "$r" >/dev/null 2>&1; then
    if grep -rq "TLHOSTILE-SECRET" "$work/$kind" "$work/$kind.log"; then
      bad "a $kind submission: the host file it links to shows in the reports"
    else
      ok "a $kind submission: lab 90 scores 0 and says why (/$want/), the bystander keeps 100"
    fi
  else
    bad "a $kind submission was not graded as expected" \
        "$(jq -r '.tests[] | select(.name | startswith("90-hostile/")) | .output' "$r" 2>/dev/null | head -3)" \
        "reproduce: see $work/sub-$kind"
  fi
done

echo "hostile: $pass passed, $fail failed"
[ "$fail" = 0 ]
