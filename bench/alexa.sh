#!/usr/bin/env bash
# Benchmark: the Alexa directive endpoint against the REST API doing the same work, in the same run.
#   bench/alexa.sh [SECONDS]      (default 20 s per measurement, each after WARMUP=10 s, all after
#                                  JIT_WARMUP=100 s of mixed load that lets the JIT compiler settle)
# Builds the jar (JAR=… or SKIP_BUILD=1 to reuse one), starts VirtDevice on a fresh embedded PostgreSQL 16
# (data in target/bench-alexa-postgres) with the alexa-smart-home client switched on, then, as a user would:
# signs up, signs in, creates an API key (REST side), creates 300 devices (128 switches for the control loads,
# the rest a mix of every type) and links the account the way Alexa does, through the authorization-code flow
# of the alexa-smart-home client (bench/AlexaLoad.java), which yields the access token every directive carries.
# Then, with wrk (bench/alexa.lua drives both sides, each connection's requests on devices of its own):
#   (a) at 16 and 64 connections: TurnOn/TurnOff directives vs REST PUT /api/v1/devices/{id}/properties
#       (the same change through two doors: row lock, version, event, activity entry), ratio Alexa/REST;
#   (b) at 16 and 64 connections: ReportState directives vs REST GET /api/v1/devices/{id}, ratio Alexa/REST;
#   (c) Discover (300 endpoints) at 4 connections: p50/p99; next to it REST GET /api/v1/devices?limit=100 (a
#       third of what Discover reads through the devices module, as JSON) at 4 connections, and Discover at 1.
# Each ratio is measured ROUNDS times in alternating order (REST, Alexa, Alexa, REST, …) and the sums
# compared, so a drift of the shared machine during the run weighs on both sides alike. A directive answered
# with an Alexa.ErrorResponse counts as an error ("alexa_errors"). Not part of `./mvnw verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
WARMUP=${WARMUP:-10}
JIT_WARMUP=${JIT_WARMUP:-100}
ROUNDS=${ROUNDS:-2}
APP_PORT=${APP_PORT:-18082}
PG_PORT=${PG_PORT:-55434}
DATA_DIR=target/bench-alexa-postgres
BASE="http://127.0.0.1:$APP_PORT"
VENDOR=M2BENCHVENDOR
SECRET="bench-alexa-secret-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }
command -v jq >/dev/null || { echo "jq is needed (apt-get install -y jq)"; exit 1; }

if [ -z "${JAR:-}" ]; then
  [ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -q -DskipTests package
  JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
fi
rm -rf "$DATA_DIR" target/bench-alexa-secret.key target/bench-alexa-cookies
ALEXA_VENDOR_ID=$VENDOR OAUTH_ALEXA_CLIENT_SECRET=$SECRET \
"$JAVA_HOME/bin/java" -jar "$JAR" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
  --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT \
  --virtdevice.crypto.secret-key-file=target/bench-alexa-secret.key --virtdevice.web.secure-cookies=false \
  --spring.datasource.hikari.maximum-pool-size=64 > target/bench-alexa-app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null || true' EXIT
for i in $(seq 1 120); do
  curl -sf "$BASE/actuator/health/readiness" >/dev/null && break
  sleep 1
done
curl -sf "$BASE/actuator/health/readiness" >/dev/null || { echo "app did not start"; tail -50 target/bench-alexa-app.log; exit 1; }

# A user, as README's first steps make one: sign up, sign in, an API key.
JAR_FILE=target/bench-alexa-cookies
EMAIL="bench-$RANDOM$RANDOM@example.test"
PASSWORD="bench password $RANDOM$RANDOM$RANDOM"
xsrf() { awk '$6 == "XSRF-TOKEN" { print $7 }' $JAR_FILE; }
curl -sf -c $JAR_FILE -b $JAR_FILE "$BASE/api/v1/auth/csrf" >/dev/null
curl -sf -c $JAR_FILE -b $JAR_FILE -H "X-XSRF-TOKEN: $(xsrf)" -H 'Content-Type: application/json' \
  -d "{\"tenantName\":\"Bench\",\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/signup" >/dev/null
curl -sf -c $JAR_FILE -b $JAR_FILE -H "X-XSRF-TOKEN: $(xsrf)" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/login" >/dev/null
KEY=$(curl -sf -c $JAR_FILE -b $JAR_FILE -H "X-XSRF-TOKEN: $(xsrf)" -H 'Content-Type: application/json' \
  -d '{"name":"bench","scopes":["read","write"]}' "$BASE/api/v1/api-keys" | jq -r .key)

SWITCHES=$("$JAVA_HOME/bin/java" bench/AlexaLoad.java devices "$BASE" "$KEY" 128 300)
TOKEN=$("$JAVA_HOME/bin/java" bench/AlexaLoad.java token "$BASE" "$EMAIL" "$PASSWORD" "$SECRET" "$VENDOR")
[ "$(echo "$SWITCHES" | wc -l)" -eq 128 ] && [ -n "$TOKEN" ] || { echo "set-up failed: $SWITCHES"; exit 1; }

# wrk's --latency report -> "tps=… p50_ms=… p99_ms=… requests=… errors=… alexa_errors=…"
wrk_line() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /requests in/ { n = $1 } /^Requests\/sec/ { tps = $2 }
    /Non-2xx/ { err += $NF } /Socket errors/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    /^Alexa errors:/ { alexa = $3 }
    END { printf "tps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d alexa_errors=%d\n", tps, p50, p99, n, err, alexa }'
}

