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
# and machine load; then the new SQL replay once, and a "summary" line per build (mean tps, REST/new-sql, mean app
# and PostgreSQL CPU per request). APP_JAVA_OPTS2 (default APP_JAVA_OPTS) goes to the second app only, so one jar
# against itself with -Dsome.property=… compares a setting. APP_JAVA_OPTS="…" goes to the app's JVM (and the
# second one's), e.g. APP_JAVA_OPTS="-XX:StartFlightRecording=filename=target/bench-app.jfr,settings=profile" for
# a CPU profile.
# SQL_PARTS=1 measures only the replays, the new one also cut down part by part (bench/write-path-parts/): each
# part's PostgreSQL CPU per change (see the block before LOG_SQL below).
# LOG_SQL=N prints the protocol messages the app's driver sends (pgjdbc's own trace log: Parse, Bind, Execute,
# Sync) for 2N REST changes made one after another, after 30 others (past pgjdbc's prepare threshold), with the
# round trips per thread, and stops. (The embedded PostgreSQL's own log is not kept anywhere readable.)
# CPU per request (issue 14, h-restpath): every REST run is followed by a "cpu …" line, the CPU time (utime+stime
# from /proc, over the measured window only, divided by its requests) of the app's JVM (all its threads: requests,
# GC, JIT), of PostgreSQL (the postmaster and all its children, exited ones included through cutime/cstime), of
# the load client (wrk) and of everything else on the machine (other work, /proc/stat's busy time less those), and
# the bound they put on REST: cores × 1000 / (app + pg + client) ms = the most requests/s the machine could serve
# if nothing else ran. Each pgbench replay gets the same line (pg + pgbench client per transaction).
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
trap 'kill $APP $APP2 2>/dev/null; wait $APP $APP2 2>/dev/null || true; rm -rf "${CPU_TMP:-}"' EXIT
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

