#!/usr/bin/env bash
# Benchmark: IFTTT's Service API on one machine (issue 12).
#   bench/ifttt.sh [SECONDS]   (default 20 s per measurement, each after WARMUP=10 s; JIT_WARMUP=60 s first)
# Builds the jar, starts VirtDevice on a fresh embedded PostgreSQL 16 (data in target/bench-ifttt-postgres) with an
# IFTTT service key and realtime URL pointing at the load generator, creates a bench user with 300 switches,
# 10,000 change events and 300 trigger identities, plus 32 dimmers, and an IFTTT access token (written straight
# into oauth_tokens, as the authorization-code flow would), then measures:
#   poll:     POST /ifttt/v1/triggers/device_turned_on (random switch, its identity, limit 50), 16 connections
#   action:   POST /ifttt/v1/actions/set_brightness vs rest: PUT /api/v1/devices/{id}/properties {"brightness":…},
#             the same change on the same dimmers, 16 connections each, one after the other in this run
#   realtime: RATE (default 200) power changes/s through the REST API; time from sending a change to the first
#             realtime notification naming that switch's identity that arrived after it committed
# Needs wrk (apt-get install -y wrk) and psql. Not part of `./mvnw verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
WARMUP=${WARMUP:-10}
JIT_WARMUP=${JIT_WARMUP:-60}
RATE=${RATE:-200}
SWITCHES=${SWITCHES:-300}
EVENTS=${EVENTS:-10000}
APP_PORT=${APP_PORT:-18092}
PG_PORT=${PG_PORT:-55444}
RT_PORT=${RT_PORT:-18093}
DATA_DIR=target/bench-ifttt-postgres
SERVICE_KEY="bench-ifttt-service-key-$RANDOM$RANDOM"
CLIENT_SECRET="bench-ifttt-client-secret-0123456789abcdef"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }
command -v psql >/dev/null || { echo "psql is needed (apt-get install -y postgresql-client)"; exit 1; }

