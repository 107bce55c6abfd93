#!/usr/bin/env bash
# Benchmark: VirtDevice on a large database against a small one, same run, same server (issue 14 §2).
#   bench/scale.sh [SECONDS]      (default 15 s per measurement after WARMUP=5 s, JIT_WARMUP=40 s per start)
# 1. A private PostgreSQL 16 cluster (the zonky binaries the app embeds, initdb'd in $PG_DIR, port $PG_PORT;
#    run as the `postgres` user when started as root), or the server already listening on $PG_PORT (trust
#    authentication for postgres, virtdevice_app and virtdevice_owner).
# 2. Two databases, vd_small and vd_large, migrated by the app itself; in each a bench user made the way
#    bench/alexa.sh and bench/ifttt.sh make theirs: 300 devices (128 switches), an API key, an Alexa and an
#    IFTTT access token, a webhook (to a local receiver answering 204).
# 3. vd_large gets, cloned from the bench user's rows with set-based SQL (bench/scale-load.sql; events and
#    activity partition by partition, each created, filled, then attached so its indexes are built once):
#    SCALE x (100k tenants, 200k users, 1M devices with their properties, 20M change events in 12 historical
#    device_events partitions over 100 days, 20M activity entries in 14 monthly partitions, 200k webhooks,
#    50k Alexa links, 50k IFTTT trigger identities). KEEP=1 reuses a loaded vd_large.
# 4. On each database in turn (the app restarted on it): REST PUT …/properties (c=16), the device list
#    (c=4), the activity query with filters (device, action, from; c=4), Alexa Discover of 300 endpoints
#    (c=4), IFTTT trigger polls (c=16), and webhook staging (how long from a change's commit to its staged
#    delivery, during the PUT run); then the ratio large/small of each (target: within 1.5x).
# 5. On vd_large: the plans (EXPLAIN ANALYZE, BUFFERS via auto_explain, nested statements included) of every
#    statement those requests and the maintenance jobs run, with any sequential scan flagged; the
#    maintenance functions timed (partition creation and retention of device_events and activity_logs);
#    and representative migrations applied while the PUT load runs (max lock wait and request latency).
# Not part of `./mvnw verify`. Prints `uptime` with the figures: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-15}
WARMUP=${WARMUP:-5}
JIT_WARMUP=${JIT_WARMUP:-40}
SCALE=${SCALE:-1}
ROUNDS=${ROUNDS:-1}
PG_PORT=${PG_PORT:-55440}
APP_PORT=${APP_PORT:-18300}
HOOK_PORT=${HOOK_PORT:-18301}
PG_DIR=${PG_DIR:-$PWD/target/scale-pg}
BASE="http://127.0.0.1:$APP_PORT"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for tool in wrk jq psql python3; do command -v $tool >/dev/null || { echo "$tool is needed"; exit 1; }; done
OUT=${OUT:-target/scale}
SMALL=${SMALL_DB:-vd_small} LARGE=${LARGE_DB:-vd_large}
mkdir -p $OUT
n() { awk -v s="$SCALE" -v n="$1" 'BEGIN { printf "%d", n * s }'; }
TENANTS=$(n 100000) USERS=$(n 200000) DEVICES=$(n 1000000) EVENTS=$(n 20000000) ACTIVITY=$(n 20000000)
WEBHOOKS=$(n 200000) ALEXA=$(n 50000) IFTTT=$(n 50000)
EVENT_PARTS=12 ACTIVITY_MONTHS=14
SQL() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT -U "${PGROLE:-postgres}" "$@"; }
stamp() { echo "# $(date -u +%T) $*; load:$(uptime | sed 's/.*load average://')"; }

if [ -z "${JAR:-}" ]; then
  [ "${SKIP_BUILD:-}" = 1 ] || ./mvnw -B -ntp -q -DskipTests -DskipITs package
  JAR=$(ls target/virtdevice-*.jar | grep -v original | head -1)
fi

# --- 1. the server ---------------------------------------------------------------------------------------
# shellcheck source=bench/lib-pg.sh
. bench/lib-pg.sh
private_pg $PG_PORT "$PG_DIR"

