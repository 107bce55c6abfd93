#!/usr/bin/env bash
# Benchmark: two app instances behind PgBouncer in transaction mode against two instances connected
# directly, same run, same server (issue 14 §4).
#   bench/pgbouncer.sh [SECONDS]    (default 15 s per measurement after WARMUP=5 s; JIT_WARMUP=40 s per instance)
# A private PostgreSQL 16 cluster (bench/lib-pg.sh; port $PG_PORT, shared with bench/scale.sh), database
# vd_bouncer, and Debian's pgbouncer (apt-get install -y pgbouncer) on $BOUNCER_PORT in transaction mode
# (default_pool_size 32, the app pools' size). Four instances run at once on the same database:
#   pooled-a, pooled-b  pool through PgBouncer (prepareThreshold=0: PgBouncer 1.18 keeps no prepared
#                       statements across transactions); LISTEN, the lease-owner lock and Flyway direct
#   direct-a, direct-b  pool straight to the server (pgjdbc's default server-side prepared statements)
# A bench user with 300 devices (128 switches); REST PUT …/properties, half the connections on each
# instance of a pair (c=16 and c=64 in all), ROUNDS (2) alternating rounds; prints each pair's tps, p50,
# p99 and the ratio pooled/direct, with `uptime`. Not part of `./mvnw verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-15}
WARMUP=${WARMUP:-5}
JIT_WARMUP=${JIT_WARMUP:-40}
ROUNDS=${ROUNDS:-2}
PG_PORT=${PG_PORT:-55440}
BOUNCER_PORT=${BOUNCER_PORT:-55450}
APP_PORT=${APP_PORT:-18310}
PG_DIR=${PG_DIR:-$PWD/target/scale-pg}
OUT=target/bench-pgbouncer
DB=vd_bouncer
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
PGBOUNCER=$(command -v pgbouncer || ls /usr/sbin/pgbouncer 2>/dev/null || true)
[ -n "$PGBOUNCER" ] || { echo "pgbouncer is needed (apt-get install -y pgbouncer)"; exit 1; }
for tool in wrk psql; do command -v $tool >/dev/null || { echo "$tool is needed"; exit 1; }; done
mkdir -p $OUT && chmod 755 $OUT
stamp() { echo "# $(date -u +%T) $*; load:$(uptime | sed 's/.*load average://')"; }
# shellcheck source=bench/lib-pg.sh
. bench/lib-pg.sh

