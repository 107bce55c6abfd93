#!/usr/bin/env bash
# Benchmark: REST property updates vs pgbench's single-row UPDATE by primary key, same run, same database.
#   bench/run.sh [SECONDS]        (default 20 s per measurement, each after a WARMUP=15 s warm-up, all after
#                                  JIT_WARMUP=90 s of REST load that lets the JIT compiler settle)
# Builds the jar, starts VirtDevice on a fresh embedded PostgreSQL 16 (data in target/bench-postgres),
# creates a bench user with an API key, then measures at 16 and 64 concurrent connections:
#   REST:    PUT /api/v1/devices/{id}/properties {"power":…} — each connection on its own device
#   pgbench: UPDATE bench.rows SET v = v + 1 WHERE id = :client_id + 1 — each client on its own row
# and prints both, with the ratio REST tps / pgbench tps. Not part of `./mvnw verify`.
# The REST load comes from wrk (C, like pgbench's client), so the two clients cost about the same CPU on
# the shared cores; without wrk it falls back to bench/RestLoad.java (Java's HttpClient, which itself takes
# about as much CPU as the server). It also prints the HTTP floor: GET /api/v1/device-types (no database,
# no authentication) under the same load, the most any endpoint of this stack can do on this machine, and
# the SQL ceiling: pgbench replaying the request's own statements (bench/rest-transaction.sql) as the app
# role, the most the REST update could do if Java, HTTP and JSON cost nothing. Two replays: the baseline
# (bench/rest-transaction.sql, the six statements of the code before issue 14) and the write path since then
# (bench/rest-transaction-one-round-trip.sql), with their ratio and REST against the new one.
# After each REST run it prints which path the changes took ("paths …", the app's own counters read from
# /actuator/prometheus): one_statement (the one-round-trip path), locked (a locked read first), stale_guess
# (one-statement attempts that found the device changed) and context_lost (attempts that ran without the
# tenant context; should be 0). A REST figure with few one_statement changes does not measure the new path.
# COMPARE_JAR=other.jar starts that build as a second app on the same database and measures REST only, on each
# app in turn, ROUNDS (default 3) times at each concurrency, so a before/after comparison shares its time window
# and machine load. APP_JAVA_OPTS="…" goes to the app's JVM (and the second one's), e.g.
# APP_JAVA_OPTS="-XX:StartFlightRecording=filename=target/bench-app.jfr,settings=profile" for a CPU profile.
# LOG_SQL=N prints the protocol messages the app's driver sends (pgjdbc's own trace log: Parse, Bind, Execute,
# Sync) for 2N REST changes made one after another, after 30 others (past pgjdbc's prepare threshold), with the
# round trips per thread, and stops. (The embedded PostgreSQL's own log is not kept anywhere readable.)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
WARMUP=${WARMUP:-15}
JIT_WARMUP=${JIT_WARMUP:-90}
APP_PORT=${APP_PORT:-18080}
PG_PORT=${PG_PORT:-55432}
DATA_DIR=${DATA_DIR:-target/bench-postgres}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v pgbench >/dev/null || { echo "pgbench is needed (apt-get install -y postgresql-contrib or postgresql-client)"; exit 1; }
command -v wrk >/dev/null || echo "# wrk not found (apt-get install -y wrk): falling back to bench/RestLoad.java"

# JAR=… runs that jar instead of building one (a build would share target/ with tests running meanwhile)
if [ -z "${JAR:-}" ]; then
  ./mvnw -B -ntp -q -DskipTests package
  JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
fi
rm -rf "$DATA_DIR"
# the app's counters of which path each change took are read from /actuator/prometheus with this token
METRICS_TOKEN="bench-metrics-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" ${APP_JAVA_OPTS:-} -jar "$JAR" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
  --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT \
  --virtdevice.management.metrics-token=$METRICS_TOKEN ${LOG_SQL:+--logging.level.org.postgresql.core.v3.QueryExecutorImpl=TRACE} \
  --spring.datasource.hikari.maximum-pool-size=64 > target/bench-app.log 2>&1 &
APP=$!
APP2=
trap 'kill $APP $APP2 2>/dev/null; wait $APP $APP2 2>/dev/null || true' EXIT
for i in $(seq 1 "${START_TIMEOUT:-120}"); do
  curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null && break
  sleep 1
