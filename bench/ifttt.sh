#!/usr/bin/env bash
# Benchmark: IFTTT's Service API on one machine (issue 12).
#   bench/ifttt.sh [SECONDS]   (default 20 s per measurement, each after WARMUP=10 s; JIT_WARMUP=60 s first)
# Builds the jar, starts VirtDevice on a fresh embedded PostgreSQL 16 (data in target/bench-ifttt-postgres) with an
# IFTTT service key and realtime URL pointing at the load generator, creates a bench user with 300 switches,
# 10,000 change events and 300 trigger identities, plus 32 dimmers, and an IFTTT access token (written straight
# into oauth_tokens, as the authorization-code flow would), then measures:
#   poll:     POST /ifttt/v1/triggers/device_turned_on (random switch, its identity, limit 50), 16 connections
#   baseline: GET /ifttt/v1/user/info with the same token, 16 connections, right after the poll (same run): the
#             cost of an authenticated IFTTT request with one small transaction, whatever the machine's load
#   sql:      pgbench replaying the poll's own statements (bench/ifttt-poll.sql) as the app role, 16 clients:
#             the floor the database alone sets (p50/p99 from pgbench's per-transaction log)
#   action:   POST /ifttt/v1/actions/set_brightness vs rest: PUT /api/v1/devices/{id}/properties {"brightness":…},
#             the same change on the same dimmers, 16 connections each, one after the other in this run
#   realtime: RATE (default 200) power changes/s through the REST API; time from sending a change to the first
#             realtime notification naming that switch's identity that arrived after it committed
# COMPARE_JAR=other.jar (implies POLL_ONLY=1) starts that build as a second app on the same database and data, then
# measures poll and baseline on each app in turn, ROUNDS (default 3) times, so a before/after comparison shares its
# time window and machine load. POLL_ONLY=1 stops after poll, baseline and sql; EXPLAIN=1 prints EXPLAIN (ANALYZE, BUFFERS) of the poll's history
# query for one switch, as the app role under its tenant context. JFR=1 records a CPU profile of the app during the
# measured poll run into target/bench-ifttt-poll.jfr (jfr print --events jdk.ExecutionSample ...).
# Needs wrk (apt-get install -y wrk), psql and pgbench. Not part of `./mvnw verify`.
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

baseline_run() { # SECONDS
  wrk -t2 -c16 -d${1}s --latency -H "Authorization: Bearer $TOKEN" -H "Accept: application/json" \
    "http://127.0.0.1:$APP_PORT/ifttt/v1/user/info"
}
$PSQL -U postgres -c "create schema if not exists bench; create table bench.ifttt_switches (n int primary key, id uuid not null, ifttt_id text not null); grant usage on schema bench to virtdevice_app; grant select on bench.ifttt_switches to virtdevice_app"
awk '$1 == "switch" { printf "insert into bench.ifttt_switches values (%d, '\''%s'\'', '\''%s'\'');\n", ++n, $2, $3 }' \
  target/bench-ifttt-devices.txt | $PSQL -U postgres
