#!/usr/bin/env bash
# Benchmark: the published rate limits' overhead on the REST write path, with and without limits, in one run.
#   bench/limits.sh [SECONDS] [ROUNDS]     (default 20 s per measurement, 2 rounds of off/on)
# Builds the jar and starts VirtDevice on an embedded PostgreSQL 16 (data in target/bench-limits-postgres,
# kept across the restarts of this run), creates a bench user with an API key and 32 dimmers, then
# alternates: the app without limits (self-hosted default) and the app with the self-hosted plan's
# api-requests, device-changes and user-changes set (so high that nothing is refused: every request pays the
# checks, 1 API-request bucket + 2 change buckets, and none is answered early). Each measurement is wrk
# with 16 connections on PUT /api/v1/devices/{id}/properties (bench/rest.lua) after JIT_WARMUP seconds of
# the same load. Prints tps/p50/p99 per mode and round (with the load average at its start), the on/off
# ratio of each round, then the means, the ratio on/off of the means and the spread between rounds (how noisy
# the figures are: (max - min) / mean of each mode's throughput).
# Each line also counts the work the limiter costs the store, which a loaded machine does not blur:
# store_ops_per_req (PostgreSQL: rows of rate_limit_buckets inserted or updated per request; Redis: commands
# the server processed per request, the events bus's included, so compare with the "off" line) and
# db_xacts_per_req (PostgreSQL transactions committed per request, the app's own included).
# LIMITS_BACKEND=redis measures the Redis buckets instead, on a private redis-server on REDIS_PORT (default
# 18499) started for the run, or on REDIS_URL when set (then store_ops counts everyone's commands). Both
# modes get the same Redis settings, so the events bus is the same in both and only the limits differ.
# LIMITS_EXTRA="--virtdevice.limits.local-share=0 ..." adds settings to the "on" mode, e.g. to measure the
# exact mode (every check asks the store) against the default local share (docs/rate-limits.md, "How exact").
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
ROUNDS=${2:-2}
JIT_WARMUP=${JIT_WARMUP:-40}
CONNECTIONS=${CONNECTIONS:-16}
APP_PORT=${APP_PORT:-18082}
PG_PORT=${PG_PORT:-55434}
DATA_DIR=target/bench-limits-postgres
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }
command -v psql >/dev/null || { echo "psql is needed (apt-get install -y postgresql-client)"; exit 1; }

[ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -DskipTests package > target/bench-limits-build.log
JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
rm -rf "$DATA_DIR"
LIMITS=(--virtdevice.limits.plans.self-hosted.api-requests.limit=1000000000
        --virtdevice.limits.plans.self-hosted.api-requests.window=1m
        --virtdevice.limits.plans.self-hosted.device-changes.limit=1000000000
        --virtdevice.limits.plans.self-hosted.device-changes.window=1m
        --virtdevice.limits.plans.self-hosted.user-changes.limit=1000000000
        --virtdevice.limits.plans.self-hosted.user-changes.window=1m)
COMMON=()
[ -n "${LIMITS_BACKEND:-}" ] && LIMITS+=(--virtdevice.limits.backend=$LIMITS_BACKEND)
REDIS_PID=
if [ "${LIMITS_BACKEND:-}" = redis ] && [ -z "${REDIS_URL:-}" ]; then
  command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install -y redis-server)"; exit 1; }
  REDIS_PORT=${REDIS_PORT:-18499}
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no > target/bench-limits-redis.log 2>&1 &
  REDIS_PID=$!
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
fi
[ -n "${REDIS_URL:-}" ] && COMMON+=(--spring.data.redis.url=$REDIS_URL)
# shellcheck disable=SC2206
[ -n "${LIMITS_EXTRA:-}" ] && LIMITS+=(${LIMITS_EXTRA})

APP=
start_app() { # MODE (three tries: on a busy machine the embedded PostgreSQL may miss its 10 s start-up wait)
  local extra=("${COMMON[@]}")
  [ "$1" = on ] && extra+=("${LIMITS[@]}")
  for _ in 1 2 3; do
    "$JAVA_HOME/bin/java" -jar "$JAR" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
      --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT \
      --spring.datasource.hikari.maximum-pool-size=32 "${extra[@]}" > target/bench-limits-app-$1.log 2>&1 &
    APP=$!
    for _ in $(seq 1 180); do
      curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null && return 0
      kill -0 "$APP" 2>/dev/null || break
      grep -q "Application run failed" target/bench-limits-app-$1.log && break
      sleep 1
    done
    stop_app
  done
  echo "app did not start"; tail -50 target/bench-limits-app-$1.log; exit 1
}
stop_app() {
  kill "$APP" 2>/dev/null || true
  wait "$APP" 2>/dev/null || true
  APP=
}
trap 'stop_app; [ -z "$REDIS_PID" ] || kill "$REDIS_PID" 2>/dev/null || true' EXIT

