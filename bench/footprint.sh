#!/usr/bin/env bash
# Footprint of one instance with the embedded PostgreSQL (issue 14 section 3, issue 15 section 4):
#   bench/footprint.sh            each JVM configuration below, RUNS=2 times, alternating, on one data directory
# For each start it prints:
#   ready_s   seconds from `java` to /actuator/health/readiness UP (the data directory is initialised and
#             holds 1 user with 1,000 devices; the zonky binaries are already unpacked in /tmp/embedded-pg)
#   idle      RSS 10 s after ready and a few reads (GET /api/v1/devices)
#   rest      the largest RSS sampled every second during REST_SECONDS of PUT …/properties at c=16 (wrk, or
#             bench/RestLoad.java without wrk), with the throughput reached
#   streams   RSS with STREAMS (small*: SMALL_STREAMS) open live streams (GET /api/v1/events/stream, one API key, held by
#             bench/StreamsHold.java), sampled over STREAMS_HOLD seconds, which include a heartbeat to every stream
# RSS is VmRSS of /proc/<pid>/status. The JVM and PostgreSQL are reported apart: `jvm` is the java process,
# `pg` the postmaster and its children (`pg_rss` adds their VmRSS, counting shared_buffers pages once per
# process that touched them; `pg_pss` shares those out, so `jvm+pg_pss` is what the pair really occupies).
# Targets (issue 14): ready ≤ 8 s; idle ≤ 350 MB; under REST ≤ 600 MB; 10,000 streams within 1 GB.
# Configurations (CONFIGS, space-separated; the JVM options are in the case below):
#   default   java -jar, no options (on this 24 GB machine: G1, max heap 1/4 of RAM)
#   server    the recommended settings for a server (docs/operations.md, "Memory and start-up")
#   small     the recommended settings for a 2 GB machine such as a Raspberry Pi (docs/raspberry-pi.md)
#   small-nocds  `small` without the AOT cache, to show what the cache alone is worth
# Other knobs (environment):
#   CONFIGS="server"  only these configurations (an empty CONFIGS= only initialises the data directory and caches)
#   STREAMS / SMALL_STREAMS  how many streams to hold; 0 skips that phase. REST_SECONDS=0 skips the REST phase.
#   JVM_EXTRA="-X…" / APP_EXTRA="--a.b=c"  appended to every configuration's options (to try a setting)
#   HISTO=1  also starts the JVM with -XX:NativeMemoryTracking=summary and prints, per open stream, the
#            live heap by class (jcmd GC.class_histogram, which collects first) and the committed native
#            memory by NMT category, from a snapshot before the streams and one while they are held; the
#            raw snapshots stay in target/footprint/histo-*. Give it a STREAMS_HOLD long enough for jcmd.
# Not part of `./mvnw verify`. SKIP_BUILD=1 reuses target/*.jar.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-2}
CONFIGS=${CONFIGS-"default server small small-nocds"}
STREAMS=${STREAMS:-10000}
# the 2 GB configuration holds fewer (a household's browsers and integrations, not a hosted service's)
SMALL_STREAMS=${SMALL_STREAMS:-1000}
STREAMS_HOLD=${STREAMS_HOLD:-25}
REST_SECONDS=${REST_SECONDS:-30}
DEVICES=${DEVICES:-1000}
APP_PORT=${APP_PORT:-18090}
PG_PORT=${PG_PORT:-55490}
HISTO=${HISTO:-0}
read -r -a JVM_EXTRA <<<"${JVM_EXTRA:-}"
read -r -a APP_EXTRA <<<"${APP_EXTRA:-}"
WORK=target/footprint
DATA_DIR=$WORK/data/postgres
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
command -v psql >/dev/null || { echo "psql is needed (apt-get install -y postgresql-client)"; exit 1; }
# every stream is a socket on both sides
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((STREAMS + 1000)) ]; then
  echo "# ulimit -n is $(ulimit -n): fewer than $STREAMS streams can be held; lowering STREAMS"
  STREAMS=$(($(ulimit -n) - 1000))
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  ./mvnw -B -ntp -o package -DskipTests > "$WORK.build.log" 2>&1 || ./mvnw -B -ntp package -DskipTests > "$WORK.build.log" 2>&1 \
    || { tail -40 "$WORK.build.log"; exit 1; }
fi
JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
mkdir -p "$WORK"
# Spring Boot's extracted layout (lib/ next to the application jar): what the AOT cache needs, since a
# class path inside a nested jar cannot be cached. See docs/operations.md.
rm -rf "$WORK/app"
"$JAVA" -Djarmode=tools -jar "$JAR" extract --destination "$WORK/app" >/dev/null
APP_JAR=$(ls "$WORK"/app/virtdevice-*.jar | head -1)