# CPU accounting: ticks (1/CLK_TCK s) of utime+stime of a process and, with its reaped children, cutime+cstime
TICK_MS=$(awk -v t="$(getconf CLK_TCK)" 'BEGIN { print 1000 / t }')
CORES=$(nproc)
PG_PID=$(head -1 "$DATA_DIR/postmaster.pid" 2>/dev/null || true)
proc_ticks() { # PID [WITH_CHILDREN] -> ticks (0 if gone); the command name is skipped up to its last ')'
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  echo "${stat##*) }" | awk -v c="${2:-0}" '{ print $12 + $13 + (c ? $14 + $15 : 0) }'
}
pg_ticks() { # the postmaster, its live children and (through its cutime/cstime) its exited ones
  [ -n "$PG_PID" ] || { echo 0; return; }
  local total child
  total=$(proc_ticks "$PG_PID" 1)
  for child in $(cat /proc/"$PG_PID"/task/*/children 2>/dev/null); do
    total=$((total + $(proc_ticks "$child" 1)))
  done
  echo "$total"
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }  # user nice system irq softirq steal
# The load client's CPU: bash's `times` (this shell's waited-for children, in ms) written to a file by the
# shell that ran the client, since a command substitution would be a fresh process with no children.
CPU_TMP=$(mktemp -d)
children_ms() { awk 'END { n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } print int(n * 1000) }' "$1"; }
# "APP PG CLIENT BUSY SECONDS" now into FILE: ticks, ticks, ms, ticks, wall clock (APP 0 without an app pid)
cpu_snapshot() { # FILE [APP_PID]
  times > "$1.times"  # not in a pipeline: that would be a fresh process without children
  echo "$( [ -n "${2:-}" ] && proc_ticks "$2" || echo 0) $(pg_ticks) $(children_ms "$1.times") $(busy_ticks) $(date +%s.%N)" > "$1"
}
# two snapshots and a count -> "cpu … app_ms=… pg_ms=… client_ms=… other_ms=… … bound_tps=…" (ms per request)
cpu_line() { # WHAT BEFORE_FILE AFTER_FILE COUNT
  echo "$(cat "$2") $(cat "$3")" | awk -v what="$1" -v n="$4" -v tick="$TICK_MS" -v cores="$CORES" '
    { app = ($6 - $1) * tick; pg = ($7 - $2) * tick; cl = $8 - $3; busy = ($9 - $4) * tick; window = $10 - $5
      other = busy - app - pg - cl; if (other < 0) other = 0
      if (n <= 0 || window <= 0) { print "cpu " what " (no requests)"; exit }
      per = app + pg + cl
      printf "cpu %s app_ms=%.3f pg_ms=%.3f client_ms=%.3f other_ms=%.3f per %s; cores busy %.0f%% (%d cores), other work %.0f%% of it; bound_tps=%.0f (%d cores x 1000 / (app+pg+client))\n",
        what, app / n, pg / n, cl / n, other / n, (what ~ /^sql/ ? "transaction" : "request"),
        100 * busy / (cores * 1000 * window), cores, (busy > 0 ? 100 * other / busy : 0), cores * 1000 * n / per, cores }'
}

# wrk's --latency report -> "tps=… p50_ms=… p99_ms=… requests=… errors=…"
wrk_line() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /requests in/ { n = $1 } /^Requests\/sec/ { tps = $2 }
    /Non-2xx/ { err += $NF } /Socket errors/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { printf "tps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n", tps, p50, p99, n, err }'
}

# the JVM that serves APP_PORT (the second app's in an A/B run)
app_pid() { if [ -n "${APP_PORT2:-}" ] && [ "$APP_PORT" = "$APP_PORT2" ]; then echo "$APP2"; else echo "$APP"; fi; }

rest_run() { # CONCURRENCY SECONDS
  if command -v wrk >/dev/null; then
    local threads=2
    [ "$1" -lt 2 ] && threads=1
    local ids
    ids=$(echo "$DEVICES" | head -$((2 * $1)) | paste -sd, -)
    VD_KEY=$KEY VD_DEVICES=$ids VD_THREADS=$threads wrk -t$threads -c$1 -d${WARMUP}s -s bench/rest.lua "http://127.0.0.1:$APP_PORT" >/dev/null
    local line
    cpu_snapshot "$CPU_TMP/before" "$(app_pid)"
    VD_KEY=$KEY VD_DEVICES=$ids VD_THREADS=$threads wrk -t$threads -c$1 -d${2}s --latency -s bench/rest.lua "http://127.0.0.1:$APP_PORT" > "$CPU_TMP/wrk"
    cpu_snapshot "$CPU_TMP/after" "$(app_pid)"
    line=$(wrk_line < "$CPU_TMP/wrk")
    echo "rest c=$1 $line"
    if [ "$2" -gt 1 ]; then
      cpu_line "rest c=$1" "$CPU_TMP/before" "$CPU_TMP/after" "$(echo "$line" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')"
    fi
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
  local line
  cpu_snapshot "$CPU_TMP/before" "$(app_pid)"
  wrk -t2 -c$1 -d${2}s --latency "http://127.0.0.1:$APP_PORT/api/v1/device-types" > "$CPU_TMP/wrk"
  cpu_snapshot "$CPU_TMP/after" "$(app_pid)"
  line=$(wrk_line < "$CPU_TMP/wrk")
  echo "floor c=$1 $line (GET /api/v1/device-types: no database, no auth)"
  cpu_line "floor c=$1" "$CPU_TMP/before" "$CPU_TMP/after" "$(echo "$line" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')"
}

# The SQL ceiling: the same statements the app sends per request, replayed by pgbench as the app role.
$PSQL -U postgres -c "create table bench.rest_devices (client int primary key, id uuid not null); grant usage on schema bench to virtdevice_app; grant select on bench.rest_devices to virtdevice_app"
echo "$DEVICES" | head -64 | awk '{ printf "insert into bench.rest_devices values (%d, '\''%s'\'');\n", NR - 1, $1 }' | $PSQL -U postgres
# The JSON texts the app binds for one change of a switch's power (Jackson's text): the one-round-trip replay sends
# them as parameters, as the app does; the baseline replay builds its own with functions and ignores them.
SQL_JSON=(-D 'changes=[{"new":true,"old":false,"property":"power"}]' -D 'snapshot={"power":true}'
          -D 'details={"name":"bench","changes":[{"property":"power","old":false,"new":true}]}')
sql_run() { # CONCURRENCY SECONDS [SCRIPT]: the baseline replay (bench/rest-transaction.sql) unless SCRIPT is given
  local script=${3:-bench/rest-transaction.sql} v=1000000 before after out
  # the two-round-trip replay writes only at the version it expects: every bench device starts at $v
  $PSQL -U postgres -c "update devices set version = $v where id in (select id from bench.rest_devices)"
  pgbench -h 127.0.0.1 -p $PG_PORT -U virtdevice_app -n -M prepared -c $1 -j 2 -T $WARMUP -D tenant=$TENANT -D user=$USER_ID \
    -D v=$v "${SQL_JSON[@]}" -f $script virtdevice >/dev/null 2>&1
  $PSQL -U postgres -c "update devices set version = $v where id in (select id from bench.rest_devices)"
  before=$($PSQL -U postgres -At -c "select count(*) from device_events")
  cpu_snapshot "$CPU_TMP/before"
  pgbench -h 127.0.0.1 -p $PG_PORT -U virtdevice_app -n -M prepared -c $1 -j 2 -T $2 -D tenant=$TENANT -D user=$USER_ID \
    -D v=$v "${SQL_JSON[@]}" -f $script virtdevice > "$CPU_TMP/pgbench" 2>&1 || true
  sleep 0.3  # the backends exit after pgbench: let the postmaster reap them (their CPU moves to its cutime)
  cpu_snapshot "$CPU_TMP/after"
  out=$(cat "$CPU_TMP/pgbench")
  after=$($PSQL -U postgres -At -c "select count(*) from device_events")
  echo "sql c=$1 tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p') latency_avg_ms=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\).*/\1/p') failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p') events_written=$((after - before))/$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p') (pgbench replay of the request's SQL: $script)"
  cpu_line "sql c=$1 ${script##*/}" "$CPU_TMP/before" "$CPU_TMP/after" "$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')"
}

