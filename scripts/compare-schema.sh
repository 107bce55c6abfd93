#!/usr/bin/env bash
# Proves that two migration sets build the same schema: applies the migrations of a git revision (default
# 55f70ad, the last commit before the baseline squash) and the working tree's to two fresh databases of a
# private, throw-away PostgreSQL cluster, and diffs their `pg_dump --schema-only` (tables, columns,
# constraints, indexes, functions, triggers, policies, grants, comments, owners).
#
#   scripts/compare-schema.sh [OLD_REF] [NEW_REF]   (NEW_REF empty = the working tree)
#
# Each migration runs in one transaction as the owner role with Flyway's placeholders substituted, as
# Flyway runs it. The cluster lives under a temporary directory and listens on a Unix socket only, so it
# clashes with no other server or role on the machine (roles are cluster-wide: a shared server would see
# other developers' virtdevice_* roles). Needs PostgreSQL's initdb, pg_ctl, psql and pg_dump
# (PG_BIN, default: the newest /usr/lib/postgresql/*/bin) and python3. As root, the cluster runs as nobody.
# Normalisation: the dump header and psql's \restrict lines are dropped, and the GRANT/REVOKE lines of
# each object are sorted (their order only follows the order in which the grants were made).
# Exit status: 0 = same schema, 1 = the dumps differ (the diff is printed), 2 = a migration failed.
set -euo pipefail

OLD_REF=${1:-55f70ad}
NEW_REF=${2:-}
ROOT=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
MIGRATIONS=src/main/resources/db/migration
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
APP_ROLE=virtdevice_app
DEFINER_ROLE=virtdevice_definer
OWNER_ROLE=virtdevice_owner

WORK=$(mktemp -d /tmp/vd-compare-schema.XXXXXX)
RUN=()
if [ "$(id -u)" = 0 ]; then
  chown nobody "$WORK"
  RUN=(runuser -u nobody --)
fi
cleanup() {
  "${RUN[@]}" "$PG_BIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"${RUN[@]}" "$PG_BIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log"; exit 2; }
"${RUN[@]}" "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w \
  -o "-c listen_addresses='' -c unix_socket_directories=$WORK -c timezone=UTC -c fsync=off" start >/dev/null

psql_as() { # role database [psql args...]
  local role=$1 db=$2
  shift 2
  "$PG_BIN/psql" -h "$WORK" -U "$role" -d "$db" -X -q -v ON_ERROR_STOP=1 "$@"
}

psql_as postgres postgres -f "$ROOT/src/main/resources/db/bootstrap/roles.sql"

# Lists "version<TAB>path" of a revision's migrations in Flyway's order (by version number).
list_migrations() {
  local ref=$1
  if [ -n "$ref" ]; then
    git -C "$ROOT" ls-tree --name-only "$ref" "$MIGRATIONS/"
  else
    (cd "$ROOT" && ls "$MIGRATIONS"/V*.sql)
  fi | sed -n 's#^\(.*/V\([0-9][0-9_]*\)__[^/]*\.sql\)$#\2\t\1#p' | sort -t$'\t' -k1,1V
}

read_migration() { # ref path
  if [ -n "$1" ]; then git -C "$ROOT" show "$1:$2"; else cat "$ROOT/$2"; fi
}

build() { # ref database
  local ref=$1 db=$2 version path
  psql_as postgres postgres -c "create database $db owner $OWNER_ROLE"
  while IFS=$'\t' read -r version path; do
    read_migration "$ref" "$path" \
      | sed -e "s/\${app_role}/$APP_ROLE/g" -e "s/\${definer_role}/$DEFINER_ROLE/g" >"$WORK/migration.sql"
    if ! psql_as "$OWNER_ROLE" "$db" --single-transaction -f "$WORK/migration.sql" >/dev/null 2>"$WORK/migration.err"; then
      echo "migration $path of ${ref:-the working tree} failed:" >&2
      cat "$WORK/migration.err" >&2
      exit 2
    fi
    echo "  ${ref:-worktree}: applied $path" >&2
  done < <(list_migrations "$ref")
}

normalise() {
  python3 -c '
import re, sys
blocks, current = [], []
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("-- Dumped from") or line.startswith("-- Dumped by") or re.match(r"^\\(un)?restrict ", line):
        continue
    if line.startswith("-- Name: ") and current:
        blocks.append(current)
        current = []
    current.append(line)
blocks.append(current)
for block in blocks:
    if block and "; Type: ACL;" in block[0] or (block and "; Type: DEFAULT ACL;" in block[0]):
        head = [l for l in block if not l.startswith(("GRANT ", "REVOKE "))]
        acl = sorted(l for l in block if l.startswith(("GRANT ", "REVOKE ")))
        block = head[:2] + acl + head[2:]
    print("\n".join(block))
'
}

echo "old: ${OLD_REF}; new: ${NEW_REF:-working tree}; PostgreSQL: $("$PG_BIN/postgres" --version)" >&2
build "$OLD_REF" schema_old
build "$NEW_REF" schema_new
for db in schema_old schema_new; do
  "$PG_BIN/pg_dump" -h "$WORK" -U postgres --schema-only "$db" | normalise >"$WORK/$db.sql"
done
echo "dumps: $(wc -l <"$WORK/schema_old.sql") and $(wc -l <"$WORK/schema_new.sql") lines" >&2
if diff -u --label "old ($OLD_REF)" --label "new (${NEW_REF:-working tree})" "$WORK/schema_old.sql" "$WORK/schema_new.sql"; then
  echo "SAME SCHEMA" >&2
else
  echo "SCHEMAS DIFFER" >&2
  exit 1
fi
