#!/usr/bin/env bash
# base-image.sh - build the Debian base image for the grading image without
# any image registry (an air-gapped grading server, or CI here): debootstrap
# a minimal Debian from the apt mirror this host is already configured to
# use, and load it into Docker with `docker import`.
#
#   docker/base-image.sh [--suite bookworm] [--tag threadlab-base:bookworm]
#                        [--mirror URL] [--security URL]
#
# The mirror is read from the host's apt sources (deb822 *.sources files or
# one-line *.list files): the first enabled Debian entry that is not a
# security archive. --mirror overrides it (an Ubuntu host, whose mirror has
# no Debian suites, must say it). The image's own apt sources point at the
# same mirror (suite, suite-updates) and the host's security archive, so
# `apt-get install` in the Dockerfile reaches what the host reaches.
# Needs root, debootstrap and a running Docker daemon.
set -euo pipefail

suite=bookworm
tag=
mirror=
security=
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --mirror) mirror=$2; shift 2 ;;
    --security) security=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "base-image: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
tag=${tag:-threadlab-base:$suite}

die() { echo "base-image: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "debootstrap needs root: run it with sudo"
command -v debootstrap >/dev/null || die "debootstrap is not installed: apt-get install debootstrap"
docker info >/dev/null 2>&1 || die "no Docker daemon answers (is dockerd running?)"

# Every enabled "deb" entry of the host's apt configuration, one per line:
#   URI SUITE
# from one-line sources.list files and deb822 .sources files alike.
host_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [options] uri suite component...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" { print $2, $3 }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush(   i, j, nu, ns, u, s) {
        if (types ~ /(^| )deb( |$)/ && enabled != "no") {
          nu = split(uris, u, " "); ns = split(suites, s, " ")
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
        }
        types = uris = suites = ""; enabled = "yes"
      }
      BEGIN { enabled = "yes" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0
        else if (key == "uris") uris = $0
        else if (key == "suites") suites = $0
        else if (key == "enabled") enabled = tolower($0) }
      END { flush() }' "$f"
  done
}

if [ -z "$mirror" ] || [ -z "$security" ]; then
  entries=$(host_sources)
  [ -n "$mirror" ] || mirror=$(awk '$2 !~ /-security$/ && $1 ~ /^(https?|file):/ && $1 ~ /debian\/?$/ { print $1; exit }' <<<"$entries")
  [ -n "$security" ] || security=$(awk '$2 ~ /-security$/ && $1 ~ /debian-security\/?$/ { print $1; exit }' <<<"$entries")
fi
[ -n "$mirror" ] || die "no Debian mirror in this host's apt sources (an Ubuntu host?): say one with --mirror URL"
mirror=${mirror%/}
security=${security%/}

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
kr=()
if [ -f "$keyring" ]; then kr=(--keyring="$keyring"); else
  echo "base-image: $keyring missing (apt-get install debian-archive-keyring); packages not verified" >&2
  kr=(--no-check-gpg)
fi

root=$(mktemp -d /var/tmp/threadlab-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap $suite (minbase) from $mirror"
t0=$(date +%s)
if ! debootstrap --variant=minbase "${kr[@]}" "$suite" "$root" "$mirror" >"$root.log" 2>&1; then
  tail -20 "$root.log" >&2; rm -f "$root.log"
  die "debootstrap failed (log above)"
fi
rm -f "$root.log"

# The image's apt sources: the same mirror, and the host's security archive.
{
  echo "deb $mirror $suite main"
  echo "deb $mirror $suite-updates main"
  [ -z "$security" ] || echo "deb $security $suite-security main"
} >"$root/etc/apt/sources.list"
# What a slim image leaves out: downloaded packages and package lists.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root"/var/tmp/*

tar --numeric-owner --xattrs -C "$root" -c . |
  docker import --change 'CMD ["/bin/bash"]' \
    --change "LABEL org.opencontainers.image.description=\"Debian $suite minbase, made by docker/base-image.sh\"" \
    - "$tag" >/dev/null
echo "base-image: $tag loaded ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }'), $(( $(date +%s) - t0 )) s)"
echo "base-image: build the grading image on it with: make docker-image BASE=$tag"
