#!/usr/bin/env bash
# Password-reset requests: does the answer's duration tell a registered address from an unknown one?
#   bench/password-reset.sh [REQUESTS]      (default 300 of each, interleaved, after 100 of warm-up)
# Builds the jar (or uses JAR=…), starts VirtDevice on a fresh embedded PostgreSQL 16 (data in
# target/bench-reset-postgres), registers REQUESTS addresses, then times POST /api/v1/auth/password-reset
# with curl, alternating a registered address (each asked for once: the first request is the one that
# issues a link and mails it; the database caps links at 3 per 15 minutes) with an unknown one, and prints
# p50/p90/mean in ms for each and the difference of the means.
# Not part of `./mvnw verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-300}
APP_PORT=${APP_PORT:-18081}
PG_PORT=${PG_PORT:-55433}
DATA_DIR=target/bench-reset-postgres
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

if [ -z "${JAR:-}" ]; then
  ./mvnw -B -ntp -q -DskipTests package
  JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
fi
rm -rf "$DATA_DIR" target/bench-reset-outbox
"$JAVA_HOME/bin/java" -jar "$JAR" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
  --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT \
  --virtdevice.mail.outbox-directory=target/bench-reset-outbox > target/bench-reset-app.log 2>&1 &
APP=$!
trap 'kill $APP 2>/dev/null; wait $APP 2>/dev/null || true' EXIT
for i in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null && break
  sleep 1
done
curl -sf "http://127.0.0.1:$APP_PORT/actuator/health/readiness" >/dev/null || { echo "app did not start"; tail -50 target/bench-reset-app.log; exit 1; }

PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -d virtdevice"
HASHPW='$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmU'
RUN=$RANDOM$RANDOM
$PSQL -U virtdevice_app -At -c "select count(*) from generate_series(1, $REQUESTS + 100) g,
  lateral app.sign_up('Bench', 'bench-$RUN-' || g, 'known-$RUN-' || g || '@example.test', 'Bench', '$HASHPW', 2)" >/dev/null

JAR_COOKIES=target/bench-reset-cookies
BASE="http://127.0.0.1:$APP_PORT"
curl -s -c $JAR_COOKIES "$BASE/api/v1/auth/csrf" >/dev/null
XSRF=$(awk '$6 == "XSRF-TOKEN" { print $7 }' $JAR_COOKIES)
reset() {
  curl -s -o /dev/null -w '%{time_total}\n' -b $JAR_COOKIES -H "X-XSRF-TOKEN: $XSRF" \
    -H 'Content-Type: application/json' -d "{\"email\":\"$1\"}" "$BASE/api/v1/auth/password-reset"
}
for i in $(seq 1 100); do reset "known-$RUN-$((REQUESTS + i))@example.test" >/dev/null; reset "warmup-$i@example.test" >/dev/null; done
: > target/bench-reset-known.txt
: > target/bench-reset-unknown.txt
for i in $(seq 1 "$REQUESTS"); do
  reset "known-$RUN-$i@example.test" >> target/bench-reset-known.txt
  reset "nobody-$i-$RANDOM@example.test" >> target/bench-reset-unknown.txt
done
stats() {
  sort -n "$1" | awk '{ v[NR] = $1 * 1000; s += $1 * 1000 } END {
    printf "p50=%.2f p90=%.2f mean=%.3f", v[int(NR * 0.5)], v[int(NR * 0.9)], s / NR }'
}
mean() { awk '{ s += $1 * 1000 } END { printf "%.3f", s / NR }' "$1"; }
echo "known   (ms): $(stats target/bench-reset-known.txt)"
echo "unknown (ms): $(stats target/bench-reset-unknown.txt)"
echo "mean difference known - unknown: $(awk -v a="$(mean target/bench-reset-known.txt)" -v b="$(mean target/bench-reset-unknown.txt)" 'BEGIN { printf "%.3f ms", a - b }')"