# Settings every start shares: the data directory, fixed ports, the device limit for 1,000 devices on one
# user, and room for every stream on one user and one instance.
COMMON=(--server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN
  --virtdevice.database.embedded.data-directory=$DATA_DIR --virtdevice.database.embedded.port=$PG_PORT
  --virtdevice.devices.max-per-user=$DEVICES
  --virtdevice.events.max-streams=$((STREAMS + 100)) --virtdevice.events.max-streams-per-user=$((STREAMS + 100)))
SERVER_JVM=(-XX:+UseSerialGC -Xms64m -Xmx1536m -Xss512k -XX:ReservedCodeCacheSize=64m -XX:MaxMetaspaceSize=192m
  -XX:AOTCache=$WORK/app.aot)
SMALL_JVM=(-XX:+UseSerialGC -Xms32m -Xmx256m -Xss512k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m
  -XX:MaxMetaspaceSize=160m -XX:AOTCache=$WORK/app-small.aot)
# idle connections cost PostgreSQL a backend each (~1 MB PSS); the pool still grows to its maximum under load
SERVER_APP=(--spring.datasource.hikari.minimum-idle=2)
SMALL_APP=(--spring.datasource.hikari.maximum-pool-size=5 --db-scheduler.threads=4
  --virtdevice.database.embedded.shared-buffers=32MB --virtdevice.database.embedded.max-connections=30)

APP=
stop_app() {
  if [ -n "$APP" ] && kill -0 "$APP" 2>/dev/null; then
    kill "$APP"
    wait "$APP" 2>/dev/null || true
  fi
  APP=
}
CLIENT=
cleanup() {
  [ -n "$CLIENT" ] && kill "$CLIENT" 2>/dev/null
  stop_app
}
trap cleanup EXIT

# start_app LOG JVM-OPTIONS… -- APP-ARGS…; sets APP and READY_S
start_app() {
  local log=$1; shift
  local jvm=() args=()
  while [ "$1" != -- ]; do jvm+=("$1"); shift; done
  shift
  args=("$@")
  local t0
  t0=$(date +%s.%N)
  "$JAVA" "${jvm[@]}" -jar "$APP_JAR" "${COMMON[@]}" "${args[@]}" > "$log" 2>&1 &
  APP=$!
  for _ in $(seq 1 1200); do
    if curl -sf -o /dev/null "http://127.0.0.1:$APP_PORT/actuator/health/readiness"; then
      READY_S=$(echo "$(date +%s.%N) - $t0" | bc)
      return 0
    fi
    kill -0 "$APP" 2>/dev/null || break
    sleep 0.05
  done
  echo "the app did not start:"; tail -40 "$log"; exit 1
}

kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
pss() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
pg_pids() {
  local pm
  pm=$(head -1 "$DATA_DIR/postmaster.pid")
  echo "$pm"
  ps --ppid "$pm" -o pid= 2>/dev/null
}
# "jvm pg_rss pg_pss" in kB
sample() {
  local jvm pr=0 pp=0 p
  jvm=$(kb "$APP")
  for p in $(pg_pids); do
    pr=$((pr + $(kb "$p")))
    pp=$((pp + $(pss "$p")))
  done
  echo "$jvm $pr $pp"
}
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
fmt() { # jvm pg_rss pg_pss -> text
  echo "jvm=$(mb "$1")MB pg_rss=$(mb "$2")MB pg_pss=$(mb "$3")MB jvm+pg_pss=$(mb $(($1 + $3)))MB"
}
# the largest of each column over samples taken every second while "$@" runs
MAX=
max_while() {
  local m1=0 m2=0 m3=0 s
  "$@" &
  local job=$!
  while kill -0 "$job" 2>/dev/null; do
    read -r a b c <<<"$(sample)"
    [ "$a" -gt "$m1" ] && m1=$a
    [ "$b" -gt "$m2" ] && m2=$b
    [ "$c" -gt "$m3" ] && m3=$c
    sleep 1
  done
  wait "$job"
  MAX="$m1 $m2 $m3"
}