# --- the app, the webhook receiver --------------------------------------------------------------------------
python3 - "$HOOK_PORT" > $OUT/receiver.log 2>&1 <<'PY' &
import sys, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
RECEIVER=$!
APP=
cleanup() {
  kill $RECEIVER 2>/dev/null || true
  if [ -n "$APP" ]; then kill $APP 2>/dev/null || true; wait $APP 2>/dev/null || true; fi
}
trap cleanup EXIT

start_app() { # DB
  ALEXA_VENDOR_ID=M2SCALEBENCH OAUTH_ALEXA_CLIENT_SECRET=bench-alexa-secret-0123456789abcdef0123 \
  "$JAVA_HOME/bin/java" -jar "$JAR" --server.port=$APP_PORT --LOG_FORMAT= --logging.level.root=WARN \
    --spring.datasource.url=jdbc:postgresql://127.0.0.1:$PG_PORT/$1 \
    --spring.datasource.username=virtdevice_app --spring.datasource.password=unused \
    --spring.flyway.user=virtdevice_owner --spring.flyway.password=unused \
    --spring.datasource.hikari.maximum-pool-size=32 \
    --virtdevice.crypto.secret-key-file=$OUT/secret.key --virtdevice.web.secure-cookies=false \
    --virtdevice.devices.max-per-user=400 --virtdevice.webhooks.allowed-cidrs=127.0.0.1/32 \
    --virtdevice.oauth.clients.ifttt.service-id=virtdevice_scale \
    --virtdevice.oauth.clients.ifttt.client-secret=bench-ifttt-client-secret-0123456789abcdef \
    > $OUT/app-$1.log 2>&1 &
  APP=$!
  for _ in $(seq 1 300); do
    curl -sf "$BASE/actuator/health/readiness" >/dev/null && return 0
    kill -0 $APP 2>/dev/null || break
    sleep 1
  done
  echo "app did not start on $1"; tail -30 $OUT/app-$1.log; exit 1
}
stop_app() { kill $APP; wait $APP 2>/dev/null || true; APP=; }

setup_user() { # DB: the bench user, its credentials and devices -> $OUT/DB.env
  local db=$1 key token_a token_i tenant user
  read -r key tenant user <<<"$(bench_user "psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PG_PORT" $db)"
  token_a="vda_scale$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  token_i="vda_scale$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  SQL -d $db <<SQL
with a as (
  insert into oauth_authorizations (id, tenant_id, user_id, client_id, client_type, requested_scopes, authorized_scopes)
  select gen_random_uuid(), '$tenant', '$user', c.id, c.type, '{read,write}', '{read,write}'
    from oauth_clients c where c.client_id in ('alexa-smart-home', 'ifttt-service')
  returning id, client_id)
insert into oauth_tokens (tenant_id, user_id, client_id, family_id, access_token_hash, access_token_expires_at, scope)
select '$tenant', '$user', a.client_id, a.id,
       sha256(convert_to(case c.client_id when 'alexa-smart-home' then '$token_a' else '$token_i' end, 'UTF8')),
       now() + interval '2 days', '{read,write}'
  from a join oauth_clients c on c.id = a.client_id;
SQL
  "$JAVA_HOME/bin/java" bench/AlexaLoad.java devices "$BASE" "$key" 128 300 > $OUT/$db-switches.txt
  curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "{\"url\":\"http://127.0.0.1:$HOOK_PORT/hook\"}" "$BASE/api/v1/webhooks" >/dev/null
  curl -sf -X PUT -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"power":true}' \
    "$BASE/api/v1/devices/$(head -1 $OUT/$db-switches.txt | cut -d' ' -f1)/properties" >/dev/null
  printf 'KEY=%s\nTOKEN_A=%s\nTOKEN_I=%s\nTENANT=%s\nUSER_ID=%s\n' "$key" "$token_a" "$token_i" "$tenant" "$user" > $OUT/$db.env
}

prepare() { # DB: create, migrate, bench user
  SQL -d postgres -c "drop database if exists $1 with (force)" -c "create database $1 owner virtdevice_owner"
  start_app $1
  setup_user $1
  stop_app
}

