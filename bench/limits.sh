#!/usr/bin/env bash
# Benchmark: the published rate limits' overhead on the REST write path, with and without limits, in one run.
#   bench/limits.sh [SECONDS] [ROUNDS]     (default 20 s per measurement, 4 rounds)
#
# What "overhead" means here (docs/rate-limits.md, "What the limiter costs"):
#   overhead = (CPU per request with limits on − CPU per request with limits off) / CPU per request off,
#   where CPU per request = (the app JVM's CPU time + PostgreSQL's CPU time) over the measured window / the
#   requests answered in it. The app's CPU time is utime+stime of its JVM (/proc/PID/stat: every thread, GC
#   and JIT included); PostgreSQL's is the postmaster's and all its children's (backends, walwriter,
#   checkpointer, …; children that ended in the window are in the postmaster's cutime/cstime). Throughput is
#   printed too, but on this shared 2-core machine it moves 8–42 % between rounds of the same build, so it
#   cannot resolve a 5 % target; CPU per request is work done, which other tenants of the machine blur far
#   less (they slow a request, they do not make it execute more instructions).
#   The limiter's cost has a per-request part (the checks) and a per-second part: each bucket in use is
#   written to the store once per sync-interval whatever its traffic (34 buckets here: 32 devices', the
#   key's, the user's), so its share per request grows as throughput falls. Compare rounds whose modes ran
#   at similar tps; store_ops_per_s shows the per-second part. THINK_MS=N paces the measured load: each
#   connection waits N ms before its next request (bench/rest.lua), so both modes get about the same
#   offered rate (connections / (think + latency)) and the per-second costs divide alike; the JIT warm-up
#   stays unpaced.
#
# Builds the jar and starts VirtDevice on an embedded PostgreSQL 16 (data in target/bench-limits-postgres),
# creates a bench user with an API key and 32 dimmers, then starts a second app on the same database with
# the self-hosted plan's api-requests, device-changes and user-changes set so high (1e9 a minute) that
# nothing is refused: every request pays the checks (1 API-request bucket + 2 change buckets) and none is
# answered early. Both apps stay up for the whole run (no restart between modes, so each keeps its JIT
# state); each gets JIT_WARMUP seconds of load first, then the load alternates between them, ROUNDS times,
# in the order off,on then on,off (so neither mode always goes first). Each measurement is wrk with 16
# connections on PUT /api/v1/devices/{id}/properties (bench/rest.lua) for SECONDS after WARMUP seconds of
# the same load on that app.
# COMPARE_JAR=other.jar adds that build's off and on apps to the same database (four apps: jar off, jar on,
# other off, other on; order per round A-off A-on B-on B-off, then reversed), for a before/after of the
# limiter's overhead in one time window.
#
# Each line: tps/p50/p99, app_cpu_ms (the measured JVM's CPU per request), pg_cpu_ms (PostgreSQL's),
# total_cpu_ms (their sum), idle_cpu_ms (the other, idle apps' JVMs per request: background work, the same
# in every mode; not in the total), store_ops_per_req and _per_s (PostgreSQL: rows of rate_limit_buckets
# inserted or updated per request and per second; Redis: commands the server processed per request, the events bus's included, so
# compare with the "off" line), db_xacts_per_req (PostgreSQL transactions committed per request) and the
# load average at its start. After each round, the on/off ratios of app CPU per request, total CPU per
# request and throughput; at the end the means per build and mode, the overhead by CPU and by throughput,
# the median of the rounds' ratios, and the spread between rounds.
#
# LIMITS_BACKEND=redis measures the Redis buckets instead, on a private redis-server on REDIS_PORT (default
# 19199) started for the run, or on REDIS_URL when set (then store_ops counts everyone's commands). Every app
# gets the same Redis settings, so the events bus is the same in both modes and only the limits differ.
# LIMITS_EXTRA="--virtdevice.limits.local-share=0 ..." adds settings to the "on" apps, e.g. to measure the
# exact mode (every check asks the store) against the default local share (docs/rate-limits.md, "How exact").
# APP_JAVA_OPTS_ON="-XX:StartFlightRecording=filename=target/limits-on.jfr,settings=profile" goes to the
# "on" app of the jar (a CPU profile of the limiter); APP_JAVA_OPTS to every app.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-20}
ROUNDS=${2:-4}
JIT_WARMUP=${JIT_WARMUP:-60}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-16}
APP_PORT=${APP_PORT:-18082}
PG_PORT=${PG_PORT:-55434}
DATA_DIR=target/bench-limits-postgres
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)"; exit 1; }
command -v psql >/dev/null || { echo "psql is needed (apt-get install -y postgresql-client)"; exit 1; }

[ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -DskipTests package > target/bench-limits-build.log
JAR=${JAR:-$(ls target/virtdevice-*.jar | grep -v original | head -1)}
rm -rf "$DATA_DIR"
LIMITS=(--virtdevice.limits.plans.self-hosted.api-requests.limit=1000000000
        --virtdevice.limits.plans.self-hosted.api-requests.window=1m
        --virtdevice.limits.plans.self-hosted.device-changes.limit=1000000000
        --virtdevice.limits.plans.self-hosted.device-changes.window=1m
        --virtdevice.limits.plans.self-hosted.user-changes.limit=1000000000
        --virtdevice.limits.plans.self-hosted.user-changes.window=1m)
COMMON=(--LOG_FORMAT= --logging.level.root=WARN --spring.datasource.hikari.maximum-pool-size=32)
[ -n "${LIMITS_BACKEND:-}" ] && LIMITS+=(--virtdevice.limits.backend=$LIMITS_BACKEND)
REDIS_PID=
if [ "${LIMITS_BACKEND:-}" = redis ] && [ -z "${REDIS_URL:-}" ]; then
  command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install -y redis-server)"; exit 1; }
  REDIS_PORT=${REDIS_PORT:-19199}
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no > target/bench-limits-redis.log 2>&1 &
  REDIS_PID=$!
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
fi
[ -n "${REDIS_URL:-}" ] && COMMON+=(--spring.data.redis.url=$REDIS_URL)
# shellcheck disable=SC2206
[ -n "${LIMITS_EXTRA:-}" ] && LIMITS+=(${LIMITS_EXTRA})

# the apps: NAME → jar, mode, port, pid
NAMES=(A-off A-on)
[ -n "${COMPARE_JAR:-}" ] && NAMES+=(B-off B-on)
declare -A JAR_OF PORT_OF PID_OF
i=0
for name in "${NAMES[@]}"; do
  if [ "${name%-*}" = A ]; then JAR_OF[$name]=$JAR; else JAR_OF[$name]=$COMPARE_JAR; fi
  PORT_OF[$name]=$((APP_PORT + i)); i=$((i + 1))
done

stop_apps() { # the other apps first: the first one runs the embedded PostgreSQL
  for name in "${NAMES[@]}"; do
    [ "$name" = A-off ] || [ -z "${PID_OF[$name]:-}" ] || kill "${PID_OF[$name]}" 2>/dev/null || true
  done
  for name in "${NAMES[@]}"; do
    [ "$name" = A-off ] || [ -z "${PID_OF[$name]:-}" ] || wait "${PID_OF[$name]}" 2>/dev/null || true
  done
  [ -z "${PID_OF[A-off]:-}" ] || { kill "${PID_OF[A-off]}" 2>/dev/null || true; wait "${PID_OF[A-off]}" 2>/dev/null || true; }
}
trap 'stop_apps; [ -z "$REDIS_PID" ] || kill "$REDIS_PID" 2>/dev/null || true' EXIT