if [ -z "${JAR:-}" ]; then
  [ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -q -DskipTests -DskipITs package
  JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
fi
private_pg $PG_PORT "$PG_DIR"
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT"
$PSQL -U postgres -d postgres -c "drop database if exists $DB with (force)" -c "create database $DB owner virtdevice_owner" 2>/dev/null

# the server trusts local connections, so PgBouncer does too (the names must still be in its auth_file)
printf '"virtdevice_app" ""\n' > $OUT/userlist.txt
cat > $OUT/pgbouncer.ini <<INI
[databases]
$DB = host=127.0.0.1 port=$PG_PORT dbname=$DB
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PWD/$OUT/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 32
ignore_startup_parameters = extra_float_digits
stats_users = virtdevice_app
$([ "$(id -u)" -eq 0 ] && echo "user = nobody")
INI
chmod 644 $OUT/userlist.txt $OUT/pgbouncer.ini
"$PGBOUNCER" $OUT/pgbouncer.ini > $OUT/pgbouncer.log 2>&1 &
BOUNCER=$!
PIDS=()
trap 'kill ${PIDS[@]+"${PIDS[@]}"} $BOUNCER 2>/dev/null; wait 2>/dev/null || true' EXIT

DIRECT="jdbc:postgresql://127.0.0.1:$PG_PORT/$DB"
POOLED="jdbc:postgresql://127.0.0.1:$BOUNCER_PORT/$DB?prepareThreshold=0"
start() { # NAME PORT DATASOURCE_URL
  "$JAVA_HOME/bin/java" -jar "$JAR" --server.port=$2 --LOG_FORMAT= --logging.level.root=WARN \
    --spring.datasource.url="$3" --spring.datasource.username=virtdevice_app --spring.datasource.password=unused \
    --spring.flyway.url="$DIRECT" --spring.flyway.user=virtdevice_owner --spring.flyway.password=unused \
    --virtdevice.events.listen-url="$DIRECT" --spring.datasource.hikari.maximum-pool-size=32 \
    --db-scheduler.scheduler-name="$1" --virtdevice.crypto.secret-key-file=$OUT/secret.key > $OUT/app-$1.log 2>&1 &
  PIDS+=($!)
}
ready() { # PORT
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$1/actuator/health/readiness" >/dev/null && return 0
    sleep 1
  done
  echo "app on $1 did not start"; exit 1
}
# the first instance migrates alone; then the other three
start pooled-a $APP_PORT "$POOLED"; ready $APP_PORT
start pooled-b $((APP_PORT + 1)) "$POOLED"
start direct-a $((APP_PORT + 2)) "$DIRECT"
start direct-b $((APP_PORT + 3)) "$DIRECT"
for p in 1 2 3; do ready $((APP_PORT + p)); done

read -r KEY _ _ <<<"$(bench_user "$PSQL" $DB)"
DEVICES=$("$JAVA_HOME/bin/java" bench/AlexaLoad.java devices "http://127.0.0.1:$APP_PORT" "$KEY" 128 300 | cut -d' ' -f1)

pair() { # FIRST_PORT CONNECTIONS SECONDS: wrk on both instances at once, half the connections (and devices) each
  local c=$(( $2 / 2 )) out1 out2
  export VD_MODE=put VD_KEY=$KEY VD_THREADS=1
  VD_TARGETS=$(echo "$DEVICES" | head -$c | paste -sd, -) \
    wrk -t1 -c$c -d${3}s --latency -s bench/alexa.lua "http://127.0.0.1:$1" > $OUT/wrk1.txt &
  local w1=$!
  VD_TARGETS=$(echo "$DEVICES" | sed -n "$((c + 1)),$((2 * c))p" | paste -sd, -) \
    wrk -t1 -c$c -d${3}s --latency -s bench/alexa.lua "http://127.0.0.1:$(( $1 + 1 ))" > $OUT/wrk2.txt
  wait $w1
  out1=$(wrk_line < $OUT/wrk1.txt); out2=$(wrk_line < $OUT/wrk2.txt)
  echo "$out1|$out2" | awk -F'|' '
    { split($1, a, " "); split($2, b, " ")
      for (i in a) { split(a[i], x, "="); A[x[1]] = x[2] } for (i in b) { split(b[i], y, "="); B[y[1]] = y[2] }
      printf "tps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n", A["tps"] + B["tps"], (A["p50_ms"] + B["p50_ms"]) / 2,
             (A["p99_ms"] > B["p99_ms"] ? A["p99_ms"] : B["p99_ms"]), A["errors"] + B["errors"] }'
}

stamp "JIT warm-up"
pair $APP_PORT 16 $JIT_WARMUP >/dev/null
pair $((APP_PORT + 2)) 16 $JIT_WARMUP >/dev/null
: > $OUT/results.txt
for r in $(seq 1 "$ROUNDS"); do
  for c in 16 64; do
    order="pooled direct"
    [ $((r % 2)) -eq 0 ] && order="direct pooled"
    for kind in $order; do
      port=$APP_PORT
      [ $kind = direct ] && port=$((APP_PORT + 2))
      pair $port $c $WARMUP >/dev/null
      line="$kind c=$c $(pair $port $c $SECONDS_PER_RUN)"
      echo "$line" | tee -a $OUT/results.txt
    done
  done
  stamp "round $r done"
done
for c in 16 64; do
  awk -v c="c=$c" '$2 == c { split($3, t, "="); s[$1] += t[2]; n[$1]++ }
    END { printf "ratio %s pooled/direct=%.1f%% (mean tps %.0f vs %.0f over %d rounds)\n", c,
                 100 * s["pooled"] / s["direct"], s["pooled"] / n["pooled"], s["direct"] / n["direct"], n["direct"] }' $OUT/results.txt
done
# the pooled instances' requests went through PgBouncer (its admin console answers psql, not pgjdbc)
echo "# PgBouncer: $(psql -X -h 127.0.0.1 -p $BOUNCER_PORT -U virtdevice_app -d pgbouncer -At -F' ' -c 'show stats' | awk -v db=$DB '$1 == db { print "transactions=" $2 " queries=" $3 }'); server connections of app role: $($PSQL -U postgres -d $DB -Atc "select count(*) from pg_stat_activity where datname = '$DB' and usename = 'virtdevice_app'") (2 direct pools of 32, 4 LISTEN and lease-owner sessions, and PgBouncer's pool of at most 32)"
