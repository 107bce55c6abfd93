#!/usr/bin/env bash
# Restores an archive of scripts/backup.sh into a new data directory (docs/operations.md, "Backups"):
#   scripts/restore.sh ARCHIVE [DATA_DIR]
# DATA_DIR (default data/postgres, i.e. VIRTDEVICE_DATA_DIR) must not exist yet: stop VirtDevice and move
# the old directory away first. The master key in the archive goes next to it (secret.key, or
# SECRET_KEY_FILE) unless a key file is there already. Then start VirtDevice on DATA_DIR as usual. Run it as
# the user the service runs as (the files keep their owner). The archive's kind decides how:
#
# Physical (backup.sh): the cluster's files are unpacked; at its first start the embedded server replays
# the WAL in the archive (a few seconds) and comes up with the data as it was when the backup ended.
#
# Logical (backup.sh --logical, a pg_dump): a new embedded server is created on DATA_DIR exactly as
# VirtDevice creates one (its roles, database and passwords; the class EmbeddedServer of the VirtDevice jar,
# VIRTDEVICE_JAR, default /opt/virtdevice/virtdevice.jar, or VIRTDEVICE_CLASSPATH), the dump is loaded into
# it in one transaction as the superuser (with scripts/logical-restore-xids.sql, which moves the restored
# events' transaction ids into the new cluster's), and the server is stopped. VirtDevice then migrates the restored
# schema forward if the dump is from an older release. Needs java (JAVA_HOME or PATH) and a pg_restore and
# psql at least as new as the pg_dump that wrote the dump (scripts/pg-client.sh --find).
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 ARCHIVE.tar.gz [DATA_DIR]" >&2; exit 2; }
ARCHIVE=$1
DATA_DIR=${2:-${VIRTDEVICE_DATA_DIR:-data/postgres}}
[ -f "$ARCHIVE" ] || { echo "no archive $ARCHIVE" >&2; exit 1; }
[ ! -e "$DATA_DIR" ] || { echo "$DATA_DIR exists: stop VirtDevice and move it away first" >&2; exit 1; }
mkdir -p "$(dirname "$DATA_DIR")"
DATA_DIR=$(cd "$(dirname "$DATA_DIR")" && pwd)/$(basename "$DATA_DIR")
SECRET_KEY_FILE=${SECRET_KEY_FILE:-$(dirname "$DATA_DIR")/secret.key}

STAGE=$(mktemp -d "$(dirname "$DATA_DIR")/.restore.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
tar -C "$STAGE" -xf "$ARCHIVE"

restore_key() {
  if [ -f "$STAGE/secret.key" ]; then
    if [ -e "$SECRET_KEY_FILE" ]; then
      cmp -s "$STAGE/secret.key" "$SECRET_KEY_FILE" \
        || echo "note: $SECRET_KEY_FILE exists and differs from the backup's key; kept it (the backup's key is needed for its webhook secrets)" >&2
    else
      install -m 600 "$STAGE/secret.key" "$SECRET_KEY_FILE"
    fi
  fi
}

if [ -f "$STAGE/virtdevice.dump" ]; then
  BIN=$("$(dirname "$0")/pg-client.sh" --find "$(sed -n 's/^pg_dump (PostgreSQL) \([0-9]*\).*/\1/p' "$STAGE/pg_dump.version")")
  "$BIN/pg_restore" -l "$STAGE/virtdevice.dump" >/dev/null || { echo "$ARCHIVE: unreadable dump" >&2; exit 1; }
  java=${JAVA_HOME:+$JAVA_HOME/bin/}java
  if [ -n "${VIRTDEVICE_CLASSPATH:-}" ]; then
    server=("$java" -cp "$VIRTDEVICE_CLASSPATH" io.virtdevice.platform.database.EmbeddedServer)
  else
    jar=${VIRTDEVICE_JAR:-/opt/virtdevice/virtdevice.jar}
    [ -f "$jar" ] || { echo "no VirtDevice jar at $jar: set VIRTDEVICE_JAR" >&2; exit 1; }
    server=("$java" -cp "$jar" -Dloader.main=io.virtdevice.platform.database.EmbeddedServer
            org.springframework.boot.loader.launch.PropertiesLauncher)
  fi
  # into the staging directory first: a failed restore leaves no DATA_DIR that VirtDevice would start on
  "${server[@]}" "$STAGE/postgres" > "$STAGE/server.log" 2>&1 < /dev/null &
  server_pid=$!
  trap 'kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid"; rm -rf "$STAGE"' EXIT
  port=""
  for _ in $(seq 1 600); do
    port=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$STAGE/server.log")
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$STAGE/server.log" >&2; echo "the embedded PostgreSQL did not start" >&2; exit 1; }
    sleep 0.5
  done
  [ -n "$port" ] || { cat "$STAGE/server.log" >&2; echo "the embedded PostgreSQL did not start in 300 s" >&2; exit 1; }
  # pg_restore 17 starts its script with SET transaction_timeout, a setting PostgreSQL 16 does not know: taken
  # out of the header (the SET lines before the first statement), never out of the data
  # then, in the same transaction, the restored events' transaction ids are moved into the new cluster's
  # (which starts its ids again): scripts/logical-restore-xids.sql says why and how
  { "$BIN/pg_restore" -f - "$STAGE/virtdevice.dump" \
    | awk 'header && $0 == "SET transaction_timeout = 0;" { next }
           header && !/^(--.*|SET .*|SELECT pg_catalog\.set_config\(.*|\\restrict .*|)$/ { header = 0 }
           { print }' header=1
    cat "$(dirname "$0")/logical-restore-xids.sql"; } \
    | PGPASSFILE="$STAGE/postgres/virtdevice.pgpass" "$BIN/psql" -X -q -v ON_ERROR_STOP=1 --single-transaction \
        -h 127.0.0.1 -p "$port" -U postgres -d virtdevice -o /dev/null
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  trap 'rm -rf "$STAGE"' EXIT
  [ ! -e "$STAGE/postgres/postmaster.pid" ] || { echo "the embedded PostgreSQL did not stop" >&2; exit 1; }
  restore_key
  mv "$STAGE/postgres" "$DATA_DIR"
  echo "restored $(cat "$STAGE/pg_dump.version") dump into $DATA_DIR; start VirtDevice on it"
  exit 0
fi

[ -f "$STAGE/postgres/backup_label" ] && [ -f "$STAGE/postgres/PG_VERSION" ] \
  || { echo "$ARCHIVE is not a backup of scripts/backup.sh" >&2; exit 1; }
mkdir -p "$STAGE/postgres/pg_wal/archive_status"
# PostgreSQL wants its data directory private
chmod 700 "$STAGE/postgres"
restore_key
mv "$STAGE/postgres" "$DATA_DIR"
echo "restored into $DATA_DIR (backup of $(sed -n 's/^START TIME: //p' "$DATA_DIR/backup_label")); start VirtDevice on it"
