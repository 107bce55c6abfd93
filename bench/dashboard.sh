#!/usr/bin/env bash
# Dashboard pages: server time (time to first byte on loopback) of each main page for a user with 300 devices.
#   bench/dashboard.sh [REQUESTS]      (default 50 of each page, after 20 of warm-up)
# Builds the jar (or uses JAR=…), starts VirtDevice on a fresh embedded PostgreSQL 16 (data in
# target/bench-dashboard-postgres, self-hosted mode: 300 devices allowed), signs up a user, creates 300
# devices and some changes through the REST API, then times the pages with curl and prints p50/p90/max in
# ms. Not part of `./mvnw verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-50}
APP_PORT=${APP_PORT:-18082}
PG_PORT=${PG_PORT:-55434}
DATA_DIR=target/bench-dashboard-postgres
BASE=http://127.0.0.1:$APP_PORT
JAR_FILE=target/bench-dashboard-cookies
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

if [ -z "${JAR:-}" ]; then
  ./mvnw -B -ntp -q -DskipTests package
  JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
fi
rm -rf "$DATA_DIR" target/bench-dashboard-outbox "$JAR_FILE"
"$JAVA_HOME/bin/java" -jar "$JAR" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
  --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT \
  --virtdevice.mail.outbox-directory=target/bench-dashboard-outbox > target/bench-dashboard-app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null || true' EXIT
for i in $(seq 1 180); do
  curl -sf "$BASE/actuator/health/readiness" >/dev/null && break
  sleep 1
done
curl -sf "$BASE/actuator/health/readiness" >/dev/null || { echo "app did not start"; tail -50 target/bench-dashboard-app.log; exit 1; }

xsrf() { awk '$6 == "XSRF-TOKEN" { print $7 }' "$JAR_FILE"; }
call() { curl -s -c "$JAR_FILE" -b "$JAR_FILE" -H "X-XSRF-TOKEN: $(xsrf)" -H 'Content-Type: application/json' "$@"; }
curl -s -c "$JAR_FILE" -b "$JAR_FILE" "$BASE/api/v1/auth/csrf" >/dev/null
call -d '{"tenantName":"Bench","email":"bench@example.com","password":"correct horse battery staple"}' "$BASE/api/v1/auth/signup" >/dev/null
call -d '{"email":"bench@example.com","password":"correct horse battery staple"}' "$BASE/api/v1/auth/login" >/dev/null
types=(switch dimmer contact_sensor motion_sensor temperature_sensor doorbell)
for i in $(seq 1 300); do
  id=$(call -d "{\"name\":\"Device $i\",\"type\":\"${types[$((i % 6))]}\"}" "$BASE/api/v1/devices" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p' | head -1)
  [ "$i" -eq 1 ] && FIRST=$id
  [ "$((i % 6))" -eq 1 ] && call -X PUT -d '{"brightness":40,"power":true}' "$BASE/api/v1/devices/$id/properties" >/dev/null
done
for i in $(seq 1 30); do
  call -X PUT -d "{\"power\":$([ $((i % 2)) -eq 0 ] && echo true || echo false)}" "$BASE/api/v1/devices/$FIRST/properties" >/dev/null
done

time_page() {
  local path=$1
  for i in $(seq 1 20); do curl -s -o /dev/null -b "$JAR_FILE" "$BASE$path"; done
  for i in $(seq 1 "$REQUESTS"); do
    curl -s -o /dev/null -b "$JAR_FILE" -w '%{http_code} %{time_starttransfer}\n' "$BASE$path"
  done | awk -v page="$path" '
    $1 != 200 { bad++ } { t[NR] = $2 * 1000 }
    END { n = asort(t); printf "%-28s p50 %6.1f ms  p90 %6.1f ms  max %6.1f ms  (%d requests, %d not 200)\n",
          page, t[int(n * 0.5) + (n * 0.5 > int(n * 0.5))], t[int(n * 0.9) + (n * 0.9 > int(n * 0.9))], t[n], n, bad }'
}
echo "# $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for page in /devices /devices/$FIRST /activity /webhooks /api-keys /settings /team /connected-apps /integrations/alexa /; do
  time_page "$page"
done