if [ -z "${JAR:-}" ]; then
  [ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -q -DskipTests package
  JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
fi
rm -rf "$DATA_DIR" target/bench-ifttt-secret.key
"$JAVA_HOME/bin/java" -jar "$JAR" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
  --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT \
  --virtdevice.crypto.secret-key-file=target/bench-ifttt-secret.key \
  --virtdevice.ifttt.service-key=$SERVICE_KEY \
  --virtdevice.ifttt.realtime-url=http://127.0.0.1:$RT_PORT/v1/notifications \
  --virtdevice.oauth.clients.ifttt.service-id=virtdevice_bench \
  --virtdevice.oauth.clients.ifttt.client-secret=$CLIENT_SECRET \
  --virtdevice.devices.max-per-user=400 --spring.datasource.hikari.maximum-pool-size=40 > target/bench-ifttt-app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null || true' EXIT
for i in $(seq 1 400); do
  curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null && break
  sleep 1
done
curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null || { echo "app did not start"; tail -50 target/bench-ifttt-app.log; exit 1; }
export PGPASSFILE="$PWD/$DATA_DIR/virtdevice.pgpass"
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -d virtdevice"
HASHPW='$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmU'
KEY="vdk_bench$(head -c 24 /dev/urandom | base64 | tr -d '/+=' )"
TOKEN="vda_bench$(head -c 24 /dev/urandom | base64 | tr -d '/+=' )"
IDS=$($PSQL -U virtdevice_app -At -F' ' -c "select tenant_id, user_id from app.sign_up('Bench', 'bench-$RANDOM$RANDOM', 'bench-$RANDOM$RANDOM@example.test', 'Bench', '$HASHPW', 2)")
read -r TENANT USER_ID <<<"$IDS"
$PSQL -U postgres -c "insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes) values ('$TENANT', '$USER_ID', 'bench', 'vdk_bench', sha256(convert_to('$KEY', 'UTF8')), '{read,write}')"
$PSQL -U postgres <<SQL
with grant_row as (
  insert into oauth_authorizations (id, tenant_id, user_id, client_id, client_type, requested_scopes, authorized_scopes)
  select gen_random_uuid(), '$TENANT', '$USER_ID', c.id, 'ifttt', '{ifttt}', '{ifttt}'
    from oauth_clients c where c.client_id = 'ifttt-service'
  returning id)
insert into oauth_tokens (tenant_id, user_id, client_id, family_id, access_token_hash, access_token_expires_at, scope)
select '$TENANT', '$USER_ID', c.id, g.id, sha256(convert_to('$TOKEN', 'UTF8')), now() + interval '1 day', '{ifttt}'
  from grant_row g, oauth_clients c where c.client_id = 'ifttt-service';
SQL

echo "# setup: $SWITCHES switches, $EVENTS change events, $SWITCHES trigger identities, 32 dimmers"
"$JAVA_HOME/bin/java" bench/IftttLoad.java setup "http://127.0.0.1:$APP_PORT" "$KEY" "$TOKEN" $SWITCHES $EVENTS 32 \
  > target/bench-ifttt-devices.txt
echo "# device_events of the bench user: $($PSQL -U postgres -At -c "select count(*) from device_events where user_id = '$USER_ID'")"
SWITCH_IFTTT=$(awk '$1 == "switch" { print $3 }' target/bench-ifttt-devices.txt | paste -sd, -)
DIMMER_IDS=$(awk '$1 == "dimmer" { print $2 }' target/bench-ifttt-devices.txt | paste -sd, -)
DIMMER_IFTTT=$(awk '$1 == "dimmer" { print $3 }' target/bench-ifttt-devices.txt | paste -sd, -)

wrk_line() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "90%" { p90 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /requests in/ { n = $1 } /^Requests\/sec/ { tps = $2 }
    /Non-2xx/ { err += $NF } /Socket errors/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { printf "tps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n", tps, p50, p90, p99, n, err }'
}
poll_run() { # SECONDS
  VD_TOKEN=$TOKEN VD_DEVICES=$SWITCH_IFTTT wrk -t2 -c16 -d${1}s --latency -s bench/ifttt-poll.lua "http://127.0.0.1:$APP_PORT"
}
change_run() { # MODE SECONDS
  local devices token
  if [ "$1" = ifttt ]; then devices=$DIMMER_IFTTT; token=$TOKEN; else devices=$DIMMER_IDS; token=$KEY; fi
  VD_MODE=$1 VD_TOKEN=$token VD_DEVICES=$devices VD_THREADS=2 wrk -t2 -c16 -d${2}s --latency -s bench/ifttt-change.lua \
    "http://127.0.0.1:$APP_PORT"
}

if [ "$JIT_WARMUP" -gt 0 ]; then
  poll_run $((JIT_WARMUP / 3)) >/dev/null
  change_run ifttt $((JIT_WARMUP / 3)) >/dev/null
  change_run rest $((JIT_WARMUP / 3)) >/dev/null
fi
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg); ${SECONDS_PER_RUN}s per run after ${WARMUP}s warm-up; app, PostgreSQL and load on this machine"
poll_run $WARMUP >/dev/null
echo "poll c=16 $(poll_run $SECONDS_PER_RUN | wrk_line) (device_turned_on, limit 50, of $SWITCHES switches / $EVENTS events)"
change_run ifttt $WARMUP >/dev/null
ACTION=$(change_run ifttt $SECONDS_PER_RUN | wrk_line)
change_run rest $WARMUP >/dev/null
REST=$(change_run rest $SECONDS_PER_RUN | wrk_line)
echo "action c=16 $ACTION (POST /ifttt/v1/actions/set_brightness)"
echo "rest   c=16 $REST (PUT /api/v1/devices/{id}/properties, same dimmers)"
awk -v a="$(echo "$ACTION" | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')" -v r="$(echo "$REST" | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')" \
  'BEGIN { printf "ratio action/rest=%.1f%%\n", 100 * a / r }'
"$JAVA_HOME/bin/java" bench/IftttLoad.java realtime "http://127.0.0.1:$APP_PORT" "$KEY" "$TOKEN" $RT_PORT "$SERVICE_KEY" \
  $RATE $SECONDS_PER_RUN $WARMUP target/bench-ifttt-devices.txt
