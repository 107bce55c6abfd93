#!/usr/bin/env bash
# Benchmark: the cost of partitioning device_events (V003) on the queries that touch it.
#   bench/partitions.sh [PARTITIONS] [SECONDS]     (default 15 partitions, 6 s per measurement)
# Needs psql and pgbench and a PostgreSQL (15 or newer) reachable as superuser: PGHOST (127.0.0.1), PGPORT
# (5432), PGUSER (postgres). Creates the roles (db/bootstrap/roles.sql) and two scratch databases:
#   bench_events_flat  migrated up to V003 (device_events unpartitioned)
#   bench_events_parts migrated to HEAD, its history re-split into PARTITIONS ranges of transaction ids
# fills both with the same 959,000 events (1,000 users, 10,000 devices), then prints the average latency
# (pgbench, prepared statements, 2 clients) of: the relay's held_back and to_dispatch, a live-stream resume
# (a user's events after a seq: not prunable), an event by id (not prunable), an event by id within the last
# transaction ids (pruned, as DeviceEventReader.findAll does first), and the event INSERT alone
# (asynchronous commit, 4 clients). Figures in docs/decisions.md. Not part of `./mvnw verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
PARTS=${1:-15}
SECS=${2:-6}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
psql -q -f src/main/resources/db/bootstrap/roles.sql >/dev/null

migrate() { # db, first migration not to run (or "")
  psql -qc "drop database if exists $1" -c "create database $1 owner virtdevice_owner" >/dev/null 2>&1
  for f in $(ls src/main/resources/db/migration/*.sql | sort -V); do
    [ -n "$2" ] && [[ "$f" == *"$2"* ]] && break
    sed -e 's/${app_role}/virtdevice_app/g' -e 's/${definer_role}/virtdevice_definer/g' "$f" > "$WORK/m.sql"
    psql -U virtdevice_owner -d "$1" -v ON_ERROR_STOP=1 -q -1 -f "$WORK/m.sql" >/dev/null
  done
}
migrate bench_events_flat V003__
migrate bench_events_parts ""
# history in transaction ids 3..961, split into $PARTS ranges (fewer when 960 does not divide evenly)
psql -d bench_events_parts -q -v ON_ERROR_STOP=1 <<SQL
drop table device_events_2;
do \$\$
declare w integer := ceil(960.0 / $PARTS);
begin
  for i in 0..$PARTS - 1 loop
    exit when 2 + i * w >= 962;
    execute format('create table device_events_p%s partition of device_events for values from (%L) to (%L)',
                   i, 2 + i * w, least(2 + (i + 1) * w, 962));
    execute format('alter table device_events_p%s enable row level security, force row level security', i);
  end loop;
end \$\$;
SQL
for db in bench_events_flat bench_events_parts; do
  psql -d "$db" -q -v ON_ERROR_STOP=1 <<'SQL'
insert into device_events (tenant_id, user_id, device_id, device_name, device_type, kind, source, device_version,
                           changes, snapshot, tx_id, occurred_at)
select md5('t' || (g % 1000))::uuid, md5('u' || (g % 1000))::uuid, md5('d' || (g % 10000))::uuid, 'Lamp', 'switch',
       'property.changed', 'api', g, '[{"property":"power","old":false,"new":true}]', '{"power":true}',
       (3 + g / 1000)::text::xid8, now() - interval '1 day' * (961 - g / 1000) / 10
  from generate_series(0, 958999) g;
update event_dispatch_cursor set tx_id = '961', seq = (select max(seq) - 500 from device_events);
vacuum analyze device_events;
SQL
done

run() { # name, file, db, clients, [PGOPTIONS]
  local out
  out=$(PGOPTIONS=${5:-} pgbench -n -M prepared -c "$4" -j 2 -T "$SECS" -f "$2" "$3" 2>&1 | grep "latency average" || echo "failed")
  printf '%-44s %-20s %s\n' "$1" "$3" "$out"
}
cat > "$WORK/insert.sql" <<'SQL'
\set d random(0, 9999)
insert into device_events (tenant_id, user_id, device_id, device_name, device_type, kind, source, device_version, changes, snapshot)
values (md5('t1')::uuid, md5('u1')::uuid, md5('d' || :d)::uuid, 'Lamp', 'switch', 'property.changed', 'api', 1,
        jsonb_build_array(jsonb_build_object('property', 'power')), jsonb_build_object('power', true));
SQL
echo "# $PARTS partitions vs none; average latency"
for db in bench_events_flat bench_events_parts; do
  max=$(psql -d "$db" -Atc "select max(seq) from device_events")
  old=$(psql -d "$db" -Atc "select id from device_events where tx_id = '500' limit 1")
  echo "select app.device_events_held_back(c.tx_id, c.seq) from event_dispatch_cursor c;" > "$WORK/held.sql"
  echo "select count(*) from app.device_events_to_dispatch('961', $((max - 500)), 500);" > "$WORK/dispatch.sql"
  printf '\\set u random(0, 999)\nselect id, seq from device_events where user_id = md5(%s || :u)::uuid and seq > %s order by seq limit 500;\n' "'u'" $((max - 100000)) > "$WORK/resume.sql"
  echo "select id, seq from device_events where id = any(array['$old'::uuid]) order by seq;" > "$WORK/byid.sql"
  run "relay held_back" "$WORK/held.sql" "$db" 2
  run "relay to_dispatch (500 rows)" "$WORK/dispatch.sql" "$db" 2
  run "resume: user's events after a seq" "$WORK/resume.sql" "$db" 2
  run "event by id, unbounded" "$WORK/byid.sql" "$db" 2
  run "event INSERT (asynchronous commit)" "$WORK/insert.sql" "$db" 4 "-c synchronous_commit=off"
  new=$(psql -d "$db" -Atc "select id from device_events order by seq desc limit 1")
  echo "select id, seq from device_events where id = any(array['$new'::uuid]) and tx_id >= cast(cast(greatest(cast(cast(pg_snapshot_xmin(pg_current_snapshot()) as text) as bigint) - 1000, 0) as text) as xid8) order by seq;" > "$WORK/recent.sql"
  run "event by id, last 1000 transaction ids" "$WORK/recent.sql" "$db" 2
done
psql -qc "drop database bench_events_flat" -c "drop database bench_events_parts" >/dev/null