# SQL_PARTS=1: only the replays, no REST: at each concurrency (SQL_PARTS_CONCURRENCY, default "16 64"), ROUNDS
# (default 3) rounds of the baseline, the new replay and the new replay cut down part by part
# (bench/write-path-parts/), each run as sql_run does; then the mean PostgreSQL CPU per transaction of each and
# the differences, which are each part's cost per change (docs/decisions.md, "The write path's database cost per
# change"). The app runs meanwhile, as in the other runs (its relay reads the events written).
if [ -n "${SQL_PARTS:-}" ]; then
  echo "# $(date -u +%FT%TZ) $(nproc) cores; write path by part, ${SECONDS_PER_RUN}s per run after ${WARMUP}s warm-up"
  PART_SCRIPTS="bench/rest-transaction.sql bench/rest-transaction-one-round-trip.sql bench/write-path-parts/without-activity.sql
    bench/write-path-parts/devices-properties.sql bench/write-path-parts/devices.sql bench/write-path-parts/context.sql"
  for C in ${SQL_PARTS_CONCURRENCY:-16 64}; do
    for round in $(seq 1 "${ROUNDS:-3}"); do
      echo "# c=$C round $round load average $(cut -d' ' -f1-3 /proc/loadavg)"
      for script in $PART_SCRIPTS; do
        sql_run $C $SECONDS_PER_RUN $script | tee -a "$CPU_TMP/parts-$C"
      done
    done
    awk -v c="$C" '
      /^sql c=/ { for (i = 1; i <= NF; i++) if ($i ~ /^tps=/) { split($i, kv, "="); last_tps = kv[2] } }
      /^cpu sql/ { name = $4; for (i = 1; i <= NF; i++) if ($i ~ /^pg_ms=/) { split($i, kv, "="); pg[name] += kv[2]; n[name]++ }
                   tps[name] += last_tps }
      function m(k) { return n[k] ? pg[k] / n[k] : 0 }
      END {
        base = m("rest-transaction.sql"); full = m("rest-transaction-one-round-trip.sql"); noact = m("without-activity.sql")
        dp = m("devices-properties.sql"); dev = m("devices.sql"); ctx = m("context.sql")
        printf "parts c=%d pg_ms per change (means of %d rounds): baseline %.3f, new %.3f (%.2fx; tps %.2fx)\n", c,
          n["rest-transaction.sql"], base, full, (full > 0 ? base / full : 0),
          (tps["rest-transaction.sql"] > 0 ? tps["rest-transaction-one-round-trip.sql"] / tps["rest-transaction.sql"] : 0)
        printf "parts c=%d new = context %.3f + version bump and commit %.3f + properties %.3f + device_events row %.3f + activity entry %.3f; the baseline'"'"'s own statements %.3f\n",
          c, ctx, dev - ctx, dp - dev, noact - dp, full - noact, base - full
      }' "$CPU_TMP/parts-$C"
  done
  exit 0