export PGPASSFILE="$PWD/$DATA_DIR/virtdevice.pgpass"
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -d virtdevice"
KEY_FILE=$WORK/api-key
DEVICES_FILE=$WORK/devices
if [ ! -s "$DEVICES_FILE" ] || [ ! -d "$DATA_DIR" ]; then
  # Initialise once: a user with an API key and DEVICES devices (through the API).
  rm -rf "$WORK/data"
  start_app "$WORK/init.log" -- 
  KEY="vdk_fp$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)
  HASHPW='$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmU'
  IDS=$($PSQL -U virtdevice_app -At -F' ' -c "select tenant_id, user_id from app.sign_up('Footprint', 'footprint', 'footprint@example.test', 'Footprint', '$HASHPW', 2)")
  read -r TENANT USER_ID <<<"$IDS"
  $PSQL -U postgres -c "insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes) values ('$TENANT', '$USER_ID', 'footprint', 'vdk_fp', decode('$HASH', 'hex'), '{read,write}')"
  "$JAVA" bench/RestLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" "$DEVICES" 0 0 devices > "$DEVICES_FILE"
  echo "$KEY" > "$KEY_FILE"
  stop_app
fi
KEY=$(cat "$KEY_FILE")
echo "# data directory: $(wc -l < "$DEVICES_FILE") devices of one user ($(du -sh "$WORK/data/postgres" | cut -f1))"

# The AOT caches (JDK 25, JEP 483/514): one training run each, the application started and stopped
# (spring.context.exit=onRefresh). A cache only matches the JVM options it was made with.
# A cache is made again when the jar or the options changed (an outdated one would be ignored, with a warning).
train() { # CACHE JVM-OPTIONS… (an -XX:AOTCache= among them is left out)
  local cache=$1; shift
  local opts=() o stamp
  for o in "$@"; do [[ $o == -XX:AOTCache=* ]] || opts+=("$o"); done
  stamp="$(cksum < "$JAR") ${opts[*]}"
  [ -f "$cache" ] && [ "$(cat "$cache.stamp" 2>/dev/null)" = "$stamp" ] && return 0
  rm -f "$cache"
  "$JAVA" "${opts[@]}" -XX:AOTCacheOutput="$cache" -Dspring.context.exit=onRefresh -jar "$APP_JAR" "${COMMON[@]}" \
    > "$cache.log" 2>&1 || { echo "AOT training failed"; tail -20 "$cache.log"; exit 1; }
  echo "$stamp" > "$cache.stamp"
}
[[ " $CONFIGS " == *" server "* ]] && train "$WORK/app.aot" "${SERVER_JVM[@]}"
[[ " $CONFIGS " == *" small "* ]] && train "$WORK/app-small.aot" "${SMALL_JVM[@]}"

jvm_of() {
  local opts
  case $1 in
    default) opts="" ;;
    server) opts="${SERVER_JVM[*]}" ;;
    small) opts="${SMALL_JVM[*]}" ;;
    small-nocds) opts=$(printf '%s ' "${SMALL_JVM[@]}" | sed 's/-XX:AOTCache=[^ ]*//') ;;
    *) echo "unknown configuration $1" >&2; exit 1 ;;
  esac
  [ "$HISTO" = 1 ] && opts="$opts -XX:NativeMemoryTracking=summary"
  echo "$opts ${JVM_EXTRA[*]}"
}
app_of() {
  local args=""
  [[ $1 == server ]] && args="${SERVER_APP[*]}"
  [[ $1 == small* ]] && args="${SMALL_APP[*]}"
  echo "$args ${APP_EXTRA[*]}"
}

rest_load() {
  if command -v wrk >/dev/null; then
    local ids
    ids=$(head -32 "$DEVICES_FILE" | paste -sd, -)
    VD_KEY=$KEY VD_DEVICES=$ids VD_THREADS=2 wrk -t2 -c16 -d${REST_SECONDS}s -s bench/rest.lua \
      "http://127.0.0.1:$APP_PORT" > "$WORK/wrk.out"
    awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$WORK/wrk.out" > "$WORK/rest.tps"
  else
    "$JAVA" bench/RestLoad.java "http://127.0.0.1:$APP_PORT" "$KEY" 16 "$REST_SECONDS" 0 \
      | sed -n 's/.*tps=\([0-9]*\).*/\1/p' > "$WORK/rest.tps"
  fi
}

hold_streams() { # COUNT
  "$JAVA" -Xmx512m bench/StreamsHold.java 127.0.0.1 $APP_PORT "$KEY" "$1" "$STREAMS_HOLD" > "$WORK/streams.out" 2>&1 &
  CLIENT=$!
  if [ "$HISTO" = 1 ]; then
    while kill -0 "$CLIENT" 2>/dev/null && ! grep -q '^opened=' "$WORK/streams.out"; do sleep 1; done
    kill -0 "$CLIENT" 2>/dev/null && snapshot held
  fi
  wait "$CLIENT"
  CLIENT=
}