# --- 2./3. the databases -----------------------------------------------------------------------------------
load_events() { # the historical device_events partitions, below the app's first range
  local first width per k from to
  # the migration's first range [2, …) holds no events yet: retention would drop it, so drop it the app's way
  SQL -d $LARGE -Atc "select app.drop_expired_device_event_partition(interval '1 day')" >/dev/null
  first=$(SQL -d $LARGE -Atc "select min(from_tx)::text from device_event_partitions where dropped_at is null")
  # the history goes into that range's ids: its ledger row must not claim that every event below its end has
  # a seq at or below its sealed_seq (the relay's and the retention floor's tx_id bound, V021)
  SQL -d $LARGE -c "update device_event_partitions set to_tx = '3' where dropped_at is not null and from_tx < '3' and to_tx > '3'" >/dev/null
  width=$(( (first - 3) / EVENT_PARTS ))
  per=$(( EVENTS / EVENT_PARTS ))
  for k in $(seq 0 $((EVENT_PARTS - 1))); do
    from=$((3 + k * width)); to=$((3 + (k + 1) * width))
    SQL -d $LARGE -v bu="$USER_ID" -v k=$k -v parts=$EVENT_PARTS -v per=$per -v devices=$DEVICES -v users=$USERS \
        -v tenants=$TENANTS -v from=$from -v to=$to <<'SQL'
SET session_replication_role = replica;
SET synchronous_commit = off;
SELECT e.changes::text AS tpl_changes, e.snapshot::text AS tpl_snapshot
  FROM device_events e WHERE e.user_id = :'bu' AND e.kind = 'property.changed' LIMIT 1 \gset
BEGIN;
CREATE TABLE public.device_events_:from (LIKE public.device_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
-- event g of this partition: device (k * per + g) * 7919 % devices (spread over all devices), its user
-- and tenant, written over this partition's eighth of 100 days
INSERT INTO device_events_:from (tenant_id, user_id, device_id, device_name, device_type, kind, source,
                                 device_version, changes, snapshot, occurred_at, tx_id)
SELECT md5('scale-t' || ((d % :users) % :tenants))::uuid, md5('scale-u' || (d % :users))::uuid,
       md5('scale-d' || d)::uuid, 'Device ' || d, 'switch', 'property.changed', 'api', 2 + g / :devices,
       :'tpl_changes'::jsonb, :'tpl_snapshot'::jsonb,
       now() - interval '100 days' + interval '100 days' * ((:k * :per + g)::float8 / (:parts * :per)),
       (:from + g * (:to - :from) / :per)::text::xid8
  FROM generate_series(0, :per - 1) g, LATERAL (SELECT ((:k::bigint * :per + g) * 7919) % :devices AS d) x;
ALTER TABLE device_events_:from OWNER TO virtdevice_owner;
ALTER TABLE device_events_:from ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_events_:from FORCE ROW LEVEL SECURITY;
ALTER TABLE device_events ATTACH PARTITION device_events_:from FOR VALUES FROM (:'from') TO (:'to');
INSERT INTO device_event_partitions (name, from_tx, to_tx, created_at, created_xid, sealed_seq)
SELECT 'device_events_' || :from, :'from', :'to', min(occurred_at), :'from', max(seq) FROM device_events_:from;
COMMIT;
SQL
  done
}

load_activity() { # monthly activity_logs partitions of the last ACTIVITY_MONTHS months
  local per=$(( ACTIVITY / ACTIVITY_MONTHS )) k
  for k in $(seq 1 $ACTIVITY_MONTHS); do
    SQL -d $LARGE -v bu="$USER_ID" -v k=$k -v per=$per -v devices=$DEVICES -v users=$USERS -v tenants=$TENANTS <<'SQL'
SET session_replication_role = replica;
SET synchronous_commit = off;
SELECT a.details::text AS tpl_details FROM activity_logs a
 WHERE a.user_id = :'bu' AND a.action = 'property_changed' LIMIT 1 \gset
SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => :k))::date AS m,
       'activity_logs_' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC') - make_interval(months => :k), 'YYYY_MM') AS part \gset