start_app() { # NAME (three tries: on a busy machine the embedded PostgreSQL may miss its 10 s start-up wait)
  local name=$1 extra=("${COMMON[@]}") opts=()
  [ "${name#*-}" = on ] && extra+=("${LIMITS[@]}")
  # shellcheck disable=SC2206
  opts=(${APP_JAVA_OPTS:-})
  # shellcheck disable=SC2206
  [ "$name" = A-on ] && opts+=(${APP_JAVA_OPTS_ON:-})
  if [ "$name" = A-off ]; then
    extra+=(--virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT)
  else
    pw() { awk -F: -v r="$1" '$4 == r { print $5 }' "$PGPASSFILE"; }
    extra+=(--spring.datasource.url=jdbc:postgresql://127.0.0.1:$PG_PORT/virtdevice
            --spring.datasource.username=virtdevice_app --spring.datasource.password="$(pw virtdevice_app)"
            --spring.flyway.url=jdbc:postgresql://127.0.0.1:$PG_PORT/virtdevice
            --spring.flyway.user=virtdevice_owner --spring.flyway.password="$(pw virtdevice_owner)"
            --virtdevice.database.embedded.enabled=false)
  fi
  local log=target/bench-limits-app-$name.log
  for _ in 1 2 3; do
    "$JAVA_HOME/bin/java" "${opts[@]}" -jar "${JAR_OF[$name]}" --server.port=${PORT_OF[$name]} "${extra[@]}" > "$log" 2>&1 &
    PID_OF[$name]=$!
    for _ in $(seq 1 240); do
      curl -sf "http://127.0.0.1:${PORT_OF[$name]}/actuator/health/readiness" >/dev/null && return 0
      kill -0 "${PID_OF[$name]}" 2>/dev/null || break
      grep -q "Application run failed" "$log" && break
      sleep 1
    done
    kill "${PID_OF[$name]}" 2>/dev/null || true; wait "${PID_OF[$name]}" 2>/dev/null || true
  done
  echo "app $name did not start"; tail -50 "$log"; exit 1
}

start_app A-off
export PGPASSFILE="$PWD/$DATA_DIR/virtdevice.pgpass"
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -d virtdevice"
KEY="vdk_bench$(head -c 24 /dev/urandom | base64 | tr -d '/+=' )"
HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
HASHPW='$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmU'
IDS=$($PSQL -U virtdevice_app -At -F' ' -c "select tenant_id, user_id from app.sign_up('Bench', 'bench-$RANDOM$RANDOM', 'bench-$RANDOM$RANDOM@example.test', 'Bench', '$HASHPW', 2)")
read -r TENANT USER_ID <<<"$IDS"
$PSQL -U postgres -c "update subscriptions set max_devices = 200 where user_id = '$USER_ID'"
$PSQL -U postgres -c "insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes) values ('$TENANT', '$USER_ID', 'bench', 'vdk_bench', decode('$HASH', 'hex'), '{read,write}')"
DEVICES=$("$JAVA_HOME/bin/java" bench/RestLoad.java "http://127.0.0.1:${PORT_OF[A-off]}" "$KEY" $((2 * CONNECTIONS)) 0 0 devices)
IDS_CSV=$(echo "$DEVICES" | head -$((2 * CONNECTIONS)) | paste -sd, -)
for name in "${NAMES[@]}"; do
  [ "$name" = A-off ] || start_app "$name"
done
POSTMASTER=$(head -1 "$DATA_DIR/postmaster.pid")
TICK_MS=$(awk -v hz="$(getconf CLK_TCK)" 'BEGIN { print 1000 / hz }')

