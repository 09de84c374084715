#!/usr/bin/env bash
# wine-run.sh - run one Windows test program (a lab with platform = windows)
# under Wine, as a Linux test binary would run: the same arguments (--list,
# --run NAME, none), the same private result channel, the same exit code.
# lab.mk writes each test "binary" of such a lab as a two-line script that
# calls this with the .exe; the grader never knows the difference.
#
#   wine-run.sh KIT PROGRAM.exe [ARGS...]
#
# - A prefix of its own, per run, in $TMPDIR (the test's scratch directory
#   under the grader, which the test's uid owns: Wine refuses a prefix its
#   user does not own): the registry files copied from the kit's template
#   (build/wine-prefix, grader/tools/windows.sh), C: a link to the
#   template's drive_c, Z: the root. Measured: 0.02 s to make, against
#   about 10 s (and 700 MB) for a fresh wineboot.
# - The result channel: Wine gives a Windows program no Unix descriptor
#   beyond 0-2, so the program (grader/harness/tl_harness_win.c) appends its
#   records to a file named by TL_RESULT_FILE, in this run's folder, and
#   this script hands them on to $TL_RESULT_FD after Wine has exited. The
#   nonce goes in TL_NONCE as for a Linux test; the harness wipes it.
# - No Wine process outlives the run: when the program has ended, the
#   wineserver of this prefix is told to end at once (wineserver -k: it
#   would otherwise wait 3 s for another client), and it and Wine's helper
#   processes (services.exe, winedevice.exe...) are waited for and, after
#   5 s, killed, found by this run's WINEPREFIX in their environment, so
#   nothing else of the user's is touched.
set -uo pipefail
kit=$1 exe=$2
shift 2
command -v wine >/dev/null 2>&1 || {
  echo "needs Wine: $exe is a Windows program and wine is not installed (make deps, or apt-get install wine wine64)" >&2
  exit 127; }
tmpl=$kit/build/wine-prefix
[ -f "$tmpl/system.reg" ] || {
  echo "needs Wine: no Wine prefix template in $tmpl (make deps, or grader/tools/windows.sh prefix)" >&2
  exit 127; }
d=$(mktemp -d "${TMPDIR:-/tmp}/tl-wine.XXXXXX") || exit 1
P=$d/prefix
mkdir -p "$P/dosdevices" &&
  cp "$tmpl/system.reg" "$tmpl/user.reg" "$tmpl/userdef.reg" "$tmpl/.update-timestamp" "$P/" &&
  ln -s "$tmpl/drive_c" "$P/dosdevices/c:" && ln -s / "$P/dosdevices/z:" || {
  echo "wine-run.sh: cannot make a Wine prefix in $d" >&2; rm -rf "$d"; exit 1; }

fd=${TL_RESULT_FD:-}
unset TL_RESULT_FD
if [ -n "$fd" ]; then
  : >"$d/results"
  # Z: is the root: the Windows name of a Unix path.
  export TL_RESULT_FILE="Z:${d//\//\\}\\results"
fi
# Only Wine's processes carry this run's WINEPREFIX (not this script).
export WINEDEBUG=-all WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=d;mshtml=d"
run() { # Wine writes CR LF for the program's text; the grader's messages want LF.
  WINEPREFIX=$P wine "$exe" "$@" 2>&1 | tr -d '\r' | tee "$d/out"
  return "${PIPESTATUS[0]}"
}
run "$@"
rc=$?
if grep -q 'fixed a temporary directory error' "$d/out"; then
  run "$@" # what Wine asks for: it has repaired its server directory
  rc=$?
fi
# The wineserver wine started would linger 3 s for another client: end it
# now (-k), then wait for it and Wine's helpers below.
WINEPREFIX=$P wineserver -k 2>/dev/null

ours() { # this run's Wine processes still alive: /proc/PID/environ paths
  grep -lzx "WINEPREFIX=$P" /proc/[0-9]*/environ 2>/dev/null
}
for _ in $(seq 100); do
  [ -z "$(ours)" ] && break
  sleep 0.05 # waiting for Wine's helpers to end, not a synchronisation of the test
done
for e in $(ours); do
  p=${e#/proc/}
  kill -9 "${p%/environ}" 2>/dev/null
done

if [ -n "$fd" ]; then
  cat "$d/results" >&"$fd"
fi
rm -rf "$d"
exit "$rc"
