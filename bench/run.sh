#!/usr/bin/env bash
# Benchmark: REST property updates vs pgbench's single-row UPDATE by primary key, same run, same database.
#   bench/run.sh [SECONDS]        (default 20 s per measurement, after a 5 s warm-up)
# Builds the jar, starts VirtDevice on a fresh embedded PostgreSQL 16 (data in target/bench-postgres),
# creates a bench user with an API key, then measures at 16 and 64 concurrent connections:
#   REST:    PUT /api/v1/devices/{id}/properties {"power":…} — each connection on its own device
#   pgbench: UPDATE bench.rows SET v = v + 1 WHERE id = :client_id + 1 — each client on its own row
# and prints both, with the ratio REST tps / pgbench tps. Not part of `./mvnw verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
WARMUP=${WARMUP:-15}
APP_PORT=${APP_PORT:-18080}
PG_PORT=${PG_PORT:-55432}
DATA_DIR=target/bench-postgres
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v pgbench >/dev/null || { echo "pgbench is needed (apt-get install -y postgresql-contrib or postgresql-client)"; exit 1; }

./mvnw -B -ntp -q -DskipTests package
JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
rm -rf "$DATA_DIR"
"$JAVA_HOME/bin/java" -jar "$JAR" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
  --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT \
  --spring.datasource.hikari.maximum-pool-size=64 > target/bench-app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null || true' EXIT
for i in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null && break
  sleep 1
done
curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null || { echo "app did not start"; tail -50 target/bench-app.log; exit 1; }

PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -d virtdevice"
KEY="vdk_bench$(head -c 24 /dev/urandom | base64 | tr -d '/+=' )"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
# the bench user never logs in: any well-formed argon2id string will do
HASHPW='$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmU'
IDS=$($PSQL -U virtdevice_app -At -F' ' -c "select tenant_id, user_id from app.sign_up('Bench', 'bench-$RANDOM$RANDOM', 'bench-$RANDOM$RANDOM@example.test', 'Bench', '$HASHPW', 2)")
read -r TENANT USER_ID <<<"$IDS"
$PSQL -U postgres -c "update subscriptions set max_devices = 200 where user_id = '$USER_ID'"
$PSQL -U postgres -c "insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes) values ('$TENANT', '$USER_ID', 'bench', 'vdk_bench', decode('$HASH', 'hex'), '{read,write}')"
$PSQL -U postgres -c "create schema if not exists bench; drop table if exists bench.rows; create table bench.rows (id int primary key, v bigint not null default 0); insert into bench.rows select g, 0 from generate_series(1, 64) g"
printf 'UPDATE bench.rows SET v = v + 1 WHERE id = :client_id + 1;\n' > target/bench-update.sql

echo "# $(date -u +%FT%TZ) $(nproc) cores; ${SECONDS_PER_RUN}s per run after ${WARMUP}s warm-up"
for C in 16 64; do
  REST=$("$JAVA_HOME/bin/java" bench/RestLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" $C $SECONDS_PER_RUN $WARMUP)
  echo "$REST"
  pgbench -h 127.0.0.1 -p $PG_PORT -U postgres -n -M prepared -c $C -j 2 -T $WARMUP -f target/bench-update.sql virtdevice >/dev/null 2>&1
  PG=$(pgbench -h 127.0.0.1 -p $PG_PORT -U postgres -n -M prepared -c $C -j 2 -T $SECONDS_PER_RUN -r -f target/bench-update.sql virtdevice 2>&1)
  PG_TPS=$(echo "$PG" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  PG_LAT=$(echo "$PG" | sed -n 's/^latency average = \([0-9.]*\).*/\1/p')
  echo "pgbench c=$C tps=$PG_TPS latency_avg_ms=$PG_LAT"
  REST_TPS=$(echo "$REST" | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')
  awk -v r="$REST_TPS" -v p="$PG_TPS" -v c="$C" 'BEGIN { printf "ratio c=%d rest/pgbench=%.1f%%\n", c, 100 * r / p }'
done
