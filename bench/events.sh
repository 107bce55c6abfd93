#!/usr/bin/env bash
# Benchmark: change -> webhook received, change -> SSE event and change -> Alexa ChangeReport received at the
# (local, fake) Event Gateway, in the same run, at a fixed rate of property changes.
#   bench/events.sh [RATE] [SECONDS]      (default 500 changes/s for 30 s, after a 20 s ramp-up)
# Builds the jar, starts VirtDevice on a fresh embedded PostgreSQL 16 (data in target/bench-events-postgres)
# with the loopback allow-list so webhooks can reach the local receiver, creates a bench user (200 dimmers,
# an API key, one webhook for property.changed), holds one SSE stream open, and drives RATE real property
# changes per second (open loop). Prints p50/p90/p99/max for each path. Not part of `./mvnw verify`.
# Before that, JIT_WARMUP seconds (default 180) of JIT_RATE changes/s (default half the rate, at least 100)
# bring the JVMs to their steady state; WARMUP (default 20) is the ramp-up to the measured rate. (With 90 s at
# 100/s, C2 compilation still took a fifth of the app's CPU in the measured window at 500/s.)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-500}
SECONDS_TO_RUN=${2:-30}
WARMUP=${WARMUP:-20}
JIT_WARMUP=${JIT_WARMUP:-180}
JIT_RATE=${JIT_RATE:-$(( RATE / 2 > 100 ? RATE / 2 : 100 ))}
APP_PORT=${APP_PORT:-18081}
PG_PORT=${PG_PORT:-55433}
DATA_DIR=target/bench-events-postgres
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v psql >/dev/null || { echo "psql is needed (apt-get install -y postgresql-client)"; exit 1; }

# Alexa: the bench user needs an Alexa link. Until AcceptGrant's links are on main, the app runs from the
# test class path, where TestAlexaLinks links every user (--virtdevice.test.alexa-links); EventsLoad plays
# the NA Event Gateway on ALEXA_GATEWAY_PORT. ALEXA=0 (or JAR=...) measures webhooks and SSE only, from the jar.
ALEXA=${ALEXA:-1}
ALEXA_GATEWAY_PORT=${ALEXA_GATEWAY_PORT:-18090}
ALEXA_TOKEN="Atza|bench-$RANDOM$RANDOM"
# JAR=path/to/other.jar benchmarks another build (e.g. an earlier commit's) with the same load
if [ -n "${JAR:-}" ]; then
  ALEXA=0
fi
if [ "$ALEXA" = 1 ]; then
  [ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -q -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
  LAUNCH=(-cp "target/classes:target/test-classes:$(cat target/bench-classpath.txt)" io.virtdevice.VirtDeviceApplication
          "--virtdevice.test.alexa-links=NA:$ALEXA_TOKEN"
          "--virtdevice.alexa.event-gateway.na=http://127.0.0.1:$ALEXA_GATEWAY_PORT/na/v3/events")
  export ALEXA_GATEWAY_PORT ALEXA_TOKEN
else
  if [ -z "${JAR:-}" ]; then
    [ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -q -DskipTests package
    JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
  fi
  LAUNCH=(-jar "$JAR")
  unset ALEXA_GATEWAY_PORT
fi
rm -rf "$DATA_DIR" target/bench-events-secret.key
"$JAVA_HOME/bin/java" "${LAUNCH[@]}" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
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
# the embedded PostgreSQL asks every role for its password, kept in the data directory as a pgpass file
export PGPASSFILE="$PWD/$DATA_DIR/virtdevice.pgpass"

PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -d virtdevice"
# the bench users never log in: any well-formed argon2id string will do
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

read -r KEY USER_ID <<<"$(bench_user)"

echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg); $RATE changes/s for ${SECONDS_TO_RUN}s after ${JIT_WARMUP}s of JIT warm-up at ${JIT_RATE}/s and a ${WARMUP}s ramp-up; app, PostgreSQL, load and receiver on this machine"
# JIT_WARMUP first: a slow machine's C2 compiler needs a minute or two of traffic before the server (and the
# load generator, which is also the receiver) reach their steady speed.
"$JAVA_HOME/bin/java" bench/EventsLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" "$RATE" "$SECONDS_TO_RUN" "$WARMUP" 200 \
  "$JIT_WARMUP" "$JIT_RATE"