# HISTO=1: the live heap by class (after a full collection) and NMT's committed memory by category
snapshot() { # NAME
  "$JAVA_HOME/bin/jcmd" "$APP" GC.class_histogram > "$WORK/histo-$1.txt" 2>&1
  "$JAVA_HOME/bin/jcmd" "$APP" VM.native_memory summary > "$WORK/nmt-$1.txt" 2>&1
}
per_stream() { # COUNT: what the held snapshot has more than the one before, per stream
  echo "  per stream, live heap by class (GC.class_histogram, held − before) / $1 streams:"
  awk -v n="$1" '
    FNR == 1 { f++ }
    $1 ~ /^[0-9]+:$/ { if (f == 1) { bi[$4] = $2; bb[$4] = $3 } else { hi[$4] = $2; hb[$4] = $3 } seen[$4] = 1 }
    END {
      for (c in seen) { d = hb[c] - bb[c]; total += d; if (d > 0) printf "%d %.2f %s\n", d / n, (hi[c] - bi[c]) / n, c }
      printf "%d total\n", total / n > "/dev/stderr"
    }' "$WORK/histo-before.txt" "$WORK/histo-held.txt" 2> "$WORK/histo-total.txt" \
    | sort -rn | head -${HISTO_TOP:-25} | awk '{ printf "    %7d B  %6.2f objects  %s\n", $1, $2, $3 }'
  echo "    $(awk '{ printf "%d B", $1 }' "$WORK/histo-total.txt") in all"
  echo "  per stream, native memory committed by NMT category (held − before) / $1 streams:"
  awk -v n="$1" '
    FNR == 1 { f++ }
    /committed=/ {
      line = $0
      if (line ~ /^Total:/) { name = "Total" } else if (line ~ /^-/) { sub(/^-[ \t]*/, "", line); name = line; sub(/ \(reserved=.*/, "", name) } else { next }
      c = $0; sub(/.*committed=/, "", c); sub(/KB.*/, "", c)
      if (f == 1) before[name] = c; else { held[name] = c; order[++k] = name }
    }
    END { for (i = 1; i <= k; i++) { d = (held[order[i]] - before[order[i]]) * 1024 / n; if (d >= 10 || d <= -10) printf "    %7d B  %s\n", d, order[i] } }' \
    "$WORK/nmt-before.txt" "$WORK/nmt-held.txt"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(free -m | awk '/^Mem/ { print $2 }') MB RAM; load: $(uptime | sed 's/.*load/load/')"
echo "# $("$JAVA" -version 2>&1 | head -1); $RUNS runs per configuration; REST c=16 for ${REST_SECONDS}s; $STREAMS streams held ${STREAMS_HOLD}s"
for config in $CONFIGS; do
  echo "# $config: java $(jvm_of "$config") -jar … $(app_of "$config")"
done
for run in $(seq 1 "$RUNS"); do
  for config in $CONFIGS; do
    read -r -a jvm <<<"$(jvm_of "$config")"
    read -r -a extra <<<"$(app_of "$config")"
    start_app "$WORK/$config-$run.log" "${jvm[@]}" -- "${extra[@]}"
    for _ in 1 2 3; do curl -sf -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$APP_PORT/api/v1/devices?limit=100"; done
    sleep 10
    IDLE=$(sample)
    REST=
    if [ "$REST_SECONDS" -gt 0 ]; then
      max_while rest_load
      REST=$MAX
    fi
    count=$STREAMS
    [[ $config == small* ]] && count=$SMALL_STREAMS
    STREAMS_MAX=
    if [ "$count" -gt 0 ]; then
      rm -f "$WORK"/histo-*.txt "$WORK"/nmt-*.txt
      [ "$HISTO" = 1 ] && snapshot before
      max_while hold_streams "$count"
      STREAMS_MAX=$MAX
      OPENED=$(sed -n 's/^opened=\([0-9]*\) failed=\([0-9]*\).*/opened=\1 failed=\2/p' "$WORK/streams.out")
      DROPPED=$(sed -n 's/^closed .*dropped=\([0-9]*\).*/\1/p' "$WORK/streams.out")
    fi
    stop_app
    # shellcheck disable=SC2086
    echo "$config run=$run ready_s=$READY_S"
    echo "  idle:    $(fmt $IDLE)"
    [ -n "$REST" ] && echo "  rest:    $(fmt $REST) tps=$(cat "$WORK/rest.tps")"
    if [ -n "$STREAMS_MAX" ]; then
      echo "  streams: $(fmt $STREAMS_MAX) $OPENED dropped=${DROPPED:-?}"
      [ "$HISTO" = 1 ] && [ -s "$WORK/histo-held.txt" ] && per_stream "$(sed -n 's/^opened=\([0-9]*\).*/\1/p' "$WORK/streams.out")"
    fi
  done
  echo "# after run $run: load $(uptime | sed 's/.*load average: //')"
done