start_app off
export PGPASSFILE="$PWD/$DATA_DIR/virtdevice.pgpass"
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -d virtdevice"
KEY="vdk_bench$(head -c 24 /dev/urandom | base64 | tr -d '/+=' )"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
HASHPW='$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmU'
IDS=$($PSQL -U virtdevice_app -At -F' ' -c "select tenant_id, user_id from app.sign_up('Bench', 'bench-$RANDOM$RANDOM', 'bench-$RANDOM$RANDOM@example.test', 'Bench', '$HASHPW', 2)")
read -r TENANT USER_ID <<<"$IDS"
$PSQL -U postgres -c "update subscriptions set max_devices = 200 where user_id = '$USER_ID'"
$PSQL -U postgres -c "insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes) values ('$TENANT', '$USER_ID', 'bench', 'vdk_bench', decode('$HASH', 'hex'), '{read,write}')"
DEVICES=$("$JAVA_HOME/bin/java" bench/RestLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" $((2 * CONNECTIONS)) 0 0 devices)
IDS_CSV=$(echo "$DEVICES" | head -$((2 * CONNECTIONS)) | paste -sd, -)
stop_app

wrk_line() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /requests in/ { n = $1 } /^Requests\/sec/ { tps = $2 }
    /Non-2xx/ { err += $NF } /Socket errors/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { printf "tps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n", tps, p50, p99, n, err }'
}
store_ops() { # what the limiter has cost the store so far (see the header)
  if [ "${LIMITS_BACKEND:-}" = redis ]; then
    redis-cli -u "$REDIS_URL" info stats | tr -d '\r' | awk -F: '$1 == "total_commands_processed" { print $2 }'
  else
    $PSQL -U postgres -At -c "select coalesce(sum(n_tup_ins + n_tup_upd), 0) from pg_stat_user_tables where relname = 'rate_limit_buckets'"
  fi
}
db_xacts() {
  $PSQL -U postgres -At -c "select xact_commit from pg_stat_database where datname = 'virtdevice'"
}
run() { # SECONDS [--latency]
  VD_KEY=$KEY VD_DEVICES=$IDS_CSV VD_THREADS=2 wrk -t2 -c$CONNECTIONS -d${1}s ${2:-} -s bench/rest.lua "http://127.0.0.1:$APP_PORT"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores; load: $(uptime | sed 's/.*load average/load average/')"
echo "# ${SECONDS_PER_RUN}s per measurement after ${JIT_WARMUP}s warm-up, c=$CONNECTIONS, $ROUNDS rounds of off/on"
echo "# backend: ${LIMITS_BACKEND:-auto}${REDIS_URL:+ ($REDIS_URL, both modes)}; on-mode settings: ${LIMITS[*]}"
echo "# (the local share and sync interval are application.yaml's unless LIMITS_EXTRA sets them)"
RESULTS=()
for round in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    start_app $mode
    run "$JIT_WARMUP" >/dev/null
    LOAD=$(uptime | sed 's/.*load average: //; s/,//g')
    OPS0=$(store_ops); XACTS0=$(db_xacts)
    LINE=$(run "$SECONDS_PER_RUN" --latency | wrk_line)
    sleep 2 # PostgreSQL publishes its statistics within a second
    OPS1=$(store_ops); XACTS1=$(db_xacts)
    N=$(echo "$LINE" | sed 's/.*requests=\([0-9]*\).*/\1/')
    COST=$(awk -v o=$((OPS1 - OPS0)) -v x=$((XACTS1 - XACTS0)) -v n="$N" \
      'BEGIN { printf "store_ops_per_req=%.3f db_xacts_per_req=%.2f", n ? o / n : 0, n ? x / n : 0 }')
    echo "round=$round limits=$mode $LINE $COST load=${LOAD// //}"
    RESULTS+=("$mode $LINE")
    [ $mode = on ] && printf '%s\n' "${RESULTS[@]: -2}" | awk '{ split($2, t, "="); tps[$1] = t[2] }
      END { printf "round=%d on/off throughput %.3f (overhead %.1f%%)\n", '"$round"', tps["on"] / tps["off"], 100 * (1 - tps["on"] / tps["off"]) }'
    stop_app
  done
done
echo "# $(date -u +%FT%TZ) load: $(uptime | sed 's/.*load average/load average/')"
printf '%s\n' "${RESULTS[@]}" | awk '
  { split($2, t, "="); split($3, a, "="); split($4, b, "="); tps[$1] += t[2]; p50[$1] += a[2]; p99[$1] += b[2]; n[$1]++
    if (!($1 in lo) || t[2] < lo[$1]) lo[$1] = t[2]; if (!($1 in hi) || t[2] > hi[$1]) hi[$1] = t[2] }
  END {
    for (m in n) { tps[m] /= n[m]; p50[m] /= n[m]; p99[m] /= n[m] }
    printf "mean off: tps=%.0f p50_ms=%.2f p99_ms=%.2f | on: tps=%.0f p50_ms=%.2f p99_ms=%.2f\n", tps["off"], p50["off"], p99["off"], tps["on"], p50["on"], p99["on"]
    printf "on/off throughput %.3f; overhead: throughput %.1f%%, p50 %+.1f%%, p99 %+.1f%% (target: within 5%%)\n", tps["on"] / tps["off"], 100 * (1 - tps["on"] / tps["off"]), 100 * (p50["on"] / p50["off"] - 1), 100 * (p99["on"] / p99["off"] - 1)
    printf "noise: throughput spread between rounds off %.1f%% (%.0f-%.0f tps), on %.1f%% (%.0f-%.0f tps)%s\n", 100 * (hi["off"] - lo["off"]) / tps["off"], lo["off"], hi["off"], 100 * (hi["on"] - lo["on"]) / tps["on"], lo["on"], hi["on"], n["off"] < 2 ? " (one round: no spread; use ROUNDS >= 2)" : ""
  }'