fi

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
        rest_run_with_paths $C $SECONDS_PER_RUN | sed "s|\$| ($(label))|" | tee -a "$CPU_TMP/ab-$C"
      done
    done
    # the new SQL ceiling in the same window, and each build's mean REST tps and app CPU against it
    NEW=$(sql_run $C $SECONDS_PER_RUN bench/rest-transaction-one-round-trip.sql)
    echo "$NEW"
    NEW_TPS=$(echo "$NEW" | head -1 | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')
    for l in "${JAR##*/}" "COMPARE_JAR ${COMPARE_JAR##*/}"; do
      grep -F "($l)" "$CPU_TMP/ab-$C" | awk -v n="$NEW_TPS" -v c="$C" -v l="$l" '
        /^rest / { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "tps") { t += kv[2]; k++ } if (kv[1] == "p99_ms") { p = p " " kv[2] } } }
        /^cpu / { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "app_ms") { a += kv[2]; m++ } if (kv[1] == "pg_ms") { g += kv[2] } } }
        END { if (k && m) printf "summary c=%d %s: rest mean tps=%.0f (p99_ms:%s) rest/new-sql=%.1f%% app_ms=%.3f pg_ms=%.3f per request (means of %d runs)\n", c, l, t / k, p, 100 * t / k / n, a / m, g / m, k }'
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
  SQL_TPS=$(echo "$SQL" | head -1 | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')
  awk -v s="$SQL_TPS" -v p="$PG_TPS" -v r="$REST_TPS" -v c="$C" 'BEGIN { printf "ratio c=%d sql/pgbench=%.1f%% rest/sql=%.1f%%\n", c, 100 * s / p, 100 * r / s }'
  # issue 14: the write path in one round trip, against the baseline replay just measured
  NEW=$(sql_run $C $SECONDS_PER_RUN bench/rest-transaction-one-round-trip.sql)
  echo "$NEW"
  NEW_TPS=$(echo "$NEW" | head -1 | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')
  awk -v n="$NEW_TPS" -v s="$SQL_TPS" -v r="$REST_TPS" -v c="$C" 'BEGIN { printf "ratio c=%d new-sql/baseline-sql=%.2fx rest/new-sql=%.1f%%\n", c, n / s, 100 * r / n }'
  FLOOR=$(floor_run $C $SECONDS_PER_RUN)
  if [ -n "$FLOOR" ]; then
    echo "$FLOOR"
    FLOOR_TPS=$(echo "$FLOOR" | head -1 | sed -n 's/.*tps=\([0-9.]*\).*/\1/p')
    awk -v f="$FLOOR_TPS" -v p="$PG_TPS" -v r="$REST_TPS" -v c="$C" 'BEGIN { printf "ratio c=%d floor/pgbench=%.1f%% rest/floor=%.1f%%\n", c, 100 * f / p, 100 * r / f }'
  fi
done
