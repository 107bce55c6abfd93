#!/usr/bin/env bash
# Downloads Debian packages of any suite and architecture into WORKDIR/archives, without installing them and
# without reading or changing the machine's apt settings: apt with a private configuration (its own sources
# list, lists, status and cache under WORKDIR), every file checked against the Debian archive keyring (the
# signed Release file, then the hashes in Packages). Used by scripts/container-base.sh (the image's base)
# and scripts/pg-client.sh (a newer PostgreSQL client).
#
#   scripts/debian-packages.sh [--with-dependencies] ARCH SUITE WORKDIR PACKAGE...
#
# --with-dependencies  also every package the named ones need (Depends and Pre-Depends, recursively).
# Needs apt-get and apt-cache. DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -euo pipefail
recurse=""
if [ "${1:-}" = --with-dependencies ]; then recurse=yes; shift; fi
arch=${1:?usage: $0 [--with-dependencies] ARCH SUITE WORKDIR PACKAGE...}
suite=${2:?suite}
work=${3:?workdir}
shift 3
[ $# -gt 0 ] || { echo "no packages named" >&2; exit 2; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/etc/apt.conf.d" "$work/etc/preferences.d"
work=$(cd "$work" && pwd)
: > "$work/status"
cat > "$work/sources.list" <<SOURCES
deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite-updates main
SOURCES
apt_opts=(
  -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/etc/none"
  -o "Dir::Etc::Parts=$work/etc/apt.conf.d" -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
  -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
  -o "Dir::Cache=$work" -o "Dir::Cache::archives=$work/archives"
  -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch" -o "Debug::NoLocking=1"
)
# as root, apt cannot drop to its _apt user in a private directory, says so, and fetches as root
unsandboxed="couldn't be accessed by user '_apt'"
apt-get "${apt_opts[@]}" -qq update 2>&1 | { grep -v "$unsandboxed" >&2 || true; }
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "apt-get update failed ($suite, $arch)" >&2; exit 1; }
packages=("$@")
if [ -n "$recurse" ]; then
  # real packages only: a virtual one (<perl:any>) is provided by a real one in the list
  mapfile -t packages < <(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests \
      --no-conflicts --no-breaks --no-replaces --no-enhances "$@" | grep -v '^[ <]' | sort -u)
fi
(cd "$work/archives" && apt-get "${apt_opts[@]}" -qq download "${packages[@]}" 2>&1 \
  | { grep -v "$unsandboxed" >&2 || true; })
for p in "${packages[@]}"; do
  ls "$work/archives/${p}_"*.deb >/dev/null 2>&1 || { echo "could not download $p ($suite, $arch)" >&2; exit 1; }
done
