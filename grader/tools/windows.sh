#!/usr/bin/env bash
# windows.sh - what a lab with `platform = windows` (lab.conf) needs beside
# the Debian packages, kept under the kit's build/ (never committed):
#
#   build/cmocka-win/   cmocka's upstream source, from Debian's source
#                       package (apt-get source --download-only): lab.mk
#                       compiles src/cmocka.c with x86_64-w64-mingw32-gcc
#                       into each build of such a lab (one file, a second)
#   build/wine-prefix/  a Wine prefix made once by wineboot (about 10 s,
#                       700 MB: Wine 8 copies its PE DLLs into it), never
#                       run in: each test gets a prefix of its own in its
#                       scratch directory whose C: drive is a link to this
#                       one's, with copies of the registry files (1.7 MB;
#                       grader/tools/wine-run.sh)
#
#   windows.sh [all]     both, each only when missing (make deps runs this)
#   windows.sh cmocka    the source only   windows.sh prefix   the prefix only
#   windows.sh status    exit 0 when both are there, else name what is not
#
# The source needs a deb-src entry. As root this writes one, in a file the
# kit owns (/etc/apt/sources.list.d/threadlab-src.sources), with the URIs
# and suites of the host's configured Debian mirror, and refreshes only that
# file's index; nothing else of apt's configuration is touched.
set -euo pipefail
kit=$(cd "$(dirname "$0")/../.." && pwd)
cmdir=$kit/build/cmocka-win
pfx=$kit/build/wine-prefix
srcfile=/etc/apt/sources.list.d/threadlab-src.sources

have_cmocka() { [ -f "$cmdir/src/cmocka.c" ] && [ -f "$cmdir/include/cmocka.h" ]; }
have_prefix() { [ -f "$pfx/system.reg" ] && [ -d "$pfx/drive_c/windows/system32" ]; }

# The deb-src twin of the host's Debian entries (deb822 or one-line form).
write_src_entry() {
  local uris suites
  uris=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' |
         tr ' ' '\n' | grep -v -- '-security' | grep . | head -n1 || true)
  if [ -z "$uris" ]; then
    uris=$(grep -hE '^deb[[:space:]]' /etc/apt/sources.list 2>/dev/null | grep -v -- '-security' |
           sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1; exit}' || true)
  fi
  [ -n "$uris" ] || { echo "windows.sh: no Debian mirror in the host's apt sources to fetch cmocka's source from" >&2; return 1; }
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  suites=$codename
  {
    echo "# threadlab (grader/tools/windows.sh): Debian source packages from the host's own mirror,"
    echo "# for cmocka's source (the Windows build of the test framework). Safe to remove."
    echo "Types: deb-src"
    echo "URIs: $uris"
    echo "Suites: $suites"
    echo "Components: main"
    [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] &&
      echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
  } >"$srcfile"
}

fetch_cmocka() {
  have_cmocka && return 0
  if [ "$(id -u)" != 0 ] && [ ! -f "$srcfile" ]; then
    echo "windows.sh: cmocka's source (for the Windows lab) is fetched as root: run sudo make deps" >&2
    return 1
  fi
  if [ "$(id -u)" = 0 ]; then
    [ -f "$srcfile" ] || write_src_entry
    apt-get update -qq -o Dir::Etc::sourcelist="$srcfile" -o Dir::Etc::sourceparts=- \
      -o APT::Get::List-Cleanup=0 >/tmp/threadlab-src-update.log 2>&1 ||
      { tail -5 /tmp/threadlab-src-update.log >&2; echo "windows.sh: apt-get update of $srcfile failed" >&2; return 1; }
  fi
  local t
  t=$(mktemp -d)
  # --download-only: the orig tarball is all the build needs (Debian's one
  # patch to cmocka touches its documentation), so no dpkg-dev.
  if ! (cd "$t" && apt-get source -qq --download-only cmocka >"$t/log" 2>&1); then
    tail -5 "$t/log" >&2; rm -rf "$t"
    echo "windows.sh: apt-get source cmocka failed" >&2; return 1
  fi
  local orig
  orig=$(ls "$t"/cmocka_*.orig.tar.* | head -n1)
  rm -rf "$cmdir.new" && mkdir -p "$cmdir.new"
  tar -xf "$orig" -C "$cmdir.new" --strip-components=1
  basename "$orig" >"$cmdir.new/FROM"
  rm -rf "$cmdir" && mv "$cmdir.new" "$cmdir"
  chmod -R a+rX "$cmdir"
  rm -rf "$t"
  echo "windows.sh: cmocka source $(cat "$cmdir/FROM") in $cmdir"
}

make_prefix() {
  have_prefix && return 0
  command -v wine >/dev/null || { echo "windows.sh: wine is not installed (make deps)" >&2; return 1; }
  rm -rf "$pfx.new"
  mkdir -p "$(dirname "$pfx")"
  # Made in a folder of its own, then moved: a half-made prefix never counts.
  WINEPREFIX="$pfx.new" WINEDEBUG=-all WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=d;mshtml=d" \
    timeout 300 wine wineboot --init >/dev/null 2>&1 || true
  WINEPREFIX="$pfx.new" timeout 60 wineserver -w 2>/dev/null || true
  [ -f "$pfx.new/system.reg" ] || { echo "windows.sh: wineboot did not make a prefix" >&2; return 1; }
  rm -f "$pfx.new/wineserver"
  chmod -R a+rX "$pfx.new"
  rm -rf "$pfx" && mv "$pfx.new" "$pfx"
  echo "windows.sh: Wine prefix template in $pfx"
}

case "${1:-all}" in
  all) fetch_cmocka; make_prefix ;;
  cmocka) fetch_cmocka ;;
  prefix) make_prefix ;;
  status)
    rc=0
    have_cmocka || { echo "missing: $cmdir (cmocka's source)"; rc=1; }
    have_prefix || { echo "missing: $pfx (the Wine prefix template)"; rc=1; }
    exit $rc ;;
  *) echo "usage: windows.sh [all|cmocka|prefix|status]" >&2; exit 2 ;;
esac