load() { # MODE CONNECTIONS SECONDS [quiet]: one wrk run; the first WARMUP seconds are not measured
  local mode=$1 c=$2 targets threads=2
  [ "$c" -lt 2 ] && threads=1
  case $mode in
    power|report) targets=$(echo "$SWITCHES" | head -$((2 * c)) | cut -d' ' -f2 | paste -sd, -) ;;
    *) targets=$(echo "$SWITCHES" | head -$((2 * c)) | cut -d' ' -f1 | paste -sd, -) ;;
  esac
  local path=/
  [ "$mode" = list ] && path="/api/v1/devices?limit=100"
  if [ "$mode" = list ]; then
    wrk -t$threads -c$c -d${WARMUP}s -H "Authorization: Bearer $KEY" "$BASE$path" >/dev/null
    echo "$mode c=$c $(wrk -t$threads -c$c -d${3}s --latency -H "Authorization: Bearer $KEY" "$BASE$path" | wrk_line)"
    return
  fi
  export VD_MODE=$mode VD_TOKEN=$TOKEN VD_KEY=$KEY VD_TARGETS=$targets VD_THREADS=$threads
  [ "$WARMUP" -gt 0 ] && wrk -t$threads -c$c -d${WARMUP}s -s bench/alexa.lua "$BASE" >/dev/null
  echo "$mode c=$c $(wrk -t$threads -c$c -d${3}s --latency -s bench/alexa.lua "$BASE" | wrk_line)"
}

tps() { sed -n 's/.* tps=\([0-9.]*\).*/\1/p'; }

pair() { # REST_MODE ALEXA_MODE CONNECTIONS: ROUNDS alternating runs of each, then the ratio of the sums
  local rest=$1 alexa=$2 c=$3 r line rest_sum=0 alexa_sum=0
  for r in $(seq 1 "$ROUNDS"); do
    local order="$rest $alexa"
    [ $((r % 2)) -eq 0 ] && order="$alexa $rest"
    for m in $order; do
      line=$(load "$m" "$c" "$SECONDS_PER_RUN")
      echo "  $line"
      if [ "$m" = "$rest" ]; then rest_sum=$((rest_sum + $(echo "$line" | tps))); else alexa_sum=$((alexa_sum + $(echo "$line" | tps))); fi
    done
  done
  awk -v a="$alexa_sum" -v r="$rest_sum" -v c="$c" -v n="$ROUNDS" -v am="$alexa" -v rm="$rest" \
    'BEGIN { printf "ratio c=%d %s/%s=%.1f%% (mean tps %.0f vs %.0f over %d rounds)\n", c, am, rm, 100 * a / r, a / n, r / n, n }'
}

# JIT warm-up: every path the measurements take, so C2 has compiled them all before anything is measured.
if [ "$JIT_WARMUP" -gt 0 ]; then
  OLD_WARMUP=$WARMUP; WARMUP=0
  for m in put power get report; do load $m 16 $((JIT_WARMUP / 5)) >/dev/null; done
  load discover 4 $((JIT_WARMUP / 5)) >/dev/null
  WARMUP=$OLD_WARMUP
fi

echo "# $(date -u +%FT%TZ) $(nproc) cores; ${SECONDS_PER_RUN}s per run after ${WARMUP}s warm-up, ${JIT_WARMUP}s JIT warm-up; ROUNDS=$ROUNDS; $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
for C in 16 64; do
  echo "(a) TurnOn/TurnOff vs REST PUT, c=$C"; pair put power $C
  echo "(b) ReportState vs REST GET, c=$C"; pair get report $C
done
echo "(c) Discover, 300 endpoints, c=4"
# PROFILE=1: a JFR recording of the app during the measured Discover run (target/bench-alexa-discover.jfr;
# read it with `jfr print --events jdk.ExecutionSample --stack-depth 64` or JDK Mission Control)
[ "${PROFILE:-}" = 1 ] && "$JAVA_HOME/bin/jcmd" $APP JFR.start name=discover settings=profile >/dev/null
load discover 4 "$SECONDS_PER_RUN"
[ "${PROFILE:-}" = 1 ] && "$JAVA_HOME/bin/jcmd" $APP JFR.stop name=discover filename="$PWD/target/bench-alexa-discover.jfr" >/dev/null
load list 4 "$SECONDS_PER_RUN"
load discover 1 "$SECONDS_PER_RUN"   # one at a time: the service time without queueing behind the others