done
curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null || { echo "app did not start"; tail -50 target/bench-app.log; exit 1; }
# the embedded PostgreSQL asks every role for its password, kept in the data directory as a pgpass file
export PGPASSFILE="$(cd "$DATA_DIR" && pwd)/virtdevice.pgpass"

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

# Two devices per connection of the largest run, spread over wrk's threads.
DEVICES=$("$JAVA_HOME/bin/java" bench/RestLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" 128 0 0 devices)

# wrk's --latency report -> "tps=… p50_ms=… p99_ms=… requests=… errors=…"
wrk_line() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /requests in/ { n = $1 } /^Requests\/sec/ { tps = $2 }
    /Non-2xx/ { err += $NF } /Socket errors/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { printf "tps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n", tps, p50, p99, n, err }'
}

rest_run() { # CONCURRENCY SECONDS
  if command -v wrk >/dev/null; then
    local threads=2
    [ "$1" -lt 2 ] && threads=1
    local ids
    ids=$(echo "$DEVICES" | head -$((2 * $1)) | paste -sd, -)
    VD_KEY=$KEY VD_DEVICES=$ids VD_THREADS=$threads wrk -t$threads -c$1 -d${WARMUP}s -s bench/rest.lua "http://127.0.0.1:$APP_PORT" >/dev/null
    echo "rest c=$1 $(VD_KEY=$KEY VD_DEVICES=$ids VD_THREADS=$threads wrk -t$threads -c$1 -d${2}s --latency -s bench/rest.lua "http://127.0.0.1:$APP_PORT" | wrk_line)"
  else
    "$JAVA_HOME/bin/java" bench/RestLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" "$1" "$2" "$WARMUP"
  fi
}

# The app's change counters: "one_statement locked stale_guess context_lost" ("-" for one it does not have)
path_counts() {
  curl -sf -H "Authorization: Bearer $METRICS_TOKEN" "http://127.0.0.1:$APP_PORT/actuator/prometheus" | awk '
    function get(name) { return (name in v) ? v[name] : "-" }
    /^virtdevice_device_changes_[a-z_]*_total/ { n = $1; sub(/\{.*/, "", n); v[n] = $NF }
    END { printf "%s %s %s %s\n", get("virtdevice_device_changes_one_statement_total"),
            get("virtdevice_device_changes_locked_total"), get("virtdevice_device_changes_stale_guess_total"),
            get("virtdevice_device_changes_context_lost_total") }'
}

# rest_run with the counters read before and after the measured run: prints the rest line, then "paths …"
rest_run_with_paths() { # CONCURRENCY SECONDS
  local before after out
  before=$(path_counts)
  out=$(rest_run "$1" "$2")
  after=$(path_counts)
  echo "$out"
  echo "$before $after" | awk -v c="$1" '
    function d(a, b) { return (a == "-" || b == "-") ? "-" : sprintf("%d", b - a) }
    { printf "paths c=%d one_statement=%s locked=%s stale_guess=%s context_lost=%s (changes during the REST run and its warm-up, by path)\n",
        c, d($1, $5), d($2, $6), d($3, $7), d($4, $8) }'
}

floor_run() { # CONCURRENCY SECONDS
  command -v wrk >/dev/null || return 0
  wrk -t2 -c$1 -d${WARMUP}s "http://127.0.0.1:$APP_PORT/api/v1/device-types" >/dev/null
  echo "floor c=$1 $(wrk -t2 -c$1 -d${2}s --latency "http://127.0.0.1:$APP_PORT/api/v1/device-types" | wrk_line) (GET /api/v1/device-types: no database, no auth)"
}

# The SQL ceiling: the same statements the app sends per request, replayed by pgbench as the app role.
$PSQL -U postgres -c "create table bench.rest_devices (client int primary key, id uuid not null); grant usage on schema bench to virtdevice_app; grant select on bench.rest_devices to virtdevice_app"
echo "$DEVICES" | head -64 | awk '{ printf "insert into bench.rest_devices values (%d, '\''%s'\'');\n", NR - 1, $1 }' | $PSQL -U postgres
sql_run() { # CONCURRENCY SECONDS [SCRIPT]: the baseline replay (bench/rest-transaction.sql) unless SCRIPT is given
  local script=${3:-bench/rest-transaction.sql} v=1000000 before after out
  # the two-round-trip replay writes only at the version it expects: every bench device starts at $v
  $PSQL -U postgres -c "update devices set version = $v where id in (select id from bench.rest_devices)"
  pgbench -h 127.0.0.1 -p $PG_PORT -U virtdevice_app -n -M prepared -c $1 -j 2 -T $WARMUP -D tenant=$TENANT -D user=$USER_ID \
    -D v=$v -f $script virtdevice >/dev/null 2>&1
  $PSQL -U postgres -c "update devices set version = $v where id in (select id from bench.rest_devices)"
  before=$($PSQL -U postgres -At -c "select count(*) from device_events")
  out=$(pgbench -h 127.0.0.1 -p $PG_PORT -U virtdevice_app -n -M prepared -c $1 -j 2 -T $2 -D tenant=$TENANT -D user=$USER_ID \
    -D v=$v -f $script virtdevice 2>&1)
  after=$($PSQL -U postgres -At -c "select count(*) from device_events")
  echo "sql c=$1 tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p') latency_avg_ms=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\).*/\1/p') failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p') events_written=$((after - before))/$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p') (pgbench replay of the request's SQL: $script)"
}

