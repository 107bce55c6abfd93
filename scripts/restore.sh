#!/usr/bin/env bash
# Restores an archive of scripts/backup.sh into a new data directory (docs/operations.md, "Backups"):
#   scripts/restore.sh ARCHIVE.tar.gz [DATA_DIR]
# DATA_DIR (default data/postgres, i.e. VIRTDEVICE_DATA_DIR) must not exist yet: stop VirtDevice and move
# the old directory away first. The master key in the archive goes next to it (secret.key, or
# SECRET_KEY_FILE) unless a key file is there already. Then start VirtDevice on DATA_DIR as usual: the
# embedded server replays the WAL in the archive (a few seconds) and comes up with the data as it was when
# the backup ended. Run it as the user the service runs as (the files keep their owner).
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
tar -C "$STAGE" -xzf "$ARCHIVE"
[ -f "$STAGE/postgres/backup_label" ] && [ -f "$STAGE/postgres/PG_VERSION" ] \
  || { echo "$ARCHIVE is not a backup of scripts/backup.sh" >&2; exit 1; }
mkdir -p "$STAGE/postgres/pg_wal/archive_status"
# PostgreSQL wants its data directory private
chmod 700 "$STAGE/postgres"
if [ -f "$STAGE/secret.key" ]; then
  if [ -e "$SECRET_KEY_FILE" ]; then
    cmp -s "$STAGE/secret.key" "$SECRET_KEY_FILE" \
      || echo "note: $SECRET_KEY_FILE exists and differs from the backup's key; kept it (the backup's key is needed for its webhook secrets)" >&2
  else
    install -m 600 "$STAGE/secret.key" "$SECRET_KEY_FILE"
  fi
fi
mv "$STAGE/postgres" "$DATA_DIR"
echo "restored into $DATA_DIR (backup of $(sed -n 's/^START TIME: //p' "$DATA_DIR/backup_label")); start VirtDevice on it"