BEGIN;
CREATE TABLE :part (LIKE activity_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO :part (tenant_id, user_id, device_id, action, details, source, ip_address, user_agent, created_at)
SELECT md5('scale-t' || ((d % :users) % :tenants))::uuid, md5('scale-u' || (d % :users))::uuid,
       md5('scale-d' || d)::uuid, 'property_changed', :'tpl_details'::jsonb, 'api', '203.0.113.7', 'scale-bench/1',
       (:'m'::timestamp AT TIME ZONE 'UTC') + ((:'m'::date + interval '1 month') - :'m'::date) * (g::float8 / :per)
  FROM generate_series(0, :per - 1) g, LATERAL (SELECT ((:k::bigint * :per + g) * 7919) % :devices AS d) x;
ALTER TABLE :part OWNER TO virtdevice_owner;
ALTER TABLE :part ENABLE ROW LEVEL SECURITY;
ALTER TABLE :part FORCE ROW LEVEL SECURITY;
ALTER TABLE activity_logs ATTACH PARTITION :part
  FOR VALUES FROM ((:'m'::timestamp AT TIME ZONE 'UTC')) TO (((:'m'::date + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
COMMIT;
SQL
  done
}

if [ "${KEEP:-}" = 1 ] && [ -f $OUT/$LARGE.env ] && [ -f $OUT/$SMALL.env ]; then
  stamp "reusing $SMALL and $LARGE (KEEP=1)"
else
  stamp "preparing $SMALL and $LARGE"
  prepare $SMALL
  prepare $LARGE
  # shellcheck disable=SC1090
  source $OUT/$LARGE.env
  stamp "bulk load x$SCALE: $TENANTS tenants, $USERS users, $DEVICES devices, $EVENTS events, $ACTIVITY activity entries, $WEBHOOKS webhooks, $ALEXA Alexa links, $IFTTT IFTTT identities"
  T0=$(date +%s)
  SQL -d $LARGE -v bu="$USER_ID" -v tenants=$TENANTS -v users=$USERS -v devices=$DEVICES -v webhooks=$WEBHOOKS \
      -v alexa=$ALEXA -v ifttt=$IFTTT -f bench/scale-load.sql | grep -i "^time" | sed 's/^/#   base /'
  stamp "base rows loaded in $(( $(date +%s) - T0 )) s; events and activity in two sessions"
  load_events > $OUT/load-events.log 2>&1 &
  EV=$!
  load_activity > $OUT/load-activity.log 2>&1 &
  AC=$!
  wait $EV || { echo "event load failed"; cat $OUT/load-events.log; exit 1; }
  wait $AC || { echo "activity load failed"; cat $OUT/load-activity.log; exit 1; }
  stamp "events and activity loaded at $(( $(date +%s) - T0 )) s"
  # every consumer has processed the history; the app drops nothing it has not seen
  SQL -d $LARGE -c "update event_consumer_positions set seq = (select last_value from device_event_seq), fence_seq = null, fence_holders = null"
  SQL -d $LARGE -c "vacuum (analyze)" 2>&1 | grep -v "^WARNING.*skipping" || true
  stamp "vacuum analyze done: load took $(( $(date +%s) - T0 )) s in all"
fi
SQL -d $LARGE -Atc "select 'rows: tenants=' || (select count(*) from tenants) || ' users=' || (select count(*) from users) || ' devices=' || (select count(*) from devices) || ' properties=' || (select count(*) from device_properties) || ' webhooks=' || (select count(*) from webhooks) || ' alexa_links=' || (select count(*) from alexa_lwa_tokens) || ' ifttt_identities=' || (select count(*) from ifttt_trigger_subscriptions)"
SQL -d $LARGE -Atc "select 'device_events: ' || count(*) || ' partitions, ' || pg_size_pretty(sum(pg_total_relation_size(i.inhrelid))) || ' with indexes' from pg_inherits i where i.inhparent = 'device_events'::regclass"
SQL -d $LARGE -Atc "select 'events=' || (select count(*) from device_events) || ' activity=' || (select count(*) from activity_logs) || ' database=' || pg_size_pretty(pg_database_size(current_database()))"

# --- 4. the measurements ------------------------------------------------------------------------------------
load() { # KIND SECONDS: one wrk run of a kind of request against the running app ($DB's bench user)
  local kind=$1 secs=$2 c=4 args=()
  case $kind in
    put) c=16; export VD_MODE=put VD_TARGETS=$PUT_IDS; args=(-s bench/alexa.lua) ;;
    discover) export VD_MODE=discover VD_TOKEN=$TOKEN_A VD_TARGETS=$PUT_IDS; args=(-s bench/alexa.lua) ;;
    ifttt) c=16; export VD_TOKEN=$TOKEN_I VD_DEVICES=$IFTTT_IDS; args=(-s bench/ifttt-poll.lua) ;;
    list) args=(-H "Authorization: Bearer $KEY") ;;
    activity) args=(-H "Authorization: Bearer $KEY") ;;
  esac
  local url=$BASE
  [ "$kind" = list ] && url="$BASE/api/v1/devices?limit=100"
  [ "$kind" = activity ] && url="$BASE/api/v1/activity?deviceId=$FIRST&action=property_changed&from=$FROM&limit=50"
  export VD_KEY=$KEY VD_THREADS=2
  wrk -t2 -c$c -d${secs}s --latency "${args[@]}" "$url"
}

