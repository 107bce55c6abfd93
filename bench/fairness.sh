#!/usr/bin/env bash
# Benchmark: a noisy user at 10x their change limit next to a normal user; the normal user's change ->
# Alexa ChangeReport latency with and without the noisy user, in the same run (issue 16).
#   bench/fairness.sh [RATE] [SECONDS]      (normal user: default 10 changes/s for 30 s per phase)
# Starts VirtDevice from the test class path (TestAlexaLinks links every user to the NA gateway with one
# token; bench/EventsLoad.java plays that gateway and times the normal user's ChangeReports) on a fresh
# embedded PostgreSQL, self-hosted with limits: device-changes 5/s per device, user-changes
# NOISY_LIMIT/s per user (default 40), alexa-events 2 x RATE/s per user (the normal user never waits for
# its own share; the noisy user, allowed 40 changes/s, is over it). Phase 1: the normal user alone (after JIT_WARMUP s). Phase 2: the same load while the
# noisy user's wrk hammers 20 switches as fast as 4 connections go (the attempt rate is printed; the target is 10 x NOISY_LIMIT/s, nearly all
# refused with 429; the rest produce Alexa events over their share, held and coalesced). Prints both
# phases' percentiles and the ratio of the p99s (target: phase 2 within 1.2 x phase 1).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-10}
SECONDS_TO_RUN=${2:-30}
WARMUP=${WARMUP:-10}
JIT_WARMUP=${JIT_WARMUP:-60}
NOISY_LIMIT=${NOISY_LIMIT:-40}
APP_PORT=${APP_PORT:-18083}
PG_PORT=${PG_PORT:-55435}
DATA_DIR=target/bench-fairness-postgres
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v psql >/dev/null || { echo "psql is needed (apt-get install -y postgresql-client)"; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }
ALEXA_GATEWAY_PORT=${ALEXA_GATEWAY_PORT:-18091}
ALEXA_TOKEN="Atza|bench-$RANDOM$RANDOM"
export ALEXA_GATEWAY_PORT ALEXA_TOKEN

[ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test > target/bench-fairness-build.log
rm -rf "$DATA_DIR" target/bench-fairness-secret.key
APP=
NOISE=
trap 'kill $NOISE 2>/dev/null; kill $APP 2>/dev/null; wait $APP 2>/dev/null || true' EXIT
# three tries: on a busy machine the embedded PostgreSQL may miss its 10 s start-up wait
for _ in 1 2 3; do
  "$JAVA_HOME/bin/java" -cp "target/classes:target/test-classes:$(cat target/bench-classpath.txt)" \
    io.virtdevice.VirtDeviceApplication "--virtdevice.test.alexa-links=NA:$ALEXA_TOKEN" \
    "--virtdevice.alexa.event-gateway.na=http://127.0.0.1:$ALEXA_GATEWAY_PORT/na/v3/events" \
    --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
    --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT \
    --virtdevice.crypto.secret-key-file=target/bench-fairness-secret.key \
    --virtdevice.webhooks.allowed-cidrs=127.0.0.1/32 \
    --virtdevice.limits.plans.self-hosted.device-changes.limit=5 --virtdevice.limits.plans.self-hosted.device-changes.window=1s \
    --virtdevice.limits.plans.self-hosted.user-changes.limit=$NOISY_LIMIT --virtdevice.limits.plans.self-hosted.user-changes.window=1s \
    --virtdevice.limits.plans.self-hosted.alexa-events.limit=$((2 * RATE)) --virtdevice.limits.plans.self-hosted.alexa-events.window=1s \
    --spring.datasource.hikari.maximum-pool-size=40 > target/bench-fairness-app.log 2>&1 &
  APP=$!
  for _ in $(seq 1 180); do
    curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null && break 2
    kill -0 "$APP" 2>/dev/null || break
    grep -q "Application run failed" target/bench-fairness-app.log && break
    sleep 1
  done
  kill $APP 2>/dev/null; wait $APP 2>/dev/null || true
done
curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null || { echo "app did not start"; tail -50 target/bench-fairness-app.log; exit 1; }
export PGPASSFILE="$PWD/$DATA_DIR/virtdevice.pgpass"
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -d virtdevice"
HASHPW='$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmU'
bench_user() { # prints "API_KEY USER_ID" of a new user allowed 200 devices
  local key hash ids tenant user
  key="vdk_bench$(head -c 24 /dev/urandom | base64 | tr -d '/+=' )"
  hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
  ids=$($PSQL -U virtdevice_app -At -F' ' -c "select tenant_id, user_id from app.sign_up('Bench', 'bench-$RANDOM$RANDOM', 'bench-$RANDOM$RANDOM@example.test', 'Bench', '$HASHPW', 2)")
  read -r tenant user <<<"$ids"
  $PSQL -U postgres -c "update subscriptions set max_devices = 200 where user_id = '$user'"
  $PSQL -U postgres -c "insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes) values ('$tenant', '$user', 'bench', 'vdk_bench', decode('$hash', 'hex'), '{read,write}')"
  echo "$key $user"
}
read -r KEY _ <<<"$(bench_user)"
read -r NOISY_KEY _ <<<"$(bench_user)"
NOISY_DEVICES=$("$JAVA_HOME/bin/java" bench/RestLoad.java "http://127.0.0.1:$APP_PORT" "$NOISY_KEY" 20 0 0 devices | paste -sd, -)

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); normal user $RATE changes/s on 200 dimmers for ${SECONDS_TO_RUN}s per phase; noisy user limit $NOISY_LIMIT changes/s"
echo "## phase 1: the normal user alone (after ${JIT_WARMUP}s of JIT warm-up)"
"$JAVA_HOME/bin/java" bench/EventsLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" "$RATE" "$SECONDS_TO_RUN" "$WARMUP" 200 \
  "$JIT_WARMUP" "$RATE" | tee target/bench-fairness-phase1.txt
echo "## phase 2: the same, next to the noisy user"
VD_KEY=$NOISY_KEY VD_DEVICES=$NOISY_DEVICES VD_THREADS=1 wrk -t1 -c4 -d$((SECONDS_TO_RUN + WARMUP + 30))s --latency \
  -s bench/rest.lua "http://127.0.0.1:$APP_PORT" > target/bench-fairness-noisy.txt &
NOISE=$!
sleep 5
"$JAVA_HOME/bin/java" bench/EventsLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" "$RATE" "$SECONDS_TO_RUN" "$WARMUP" 200 \
  | tee target/bench-fairness-phase2.txt
wait $NOISE || true
NOISE=
echo "noisy user: $(grep -E 'Requests/sec' target/bench-fairness-noisy.txt | awk '{print $2}') attempts/s ($(awk -v l=$NOISY_LIMIT 'BEGIN{print 10*l}') = 10 x the limit), $(grep -E 'Non-2xx' target/bench-fairness-noisy.txt | awk '{print $NF}') refused of $(grep -E 'requests in' target/bench-fairness-noisy.txt | awk '{print $1}')"
P1=$(grep 'request sent -> ChangeReport' target/bench-fairness-phase1.txt | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
P2=$(grep 'request sent -> ChangeReport' target/bench-fairness-phase2.txt | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
awk -v a="$P1" -v b="$P2" 'BEGIN { printf "normal user change -> ChangeReport p99: alone %.1f ms, next to the noisy user %.1f ms, ratio %.2f (target <= 1.2)\n", a, b, b / a }'
echo "# $(date -u +%FT%TZ) load average $(cut -d' ' -f1-3 /proc/loadavg)"
