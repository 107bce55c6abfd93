#!/usr/bin/env bash
# A PostgreSQL client (pg_dump, pg_restore, psql) new enough for the embedded PostgreSQL 16, for
# scripts/backup.sh --logical and scripts/restore.sh, on a Debian-family machine whose own client is older
# (Debian 12 has 15, and pg_dump refuses a server newer than itself) and without PostgreSQL's own apt
# repository: Debian 13's postgresql-client-17 and the libraries it links, unpacked into a cache directory,
# nothing installed. Prints the directory with pg_dump, pg_restore and psql (wrappers that run them on
# Debian 13's C library through its dynamic loader, since the binaries need glibc 2.38).
#
#   PG_BINDIR=$(scripts/pg-client.sh)         fetches once, then only prints the directory
#   scripts/pg-client.sh --find MAJOR           fetches nothing: prints a directory whose pg_dump,
#                                               pg_restore and psql are of version MAJOR or newer (PG_BINDIR,
#                                               else PATH's, else this script's cache), or fails saying what to do
#
# The packages come from Debian's archive through apt with a private configuration (as
# scripts/container-base.sh does: its own sources list, lists and cache; the machine's apt settings are not
# read or changed) and are checked against the Debian archive keyring (signed Release, Packages hashes).
# Needs apt-get, apt-cache and dpkg-deb. Cache: $VIRTDEVICE_CACHE (default ~/.cache/virtdevice).
set -euo pipefail
cache=${VIRTDEVICE_CACHE:-$HOME/.cache/virtdevice}

if [ "${1:-}" = --find ]; then
  want=${2:?--find needs a major version}
  major_of() { "$1/pg_dump" --version 2>/dev/null | sed -n 's/^pg_dump (PostgreSQL) \([0-9]*\).*/\1/p'; }
  candidates=()
  if [ -n "${PG_BINDIR:-}" ]; then
    candidates=("$PG_BINDIR")
  else
    command -v pg_dump >/dev/null && candidates+=("$(dirname "$(command -v pg_dump)")")
    for d in "$cache"/postgresql-client-*/bin; do [ -d "$d" ] && candidates+=("$d"); done
  fi
  for d in "${candidates[@]}"; do
    m=$(major_of "$d")
    if [ -n "$m" ] && [ "$m" -ge "$want" ]; then echo "$d"; exit 0; fi
  done
  echo "no pg_dump/pg_restore/psql of PostgreSQL $want or newer (${PG_BINDIR:+in PG_BINDIR=$PG_BINDIR, }a pg_dump refuses a newer" >&2
  echo "server): install one (postgresql-client-$want or newer), or fetch Debian 13's with scripts/pg-client.sh" >&2
  exit 1
fi

cd "$(dirname "$0")/.."
arch=$(dpkg --print-architecture)
case "$arch" in
  amd64) triplet=x86_64-linux-gnu loader=ld-linux-x86-64.so.2 ;;
  arm64) triplet=aarch64-linux-gnu loader=ld-linux-aarch64.so.1 ;;
  *) echo "no PostgreSQL client for $arch here: install one of version 16 or newer" >&2; exit 1 ;;
esac
suite=${DEBIAN_SUITE:-trixie}
major=17
dir=$cache/postgresql-client-$major-$suite-$arch
if [ -x "$dir/bin/pg_dump" ] && "$dir/bin/pg_dump" --version >/dev/null 2>&1; then
  echo "$dir/bin"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
scripts/debian-packages.sh --with-dependencies "$arch" "$suite" "$work/apt" postgresql-client-$major >&2
# the client and the shared libraries it needs, not the Perl wrappers of postgresql-client-common
mkdir -p "$work/root"
for deb in "$work"/apt/archives/*.deb; do
  case "$(basename "$deb")" in
    libperl*) ;;
    postgresql-client-"$major"_*|lib*|zlib1g_*) dpkg-deb -x "$deb" "$work/root" ;;
  esac
done
rm -rf "$work/root/usr/share"
[ -x "$work/root/usr/lib/$triplet/$loader" ] || { echo "no $loader in Debian $suite's libc6" >&2; exit 1; }
mkdir -p "$work/root/bin"
for tool in pg_dump pg_restore psql; do
  cat > "$work/root/bin/$tool" <<WRAPPER
#!/bin/sh
# $tool $major from Debian $suite, on Debian $suite's C library (scripts/pg-client.sh)
root=\$(dirname "\$(dirname "\$(readlink -f "\$0")")")
exec "\$root/usr/lib/$triplet/$loader" --library-path "\$root/usr/lib/$triplet" --argv0 $tool \\
  "\$root/usr/lib/postgresql/$major/bin/$tool" "\$@"
WRAPPER
  chmod 755 "$work/root/bin/$tool"
done
"$work/root/bin/pg_dump" --version >&2
# in one step, so that concurrent first runs (two worktrees, two test JVMs) never see half a directory
rm -rf "$dir.old" && { [ ! -e "$dir" ] || mv "$dir" "$dir.old"; }
mv "$work/root" "$dir" && rm -rf "$dir.old"
echo "$dir/bin"