if [ -n "${LOG_SQL:-}" ]; then
  ONE=$(echo "$DEVICES" | head -1)
  put() { curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
    -d "{\"power\":$1}" "http://127.0.0.1:$APP_PORT/api/v1/devices/$ONE/properties"; }
  for i in $(seq 1 15); do put true; put false; done
  sleep 1
  MARK=$(wc -l < target/bench-app.log)
  for i in $(seq 1 "$LOG_SQL"); do put true; put false; done
  sleep 1
  echo "# what the driver sent during $((2 * LOG_SQL)) changes of one device through PUT /api/v1/devices/{id}/properties"
  echo "# (prepared statements are named per connection: S_n on two threads can be two different statements)"
  tail -n +"$MARK" target/bench-app.log | grep -E 'FE=> (Parse|Bind|Execute|Sync|Describe)' \
    | sed -E 's/^[^[]*\[virtdevice\] \[ *([^]]*)\][^:]*: */\1 /' > target/bench-protocol.txt || true
  echo "## the requests' threads:"
  grep -E "^(jetty|tomcat)-" target/bench-protocol.txt | cut -c1-240 || true
  echo "## round trips (Syncs) by thread, the requests' and the app's background work (relay, scheduler, notifier):"
  awk '$NF == "Sync" || $3 == "Sync" { n[$1]++ } END { for (t in n) printf "  %s %d\n", t, n[t] }' target/bench-protocol.txt | sort
  echo "paths (all changes so far, 30 unlogged first) one_statement locked stale_guess context_lost: $(path_counts)"
  exit 0
fi

# JIT warm-up: on a slow machine C2 needs a minute or two of traffic before the server reaches its steady
# speed (measured: 270 -> 730 updates/s over the first 90 s of load).
if [ "$JIT_WARMUP" -gt 0 ]; then
  OLD_WARMUP=$WARMUP; WARMUP=$JIT_WARMUP
  rest_run 16 1 >/dev/null
  WARMUP=$OLD_WARMUP
fi

if [ -n "${COMPARE_JAR:-}" ]; then
  # A/B: the second build on the same database, devices and key; REST only, alternating, same time window
  APP_PORT1=$APP_PORT APP_PORT2=$((APP_PORT + 1))
  pw() { awk -F: -v r="$1" '$4 == r { print $5 }' "$PGPASSFILE"; }
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" ${APP_JAVA_OPTS2:-${APP_JAVA_OPTS:-}} -jar "$COMPARE_JAR" --server.port=$APP_PORT2 --LOG_FORMAT= --logging.level.root=WARN \
    --spring.datasource.url=jdbc:postgresql://127.0.0.1:$PG_PORT/virtdevice --spring.datasource.username=virtdevice_app \
    --spring.datasource.password="$(pw virtdevice_app)" --spring.flyway.url=jdbc:postgresql://127.0.0.1:$PG_PORT/virtdevice \
    --spring.flyway.user=virtdevice_owner --spring.flyway.password="$(pw virtdevice_owner)" \
    --virtdevice.database.embedded.enabled=false --virtdevice.management.metrics-token=$METRICS_TOKEN \
    --spring.datasource.hikari.maximum-pool-size=64 > target/bench-app2.log 2>&1 &
  APP2=$!
  for i in $(seq 1 "${START_TIMEOUT:-120}"); do
    curl -sf "http://127.0.0.1:$APP_PORT2/actuator/health/readiness" >/dev/null && break
    sleep 1
  done
  curl -sf "http://127.0.0.1:$APP_PORT2/actuator/health/readiness" >/dev/null || { echo "app 2 did not start"; tail -50 target/bench-app2.log; exit 1; }
  label() { if [ "$APP_PORT" = "$APP_PORT1" ]; then echo "${JAR##*/}"; else echo "COMPARE_JAR ${COMPARE_JAR##*/}"; fi; }
  APP_PORT=$APP_PORT2; WARMUP_SAVED=$WARMUP; WARMUP=$JIT_WARMUP; rest_run 16 1 >/dev/null; WARMUP=$WARMUP_SAVED
  echo "# $(date -u +%FT%TZ) $(nproc) cores; A/B of two builds on one database, REST only, ${SECONDS_PER_RUN}s per run after ${WARMUP}s warm-up"
  for C in ${COMPARE_CONCURRENCY:-16 64}; do
    for round in $(seq 1 "${ROUNDS:-3}"); do
      for port in $APP_PORT1 $APP_PORT2; do
        APP_PORT=$port
        echo "# c=$C round $round $(label) $(date -u +%T) load average $(cut -d' ' -f1-3 /proc/loadavg)"
        rest_run_with_paths $C $SECONDS_PER_RUN | sed "s|\$| ($(label))|"
      done
    done
  done
  exit 0