targets() { # DB: the bench user's credentials and the devices the loads use
  # shellcheck disable=SC1090
  source $OUT/$1.env
  PUT_IDS=$(head -32 $OUT/$1-switches.txt | cut -d' ' -f1 | paste -sd, -)
  FIRST=$(head -1 $OUT/$1-switches.txt | cut -d' ' -f1)
  FROM=$(date -u -d '-1 day' +%FT%TZ)
  IFTTT_IDS=$(SQL -d $1 -Atc "select ifttt_device_id from devices where user_id = '$USER_ID' and device_type = 'switch' order by created_at limit 128" | paste -sd, -)
}

measure() { # DB ROUND: starts the app on DB and measures each kind; the app is left running
  local db=$1 start
  targets $db
  start_app $db
  for kind in put list activity discover ifttt; do load $kind $((JIT_WARMUP / 5)) >/dev/null; done
  stamp "$db round $2 measuring (${SECONDS_PER_RUN}s per kind after ${WARMUP}s)"
  for kind in put list activity discover ifttt; do
    load $kind $WARMUP >/dev/null
    start=$(SQL -d $db -Atc "select now()")
    echo "$db $kind $(load $kind $SECONDS_PER_RUN | wrk_line)" | tee -a $OUT/results.txt
    if [ "$kind" = put ]; then
      # webhook staging: from the change's commit (its event's time) to its delivery row, for this run's changes
      echo "$db staging $(SQL -d $db -At -F' ' -c "
        select 'staged=' || count(*),
               'p50_ms=' || round(percentile_cont(0.5) within group (order by ms)::numeric, 1),
               'p99_ms=' || round(percentile_cont(0.99) within group (order by ms)::numeric, 1)
          from (select extract(epoch from d.created_at - e.occurred_at) * 1000 as ms
                  from webhook_deliveries d join device_events e on e.id = d.event_id
                 where d.user_id = '$USER_ID' and d.created_at >= '$start') x")" | tee -a $OUT/results.txt
    fi
  done
}

if [ "$ROUNDS" -gt 0 ]; then : > $OUT/results.txt; fi
for r in $(seq 1 "$ROUNDS"); do
  measure $SMALL $r
  stop_app
  measure $LARGE $r
  [ "$r" -eq "$ROUNDS" ] || stop_app
