#!/usr/bin/env bash
# Marks the unreleased migrations as released: appends "version sha256 release" for each of them to
# src/main/resources/db/released-migrations.txt, which MigrationManifestTests holds every later build to
# (a released migration is never edited, nothing new sorts at or below it). Run by the integrator when a
# branch's migrations land on main (docs/development.md).
#
#   scripts/release-migrations.sh [--renumber] [RELEASE]     RELEASE defaults to today's date (UTC)
#
# Unreleased migrations must continue the released numbers without a gap (V002, V003, ...). Branches write
# theirs with a temporary high number (V101__..., V201__...); --renumber first renames them with git mv,
# in their version order, to the next free numbers, keeping each one's description.
set -euo pipefail

ROOT=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
DIR=$ROOT/src/main/resources/db/migration
MANIFEST=$ROOT/src/main/resources/db/released-migrations.txt
RENUMBER=false
if [ "${1:-}" = "--renumber" ]; then
  RENUMBER=true
  shift
fi
RELEASE=${1:-$(date -u +%Y-%m-%d)}
[[ "$RELEASE" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "release name: letters, digits, . _ - only" >&2; exit 1; }

released() { { grep -v '^#' "$MANIFEST" || true; } | awk 'NF { print $1 }'; }
highest=$(released | sort -n | tail -1)
highest=${highest:-0}

# "version<TAB>file name" of the migrations not in the manifest, in version order
unreleased() {
  (cd "$DIR" && ls V*__*.sql) | sed -n 's/^V\([0-9]*\)__.*\.sql$/\1\t&/p' \
    | awk -F'\t' -v rel="$(released | tr '\n' ' ')" 'BEGIN { n = split(rel, r, " "); for (i = 1; i <= n; i++) done[r[i] + 0] = 1 }
                                                     !(($1 + 0) in done)' \
    | sort -t$'\t' -k1,1n
}

if [ -z "$(unreleased)" ]; then
  echo "nothing to release: every migration is in $(basename "$MANIFEST")"
  exit 0
fi

if $RENUMBER; then
  next=$highest
  while IFS=$'\t' read -r version file; do
    next=$((next + 1))
    target=$(printf 'V%03d__%s' "$next" "${file#*__}")
    if [ "$file" != "$target" ]; then
      git -C "$ROOT" mv "src/main/resources/db/migration/$file" "src/main/resources/db/migration/$target"
      echo "renamed $file -> $target"
      # Flyway's per-script configuration (e.g. executeInTransaction=false) travels with its migration
      if [ -f "$DIR/$file.conf" ]; then
        git -C "$ROOT" mv "src/main/resources/db/migration/$file.conf" "src/main/resources/db/migration/$target.conf"
        echo "renamed $file.conf -> $target.conf"
      fi
    fi
  done < <(unreleased)
fi

expected=$highest
lines=()
while IFS=$'\t' read -r version file; do
  expected=$((expected + 1))
  if [ "$((10#$version))" -ne "$expected" ]; then
    echo "$file: expected version $expected next (released up to $highest, no gaps); rename it first," >&2
    echo "or run with --renumber" >&2
    exit 1
  fi
  lines+=("$((10#$version)) $(sha256sum "$DIR/$file" | cut -d' ' -f1) $RELEASE")
done < <(unreleased)

printf '%s\n' "${lines[@]}" >>"$MANIFEST"
printf 'released as %s:\n' "$RELEASE"
printf '  %s\n' "${lines[@]}"
echo "commit $(basename "$MANIFEST") with the migrations; add src/test/resources/db/upgrade/v${expected}-fill.sql"
echo "when this release adds tables worth filling (docs/development.md)"