fi

echo "# $(date -u +%FT%TZ) $(nproc) cores; ${SECONDS_PER_RUN}s per run after ${JIT_WARMUP}s of JIT warm-up and ${WARMUP}s warm-up per run; REST load from $(command -v wrk >/dev/null && echo wrk || echo RestLoad.java)"
for C in 16 64; do
  echo "# c=$C load average $(cut -d' ' -f1-3 /proc/loadavg) (uptime: $(uptime))"
  REST=$(rest_run_with_paths $C $SECONDS_PER_RUN)
  echo "$REST"
  REST=$(echo "$REST" | head -1)
  pgbench -h 127.0.0.1 -p $PG_PORT -U postgres -n -M prepared -c $C -j 2 -T $WARMUP -f target/bench-update.sql virtdevice >/dev/null 2>&1
  PG=$(pgbench -h 127.0.0.1 -p $PG_PORT -U postgres -n -M prepared -c $C -j 2 -T $SECONDS_PER_RUN -r -f target/bench-update.sql virtdevice 2>&1)
  PG_TPS=$(echo "$PG" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  PG_LAT=$(echo "$PG" | sed -n 's/^latency average = \([0-9.]*\).*/\1/p')
  echo "pgbench c=$C tps=$PG_TPS latency_avg_ms=$PG_LAT"
  REST_TPS=$(echo "$REST" | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')
  awk -v r="$REST_TPS" -v p="$PG_TPS" -v c="$C" 'BEGIN { printf "ratio c=%d rest/pgbench=%.1f%%\n", c, 100 * r / p }'
  SQL=$(sql_run $C $SECONDS_PER_RUN)
  echo "$SQL"
  SQL_TPS=$(echo "$SQL" | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')
  awk -v s="$SQL_TPS" -v p="$PG_TPS" -v r="$REST_TPS" -v c="$C" 'BEGIN { printf "ratio c=%d sql/pgbench=%.1f%% rest/sql=%.1f%%\n", c, 100 * s / p, 100 * r / s }'
  # issue 14: the write path in one round trip, against the baseline replay just measured
  NEW=$(sql_run $C $SECONDS_PER_RUN bench/rest-transaction-one-round-trip.sql)
  echo "$NEW"
  NEW_TPS=$(echo "$NEW" | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')
  awk -v n="$NEW_TPS" -v s="$SQL_TPS" -v r="$REST_TPS" -v c="$C" 'BEGIN { printf "ratio c=%d new-sql/baseline-sql=%.2fx rest/new-sql=%.1f%%\n", c, n / s, 100 * r / n }'
  FLOOR=$(floor_run $C $SECONDS_PER_RUN)
  if [ -n "$FLOOR" ]; then
    echo "$FLOOR"
    FLOOR_TPS=$(echo "$FLOOR" | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')
    awk -v f="$FLOOR_TPS" -v p="$PG_TPS" -v r="$REST_TPS" -v c="$C" 'BEGIN { printf "ratio c=%d floor/pgbench=%.1f%% rest/floor=%.1f%%\n", c, 100 * f / p, 100 * r / f }'
  fi
done
