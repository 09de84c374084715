#!/usr/bin/env bash
# deps.sh - make sure the Debian packages the kit needs are installed.
# As root: installs what is missing with apt-get. Otherwise: prints the one
# command to run and fails (also as root with TL_DEPS_NO_INSTALL=1).
#   deps.sh            what make grade / make test / make bench need on a host
#   deps.sh --image    the grading image: the host's list without the
#                      benchmarks' peers
#   deps.sh --list [--image]   print the package names, install nothing
set -euo pipefail
image=0 list=0
for a in "$@"; do
  case "$a" in
    --image) image=1 ;;
    --list) list=1 ;;
    *) echo "deps.sh: unknown argument '$a'" >&2; exit 2 ;;
  esac
done
pkgs=(
  gcc libc6-dev make binutils patch  # compile, nm for the forbidden-symbol check
  libcmocka-dev               # the test framework every lab uses
  libjansson-dev libinih-dev  # the grader: results.json, lab.conf
  unifdef                     # skeletons generated from the reference
  valgrind                    # memcheck and helgrind stages
  pandoc                      # handouts to HTML
  jq libxml2-utils            # the kit's self-test parses its own reports
  stress-ng                   # make flake loads the other cores
  python3                     # make mutants
  gcovr                       # coverage reports (make coverage, make grade)
  gnuplot-nox                 # lab 00's make report draws the costs (PNG)
  gcc-mingw-w64-x86-64        # lab 11 is a Windows program: Debian's mingw-w64 cross-compiler
  wine wine64                 # ... and its tests run under Wine (wine64: 64-bit programs)
  xz-utils                    # ... and cmocka's Debian source (built for Windows) is a .tar.xz
)
if [ "$image" = 0 ]; then
  # make bench compares each lab's reference with the real thing; make test
  # builds and runs each pair once. A container only grades: not there.
  pkgs+=(
    g++ pkg-config    # peers written in C++ (oneTBB); their flags from pkg-config
    libglib2.0-dev    # lab 08's peer: GLib's GThreadPool
    libtbb-dev        # lab 09's peer: oneTBB's task_group (libgomp, OpenMP tasks, comes with gcc)
    libuv1-dev        # lab 05's peer: libuv's event loop
    libboost-context-dev # labs 02 and 04's peer: Boost.Context's fiber, a switch
                      # library in hand-written assembly (no pkg-config: -lboost_context)
    cargo             # labs 13 and 05's peer, Tokio, is Rust: built offline from Debian's crates
    librust-tokio-dev # (its features, librust-tokio+net-dev and so on, are virtual
                      # packages it provides, their crates among its dependencies)
    golang-go         # lab 12's peer is Go itself (1.19): its scheduler is what
                      # the lab's GMP copies; standard library only, built offline
  )
fi
if [ "$image" = 0 ]; then
  # make handout checks the site it builds in a browser (site_check.py); a
  # container only grades, so neither is in the image.
  pkgs+=(
    chromium          # headless: every page rendered, the README's screenshots taken
    fonts-dejavu-core # a font for the pages' text, which a bare system may lack
  )
fi
if [ "$list" = 1 ]; then
  printf '%s\n' "${pkgs[@]}"
  exit 0
fi
missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Beside the packages, lab 11 needs cmocka's source (built for Windows by
# lab.mk) and a Wine prefix template, under the kit's build/ (windows.sh;
# not in the image's copy of this script, whose Dockerfile runs it itself).
# Without them lab 11 is graded "needs Wine" and the other labs as usual,
# so a failure here is said and does not stop make deps.
# TL_DEPS_NO_WINDOWS=1 skips it (make test's check of the student
# distribution grades two Linux labs in a fresh copy: no 700 MB prefix).
windows() {
  local w
  [ -z "${TL_DEPS_NO_WINDOWS:-}" ] || return 0
  w=$(dirname "$0")/windows.sh
  [ -x "$w" ] || return 0
  "$w" all || echo "deps: lab 11 (Windows) cannot be graded on this machine until $w runs (above)" >&2
}
[ ${#missing[@]} -eq 0 ] && { windows; exit 0; }
if [ "$(id -u)" = 0 ] && [ -z "${TL_DEPS_NO_INSTALL:-}" ] && command -v apt-get >/dev/null; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/threadlab-apt.log 2>&1; then
    apt-get update >/tmp/threadlab-apt-update.log 2>&1 || true
    apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/threadlab-apt.log 2>&1 || {
      tail -20 /tmp/threadlab-apt.log; echo "deps: apt-get install failed (log above)"; exit 1; }
  fi
  windows
  exit 0
fi
echo "threadlab needs these Debian packages. Install them with:"
echo
echo "    sudo apt-get install -y ${missing[*]}"
echo
exit 1
