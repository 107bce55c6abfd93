#!/bin/sh
# Run once by the postgres image on an empty data directory, after 10-roles.sql created the three roles:
# their passwords (from compose.yaml's environment) and the database, owned by the owner role.
set -eu
psql -v ON_ERROR_STOP=1 -U postgres -d postgres \
  -v owner_password="$VIRTDEVICE_OWNER_PASSWORD" -v app_password="$VIRTDEVICE_APP_PASSWORD" <<'SQL'
ALTER ROLE virtdevice_owner PASSWORD :'owner_password';
ALTER ROLE virtdevice_app PASSWORD :'app_password';
CREATE DATABASE virtdevice OWNER virtdevice_owner;
SQL
