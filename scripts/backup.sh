#!/usr/bin/env bash
# Online backup of the embedded PostgreSQL while VirtDevice runs (docs/operations.md, "Backups"):
#   scripts/backup.sh [DATA_DIR] ARCHIVE.tar.gz              physical: a copy of the whole cluster
#   scripts/backup.sh --logical [DATA_DIR] ARCHIVE.tar       logical: pg_dump of the database
# DATA_DIR is the embedded server's data directory (default data/postgres, i.e. VIRTDEVICE_DATA_DIR). Both
# write one archive that scripts/restore.sh restores, holding the master key file next to the data
# directory too (data/secret.key, or SECRET_KEY_FILE). Run it as the service user (it reads the data
# directory). The server's port is read from DATA_DIR/postmaster.pid, the superuser's password from
# DATA_DIR/virtdevice.pgpass: nothing is exposed over HTTP.
#
# Physical: needs psql (any version from 10 on), tar and gzip. In one session as the superuser, a
# temporary replication slot keeps the WAL from now on, then pg_backup_start (a checkpoint), the files are
# copied, pg_backup_stop returns the backup_label, and the WAL segments up to its end are copied after it:
# what pg_basebackup -X fetch does, without needing a pg_basebackup of the server's own major version (the
# zonky binaries ship only initdb, pg_ctl and postgres; Debian 12's client tools are version 15 and refuse
# a 16 server).
#
# Logical (--logical): pg_dump -Fc of the database "virtdevice" as the superuser (row-level security does
# not hide rows from it), one consistent snapshot while writes go on. Needs a pg_dump at least as new as the
# server (16): PG_BINDIR's, else the one on PATH if new enough, else the one scripts/pg-client.sh fetched
# (Debian 13's 17: run scripts/pg-client.sh once on Debian 12).
set -euo pipefail
LOGICAL=""
if [ "${1:-}" = --logical ]; then LOGICAL=yes; shift; fi
if [ $# -eq 1 ]; then
  DATA_DIR=${VIRTDEVICE_DATA_DIR:-data/postgres}
  ARCHIVE=$1
elif [ $# -eq 2 ]; then
  DATA_DIR=$1
  ARCHIVE=$2
else
  echo "usage: $0 [--logical] [DATA_DIR] ARCHIVE" >&2
  exit 2
fi
DATA_DIR=$(cd "$DATA_DIR" && pwd)
SECRET_KEY_FILE=${SECRET_KEY_FILE:-$(dirname "$DATA_DIR")/secret.key}
[ -f "$DATA_DIR/postmaster.pid" ] || { echo "no server is running on $DATA_DIR (no postmaster.pid): start VirtDevice first" >&2; exit 1; }
[ -f "$DATA_DIR/virtdevice.pgpass" ] || { echo "$DATA_DIR/virtdevice.pgpass is missing" >&2; exit 1; }
# postmaster.pid: pid, data directory, start time, port, socket directory, listen address, …
PORT=$(sed -n 4p "$DATA_DIR/postmaster.pid")
export PGPASSFILE="$DATA_DIR/virtdevice.pgpass" PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
export PGAPPNAME=virtdevice-backup PGCONNECT_TIMEOUT=10

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/virtdevice-backup.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

# the master key (without it, stored webhook signing secrets cannot be opened) goes into either archive
copy_key() {
  if [ -f "$SECRET_KEY_FILE" ]; then
    cp -p "$SECRET_KEY_FILE" "$STAGE/secret.key"
  else
    echo "note: no master key file at $SECRET_KEY_FILE (set VIRTDEVICE_CRYPTO_SECRET_KEY? keep it safe yourself)" >&2
  fi
}
# writes ARCHIVE from the staged files, private and in one step
write_archive() { # tar-option file...
  local option=$1
  shift
  umask 077
  tar -C "$STAGE" "$option" "$ARCHIVE.tmp" "$@" $( [ -f "$STAGE/secret.key" ] && echo secret.key )
  mv "$ARCHIVE.tmp" "$ARCHIVE"
  echo "backup of $DATA_DIR written to $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
}

if [ -n "$LOGICAL" ]; then
  SERVER_MAJOR=$(cat "$DATA_DIR/PG_VERSION")
  PG_BINDIR=$("$(dirname "$0")/pg-client.sh" --find "$SERVER_MAJOR")
  PG_DUMP=$PG_BINDIR/pg_dump
  version=$("$PG_DUMP" --version)
  "$PG_DUMP" -Fc -d virtdevice -f "$STAGE/virtdevice.dump"
  echo "$version" > "$STAGE/pg_dump.version"
  copy_key
  write_archive -cf virtdevice.dump pg_dump.version
  exit 0
fi

mkdir -p "$STAGE/postgres/pg_wal"

# Copies the data directory without what a base backup leaves out (pg_basebackup's list): the WAL (copied
# after the stop), the running server's pid file and its runtime-only directories.
cat > "$STAGE/copy-files.sh" <<EOF
#!/usr/bin/env bash
cd "$DATA_DIR"
tar -cf - --warning=no-file-changed --warning=no-file-removed --ignore-failed-read \
  --exclude=./pg_wal --exclude=./postmaster.pid --exclude=./postmaster.opts --exclude=./backup_label \
  --exclude=./tablespace_map --exclude='./pg_replslot/*' --exclude='./pg_dynshmem/*' --exclude='./pg_notify/*' \
  --exclude='./pg_serial/*' --exclude='./pg_snapshots/*' --exclude='./pg_stat_tmp/*' --exclude='./pg_subtrans/*' \
  --exclude='*.tmp' . | tar -C "$STAGE/postgres" -xf -
status=("\${PIPESTATUS[@]}")
# tar exits 1 when a file changed while it was read: expected here, the WAL replay makes it consistent
[ "\${status[0]}" -le 1 ] && [ "\${status[1]}" -eq 0 ] && echo ok > "$STAGE/copied"
EOF
# After the stop: every WAL segment now in pg_wal (the slot kept all since before the start).
cat > "$STAGE/copy-wal.sh" <<EOF
#!/usr/bin/env bash
cd "$DATA_DIR/pg_wal"
for f in [0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F] *.history; do
  [ -f "\$f" ] && cp "\$f" "$STAGE/postgres/pg_wal/" || true
done
echo ok > "$STAGE/wal"
EOF
chmod +x "$STAGE/copy-files.sh" "$STAGE/copy-wal.sh"

psql -X -q -v ON_ERROR_STOP=1 <<EOF
\o /dev/null
select 1 from pg_create_physical_replication_slot('virtdevice_backup_' || pg_backend_pid(), true, true);
select 1 from pg_backup_start('virtdevice $(date -u +%FT%TZ)', true);
\! "$STAGE/copy-files.sh"
\pset format unaligned
\pset tuples_only on
\o $STAGE/postgres/backup_label
select labelfile from pg_backup_stop(false);
\o
\! "$STAGE/copy-wal.sh"
EOF
[ -f "$STAGE/copied" ] && [ -f "$STAGE/wal" ] || { echo "copying $DATA_DIR failed" >&2; exit 1; }
grep -q '^START WAL LOCATION' "$STAGE/postgres/backup_label" || { echo "no backup_label from pg_backup_stop" >&2; exit 1; }

copy_key
write_archive -czf postgres