wrk_line() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /requests in/ { n = $1 } /^Requests\/sec/ { tps = $2 }
    /Non-2xx/ { err += $NF } /Socket errors/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { printf "tps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n", tps, p50, p99, n, err }'
}
# CPU clock ticks (utime+stime) of: each app JVM (every thread), and PostgreSQL (the postmaster, its live
# children, and the children it has reaped: cutime+cstime). /proc/PID/stat with "pid (comm) " cut off:
# $2 state, $3 ppid, $13 utime, $14 stime, $15 cutime, $16 cstime.
cpu_ticks() { # prints "PG_TICKS NAME=TICKS ..."
  cat /proc/[0-9]*/stat 2>/dev/null | sed 's/^\([0-9]*\) (.*) /\1 /' | awk -v pm="$POSTMASTER" -v apps="$(
    for name in "${NAMES[@]}"; do printf '%s=%s ' "${PID_OF[$name]}" "$name"; done)" '
    BEGIN { n = split(apps, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); app[kv[1]] = kv[2] } }
    $1 == pm { pg += $13 + $14 + $15 + $16 } $3 == pm { pg += $13 + $14 }
    $1 in app { t[app[$1]] = $13 + $14 }
    END { printf "%d", pg; for (p in app) printf " %s=%d", app[p], t[app[p]]; print "" }'
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
run() { # NAME SECONDS [--latency]
  VD_THINK_MS=${THINK:-} VD_KEY=$KEY VD_DEVICES=$IDS_CSV VD_THREADS=2 wrk -t2 -c$CONNECTIONS -d${2}s ${3:-} -s bench/rest.lua "http://127.0.0.1:${PORT_OF[$1]}"
}
measure() { # NAME ROUND: one line (see the header)
  local name=$1 round=$2 load c0 c1 ops0 ops1 x0 x1 line THINK=${THINK_MS:-}
  [ "$WARMUP" -gt 0 ] && run "$name" "$WARMUP" >/dev/null
  load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)
  ops0=$(store_ops); x0=$(db_xacts); c0=$(cpu_ticks)
  line=$(run "$name" "$SECONDS_PER_RUN" --latency | wrk_line)
  c1=$(cpu_ticks)
  sleep 1 # PostgreSQL publishes its statistics within a second
  ops1=$(store_ops); x1=$(db_xacts)
  echo "$line" | awk -v name="$name" -v round="$round" -v c0="$c0" -v c1="$c1" -v tick="$TICK_MS" \
    -v o=$((ops1 - ops0)) -v x=$((x1 - x0)) -v loadavg="$load" -v secs="$SECONDS_PER_RUN" '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
    END {
      n = f["requests"]; split(c0, a, " "); split(c1, b, " ")
      pg = (b[1] - a[1]) * tick; idle = 0
      for (i = 2; i in a; i++) { split(a[i], p, "="); before[p[1]] = p[2] }
      for (i = 2; i in b; i++) { split(b[i], q, "="); d = (q[2] - before[q[1]]) * tick
        if (q[1] == name) app = d; else idle += d }
      split(name, nm, "-")
      printf "round=%d build=%s limits=%s %s app_cpu_ms=%.3f pg_cpu_ms=%.3f total_cpu_ms=%.3f idle_cpu_ms=%.3f store_ops_per_req=%.3f store_ops_per_s=%.1f db_xacts_per_req=%.2f load=%s\n",
        round, nm[1], nm[2], $0, app / n, pg / n, (app + pg) / n, idle / n, o / n, o / secs, x / n, loadavg }'
}

