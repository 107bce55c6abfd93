#!/usr/bin/env bash
# Benchmark: change -> webhook received and change -> SSE event, at a fixed rate of property changes.
#   bench/events.sh [RATE] [SECONDS]      (default 500 changes/s for 30 s, after a 20 s ramp-up)
# Builds the jar, starts VirtDevice on a fresh embedded PostgreSQL 16 (data in target/bench-events-postgres)
# with the loopback allow-list so webhooks can reach the local receiver, creates a bench user (200 dimmers,
# an API key, one webhook for property.changed), holds one SSE stream open, and drives RATE real property
# changes per second (open loop). Prints p50/p90/p99/max for each path. Not part of `./mvnw verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-500}
SECONDS_TO_RUN=${2:-30}
WARMUP=20
APP_PORT=${APP_PORT:-18081}
PG_PORT=${PG_PORT:-55433}
DATA_DIR=target/bench-events-postgres
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v psql >/dev/null || { echo "psql is needed (apt-get install -y postgresql-client)"; exit 1; }

[ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -q -DskipTests package
JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
rm -rf "$DATA_DIR" target/bench-events-secret.key
"$JAVA_HOME/bin/java" -jar "$JAR" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
  --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT \
  --virtdevice.crypto.secret-key-file=target/bench-events-secret.key \
  --virtdevice.webhooks.allowed-cidrs=127.0.0.1/32 \
  --spring.datasource.hikari.maximum-pool-size=40 > target/bench-events-app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null || true' EXIT
for i in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null && break
  sleep 1
done
curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null || { echo "app did not start"; tail -50 target/bench-events-app.log; exit 1; }

PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -d virtdevice"
KEY="vdk_bench$(head -c 24 /dev/urandom | base64 | tr -d '/+=' )"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
# the bench user never logs in: any well-formed argon2id string will do
HASHPW='$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmU'
IDS=$($PSQL -U virtdevice_app -At -F' ' -c "select tenant_id, user_id from app.sign_up('Bench', 'bench-$RANDOM$RANDOM', 'bench-$RANDOM$RANDOM@example.test', 'Bench', '$HASHPW', 2)")
read -r TENANT USER_ID <<<"$IDS"
$PSQL -U postgres -c "update subscriptions set max_devices = 200 where user_id = '$USER_ID'"
$PSQL -U postgres -c "insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes) values ('$TENANT', '$USER_ID', 'bench', 'vdk_bench', decode('$HASH', 'hex'), '{read,write}')"

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg); $RATE changes/s for ${SECONDS_TO_RUN}s after a ${WARMUP}s ramp-up; app, PostgreSQL, load and receiver on this machine"
"$JAVA_HOME/bin/java" bench/EventsLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" "$RATE" "$SECONDS_TO_RUN" "$WARMUP" 200