sql_run() { # SECONDS: pgbench replay of the poll's statements, p50/p99 from its per-transaction log
  local dir out
  dir=$(mktemp -d)
  out=$(cd "$dir" && pgbench -h 127.0.0.1 -p $PG_PORT -U virtdevice_app -n -M prepared -c 16 -j 2 -T $1 -l \
    -D tenant=$TENANT -D user=$USER_ID -f "$OLDPWD/bench/ifttt-poll.sql" virtdevice 2>&1)
  echo "tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p') $(cat "$dir"/pgbench_log.* | awk '{ print $3 / 1000 }' | sort -n | awk '
    { v[NR] = $1 } END { printf "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f requests=%d", v[int(NR * .5)], v[int(NR * .9)], v[int(NR * .99)], NR }') failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')"
  rm -rf "$dir"
}
p99() { echo "$1" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p'; }
tps() { echo "$1" | sed -n 's/.*tps=\([0-9.]*\).*/\1/p'; }

if [ -n "${COMPARE_JAR:-}" ]; then
  APP_PORT2=$((APP_PORT + 2))
  pw() { awk -F: -v r="$1" '$4 == r { print $5 }' "$PGPASSFILE"; }
  "$JAVA_HOME/bin/java" -jar "$COMPARE_JAR" --server.port=$APP_PORT2 --LOG_FORMAT= --logging.level.root=WARN \
    --spring.datasource.url=jdbc:postgresql://127.0.0.1:$PG_PORT/virtdevice --spring.datasource.username=virtdevice_app \
    --spring.datasource.password="$(pw virtdevice_app)" --spring.flyway.url=jdbc:postgresql://127.0.0.1:$PG_PORT/virtdevice \
    --spring.flyway.user=virtdevice_owner --spring.flyway.password="$(pw virtdevice_owner)" \
    --virtdevice.database.embedded.enabled=false \
    --virtdevice.crypto.secret-key-file=target/bench-ifttt-secret.key --virtdevice.ifttt.service-key=$SERVICE_KEY \
    --virtdevice.ifttt.realtime-url=http://127.0.0.1:$RT_PORT/v1/notifications \
    --virtdevice.oauth.clients.ifttt.service-id=virtdevice_bench --virtdevice.oauth.clients.ifttt.client-secret=$CLIENT_SECRET \
    --virtdevice.devices.max-per-user=400 --spring.datasource.hikari.maximum-pool-size=40 > target/bench-ifttt-app2.log 2>&1 &
  APP2=$!
  trap 'kill $APP $APP2 2>/dev/null; wait $APP $APP2 2>/dev/null || true' EXIT
  for i in $(seq 1 400); do
    curl -sf "http://127.0.0.1:$APP_PORT2/actuator/health/readiness" >/dev/null && break
    sleep 1
  done
  curl -sf "http://127.0.0.1:$APP_PORT2/actuator/health/readiness" >/dev/null || { echo "app 2 did not start"; tail -50 target/bench-ifttt-app2.log; exit 1; }
  MAIN_PORT=$APP_PORT
  label() { if [ "$APP_PORT" = "$MAIN_PORT" ]; then echo "${JAR##*/}"; else echo "${COMPARE_JAR##*/}"; fi; }
  for port in $MAIN_PORT $APP_PORT2; do # JIT warm-up of both
    APP_PORT=$port; poll_run $((JIT_WARMUP / 2)) >/dev/null; baseline_run $((JIT_WARMUP / 2)) >/dev/null
  done
  for round in $(seq 1 "${ROUNDS:-3}"); do
    for port in $MAIN_PORT $APP_PORT2; do
      APP_PORT=$port
      echo "# round $round $(label) $(date -u +%T) load average $(cut -d" " -f1-3 /proc/loadavg)"
      poll_run $WARMUP >/dev/null
      POLL=$(poll_run $SECONDS_PER_RUN | wrk_line)
      BASE=$(baseline_run $SECONDS_PER_RUN | wrk_line)
      echo "poll     c=16 $POLL ($(label))"
      echo "baseline c=16 $BASE ($(label))"
      awk -v pp="$(p99 "$POLL")" -v bp="$(p99 "$BASE")" -v pt="$(tps "$POLL")" -v bt="$(tps "$BASE")" -v l="$(label)" \
        'BEGIN { printf "ratio poll/baseline p99=%.2f tps=%.2f (%s)\n", pp / bp, pt / bt, l }'
    done
  done
  APP_PORT=$MAIN_PORT
  sql_run $WARMUP >/dev/null
  echo "sql      c=16 $(sql_run $SECONDS_PER_RUN) (pgbench replay of the poll's statements: bench/ifttt-poll.sql) load average $(cut -d" " -f1-3 /proc/loadavg)"
  exit 0
fi
if [ "$JIT_WARMUP" -gt 0 ] && [ "${POLL_ONLY:-}" = 1 ]; then
  poll_run $((JIT_WARMUP / 2)) >/dev/null
  baseline_run $((JIT_WARMUP / 2)) >/dev/null
elif [ "$JIT_WARMUP" -gt 0 ]; then
  poll_run $((JIT_WARMUP / 3)) >/dev/null
  change_run ifttt $((JIT_WARMUP / 3)) >/dev/null
  change_run rest $((JIT_WARMUP / 3)) >/dev/null
fi
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg); ${SECONDS_PER_RUN}s per run after ${WARMUP}s warm-up; app, PostgreSQL and load on this machine"
poll_run $WARMUP >/dev/null
[ "${JFR:-}" = 1 ] && "$JAVA_HOME/bin/jcmd" $APP JFR.start name=poll settings=profile filename="$PWD/target/bench-ifttt-poll.jfr" >/dev/null
POLL=$(poll_run $SECONDS_PER_RUN | wrk_line)
[ "${JFR:-}" = 1 ] && "$JAVA_HOME/bin/jcmd" $APP JFR.stop name=poll >/dev/null
echo "poll     c=16 $POLL (device_turned_on, limit 50, of $SWITCHES switches / $EVENTS events)"
baseline_run $WARMUP >/dev/null
BASE=$(baseline_run $SECONDS_PER_RUN | wrk_line)
echo "baseline c=16 $BASE (GET /ifttt/v1/user/info, same token)"
sql_run $WARMUP >/dev/null
SQL=$(sql_run $SECONDS_PER_RUN)
echo "sql      c=16 $SQL (pgbench replay of the poll's statements: bench/ifttt-poll.sql)"
echo "# load average after: $(cut -d" " -f1-3 /proc/loadavg)"
awk -v pp="$(p99 "$POLL")" -v bp="$(p99 "$BASE")" -v sp="$(p99 "$SQL")" -v pt="$(tps "$POLL")" -v bt="$(tps "$BASE")" -v st="$(tps "$SQL")" \
  'BEGIN { printf "ratio poll/baseline p99=%.2f tps=%.2f; poll/sql p99=%.2f tps=%.2f\n", pp / bp, pt / bt, pp / sp, pt / st }'
if [ "${EXPLAIN:-}" = 1 ]; then
  SWITCH_ID=$(awk '$1 == "switch" { print $2; exit }' target/bench-ifttt-devices.txt)
  $PSQL -U virtdevice_app <<SQL
begin;
select set_config('app.current_tenant_id', '$TENANT', true), set_config('app.current_user_id', '$USER_ID', true) \\g /dev/null
explain (analyze, buffers, settings)
select id, seq, tenant_id, user_id, device_id, device_name, device_type, alexa_endpoint_id, ifttt_device_id,
       kind, source, device_version, changes::text as changes, snapshot::text as snapshot, occurred_at
  from device_events
 where user_id = '$USER_ID' and device_id = '$SWITCH_ID' and kind = any('{property.changed,doorbell.pressed}')
   and jsonb_path_exists(changes, cast('\$[*] ? ((@.property == \$p0) && @.new == \$v)' as jsonpath),
                         cast('{"p0":"power","v":true}' as jsonb))
 order by user_id desc, device_id desc, seq desc limit 50;
commit;
SQL
fi
[ "${POLL_ONLY:-}" = 1 ] && exit 0
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