echo "# $(date -u +%FT%TZ) $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# A: ${JAR}${COMPARE_JAR:+; B: $COMPARE_JAR}"
echo "# ${SECONDS_PER_RUN}s per measurement after ${WARMUP}s of warm-up (each app: ${JIT_WARMUP}s JIT warm-up first), c=$CONNECTIONS, $ROUNDS rounds, all apps up on one database"
[ -n "${THINK_MS:-}" ] && echo "# paced: each connection waits ${THINK_MS} ms between requests"
echo "# backend: ${LIMITS_BACKEND:-auto}${REDIS_URL:+ ($REDIS_URL, every app)}; on-mode settings: ${LIMITS[*]}"
echo "# (the local share and sync interval are application.yaml's unless LIMITS_EXTRA sets them)"
echo "# CPU figures are milliseconds of CPU per request: app = the measured JVM, pg = PostgreSQL, total = app + pg"
for name in "${NAMES[@]}"; do run "$name" "$JIT_WARMUP" >/dev/null; done
RESULTS=()
for round in $(seq 1 "$ROUNDS"); do
  ORDER=("${NAMES[@]}")
  [ ${#NAMES[@]} = 4 ] && ORDER=(A-off A-on B-on B-off)
  if [ $((round % 2)) = 0 ]; then
    REV=(); for ((j = ${#ORDER[@]} - 1; j >= 0; j--)); do REV+=("${ORDER[j]}"); done; ORDER=("${REV[@]}")
  fi
  ROUND=()
  for name in "${ORDER[@]}"; do
    LINE=$(measure "$name" "$round")
    echo "$LINE"
    ROUND+=("$LINE")
  done
  RESULTS+=("${ROUND[@]}")
  printf '%s\n' "${ROUND[@]}" | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      k = f["build"] "-" f["limits"]; tps[k] = f["tps"]; app[k] = f["app_cpu_ms"]; tot[k] = f["total_cpu_ms"]; b[f["build"]] = 1 }
    END { for (x in b) printf "round=%d build=%s on/off: app_cpu/req %.3f total_cpu/req %.3f (overhead %+.1f%%) throughput %.3f\n",
      '"$round"', x, app[x "-on"] / app[x "-off"], tot[x "-on"] / tot[x "-off"], 100 * (tot[x "-on"] / tot[x "-off"] - 1), tps[x "-on"] / tps[x "-off"] }' | sort
done
echo "# $(date -u +%FT%TZ) load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${RESULTS[@]}" | awk '
  function median(arr, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) { t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2 }
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    k = f["build"] "-" f["limits"]; b[f["build"]] = 1; n[k]++; r = f["round"]
    tps[k] += f["tps"]; p50[k] += f["p50_ms"]; p99[k] += f["p99_ms"]; app[k] += f["app_cpu_ms"]; pg[k] += f["pg_cpu_ms"]; tot[k] += f["total_cpu_ms"]
    T[k, r] = f["total_cpu_ms"]; A[k, r] = f["app_cpu_ms"]; P[k, r] = f["tps"]; R[r] = 1
    if (!(k in lo) || f["tps"] < lo[k]) lo[k] = f["tps"]; if (!(k in hi) || f["tps"] > hi[k]) hi[k] = f["tps"]
    if (!(k in clo) || f["total_cpu_ms"] < clo[k]) clo[k] = f["total_cpu_ms"]; if (!(k in chi) || f["total_cpu_ms"] > chi[k]) chi[k] = f["total_cpu_ms"] }
  END {
    for (x in b) {
      for (m = 0; m < 2; m++) { k = x (m ? "-on" : "-off"); c = n[k]
        printf "mean build=%s limits=%-3s tps=%.0f p50_ms=%.2f p99_ms=%.2f app_cpu_ms=%.3f pg_cpu_ms=%.3f total_cpu_ms=%.3f (rounds: %d; spread between rounds: tps %.1f%%, total_cpu %.1f%%)\n",
          x, m ? "on" : "off", tps[k] / c, p50[k] / c, p99[k] / c, app[k] / c, pg[k] / c, tot[k] / c, c, 100 * (hi[k] - lo[k]) * c / tps[k], 100 * (chi[k] - clo[k]) * c / tot[k] }
      on = x "-on"; off = x "-off"; m = 0
      for (r in R) if ((on, r) in T && (off, r) in T) { m++; rt[m] = T[on, r] / T[off, r]; ra[m] = A[on, r] / A[off, r]; rp[m] = P[on, r] / P[off, r] }
      printf "build=%s overhead by CPU/request: %+.1f%% of total (app+pg) CPU per request (means; median of the rounds %+.1f%%); app CPU/request on/off %.3f (median %.3f); extra CPU per request %.3f ms\n",
        x, 100 * (tot[on] / n[on] / (tot[off] / n[off]) - 1), 100 * (median(rt, m) - 1), (app[on] / n[on]) / (app[off] / n[off]), median(ra, m), tot[on] / n[on] - tot[off] / n[off]
      printf "build=%s overhead by throughput: %+.1f%% (on/off %.3f of the means; median of the rounds %.3f); p50 %+.1f%%, p99 %+.1f%% (target: within 5%%)\n",
        x, 100 * (1 - (tps[on] / n[on]) / (tps[off] / n[off])), (tps[on] / n[on]) / (tps[off] / n[off]), median(rp, m), 100 * (p50[on] / p50[off] - 1), 100 * (p99[on] / p99[off] - 1)
    }
  }' | sort
