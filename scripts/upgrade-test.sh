#!/usr/bin/env bash
# Upgrade test on release artifacts: the previous release's jar creates data on the embedded PostgreSQL
# over HTTP (the README's first steps: sign-up, sign-in, API key, device, property, URL trigger), is
# stopped with SIGTERM, and the new jar starts on the same data directory. Then everything is checked over
# HTTP: the new version in /actuator/info, the password still signs in, the API key still works, the device
# and its property are intact, the trigger link still fires, a new device can be created.
#
#   scripts/upgrade-test.sh OLD.jar NEW.jar
#   scripts/upgrade-test.sh --from-ref REF NEW.jar     builds OLD.jar from git REF first (git worktree,
#                                                      tests skipped), e.g. the previous release's tag v0.9.0
# Needs a JDK >= 21 (JAVA_HOME or PATH), curl, jq and python3 (to find a free port). Prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
started=$SECONDS
step() { echo "[$((SECONDS - started)) s] $*"; }

if [ "${1:-}" = --from-ref ]; then
  ref=${2:?--from-ref needs a git ref}; new=$(readlink -f "${3:?usage: $0 --from-ref REF NEW.jar}")
  tree=$(mktemp -d /tmp/virtdevice-previous.XXXXXX)
  step "building the previous release from $ref in $tree"
  git worktree add --detach "$tree" "$ref" >/dev/null
  trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
  (cd "$tree" && ./mvnw -B -ntp ${MAVEN_OFFLINE:+-o} -Dmaven.test.skip=true -Dassembly.skipAssembly=true package >"$tree.build.log" 2>&1) \
    || { tail -30 "$tree.build.log"; exit 1; }
  old=$(ls "$tree"/target/virtdevice-*.jar | grep -v -- '-linux-\|-macos-\|-windows-\|\.original$' | head -1)
  cp "$old" "$tree.jar" && old=$tree.jar
else
  old=$(readlink -f "${1:?usage: $0 OLD.jar NEW.jar}"); new=$(readlink -f "${2:?usage: $0 OLD.jar NEW.jar}")
fi

data=$(mktemp -d /tmp/virtdevice-upgrade.XXXXXX)
# a port nothing listens on (the same for both runs: the public base URL and the trigger link name it)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
app_pid=""
cleanup_app() { if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then kill -TERM "$app_pid"; wait "$app_pid" || true; fi; }
trap 'cleanup_app; [ -n "${tree:-}" ] && git worktree remove --force "$tree" >/dev/null 2>&1; true' EXIT

start() { # jar log
  (cd "$data" && exec "$java" -Xmx512m -jar "$1" --server.port="$port" --LOG_FORMAT= \
      --virtdevice.web.secure-cookies=false --virtdevice.web.public-base-url="$base") >"$2" 2>&1 &
  app_pid=$!
  for _ in $(seq 1 600); do
    curl -fs -m 5 "$base/actuator/health/readiness" >/dev/null 2>&1 && return 0
    kill -0 "$app_pid" 2>/dev/null || { tail -40 "$2"; echo "the application exited" >&2; exit 1; }
    sleep 1
  done
  tail -40 "$2"; echo "not ready after 600 s" >&2; exit 1
}
stop() { kill -TERM "$app_pid"; wait "$app_pid" || true; app_pid=""; }
xsrf() { awk '$6 == "XSRF-TOKEN" { print $7 }' "$data/jar"; }
json() { curl -fsS -m 60 -c "$data/jar" -b "$data/jar" -H "X-XSRF-TOKEN: $(xsrf)" -H 'Content-Type: application/json' "$@"; }
fail() { echo "UPGRADE TEST FAILED: $*" >&2; exit 1; }

step "previous release: $old"
start "$old" "$data/old.log"
# a jar from before versioning reports no version: named by the git ref it was built from, if it was
old_version=$(curl -fsS "$base/actuator/info" | jq -r --arg ref "${ref:+commit $ref}" '.build.version // (if $ref == "" then "unknown" else $ref end)')
step "previous release $old_version ready; creating data"
email="upgrade-$RANDOM@example.com"
password="correct horse battery staple"
curl -fsS -c "$data/jar" -b "$data/jar" "$base/api/v1/auth/csrf" >/dev/null
json -d "{\"tenantName\":\"Home\",\"email\":\"$email\",\"password\":\"$password\"}" "$base/api/v1/auth/signup" >/dev/null
json -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/api/v1/auth/login" >/dev/null
key=$(json -d '{"name":"upgrade","scopes":["read","write"]}' "$base/api/v1/api-keys" | jq -r .key)
auth=(-m 60 -H "Authorization: Bearer $key" -H 'Content-Type: application/json')
device=$(curl -fsS "${auth[@]}" -d '{"name":"Movie Mode","type":"switch"}' "$base/api/v1/devices" | jq -r .id)
curl -fsS -X PUT "${auth[@]}" -d '{"power":true}' "$base/api/v1/devices/$device/properties" >/dev/null
link=$(curl -fsS "${auth[@]}" -d '{"name":"phone shortcut"}' "$base/api/v1/devices/$device/triggers" | jq -r .url)
before=$(curl -fsS "${auth[@]}" "$base/api/v1/devices/$device")
stop
step "previous release stopped; new release: $new"

start "$new" "$data/new.log"
new_version=$(curl -fsS "$base/actuator/info" | jq -r .build.version)
step "new release $new_version ready on the same data directory; checking"
[ "$new_version" != "$old_version" ] || echo "note: both jars report version $new_version"
rm -f "$data/jar"
curl -fsS -c "$data/jar" -b "$data/jar" "$base/api/v1/auth/csrf" >/dev/null
json -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/api/v1/auth/login" >/dev/null || fail "sign-in"
after=$(curl -fsS "${auth[@]}" "$base/api/v1/devices/$device") || fail "the API key or the device"
[ "$(jq -r .name <<<"$after")" = "Movie Mode" ] || fail "device name: $after"
[ "$(jq -c .properties <<<"$after")" = "$(jq -c .properties <<<"$before")" ] || fail "properties: $before -> $after"
curl -fsS -m 60 -X POST "$link" >/dev/null || fail "the trigger link"
curl -fsS "${auth[@]}" -d '{"name":"After upgrade","type":"switch"}' "$base/api/v1/devices" >/dev/null || fail "new device"
grep -q ' ERROR ' "$data/new.log" && fail "errors in the new release's log: $(grep ' ERROR ' "$data/new.log" | head -3)"
stop
step "upgrade $old_version -> $new_version kept the account, API key, device, properties and trigger link"
rm -rf "$data"