done
[ "$ROUNDS" -gt 0 ] && stamp "ratios large/small (latency p50; throughput small/large); target <= 1.5"
for kind in $([ "$ROUNDS" -gt 0 ] && echo put list activity discover ifttt staging); do
  awk -v k=$kind -v s=$SMALL -v l=$LARGE '
    $2 == k { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] += kv[2] } c[$1]++ }
    END {
      if (!c[s] || !c[l]) exit
      ps = v[s, "p50_ms"] / c[s]; pl = v[l, "p50_ms"] / c[l]
      ts = v[s, "tps"] / c[s]; tl = v[l, "tps"] / c[l]
      line = sprintf("%-9s p50 small=%.2f ms large=%.2f ms ratio=%.2f", k, ps, pl, ps ? pl / ps : 0)
      if (ts) line = line sprintf("  tps small=%.0f large=%.0f ratio=%.2f", ts, tl, tl ? ts / tl : 0)
      worst = (ps ? pl / ps : 0); if (ts && tl && ts / tl > worst) worst = ts / tl
      print line (worst <= 1.5 ? "  ok" : "  OVER 1.5")
    }' $OUT/results.txt
done

# --- 5. a migration under load, plans, maintenance ($LARGE, the app still running and warm) ---------------
if [ -z "$APP" ]; then  # ROUNDS=0: only this part
  targets $LARGE
  start_app $LARGE
  load put $JIT_WARMUP >/dev/null
fi
stamp "migrations while the REST PUT load runs (c=16) on $LARGE"
echo "  without a migration: $(load put 20 | wrk_line)"
# the longest any statement waited for a lock, sampled every 50 ms while the migrations run
(while :; do
  SQL -d $LARGE -Atc "select coalesce(max(extract(epoch from clock_timestamp() - a.state_change) * 1000), 0)::int
                        from pg_stat_activity a where a.wait_event_type = 'Lock' and a.datname = current_database()
                         and a.usename = 'virtdevice_app'"
  sleep 0.05
done) > $OUT/lockwaits.txt 2>/dev/null &
WATCH=$!
# (what an interrupted earlier run may have left)
PGROLE=virtdevice_owner SQL -d $LARGE -c "ALTER TABLE devices DROP COLUMN IF EXISTS scale_note" \
  -c "ALTER TABLE device_events DROP COLUMN IF EXISTS scale_note" \
  -c "ALTER TABLE device_properties DROP CONSTRAINT IF EXISTS scale_value_length" \
  -c "DROP INDEX IF EXISTS scale_devices_updated_idx" >/dev/null
load put 40 > $OUT/migration-wrk.txt &
WRK=$!
sleep 5
PGROLE=virtdevice_owner SQL -d $LARGE > $OUT/migration.txt 2>&1 <<'SQL' || true
\timing on
SET lock_timeout = '1s';
ALTER TABLE devices ADD COLUMN scale_note text;
ALTER TABLE device_events ADD COLUMN scale_note text;
ALTER TABLE device_properties ADD CONSTRAINT scale_value_length CHECK (octet_length(value) <= 65536) NOT VALID;
ALTER TABLE device_properties VALIDATE CONSTRAINT scale_value_length;
CREATE INDEX CONCURRENTLY scale_devices_updated_idx ON devices (updated_at);
ALTER TABLE devices DROP COLUMN scale_note;
ALTER TABLE device_events DROP COLUMN scale_note;
ALTER TABLE device_properties DROP CONSTRAINT scale_value_length;
DROP INDEX CONCURRENTLY scale_devices_updated_idx;
SQL
wait $WRK || true
kill $WATCH 2>/dev/null || true
echo "  during the migrations: $(wrk_line < $OUT/migration-wrk.txt)"
grep -i "^Time\|ERROR" $OUT/migration.txt | paste -sd' ' | sed 's/^/  statement times (lock_timeout, add column devices, add column device_events, add check NOT VALID, validate, create index concurrently, 4 x clean-up): /'
echo "  longest lock wait of an app session during the migrations: $(sort -n $OUT/lockwaits.txt | tail -1) ms"

stamp "plans of every statement of one request of each kind and of the maintenance jobs (auto_explain)"
SQL -d $LARGE -c "alter role virtdevice_app in database $LARGE set session_preload_libraries = 'auto_explain'" \
  -c "alter role virtdevice_app in database $LARGE set auto_explain.log_min_duration = 0" \
  -c "alter role virtdevice_app in database $LARGE set auto_explain.log_analyze = on" \
  -c "alter role virtdevice_app in database $LARGE set auto_explain.log_buffers = on" \
  -c "alter role virtdevice_app in database $LARGE set auto_explain.log_nested_statements = on" >/dev/null
# the app's connections pick the settings up when they are opened again
SQL -d $LARGE -Atc "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = current_database() and usename = 'virtdevice_app'" >/dev/null
for _ in $(seq 1 60); do curl -sf "$BASE/actuator/health" >/dev/null && break; sleep 1; done
LOG_FROM=$(stat -c %s "$PG_LOG")
for kind in put list activity discover ifttt; do load $kind 1 >/dev/null 2>&1 || true; done
sleep 3   # the relay and the webhook attempt of the last change
# the maintenance jobs as the job calls them
PGROLE=virtdevice_app SQL -d $LARGE -At <<'SQL' > $OUT/maintenance.txt
\timing on
select 'ensure_device_event_partitions', app.ensure_device_event_partitions(10000000, interval '7 days');
select 'retention_floor', app.device_events_retention_floor();
begin; select set_config('lock_timeout', '500ms', true); select 'drop_expired_device_event_partition', app.drop_expired_device_event_partition(interval '90 days'); commit;
begin; select set_config('lock_timeout', '500ms', true); select 'drop_expired_device_event_partition', app.drop_expired_device_event_partition(interval '90 days'); commit;
select 'ensure_activity_partitions', app.ensure_activity_partitions(3);
begin; select set_config('lock_timeout', '500ms', true); select 'drop_expired_activity_partition', app.drop_expired_activity_partition(interval '365 days'); commit;
begin; select set_config('lock_timeout', '500ms', true); select 'drop_expired_activity_partition', app.drop_expired_activity_partition(interval '365 days'); commit;
SQL
SQL -d $LARGE -c "alter role virtdevice_app in database $LARGE reset all" >/dev/null
stop_app
tail -c +$((LOG_FROM + 1)) "$PG_LOG" > $OUT/plans.log
python3 - $OUT/plans.log > $OUT/plans.txt <<'PY'
import re, sys
text = open(sys.argv[1], errors='replace').read()
# auto_explain entries: "LOG:  duration: … plan:" then tab-indented lines
entries = re.findall(r'LOG:  duration: ([0-9.]+) ms  plan:\n((?:\t.*\n)+)', text)
seen = {}
for ms, body in entries:
    m = re.search(r'Query Text: (.*?)\n\t(?:[A-Z][a-z]|->|  )', body, re.S)
    q = re.sub(r'\s+', ' ', (m.group(1) if m else body.split('\n')[0]))[:300]
    if q.startswith(('select set_config', 'SELECT 1', 'select 1')) or 'scheduled_tasks' in q:
        continue
    seen.setdefault(q, (ms, body))
big = ('device_events', 'activity_logs', 'devices', 'device_properties', 'webhooks', 'users', 'tenants',
       'alexa_lwa_tokens', 'ifttt_trigger_subscriptions', 'subscriptions', 'webhook_deliveries', 'oauth_tokens', 'api_keys')
flagged = 0
for q, (ms, body) in seen.items():
    seqs = [l.strip() for l in body.split('\n') if 'Seq Scan on' in l]
    bad = [s for s in seqs if any(re.search(r'Seq Scan on %s(_[0-9a-z_]+)?\b' % t, s) for t in big)]
    rows = [int(r) for r in re.findall(r'Seq Scan on [^\n]*actual time=[0-9.]+\.\.[0-9.]+ rows=([0-9]+)', body)]
    print('=' * 100)
    print('%s ms  %s' % (ms, q))
    if bad:
        flagged += 1
        print('!! SEQUENTIAL SCAN of a large table: ' + '; '.join(bad))
    print(body.rstrip('\n'))
print('=' * 100)
print('%d distinct statements, %d with a sequential scan of a large table' % (len(seen), flagged))
PY
tail -1 $OUT/plans.txt
grep -B1 "^!!" $OUT/plans.txt | grep -v "^--" | cut -c1-240 || true
echo "# full plans: $OUT/plans.txt"
stamp "maintenance on $LARGE (as the jobs call it)"
grep -v '^$\|^500ms$' $OUT/maintenance.txt | sed 's/^/  /'
stamp "done"
